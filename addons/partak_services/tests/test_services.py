# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Catalogue, periods and traffic, wallet, orders with their invoices, and
the crons, on a database with the accounting set up."""
import datetime
from decimal import Decimal

from trytond.model.exceptions import AccessError, ValidationError
from trytond.model.modelview import AccessButtonError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.partak_services.fiscal import ensure_fiscalyear
from trytond.modules.partak_services.setup import (
    create_demo_catalogue, run_in_transaction, setup_accounting)
from trytond.modules.partak_services.tools import GB, MB, add_months, to_utc
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction, TransactionError

MODULE = 'partak_services'
DAY = datetime.timedelta(days=1)


class ServicesTestCase(TestCase):
    "Services, orders and crons with a database"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(MODULE)
        # The company, its accounting and the catalogue are committed once;
        # each test runs in its own rolled back transaction.
        cls.company_id = run_in_transaction(DB_NAME, cls.create_fixture)

    @staticmethod
    def create_fixture():
        pool = Pool()
        Currency = pool.get('currency.currency')
        irr, = Currency.create([{'name': 'Rial', 'code': 'IRR',
                    'symbol': 'IRR', 'digits': 0, 'rounding': Decimal(1)}])
        company = create_company('Partak ISP', currency=irr)
        setup_accounting(company)
        # Twice: idempotent
        setup_accounting(company)
        create_demo_catalogue(company)
        create_demo_catalogue(company)
        return company.id

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        self.phone = 1132455100

    # Helpers -------------------------------------------------------------

    def company(self):
        return Pool().get('company.company')(self.company_id)

    def product(self, key):
        Template = Pool().get('product.template')
        from trytond.modules.partak_services.setup import CATALOGUE
        name = dict(CATALOGUE)[key]['name']
        template, = Template.search([('name', '=', name)])
        return template.products[0]

    def subscriber(self, name='کمال نصیری'):
        pool = Pool()
        Party = pool.get('party.party')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        party, = Party.create([{'name': name, 'subscriber_kind': 'person'}])
        city = City.search([], limit=1)
        if not city:
            city = City.create([{'name': 'ساری'}])
        city, = city
        centre = Centre.search([], limit=1) or Centre.create([{
                    'name': 'دانشگاه', 'city': city.id}])
        self.phone += 1
        line, = Line.create([{'phone': str(self.phone),
                    'subscriber': party.id, 'city': city.id,
                    'centre': centre[0].id, 'status': 'in_service'}])
        return party, line

    def buy(self, party, line, key, kind='service', quantity=1,
            channel='online', use_wallet=True):
        "Quote and settle with the exact amount (a verified bank payment)."
        Order = Pool().get('partak.order')
        order = Order.quote(party, line, kind, self.product(key),
            quantity=quantity, channel=channel, use_wallet=use_wallet)
        if order.payable:
            self.assertTrue(Order.settle(order, order.payable, 'BANK-1'))
        else:
            self.assertEqual(Order.pay_with_wallet([order]), [order])
        return Order(order.id)

    def age_period(self, period, days_left, term_days):
        "Rewrites a period so that `days_left` whole days remain."
        Period = Pool().get('partak.service.period')
        now = datetime.datetime.now()
        end = now + datetime.timedelta(days=days_left, hours=1)
        Period.write([period], {
                'start': end - datetime.timedelta(days=term_days),
                'end': end})
        return Period(period.id)

    def balance(self, party):
        return Pool().get('party.party')(party.id).wallet_balance

    def account_balance(self, party, code):
        "Debit − credit of `party` on the account `code`, in Rials."
        pool = Pool()
        Line = pool.get('account.move.line')
        lines = Line.search([
                ('account.code', '=', code),
                ('party', '=', party.id),
                ])
        return int(sum(l.debit - l.credit for l in lines))

    # Catalogue and accounting --------------------------------------------

    @with_transaction()
    def test_catalogue(self):
        "The manual's catalogue with prices, VAT and kinds"
        with set_company(self.company()):
            standard = self.product('standard_1m').template
            self.assertEqual(standard.partak_kind, 'plan')
            self.assertEqual(standard.speed_down_kbps, 2048)
            self.assertEqual(standard.volume_bytes, 5 * GB)
            self.assertEqual(standard.volume_mb, 5120)
            self.assertEqual(standard.duration_days, 30)
            self.assertEqual(standard.billing, 'prepaid')
            self.assertEqual(standard.partak_vat_rate, Decimal('0.09'))
            self.assertEqual(self.product('zomorrod').partak_price, 8_000_000)
            self.assertEqual(
                self.product('static_ip').template.partak_price, 50_000)
            campaign = self.product('campaign').template
            self.assertEqual(campaign.billing, 'postpaid')
            self.assertEqual(campaign.campaign_monthly_bytes, 5120 * MB)
            self.assertFalse(campaign.sold_online)
            self.assertEqual(
                self.product('traffic_1g_bonus').template.bonus_percent, 10)

    @with_transaction()
    def test_today_is_the_isps_day(self):
        "ir.date.today is the ISP's local day, with or without a company"
        from zoneinfo import ZoneInfo

        from trytond import config
        Date = Pool().get('ir.date')
        if not config.has_section('partak'):
            config.add_section('partak')
        saved = config.get('partak', 'timezone', default=None)
        # Two zones 26 hours apart: at any UTC hour at least one of them
        # is on another day than the server, so losing the rule fails here
        try:
            for zone in ['Pacific/Kiritimati', 'Etc/GMT+12']:
                config.set('partak', 'timezone', zone)
                expected = datetime.datetime.now(ZoneInfo(zone)).date()
                with Transaction().set_context(company=None):
                    self.assertEqual(Date.today(), expected, msg=zone)
                company = self.company()
                self.assertFalse(company.timezone)
                with set_company(company):
                    self.assertEqual(Date.today(), expected, msg=zone)
            # A company's own time zone comes first
            company.timezone = 'Etc/GMT-14'
            company.save()
            with set_company(company):
                self.assertEqual(Date.today(), datetime.datetime.now(
                        ZoneInfo('Etc/GMT-14')).date())
        finally:
            config.set('partak', 'timezone', saved or 'Asia/Tehran')

    @with_transaction()
    def test_setup_accounting_en_chart(self):
        "Tryton's English chart works too (databases with English)"
        pool = Pool()
        Currency = pool.get('currency.currency')
        Account = pool.get('account.account')
        irr, = Currency.search([('code', '=', 'IRR')])
        company = create_company('Other ISP', currency=irr)
        with set_company(company):
            result = setup_accounting(
                company, chart='account.account_template_root_en')
            self.assertEqual(result['vat'].rate, Decimal('0.09'))
            self.assertEqual(result['vat'].invoice_account.code, '6.3.6')
            self.assertTrue(result['receivable'].party_required)
            self.assertTrue(Account.search([
                        ('company', '=', company.id),
                        ('code', '=', '1.1.1')]))

    @with_transaction()
    def test_setup_accounting(self):
        "Persian chart, Jalali fiscal year with monthly periods, VAT 9 %"
        pool = Pool()
        FiscalYear = pool.get('account.fiscalyear')
        Date = pool.get('ir.date')
        company = self.company()
        with set_company(company):
            result = setup_accounting(company)
            fiscalyear = result['fiscalyear']
            self.assertEqual(FiscalYear.find(company.id, Date.today()),
                fiscalyear)
            self.assertEqual(len(fiscalyear.periods), 12)
            self.assertEqual(fiscalyear.start_date.strftime('%m-%d')[:2],
                '03')
            self.assertTrue(fiscalyear.invoice_sequences)
            self.assertEqual(result['vat'].invoice_account.code, '2.2')
            self.assertEqual(result['revenue'].code, '4.1')
            self.assertEqual(result['category'].customer_taxes,
                (result['vat'],))

    @with_transaction()
    def test_catalogue_validation(self):
        "A plan needs a duration, a pack a volume, a timed pack a window"
        pool = Pool()
        Template = pool.get('product.template')
        ModelData = pool.get('ir.model.data')
        unit = ModelData.get_id('product', 'uom_unit')
        for values in [
                {'partak_kind': 'plan'},
                {'partak_kind': 'traffic'},
                {'partak_kind': 'timed_traffic', 'volume_bytes': GB},
                ]:
            with self.subTest(values=values):
                with self.assertRaises(ValidationError):
                    Template.create([dict(name='Bad', type='service',
                                default_uom=unit, **values)])

    # Periods and traffic --------------------------------------------------

    @with_transaction()
    def test_service_active_then_reserve(self):
        "A service starts now; a second one is a reserve from the first's end"
        pool = Pool()
        Line = pool.get('partak.line')
        Period = pool.get('partak.service.period')
        with set_company(self.company()):
            party, line = self.subscriber()
            first = self.buy(party, line, 'standard_1m')
            line = Line(line.id)
            active = line.active_period
            self.assertEqual(active, first.period)
            self.assertEqual(active.state, 'active')
            self.assertEqual(active.channel, 'online')
            self.assertEqual(active.paid_amount, 350_000)
            self.assertIn(line.remaining_days, {29, 30})
            self.assertEqual(line.remaining_bytes, 5 * GB)
            self.assertEqual(line.reserve_periods, ())

            second = self.buy(party, line, 'standard_1m')
            line = Line(line.id)
            self.assertEqual(line.active_period, first.period)
            reserve, = line.reserve_periods
            self.assertEqual(reserve, second.period)
            self.assertEqual(reserve.state, 'reserve')
            self.assertEqual(reserve.start, active.end)
            self.assertEqual(line.reserve_bytes, 5 * GB)

            # The cron ends the first at its end and starts the reserve
            Period.consume(active, GB)
            started = Period.expire_periods(
                date=active.end + datetime.timedelta(minutes=5))
            self.assertEqual(started, [reserve])
            self.assertEqual(Period(active.id).state, 'ended')
            self.assertEqual(Period(active.id).remaining_bytes, 0)
            reserve = Period(reserve.id)
            self.assertEqual(reserve.state, 'active')
            self.assertEqual(reserve.start, active.end)
            # What was left of the first is written off by an expiry move
            kinds = sorted((m.kind, m.bytes) for b in Period(active.id).buckets
                for m in b.moves)
            self.assertEqual(kinds, [
                    ('credit', 5 * GB), ('expiry', -4 * GB), ('usage', -GB)])
            # Running the cron again changes nothing
            self.assertEqual(Period.expire_periods(
                    date=active.end + datetime.timedelta(minutes=6)), [])

    @with_transaction()
    def test_consume_timed_first(self):
        "Usage goes to timed buckets first (earliest expiry), expired ignored"
        pool = Pool()
        Bucket = pool.get('partak.traffic.bucket')
        Period = pool.get('partak.service.period')
        with set_company(self.company()):
            party, line = self.subscriber()
            period = self.buy(party, line, 'standard_1m').period
            now = datetime.datetime.now()
            pack = Bucket.add(period, 'pack', GB)
            late = Bucket.add(period, 'timed', GB, expires=now + 7 * DAY)
            early = Bucket.add(period, 'timed', GB, expires=now + DAY)
            expired = Bucket.add(period, 'timed', GB,
                expires=now - DAY, date=now - 2 * DAY)
            plan = period.plan_bucket()
            self.assertEqual(Period(period.id).remaining_bytes, 8 * GB)

            self.assertEqual(period.consume(GB + 512 * MB), 0)

            def remaining(bucket):
                return Bucket(bucket.id).remaining
            self.assertEqual(remaining(early), 0)
            self.assertEqual(remaining(late), 512 * MB)
            self.assertEqual(remaining(plan), 5 * GB)
            self.assertEqual(remaining(pack), GB)
            self.assertEqual(remaining(expired), GB)
            # then the other buckets; what cannot be booked is returned
            self.assertEqual(period.consume(7 * GB), GB - 512 * MB)
            self.assertEqual(Period(period.id).remaining_bytes, 0)
            self.assertEqual(remaining(expired), GB)
            self.assertEqual(period.consume(0), 0)

    @with_transaction()
    def test_expire_buckets(self):
        "The timed traffic left at the end of its window expires, once"
        pool = Pool()
        Bucket = pool.get('partak.traffic.bucket')
        with set_company(self.company()):
            party, line = self.subscriber()
            order = self.buy(party, line, 'standard_1m')
            timed = self.buy(party, line, 'timed_3g_7d',
                kind='timed_traffic')
            bucket, = [b for b in order.period.buckets if b.kind == 'timed']
            self.assertEqual(bucket.order, timed)
            self.assertEqual(bucket.remaining, 3 * GB * 120 // 100)
            self.assertEqual(
                (bucket.expires - bucket.moves[0].date).days, 7)
            order.period.consume(GB)
            self.assertEqual(Bucket.expire_buckets(), [])
            moves = Bucket.expire_buckets(date=bucket.expires)
            self.assertEqual([m.bytes for m in moves],
                [-(3 * GB * 120 // 100 - GB)])
            self.assertEqual(Bucket(bucket.id).remaining, 0)
            self.assertEqual(Bucket.expire_buckets(date=bucket.expires), [])

    @with_transaction()
    def test_traffic_pack_bonus(self):
        "A pack credits its volume plus the bonus on the running service"
        pool = Pool()
        Line = pool.get('partak.line')
        with set_company(self.company()):
            party, line = self.subscriber()
            self.buy(party, line, 'standard_1m')
            self.buy(party, line, 'traffic_1g_bonus', kind='traffic')
            self.assertEqual(Line(line.id).remaining_bytes,
                5 * GB + 1_181_116_006)

    @with_transaction()
    def test_traffic_needs_service(self):
        "Traffic cannot be bought for a line without a service"
        Order = Pool().get('partak.order')
        with set_company(self.company()):
            party, line = self.subscriber()
            with self.assertRaises(ValidationError):
                Order.quote(party, line, 'traffic',
                    self.product('traffic_5g'))

    @with_transaction()
    def test_monthly_volume(self):
        "A yearly plan given monthly: one month's volume now, one each month"
        pool = Pool()
        Period = pool.get('partak.service.period')
        with set_company(self.company()):
            party, line = self.subscriber()
            period = self.buy(party, line, 'zomorrod', channel='online'
                ).period
            self.assertEqual(period.remaining_bytes, 40 * GB)
            self.assertEqual(period.volume_slots, 12)
            self.assertEqual(Period.credit_monthly_volumes(), 0)
            later = add_months(period.start, 1) + datetime.timedelta(hours=1)
            self.assertEqual(Period.credit_monthly_volumes(date=later), 1)
            self.assertEqual(Period.credit_monthly_volumes(date=later), 0)
            self.assertEqual(Period(period.id).remaining_bytes, 80 * GB)

    # Change of service ----------------------------------------------------

    @with_transaction()
    def test_change_manual(self):
        "The manual's change: 8,000,000 + 720,000 − 1,928,767 = 6,791,233"
        pool = Pool()
        Order = pool.get('partak.order')
        Line = pool.get('partak.line')
        Period = pool.get('partak.service.period')
        with set_company(self.company()):
            party, line = self.subscriber('pishgaman ka')
            current = self.buy(party, line, 'firouzeh').period
            self.assertEqual(current.paid_amount, 2_000_000)
            current = self.age_period(current, 352, 365)
            self.assertEqual(current.remaining_days, 352)
            self.assertEqual(current.remaining_value, 1_928_767)
            reserve = self.buy(party, line, 'standard_1m').period
            self.assertEqual(reserve.state, 'reserve')

            # (the earlier purchases were paid outside the books here)
            owed = self.account_balance(party, '1.2')
            order = Order.quote(party, line, 'change',
                self.product('zomorrod'))
            self.assertEqual(len(order.number), 6)
            self.assertGreaterEqual(int(order.number), 469600)
            self.assertEqual((order.price, order.vat, order.fee,
                    order.remaining_value, order.wallet_used,
                    order.payable, order.surplus),
                (8_000_000, 720_000, 0, 1_928_767, 0, 6_791_233, 0))
            self.assertEqual(order.replaced_period, current)
            self.assertTrue(Order.settle(order, 6_791_233, 'BANK-2'))
            order = Order(order.id)
            self.assertEqual(order.state, 'applied')

            current = Period(current.id)
            self.assertEqual(current.state, 'ended')
            new = Line(line.id).active_period
            self.assertEqual(new, order.period)
            self.assertEqual(new.product, self.product('zomorrod'))
            self.assertEqual(new.start, current.end)
            self.assertEqual(new.paid_amount, 8_000_000)
            # The reserve now follows the new service
            self.assertEqual(Period(reserve.id).start, new.end)
            self.assertEqual(self.balance(party), 0)

            # The new service invoiced in full, the replaced one's
            # remaining value credited: never a negative line on an invoice
            invoice = order.invoice
            self.assertEqual(invoice.state, 'posted')
            self.assertEqual(invoice.untaxed_amount, Decimal(8_000_000))
            self.assertEqual(invoice.tax_amount, Decimal(720_000))
            self.assertEqual(invoice.total_amount, Decimal(8_720_000))
            self.assertTrue(all(l.amount > 0 for l in invoice.lines))
            credit_note = order.credit_note
            self.assertEqual(credit_note.state, 'posted')
            self.assertEqual(credit_note.total_amount, Decimal(-1_928_767))
            self.assertEqual(credit_note.tax_amount, Decimal(0))
            remaining, = credit_note.lines
            self.assertEqual(remaining.taxes, ())
            # The replaced service's remaining days, spread over them (§8)
            self.assertEqual(remaining.product, current.product)
            # from today to the last day of the replaced one's deferral
            bought, = [l for l in current.order.invoice.lines if l.product]
            self.assertEqual(
                (remaining.defer_from, remaining.defer_to),
                (Pool().get('ir.date').today(), bought.defer_to))
            # The credit note pays part of the invoice: what is left is
            # what the bank pays (the bank's entry: partak_payment).
            self.assertEqual(invoice.amount_to_pay, Decimal(6_791_233))
            self.assertEqual(
                self.account_balance(party, '1.2') - owed, 6_791_233)

    @with_transaction()
    def test_revenue_over_the_term(self):
        "A year plan's revenue is recognised month by month, then runs out"
        pool = Pool()
        Order = pool.get('partak.order')
        Deferral = pool.get('account.invoice.deferred')
        Line = pool.get('account.move.line')
        company = self.company()
        with set_company(company):
            party, line = self.subscriber()
            order = self.buy(party, line, 'zomorrod')
            first, last = Order.term_days(order.period)
            self.assertEqual((last - first).days + 1, 365)
            plan_line, = [l for l in order.invoice.lines if l.product]
            self.assertEqual((plan_line.defer_from, plan_line.defer_to),
                (first, last))
            deferral, = Deferral.search([('invoice_line', '=', plan_line.id)])
            self.assertEqual((deferral.state, deferral.amount),
                ('running', Decimal(8_000_000)))

            def on(code):
                "Debit − credit of the deferral's moves on account code."
                return int(sum(l.debit - l.credit for l in Line.search([
                                ('move.origin', '=', str(deferral)),
                                ('account.code', '=', code)])))

            def recognised(move):
                return int(sum(l.credit for l in move.lines
                        if l.account.code == '4.1'))
            # The first move puts it all on 2.4; then each Jalali month of
            # the term that has its period: its days' share to 4.1.
            months = [m for m in Deferral(deferral.id).moves
                if recognised(m)]
            self.assertTrue(months)
            for move in months:
                days = (min(move.period.end_date, last)
                    - max(move.period.start_date, first)).days + 1
                self.assertLessEqual(
                    abs(recognised(move) - 8_000_000 * days / 365), 1,
                    move.period.rec_name)
            self.assertEqual(-on('2.4'),
                8_000_000 - sum(recognised(m) for m in months))
            self.assertEqual(on('4.1') + on('2.4'), 0)
            # The next Jalali year opened: the daily cron recognises the
            # rest and the deferred revenue runs out at the term's end.
            ensure_fiscalyear(company, last)
            Deferral.recognise_months()
            deferral = Deferral(deferral.id)
            self.assertEqual(deferral.state, 'closed')
            self.assertEqual((on('2.4'), on('4.1')), (0, 0))
            self.assertGreaterEqual(deferral.moves[-1].period.end_date, last)

    @with_transaction()
    def test_change_negative_to_wallet(self):
        "A cheaper service: nothing to pay, the surplus goes to the wallet"
        pool = Pool()
        Order = pool.get('partak.order')
        WalletMove = pool.get('partak.wallet.move')
        with set_company(self.company()):
            party, line = self.subscriber()
            current = self.buy(party, line, 'firouzeh').period
            self.age_period(current, 352, 365)
            owed = self.account_balance(party, '1.2')
            order = Order.quote(party, line, 'change', self.product('aghigh'))
            self.assertEqual((order.price, order.vat, order.remaining_value,
                    order.payable, order.surplus),
                (1_400_000, 126_000, 1_928_767, 0, 402_767))
            self.assertEqual(Order.pay_with_wallet([order]), [order])
            order = Order(order.id)
            self.assertEqual(order.state, 'applied')
            self.assertEqual(self.balance(party), 402_767)
            # Settled once: the invoice of the new service, the credit note
            # of the replaced one and the surplus that the receivable gives
            # to the wallet net to zero and are reconciled; no negative
            # invoice, the wallet's balance is its deposit account's.
            invoice, credit_note = order.invoice, order.credit_note
            self.assertEqual(invoice.total_amount, Decimal(1_526_000))
            self.assertEqual(credit_note.total_amount, Decimal(-1_928_767))
            self.assertEqual((invoice.state, credit_note.state),
                ('paid', 'paid'))
            self.assertEqual(self.account_balance(party, '1.2'), owed)
            self.assertEqual(self.account_balance(party, '2.3'), -402_767)
            surplus, = WalletMove.search([('order', '=', order.id)])
            self.assertEqual((surplus.reason, surplus.amount),
                ('surplus', 402_767))
            self.assertEqual(surplus.move.state, 'posted')
            self.assertEqual(surplus.move.origin, surplus)
            # Applied once: a second payment does nothing
            self.assertEqual(Order.pay_with_wallet([order]), [])
            self.assertEqual(self.balance(party), 402_767)
            self.assertEqual(self.account_balance(party, '2.3'), -402_767)

    # Orders ---------------------------------------------------------------

    @with_transaction()
    def test_quote_freezes_amounts(self):
        "The pre-invoice's amounts do not follow later price changes"
        pool = Pool()
        Order = pool.get('partak.order')
        Template = pool.get('product.template')
        with set_company(self.company()):
            party, line = self.subscriber()
            product = self.product('standard_1m')
            order = Order.quote(party, line, 'service', product)
            self.assertEqual(order.state, 'quoted')
            self.assertEqual((order.price, order.vat, order.payable),
                (350_000, 31_500, 381_500))
            self.assertTrue(order.expires > datetime.datetime.now())
            Template.write([product.template],
                {'list_price': Decimal(500_000)})
            order = Order(order.id)
            self.assertEqual(order.payable, 381_500)
            self.assertTrue(Order.settle(order, 381_500, 'BANK'))
            order = Order(order.id)
            self.assertEqual(order.period.paid_amount, 350_000)
            self.assertEqual(order.invoice.total_amount, Decimal(381_500))
            with self.assertRaises(Exception):
                Order.write([order], {'product': self.product(
                            'month_1024_5').id})

    @with_transaction()
    def test_portal_context(self):
        "As the portal calls: root user, no company in the context"
        pool = Pool()
        Order = pool.get('partak.order')
        with set_company(self.company()):
            party, line = self.subscriber()
        transaction = Transaction()
        with transaction.set_user(0), transaction.set_context(company=None):
            product = self.product('standard_1m')
            self.assertEqual(product.partak_price, 350_000)
            order = Order.quote(party, line, 'service', product)
            self.assertEqual(order.company, self.company())
            self.assertEqual(order.payable, 381_500)
            self.assertTrue(Order.settle(order, 381_500, 'BANK-P'))
            order = Order(order.id)
            self.assertEqual(order.state, 'applied')
            self.assertEqual(order.invoice.total_amount, Decimal(381_500))

    @with_transaction()
    def test_settle_twice_applies_once(self):
        "A repeated settle (repeated bank callback) applies nothing more"
        pool = Pool()
        Order = pool.get('partak.order')
        Period = pool.get('partak.service.period')
        Invoice = pool.get('account.invoice')
        with set_company(self.company()):
            party, line = self.subscriber()
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            self.assertTrue(Order.settle(order, 381_500, 'BANK-9'))
            self.assertFalse(Order.settle(order, 381_500, 'BANK-9'))
            Order.apply([order])
            Order.create_invoice([Order(order.id)])
            order = Order(order.id)
            self.assertEqual(order.state, 'applied')
            self.assertEqual(order.payment_reference, 'BANK-9')
            self.assertEqual(
                Period.search_count([('line', '=', line.id)]), 1)
            invoices = Invoice.search([('party', '=', party.id)])
            self.assertEqual(invoices, [order.invoice])
            invoice, = invoices
            self.assertEqual(invoice.state, 'posted')
            self.assertEqual(invoice.type, 'out')
            self.assertEqual(invoice.currency.code, 'IRR')
            self.assertEqual(invoice.total_amount, Decimal(381_500))
            self.assertEqual(invoice.tax_amount, Decimal(31_500))
            self.assertEqual(self.balance(party), 0)

    @with_transaction()
    def test_settle_wrong_amount(self):
        "A wrong amount is refused: nothing applied, the money to the wallet"
        pool = Pool()
        Order = pool.get('partak.order')
        Period = pool.get('partak.service.period')
        with set_company(self.company()):
            party, line = self.subscriber()
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            self.assertFalse(Order.settle(order, 1_000, 'BANK-3'))
            order = Order(order.id)
            self.assertEqual(order.state, 'cancelled')
            self.assertFalse(order.invoice)
            self.assertEqual(
                Period.search_count([('line', '=', line.id)]), 0)
            self.assertEqual(self.balance(party), 1_000)
            # The repeated callback credits nothing more
            self.assertFalse(Order.settle(order, 1_000, 'BANK-3'))
            self.assertEqual(self.balance(party), 1_000)

    @with_transaction()
    def test_settle_expired(self):
        "An expired pre-invoice is refused, the payment goes to the wallet"
        pool = Pool()
        Order = pool.get('partak.order')
        with set_company(self.company()):
            party, line = self.subscriber()
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            Order.write_computed([order], {'expires':
                    datetime.datetime.now() - datetime.timedelta(minutes=1)})
            self.assertFalse(Order.settle(order, 381_500, 'BANK-4'))
            self.assertEqual(Order(order.id).state, 'cancelled')
            self.assertEqual(self.balance(party), 381_500)

    @with_transaction()
    def test_wallet_only_payment(self):
        "The wallet pays the whole order: debited, applied, invoiced"
        pool = Pool()
        Order = pool.get('partak.order')
        WalletMove = pool.get('partak.wallet.move')
        with set_company(self.company()):
            party, line = self.subscriber()
            WalletMove.credit(party, 500_000, reason='deposit')
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            self.assertEqual((order.wallet_used, order.payable),
                (381_500, 0))
            self.assertEqual(Order.pay_with_wallet([order]), [order])
            order = Order(order.id)
            self.assertEqual(order.state, 'applied')
            self.assertEqual(self.balance(party), 118_500)
            self.assertEqual(order.invoice.total_amount, Decimal(381_500))
            self.assertEqual(order.invoice.state, 'paid')
            debit, = WalletMove.search([('amount', '<', 0)])
            self.assertEqual((debit.amount, debit.order), (-381_500, order))

            # Partly the wallet, the rest by the bank
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            self.assertEqual((order.wallet_used, order.payable),
                (118_500, 263_000))
            with self.assertRaises(ValidationError):
                Order.pay_with_wallet([order])
            self.assertTrue(Order.settle(order, 263_000, 'BANK-5'))
            self.assertEqual(self.balance(party), 0)

            # Without the wallet
            WalletMove.credit(party, 10_000)
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'), use_wallet=False)
            self.assertEqual((order.wallet_used, order.payable),
                (0, 381_500))

    @with_transaction()
    def test_wallet_never_negative(self):
        "Two purchases on the same credit: the second is refused"
        pool = Pool()
        Order = pool.get('partak.order')
        WalletMove = pool.get('partak.wallet.move')
        with set_company(self.company()):
            party, line = self.subscriber()
            WalletMove.credit(party, 100_000)
            first = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            second = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            self.assertEqual(first.wallet_used, 100_000)
            self.assertEqual(second.wallet_used, 100_000)
            self.assertTrue(Order.settle(first, 281_500, 'BANK-A'))
            self.assertEqual(self.balance(party), 0)
            self.assertFalse(Order.settle(second, 281_500, 'BANK-B'))
            self.assertEqual(Order(second.id).state, 'cancelled')
            # The bank's money is kept for the subscriber, never below zero
            self.assertEqual(self.balance(party), 281_500)
            with self.assertRaises(ValidationError):
                WalletMove.debit(party, 281_501)
            self.assertEqual(self.balance(party), 281_500)
            amounts = [m.amount for m in WalletMove.search(
                    [('party', '=', party.id)], order=[('id', 'ASC')])]
            total = 0
            for amount in amounts:
                total += amount
                self.assertGreaterEqual(total, 0)

    @with_transaction()
    def test_wallet_debit_locks_party(self):
        "A debit locks the party row first (retried with the lock held)"
        pool = Pool()
        Party = pool.get('party.party')
        WalletMove = pool.get('partak.wallet.move')
        Order = pool.get('partak.order')
        transaction = Transaction()
        with set_company(self.company()):
            party, line = self.subscriber()
            WalletMove.credit(party, 100_000)
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            # As if the party and the order were created by an earlier
            # transaction: the lock must be taken.
            transaction.create_records['party.party'].remove(party.id)
            transaction.create_records['partak.order'].remove(order.id)
            with self.assertRaises(TransactionError):
                WalletMove.debit(party, 1_000)
            with self.assertRaises(TransactionError):
                Order.settle(order, order.payable, 'BANK-L')
            self.assertEqual(Order(order.id).state, 'quoted')
            # Once the transaction holds the locks (what the retry does)
            transaction._locked_records[Party._table].add(party.id)
            transaction._locked_records[Order._table].add(order.id)
            WalletMove.debit(party, 1_000)
            self.assertEqual(self.balance(party), 99_000)
            self.assertFalse(Order.settle(order, order.payable, 'BANK-L'))
            self.assertEqual(Order(order.id).state, 'cancelled')

    @with_transaction()
    def test_quote_validation(self):
        "Online only what is sold online; kind and line must match"
        pool = Pool()
        Order = pool.get('partak.order')
        with set_company(self.company()):
            party, line = self.subscriber()
            other, other_line = self.subscriber('دیگری')
            with self.assertRaises(ValidationError):
                Order.quote(party, line, 'service', self.product('campaign'))
            order = Order.quote(party, line, 'service',
                self.product('campaign'), channel='admin')
            self.assertEqual(order.price, 0)
            with self.assertRaises(ValidationError):
                Order.quote(party, line, 'service',
                    self.product('traffic_5g'))
            with self.assertRaises(ValidationError):
                Order.quote(party, other_line, 'service',
                    self.product('standard_1m'))
            with self.assertRaises(ValidationError):
                Order.quote(party, line, 'change',
                    self.product('zomorrod'))
            with self.assertRaises(ValidationError):
                Order.quote(party, line, 'service',
                    self.product('standard_1m'), quantity=2)
            # a template is accepted for its product
            order = Order.quote(party, line, 'service',
                self.product('standard_1m').template)
            self.assertEqual(order.product, self.product('standard_1m'))

    @with_transaction()
    def test_staff_sale(self):
        "Staff create an order (channel agent) and mark it paid"
        pool = Pool()
        Order = pool.get('partak.order')
        Line = pool.get('partak.line')
        with set_company(self.company()):
            party, line = self.subscriber()
            Line.set_status([line], 'collection')
            order, = Order.create([{'party': party.id, 'line': line.id,
                        'kind': 'service', 'channel': 'agent',
                        'product': self.product('standard_1m').id}])
            self.assertEqual(order.payable, 381_500)
            Order.write_computed([order], {'expires':
                    datetime.datetime.now() - datetime.timedelta(hours=2)})
            Order.mark_paid([order])
            order = Order(order.id)
            self.assertEqual(order.state, 'applied')
            self.assertEqual(order.period.channel, 'agent')
            self.assertTrue(order.payment_reference.startswith('staff:'))
            # A purchase brings the line back from the collection list
            line = Line(line.id)
            self.assertEqual(line.status, 'in_service')

    def staff(self, login, group):
        "A back-office user of ``group`` (partak_subscriber) in the company."
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        company = self.company()
        user, = User.create([{'name': login, 'login': login,
                    'groups': [('add', [ModelData.get_id(
                                    'partak_subscriber', group)])],
                    'companies': [('add', [company.id])],
                    'company': company.id}])
        return user

    def as_user(self, user):
        """The user's own rights, as an RPC call has them: two context
        managers, for one ``with`` (they take effect at once)."""
        transaction = Transaction()
        return transaction.set_user(user.id), transaction.set_context(
            _check_access=True, company=self.company_id)

    @with_transaction()
    def test_review_attack_frozen_amounts(self):
        "Support cannot zero an order's amounts nor apply it without a bank"
        pool = Pool()
        Order = pool.get('partak.order')
        with set_company(self.company()):
            support = self.staff('support', 'group_partak_support')
            party, line = self.subscriber()
            user, context = self.as_user(support)
            with user, context:
                order, = Order.create([{'party': party.id,
                            'line': line.id, 'kind': 'service',
                            'channel': 'admin',
                            'product': self.product('standard_1m').id}])
                # The outside review's exact attack
                with self.assertRaises(AccessError) as refused:
                    Order.write([order], {'price': 0, 'vat': 0,
                            'payable': 0, 'surplus': 7_777_777})
                self.assertIn('Partak', refused.exception.message)
                with self.assertRaises(AccessButtonError):
                    Order.mark_paid([order])
                # nor given at creation
                with self.assertRaises(AccessError):
                    Order.create([{'party': party.id, 'line': line.id,
                                'kind': 'service', 'channel': 'admin',
                                'product': self.product('standard_1m').id,
                                'payable': 0, 'surplus': 7_777_777}])
            order = Order(order.id)
            self.assertEqual(
                (order.state, order.price, order.payable, order.surplus),
                ('quoted', 350_000, 381_500, 0))
            self.assertEqual(self.balance(party), 0)
            self.assertFalse(order.period)

    @with_transaction()
    def test_imported_purchase_in_its_year(self):
        "A purchase brought over from 1393 is invoiced, paid and in 1393"
        pool = Pool()
        Order = pool.get('partak.order')
        Period = pool.get('partak.service.period')
        FiscalYear = pool.get('account.fiscalyear')
        with set_company(self.company()):
            party, line = self.subscriber()
            paid = to_utc(datetime.datetime(2014, 6, 10, 10, 30))  # 1393/03/20
            order, = Order.import_history([{
                        'party': party.id, 'line': line.id,
                        'kind': 'service',
                        'product': self.product('standard_1m').id,
                        'quantity': 1, 'price': 350_000, 'vat': 31_500,
                        'fee': 0, 'remaining_value': 0, 'wallet_used': 0,
                        'payable': 381_500, 'surplus': 0,
                        'state': 'applied', 'channel': 'online',
                        'paid_at': paid, 'applied_at': paid,
                        }])
            period = Period.new_period(line, self.product('standard_1m'),
                paid, order=order, paid_amount=350_000, channel='online')
            Order.write_computed([order], {'period': period.id})
            Order.book_imported([order])
            Order.book_imported([order])  # again: nothing more
            order = Order(order.id)
            invoice = order.invoice
            self.assertEqual((invoice.state, invoice.invoice_date,
                    invoice.total_amount),
                ('paid', datetime.date(2014, 6, 10), Decimal(381_500)))
            self.assertTrue(invoice.number.startswith('1393-'))
            self.assertEqual(invoice.move.period.name, 'خرداد 1393')
            self.assertEqual(FiscalYear.search_count(
                    [('name', '=', 'سال مالی 1393')]), 1)
            self.assertEqual(sorted((l.account.code, int(l.debit - l.credit))
                    for l in order.counter_move.lines),
                [('1.1', 381_500), ('1.2', -381_500)])
            self.assertEqual(order.counter_move.journal.code, 'IMPORT')
            self.assertEqual(self.account_balance(party, '1.2'), 0)
            # Its month's revenue, from its 30 days: خرداد and تیر 1393
            Deferral = pool.get('account.invoice.deferred')
            deferral, = Deferral.search(
                [('invoice_line.invoice', '=', invoice.id)])
            self.assertEqual(deferral.state, 'closed')
            self.assertEqual(sorted({m.period.name for m in deferral.moves}),
                sorted({'خرداد 1393', 'تیر 1393'}))

    @with_transaction()
    def test_mark_paid_admin_accounting_only(self):
        "Only administration and accounting apply an order without a bank"
        pool = Pool()
        Order = pool.get('partak.order')
        Button = pool.get('ir.model.button')
        ModelData = pool.get('ir.model.data')
        groups = Button.get_groups('partak.order', 'mark_paid')
        self.assertEqual(groups, {ModelData.get_id('partak_subscriber', g)
                for g in ['group_partak_admin', 'group_partak_accounting']})
        with set_company(self.company()):
            agent = self.staff('agent', 'group_partak_agent')
            accountant = self.staff('accountant', 'group_partak_accounting')
            party, line = self.subscriber()
            Pool().get('party.party').write([party], {'agent': agent.id})
            user, context = self.as_user(agent)
            with user, context:
                order, = Order.create([{'party': party.id,
                            'line': line.id, 'kind': 'service',
                            'channel': 'agent',
                            'product': self.product('standard_1m').id}])
                with self.assertRaises(AccessButtonError):
                    Order.mark_paid([order])
            self.assertEqual(Order(order.id).state, 'quoted')
            user, context = self.as_user(accountant)
            with user, context:
                Order.mark_paid([Order(order.id)])
            order = Order(order.id)
            self.assertEqual(order.state, 'applied')
            # The money received at the counter is in the books (entry 10):
            # Dr 1.1 / Cr 1.2 of the payable, the invoice paid.
            self.assertEqual(order.invoice.state, 'paid')
            self.assertEqual(sorted((l.account.code, int(l.debit - l.credit))
                    for l in order.counter_move.lines),
                [('1.1', 381_500), ('1.2', -381_500)])
            self.assertEqual(order.counter_move.state, 'posted')
            self.assertEqual(self.account_balance(party, '1.2'), 0)
            # Marked paid again: nothing more is booked.
            Order.mark_paid([order])
            self.assertEqual(Order(order.id).counter_move, order.counter_move)

    @with_transaction()
    def test_amounts_refused_for_everyone(self):
        "Amounts and bookkeeping are never given nor written, even by root"
        pool = Pool()
        Order = pool.get('partak.order')
        for name in ['price', 'vat', 'fee', 'remaining_value', 'wallet_used',
                'payable', 'surplus', 'state', 'number', 'period',
                'invoice', 'paid_at', 'applied_at', 'expires']:
            # readonly: the back office never sends them
            self.assertTrue(getattr(Order, name).readonly, name)
        with set_company(self.company()):
            party, line = self.subscriber()
            values = {'party': party.id, 'line': line.id, 'kind': 'service',
                'channel': 'admin',
                'product': self.product('standard_1m').id}
            for extra in [{'payable': 0}, {'surplus': 1}, {'state': 'paid'},
                    {'number': 'X-1'}]:
                with self.assertRaises(AccessError):
                    Order.create([dict(values, **extra)])
            order, = Order.create([values])
            for extra in [{'price': 0}, {'wallet_used': 0},
                    {'state': 'applied'}, {'state': 'quoted'},
                    {'expires': None}, {'payment_reference': 'x'}]:
                with self.assertRaises(AccessError):
                    Order.write([order], extra)
            # A change of the purchase while quoted computes it again.
            Order.write([order], {'product': self.product('firouzeh').id})
            order = Order(order.id)
            self.assertEqual((order.price, order.payable),
                (2_000_000, 2_180_000))
            Order.write([order], {'note': 'ok'})
            # A copy is a new pre-invoice, computed again.
            copy, = Order.copy([order])
            self.assertEqual((copy.state, copy.payable, copy.created_by),
                ('quoted', 2_180_000, order.created_by))
            self.assertNotEqual(copy.number, order.number)

    @with_transaction()
    def test_order_workflow(self):
        "An order is paid and applied once, or cancelled, each step logged"
        pool = Pool()
        Order = pool.get('partak.order')
        with set_company(self.company()):
            party, line = self.subscriber()
            values = {'party': party.id, 'line': line.id, 'kind': 'service',
                'channel': 'admin',
                'product': self.product('standard_1m').id}
            order, cancelled = Order.create([values, values])
            Order.cancel([cancelled])
            Order.mark_paid([Order(order.id)])
            order, cancelled = Order(order.id), Order(cancelled.id)
            self.assertEqual((order.state, cancelled.state),
                ('applied', 'cancelled'))
            # No step back nor sideways: the transitions filter them out.
            Order.cancel([order])
            Order.mark_paid([cancelled])
            Order._step(Order._paid, [order])
            Order._step(Order._applied, [cancelled])
            self.assertEqual((Order(order.id).state,
                    Order(cancelled.id).state), ('applied', 'cancelled'))
            self.assertFalse(Order(cancelled.id).period)
            self.assertEqual(len(Order(order.id).period.line.periods), 1)
            # The state is written by the steps only, never by hand.
            with self.assertRaises(AssertionError):
                Order.write_computed([cancelled], {'state': 'quoted'})
            # (kept by the transaction, stored in ir.model.log at commit)
            steps = [(l.resource.id, l.target)
                for l in Transaction().log_records
                if l.event == 'transition' and l.resource.__name__
                == 'partak.order']
            self.assertEqual(steps, [
                    (cancelled.id, 'state:cancelled'),
                    (order.id, 'state:paid'),
                    (order.id, 'state:applied'),
                    ])

    @with_transaction()
    def test_wallet_in_books(self):
        "Every wallet move posts its entry; the balance is the deposit's"
        pool = Pool()
        Order = pool.get('partak.order')
        WalletMove = pool.get('partak.wallet.move')
        Party = pool.get('party.party')
        with set_company(self.company()):
            party, line = self.subscriber()
            other, _ = self.subscriber('دیگری')
            deposit = WalletMove.credit(party, 500_000, reason='deposit')
            gift = WalletMove.manual_credit(party, 100_000, 'جبران قطعی')
            WalletMove.credit(other, 7_000)
            for move in [deposit, gift]:
                self.assertEqual(move.move.state, 'posted')
                self.assertEqual(move.move.origin, move)
                self.assertEqual(move.move.journal.code, 'WALLET')
            self.assertEqual(self.account_balance(party, '2.3'), -600_000)
            # A deposit is on the subscriber's account (the bank's entry
            # pays it), a staff credit is the ISP's expense.
            self.assertEqual(self.account_balance(party, '1.2'), 500_000)
            expense = [l for l in gift.move.lines if l.debit]
            self.assertEqual([(l.account.code, l.party, l.debit)
                    for l in expense], [('5.1', None, Decimal(100_000))])
            # Money received at the counter is in the till (Dr 1.1 / Cr 2.3),
            # not an expense; an unknown kind is refused.
            cash = WalletMove.manual_credit(other, 20_000, 'نقد حضوری',
                kind='cash')
            self.assertEqual(sorted((l.account.code, int(l.debit - l.credit))
                    for l in cash.move.lines),
                [('1.1', 20_000), ('2.3', -20_000)])
            with self.assertRaises(ValidationError):
                WalletMove.manual_credit(other, 20_000, 'x', kind='deposit')
            # A balance brought over from the previous system opens the
            # books (Dr 3.2 / Cr 2.3): nothing is left on the receivable.
            opening = WalletMove.credit(other, 150_000, reason='opening')
            self.assertEqual(sorted((l.account.code, int(l.debit - l.credit))
                    for l in opening.move.lines),
                [('2.3', -150_000), ('3.2', 150_000)])
            self.assertEqual(self.account_balance(other, '1.2'), 7_000)

            # The wallet pays a whole order: Dr 2.3 / Cr 1.2, reconciled
            # with the invoice, which is paid.
            order = Order.quote(party, line, 'service',
                self.product('standard_1m'))
            self.assertEqual(Order.pay_with_wallet([order]), [order])
            order = Order(order.id)
            self.assertEqual(order.invoice.state, 'paid')
            used, = WalletMove.search([('order', '=', order.id)])
            self.assertEqual(used.amount, -381_500)
            self.assertEqual(self.account_balance(party, '2.3'), -218_500)
            self.assertEqual(self.account_balance(party, '1.2'), 500_000)

            # The balance is read from the deposit account, per party, and
            # agrees with the statement and with account_deposit's figure.
            statement = sum(m.amount for m in WalletMove.search(
                    [('party', '=', party.id)]))
            self.assertEqual(statement, 218_500)
            self.assertEqual(WalletMove.balances([party.id, other.id]),
                {party.id: 218_500, other.id: 177_000})
            self.assertEqual(Party(party.id).deposit, Decimal(218_500))

    @with_transaction()
    def test_manual_credit(self):
        "A manual credit has its reason and author; a move by hand is refused"
        pool = Pool()
        WalletMove = pool.get('partak.wallet.move')
        Credit = pool.get('partak.wallet.credit', type='wizard')
        with set_company(self.company()):
            accountant = self.staff('accountant', 'group_partak_accounting')
            support = self.staff('support', 'group_partak_support')
            party, line = self.subscriber()
            user, context = self.as_user(accountant)
            with user, context:
                with self.assertRaises(AccessError):
                    WalletMove.create([{'party': party.id,
                                'amount': 7_777_777, 'reason': 'deposit'}])
            active = {'active_model': 'party.party', 'active_id': party.id,
                'active_ids': [party.id]}
            user, context = self.as_user(accountant)
            with user, context, Transaction().set_context(active):
                session, _, _ = Credit.create()
                Credit.execute(session, {}, 'start')
                with self.assertRaises(ValidationError):
                    Credit.execute(session, {'start': {
                                'amount': 50_000, 'reason': '  '}},
                        'credit')
                Credit.execute(session, {'start': {'amount': 50_000,
                            'reason': 'تخفیف وفاداری'}}, 'credit')
            user, context = self.as_user(support)
            with user, context, Transaction().set_context(active):
                with self.assertRaises(AccessError):
                    Credit.create()
            move, = WalletMove.search([('party', '=', party.id)])
            self.assertEqual((move.amount, move.reason, move.note,
                    move.create_uid), (50_000, 'adjustment', 'تخفیف وفاداری',
                    accountant))
            self.assertEqual(self.balance(party), 50_000)

    @with_transaction()
    def test_access_agent_accounting(self):
        "Agents sell to their own subscribers; accounting only reads"
        pool = Pool()
        User = pool.get('res.user')
        Party = pool.get('party.party')
        Order = pool.get('partak.order')
        ModelData = pool.get('ir.model.data')
        company = self.company()
        with set_company(company):
            agent, accountant = User.create([{
                        'name': login, 'login': login,
                        'groups': [('add', [ModelData.get_id(
                                        'partak_subscriber', group)])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        } for login, group in [
                        ('agent', 'group_partak_agent'),
                        ('accountant', 'group_partak_accounting')]])
            party, line = self.subscriber()
            Party.write([party], {'agent': agent.id})
            other, other_line = self.subscriber('دیگری')
            foreign = Order.quote(other, other_line, 'service',
                self.product('standard_1m'))
            product = self.product('standard_1m').id
            transaction = Transaction()
            with transaction.set_user(agent.id), \
                    transaction.set_context(
                        _check_access=True, company=company.id):
                order, = Order.create([{'party': party.id,
                            'line': line.id, 'kind': 'service',
                            'channel': 'agent', 'product': product}])
                self.assertEqual(Order.search([]), [order])
                with self.assertRaises(AccessError):
                    Order.create([{'party': other.id,
                                'line': other_line.id, 'kind': 'service',
                                'channel': 'agent', 'product': product}])
            with transaction.set_user(accountant.id), \
                    transaction.set_context(
                        _check_access=True, company=company.id):
                # (the refused order above is still in this transaction)
                self.assertLessEqual(
                    {Order(order.id), foreign}, set(Order.search([])))
                # accounting takes the money at the counter
                Order.mark_paid([Order(order.id)])
                Order(order.id).invoice.total_amount
                with self.assertRaises(AccessError):
                    Order.create([{'party': party.id, 'line': line.id,
                                'kind': 'service', 'channel': 'admin',
                                'product': product}])

    @with_transaction()
    def test_static_ip(self):
        "Static IP: rented from the pool, then extended by months"
        pool = Pool()
        Line = pool.get('partak.line')
        with set_company(self.company()):
            party, line = self.subscriber()
            order = self.buy(party, line, 'static_ip', kind='static_ip',
                quantity=2)
            self.assertEqual((order.price, order.vat, order.payable),
                (100_000, 9_000, 109_000))
            ip = Line(line.id).static_ip
            self.assertEqual(ip.address, '85.9.70.25')
            self.assertEqual(ip.state, 'active')
            end = ip.end
            self.assertEqual(end, add_months(ip.start, 2))
            invoice_line, = order.invoice.lines
            self.assertEqual(invoice_line.quantity, 2)
            self.assertEqual(invoice_line.unit_price, Decimal(50_000))
            self.assertEqual(order.invoice.total_amount, Decimal(109_000))

            self.buy(party, line, 'static_ip', kind='static_ip', quantity=1)
            ip = Line(line.id).static_ip
            self.assertEqual(ip.end, add_months(end, 1))
            # Another line gets the next free address
            other, other_line = self.subscriber('دیگری')
            self.buy(other, other_line, 'static_ip', kind='static_ip')
            self.assertEqual(Line(other_line.id).static_ip.address,
                '85.9.70.26')

    # Crons ----------------------------------------------------------------

    @with_transaction()
    def test_postpaid_bill_31_days(self):
        "A postpaid month of 31 days at 215,000 per 30 days is 222,166"
        pool = Pool()
        Period = pool.get('partak.service.period')
        Bill = pool.get('partak.bill')
        with set_company(self.company()):
            party, line = self.subscriber()
            # Farvardin 1394: 31 days, Tehran midnight to midnight
            start = to_utc(datetime.datetime(2015, 3, 21))
            end = to_utc(datetime.datetime(2015, 4, 21))
            period = Period.new_period(line, self.product('festival'), start,
                end=end, channel='admin')
            bills = Bill.create_bills()
            bill, = bills
            self.assertEqual((bill.start, bill.end, bill.days, bill.amount),
                (datetime.date(2015, 3, 21), datetime.date(2015, 4, 20), 31,
                    222_166))
            self.assertEqual(bill.note, 'فروردین ماه سال 1394')
            self.assertEqual(bill.period, period)
            self.assertEqual(bill.invoice.state, 'posted')
            self.assertEqual(bill.invoice.untaxed_amount, Decimal(222_166))
            # The one VAT rule: 222,166 × 9 % = 19,994.94, truncated
            self.assertEqual(bill.invoice.tax_amount, Decimal(19_994))
            self.assertEqual(Bill.create_bills(), [])

    @with_transaction()
    def test_postpaid_bill_months(self):
        "30-day months at 227,900 per 30 days; postpaid services renew"
        pool = Pool()
        Period = pool.get('partak.service.period')
        Bill = pool.get('partak.bill')
        with set_company(self.company()):
            party, line = self.subscriber()
            # Mehr 1393 (30 days)
            start = to_utc(datetime.datetime(2014, 9, 23))
            Period.new_period(line, self.product('campaign'), start,
                channel='admin')
            # The cron renews the postpaid service term after term
            Period.expire_periods(date=to_utc(datetime.datetime(2014, 12, 22)))
            bills = Bill.create_bills(
                date=to_utc(datetime.datetime(2014, 12, 22, 12)))
            self.assertEqual([(b.days, b.amount, b.note) for b in sorted(
                        bills, key=lambda b: b.start)], [
                    (30, 227_900, 'مهر ماه سال 1393'),
                    (30, 227_900, 'آبان ماه سال 1393'),
                    (30, 227_900, 'آذر ماه سال 1393'),
                    ])

    @with_transaction()
    def test_campaign_once_a_month(self):
        "Campaign traffic is credited once a month however often it runs"
        pool = Pool()
        Period = pool.get('partak.service.period')
        Charge = pool.get('partak.campaign.charge')
        with set_company(self.company()):
            party, line = self.subscriber()
            now = datetime.datetime.now()
            start = now - datetime.timedelta(hours=1)
            period = Period.new_period(line, self.product('campaign'), start,
                end=start + 90 * DAY, channel='admin')
            charge, = Charge.search([('period', '=', period.id)])
            self.assertEqual(charge.bytes, 5120 * MB)
            self.assertEqual(charge.result, 'applied')
            self.assertEqual(Period(period.id).remaining_bytes, 5120 * MB)
            for _ in range(3):
                self.assertEqual(Charge.charge_campaigns(), [])
            later = add_months(start, 1) + datetime.timedelta(minutes=1)
            self.assertEqual(len(Charge.charge_campaigns(date=later)), 1)
            self.assertEqual(Charge.charge_campaigns(date=later), [])
            self.assertEqual(Charge.charge_campaigns(
                    date=later + 3 * DAY), [])
            self.assertEqual(
                Charge.search_count([('period', '=', period.id)]), 2)
            self.assertEqual(Period(period.id).remaining_bytes,
                2 * 5120 * MB)

    @with_transaction()
    def test_collection_after_grace(self):
        "A line without service for more than 3 days goes to collection"
        pool = Pool()
        Period = pool.get('partak.service.period')
        Line = pool.get('partak.line')
        History = pool.get('partak.line.status.history')
        with set_company(self.company()):
            now = datetime.datetime.now()
            product = self.product('standard_1m')
            party, lapsed = self.subscriber()
            Period.new_period(lapsed, product, now - 34 * DAY)
            other, recent = self.subscriber('دیگری')
            Period.new_period(recent, product, now - 31 * DAY)
            third, never = self.subscriber('سوم')

            collected = Line.collect_lapsed_lines()
            self.assertEqual(collected, [lapsed])
            self.assertEqual(Line(lapsed.id).status, 'collection')
            row, = History.search([('line', '=', lapsed.id)],
                order=[('id', 'DESC')], limit=1)
            self.assertEqual(row.status, 'collection')
            self.assertTrue(row.note)
            self.assertEqual(Line(recent.id).status, 'in_service')
            self.assertEqual(Line(never.id).status, 'in_service')
            self.assertEqual(Line.collect_lapsed_lines(), [])

    @with_transaction()
    def test_free_charge_once(self):
        "The free charge: 100 MB when the traffic ran out, once per line"
        pool = Pool()
        Line = pool.get('partak.line')
        with set_company(self.company()):
            party, line = self.subscriber()
            period = self.buy(party, line, 'standard_1m').period
            with self.assertRaises(ValidationError):
                Line(line.id).take_free_charge()
            period.consume(5 * GB)
            self.assertEqual(Line(line.id).remaining_bytes, 0)
            charge = Line(line.id).take_free_charge()
            self.assertEqual((charge.days, charge.bytes),
                (0, 104_857_600))
            self.assertEqual(Line(line.id).remaining_bytes, 104_857_600)
            period.consume(200 * MB)
            with self.assertRaises(ValidationError):
                Line(line.id).take_free_charge()

    @with_transaction()
    def test_free_charge_days(self):
        "Days ran out: 2 days with 100 MB, once"
        pool = Pool()
        Line = pool.get('partak.line')
        Period = pool.get('partak.service.period')
        with set_company(self.company()):
            now = datetime.datetime.now()
            party, line = self.subscriber()
            with self.assertRaises(ValidationError):
                Line(line.id).take_free_charge()
            Period.new_period(line, self.product('standard_1m'),
                now - 31 * DAY)
            charge = Line(line.id).take_free_charge()
            self.assertEqual((charge.days, charge.bytes), (2, 104_857_600))
            line = Line(line.id)
            self.assertEqual(line.active_period, charge.period)
            self.assertIn(line.remaining_days, {1, 2})
            self.assertEqual(line.remaining_bytes, 104_857_600)
            with self.assertRaises(ValidationError):
                Line(line.id).take_free_charge()

    @with_transaction()
    def test_ledgers_are_append_only(self):
        "People cannot rewrite traffic or wallet moves"
        pool = Pool()
        WalletMove = pool.get('partak.wallet.move')
        with set_company(self.company()):
            party, line = self.subscriber()
            move = WalletMove.credit(party, 1_000)
            with Transaction().set_context(_check_access=True):
                with self.assertRaises(Exception):
                    WalletMove.write([move], {'amount': 5_000})
                with self.assertRaises(Exception):
                    WalletMove.delete([move])

    # Top-up, bills and payout (docs/accounting.md, entries 4, 5, 7) -------

    def open_bills(self, party, line):
        """Two posted postpaid bills of 1394 (Farvardin and Ordibehesht, 31
        days each at 215,000 per 30 days): 222,166 + 19,994 VAT each."""
        pool = Pool()
        Period = pool.get('partak.service.period')
        Bill = pool.get('partak.bill')
        Period.new_period(line, self.product('festival'),
            to_utc(datetime.datetime(2015, 3, 21)),
            end=to_utc(datetime.datetime(2015, 5, 22)), channel='admin')
        bills = sorted(Bill.create_bills(), key=lambda b: b.start)
        self.assertEqual([int(b.invoice.total_amount) for b in bills],
            [242_160, 242_160])
        return bills

    @with_transaction()
    def test_wallet_topup_and_payout(self):
        "A top-up is the subscriber's money (no invoice); a payout returns it"
        pool = Pool()
        Order = pool.get('partak.order')
        WalletMove = pool.get('partak.wallet.move')
        Configuration = pool.get('partak.services.configuration')
        Payout = pool.get('partak.wallet.payout', type='wizard')
        with set_company(self.company()):
            accountant = self.staff('accountant', 'group_partak_accounting')
            support = self.staff('support', 'group_partak_support')
            party, line = self.subscriber()
            config = Configuration.get()
            self.assertEqual((config.topup_minimum, config.topup_maximum),
                (10_000, 500_000_000))
            for amount in [9_999, 500_000_001, 0, -5, '250000', 2.5]:
                with self.assertRaises(ValidationError):
                    Order.quote_topup(party, line, amount)
            order = Order.quote_topup(party, line, 250_000)
            self.assertEqual((order.kind, order.product, order.price,
                    order.vat, order.fee, order.wallet_used, order.payable),
                ('topup', None, 250_000, 0, 0, 0, 250_000))
            # A top-up at the counter: the wallet credited, the money in the
            # till, no invoice (nothing sold), the receivable settled.
            user, context = self.as_user(accountant)
            with user, context:
                Order.mark_paid([Order(order.id)])
            order = Order(order.id)
            self.assertEqual((order.state, order.invoice), ('applied', None))
            credit, = WalletMove.search([('order', '=', order.id)])
            self.assertEqual((credit.amount, credit.reason), (250_000, 'topup'))
            self.assertEqual(sorted((l.account.code, int(l.debit - l.credit))
                    for l in order.counter_move.lines),
                [('1.1', 250_000), ('1.2', -250_000)])
            self.assertEqual(self.account_balance(party, '1.2'), 0)
            self.assertTrue(all(l.reconciliation for l in
                    order.receivable_lines()))
            self.assertEqual(self.balance(party), 250_000)

            # Paid out to the subscriber's bank account: Dr 2.3 / Cr 1.1.
            active = {'active_model': 'party.party', 'active_id': party.id,
                'active_ids': [party.id]}
            user, context = self.as_user(support)
            with user, context, Transaction().set_context(active):
                with self.assertRaises(AccessError):
                    Payout.create()
            user, context = self.as_user(accountant)
            with user, context, Transaction().set_context(active):
                session, _, _ = Payout.create()
                start = Payout.execute(session, {}, 'start')
                self.assertEqual(
                    start['view']['defaults']['balance'], 250_000)
                with self.assertRaises(ValidationError):
                    Payout.execute(session, {'start': {'amount': 100_000,
                                'reference': '  '}}, 'payout')
                Payout.execute(session, {'start': {'amount': 100_000,
                            'reference': 'PAYA-140509-77',
                            'iban': 'IR820540102680020817909002'}},
                    'payout')
            payout, = WalletMove.search([('reason', '=', 'payout')])
            self.assertEqual((payout.amount, payout.payment,
                    payout.create_uid), (-100_000, 'PAYA-140509-77',
                    accountant))
            self.assertIn('IR820540102680020817909002', payout.note)
            self.assertEqual(sorted((l.account.code, int(l.debit - l.credit))
                    for l in payout.move.lines),
                [('1.1', -100_000), ('2.3', 100_000)])
            self.assertEqual(self.balance(party), 150_000)
            with self.assertRaises(ValidationError):
                WalletMove.payout(party, 150_001, 'PAYA-2')
            self.assertEqual(self.balance(party), 150_000)

    @with_transaction()
    def test_bills_paid_with_wallet_first(self):
        "Open bills paid together, the panel credit first; each becomes paid"
        pool = Pool()
        Order = pool.get('partak.order')
        OrderInvoice = pool.get('partak.order-account.invoice')
        WalletMove = pool.get('partak.wallet.move')
        with set_company(self.company()):
            party, line = self.subscriber()
            other, other_line = self.subscriber('دیگری')
            bills = self.open_bills(party, line)
            invoices = [b.invoice for b in bills]
            WalletMove.manual_credit(party, 100_000, 'جبران قطعی')
            # Another subscriber's bill, or none, is refused.
            with self.assertRaises(ValidationError):
                Order.quote_bills(other, other_line, invoices)
            with self.assertRaises(ValidationError):
                Order.quote_bills(party, line, [])
            order = Order.quote_bills(party, line, invoices)
            self.assertEqual((order.kind, order.price, order.vat,
                    order.wallet_used, order.payable),
                ('bill', 484_320, 0, 100_000, 384_320))
            # What the pre-invoice pays is frozen: not even root may add a
            # bill to it once paid.
            self.assertTrue(Order.settle(order, 384_320, 'BANK-9'))
            order = Order(order.id)
            self.assertEqual((order.state, order.invoice), ('applied', None))
            with self.assertRaises(AccessError):
                OrderInvoice.create([{'order': order.id,
                            'invoice': invoices[0].id}])
            # Settled by the bank's entry (partak_payment posts it); here
            # the money of a counter payment closes the receivable.
            self.assertEqual(self.balance(party), 0)
            self.assertEqual(self.account_balance(party, '1.2'), 384_320)
            self.assertEqual([i.state for i in order.bill_invoices],
                ['posted', 'posted'])

    @with_transaction()
    def test_bills_paid_at_the_counter(self):
        "A bill paid at the counter is paid; a paid bill is no longer open"
        pool = Pool()
        Order = pool.get('partak.order')
        Invoice = pool.get('account.invoice')
        with set_company(self.company()):
            party, line = self.subscriber()
            first, second = self.open_bills(party, line)
            order = Order.quote_bills(party, line, [first.invoice],
                use_wallet=False)
            self.assertEqual(order.payable, 242_160)
            Order.mark_paid([order])
            order = Order(order.id)
            self.assertEqual(Invoice(first.invoice.id).state, 'paid')
            self.assertEqual(Invoice(second.invoice.id).state, 'posted')
            self.assertEqual(sorted((l.account.code, int(l.debit - l.credit))
                    for l in order.counter_move.lines),
                [('1.1', 242_160), ('1.2', -242_160)])
            self.assertEqual(self.account_balance(party, '1.2'), 242_160)
            with self.assertRaises(ValidationError):
                Order.quote_bills(party, line, [first.invoice])
            # A pre-invoice whose bill was paid meanwhile is refused when
            # applied: settle credits the money to the wallet instead.
            late = Order.quote_bills(party, line, [second.invoice],
                use_wallet=False)
            again = Order.quote_bills(party, line, [second.invoice],
                use_wallet=False)
            Order.mark_paid([again])
            self.assertEqual(Invoice(second.invoice.id).state, 'paid')
            with self.assertRaises(ValidationError):
                Order(late.id)._apply_bill()
            self.assertEqual(self.account_balance(party, '1.2'), 0)


del TestCase
