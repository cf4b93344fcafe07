# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The defects of the outside review on the portal (issue 11): the login
limit per address and per account, control characters, the Persian error
pages, sessions after a password change, cookies, the client address and
the cache of private pages."""
import io
import re

from werkzeug.test import Client

from trytond.config import config
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction
from trytond.wsgi import NumProxyFix, app

from .. import routes
from . import tools
from . import test_portal
from .test_portal import MOBILE, NATIONAL_CODE
from .tools import PASSWORD

KAMAL, OTHER = '1132455123', '32239700'
PERSIAN_CONTROL = 'نویسه‌های غیرمجاز'


@routes.route('/test-unexpected-error', login=False)
def unexpected_error(visit):
    "Only in the tests: a page that fails as a bug would."
    raise RuntimeError('a bug of a portal page')


class HardeningTestCase(tools.PortalRouteTestCase):
    "Portal hardening (issue 11)"

    # The world of test_portal (imported as a module: its tests run there).
    setUpDatabase = test_portal.PortalTestCase.__dict__['setUpDatabase']

    def failures(self):
        with Transaction().start(DB_NAME, 0):
            Failure = Pool().get('partak.portal.login_failure')
            return [(f.ip_address, f.login) for f in Failure.search([])]

    # -- login limit ---------------------------------------------------------

    def test_success_does_not_reset_the_address(self):
        "wrong, wrong, right (another account), wrong: the address is blocked"
        client, ip = self.client(), '10.1.0.1'
        for _ in range(2):
            self.assertEqual(self.login(client, KAMAL, 'bad', ip=ip)
                .status_code, 401)
        self.assertEqual(self.login(self.client(), OTHER, ip=ip)
            .status_code, 302)
        self.assertEqual(self.login(client, KAMAL, 'bad', ip=ip)
            .status_code, 429)
        self.assertEqual(self.login(self.client(), OTHER, ip=ip)
            .status_code, 429)

    def test_limit_per_account(self):
        "Failures of one account from many addresses block that account"
        for i in range(5):
            self.assertEqual(self.login(self.client(), KAMAL, 'bad',
                    ip='10.2.0.%d' % i).status_code, 401 if i < 4 else 429)
        # Blocked from a new address, with the right password, whatever
        # form of the login is typed; another account is not.
        for login in (KAMAL, '0' + KAMAL, '۱۱۳۲۴۵۵۱۲۳'):
            response = self.login(self.client(), login, ip='10.2.1.1')
            self.assertEqual(response.status_code, 429, login)
            self.assertIn('دوباره', response.get_data(as_text=True))
        self.assertEqual(self.login(self.client(), OTHER, ip='10.2.1.1')
            .status_code, 302)
        # An unknown login is throttled alike: nothing tells it apart.
        answers = [self.login(self.client(), '999999', 'bad',
                ip='10.2.2.%d' % i).status_code for i in range(6)]
        self.assertEqual(answers, [401] * 4 + [429] * 2)

    def test_success_keeps_other_accounts_failures(self):
        "A success forgets only its own account's failures at that address"
        config.set('partak', 'login_max_failures', '100')
        try:
            for i in range(4):
                self.login(self.client(), KAMAL, 'bad', ip='10.3.0.%d' % i)
            self.assertEqual(self.login(self.client(), OTHER, ip='10.3.0.0')
                .status_code, 302)
            self.assertEqual(len(self.failures()), 4)
            self.assertEqual(self.login(self.client(), KAMAL, 'bad',
                    ip='10.3.0.9').status_code, 429)
        finally:
            config.set('partak', 'login_max_failures', '3')

    def test_limit_per_account_configurable(self):
        "[partak] login_account_max_failures"
        config.set('partak', 'login_account_max_failures', '2')
        try:
            self.assertEqual(self.login(self.client(), KAMAL, 'bad',
                    ip='10.4.0.1').status_code, 401)
            self.assertEqual(self.login(self.client(), KAMAL, 'bad',
                    ip='10.4.0.2').status_code, 429)
        finally:
            config.set('partak', 'login_account_max_failures', '5')

    def test_forgot_counts_per_account(self):
        "Wrong answers to the reset form count against the account asked"
        statuses = []
        for i in range(6):
            client = self.client()
            token = self.csrf(client, '/portal/forgot')
            page = client.post('/portal/forgot', data={'csrf_token': token,
                    'username': KAMAL, 'national_code': NATIONAL_CODE,
                    'mobile': '09120000000'},
                environ_overrides={'REMOTE_ADDR': '10.5.0.%d' % i})
            statuses.append('alert-danger' in page.get_data(as_text=True))
        self.assertEqual(statuses, [False] * 4 + [True] * 2)

    # -- control characters --------------------------------------------------

    def assert_refused(self, response, what):
        self.assertEqual(response.status_code, 400, what)
        page = response.get_data(as_text=True)
        self.assertIn(PERSIAN_CONTROL, page, what)
        self.assertIn('dir="rtl"', page, what)

    def test_control_characters_before_login(self):
        "A NUL in the login form is a Persian 400, not a 500"
        client = self.client()
        token = self.csrf(client)
        for data in ({'login': 'ab\x00c', 'password': 'x'},
                {'login': KAMAL, 'password': 'x\x00'},
                {'login': 'ab\x1bc', 'password': 'x'}):
            data['csrf_token'] = token
            self.assert_refused(client.post('/portal/login', data=data,
                    environ_overrides={'REMOTE_ADDR': '10.6.0.1'}), data)
        token = self.csrf(client, '/portal/forgot')
        self.assert_refused(client.post('/portal/forgot', data={
                    'csrf_token': token, 'username': KAMAL,
                    'national_code': '\x00', 'mobile': MOBILE}), 'forgot')
        # Refused before anything was counted or stored.
        self.assertEqual(self.failures(), [])
        self.assert_refused(client.get('/portal/login?next=%00'), 'query')
        client.set_cookie('partak_session', 'a\x00b', path='/portal')
        self.assert_refused(client.get('/portal/'), 'cookie')

    def test_control_characters_logged_in(self):
        "Profile, ticket, order path: refused; a textarea keeps its lines"
        client = self.logged_in()
        token = self.csrf(client, '/portal/profile')
        form = {'csrf_token': token, 'name': 'کمال\x00نصیری',
            'mobile': MOBILE, 'national_code': NATIONAL_CODE,
            'postal_code': '', 'education': '', 'birth_date': '',
            'street': 'ساری'}
        self.assert_refused(client.post('/portal/profile', data=form),
            'profile')
        # Tab and line breaks: refused in a one-line field...
        form['name'] = 'کمال\tنصیری'
        self.assert_refused(client.post('/portal/profile', data=form),
            'tab in a name')
        # ... allowed in a textarea (the street), NUL never.
        form['name'] = 'کمال نصیری'
        form['street'] = 'ساری\r\nخیابان فرهنگ، پلاک ۱'
        page = client.post('/portal/profile', data=form).get_data(
            as_text=True)
        self.assertIn('alert-success', page, page[page.find('<main'):])
        form['street'] = 'ساری\x00'
        self.assert_refused(client.post('/portal/profile', data=form),
            'street')
        with Transaction().start(DB_NAME, 0):
            Party = Pool().get('party.party')
            party, = Party.search([('name', '=', 'کمال نصیری')])
            self.assertEqual(party.addresses[0].street,
                'ساری\r\nخیابان فرهنگ، پلاک 1')

        token = self.csrf(client, '/portal/support/new')
        self.assert_refused(client.post('/portal/support/new', data={
                    'csrf_token': token, 'title': 'قطعی\x00',
                    'body': 'متن', 'department': '1', 'priority': '1'}),
            'ticket title')
        self.assert_refused(client.get('/portal/order/%00'), 'order path')
        self.assert_refused(client.get('/portal/support/%00'), 'ticket path')
        # A file name too (an upload is read as a form).
        response = client.post('/portal/documents/upload', data={
                'type': 'lease', 'file': (io.BytesIO(b'x'), 'a\x00.jpg')},
            headers={'X-CSRF-Token': token, 'Accept': 'application/json'})
        self.assertEqual(response.status_code, 400)
        self.assertIn(PERSIAN_CONTROL, response.json['message'])

    # -- error pages -----------------------------------------------------------

    def assert_persian_page(self, response, status):
        self.assertEqual(response.status_code, status)
        self.assertTrue(response.content_type.startswith('text/html'))
        page = response.get_data(as_text=True)
        self.assertIn('dir="rtl"', page)
        self.assertIn('data-status="%d"' % status, page)
        self.assertIn('portal.css', page)
        self.assertNotIn('<title>%d' % status, page)  # werkzeug's own page
        self.assertTrue(re.search('[\u0600-\u06ff]{3}', page))
        return page

    def test_error_pages_are_persian(self):
        "404, 405, 413 and 500 under /portal answer the portal's page"
        client = self.client()
        self.assert_persian_page(client.get('/portal/no-such-page'), 404)
        response = client.get('/portal/logout')
        self.assert_persian_page(response, 405)
        self.assertIn('POST', response.headers['Allow'])
        logged = self.logged_in()
        self.assert_persian_page(logged.get('/portal/order/NO-SUCH'), 404)
        self.assert_persian_page(
            logged.get('/portal/payment/return/999999'), 404)
        saved = config.get('request', 'max_size')
        config.set('request', 'max_size', '2000')
        try:
            token = self.csrf(client)
            self.assert_persian_page(client.post('/portal/login', data={
                        'csrf_token': token, 'login': 'x' * 5000,
                        'password': 'x'}), 413)
        finally:
            config.set('request', 'max_size', saved)
        with self.assertLogs(level='ERROR') as logs:
            self.assert_persian_page(
                client.get('/portal/test-unexpected-error'), 500)
        record, = logs.records
        self.assertTrue(record.name.endswith('partak_portal.errors'))
        self.assertIs(record.exc_info[0], RuntimeError)
        self.assertIn('a bug of a portal page', logs.output[0])

    def test_error_json_for_scripts(self):
        "The page's scripts get the Persian message as JSON"
        response = self.client().get('/portal/no-such-page',
            headers={'Accept': 'application/json'})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(response.json['ok'])
        self.assertIn('پیدا نشد', response.json['message'])

    # -- sessions, cookies, cache ----------------------------------------------

    def test_password_change_ends_other_sessions(self):
        "Changing the panel password logs out the other browsers"
        here, there = self.logged_in(), self.logged_in()
        token = self.csrf(here, '/portal/password')
        try:
            page = here.post('/portal/password', data={'csrf_token': token,
                    'old': PASSWORD, 'new': 'new-pass-123',
                    'repeat': 'new-pass-123'}).get_data(as_text=True)
            self.assertIn('alert-success', page)
            self.assertEqual(here.get('/portal/').status_code, 200)
            self.assertEqual(there.get('/portal/').status_code, 302)
        finally:
            with Transaction().start(DB_NAME, 0) as transaction:
                WebUser = Pool().get('web.user')
                WebUser.write(WebUser.search([]), {
                        'password_hash': WebUser.hash_password(PASSWORD)})
                transaction.commit()

    def set_cookies(self, response):
        return [h for k, h in response.headers.items() if k == 'Set-Cookie']

    def test_cookies_secure_by_default(self):
        "[partak] portal_cookie_secure: on unless turned off"
        client = self.client()
        self.assertTrue(all('Secure' in c for c in self.set_cookies(
                        client.get('/portal/login'))))
        response = self.login(client)
        cookies = self.set_cookies(response)
        self.assertTrue(cookies)
        self.assertTrue(all('Secure' in c for c in cookies), cookies)
        config.set('partak', 'portal_cookie_secure', 'False')
        try:
            cookies = self.set_cookies(self.login(self.client()))
            self.assertTrue(cookies)
            self.assertFalse(any('Secure' in c for c in cookies), cookies)
        finally:
            config.set('partak', 'portal_cookie_secure', 'True')

    def test_forwarded_for_not_trusted(self):
        "X-Forwarded-For is ignored unless [web] num_proxies says otherwise"
        client = self.client()
        for i in range(3):
            token = self.csrf(client)
            response = client.post('/portal/login', data={
                    'csrf_token': token, 'login': KAMAL, 'password': 'bad'},
                headers={'X-Forwarded-For': '192.0.2.%d' % i},
                environ_overrides={'REMOTE_ADDR': '10.7.0.1'})
        self.assertEqual(response.status_code, 429)
        self.assertEqual({ip for ip, _ in self.failures()}, {'10.7.0.1'})

    def test_client_address_behind_proxy(self):
        "With num_proxies = 1 (trytond's ProxyFix) the client's address counts"
        # trytond wraps its app so when [web] num_proxies is set at start.
        client = Client(NumProxyFix(app.wsgi_app, 1), Response)
        token = self.csrf(client)
        client.post('/portal/login', data={'csrf_token': token,
                'login': KAMAL, 'password': 'bad'},
            headers={'X-Forwarded-For': '192.0.2.7'},
            environ_overrides={'REMOTE_ADDR': '10.8.0.1'})
        self.assertEqual([ip for ip, _ in self.failures()], ['192.0.2.7'])

    def test_private_pages_not_cached(self):
        "Logged-in pages (the internet password) send no-store"
        client = self.logged_in()
        for path in ('/portal/account', '/portal/', '/portal/profile',
                '/portal/internet-password'):
            response = client.get(path)
            self.assertEqual(response.status_code, 200, path)
            self.assertIn('no-store',
                response.headers.get('Cache-Control', ''), path)
        self.assertIn('internet-password',
            client.get('/portal/account').get_data(as_text=True))
