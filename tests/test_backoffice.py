# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The sao back office in a real headless Chromium, for each role of the
demo: log in, open every menu entry the role sees that has an action (the
list, then the first record's form; a wizard is opened and cancelled) and
fail on a console error, a Tryton error dialog or a view that never
loads.  A few screens per role go to tests/screenshots/backoffice_*.png.

The browser runs in Asia/Tehran: sao shows a date-time in the time zone of
the browser (Tryton 8.0 has no time zone per user), as the staff's
computers in Iran do.
    .venv/bin/python -m pytest -q tests/test_backoffice.py
"""
import datetime
import json
import re
import time
import urllib.parse
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from sao import rpc, sao_login
from test_browser import (  # noqa: F401 (browser is a fixture)
    DESKTOP, PHONE, browser, pytestmark, screenshot, wait)

TEHRAN = ZoneInfo('Asia/Tehran')
# sao writes numbers in the digits of the user's language.
DIGITS = str.maketrans('۰۱۲۳۴۵۶۷۸۹', '0123456789')
# scripts/demo_data.py: DEMO_PASSWORD + '-staff' for the staff users.
STAFF_PASSWORD = 'partak-demo-staff'
ROLES = {
    'admin': 'admin',
    'support': STAFF_PASSWORD,
    'accountant': STAFF_PASSWORD,
    'agent': STAFF_PASSWORD,
    }
# The models whose list and first form are photographed, per role.
SHOTS = {
    'admin': ['partak.order', 'partak.payment.event'],
    'support': ['party.party', 'partak.document'],
    'accountant': ['partak.payment', 'partak.wallet.move'],
    'agent': ['party.party', 'partak.line'],
    }
# The catalogue of the login page's language, which sao asks for before
# the user's own is known and does without (trytond answers 405).
# custom.js and custom.css are Partak's (backoffice/): they must load.
OPTIONAL = ('/locale/',)
ENTRY_TIMEOUT = 30
# Words that stay Latin in the Persian interface (the manual says "Route IP").
LATIN_OK = {'Route', 'IP', 'IPv4', 'IPv6', 'RADIUS', 'NAS', 'CoA', 'PDF', 'CSV', 'URL',
    'API', 'ID', 'SMS', 'VAT', 'IBAN', 'MB', 'GB', 'KB'}
LATIN = re.compile('[A-Za-z][A-Za-z0-9]+')
ERROR_DIALOGS = ('.error-dialog', '.warning-dialog', '.message-dialog',
    '.user-warning-dialog', '.confirmation-dialog')

# What the page is doing: pending requests, visible dialogs and the
# current tab with its view.  A request whose answer made sao throw is
# never completed, so "idle" is measured against a baseline.
STATE_JS = """
var tab = Sao.Tab.tabs.get_current();
var state = {
    ajax: jQuery.active,
    tabs: Sao.Tab.tabs.length,
    dialogs: jQuery('.modal:visible').map(function () {
        return {class: this.className,
            text: jQuery(this).find('.modal-content').text().trim()
                .replace(/\\s+/g, ' ').slice(0, 400)};
    }).get(),
    tab: null};
if (tab) {
    state.tab = {kind: tab.class_, name: tab.name_long || tab.name};
    var screen = tab.screen;
    if (screen) {
        var view = screen.current_view;
        state.tab.model = screen.model_name;
        state.tab.view = view ? view.view_type : null;
        state.tab.shown = view ? jQuery.contains(document, view.el[0])
            && view.el.is(':visible') : false;
        state.tab.records = screen.group ? screen.group.length : null;
        // Whether a double click can show a form (an action may give only
        // a list: a log that has nothing more to show).
        state.tab.form = screen.views.some(function (v) {
                return v.view_type == 'form'; })
            || screen.view_to_load.indexOf('form') >= 0
            || (view && view.view_type == 'tree'
                && view.attributes.keyword_open == 1);
        state.tab.rows = view && view.view_type == 'tree' ?
            view.el.find('tbody tr').length : null;
        // The column titles of a list, the labels of a form.
        state.tab.labels = view ? view.el.find(
            view.view_type == 'tree' ? 'thead th' : 'label')
            .filter(':visible').map(function () {
                return jQuery(this).text().trim(); })
            .get().filter(function (t) { return t; }) : [];
    }
}
return state;
"""


def menu_entries(driver):
    "The menu entries the user sees that have an action, in menu order."
    menus = rpc(driver, 'model.ir.ui.menu.search_read', [], 0, None,
        [['id', 'ASC']], ['complete_name', 'action'])
    return [m for m in menus if m['action']]


def state(driver):
    return driver.execute_script(STATE_JS)


def page_errors(driver):
    return [e['message'] for e in driver.get_log('browser')
        if e['level'] == 'SEVERE'
        and not any(p in e['message'].split(' ', 1)[0] for p in OPTIONAL)]


def wait_idle(driver, baseline, errors, timeout=ENTRY_TIMEOUT):
    """Waits until no request of sao is pending (twice in a row) and
    returns the state; None when the page stayed busy or wrote an error to
    the console (kept in errors: sao never ends a request whose answer
    made it throw)."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while time.monotonic() < deadline:
        errors.extend(page_errors(driver))
        if errors:
            return None
        current = state(driver)
        if current['ajax'] <= baseline:
            quiet += 1
            if quiet == 2:
                return current
        else:
            quiet = 0
        time.sleep(0.1)
    return None


def dialog_errors(current):
    return ['%s: %s' % (d['class'], d['text']) for d in current['dialogs']
        if any(c[1:] in d['class'].split() for c in ERROR_DIALOGS)]


class Sweep:
    "Opens the menu entries of one role and keeps what went wrong."

    def __init__(self, driver, role):
        self.driver = driver
        self.role = role
        self.failures = []
        self.opened = 0
        self.kinds = {}
        self.shots = []

    def fail(self, menu, what):
        print("FAIL", self.role, menu["complete_name"], what[:300], flush=True)
        self.failures.append('%s: %s: %s' % (self.role, menu['complete_name'],
                what))

    def wait(self, before):
        self.errors = []
        return wait_idle(self.driver, before['ajax'], self.errors)

    def check(self, menu, step, current):
        """Records the failures of the step; returns False when the page
        must be reloaded."""
        self.errors.extend(page_errors(self.driver))
        for message in self.errors:
            self.fail(menu, '%s: console: %s' % (step, message))
        if current is None:
            if not self.errors:
                self.fail(menu, '%s never finished loading (%s)' % (
                        step, json.dumps(state(self.driver),
                            ensure_ascii=False)[:600]))
            return False
        messages = dialog_errors(current)
        for message in messages:
            self.fail(menu, '%s: dialog: %s' % (step, message))
        return not (self.errors or messages)

    def check_labels(self, menu, tab):
        "Partak's own labels are Persian."
        if not tab['model'].startswith('partak.'):
            return
        # A RADIUS attribute may follow its Persian name in brackets.
        english = [t for t in tab['labels']
            if set(LATIN.findall(re.sub(r'\([^)]*\)', '', t))) - LATIN_OK]
        if english:
            self.fail(menu, '%s %s: labels not in Persian: %s' % (
                    tab['model'], tab['view'], english))

    def open(self, menu):
        driver = self.driver
        driver.get_log('browser')
        before = state(driver)
        driver.execute_script(
            "Sao.Action.exec_keyword('tree_open', {model: 'ir.ui.menu', "
            "id: arguments[0], ids: [arguments[0]]}, null, false);",
            menu['id'])
        current = self.wait(before)
        # A wizard's dialog shows a moment after its first answer.
        deadline = time.monotonic() + 5
        while (current and not current['dialogs']
                and current['tabs'] <= before['tabs']
                and time.monotonic() < deadline):
            time.sleep(0.2)
            current = self.wait(before)
        if not self.check(menu, 'open', current):
            return False
        self.opened += 1
        wizards = [d for d in current['dialogs']
            if 'wizard-dialog' in d['class'].split()]
        if wizards:
            self.kinds['wizard'] = self.kinds.get('wizard', 0) + 1
            return self.cancel_wizard(menu, before)
        tab = current['tab']
        if ((current['tabs'] <= before['tabs'] or not tab)
                and menu['action'].startswith('ir.action.wizard,')):
            # A wizard without a form runs to its end (Tryton's «Create
            # Invoices Deferred Moves»): its errors were checked above.
            self.kinds['wizard run'] = self.kinds.get('wizard run', 0) + 1
            return True
        if current['tabs'] <= before['tabs'] or not tab:
            self.fail(menu, 'nothing opened (%s)' % json.dumps(current,
                    ensure_ascii=False)[:400])
            return True
        if tab['kind'] == 'tab-wizard':
            self.kinds['wizard'] = self.kinds.get('wizard', 0) + 1
            return self.cancel_wizard(menu, before)
        self.kinds[tab['view']] = self.kinds.get(tab['view'], 0) + 1
        if not tab['shown']:
            self.fail(menu, 'the %s view is not shown (%s)' % (
                    tab['view'], json.dumps(tab, ensure_ascii=False)))
            return False
        self.check_labels(menu, tab)
        if tab['view'] == 'tree' and tab['records'] and not tab['rows']:
            # sao draws the rows once the records are read.
            try:
                wait(driver, 5).until(lambda d: state(d)['tab']['rows'])
            except TimeoutException:
                self.fail(menu, '%d records but no row shown' % (
                        tab['records']))
        shoot = tab['model'] in SHOTS.get(self.role, [])
        if shoot:
            self.photograph(tab['model'], 'list')
        if tab['view'] == 'tree' and tab['records'] and tab['form']:
            if not self.open_first(menu, before, shoot):
                return False
        elif tab['view'] == 'tree' and tab['records']:
            self.kinds['list only'] = self.kinds.get('list only', 0) + 1
        return self.close_tab(menu, before)

    def open_first(self, menu, before, shoot):
        """Activates the list's first record as a double click does: its
        form, or the action of a tree that opens one (a chart of accounts,
        a ledger), which comes in a new tab."""
        driver = self.driver
        opened = state(driver)
        driver.execute_script("""
            var screen = Sao.Tab.tabs.get_current().screen;
            screen.current_record = screen.group[0];
            screen.row_activate();""")
        current = self.wait(before)
        # The action of a tree that opens one is read first.
        deadline = time.monotonic() + 5
        while (current and current['tab']['view'] == 'tree'
                and current['tabs'] <= opened['tabs']
                and not current['dialogs']
                and time.monotonic() < deadline):
            time.sleep(0.2)
            current = self.wait(before)
        if not self.check(menu, 'form', current):
            return False
        tab = current['tab']
        if any('selection-dialog' in d['class'].split()
                for d in current['dialogs']):
            # The tree opens several actions: sao asks which one; the
            # first is taken.
            driver.execute_script(
                "jQuery('.selection-dialog:visible .btn-primary').click();")
            current = self.wait(before)
            deadline = time.monotonic() + 5
            while (current and current['tabs'] <= opened['tabs']
                    and time.monotonic() < deadline):
                time.sleep(0.2)
                current = self.wait(before)
            if not self.check(menu, 'form', current):
                return False
            tab = current['tab']
        if current['tabs'] > opened['tabs']:
            if not tab['shown']:
                self.fail(menu, 'the opened record is not shown (%s)' % (
                        json.dumps(tab, ensure_ascii=False)))
                return False
            self.check_labels(menu, tab)
            return self.close_tab(menu, opened)
        if tab['view'] != 'form' or not tab['shown']:
            self.fail(menu, 'the first record has no form (%s)' % json.dumps(
                    tab, ensure_ascii=False))
            return True
        self.check_labels(menu, tab)
        if shoot:
            self.photograph(tab['model'], 'form')
        return True

    def cancel_wizard(self, menu, before):
        driver = self.driver
        buttons = driver.find_elements(By.CSS_SELECTOR,
            '.wizard-dialog .modal-footer .btn-link, '
            '.tab-wizard .modal-footer .btn-link, '
            '.wizard-form .modal-footer .btn-link')
        visible = [b for b in buttons if b.is_displayed()]
        if visible:
            # A click in the page: the dialog may still be sliding in.
            driver.execute_script('arguments[0].click();', visible[0])
        else:
            # Escape, which sao answers with the wizard's end state.
            driver.execute_script("jQuery('.wizard-dialog:visible')"
                ".trigger(jQuery.Event('keydown', {which: 27}));")
        current = self.wait(before)
        if not self.check(menu, 'cancel', current):
            return False

        def ended(d):
            return not [e for e in
                    d.find_elements(By.CSS_SELECTOR, '.wizard-dialog')
                    if e.is_displayed()] and d.execute_script(
                'return Sao.Tab.tabs.length') <= before['tabs']
        try:
            try:
                wait(driver, 10).until(ended)
            except TimeoutException:
                # A wizard whose only way out is a button of its end
                # state («بستن», Close), or Escape sent while the dialog
                # was still sliding in: the button that ends it.
                driver.execute_script("""
                    var labels = ['بستن', 'بسته', 'انصراف', 'لغو',
                        'Close', 'Cancel'];
                    jQuery('.wizard-dialog:visible .modal-footer button')
                        .filter(function () {
                            return labels.indexOf(
                                jQuery(this).text().trim()) >= 0; })
                        .last().click();""")
                wait(driver, 10).until(ended)
        except TimeoutException:
            self.fail(menu, 'the wizard did not end on cancel (%s)' % (
                    json.dumps(state(driver), ensure_ascii=False)[:400]))
            return False
        return True

    def close_tab(self, menu, before):
        self.driver.execute_script('Sao.Tab.tabs.get_current().close();')
        current = self.wait(before)
        return self.check(menu, 'close', current) and (
            current['tabs'] == before['tabs'])

    def photograph(self, model, what):
        name = 'backoffice_%s_%s_%s' % (self.role, model.replace('.', '_'),
            what)
        if name in self.shots:
            return
        photograph_tab(self.driver, name)
        self.shots.append(name)


def photograph_tab(driver, name):
    "The current tab of sao at desktop and phone width (name-desktop/-phone)."
    screenshot(driver, name + '-desktop', DESKTOP)
    # On a phone sao shows the tab instead of the menu once a tab is open
    # (index.html); the viewport was a desktop's when it opened.
    driver.execute_script("jQuery('#menu').addClass('hidden');"
        "jQuery('#tabs').removeClass('hidden-xs');")
    screenshot(driver, name + '-phone', PHONE, full=False, mobile=False)
    driver.execute_script("jQuery('#menu').removeClass('hidden');")


def reload(driver, portal):
    "A fresh page on the same session, after an entry that broke sao."
    page = driver.find_element(By.TAG_NAME, 'html')
    # The hash keeps the database: sao takes up the session it stored.
    driver.execute_script('window.onbeforeunload = null;'
        'location.hash = "#" + arguments[0]; location.reload();',
        portal.database)
    wait(driver, 60).until(EC.staleness_of(page))
    wait(driver, 60).until(lambda d: d.execute_script(
            'return !!(window.Sao && Sao.main_menu_screen)'
            ' && jQuery.active == 0'))
    driver.get_log('browser')


@pytest.mark.parametrize('role', list(ROLES))
def test_every_menu_entry_opens(portal, browser, role):
    driver = browser()
    sao_login(driver, portal, role, ROLES[role])
    html = driver.find_element(By.TAG_NAME, 'html')
    assert html.get_attribute('dir') == 'rtl'
    assert html.get_attribute('lang') == 'fa'
    assert page_errors(driver) == []
    screenshot(driver, 'backoffice_%s_menu-desktop' % role, DESKTOP)
    screenshot(driver, 'backoffice_%s_menu-phone' % role, PHONE)

    entries = menu_entries(driver)
    assert entries, 'no menu entry for %s' % role
    sweep = Sweep(driver, role)
    for menu in entries:
        if not sweep.open(menu):
            reload(driver, portal)
    print('[backoffice %s] %d of %d menu entries opened %s, %d failures'
        % (role, sweep.opened, len(entries), sweep.kinds,
            len(sweep.failures)))
    assert sweep.failures == []
    assert sweep.opened == len(entries)


def test_date_times_in_tehran_time(portal, browser):
    """A line's status history as the list shows it: the date and the time
    of the change in Tehran, from the UTC value the server keeps."""
    driver = browser()
    sao_login(driver, portal, 'admin', ROLES['admin'])
    line, = rpc(driver, 'model.partak.line.search', [['phone', '=',
                '1132455123']], 0, 1, None)
    # sao turns a date-time into a moment: its UTC ISO text is passed on.
    dates = driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        Sao.rpc({method: 'model.partak.line.status.history.search_read',
                params: [[['line', '=', arguments[0]]], 0, null,
                    [['date', 'ASC'], ['id', 'ASC']], ['date'], {}]},
            Sao.Session.current_session, true, false).then(
            function (rows) { done(rows.map(function (r) {
                return r.date.toISOString(); })); });
        """, line)
    stored = [datetime.datetime.fromisoformat(d.replace('Z', '+00:00'))
        for d in dates]
    before = state(driver)
    driver.execute_script("""
        Sao.Tab.create({model: 'partak.line.status.history',
            name: 'history', mode: ['tree', 'form'],
            domain: [['line', '=', arguments[0]]],
            search_value: [], context: {}});""", line)
    current = wait_idle(driver, before['ajax'], [])
    assert current and current['tab']['view'] == 'tree', current
    headers = [th.text for th in driver.find_elements(By.CSS_SELECTOR,
            '.tab-pane.active .treeview thead th') if th.text]
    # Each row's date and time cells, in Latin digits.
    shown = set()
    for row in driver.find_elements(By.CSS_SELECTOR,
            '.tab-pane.active .treeview tbody tr'):
        cells = [td.text.translate(DIGITS) for td in
            row.find_elements(By.TAG_NAME, 'td')]
        shown.add(' '.join(c for c in cells if re.fullmatch(
                    r'\d{4}/\d\d/\d\d|\d\d:\d\d:\d\d', c)))
    # In Tehran time, on the Jalali calendar (backoffice/jalali.js).
    fmt = '%Y/%m/%d %H:%M:%S'
    assert shown == {jdatetime.datetime.fromgregorian(
                datetime=d.astimezone(TEHRAN)).strftime(fmt)
            for d in stored}, (shown, stored)
    assert not shown & {d.astimezone(TEHRAN).strftime(fmt) for d in stored}
    assert 'ساعت' in headers, headers
    assert page_errors(driver) == []


def test_jalali_dates_typed_and_shown(portal, browser):
    """Staff type and read Jalali dates (Persian or Latin digits); a
    Gregorian year is still understood; what goes to trytond is the
    Gregorian date."""
    driver = browser()
    sao_login(driver, portal, 'accountant', ROLES['accountant'])
    result = driver.execute_script("""
        var c = Sao.common, f = '%Y/%m/%d', iso = function (d) {
            return d ? d.clone().locale('en').format('YYYY-MM-DD HH:mm:ss')
                : null; };
        return {
            shown: c.format_date(f, Sao.Date(2026, 11, 2)),
            shown_time: c.format_datetime(f + ' %H:%M:%S',
                Sao.DateTime(2026, 2, 21, 8, 5, 0)),
            persian: iso(c.parse_date(f, '۱۴۰۵/۰۹/۱۱')),
            latin: iso(c.parse_date(f, '1405/9/11')),
            gregorian: iso(c.parse_date(f, '2026/12/02')),
            leap: iso(c.parse_date(f, '1403/12/30')),
            not_leap: iso(c.parse_date(f, '1405/12/30')),
            bad: iso(c.parse_date(f, '1405/13/01')),
            datetime: iso(c.parse_datetime(f + ' %H:%M:%S',
                '۱۴۰۴/۱۲/۲۹ ۲۳:۵۹:۰۰')),
            date_only: iso(c.parse_datetime(f + ' %H:%M:%S', '1405/01/01')),
            // what a field's date_format() gives: moment's tokens
            moment_shown: c.format_date('YYYY/MM/DD', Sao.Date(2026, 11, 2)),
            moment_parsed: iso(c.parse_date('YYYY/MM/DD', '۱۴۰۵/۰۹/۱۱')),
        };""")
    assert result == {
        'shown': '۱۴۰۵/۰۹/۱۱',
        'shown_time': '۱۴۰۵/۰۱/۰۱ ۰۸:۰۵:۰۰',
        'persian': '2026-12-02 00:00:00',
        'latin': '2026-12-02 00:00:00',
        'gregorian': '2026-12-02 00:00:00',
        'leap': '2025-03-20 00:00:00',
        'not_leap': None,
        'bad': None,
        'datetime': '2026-03-20 23:59:00',
        'date_only': '2026-03-21 00:00:00',
        'moment_shown': '۱۴۰۵/۰۹/۱۱',
        'moment_parsed': '2026-12-02 00:00:00',
        }, result
    assert page_errors(driver) == []


def open_link(driver, portal, fragment, errors, view='tree'):
    """Opens fragment (after #database/) as a link to sao does, in a new
    tab: the tab's state once its view is shown and its records read."""
    before = state(driver)
    driver.execute_script('location.hash = arguments[0];',
        '#%s/%s' % (portal.database, fragment))

    def shown(driver):
        current = state(driver)
        tab = current['tab']
        return bool(current['tabs'] > before['tabs'] and tab
            and tab['shown']
            and tab['view'] == view and (view != 'tree'
                or tab['rows'] or not tab['records']))
    wait(driver).until(shown)
    current = wait_idle(driver, before['ajax'], errors)
    assert current and shown(driver), (errors, current)
    return current['tab']


def model_link(model, domain, res_id=None):
    "sao's URL of model's records in domain (its form for res_id)."
    return 'model/%s%s;domain=%s' % (model,
        '/%d' % res_id if res_id else '',
        urllib.parse.quote(json.dumps(domain)))


def shown_rows(driver):
    "The cells of the current list's rows, as shown."
    return [[td.text for td in row.find_elements(By.TAG_NAME, 'td')]
        for row in driver.find_elements(By.CSS_SELECTOR,
            '.tab-pane.active .treeview tbody tr')]


def rials(text):
    "A number as sao shows it (Persian digits, grouped) in Latin digits."
    return re.sub(r'[,٬\s\u200e\u200f]|ریال', '',
        text.translate(DIGITS).replace('−', '-'))


def test_accountant_reads_a_subscribers_books(portal, browser):
    """The accountant opens, from links to sao, the books of مریم احمدی,
    who bought her service online (scripts/demo_data.py,
    load_online_purchase): her customer invoice posted and paid with its
    total in Rials, her bank payment paid, her wallet statement, and the
    deposit balance on her form, each as trytond has them."""
    driver = browser()
    sao_login(driver, portal, 'accountant', ROLES['accountant'])
    party, = rpc(driver, 'model.party.party.search_read',
        [['name', '=', 'مریم احمدی']], 0, None, None,
        ['wallet_balance'])
    errors = []

    def labels(model, field):
        "The Persian labels of a selection field."
        return dict(rpc(driver, 'model.%s.fields_get' % model,
                [field])[field]['selection'])

    # (1) Her customer invoices: a purchase posted and paid, in Rials.
    invoices = rpc(driver, 'model.account.invoice.search_read',
        [['party', '=', party['id']], ['type', '=', 'out']], 0, None,
        [['id', 'ASC']], ['number', 'state', 'total_amount',
            'currency.code'])
    assert [i['state'] for i in invoices] == ['paid'], invoices
    invoice, = invoices
    assert invoice['currency.']['code'] == 'IRR'
    tab = open_link(driver, portal, model_link('account.invoice', [
                ['party', '=', party['id']], ['type', '=', 'out']]), errors)
    assert (tab['model'], tab['view'], tab['records']) == (
        'account.invoice', 'tree', 1), tab
    driver.save_screenshot('/tmp/acct_invoices.png')
    row, = shown_rows(driver)
    paid = labels('account.invoice', 'state')['paid']
    assert paid == 'پرداخت شده' and paid in row, row
    assert invoice['number'] in [c.translate(DIGITS) for c in row], row
    # The total is the order's (integers; sao's Decimal does not reach
    # the test).
    order, = rpc(driver, 'model.partak.order.search_read',
        [['invoice', '=', invoice['id']]], 0, None, None,
        ['price', 'vat', 'fee', 'wallet_used', 'payable'])
    total = order['price'] + order['vat'] + order['fee']
    assert total == 381_500
    # In Persian digits, with the currency's symbol.
    assert [c for c in row if rials(c) == str(total) and 'ریال' in c
        and c != c.translate(DIGITS)], row

    # (2) Her bank payment: paid, the rest after the wallet's part.
    payments = rpc(driver, 'model.partak.payment.search_read',
        [['party', '=', party['id']]], 0, None, [['id', 'ASC']],
        ['state', 'amount', 'reference', 'outcome'])
    assert [(p['state'], p['outcome']) for p in payments] == [
        ('paid', 'applied')], payments
    payment, = payments
    tab = open_link(driver, portal, model_link('partak.payment', [
                ['party', '=', party['id']]]), errors)
    assert (tab['model'], tab['view'], tab['records']) == (
        'partak.payment', 'tree', 1), tab
    row, = shown_rows(driver)
    assert labels('partak.payment', 'state')['paid'] in row, row
    assert payment['reference'] in [c.translate(DIGITS) for c in row], row
    assert [c for c in row if rials(c) == str(payment['amount'])], row

    # (3) Her wallet statement: the staff credit and the purchase that
    # used it; the balance on her form is the deposit in the books.
    moves = rpc(driver, 'model.partak.wallet.move.search_read',
        [['party', '=', party['id']]], 0, None, [['id', 'ASC']],
        ['amount', 'reason'])
    assert [(m['reason'], m['amount']) for m in moves] == [
        ('adjustment', 100_000), ('purchase', -100_000)], moves
    assert payment['amount'] == order['payable'] == total - 100_000
    assert order['wallet_used'] == 100_000
    tab = open_link(driver, portal, model_link('partak.wallet.move', [
                ['party', '=', party['id']]]), errors)
    assert (tab['model'], tab['view'], tab['records']) == (
        'partak.wallet.move', 'tree', 2), tab
    reasons = labels('partak.wallet.move', 'reason')
    # Each row's reason and amount (the grouped figure: not the order).
    shown = sorted((reason, int(rials(cell))) for row in shown_rows(driver)
        for reason, label in reasons.items() if label in row
        for cell in row if re.fullmatch(r'-?\d{1,3}([,٬]\d{3})+',
            cell.translate(DIGITS).replace('−', '-')))
    assert shown == sorted((m['reason'], m['amount']) for m in moves), (
        shown, shown_rows(driver))
    balance = sum(m['amount'] for m in moves)
    assert party['wallet_balance'] == balance == 0
    tab = open_link(driver, portal, model_link('party.party', [],
            res_id=party['id']), errors, view='form')
    assert (tab['model'], tab['view']) == ('party.party', 'form'), tab
    values = driver.execute_script("""
        var widgets = Sao.Tab.tabs.get_current().screen.current_view.widgets;
        return ['wallet_balance', 'deposit'].map(function (name) {
            return widgets[name][0].el.find('input').addBack('input')
                .val(); });""")
    assert [rials(v) for v in values] == [str(balance)] * 2, values
    assert errors == []
    assert page_errors(driver) == []


def test_accountant_reports_of_the_demo(portal, browser):
    """The accountant's reports of this season on the demo's month of
    business (scripts/demo_data.py): the day's bank payments all settled
    with the fee of the file, the settlement row that matched nothing,
    حسین رحیمی's unpaid bill in the ageing with his dunning level, the
    wallets as the deposit, the staff refund with its reason; each list
    shown in sao, and the payments exported to a right-to-left XLSX."""
    import base64
    import io

    from openpyxl import load_workbook

    driver = browser()
    sao_login(driver, portal, 'accountant', ROLES['accountant'])
    errors = []

    def number(value):
        "An amount as trytond's JSON sends it (Decimal as a dict)."
        return int(float(value or 0))

    def read(model, fields):
        return rpc(driver, 'model.%s.search_read' % model, [], 0, None,
            None, fields, plain=True)

    # Payments by gateway and day: what the bank verified is what the
    # settlement file paid, every payment settled, the file's fee.
    paid = rpc(driver, 'model.partak.payment.search_read',
        [['state', '=', 'paid']], 0, None, None, ['amount', 'gateway'],
        plain=True)
    rows = read('partak.report.payment', ['count', 'amount', 'fee',
            'settled_count', 'unsettled_amount', 'gateway'])
    assert sum(r['count'] for r in rows) == len(paid) > 0, rows
    assert sum(number(r['amount']) for r in rows) == sum(
        p['amount'] for p in paid)
    assert sum(r['settled_count'] for r in rows) == len(paid)
    assert sum(number(r['unsettled_amount']) for r in rows) == 0
    assert sum(number(r['fee']) for r in rows) == 4500
    unmatched = read('partak.report.unmatched', ['reference', 'amount'])
    assert [(u['reference'], number(u['amount'])) for u in unmatched] == [
        ('DEMO-UNKNOWN-1', 250_000)], unmatched

    # Ageing: the late payer's bill, overdue, at the collection level.
    late, = rpc(driver, 'model.party.party.search_read',
        [['name', '=', 'حسین رحیمی']], 0, None, None, ['id'])
    bill, = rpc(driver, 'model.account.invoice.search_read',
        [['party', '=', late['id']], ['state', '=', 'posted']], 0, None,
        None, ['total_amount'], plain=True)
    ageing = read('partak.report.ageing', ['party', 'current', 'days_30',
            'total', 'dunning_level.name'])
    row, = [a for a in ageing if a['party'] == late['id']]
    assert number(row['total']) == number(row['days_30']) == number(
        bill['total_amount']) > 0, (row, bill)
    assert 'جمع آوری' in row['dunning_level.']['name'], row

    # Wallets: each subscriber's balance; the refund's 100,000 among them.
    wallets = read('partak.report.wallet', ['party', 'balance'])
    parties = rpc(driver, 'model.party.party.read',
        [w['party'] for w in wallets], ['name', 'wallet_balance'],
        plain=True)
    assert sorted(number(w['balance']) for w in wallets) == sorted(
        number(p['wallet_balance']) for p in parties), (wallets, parties)
    adjustments = read('partak.report.adjustment', ['reason', 'amount',
            'note', 'user'])
    assert [(number(a['amount']), a['note']) for a in adjustments
        if a['reason'] == 'refund'] == [
        (100_000, 'جبران قطعی سه‌روزه سرویس')], adjustments
    accountant, = rpc(driver, 'model.res.user.search',
        [['login', '=', 'accountant']], 0, None, None)
    assert [a['user'] for a in adjustments if a['reason'] == 'refund'] == [
        accountant], adjustments

    # In sao: each list with its rows, in Persian digits.
    for model, count in [('partak.report.payment', len(rows)),
            ('partak.report.unmatched', 1),
            ('partak.report.ageing', len(ageing)),
            ('partak.report.wallet', len(wallets)),
            ('partak.report.adjustment', len(adjustments))]:
        tab = open_link(driver, portal, model_link(model, []), errors)
        assert (tab['model'], tab['records']) == (model, count), tab
        shown = shown_rows(driver)
        assert len(shown) == count and any(
            c != c.translate(DIGITS) for r in shown for c in r), shown
        photograph_tab(driver,
            'backoffice_accountant_%s' % model.replace('.', '_'))

    # The XLSX of the payments: right to left, Persian headers, numbers.
    extension, content, _, title = rpc(driver,
        'report.partak.report.xlsx.execute', [], {
            'model': 'partak.report.payment'}, plain=True)
    assert extension == 'xlsx'
    data = base64.b64decode(content['base64'])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.sheet_view.rightToLeft is True
    headers = [c.value for c in sheet[3]]
    assert 'تاریخ' in headers, headers
    amounts = [sheet.cell(row=4 + i, column=headers.index('مبلغ') + 1).value
        for i in range(len(rows))]
    assert sorted(amounts) == sorted(number(r['amount']) for r in rows)
    assert all(isinstance(a, int) for a in amounts), amounts
    assert errors == []
    assert page_errors(driver) == []
