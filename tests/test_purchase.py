# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Purchases end to end in headless Chromium through the sandbox bank
(SPEC §3.8, §3.9): the manual's change of service comes out to the Rial,
a failure at the bank applies nothing, the invoice PDF is produced."""
import re
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import ROOT, clean_env, sql, venv_bin
from test_browser import (
    KAMAL, PISHGAMAN, both_sizes, browser, console_errors, login, text, wait)

__all__ = ["browser"]  # the fixture, shared with test_browser


def place_order(driver, base_url, tab, product_text, months=None):
    driver.get(base_url + '/portal/renew?tab=' + tab)
    select = Select(wait(driver).until(
            EC.presence_of_element_located((By.ID, 'product'))))
    labels = [o.text for o in select.options]
    label = next(l for l in labels if product_text in l)
    select.select_by_visible_text(label)
    if months:
        Select(driver.find_element(By.ID, 'months')).select_by_value(
            str(months))
    form = driver.find_element(By.CSS_SELECTOR, 'form.renew-form')
    form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'pre-invoice')))
    return re.search(r'/portal/order/(\d+)', driver.current_url).group(1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def bank_return(driver):
    """Sends the pre-invoice on screen to the sandbox bank and pays there
    without following the bank's redirect back: returns the portal's
    cookies (read while on the portal) and the return URL the bank gave,
    with its parameters (token, status, reference)."""
    import urllib.error
    import urllib.parse
    cookies = '; '.join('%s=%s' % (c['name'], c['value'])
        for c in driver.get_cookies())
    driver.find_element(By.CSS_SELECTOR,
        'form button[type=submit].btn-success').click()
    wait(driver).until(EC.element_to_be_clickable((By.ID, 'pay-success')))
    bank = urllib.request.build_opener(_NoRedirect)
    try:
        bank.open(urllib.request.Request(driver.current_url,
                data=b'choice=success', method='POST'), timeout=60)
        raise AssertionError('the bank did not redirect')
    except urllib.error.HTTPError as answer:
        assert answer.code in (302, 303), answer.code
        back = urllib.parse.urljoin(driver.current_url,
            answer.headers['Location'])
    assert '/portal/payment/return/' in back
    return cookies, back


def amount(driver, field):
    value = driver.find_element(
        By.CSS_SELECTOR, '[data-field="%s"]' % field).text
    return int(re.sub(r'[^\d]', '', value) or 0)


def pay(driver, outcome):
    "Pays the pre-invoice on screen at the sandbox bank."
    driver.find_element(By.CSS_SELECTOR,
        'form button[type=submit].btn-success').click()
    wait(driver).until(EC.element_to_be_clickable(
            (By.ID, 'pay-' + outcome))).click()
    return wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'payment-result'))).get_attribute('data-state')


def test_change_of_service_manual_figures(portal, browser):
    "SPEC §3.8: 2,000,000 paid, 352 days left → 1,928,767; 6,791,233 due."
    driver = browser()
    login(driver, portal.base_url, PISHGAMAN)
    driver.get(portal.base_url + '/portal/renew?tab=change')
    remaining = wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'remaining-value'))).text
    assert '1,928,767' in remaining
    number = place_order(driver, portal.base_url, 'change', 'زمرد')
    assert re.fullmatch(r'\d{6}', number)
    assert amount(driver, 'price') == 8_000_000
    assert amount(driver, 'vat') == 720_000
    assert amount(driver, 'fee') == 0
    assert amount(driver, 'remaining') == 1_928_767
    assert amount(driver, 'wallet') == 0
    assert amount(driver, 'payable') == 6_791_233
    both_sizes(driver, '20-pre-invoice-change')
    assert pay(driver, 'success') == 'paid'
    assert 'اعمال گردید' in text(driver)
    both_sizes(driver, '21-payment-applied')
    # The new service is the active one, at once.
    driver.get(portal.base_url + '/portal/account')
    assert 'زمرد' in wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'account-info'))).text
    # The invoice is a PDF.
    cookies = '; '.join('%s=%s' % (c['name'], c['value'])
        for c in driver.get_cookies())
    request = urllib.request.Request(
        portal.base_url + '/portal/invoice/%s.pdf' % number,
        headers={'Cookie': cookies})
    with urllib.request.urlopen(request, timeout=60) as answer:
        pdf = answer.read()
        assert answer.headers['Content-Type'] == 'application/pdf'
    assert pdf.startswith(b'%PDF-')
    # Paying again is impossible: the order is applied.
    driver.get(portal.base_url + '/portal/order/' + number)
    assert driver.find_elements(By.CSS_SELECTOR,
        'a[href$="/portal/invoice/%s.pdf"]' % number)
    assert console_errors(driver) == []


def test_traffic_pack_and_failed_payment(portal, browser):
    "A failure at the bank applies nothing; a success adds the pack."
    driver = browser()
    login(driver, portal.base_url, KAMAL)
    driver.get(portal.base_url + '/portal/account')
    before = wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'account-info'))).text
    place_order(driver, portal.base_url, 'traffic', '5 گیگ')
    payable = amount(driver, 'payable')
    assert payable > 0
    assert pay(driver, 'failure') == 'failed'
    driver.get(portal.base_url + '/portal/account')
    assert wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'account-info'))).text == before
    place_order(driver, portal.base_url, 'traffic', '5 گیگ')
    assert pay(driver, 'success') == 'paid'
    driver.get(portal.base_url + '/portal/finance')
    states = [r.get_attribute('data-state') for r in
        driver.find_elements(By.CSS_SELECTOR, '#payments tbody tr')]
    assert states[:2] == ['paid', 'failed']
    both_sizes(driver, '22-finance')
    driver.get(portal.base_url + '/portal/account')
    assert wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'account-info'))).text != before


def buy(driver, base_url, tab, product_text, months=None):
    "Places an order and pays it (at the bank, or from the wallet alone)."
    number = place_order(driver, base_url, tab, product_text, months)
    if amount(driver, 'payable') > 0:
        assert pay(driver, 'success') == 'paid'
    else:
        driver.find_element(By.CSS_SELECTOR,
            'form button[type=submit].btn-success').click()
    driver.get(base_url + '/portal/order/' + number)
    assert 'پرداخت و اعمال شده' in wait(driver).until(
        EC.presence_of_element_located((By.ID, 'pre-invoice'))).find_element(
        By.XPATH, '..').text
    return number


def test_service_timed_traffic_and_static_ip(portal, browser):
    "Every other purchase kind of SPEC §3.8, applied at once after payment."
    driver = browser()
    login(driver, portal.base_url, ('1132400002', 'partak-demo'))
    # A service bought while one runs becomes the reserve service.
    buy(driver, portal.base_url, 'service', 'سه ماهه سرعت 1024')
    driver.get(portal.base_url + '/portal/account')
    info = wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'account-info'))).text
    assert 'سه ماهه سرعت 1024' in info
    # A timed pack and a static IP for two months.
    buy(driver, portal.base_url, 'timed', 'شبانه روزی')
    number = buy(driver, portal.base_url, 'ip', 'IP استاتیک', months=2)
    driver.get(portal.base_url + '/portal/order/' + number)
    assert '100,000' in wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '[data-field="price"]'))).text
    driver.get(portal.base_url + '/portal/')
    assert 'فاقد IP استاتیک' not in text(driver)
    assert console_errors(driver) == []


def test_concurrent_bank_returns(portal, browser, second_worker):
    """The bank's return reaching the portal eight times at once (a payer
    who reloads, a bank that retries), half of them through a second
    trytond worker on the same database, is handled once: every answer is
    the result page, never a 500, and the order is applied once."""
    import threading
    import urllib.error
    import urllib.parse

    driver = browser()
    login(driver, portal.base_url, KAMAL)
    number = place_order(driver, portal.base_url, 'traffic', '5 گیگ')
    cookies, back = bank_return(driver)
    answers, barrier = [], threading.Barrier(8)

    # Every other return goes to the second worker.
    backs = [back, back.replace(portal.base_url, second_worker)] * 4
    assert backs[1] != back

    def come_back(url):
        barrier.wait()
        request = urllib.request.Request(url, headers={'Cookie': cookies})
        try:
            with urllib.request.urlopen(request, timeout=120) as page:
                answers.append((page.status, page.read().decode()))
        except urllib.error.HTTPError as error:
            answers.append((error.code, error.read().decode()))
    threads = [threading.Thread(target=come_back, args=(url,))
        for url in backs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert [status for status, _ in answers] == [200] * 8, answers
    states = [re.search(r'id="payment-result" data-state="(\w+)"', body)
        for _, body in answers]
    assert [m and m.group(1) for m in states] == ['paid'] * 8, [
        re.sub(r'\s+', ' ', re.sub(r'<[^>]+>', ' ', body))[-1500:]
        for _, body in answers]
    driver.get(portal.base_url + '/portal/finance')
    rows = [r for r in driver.find_elements(By.CSS_SELECTOR,
            '#payments tbody tr') if number in r.text]
    assert [r.get_attribute('data-state') for r in rows] == ['paid']
    driver.get(portal.base_url + '/portal/order/' + number)
    assert 'پرداخت و اعمال شده' in wait(driver).until(
        EC.presence_of_element_located((By.ID, 'pre-invoice'))).find_element(
        By.XPATH, '..').text
    assert console_errors(driver) == []


def test_worker_killed_between_verify_and_apply(portal, browser,
        second_worker):
    """A worker dies right after the bank's confirmation was committed and
    before the order was applied: the payment waits, 'verified', in the
    database; the payer's return through another worker applies it once,
    without asking the bank again."""
    import json
    import subprocess
    import urllib.parse

    driver = browser()
    login(driver, portal.base_url, KAMAL)
    number = place_order(driver, portal.base_url, 'traffic', '5 گیگ')
    _, back = bank_return(driver)
    url = urllib.parse.urlsplit(back)
    payment_id = int(url.path.rsplit('/', 1)[1])
    params = dict(urllib.parse.parse_qsl(url.query))
    port = int(urllib.parse.urlsplit(portal.base_url).port)
    env = clean_env(portal.backend, portal.config, portal.db_path, port,
        portal.database)
    died = subprocess.run([venv_bin('python'),
            str(ROOT / 'tests' / 'worker_dies_after_verify.py'),
            str(portal.config), portal.database, str(payment_id),
            json.dumps(params)], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300)
    assert died.returncode == 17, died.stdout[-2000:] + died.stderr[-2000:]

    def state():
        return sql(portal.backend, portal.db_path, portal.database,
            'SELECT p.state, o.state, (SELECT COUNT(*) FROM '
            'partak_payment_event e WHERE e.payment = p.id '
            "AND e.kind = 'verify') FROM partak_payment p "
            'JOIN partak_order o ON o.id = p."order" WHERE p.id = ?',
            (payment_id,))[0]
    assert state() == ('verified', 'quoted', 1)
    # The payer's browser comes back through the other worker.
    driver.get(back.replace(portal.base_url, second_worker))
    assert wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'payment-result'))).get_attribute('data-state') == 'paid'
    assert state() == ('paid', 'applied', 1)
    driver.get(second_worker + '/portal/finance')
    rows = [r for r in driver.find_elements(By.CSS_SELECTOR,
            '#payments tbody tr') if number in r.text]
    assert [r.get_attribute('data-state') for r in rows] == ['paid']
    assert console_errors(driver) == []


def test_wallet_topup_at_the_bank(portal, browser):
    "«افزایش اعتبار»: the amount typed in Persian digits reaches the wallet"
    driver = browser()
    login(driver, portal.base_url, KAMAL)
    driver.get(portal.base_url + '/portal/finance?tab=wallet')
    before = int(re.sub(r'[^\d]', '', wait(driver).until(
                EC.presence_of_element_located((By.ID, 'wallet-balance'))
                ).text) or 0)
    field = driver.find_element(By.ID, 'topup-amount')
    field.send_keys('۵۰۰٬۰۰۰')
    both_sizes(driver, '23-wallet-topup')
    driver.find_element(By.CSS_SELECTOR,
        '#topup button[type=submit]').click()
    wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'pre-invoice')))
    assert amount(driver, 'payable') == 500_000
    assert 'افزایش اعتبار پنل' in text(driver)
    assert not driver.find_elements(By.CSS_SELECTOR, '[data-field="vat"]')
    assert pay(driver, 'success') == 'paid'
    driver.get(portal.base_url + '/portal/finance?tab=wallet')
    after = int(re.sub(r'[^\d]', '', wait(driver).until(
                EC.presence_of_element_located((By.ID, 'wallet-balance'))
                ).text))
    assert after == before + 500_000
    first = driver.find_element(By.CSS_SELECTOR, '#wallet-moves tbody tr')
    assert 'افزایش اعتبار از طریق بانک' in first.text
    assert console_errors(driver) == []
