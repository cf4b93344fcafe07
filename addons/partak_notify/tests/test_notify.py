# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Outbox and providers, templates, reminders and announcements on a
database."""
import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from trytond.model.exceptions import ValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.partak_services.setup import (
    CATEGORY_NAME, run_in_transaction, setup_accounting)
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, TestCase, activate_module, drop_db, with_transaction)

from .fake_providers import FakeKavenegar, FakeSmsIr, closed_port_host

DAY = datetime.timedelta(days=1)
TEHRAN = ZoneInfo('Asia/Tehran')
ENDING_REASON = 'اعلام 2 روز مانده به منقضی شدن سرویس'
ENDED_REASON = 'اعلام انقضا شدن سرویس در روز انقضا'


def tehran(day, hour, minute=0):
    "Naive UTC of a Tehran wall-clock time."
    return (datetime.datetime.combine(day, datetime.time(hour, minute),
            tzinfo=TEHRAN).astimezone(datetime.timezone.utc)
        .replace(tzinfo=None))


class NotifyTestCase(TestCase):
    "Notifications with a database"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('partak_notify')
        # Plans have prices per company: one company, committed once.
        cls.company_id = run_in_transaction(DB_NAME, cls.create_company)
        cls.kavenegar = FakeKavenegar().start()
        cls.smsir = FakeSmsIr().start()

    @classmethod
    def tearDownClass(cls):
        cls.kavenegar.stop()
        cls.smsir.stop()
        super().tearDownClass()
        drop_db()

    @staticmethod
    def create_company():
        Currency = Pool().get('currency.currency')
        irr, = Currency.create([{'name': 'Rial', 'code': 'IRR',
                    'symbol': 'IRR', 'digits': 0, 'rounding': Decimal(1)}])
        company = create_company('Partak ISP', currency=irr)
        # Orders compute their VAT from the plan's accounting category.
        setup_accounting(company)
        return company.id

    def setUp(self):
        super().setUp()
        self.phone = 1132400100

    def company(self):
        return Pool().get('company.company')(self.company_id)

    # Helpers -------------------------------------------------------------

    def plan(self, name='یک ماهه سرعت 1024 کیلوبیت حجم 5 گیگ'):
        pool = Pool()
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        Category = pool.get('product.category')
        unit, = Uom.search([('name', '=', 'Unit')])
        category, = Category.search([('name', '=', CATEGORY_NAME)])
        with set_company(self.company()):
            template, = Template.create([{'name': name,
                        'type': 'service', 'default_uom': unit.id,
                        'account_category': category.id,
                        'list_price': Decimal(280000),
                        'partak_kind': 'plan', 'duration_days': 30,
                        'speed_down_kbps': 1024, 'speed_up_kbps': 256,
                        'products': [('create', [{}])]}])
        return template

    def subscriber(self, name='مریم احمدی', mobile='09111234567',
            city=None, centre=None, status='in_service'):
        pool = Pool()
        Party = pool.get('party.party')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        party, = Party.create([{'name': name, 'subscriber_kind': 'person',
                    'contact_mechanisms': [('create', [{'type': 'mobile',
                                    'value': mobile}])] if mobile else []}])
        if not city:
            city = (City.search([('name', '=', 'ساری')])
                or City.create([{'name': 'ساری'}]))[0]
        if not centre:
            centre = (Centre.search([('city', '=', city.id)])
                or Centre.create([{'name': 'دانشگاه', 'city': city.id}]))[0]
        self.phone += 1
        line, = Line.create([{'phone': str(self.phone),
                    'subscriber': party.id, 'city': city.id,
                    'centre': centre.id, 'status': status}])
        return party, line

    def period(self, line, plan, end, state='active', days=30):
        Period = Pool().get('partak.service.period')
        period, = Period.create([{'line': line.id,
                    'product': plan.products[0].id, 'state': state,
                    'start': end - days * DAY, 'end': end}])
        return period

    def messages(self, party):
        return Pool().get('partak.sms').search([('party', '=', party.id)],
            order=[('id', 'ASC')])

    def provider(self, type_='kavenegar', host=None, api_key='good-key',
            sequence=10, active=True):
        Provider = Pool().get('partak.sms.provider')
        if host is None:
            host = (self.kavenegar.host if type_ == 'kavenegar'
                else 'http://%s' % self.smsir.host)
        provider, = Provider.create([{'name': type_, 'type': type_,
                    'host': host, 'api_key': api_key,
                    'sender_number': '10004346', 'sequence': sequence,
                    'active': active}])
        return provider

    def configure(self, **values):
        Configuration = Pool().get('partak.notify.configuration')
        config = Configuration.get()
        for name, value in values.items():
            setattr(config, name, value)
        config.save()

    # Templates -----------------------------------------------------------

    @with_transaction()
    def test_templates_exist(self):
        Template = Pool().get('partak.notify.template')
        self.assertEqual({t.code for t in Template.search([])}, {
                'service_ending', 'service_ended', 'document_rejected',
                'document_deadline', 'payment_received', 'password_reset',
                'ticket_answered'})
        self.assertEqual(Template.get('service_ending').reason,
            ENDING_REASON)
        self.assertEqual(Template.get('service_ended').reason, ENDED_REASON)

    @with_transaction()
    def test_render(self):
        Template = Pool().get('partak.notify.template')
        party, _ = self.subscriber(name='کمال نصیری')
        template, = Template.create([{'code': 'test', 'name': 'Test',
                    'reason': 'آزمون',
                    'text': '{name}: {amount} ریال، {date} / {days} {plan}'}])
        text = template.render(party, amount=6791233,
            date=datetime.date(2016, 2, 14), days=2, plan='فیروزه')
        self.assertEqual(text,
            'کمال نصیری: 6,791,233 ریال، 1394/11/25 / 2 فیروزه')
        # date-times are shown in Tehran's time: 20:45 UTC is 00:15 there
        self.assertEqual(template.render(None, name='x', amount=0, days=0,
                plan='', date=datetime.datetime(2016, 2, 13, 20, 45)),
            'x: 0 ریال، 1394/11/25 00:15 / 0 ')
        # a placeholder without value stays visible instead of failing
        self.assertIn('{amount}', template.render(party))

    @with_transaction()
    def test_template_placeholders_checked(self):
        Template = Pool().get('partak.notify.template')
        with self.assertRaises(ValidationError):
            Template.create([{'code': 'bad', 'name': 'Bad', 'reason': 'x',
                        'text': 'سلام {nmae}'}])
        with self.assertRaises(ValidationError):
            Template.create([{'code': 'bad', 'name': 'Bad', 'reason': 'x',
                        'text': 'سلام {name'}])

    @with_transaction()
    def test_send_once_per_key(self):
        pool = Pool()
        Template = pool.get('partak.notify.template')
        Sent = pool.get('partak.notify.sent')
        party, _ = self.subscriber()
        first = Template.send('payment_received', party, 'payment,1',
            amount=350000, date=datetime.date(2016, 2, 14))
        self.assertEqual(first.mobile, '09111234567')
        self.assertEqual(first.reason, 'اعلام دریافت وجه')
        self.assertIn('350,000 ریال', first.text)
        self.assertIn('1394/11/25', first.text)
        self.assertIn('مریم احمدی', first.text)
        self.assertEqual(first.state, 'queued')
        self.assertIsNone(Template.send('payment_received', party,
                'payment,1', amount=350000))
        self.assertTrue(Template.send('payment_received', party, 'payment,2',
                amount=1))
        self.assertEqual(len(self.messages(party)), 2)
        sent, = Sent.search([('key', '=', 'payment,1')])
        self.assertEqual(sent.sms, first)
        # inactive template or no mobile: nothing sent, nothing recorded
        template = Template.get('ticket_answered')
        template.active = False
        template.save()
        self.assertIsNone(Template.send('ticket_answered', party, 't,1'))
        nomobile, _ = self.subscriber(name='بی موبایل', mobile=None)
        self.assertIsNone(Template.send('payment_received', nomobile, 'p,9'))
        self.assertFalse(Sent.search([('key', 'in', ['t,1', 'p,9'])]))

    # Outbox --------------------------------------------------------------

    @with_transaction()
    def test_outbox_fallback_log(self):
        SMS = Pool().get('partak.sms')
        party, _ = self.subscriber()
        message = SMS.queue(party, 'متن', 'دلیل')
        SMS.send([message])
        message = SMS(message.id)
        self.assertEqual(message.state, 'sent')
        self.assertEqual(message.backend, 'log')
        self.assertIsNone(message.provider)
        self.assertTrue(message.provider_message_id.startswith('log-'))
        self.assertIsNone(message.delivery)
        self.assertEqual(message.attempts, 1)

    @with_transaction()
    def test_outbox_first_active_provider(self):
        SMS = Pool().get('partak.sms')
        self.provider('smsir', sequence=5, active=False)
        second = self.provider('smsir', sequence=20)
        first = self.provider('kavenegar', sequence=10)
        party, _ = self.subscriber()
        message = SMS.queue(party, 'سلام', 'دلیل')
        SMS.send([message])
        message = SMS(message.id)
        self.assertEqual(message.provider, first)
        self.assertNotEqual(message.provider, second)
        self.assertEqual(message.state, 'sent')
        self.assertEqual(message.provider_message_id,
            str(FakeKavenegar.next_id))
        self.assertEqual(message.delivery, 'pending')
        self.assertEqual(self.kavenegar.requests[-1][2]['receptor'],
            '09111234567')

    @with_transaction()
    def test_outbox_network_down_retried_then_failed(self):
        SMS = Pool().get('partak.sms')
        self.configure(max_attempts=3, retry_minutes=5)
        self.provider('kavenegar', host=closed_port_host())
        party, _ = self.subscriber()
        message = SMS.queue(party, 'سلام', 'دلیل')
        before = datetime.datetime.now()
        SMS.send([message])
        message = SMS(message.id)
        self.assertEqual(message.state, 'queued')
        self.assertEqual(message.attempts, 1)
        self.assertIn('unreachable', message.last_error)
        delay = message.next_try - before
        # (stored date-times have no microseconds)
        self.assertTrue(datetime.timedelta(minutes=4, seconds=58) <= delay
            < datetime.timedelta(minutes=6), delay)
        # not yet due: the cron leaves it alone
        self.assertEqual(SMS.send_queued(), 0)
        self.assertEqual(SMS(message.id).attempts, 1)
        SMS.write([message], {'next_try': before - DAY})
        self.assertEqual(SMS.send_queued(), 1)
        message = SMS(message.id)
        self.assertEqual(message.attempts, 2)
        delay = message.next_try - before
        self.assertTrue(datetime.timedelta(minutes=9, seconds=58) <= delay
            < datetime.timedelta(minutes=11), delay)
        SMS.write([message], {'next_try': before - DAY})
        SMS.send_queued()
        message = SMS(message.id)
        self.assertEqual(message.state, 'failed')
        self.assertEqual(message.attempts, 3)
        self.assertIsNone(message.next_try)
        self.assertIn('unreachable', message.last_error)
        # nothing is lost: staff send it again once the provider is back
        SMS.retry([message])
        message = SMS(message.id)
        self.assertEqual((message.state, message.attempts), ('queued', 0))

    @with_transaction()
    def test_outbox_back_online_sends(self):
        SMS = Pool().get('partak.sms')
        provider = self.provider('smsir', host='http://' + closed_port_host())
        party, _ = self.subscriber()
        message = SMS.queue(party, 'سلام', 'دلیل')
        SMS.send([message])
        self.assertEqual(SMS(message.id).state, 'queued')
        provider.host = 'http://%s' % self.smsir.host
        provider.save()
        SMS.write([message], {'next_try': datetime.datetime.now() - DAY})
        SMS.send_queued()
        message = SMS(message.id)
        self.assertEqual(message.state, 'sent')
        self.assertEqual(message.attempts, 2)
        self.assertEqual(message.provider_message_id, str(FakeSmsIr.next_id))

    @with_transaction()
    def test_outbox_error_codes(self):
        SMS = Pool().get('partak.sms')
        party, _ = self.subscriber(mobile='09000000000')
        other, _ = self.subscriber(mobile='09121234567')
        self.provider('kavenegar')
        invalid = SMS.queue(party, 'سلام', 'دلیل')
        SMS.send([invalid])
        invalid = SMS(invalid.id)
        # an invalid number cannot succeed later: failed at once
        self.assertEqual((invalid.state, invalid.attempts), ('failed', 1))
        self.assertIn('[411]', invalid.last_error)
        Provider = Pool().get('partak.sms.provider')
        provider, = Provider.search([])
        provider.api_key = 'no-credit'
        provider.save()
        credit = SMS.queue(other, 'سلام', 'دلیل')
        SMS.send([credit])
        credit = SMS(credit.id)
        # the account's credit can be topped up: retried later
        self.assertEqual((credit.state, credit.attempts), ('queued', 1))
        self.assertIn('[418]', credit.last_error)
        self.assertIn('credit', credit.last_error)

    @with_transaction()
    def test_delivery_check(self):
        SMS = Pool().get('partak.sms')
        self.provider('kavenegar')
        party, _ = self.subscriber()
        messages = [SMS.queue(party, 'پیام %d' % i, 'دلیل') for i in range(3)]
        SMS.send(messages)
        delivered, undelivered, waiting = SMS.browse(messages)
        self.kavenegar.delivery.update({
                delivered.provider_message_id: 10,
                undelivered.provider_message_id: 11})
        self.assertEqual(SMS.check_delivery(), 2)
        delivered, undelivered, waiting = SMS.browse(messages)
        self.assertEqual(delivered.delivery, 'delivered')
        self.assertEqual(undelivered.delivery, 'undelivered')
        self.assertEqual(waiting.delivery, 'pending')
        self.assertTrue(delivered.delivery_date)
        # only the pending ones are asked again
        self.kavenegar.delivery[waiting.provider_message_id] = 10
        self.assertEqual(SMS.check_delivery(), 1)
        self.assertEqual(self.kavenegar.requests[-1][2]['messageid'],
            waiting.provider_message_id)

    # Reminders -----------------------------------------------------------

    @with_transaction()
    def test_service_reminders_once(self):
        pool = Pool()
        Reminder = pool.get('partak.notify.reminder')
        Period = pool.get('partak.service.period')
        plan = self.plan()
        today = datetime.date(2026, 3, 1)
        now = tehran(today, 12, 0)
        ending, line1 = self.subscriber(name='در حال پایان')
        ended, line2 = self.subscriber(name='پایان امروز')
        renewed, line3 = self.subscriber(name='تمدید شده')
        later, line4 = self.subscriber(name='ده روز')
        period1 = self.period(line1, plan, now + 2 * DAY
            + datetime.timedelta(hours=3))
        self.period(line2, plan, tehran(today, 18, 0))
        period3 = self.period(line3, plan, now + 2 * DAY)
        self.period(line3, plan, period3.end + 30 * DAY, state='reserve')
        self.period(line4, plan, now + 10 * DAY)

        # before the time of day: nothing
        self.assertEqual(Reminder.send_reminders(now=tehran(today, 9, 0)), 0)
        for _ in range(3):
            Reminder.send_reminders(now=now)
            Reminder.send_reminders(now=now + datetime.timedelta(hours=2))

        message, = self.messages(ending)
        self.assertEqual(message.reason, ENDING_REASON)
        self.assertIn('2 روز', message.text)
        self.assertIn(plan.name, message.text)
        self.assertIn('1404/12/12', message.text)  # 2026-03-03
        message, = self.messages(ended)
        self.assertEqual(message.reason, ENDED_REASON)
        self.assertIn('1404/12/10', message.text)  # today
        self.assertEqual(self.messages(renewed), [])
        self.assertEqual(self.messages(later), [])

        # the next service of the same line gets its own reminder
        Period.write([period1], {'state': 'ended'})
        month_later = now + 30 * DAY
        self.period(line1, plan, month_later + 2 * DAY)
        for _ in range(3):
            Reminder.send_reminders(now=month_later)
        first, second = self.messages(ending)
        self.assertEqual(second.reason, ENDING_REASON)
        self.assertEqual(len(self.messages(ended)), 1)

    @with_transaction()
    def test_reminder_time_configurable(self):
        Reminder = Pool().get('partak.notify.reminder')
        plan = self.plan()
        today = datetime.date(2026, 3, 1)
        party, line = self.subscriber()
        self.period(line, plan, tehran(today, 23, 0))
        self.configure(reminder_time=datetime.time(8, 0))
        self.assertEqual(Reminder.send_reminders(now=tehran(today, 7, 59)),
            0)
        self.assertEqual(Reminder.send_reminders(now=tehran(today, 8, 0)),
            1)

    @with_transaction()
    def test_document_deadline_reminder(self):
        pool = Pool()
        Party = pool.get('party.party')
        Reminder = pool.get('partak.notify.reminder')
        today = datetime.date(2026, 3, 1)
        now = tehran(today, 11, 0)
        near, _ = self.subscriber(name='نزدیک')
        far, _ = self.subscriber(name='دور')
        cut, _ = self.subscriber(name='قطع')
        Party.write([near], {'document_deadline': now + 2 * DAY})
        Party.write([far], {'document_deadline': now + 5 * DAY})
        Party.write([cut], {'document_deadline': now - DAY,
                'internet_cut': True})
        for _ in range(3):
            Reminder.send_reminders(now=now)
        message, = self.messages(near)
        self.assertIn('2 روز', message.text)
        self.assertIn('1404/12/12', message.text)
        self.assertEqual(self.messages(far), [])
        self.assertEqual(self.messages(cut), [])
        # a new deadline (after another rejection) is a new event
        Party.write([near], {'document_deadline': now + 9 * DAY})
        Reminder.send_reminders(now=now + 8 * DAY)
        self.assertEqual(len(self.messages(near)), 2)

    @with_transaction()
    def test_payment_received_once(self):
        pool = Pool()
        Gateway = pool.get('partak.payment.gateway')
        Order = pool.get('partak.order')
        Payment = pool.get('partak.payment')
        Reminder = pool.get('partak.notify.reminder')
        company = self.company()
        party, line = self.subscriber()
        plan = self.plan()
        gateway, = Gateway.create([{'name': 'بانک آزمایشی',
                    'type': 'sandbox', 'company': company.id}])
        now = datetime.datetime.now()
        orders = Order.create([{'company': company.id, 'party': party.id,
                    'line': line.id, 'kind': 'service',
                    'product': plan.products[0].id, 'quantity': 1,
                    'channel': 'admin'} for _ in range(2)])
        paid, failed = Payment.create([{'order': orders[0].id,
                    'party': party.id, 'company': company.id,
                    'gateway': gateway.id, 'amount': 381500,
                    'state': 'paid', 'verified_at': now}, {
                    'order': orders[1].id, 'party': party.id,
                    'company': company.id, 'gateway': gateway.id,
                    'amount': 1000, 'state': 'failed'}])
        Payment.notify_received([paid, failed])
        for _ in range(3):
            Reminder.notify_payments()
        message, = self.messages(party)
        self.assertIn('381,500 ریال', message.text)

    # Announcements -------------------------------------------------------

    @with_transaction()
    def test_announcement_targets(self):
        pool = Pool()
        Announcement = pool.get('partak.announcement')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        plan, other_plan = self.plan(), self.plan(name='فیروزه')
        sari, amol = City.create([{'name': 'ساری'}, {'name': 'آمل'}])
        university, bazaar = Centre.create([
                {'name': 'دانشگاه', 'city': sari.id},
                {'name': 'بازار', 'city': amol.id}])
        kamal, line = self.subscriber(city=sari, centre=university)
        self.period(line, plan, datetime.datetime.now() + 10 * DAY)
        now = datetime.datetime.now()
        targets = {
            'all': {},
            'city': {'city': sari.id},
            'other city': {'city': amol.id},
            'centre': {'centre': university.id},
            'other centre': {'centre': bazaar.id},
            'plan': {'plan': plan.id},
            'other plan': {'plan': other_plan.id},
            'status': {'line_status': 'in_service'},
            'other status': {'line_status': 'collection'},
            'city and plan': {'city': sari.id, 'plan': plan.id},
            'city, other plan': {'city': sari.id, 'plan': other_plan.id},
            'past': {'end': now - DAY},
            'future': {'start': now + DAY},
            'window': {'start': now - DAY, 'end': now + DAY},
            }
        Announcement.create([dict(text=k, **v) for k, v in targets.items()])
        shown = {a.text for a in Announcement.for_party(kamal)}
        self.assertEqual(shown, {'all', 'city', 'centre', 'plan', 'status',
                'city and plan', 'window'})
        # an ended service no longer counts for the plan
        Period = pool.get('partak.service.period')
        Period.write(Period.search([('line', '=', line.id)]),
            {'state': 'ended'})
        shown = {a.text for a in Announcement.for_party(kamal)}
        self.assertNotIn('plan', shown)
        self.assertIn('all', shown)
        self.assertIn(Announcement.pick(kamal).text, shown)


del TestCase
