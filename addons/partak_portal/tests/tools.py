# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the portal's HTTP tests share: the portal serves the test database,
each test starts without login throttling, and the helpers log in as a
browser does (CSRF token from the form, then the session cookie)."""
import re

from trytond.config import config
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

PASSWORD = 'secret-pass-1'


class PortalRouteTestCase(RouteTestCase):
    "Base of the portal's HTTP tests (no tests of its own)"
    module = 'partak_portal'
    language = 'fa'

    @classmethod
    def setUpClass(cls):
        if not config.has_section('partak'):
            config.add_section('partak')
        config.set('partak', 'portal_database', DB_NAME)
        # The demo's sandbox bank: the tests switch the fake banks on.
        config.set('partak', 'test_banks', 'True')
        config.set('session', 'web_timeout', '3600')
        super().setUpClass()

    def setUp(self):
        super().setUp()
        # Each test starts with no throttle rows, whatever ran before.
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            for name in ('partak.portal.ip_block',
                    'partak.portal.login_failure'):
                Model = pool.get(name)
                Model.delete(Model.search([]))
            transaction.commit()

    def csrf(self, client, path='/portal/login'):
        page = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self, client, login='1132455123', password=PASSWORD,
            ip='10.0.0.1'):
        token = self.csrf(client)
        return client.post('/portal/login', data={
                'csrf_token': token, 'login': login, 'password': password},
            environ_overrides={'REMOTE_ADDR': ip})

    def logged_in(self, login='1132455123'):
        client = self.client()
        response = self.login(client, login=login)
        self.assertEqual(response.status_code, 302)
        return client
