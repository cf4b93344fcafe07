# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The customer portal in a real headless Chromium, as a subscriber uses
it: login, dashboard, line status history, profile edit, document upload
with compression in the browser, the incomplete-profile warning; and the
sao back office's login page.  Screenshots go to tests/screenshots/.

Needs Debian's chromium and chromium-driver (scripts/setup.sh installs
them); the database comes from the `portal` fixture of conftest.py.
    .venv/bin/python -m pytest -q tests/test_browser.py
    PARTAK_TEST_DB=sqlite .venv/bin/python -m pytest -q tests/test_browser.py
"""
import base64
import datetime
import io
import math
import os
import random
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from selenium import webdriver
from selenium.common.exceptions import (
    StaleElementReferenceException, WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
SHOTS = Path(__file__).resolve().parent / 'screenshots'
PHONE = (390, 844)
DESKTOP = (1366, 900)
TIMEOUT = 30

KAMAL = ('1132455123', 'partak-demo')
PISHGAMAN = ('32239700', 'partak-demo')
WEEKDAYS = ['شنبه', 'یکشنبه', 'دوشنبه', 'سه\u200cشنبه', 'چهارشنبه',
    'پنجشنبه', 'جمعه']
MONTHS = ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور', 'مهر',
    'آبان', 'آذر', 'دی', 'بهمن', 'اسفند']
GREETING = re.compile('امروز (%s) ([0-9]{1,2}) (%s) (14[0-9]{2})' % (
        '|'.join(WEEKDAYS), '|'.join(MONTHS)))

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason='Debian chromium / chromium-driver are not installed')


# --- browser ----------------------------------------------------------------

def new_driver(profile_dir):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ['--headless', '--no-sandbox', '--disable-gpu',
            '--disable-background-networking', '--disable-component-update',
            '--disable-sync', '--no-first-run', '--disable-quic',
            '--disable-dev-shm-usage', '--lang=fa',
            # Bootstrap turns on smooth scrolling unless the user prefers
            # reduced motion: a click would land while the page still moves.
            '--force-prefers-reduced-motion',
            '--user-data-dir=%s' % profile_dir,
            '--window-size=%d,%d' % DESKTOP]:
        options.add_argument(argument)
    options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    # A path to the driver: selenium-manager is never run.
    driver = webdriver.Chrome(options=options,
        service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(TIMEOUT)
    return driver


@pytest.fixture
def browser(request):
    """A factory of fresh browser sessions, each with its own profile.
    When the test fails, the last page of each session is kept in
    tests/screenshots/failed-<test>-<n>.png / .html."""
    drivers, folders = [], []

    def make():
        folders.append(tempfile.mkdtemp(prefix='partak-chromium-'))
        drivers.append(new_driver(folders[-1]))
        return drivers[-1]
    yield make
    report = getattr(request.node, 'report_call', None)
    for number, driver in enumerate(drivers, 1):
        if report is not None and report.failed:
            name = 'failed-%s-%d' % (request.node.name, number)
            try:
                screenshot(driver, name, DESKTOP)
                (SHOTS / (name + '.html')).write_text(
                    driver.current_url + '\n' + driver.page_source)
            except Exception:
                pass
        driver.quit()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


class _Wait(WebDriverWait):
    """WebDriverWait that also retries Chromium's "Node with given id does
    not belong to the document": an element of the page being replaced,
    asked about while the next one loads (a stale element by another
    name)."""

    def until(self, method, message=''):
        def guarded(driver):
            try:
                return method(driver)
            except WebDriverException as exception:
                if 'does not belong to the document' in str(exception):
                    return False
                raise
        return super().until(guarded, message)


def wait(driver, timeout=TIMEOUT):
    return _Wait(driver, timeout,
        ignored_exceptions=(StaleElementReferenceException,))


def console_errors(driver):
    "Errors the page wrote to the console (CSP violations, JS errors...)."
    # The portal's pages link no icon, so Chromium asks for /favicon.ico,
    # which trytond answers 405 (it is its JSON-RPC route): not a page error
    # (of any of the local trytond workers a test visits).
    return [entry['message'] for entry in driver.get_log('browser')
        if entry['level'] == 'SEVERE'
        and not re.match(r'http://127\.0\.0\.1:\d+/favicon\.ico ',
            entry['message'])]


def screenshot(driver, name, size, full=True, mobile=None):
    """A full-page PNG at the given CSS viewport width (a phone width is
    emulated as a mobile device so that the viewport meta tag applies):
    the viewport is made as tall as the page, then captured.

    For sao, full=False, mobile=False: sao sizes itself to the window, and
    as a mobile device Chromium widens the layout to sao's off-screen parts
    (10,000 px) and captures a blank corner of it; its phone layout
    follows the width alone."""
    SHOTS.mkdir(exist_ok=True)
    gitignore = SHOTS / '.gitignore'
    if not gitignore.exists():
        gitignore.write_text('*.png\n*.html\n')
    width, height = size
    if mobile is None:
        mobile = width < 600

    def emulate(height):
        driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {
                'width': width, 'height': height, 'deviceScaleFactor': 1,
                'mobile': mobile})
        driver.execute_async_script(
            'var done = arguments[arguments.length - 1];'
            'window.scrollTo(0, 0);'
            'document.fonts.ready.then(function () {'
            '  requestAnimationFrame(function () {'
            '    requestAnimationFrame(function () { done(true); }); }); });')
    try:
        emulate(height)
        page_height = driver.execute_script('return Math.max('
            'document.documentElement.scrollHeight,'
            'document.body ? document.body.scrollHeight : 0)')
        if full and page_height > height:
            emulate(page_height)
        shot = driver.execute_cdp_cmd('Page.captureScreenshot',
            {'format': 'png'})
    finally:
        driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})
        # Back to the window's own size before the next click.
        driver.execute_async_script(
            'var done = arguments[arguments.length - 1];'
            'requestAnimationFrame(function () {'
            '  requestAnimationFrame(function () { done(true); }); });')
    path = SHOTS / ('%s.png' % name)
    path.write_bytes(base64.b64decode(shot['data']))
    return path


def both_sizes(driver, name):
    screenshot(driver, name + '-phone', PHONE)
    screenshot(driver, name + '-desktop', DESKTOP)


def login(driver, base_url, credentials):
    username, password = credentials
    driver.get(base_url + '/portal/login')
    field = wait(driver).until(EC.element_to_be_clickable((By.ID, 'login')))
    field.send_keys(username)
    driver.find_element(By.ID, 'password').send_keys(password)
    form = driver.find_element(By.CSS_SELECTOR, 'form')
    form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    wait(driver).until(EC.staleness_of(form))
    wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, 'header.portal-header')))
    assert driver.current_url == base_url + '/portal/'


def submit(driver, form):
    "Clicks the form's submit button and waits for the answer page."
    form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    wait(driver).until(EC.staleness_of(form))
    return wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, 'form.profile-form')))


def text(driver):
    return driver.find_element(By.TAG_NAME, 'body').text


def font_loaded(driver, family='Vazirmatn'):
    "Whether a face of the web font was downloaded and used by the page."
    return driver.execute_async_script("""
        var family = arguments[0], done = arguments[arguments.length - 1];
        document.fonts.ready.then(function () {
            var ok = false;
            document.fonts.forEach(function (face) {
                if (face.family.replace(/["']/g, '') === family
                        && face.status === 'loaded') { ok = true; }
            });
            done(ok);
        });""", family)


def tehran_today():
    import jdatetime
    from zoneinfo import ZoneInfo
    now = datetime.datetime.now(ZoneInfo('Asia/Tehran')).date()
    d = jdatetime.date.fromgregorian(date=now)
    return '%s %d %s %d' % (WEEKDAYS[d.weekday()], d.day,
        MONTHS[d.month - 1], d.year)


# --- files to upload -----------------------------------------------------------

def photo_jpeg(path, size=(2400, 1800)):
    """A phone-camera-like photo: a gradient, shapes and fine noise, so that
    it is a few MB and the browser's compression has work to do."""
    rng = random.Random(1394)
    width, height = size
    base = Image.linear_gradient('L').resize(size)
    image = Image.merge('RGB', (base, base.rotate(90).resize(size),
            Image.new('L', size, 180)))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(40, 300)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(
                rng.randrange(256), rng.randrange(256), rng.randrange(256)),
            width=rng.randrange(3, 20))
    noise = Image.effect_noise(size, 40)
    image = Image.blend(image, Image.merge('RGB', (noise,) * 3), 0.35)
    image.save(path, 'JPEG', quality=92)
    return path


def small_pdf(path):
    "A one-page PDF written by hand, with a correct xref table."
    objects = [
        b'<< /Type /Catalog /Pages 2 0 R >>',
        b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
        b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] '
        b'/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
        None,
        b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
        ]
    stream = b'BT /F1 24 Tf 72 760 Td (Partak lease contract) Tj ET'
    objects[3] = b'<< /Length %d >>\nstream\n%s\nendstream' % (
        len(stream), stream)
    out = bytearray(b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n')
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b'%d 0 obj\n%s\nendobj\n' % (number, body)
    xref = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objects) + 1)
    for offset in offsets:
        out += b'%010d 00000 n \n' % offset
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (
        len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def js_size(size):
    "The size as upload.js shows it."
    if size >= 1048576:
        return '%.1f MB' % (size / 1048576)
    return '%d KB' % max(1, math.floor(size / 1024 + 0.5))


def stored_documents(portal, filenames):
    "filename -> (mimetype, size column, bytes in the filestore)."
    query = ('SELECT filename, mimetype, size, file_id FROM partak_document '
        'WHERE filename IN (%s)')
    if portal.backend == 'postgresql':
        import psycopg
        with psycopg.connect(host='127.0.0.1', port=5432, user='postgres',
                dbname=portal.database) as connection:
            rows = connection.execute(query % ', '.join(['%s'] * len(
                        filenames)), filenames).fetchall()
    else:
        connection = sqlite3.connect(
            portal.db_path / ('%s.sqlite' % portal.database))
        try:
            rows = connection.execute(query % ', '.join('?' * len(
                        filenames)), filenames).fetchall()
        finally:
            connection.close()
    result = {}
    for filename, mimetype, size, file_id in rows:
        data = None
        if file_id:
            found = list(Path(portal.db_path).rglob(file_id))
            assert len(found) == 1, (file_id, found)
            data = found[0].read_bytes()
        result[filename] = (mimetype, size, data)
    return result


# --- the tests ---------------------------------------------------------------

def test_login_and_dashboard(portal, browser):
    driver = browser()
    driver.get(portal.base_url + '/portal/login')
    wait(driver).until(EC.element_to_be_clickable((By.ID, 'login')))
    assert driver.title == 'ورود به پنل کاربری'
    both_sizes(driver, '01-login')

    login(driver, portal.base_url, KAMAL)
    html = driver.find_element(By.TAG_NAME, 'html')
    assert html.get_attribute('dir') == 'rtl'
    assert html.get_attribute('lang') == 'fa'
    assert driver.execute_script(
        'return getComputedStyle(document.body).direction') == 'rtl'
    before = tehran_today()
    page = text(driver)
    after = tehran_today()
    for expected in ['کمال نصیری', 'شرکت مخابرات استان مازندران', 'دانشگاه',
            'بهره برداری', 'کمال نصیری به سامانه مدیریت مشتریان']:
        assert expected in page, expected
    assert 'alert-warning' not in driver.page_source  # complete profile
    greeting = GREETING.search(page)
    assert greeting, page
    assert greeting.group(0)[len('امروز '):] in (before, after)
    assert font_loaded(driver), 'the Vazirmatn web font was not loaded'
    both_sizes(driver, '02-dashboard')
    assert console_errors(driver) == []


def test_line_status_history(portal, browser):
    driver = browser()
    login(driver, portal.base_url, KAMAL)
    driver.find_element(By.CSS_SELECTOR,
        'a.list-group-item[href="/portal/history"]').click()
    table = wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, 'main table')))
    assert driver.current_url == portal.base_url + '/portal/history'
    heading = driver.find_element(By.CSS_SELECTOR, 'main h2').text
    assert '1132455123' in heading
    rows = table.find_elements(By.CSS_SELECTOR, 'tbody tr')
    assert len(rows) == 13
    cells = [[td.text for td in row.find_elements(By.TAG_NAME, 'td')]
        for row in rows]
    assert [c[0] for c in cells] == [str(i) for i in range(1, 14)]
    assert cells[0][1] == '1394/07/27'
    assert cells[-1][1] == '1394/11/21'
    assert cells[0][2] == 'بهره برداری'
    assert cells[0][3] == 'کانورت اطلاعات اولیه'
    assert [c[1] for c in cells] == sorted(c[1] for c in cells)
    both_sizes(driver, '03-history')
    assert console_errors(driver) == []


