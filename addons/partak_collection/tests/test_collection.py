# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The collection ladder on a database with the accounting set up: a
posted postpaid bill dunned from its due date to day 30, paid, and the
roles that may not touch it."""
import datetime
from decimal import Decimal

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.partak_services import books
from trytond.modules.partak_services.setup import (
    CATALOGUE, create_demo_catalogue, run_in_transaction, setup_accounting)
from trytond.modules.partak_services.tools import to_utc
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

DAY = datetime.timedelta(days=1)
DUE_REASON = 'اعلام سررسید قبض'
REMINDER_REASON = 'یادآوری بدهی قبض'


class CollectionTestCase(TestCase):
    "Collections of postpaid bills with a database"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('partak_collection')
        cls.company_id = run_in_transaction(DB_NAME, cls.create_fixture)

    @staticmethod
    def create_fixture():
        Currency = Pool().get('currency.currency')
        irr, = Currency.create([{'name': 'Rial', 'code': 'IRR',
                    'symbol': 'IRR', 'digits': 0, 'rounding': Decimal(1)}])
        company = create_company('Partak ISP', currency=irr)
        setup_accounting(company)
        create_demo_catalogue(company)
        return company.id

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        self.phone = 1132477100

    # Helpers -------------------------------------------------------------

    def company(self):
        return Pool().get('company.company')(self.company_id)

    def product(self, key):
        Template = Pool().get('product.template')
        template, = Template.search(
            [('name', '=', dict(CATALOGUE)[key]['name'])])
        return template.products[0]

    def subscriber(self, name='رضا کریمی', lines=1, agent=None):
        pool = Pool()
        Party = pool.get('party.party')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        party, = Party.create([{'name': name, 'subscriber_kind': 'person',
                    'agent': agent.id if agent else None,
                    'contact_mechanisms': [('create', [{'type': 'mobile',
                                    'value': '09111234567'}])]}])
        city = (City.search([], limit=1) or City.create([{'name': 'ساری'}]))[0]
        centre = (Centre.search([], limit=1) or Centre.create([{
                        'name': 'دانشگاه', 'city': city.id}]))[0]
        created = []
        for _ in range(lines):
            self.phone += 1
            created.extend(Line.create([{'phone': str(self.phone),
                            'subscriber': party.id, 'city': city.id,
                            'centre': centre.id, 'status': 'in_service'}]))
        return party, created

    def postpaid_bill(self, line):
        """The festival plan's bill of Farvardin 1394 (31 days, 222,166 +
        VAT), posted today by the postpaid billing of partak_services."""
        pool = Pool()
        Period = pool.get('partak.service.period')
        Bill = pool.get('partak.bill')
        Period.new_period(line, self.product('festival'),
            to_utc(datetime.datetime(2015, 3, 21)),
            end=to_utc(datetime.datetime(2015, 4, 21)), channel='admin')
        bill, = Bill.create_bills()
        self.assertEqual(bill.invoice.state, 'posted')
        return bill.invoice

    def ladder(self, due, days):
        Dunning = Pool().get('account.dunning')
        return Dunning.run_collection(date=due + days * DAY)

    def dunnings(self, party):
        return Pool().get('account.dunning').search(
            [('line.party', '=', party.id)])

    def messages(self, party):
        return Pool().get('partak.sms').search([('party', '=', party.id)],
            order=[('id', 'ASC')])

    def staff(self, login, group, *extra):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        groups = [ModelData.get_id('partak_subscriber', group)]
        groups += [ModelData.get_id(*e.split('.')) for e in extra]
        user, = User.create([{'name': login, 'login': login,
                    'groups': [('add', groups)],
                    'companies': [('add', [self.company_id])],
                    'company': self.company_id}])
        return user

    def as_user(self, user):
        transaction = Transaction()
        return transaction.set_user(user.id), transaction.set_context(
            _check_access=True, company=self.company_id)

    def pay(self, invoice):
        "The accountant's payment at the counter, reconciled with the bill."
        pool = Pool()
        Invoice = pool.get('account.invoice')
        MoveLine = pool.get('account.move.line')
        Date = pool.get('ir.date')
        invoice = Invoice(invoice.id)
        method = books.cash_method(invoice.company, books.COUNTER)
        lines = invoice.pay_invoice(invoice.amount_to_pay, method,
            Date.today())
        MoveLine.reconcile(list(invoice.lines_to_pay) + list(lines))

    # Tests ---------------------------------------------------------------

    @with_transaction()
    def test_ladder_and_payment(self):
        "From the due date to day 30, then paid: the line is back at once"
        pool = Pool()
        Dunning = pool.get('account.dunning')
        Line = pool.get('partak.line')
        Step = pool.get('partak.collection.step')
        Restriction = pool.get('partak.collection.restriction')
        Notification = pool.get('res.notification')
        ModelData = pool.get('ir.model.data')
        with set_company(self.company()):
            accountant = self.staff('accountant', 'group_partak_accounting',
                'account.group_account')
            party, (line,) = self.subscriber()
            invoice = self.postpaid_bill(line)
            self.assertEqual(invoice.total_amount, Decimal(242_160))
            due, = {l.maturity_date for l in invoice.lines_to_pay}
            # The default ladder is every subscriber's
            self.assertEqual(party.dunning_procedure.id, ModelData.get_id(
                    'partak_collection', 'procedure_subscribers'))

            self.assertEqual(self.ladder(due, -1), [])
            self.assertEqual(self.dunnings(party), [])

            # Due date: the first SMS, with the amount and the due date
            self.ladder(due, 0)
            dunning, = self.dunnings(party)
            self.assertEqual((dunning.level.name, dunning.state),
                ('پیامک روز سررسید', 'waiting'))
            self.assertEqual(dunning.invoice, invoice)
            self.assertEqual(dunning.amount, Decimal(242_160))
            sms, = self.messages(party)
            self.assertEqual((sms.reason, sms.state, sms.mobile),
                (DUE_REASON, 'queued', '09111234567'))
            self.assertIn('242,160 ریال', sms.text)
            self.assertIn(invoice.number, sms.text)
            import jdatetime
            self.assertIn(jdatetime.date.fromgregorian(date=due).strftime(
                    '%Y/%m/%d'), sms.text)

            # The same day again: nothing more
            self.assertEqual(self.ladder(due, 0), [])
            self.assertEqual(len(self.messages(party)), 1)
            self.assertEqual(self.ladder(due, 6), [])

            # Day 7: the reminder
            self.ladder(due, 7)
            dunning, = self.dunnings(party)
            self.assertEqual(dunning.level.overdue, 7 * DAY)
            first, second = self.messages(party)
            self.assertEqual(second.reason, REMINDER_REASON)
            self.assertIn('(7 روز گذشته)', second.text)
            self.assertEqual(self.ladder(due, 14), [])
            self.assertEqual(Line(line.id).status, 'in_service')

            # Day 15: the collection list (RADIUS refuses the line)
            self.ladder(due, 15)
            self.assertEqual(Line(line.id).status, 'collection')
            history = Line(line.id).history[0]
            self.assertEqual(history.status, 'collection')
            self.assertIn(invoice.number, history.note)
            restriction, = Restriction.search([('party', '=', party.id)])
            self.assertEqual((restriction.line, restriction.lifted),
                (line, None))
            self.assertEqual(len(self.messages(party)), 2)
            rows = len(Line(line.id).history)
            # A second run of the cron that day changes nothing
            self.assertEqual(self.ladder(due, 15), [])
            self.assertEqual(Restriction.search_count([]), 1)
            self.assertEqual(len(Line(line.id).history), rows)

            # Day 30: the accountants are notified
            self.ladder(due, 30)
            dunning, = self.dunnings(party)
            self.assertTrue(dunning.level.notify_staff)
            notification, = Notification.search(
                [('user', '=', accountant.id)])
            self.assertEqual(notification.model, 'account.dunning')
            self.assertEqual(notification.records, '[%d]' % dunning.id)
            self.assertIn(party.name, notification.label)
            self.assertIn('242,160', notification.description)
            self.assertEqual(Step.search_count(
                    [('dunning', '=', dunning.id)]), 4)
            self.assertEqual(self.ladder(due, 31), [])

            # Paid by the accountant: back in service in this transaction
            user, context = self.as_user(accountant)
            with user, context:
                self.pay(invoice)
            self.assertEqual(Line(line.id).status, 'in_service')
            self.assertIn(invoice.number, Line(line.id).history[0].note)
            self.assertEqual(self.dunnings(party), [])
            with Transaction().set_context(active_test=False):
                self.assertFalse(Dunning(dunning.id).active)
            self.assertTrue(Restriction(restriction.id).lifted)
            self.assertEqual(self.ladder(due, 32), [])
            self.assertEqual(len(self.messages(party)), 2)

            # The payment cancelled (the accountant unreconciles it): the
            # dunning runs again and the line is back in the collection
            # list, with no new SMS; paid again, back in service
            MoveLine = pool.get('account.move.line')
            Reconciliation = pool.get('account.move.reconciliation')
            Invoice = pool.get('account.invoice')
            lines = list(Invoice(invoice.id).lines_to_pay)
            Reconciliation.delete([lines[0].reconciliation])
            self.assertEqual(Line(line.id).status, 'collection')
            again, = Restriction.search([('party', '=', party.id),
                    ('lifted', '=', None)])
            self.assertEqual(again.dunning, dunning)
            self.assertEqual(self.ladder(due, 33), [])
            self.assertEqual(len(self.messages(party)), 2)
            MoveLine.reconcile([lines[0]] + [l for l in MoveLine.search([
                        ('party', '=', party.id),
                        ('account', '=', lines[0].account.id),
                        ('reconciliation', '=', None),
                        ('credit', '>', 0)])])
            self.assertEqual(Line(line.id).status, 'in_service')

    @with_transaction()
    def test_collection_for_another_reason(self):
        "A line in the collection list for another reason is left there"
        pool = Pool()
        Line = pool.get('partak.line')
        Level = pool.get('account.dunning.level')
        Restriction = pool.get('partak.collection.restriction')
        with set_company(self.company()):
            party, (line, other) = self.subscriber(lines=2)
            invoice = self.postpaid_bill(line)
            due, = {l.maturity_date for l in invoice.lines_to_pay}
            # e.g. partak_services' collection of lapsed lines
            Line.set_status([other], 'collection', note='بدون سرویس')
            for days in (0, 7, 15):
                self.ladder(due, days)
            self.assertEqual(Line(line.id).status, 'collection')
            restriction, = Restriction.search([('party', '=', party.id)])
            self.assertEqual(restriction.line, line)
            # A plan bought for the dunned line does not pay its bill: the
            # line stays in the collection list until the bill is paid
            Order = pool.get('partak.order')
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            self.assertTrue(Order.settle(order, order.payable, 'BANK-1'))
            self.assertEqual(Line(line.id).status, 'collection')
            self.pay(invoice)
            self.assertEqual(Line(line.id).status, 'in_service')
            self.assertEqual(Line(other.id).status, 'collection')
            self.assertEqual(Line(other.id).history[0].note, 'بدون سرویس')
            # The lapsed line is given back to service by a purchase
            order = Order.quote(party, other, 'service',
                self.product('standard_1m'))
            self.assertTrue(Order.settle(order, order.payable, 'BANK-2'))
            self.assertEqual(Line(other.id).status, 'in_service')

            # A level without what its action needs: a clear error
            level, = Level.search([('send_sms', '=', True)], limit=1)
            with self.assertRaises(ValidationError) as error:
                Level.write([level], {'sms_template': None})
            self.assertIn(level.name, error.exception.message)
            with self.assertRaises(ValidationError):
                Level.write([level], {'overdue': -DAY})

    @with_transaction()
    def test_demo(self):
        """The demo (run as root with no company, as the cron and the demo
        script are): one subscriber in the collection list, one restored"""
        pool = Pool()
        Line = pool.get('partak.line')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        from trytond.modules.partak_collection.demo import PAID, LATE, _load
        city, = City.create([{'name': 'ساری'}])
        Centre.create([{'name': 'دانشگاه', 'city': city.id}])
        # A purchase invoiced today is already in the year's sequence,
        # which Tryton numbers in date order
        Order = pool.get('partak.order')
        with set_company(self.company()):
            party, (line,) = self.subscriber('مریم احمدی')
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            self.assertTrue(Order.settle(order, order.payable, 'BANK-1'))
            self.assertEqual(Order(order.id).invoice.state, 'posted')
        invoices = _load('secret')
        self.assertEqual(len(invoices), 2)
        self.assertEqual(_load('secret'), [])
        late, = Line.search([('phone', '=', LATE[1])])
        paid, = Line.search([('phone', '=', PAID[1])])
        self.assertEqual((late.status, paid.status),
            ('collection', 'in_service'))
        self.assertEqual(paid.history[0].status, 'in_service')
        self.assertIn(invoices[1].number, paid.history[0].note)
        self.assertIn(invoices[0].number, late.history[0].note)

    def test_persian_labels(self):
        "Every label and message has its Persian translation"
        import os
        import re
        import polib
        folder = os.path.dirname(os.path.dirname(__file__))
        po = polib.pofile(os.path.join(folder, 'locale', 'fa.po'))
        entries = {e.msgctxt: e for e in po}
        with open(os.path.join(folder, 'message.xml')) as xml:
            ids = re.findall(r'id="(msg_[a-z_]+)"', xml.read())
        for id_ in ids:
            self.assertIn('model:ir.message,text:%s' % id_, entries)
        placeholders = re.compile(r'%\((\w+)\)s|\{(\w+)\}')
        for entry in po:
            self.assertTrue(entry.msgstr, entry.msgctxt)
            self.assertEqual(sorted(placeholders.findall(entry.msgid)),
                sorted(placeholders.findall(entry.msgstr)), entry.msgctxt)
            if not entry.msgctxt.startswith('help:'):
                text = placeholders.sub('', entry.msgstr)
                self.assertFalse(re.search('[A-Za-z]{3,}',
                        text.replace('RADIUS', '')), entry.msgctxt)

    @with_transaction()
    def test_roles(self):
        "Support and agents read, only accounting and admin change"
        pool = Pool()
        Dunning = pool.get('account.dunning')
        Procedure = pool.get('account.dunning.procedure')
        Level = pool.get('account.dunning.level')
        Step = pool.get('partak.collection.step')
        Process = pool.get('account.dunning.process', type='wizard')
        with set_company(self.company()):
            support = self.staff('support', 'group_partak_support')
            agent = self.staff('agent', 'group_partak_agent')
            accountant = self.staff('accountant', 'group_partak_accounting')
            admin = self.staff('padmin', 'group_partak_admin')
            own, (own_line,) = self.subscriber('مشترک نماینده', agent=agent)
            others, (other_line,) = self.subscriber('مشترک دیگر')
            invoices = [self.postpaid_bill(own_line),
                self.postpaid_bill(other_line)]
            due, = {l.maturity_date for i in invoices for l in i.lines_to_pay}
            Dunning.generate_dunnings(date=due)
            own_dunning, = self.dunnings(own)
            other_dunning, = self.dunnings(others)
            level = own_dunning.level
            procedure = level.procedure

            def state():
                return [(d.state, d.level.id, d.blocked)
                    for d in Dunning.browse([own_dunning, other_dunning])] + [
                    (level.overdue, procedure.name, Procedure.search_count([]),
                        Step.search_count([]))]
            before = state()

            for role in [support, agent]:
                user, context = self.as_user(role)
                with user, context:
                    if role == support:
                        self.assertEqual(len(Dunning.search([])), 2)
                    else:
                        self.assertEqual(Dunning.search([]), [own_dunning])
                        with self.assertRaises(AccessError):
                            Dunning.read([other_dunning.id], ['level'])
                    Level.read([level.id], ['name'])
                    for call in [
                            lambda: Dunning.write([own_dunning],
                                {'blocked': True}),
                            lambda: Dunning.process([own_dunning]),
                            lambda: Dunning.delete([own_dunning]),
                            lambda: Level.write([level],
                                {'overdue': 3 * DAY}),
                            lambda: Level.create([{
                                        'procedure': procedure.id,
                                        'overdue': DAY}]),
                            lambda: Procedure.write([procedure],
                                {'name': 'x'}),
                            lambda: Procedure.create([{'name': 'x'}]),
                            ]:
                        with self.assertRaises(AccessError):
                            call()
                    # nor through the Process Dunning wizard
                    with Transaction().set_context(
                            active_model='account.dunning',
                            active_id=own_dunning.id,
                            active_ids=[own_dunning.id]):
                        with self.assertRaises(AccessError):
                            Process.create()
            self.assertEqual(state(), before)
            self.assertEqual(self.messages(own), [])

            # Accounting and administration run the ladder
            for role in [accountant, admin]:
                user, context = self.as_user(role)
                with user, context:
                    Level.write([level], {'name': level.name})
            user, context = self.as_user(accountant)
            with user, context:
                Dunning.process([own_dunning])
            self.assertEqual(Dunning(own_dunning.id).state, 'waiting')
            sms, = self.messages(own)
            self.assertEqual(sms.reason, DUE_REASON)
