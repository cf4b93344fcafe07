# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal through HTTP, as a browser talks to it: forms with their CSRF
token, cookies, redirects, and the answers a subscriber reads."""
import datetime
import io
import re

from PIL import Image

from trytond.config import config
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from . import tools
from .tools import PASSWORD

NATIONAL_CODE = '2080452517'
MOBILE = '09111234567'


def image_bytes(size=(800, 600), fmt='JPEG'):
    out = io.BytesIO()
    Image.new('RGB', size, (200, 210, 220)).save(out, fmt)
    return out.getvalue()


class PortalTestCase(tools.PortalRouteTestCase):
    "Customer portal pages"

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Party = pool.get('party.party')
        Currency = pool.get('currency.currency')
        Company = pool.get('company.company')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        Account = pool.get('partak.internet.account')
        WebUser = pool.get('web.user')
        irr, = Currency.create([{'name': 'Rial', 'code': 'IRR',
                    'symbol': 'IRR', 'digits': 0, 'rounding': 1}])
        company_party, = Party.create([{'name': 'شرکت مخابرات استان مازندران'}])
        Company.create([{'party': company_party.id, 'currency': irr.id}])
        city, = City.create([{'name': 'ساری'}])
        centre, = Centre.create([{'name': 'دانشگاه', 'city': city.id}])
        kamal, other = Party.create([{
                    'name': 'کمال نصیری', 'subscriber_kind': 'person',
                    'national_code': NATIONAL_CODE,
                    'contact_mechanisms': [('create', [
                                {'type': 'mobile', 'value': MOBILE}])],
                    }, {
                    'name': 'Other Subscriber', 'subscriber_kind': 'person',
                    }])
        line, other_line = Line.create([
                {'phone': '01132455123', 'subscriber': kamal.id,
                    'city': city.id, 'centre': centre.id,
                    'status': 'in_service'},
                {'phone': '32239700', 'subscriber': other.id,
                    'city': city.id, 'centre': centre.id,
                    'status': 'in_service'}])
        Account.create([{'line': line.id, 'password': 'radius-1'},
                {'line': other_line.id, 'password': 'radius-2'}])
        WebUser.create([
                {'party': kamal.id,
                    'password_hash': WebUser.hash_password(PASSWORD)},
                {'party': other.id,
                    'password_hash': WebUser.hash_password(PASSWORD)}])

    # -- login ---------------------------------------------------------------

    def test_login_by_username(self):
        client = self.client()
        response = self.login(client, login='1132455123')
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response.location.endswith('/portal/'))
        page = client.get('/portal/').get_data(as_text=True)
        self.assertIn('کمال نصیری', page)
        self.assertIn('دانشگاه', page)

    def test_login_by_phone_with_leading_zero(self):
        client = self.client()
        self.assertEqual(self.login(client, login='01132455123').status_code,
            302)

    def test_login_with_persian_digits(self):
        client = self.client()
        self.assertEqual(self.login(client, login='۱۱۳۲۴۵۵۱۲۳').status_code,
            302)

    def test_wrong_password(self):
        client = self.client()
        response = self.login(client, password='wrong', ip='10.0.1.1')
        self.assertEqual(response.status_code, 401)
        self.assertIn('اشتباه', response.get_data(as_text=True))
        self.assertEqual(client.get('/portal/').status_code, 302)

    def test_pages_need_login(self):
        client = self.client()
        for path in ('/portal/', '/portal/profile', '/portal/history',
                '/portal/messages', '/portal/password'):
            response = client.get(path)
            self.assertEqual(response.status_code, 302, path)
            self.assertIn('/portal/login', response.location)

    def test_post_without_csrf_refused(self):
        client = self.client()
        client.get('/portal/login')
        response = client.post('/portal/login', data={
                'login': '1132455123', 'password': PASSWORD})
        self.assertEqual(response.status_code, 403)

    def test_three_failures_block_ip(self):
        client = self.client()
        ip = '10.0.2.1'
        for _ in range(2):
            self.assertEqual(
                self.login(client, password='bad', ip=ip).status_code, 401)
        third = self.login(client, password='bad', ip=ip)
        self.assertEqual(third.status_code, 429)
        # Blocked for every account, even with the right password, and
        # from a new browser: the block is kept in the database.
        fresh = self.client()
        response = self.login(fresh, login='32239700', ip=ip)
        self.assertEqual(response.status_code, 429)
        self.assertIn(' ', response.get_data(as_text=True))
        # Another address is not affected.
        self.assertEqual(self.login(fresh, ip='10.0.2.2').status_code, 302)
        with Transaction().start(DB_NAME, 0):
            IPBlock = Pool().get('partak.portal.ip_block')
            until = IPBlock.blocked_until_for(ip)
            minutes = (until - datetime.datetime.now()).total_seconds() / 60
            self.assertAlmostEqual(minutes, 30, delta=1)

    def test_block_expires(self):
        ip = '10.0.3.1'
        client = self.client()
        for _ in range(3):
            self.login(client, password='bad', ip=ip)
        self.assertEqual(self.login(client, ip=ip).status_code, 429)
        with Transaction().start(DB_NAME, 0) as transaction:
            IPBlock = Pool().get('partak.portal.ip_block')
            blocks = IPBlock.search([('ip_address', '=', ip)])
            IPBlock.write(blocks, {'blocked_until':
                    datetime.datetime.now() - datetime.timedelta(seconds=1)})
            transaction.commit()
        self.assertEqual(self.login(client, ip=ip).status_code, 302)

    def test_logout(self):
        client = self.logged_in()
        token = self.csrf(client, '/portal/')
        response = client.post('/portal/logout', data={'csrf_token': token})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(client.get('/portal/').status_code, 302)

    def test_session_expires(self):
        client = self.logged_in()
        with Transaction().start(DB_NAME, 0) as transaction:
            Session = Pool().get('web.user.session')
            table = Session.__table__()
            cursor = transaction.connection.cursor()
            old = datetime.datetime.now() - datetime.timedelta(days=2)
            cursor.execute(*table.update(
                    [table.create_date, table.write_date], [old, old]))
            transaction.commit()
        self.assertEqual(client.get('/portal/').status_code, 302)

    # -- forgot password -----------------------------------------------------

    def forgot(self, client, username, code, mobile, ip='10.0.4.1'):
        token = self.csrf(client, '/portal/forgot')
        return client.post('/portal/forgot', data={'csrf_token': token,
                'username': username, 'national_code': code,
                'mobile': mobile}, environ_overrides={'REMOTE_ADDR': ip})

    def sms_count(self):
        with Transaction().start(DB_NAME, 0):
            return Pool().get('partak.sms').search_count([])

    def test_forgot_password_sends_sms(self):
        client = self.client()
        before = self.sms_count()
        answer = self.forgot(client, '1132455123', NATIONAL_CODE, MOBILE)
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(self.sms_count(), before + 1)
        with Transaction().start(DB_NAME, 0):
            SMS = Pool().get('partak.sms')
            message, = SMS.search([], limit=1)
            self.assertEqual(message.mobile, MOBILE)
            password = re.search(r'(\w{8})\s*$', message.text).group(1)
        # The old password no longer works, the new one does.
        self.assertEqual(
            self.login(self.client(), ip='10.0.4.9').status_code, 401)
        self.assertEqual(self.login(self.client(), password=password,
                ip='10.0.4.9').status_code, 302)
        self.reset_password()

    def reset_password(self):
        with Transaction().start(DB_NAME, 0) as transaction:
            WebUser = Pool().get('web.user')
            WebUser.write(WebUser.search([]), {
                    'password_hash': WebUser.hash_password(PASSWORD)})
            transaction.commit()

    def test_forgot_password_does_not_say_which_field(self):
        right = self.forgot(self.client(), '1132455123', NATIONAL_CODE,
            MOBILE, ip='10.0.5.1').get_data(as_text=True)
        self.reset_password()
        answers = [self.forgot(self.client(), *values,
                ip='10.0.5.%d' % i).get_data(as_text=True)
            for i, values in enumerate([
                    ('1132455123', NATIONAL_CODE, '09120000000'),
                    ('1132455123', '0499370899', MOBILE),
                    ('999999', NATIONAL_CODE, MOBILE)], 2)]

        def message(page):
            return re.search(r'alert-info[^>]*>([^<]+)<', page).group(1)
        for page in answers:
            self.assertEqual(message(page), message(right))
        self.assertEqual(self.sms_count(), 1)

    # -- pages -----------------------------------------------------------------

    def test_dashboard_incomplete_profile_warning(self):
        client = self.logged_in()
        page = client.get('/portal/').get_data(as_text=True)
        self.assertIn('href="/portal/profile"', page)
        self.assertIn('alert-warning', page)

    def test_history_shows_only_own_lines(self):
        client = self.logged_in()
        page = client.get('/portal/history').get_data(as_text=True)
        self.assertIn('01132455123', page)
        self.assertNotIn('32239700', page)

    def test_change_password(self):
        client = self.logged_in()
        token = self.csrf(client, '/portal/password')
        wrong = client.post('/portal/password', data={'csrf_token': token,
                'old': 'nope', 'new': 'new-pass-123',
                'repeat': 'new-pass-123'})
        self.assertIn('is-invalid', wrong.get_data(as_text=True))
        mismatch = client.post('/portal/password', data={
                'csrf_token': token, 'old': PASSWORD, 'new': 'new-pass-123',
                'repeat': 'other-pass-123'})
        self.assertIn('is-invalid', mismatch.get_data(as_text=True))
        ok = client.post('/portal/password', data={'csrf_token': token,
                'old': PASSWORD, 'new': 'new-pass-123',
                'repeat': 'new-pass-123'})
        self.assertIn('alert-success', ok.get_data(as_text=True))
        self.assertEqual(self.login(self.client(), password='new-pass-123',
                ip='10.0.6.1').status_code, 302)
        self.reset_password()

    # -- profile ---------------------------------------------------------------

    def profile_form(self, **values):
        form = {'name': 'کمال نصیری', 'mobile': MOBILE, 'email': '',
            'national_code': NATIONAL_CODE, 'postal_code': '4816713456',
            'education': 'bachelor', 'birth_date': '', 'street': 'ساری'}
        form.update(values)
        return form

    def test_profile_errors_keep_input(self):
        client = self.logged_in()
        token = self.csrf(client, '/portal/profile')
        form = self.profile_form(national_code='1234567890',
            mobile='0912', postal_code='12', email='not-an-email',
            birth_date='1365/13/40', street='خیابان تازه')
        form['csrf_token'] = token
        response = client.post('/portal/profile', data=form)
        page = response.get_data(as_text=True)
        self.assertEqual(page.count('invalid-feedback'), 5)
        # Nothing typed is lost, nothing is saved.
        self.assertIn('خیابان تازه', page)
        with Transaction().start(DB_NAME, 0):
            party, = Pool().get('party.party').search(
                [('name', '=', 'کمال نصیری')])
            self.assertEqual(party.national_code, NATIONAL_CODE)
            self.assertFalse(party.addresses)

    def test_profile_saved_and_birth_date_set_once(self):
        client = self.logged_in()
        token = self.csrf(client, '/portal/profile')
        form = self.profile_form(birth_date='۱۳۶۵/۰۴/۱۲',
            email='kamal@example.com')
        form['csrf_token'] = token
        page = client.post('/portal/profile', data=form).get_data(
            as_text=True)
        self.assertIn('alert-success', page)
        self.assertIn('readonly', page)
        with Transaction().start(DB_NAME, 0):
            party, = Pool().get('party.party').search(
                [('name', '=', 'کمال نصیری')])
            self.assertEqual(party.birth_date, datetime.date(1986, 7, 3))
            self.assertEqual(party.email, 'kamal@example.com')
            self.assertEqual(party.addresses[0].postal_code, '4816713456')
        # A second date is ignored: the first one stays.
        form['birth_date'] = '1370/01/01'
        client.post('/portal/profile', data=form)
        with Transaction().start(DB_NAME, 0):
            party, = Pool().get('party.party').search(
                [('name', '=', 'کمال نصیری')])
            self.assertEqual(party.birth_date, datetime.date(1986, 7, 3))

    # -- documents -------------------------------------------------------------

    def upload(self, client, data, filename='doc.jpg', kind='national_card'):
        token = self.csrf(client, '/portal/profile?tab=documents')
        return client.post('/portal/documents/upload', data={
                'type': kind, 'file': (io.BytesIO(data), filename)},
            headers={'X-CSRF-Token': token, 'Accept': 'application/json'})

    def documents(self):
        with Transaction().start(DB_NAME, 0):
            Document = Pool().get('partak.document')
            return [(d.subscriber.name, d.type, d.mimetype, d.size,
                    d.channel, d.filename) for d in Document.search([])]

    def test_upload_accepted(self):
        client = self.logged_in()
        data = image_bytes()
        response = self.upload(client, data, filename='کارت ملی.png')
        self.assertEqual(response.status_code, 200, response.data)
        self.assertTrue(response.json['ok'])
        self.assertIn(('کمال نصیری', 'national_card', 'image/jpeg',
                len(data), 'portal'), [d[:5] for d in self.documents()])
        # The name tells the real type, whatever the browser said.
        self.assertTrue(self.documents()[0][5].endswith('.jpg'))
        page = client.get('/portal/profile?tab=documents').get_data(
            as_text=True)
        self.assertIn('id="documents"', page)

    def test_upload_refused(self):
        client = self.logged_in()
        before = len(self.documents())
        cases = {
            'script': b'#!/bin/sh\nrm -rf /\n' * 50,
            'html as jpg': b'<html><script>alert(1)</script></html>',
            'truncated jpeg': image_bytes()[:300],
            'tiny': image_bytes((50, 50)),
            'empty': b'',
            }
        for name, data in cases.items():
            response = self.upload(client, data)
            self.assertEqual(response.status_code, 400, name)
            self.assertFalse(response.json['ok'], name)
            self.assertTrue(response.json['message'], name)
        response = self.upload(client, image_bytes(), kind='passport??')
        self.assertEqual(response.status_code, 400)
        self.assertEqual(len(self.documents()), before)

    def test_upload_decompression_bomb_refused(self):
        # A small PNG that claims 30000 x 30000 pixels: refused from its
        # header, never decoded.
        bomb = io.BytesIO()
        Image.new('1', (30000, 30000)).save(bomb, 'PNG')
        data = bomb.getvalue()
        self.assertLess(len(data), 2 * 2 ** 20)
        client = self.logged_in()
        response = self.upload(client, data, filename='bomb.png')
        self.assertEqual(response.status_code, 400)
        self.assertIn('پیکسل', response.json['message'])

    def test_upload_too_big(self):
        config.set('partak', 'document_max_bytes', '100000')
        try:
            client = self.logged_in()
            response = self.upload(client, image_bytes((3000, 3000)) + b'\0' * 200000)
            self.assertEqual(response.status_code, 400)
        finally:
            config.set('partak', 'document_max_bytes', str(5 * 2 ** 20))

    def test_upload_needs_login_and_csrf(self):
        client = self.client()
        response = client.post('/portal/documents/upload', data={
                'type': 'lease', 'file': (io.BytesIO(image_bytes()), 'a.jpg')},
            headers={'Accept': 'application/json'})
        self.assertIn(response.status_code, (302, 401, 403))
        logged = self.logged_in()
        response = logged.post('/portal/documents/upload', data={
                'type': 'lease', 'file': (io.BytesIO(image_bytes()), 'a.jpg')},
            headers={'X-CSRF-Token': 'forged', 'Accept': 'application/json'})
        self.assertEqual(response.status_code, 403)