def test_line_status_history_follows_the_manual(portal, browser):
    "SPEC 3.4: the manual's history alternates in service / collection."
    driver = browser()
    login(driver, portal.base_url, KAMAL)
    driver.get(portal.base_url + '/portal/history')
    rows = wait(driver).until(EC.presence_of_all_elements_located(
            (By.CSS_SELECTOR, 'main table tbody tr')))
    statuses = [row.find_elements(By.TAG_NAME, 'td')[2].text for row in rows]
    assert statuses == ['بهره برداری', 'در لیست جمع آوری'] * 6 + [
        'بهره برداری']


def test_edit_profile(portal, browser):
    driver = browser()
    login(driver, portal.base_url, KAMAL)
    driver.get(portal.base_url + '/portal/profile')
    form = wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, 'form.profile-form')))
    typed = {
        'email': 'kamal.e2e@example.com',
        'postal_code': '4816799999',
        'national_code': '1234567890',  # wrong check digit
        }
    for name, value in typed.items():
        field = form.find_element(By.ID, name)
        field.clear()
        field.send_keys(value)
    street = form.find_element(By.ID, 'street')
    street.clear()
    # Latin digits: the portal turns every digit of the form into Latin.
    street.send_keys('ساری، خیابان فرهنگ، پلاک 7')
    Select(form.find_element(By.ID, 'education')).select_by_value('master')

    form = submit(driver, form)
    alert = driver.find_element(By.CSS_SELECTOR, 'main .alert-danger')
    assert alert.text == 'لطفا موارد مشخص شده با رنگ قرمز را اصلاح نمایید.'
    code = form.find_element(By.ID, 'national_code')
    assert 'is-invalid' in code.get_attribute('class').split()
    feedback = form.find_element(By.CSS_SELECTOR,
        '#national_code + .invalid-feedback')
    assert feedback.is_displayed()
    assert feedback.text == ('کد ملی وارد شده معتبر نیست. لطفا کد ملی ۱۰ '
        'رقمی خود را به درستی وارد نمایید.')
    # What was typed is kept, the other fields are not marked.
    for name, value in typed.items():
        assert form.find_element(By.ID, name).get_attribute('value') == value
    assert form.find_element(By.ID, 'street').get_attribute('value') == \
        'ساری، خیابان فرهنگ، پلاک 7'
    assert Select(form.find_element(By.ID, 'education')) \
        .first_selected_option.get_attribute('value') == 'master'
    assert len(form.find_elements(By.CSS_SELECTOR, '.is-invalid')) == 1
    both_sizes(driver, '04-profile-error')

    code.clear()
    code.send_keys('۲۰۸۰۴۵۲۵۱۷')  # Persian digits, as a phone keyboard types
    form = submit(driver, form)
    success = driver.find_element(By.CSS_SELECTOR, 'main .alert-success')
    assert success.text == 'اطلاعات پروفایل شما با موفقیت ثبت شد.'
    assert not driver.find_elements(By.CSS_SELECTOR, '.alert-danger')
    assert form.find_element(By.ID, 'national_code') \
        .get_attribute('value') == '2080452517'
    both_sizes(driver, '05-profile-saved')

    # Saved for real: a fresh GET shows the new values.
    driver.get(portal.base_url + '/portal/profile')
    form = wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, 'form.profile-form')))
    assert form.find_element(By.ID, 'email').get_attribute('value') == \
        'kamal.e2e@example.com'
    assert form.find_element(By.ID, 'postal_code').get_attribute('value') \
        == '4816799999'
    assert form.find_element(By.ID, 'street').get_attribute('value') == \
        'ساری، خیابان فرهنگ، پلاک 7'
    assert console_errors(driver) == []


