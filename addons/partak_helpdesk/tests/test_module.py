# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import csv
import datetime
import io

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.partak_helpdesk.sanitize import clean_html, plain_text
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

HOUR = datetime.timedelta(hours=1)


class PartakHelpdeskTestCase(ModuleTestCase):
    "Test Partak Helpdesk module"
    module = 'partak_helpdesk'

    # -- helpers -----------------------------------------------------------

    def fixture(self, agent=None):
        pool = Pool()
        Party = pool.get('party.party')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        Department = pool.get('partak.helpdesk.department')
        Priority = pool.get('partak.helpdesk.priority')
        Service = pool.get('partak.helpdesk.service')
        city, = City.create([{'name': 'ساری'}])
        centre, = Centre.create([{'name': 'دانشگاه', 'city': city.id}])
        party, = Party.create([{'name': 'کمال نصیری',
                    'subscriber_kind': 'person',
                    'agent': agent.id if agent else None,
                    'contact_mechanisms': [('create', [
                                {'type': 'mobile', 'value': '09111234567'}])],
                    }])
        line, = Line.create([{'phone': '1132455123', 'subscriber': party.id,
                    'city': city.id, 'centre': centre.id}])
        department, = Department.create([{'name': 'پشتیبانی فنی'}])
        service, = Service.create([{'name': 'adsl'}])
        low, urgent = Priority.create([
                {'name': 'اولویت کم', 'response_hours': 72},
                {'name': 'اولویت بسیار بالا', 'response_hours': 2}])
        self.party, self.line = party, line
        self.department, self.service = department, service
        self.low, self.urgent = low, urgent

    def ticket(self, priority=None, date=None, party=None, **values):
        Ticket = Pool().get('partak.helpdesk.ticket')
        values.update({
                'party': (party or self.party).id,
                'department': self.department.id,
                'service': self.service.id,
                'priority': (priority or self.low).id,
                'title': 'اینترنت قطع است',
                })
        if date:
            values['date'] = date
        ticket, = Ticket.create([values])
        return ticket

    def sms(self):
        SMS = Pool().get('partak.sms')
        return SMS.search([('party', '=', self.party.id)])

    # -- sanitiser ---------------------------------------------------------

    def test_clean_html_strips_scripts_handlers_and_urls(self):
        "The sanitiser drops scripts, event handlers and javascript: URLs"
        dirty = ('<p>سلام<script>alert(1)</script></p>'
            '<img src="x" onerror="alert(2)">'
            '<a href="javascript:alert(3)">link</a>'
            '<b onclick="alert(4)">bold</b><i>it</i><u>under</u>'
            '<font size="5" face="Tahoma">big</font>'
            '<font size="99">bad size</font>'
            '<span style="background:url(javascript:alert(5))">s</span>')
        clean = clean_html(dirty)
        for bad in ('script', 'alert', 'onerror', 'onclick', 'javascript',
                '<img', '<a', 'style', 'size="99"'):
            self.assertNotIn(bad, clean)
        for good in ('<b>bold</b>', '<i>it</i>', '<u>under</u>',
                '<font size="5" face="Tahoma">big</font>', '<p>سلام</p>',
                'link', 'bad size'):
            self.assertIn(good, clean)

    def test_plain_text(self):
        "The words of a body, without tags or scripts"
        self.assertEqual(plain_text('<p><b>سلام</b> &amp; <br>خداحافظ'
                '<script>x()</script></p>'), 'سلام & خداحافظ')
        self.assertEqual(plain_text('<p><br></p>'), '')

    # -- tickets -------------------------------------------------------------

    @with_transaction()
    def test_numbering(self):
        "Tickets are numbered from the sequence, one after the other"
        self.fixture()
        first, second = self.ticket(), self.ticket()
        self.assertTrue(first.number and second.number)
        self.assertEqual(int(second.number), int(first.number) + 1)
        copy, = first.__class__.copy([first])
        self.assertNotIn(copy.number, {first.number, second.number})

    @with_transaction()
    def test_message_body_sanitised_on_create(self):
        "A message body is cleaned before it is stored"
        self.fixture()
        ticket = self.ticket()
        message = ticket.post('<b>ok</b><script>alert(1)</script>'
            '<img src=x onerror=alert(1)>', author='subscriber')
        self.assertEqual(message.body, '<b>ok</b>')

    @with_transaction()
    def test_empty_body_refused(self):
        "A message with only tags is refused"
        self.fixture()
        ticket = self.ticket()
        with self.assertRaises(ValidationError):
            ticket.post('<p><br></p><script>x</script>', author='subscriber')

    @with_transaction()
    def test_staff_answer_and_subscriber_reply(self):
        "Staff answers set answered and send an SMS; the subscriber re-opens"
        Ticket = Pool().get('partak.helpdesk.ticket')
        self.fixture()
        ticket = self.ticket()
        self.assertEqual(ticket.state, 'open')
        self.assertEqual(self.sms(), [])

        ticket.post('<p>مشکل را بررسی کنید</p>', author='subscriber')
        ticket = Ticket(ticket.id)
        self.assertEqual(ticket.state, 'open')
        self.assertEqual(self.sms(), [])

        message = ticket.post('<p>بررسی شد</p>', author='staff', user=1)
        ticket = Ticket(ticket.id)
        self.assertEqual(ticket.state, 'answered')
        self.assertEqual(ticket.last_reply, message.date)
        self.assertIsNone(ticket.waiting_since)
        self.assertEqual(message.user.id, 1)
        sms, = self.sms()
        self.assertIn(ticket.number, sms.text)
        self.assertIn(ticket.number, sms.reason)
        self.assertEqual(sms.mobile, '09111234567')

        reply = ticket.post('<p>هنوز قطع است</p>', author='subscriber')
        ticket = Ticket(ticket.id)
        self.assertEqual(ticket.state, 'open')
        self.assertEqual(ticket.waiting_since, reply.date)
        self.assertIsNone(reply.user)

        Ticket.close([ticket])
        self.assertEqual(Ticket(ticket.id).state, 'closed')
        ticket.post('<p>دوباره قطع شد</p>', author='subscriber')
        self.assertEqual(Ticket(ticket.id).state, 'open')
        self.assertEqual(len(Ticket(ticket.id).messages), 4)

    @with_transaction()
    def test_overdue(self):
        "Tickets waiting for staff longer than the priority's target"
        Ticket = Pool().get('partak.helpdesk.ticket')
        self.fixture()
        now = datetime.datetime.now()
        late = self.ticket(priority=self.urgent, date=now - 3 * HOUR)
        recent = self.ticket(priority=self.urgent, date=now - HOUR)
        slow = self.ticket(priority=self.low, date=now - 3 * HOUR)
        self.assertEqual(late.due, late.date + 2 * HOUR)
        self.assertEqual(
            [late.overdue, recent.overdue, slow.overdue],
            [True, False, False])
        self.assertEqual(Ticket.search([('overdue', '=', True)]), [late])
        self.assertEqual(
            sorted(Ticket.search([('overdue', '=', False)])),
            sorted([recent, slow]))

        # A higher priority moves the target of a waiting ticket.
        Ticket.write([slow], {'priority': self.urgent.id})
        self.assertTrue(Ticket(slow.id).overdue)

        # An answer stops the clock.
        late.post('<p>پاسخ</p>', author='staff')
        self.assertFalse(Ticket(late.id).overdue)
        self.assertNotIn(late, Ticket.search([('overdue', '=', True)]))

    @with_transaction()
    def test_messages_are_readonly_for_users(self):
        "Staff cannot rewrite or delete the thread through the client"
        Message = Pool().get('partak.helpdesk.message')
        self.fixture()
        message = self.ticket().post('<p>متن</p>', author='subscriber')
        with Transaction().set_context(_check_access=True):
            # Access rights refuse first; the model refuses anyway.
            with self.assertRaises((AccessError, ValidationError)):
                Message.write([message], {'body': 'changed'})
            with self.assertRaises((AccessError, ValidationError)):
                Message.delete([message])

    @with_transaction()
    def test_reply_wizard(self):
        "Replying from the ticket form answers it"
        pool = Pool()
        Ticket = pool.get('partak.helpdesk.ticket')
        Reply = pool.get('partak.helpdesk.reply', type='wizard')
        self.fixture()
        ticket = self.ticket()
        session_id, _, _ = Reply.create()
        with Transaction().set_context(active_model=Ticket.__name__,
                active_id=ticket.id, active_ids=[ticket.id]):
            Reply.execute(session_id, {'start': {
                        'body': '<b>سلام</b><script>x</script>'}}, 'send')
        ticket = Ticket(ticket.id)
        self.assertEqual(ticket.state, 'answered')
        self.assertEqual(ticket.messages[-1].body, '<b>سلام</b>')
        self.assertEqual(ticket.messages[-1].author, 'staff')
        self.assertEqual(len(self.sms()), 1)

    @with_transaction()
    def test_line_fault_csv(self):
        "The telecom operator's list: phone, centre, title, date"
        Report = Pool().get('partak.helpdesk.line_fault.csv', type='report')
        self.fixture()
        ticket = self.ticket(line=self.line.id, line_fault=True)
        ext, content, _, _ = Report.execute([ticket.id], {})
        self.assertEqual(ext, 'csv')
        rows = list(csv.reader(io.StringIO(content.decode('utf-8-sig'))))
        self.assertEqual(len(rows), 2)
        phone, centre, title, date, number = rows[1]
        self.assertEqual((phone, centre, title, number),
            ('1132455123', 'دانشگاه', ticket.title, ticket.number))
        self.assertEqual(date, ticket.date.strftime('%Y-%m-%d %H:%M'))

    @with_transaction()
    def test_line_fault_csv_formula_injection(self):
        "A cell that a spreadsheet would run as a formula gets a leading '"
        pool = Pool()
        Ticket = pool.get('partak.helpdesk.ticket')
        Report = pool.get('partak.helpdesk.line_fault.csv', type='report')
        self.fixture()
        titles = ['=HYPERLINK("http://evil.example","x")', '+1+cmd',
            '-2+3', '@SUM(A1)', 'عادی = نه']
        tickets = []
        for title in titles:
            ticket = self.ticket(line=self.line.id, line_fault=True)
            Ticket.write([ticket], {'title': title})
            tickets.append(ticket)
        ext, content, _, _ = Report.execute([t.id for t in tickets], {})
        rows = list(csv.reader(io.StringIO(content.decode('utf-8-sig'))))
        self.assertEqual([r[2] for r in rows[1:]],
            ["'" + t for t in titles[:-1]] + [titles[-1]])
        # Titles are stripped when saved; other cells may still start so.
        from trytond.modules.partak_helpdesk.helpdesk import csv_cell
        self.assertEqual(csv_cell('\tx'), "'\tx")
        self.assertEqual(csv_cell('\rx'), "'\rx")

    @with_transaction()
    def test_agent_sees_own_subscribers_tickets(self):
        "An agent reads only the tickets of the subscribers they registered"
        pool = Pool()
        User = pool.get('res.user')
        Party = pool.get('party.party')
        Ticket = pool.get('partak.helpdesk.ticket')
        ModelData = pool.get('ir.model.data')
        agent, = User.create([{'login': 'agent', 'name': 'Agent',
                    'groups': [('add', [ModelData.get_id(
                                    'partak_subscriber',
                                    'group_partak_agent')])]}])
        self.fixture(agent=agent)
        other, = Party.create([{'name': 'Other', 'subscriber_kind': 'person'}])
        mine = self.ticket()
        theirs = self.ticket(party=other)
        with Transaction().set_user(agent.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Ticket.search([]), [mine])
            with self.assertRaises(AccessError):
                Ticket.read([theirs.id], ['title'])


del ModuleTestCase
