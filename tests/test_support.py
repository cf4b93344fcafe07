# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The support desk end to end (SPEC §3.12) in headless Chromium: the
manual's subscriber writes a ticket with the rich-text editor, finds it in
the list and its thread; the staff user «support» answers through
trytond's JSON-RPC (the Reply wizard of the back office, with the support
group's access rights), and the answer shows in the thread while the SMS
shows in the message box.  Screenshots go to tests/screenshots/.
    .venv/bin/python -m pytest -q tests/test_support.py
"""
import base64
import json
import re
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from test_browser import (
    KAMAL, both_sizes, browser, console_errors, login, text, wait)

__all__ = ["browser"]  # the fixture, shared with test_browser

STAFF = ('support', 'partak-demo-staff')


class RPC:
    "A back-office session of a staff user, as sao talks to trytond."

    def __init__(self, portal, login, password):
        self.url = '%s/%s/rpc/' % (portal.base_url, portal.database)
        self.auth = None
        user_id, session = self.call('common.db.login',
            [login, {'password': password}, 'fa'])[:2]
        self.auth = 'Session ' + base64.b64encode(('%s:%s:%s' % (
                    login, user_id, session)).encode()).decode()

    def call(self, method, params):
        request = urllib.request.Request(self.url, method='POST',
            data=json.dumps({'id': 1, 'method': method,
                    'params': params}).encode(),
            headers={'Content-Type': 'application/json'})
        if self.auth:
            request.add_header('Authorization', self.auth)
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
        assert not answer.get('error'), answer['error']
        return answer['result']


def test_ticket_thread_and_staff_answer(portal, browser):
    driver = browser()
    login(driver, portal.base_url, KAMAL)

    # The demo's tickets of this subscriber are listed.
    menu = driver.find_element(By.CSS_SELECTOR,
        '#portal-menu a[href="/portal/support"]')
    assert 'پشتیبانی' in menu.get_attribute('textContent')
    driver.get(menu.get_attribute('href'))
    wait(driver).until(EC.presence_of_element_located((By.ID, 'tickets')))
    page = text(driver)
    assert 'لطفا مدت یک هفته اینترنت ما قطع است بررسی فرمایید' in page
    assert 'اولویت بسیار بالا' in page
    assert re.search(r'14\d\d/\d\d/\d\d', page)
    both_sizes(driver, 'support-list')

    # A new ticket, written with the editor: one word made bold.
    driver.find_element(By.ID, 'new-ticket').click()
    form = wait(driver).until(EC.presence_of_element_located(
            (By.ID, 'ticket-form')))
    assert 'لطفاً عنوان و متن تیکت خود را با خط فارسی بنویسید' in text(driver)
    Select(driver.find_element(By.ID, 'department')).select_by_visible_text(
        'پشتیبانی فنی')
    Select(driver.find_element(By.ID, 'service')).select_by_visible_text(
        'adsl')
    Select(driver.find_element(By.ID, 'priority')).select_by_visible_text(
        'اولویت بالا')
    driver.find_element(By.ID, 'title').send_keys('مودم همگام نمی شود')
    # The textarea is replaced by the editor when the script runs.
    assert not driver.find_element(By.ID, 'body').is_displayed()
    area = driver.find_element(By.ID, 'body-area')
    assert area.is_displayed()
    area.click()
    area.send_keys('چراغ ')
    driver.find_element(By.CSS_SELECTOR,
        '.editor-toolbar [data-command=bold]').click()
    area.send_keys('لینک')
    driver.find_element(By.CSS_SELECTOR,
        '.editor-toolbar [data-command=bold]').click()
    area.send_keys(' مودم از دیروز خاموش است')
    assert '<b>لینک</b>' in area.get_attribute('innerHTML')
    # English only: a gentle note appears, the form still sends.
    title = driver.find_element(By.ID, 'title')
    title.send_keys(Keys.CONTROL, 'a')
    title.send_keys('Modem does not sync')
    warning = driver.find_element(By.ID, 'latin-warning')
    assert warning.is_displayed()
    title.send_keys(Keys.CONTROL, 'a')
    title.send_keys('مودم همگام نمی شود')
    assert not warning.is_displayed()
    both_sizes(driver, 'support-new')
    form.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    wait(driver).until(EC.staleness_of(form))

    # The thread: the bold word kept, the ticket number given.
    body = wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '.message-subscriber .message-body')))
    assert body.find_element(By.TAG_NAME, 'b').text == 'لینک'
    number = re.search(r'/portal/support/(\d+)', driver.current_url).group(1)
    page = text(driver)
    assert 'تیکت شما ثبت شد' in page
    assert 'باز است' in page and 'adsl' in page
    assert 'حرف فارسی ندارد' not in page
    driver.get(portal.base_url + '/portal/support')
    assert 'مودم همگام نمی شود' in text(driver)

    # Staff answer from the back office (the Reply wizard over JSON-RPC).
    rpc = RPC(portal, *STAFF)
    ids = rpc.call('model.partak.helpdesk.ticket.search',
        [[('number', '=', number)], 0, None, None, {}])
    assert len(ids) == 1
    session, _, _ = rpc.call('wizard.partak.helpdesk.reply.create', [{}])
    rpc.call('wizard.partak.helpdesk.reply.execute', [session,
            {'start': {'body': '<div>مشترک گرامی، لطفاً مودم را '
                    '<b>ریست</b> کنید.</div><script>alert(1)</script>'}},
            'send', {'active_model': 'partak.helpdesk.ticket',
                'active_id': ids[0], 'active_ids': ids}])
    rpc.call('wizard.partak.helpdesk.reply.delete', [session, {}])

    driver.get(portal.base_url + '/portal/support/' + number)
    staff = wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, '.message-staff')))
    assert 'لطفاً مودم را ریست کنید' in staff.text
    assert 'پشتیبانی فنی' in staff.text  # the staff user's name
    assert staff.find_element(By.TAG_NAME, 'b').text == 'ریست'
    assert 'alert(1)' not in driver.page_source
    assert 'پاسخ داده شده' in text(driver)
    both_sizes(driver, 'support-thread')

    # The subscriber answers back with the editor: the ticket re-opens.
    area = driver.find_element(By.ID, 'body-area')
    area.click()
    area.send_keys('ممنون، درست شد.')
    reply = driver.find_element(By.ID, 'reply-form')
    reply.find_element(By.CSS_SELECTOR, 'button[type=submit]').click()
    wait(driver).until(EC.staleness_of(reply))
    wait(driver).until(EC.presence_of_element_located((By.ID, 'reply')))
    assert len(driver.find_elements(By.CSS_SELECTOR, '.message')) == 3
    assert 'باز است' in text(driver)

    # The SMS of the answer is in the message box.
    driver.get(portal.base_url + '/portal/messages')
    assert 'ثبت پاسخ تیکت شماره %s' % number in text(driver)
    both_sizes(driver, 'support-messages')
    assert console_errors(driver) == []


def test_other_subscribers_ticket_is_hidden(portal, browser):
    "A number of someone else's ticket answers 404 in the browser too."
    rpc = RPC(portal, *STAFF)
    ids = rpc.call('model.partak.helpdesk.ticket.search',
        [[('party.name', '!=', 'کمال نصیری')], 0, 1, None, {}])
    number, = [r['number'] for r in rpc.call(
            'model.partak.helpdesk.ticket.read', [ids, ['number'], {}])]
    driver = browser()
    login(driver, portal.base_url, KAMAL)
    driver.get(portal.base_url + '/portal/support/' + number)
    assert 'message-body' not in driver.page_source
    assert len(driver.find_elements(By.ID, 'reply-form')) == 0