def test_upload_documents(portal, browser, tmp_path):
    photo = photo_jpeg(tmp_path / 'e2e-national-card.jpg')
    pdf = small_pdf(tmp_path / 'e2e-lease.pdf')
    photo_size, pdf_size = photo.stat().st_size, pdf.stat().st_size
    assert photo_size > 1024 * 1024  # more than maxSizeMB of upload.js
    assert photo_size < 5 * 1024 * 1024  # and accepted even uncompressed

    driver = browser()
    login(driver, portal.base_url, KAMAL)
    driver.get(portal.base_url + '/portal/profile?tab=documents')
    send = wait(driver).until(EC.presence_of_element_located((By.ID, 'send')))
    assert send.text == 'ارسال مدارک'
    assert not send.is_enabled()
    Select(driver.find_element(By.ID, 'doc-type')).select_by_value(
        'national_card')
    driver.find_element(By.ID, 'files').send_keys(
        '%s\n%s' % (photo, pdf))
    wait(driver).until(lambda d: len(d.find_elements(
                By.CSS_SELECTOR, '#queue tbody tr')) == 2)
    rows = driver.find_elements(By.CSS_SELECTOR, '#queue tbody tr')
    queued = [[td.text for td in row.find_elements(By.TAG_NAME, 'td')]
        for row in rows]
    assert [q[0] for q in queued] == [photo.name, pdf.name]
    assert [q[3] for q in queued] == [js_size(photo_size), js_size(pdf_size)]
    assert all('در انتظار' in q[2] for q in queued)
    kinds = [Select(row.find_element(By.TAG_NAME, 'select'))
        .first_selected_option.get_attribute('value') for row in rows]
    assert kinds == ['national_card', 'national_card']
    # The PDF is a lease: each row has its own kind.
    Select(rows[1].find_element(By.TAG_NAME, 'select')).select_by_value(
        'lease')
    assert send.is_enabled()
    both_sizes(driver, '06-upload-queue')

    send.click()
    # Both rows sent, read in one go (the page reloads 1.5 s later).
    state = wait(driver, 90).until(lambda d: (lambda rows: rows if len(rows)
            == 2 and all(r['state'] == 'sent' for r in rows) else False)(
            d.execute_script(
                'return Array.from(document.querySelectorAll('
                '"#queue tbody tr")).map(function (tr) { return {'
                'state: tr.dataset.state || "", '
                'note: tr.cells[2].innerText, size: tr.cells[3].innerText,'
                'progress: tr.querySelector(".progress-bar").textContent};'
                '});')))
    assert [s['progress'] for s in state] == ['100%', '100%']
    assert all('مدرک دریافت شد' in s['note'] for s in state)
    assert state[1]['size'] == js_size(pdf_size)

    wait(driver).until(EC.staleness_of(send))  # window.location.reload()
    table = wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'documents')))
    listed = {}
    for row in table.find_elements(By.CSS_SELECTOR, 'tbody tr'):
        cells = row.find_elements(By.TAG_NAME, 'td')
        listed[cells[2].text] = (cells[1].text, cells[3].find_element(
                By.CSS_SELECTOR, '.badge').text, cells[3].find_element(
                By.CSS_SELECTOR, '.badge').get_attribute('class'))
    assert 'national-card.jpg' in listed  # the demo data's own document
    for name in (photo.name, pdf.name):
        assert name in listed, listed
        assert listed[name][1] == 'در انتظار بررسی'
        assert 'text-bg-secondary' in listed[name][2].split()
    assert listed[photo.name][0] != listed[pdf.name][0]  # kinds differ
    both_sizes(driver, '07-documents-uploaded')
    assert console_errors(driver) == []

    # On the server: the photo was made smaller by the browser, the PDF
    # arrived byte for byte.
    stored = stored_documents(portal, [photo.name, pdf.name])
    mimetype, size, data = stored[photo.name]
    assert mimetype == 'image/jpeg'
    assert size == len(data) < photo_size
    assert size <= 1024 * 1024 * 1.05, size  # maxSizeMB: 1
    assert state[0]['size'] == js_size(size)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == 'JPEG'
        assert max(image.size) <= 2000  # maxWidthOrHeight of upload.js
        assert abs(image.size[0] / image.size[1] - 4 / 3) < 0.01  # aspect
    assert stored[pdf.name] == ('application/pdf', pdf_size,
        pdf.read_bytes())


