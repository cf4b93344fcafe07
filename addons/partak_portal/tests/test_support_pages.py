# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal's support pages through HTTP: a subscriber opens a ticket,
finds it in the list, reads the thread and answers, and never reaches
another subscriber's ticket."""
import io
import re

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from . import test_portal, tools
from .test_portal import image_bytes


class SupportPagesTestCase(tools.PortalRouteTestCase):
    "Customer portal support pages"

    @classmethod
    def setUpDatabase(cls):
        test_portal.PortalTestCase.setUpDatabase.__func__(cls)
        pool = Pool()
        Department = pool.get('partak.helpdesk.department')
        Service = pool.get('partak.helpdesk.service')
        Priority = pool.get('partak.helpdesk.priority')
        Party = pool.get('party.party')
        Ticket = pool.get('partak.helpdesk.ticket')
        Department.create([{'name': 'پشتیبانی فنی'}, {'name': 'فروش'}])
        Service.create([{'name': 'adsl'}])
        Priority.create([{'name': 'اولویت کم', 'response_hours': 72},
                {'name': 'اولویت بسیار بالا', 'response_hours': 2}])
        other, = Party.search([('name', '=', 'Other Subscriber')])
        ticket, = Ticket.create([{'party': other.id,
                    'department': Department.search([])[0].id,
                    'priority': Priority.search([])[0].id,
                    'title': 'تیکت مشترک دیگر'}])
        ticket.post('<p>راز مشترک دیگر</p>', author='subscriber')

    def setUp(self):
        super().setUp()
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            # Each test starts with only the other subscriber's ticket.
            Ticket = pool.get('partak.helpdesk.ticket')
            Ticket.delete(Ticket.search(
                    [('party.name', '=', 'کمال نصیری')]))
            transaction.commit()

    # -- helpers -----------------------------------------------------------

    def ids(self):
        with Transaction().start(DB_NAME, 0):
            pool = Pool()
            return {
                'department': pool.get('partak.helpdesk.department').search(
                    [('name', '=', 'پشتیبانی فنی')])[0].id,
                'service': pool.get('partak.helpdesk.service').search(
                    [])[0].id,
                'priority': pool.get('partak.helpdesk.priority').search(
                    [('name', '=', 'اولویت بسیار بالا')])[0].id,
                }

    def other_number(self):
        with Transaction().start(DB_NAME, 0):
            ticket, = Pool().get('partak.helpdesk.ticket').search(
                [('party.name', '=', 'Other Subscriber')])
            return ticket.number

    def new_ticket(self, client, **values):
        token = self.csrf(client, '/portal/support/new')
        data = {'csrf_token': token, 'title': 'اینترنت قطع است',
            'body': '<p>از دیروز <b>قطع</b> است</p>'}
        data.update({k: str(v) for k, v in self.ids().items()})
        data.update(values)
        return client.post('/portal/support/new', data=data)

    def my_tickets(self):
        with Transaction().start(DB_NAME, 0):
            Ticket = Pool().get('partak.helpdesk.ticket')
            return [(t.number, t.title, t.state, [(m.author, m.body)
                        for m in t.messages])
                for t in Ticket.search([('party.name', '=', 'کمال نصیری')])]

    # -- tests ---------------------------------------------------------------

    def test_pages_need_login(self):
        client = self.client()
        for path in ('/portal/support', '/portal/support/new',
                '/portal/support/%s' % self.other_number()):
            response = client.get(path)
            self.assertEqual(response.status_code, 302, path)
            self.assertIn('/portal/login', response.location)

    def test_create_list_and_read(self):
        client = self.logged_in()
        empty = client.get('/portal/support').get_data(as_text=True)
        self.assertIn('ارسال تیکت جدید', empty)
        self.assertNotIn('تیکت مشترک دیگر', empty)

        response = self.new_ticket(client, body='<p>از دیروز <b>قطع</b> است'
            '</p><script>alert(1)</script><img src=x onerror=alert(2)>')
        self.assertEqual(response.status_code, 302)
        (number, title, state, messages), = self.my_tickets()
        self.assertIn('/portal/support/%s' % number, response.location)
        self.assertNotIn('latin=1', response.location)
        self.assertEqual((title, state), ('اینترنت قطع است', 'open'))
        self.assertEqual(messages,
            [('subscriber', '<p>از دیروز <b>قطع</b> است</p>')])

        listing = client.get('/portal/support').get_data(as_text=True)
        self.assertIn('اینترنت قطع است', listing)
        self.assertIn('پشتیبانی فنی', listing)
        self.assertIn('اولویت بسیار بالا', listing)
        self.assertIn('باز است', listing)
        self.assertRegex(listing, r'14\d\d/\d\d/\d\d')

        thread = client.get(response.location).get_data(as_text=True)
        self.assertIn('تیکت شما ثبت شد', thread)
        self.assertIn('<b>قطع</b>', thread)
        self.assertNotIn('alert(', thread)
        self.assertIn('adsl', thread)

    def test_paging(self):
        client = self.logged_in()
        for i in range(12):
            self.new_ticket(client, title='تیکت شماره %d' % i)
        first = client.get('/portal/support').get_data(as_text=True)
        self.assertEqual(first.count('<tr class="ticket-'), 10)
        second = client.get('/portal/support?size=10&page=2').get_data(
            as_text=True)
        self.assertEqual(second.count('<tr class="ticket-'), 2)
        fifteen = client.get('/portal/support?size=15').get_data(
            as_text=True)
        self.assertEqual(fifteen.count('<tr class="ticket-'), 12)

    def test_reply_and_close(self):
        client = self.logged_in()
        location = self.new_ticket(client).location
        number = location.split('/portal/support/')[1].split('?')[0]
        # Staff answer: the ticket is answered and an SMS is queued.
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            ticket, = pool.get('partak.helpdesk.ticket').search(
                [('number', '=', number)])
            ticket.post('<p>خط شما بررسی شد</p>', author='staff')
            transaction.commit()
        page = client.get('/portal/support/%s' % number).get_data(
            as_text=True)
        self.assertIn('خط شما بررسی شد', page)
        self.assertIn('پاسخ داده شده', page)
        messages = client.get('/portal/messages').get_data(as_text=True)
        self.assertIn(number, messages)

        token = self.csrf(client, '/portal/support/%s' % number)
        response = client.post('/portal/support/%s/reply' % number, data={
                'csrf_token': token, 'body': '<i>هنوز</i> قطع است'})
        self.assertEqual(response.status_code, 302)
        (_, _, state, thread), = self.my_tickets()
        self.assertEqual(state, 'open')
        self.assertEqual(thread[-1], ('subscriber', '<i>هنوز</i> قطع است'))

        response = client.post('/portal/support/%s/close' % number,
            data={'csrf_token': token})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.my_tickets()[0][2], 'closed')

    def test_empty_reply_refused(self):
        client = self.logged_in()
        number = self.new_ticket(client).location.split(
            '/portal/support/')[1].split('?')[0]
        token = self.csrf(client, '/portal/support/%s' % number)
        response = client.post('/portal/support/%s/reply' % number, data={
                'csrf_token': token, 'body': '<p><br></p>'})
        self.assertEqual(response.status_code, 400)
        self.assertIn('متن پاسخ خود را بنویسید',
            response.get_data(as_text=True))
        self.assertEqual(len(self.my_tickets()[0][3]), 1)

    def test_other_subscribers_ticket_is_not_found(self):
        client = self.logged_in()
        number = self.other_number()
        page = client.get('/portal/support/%s' % number)
        self.assertEqual(page.status_code, 404)
        self.assertNotIn('راز مشترک دیگر', page.get_data(as_text=True))
        token = self.csrf(client, '/portal/support')
        for action in ('reply', 'close'):
            response = client.post('/portal/support/%s/%s' % (number, action),
                data={'csrf_token': token, 'body': '<p>نفوذ</p>'})
            self.assertEqual(response.status_code, 404, action)
        with Transaction().start(DB_NAME, 0):
            ticket, = Pool().get('partak.helpdesk.ticket').search(
                [('number', '=', number)])
            self.assertEqual(ticket.state, 'open')
            self.assertEqual(len(ticket.messages), 1)
        self.assertEqual(client.get('/portal/support/no-such').status_code,
            404)

    def test_missing_title_refused_and_values_kept(self):
        client = self.logged_in()
        response = self.new_ticket(client, title='',
            body='<p>متن <u>مهم</u> من</p>')
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('عنوان تیکت را بنویسید', page)
        self.assertIn('is-invalid', page)
        # The body and the choices come back as they were.
        self.assertIn('&lt;p&gt;متن &lt;u&gt;مهم&lt;/u&gt; من&lt;/p&gt;', page)
        ids = self.ids()
        self.assertRegex(page, r'<option value="%d" selected>'
            % ids['priority'])
        self.assertEqual(self.my_tickets(), [])

    def test_bad_choice_refused(self):
        client = self.logged_in()
        page = self.new_ticket(client, department='999999').get_data(
            as_text=True)
        self.assertIn('واحد را انتخاب کنید', page)
        self.assertEqual(self.my_tickets(), [])

    def test_warning_for_non_persian_text(self):
        client = self.logged_in()
        response = self.new_ticket(client, title='Internet down',
            body='<p>No connection since yesterday</p>')
        # Sent all the same, with a reminder.
        self.assertEqual(response.status_code, 302)
        self.assertIn('latin=1', response.location)
        self.assertEqual(len(self.my_tickets()), 1)
        page = client.get(response.location).get_data(as_text=True)
        self.assertIn('حرف فارسی ندارد', page)
        self.assertIn('latin-note', page)

    def test_attachment(self):
        client = self.logged_in()
        token = self.csrf(client, '/portal/support/new')
        data = {k: str(v) for k, v in self.ids().items()}
        data.update({'csrf_token': token, 'title': 'عکس مودم',
                'body': 'چراغ مودم خاموش است',
                'file': (io.BytesIO(image_bytes()), 'modem photo.jpg')})
        response = client.post('/portal/support/new', data=data)
        self.assertEqual(response.status_code, 302)
        page = client.get(response.location).get_data(as_text=True)
        link = re.search(r'href="(/portal/support/[^"]+/file/\d+)"', page)
        self.assertTrue(link)
        download = client.get(link.group(1))
        self.assertEqual(download.status_code, 200)
        self.assertEqual(download.content_type, 'image/jpeg')
        self.assertEqual(download.get_data(), image_bytes())
        # Not through another ticket's number.
        other = link.group(1).replace(
            link.group(1).split('/')[3], self.other_number())
        self.assertEqual(client.get(other).status_code, 404)

    def test_bad_attachment_refused(self):
        client = self.logged_in()
        token = self.csrf(client, '/portal/support/new')
        data = {k: str(v) for k, v in self.ids().items()}
        data.update({'csrf_token': token, 'title': 'پرونده',
                'body': 'پرونده پیوست',
                'file': (io.BytesIO(b'MZ\x90\x00 not an image'), 'x.exe')})
        response = client.post('/portal/support/new', data=data)
        self.assertEqual(response.status_code, 200)
        page = response.get_data(as_text=True)
        self.assertIn('JPEG', page)
        self.assertIn('value="پرونده"', page)
        self.assertEqual(self.my_tickets(), [])

    def test_post_without_csrf_refused(self):
        client = self.logged_in()
        data = {k: str(v) for k, v in self.ids().items()}
        data.update({'title': 'بدون توکن', 'body': 'متن'})
        response = client.post('/portal/support/new', data=data)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.my_tickets(), [])