def test_incomplete_profile_warning(portal, browser):
    driver = browser()
    login(driver, portal.base_url, PISHGAMAN)
    warning = driver.find_element(By.CSS_SELECTOR, '.alert.alert-warning')
    assert warning.is_displayed()
    assert warning.find_element(By.CSS_SELECTOR, 'a.alert-link') \
        .get_attribute('href') == portal.base_url + '/portal/profile'
    assert 'pishgaman ka' in text(driver)
    assert '32239700' in text(driver)
    assert warning.text.strip() != ''
    assert re.search('[\u0600-\u06ff]', warning.text), warning.text
    both_sizes(driver, '08-incomplete-profile')
    assert console_errors(driver) == []


def test_back_office_login_page(portal, browser):
    driver = browser()
    driver.get(portal.base_url + '/')
    login_field = wait(driver, 60).until(EC.visibility_of_element_located(
            (By.CSS_SELECTOR, '.modal input#login')))
    assert login_field.is_enabled()
    # The database field: a list filled by an RPC call, or a text input.
    def database_field(driver):
        for field in driver.find_elements(By.CSS_SELECTOR,
                '.modal #database'):
            if not field.is_displayed():
                continue
            if field.tag_name == 'select':
                values = [o.get_attribute('value') for o in
                    field.find_elements(By.TAG_NAME, 'option')]
                if portal.database in values:
                    return field
            else:
                return field
        return False
    field = wait(driver).until(database_field)
    if field.tag_name == 'select':
        Select(field).select_by_value(portal.database)
    elif field.get_attribute('readonly') is not None:
        # The only database of the server, filled in by sao.
        assert field.get_attribute('value') == portal.database
    else:
        field.clear()
        field.send_keys(portal.database)
    login_field.send_keys('admin')
    screenshot(driver, '09-back-office-login', DESKTOP)
