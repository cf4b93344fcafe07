# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The financial operations page and the payment result, through HTTP
(SPEC §3.9): every attempt of the subscriber, and nobody else's."""
import datetime
import re
from decimal import Decimal

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME
from trytond.transaction import Transaction

from trytond.modules.company.tests import create_company, set_company

from . import tools
from .tools import PASSWORD

PRICE = 6_230_489
PAYABLE = 6_791_233


class FinanceTestCase(tools.PortalRouteTestCase):
    "Portal financial operations"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from trytond.modules.partak_services.setup import run_in_transaction
        # The accounting set-up takes table locks: restarted as needed.
        run_in_transaction(DB_NAME, cls.setup_world, user=1)

    @classmethod
    def setup_world(cls):
        pool = Pool()
        Party = pool.get('party.party')
        Currency = pool.get('currency.currency')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        WebUser = pool.get('web.user')
        Template = pool.get('product.template')
        ModelData = pool.get('ir.model.data')
        Order = pool.get('partak.order')
        Payment = pool.get('partak.payment')
        Event = pool.get('partak.payment.event')
        from trytond.modules.partak_payment.demo import load_payment
        from trytond.modules.partak_services.setup import setup_accounting

        irr, = Currency.create([{'name': 'Rial', 'code': 'IRR',
                    'symbol': 'ریال', 'digits': 0, 'rounding': 1}])
        company = create_company(name='شرکت مخابرات استان مازندران',
            currency=irr)
        with set_company(company):
            accounting = setup_accounting(company)
            template, = Template.create([{
                        'name': 'ADSL 2 Mbps — 30 days',
                        'type': 'service',
                        'default_uom': ModelData.get_id('product', 'uom_unit'),
                        'list_price': Decimal(PRICE),
                        'account_category': accounting['category'].id,
                        'partak_kind': 'plan',
                        'speed_down_kbps': 2048,
                        'speed_up_kbps': 512,
                        'duration_days': 30,
                        'sold_online': True,
                        'products': [('create', [{}])],
                        }])
            product, = template.products
            gateway = load_payment(company)
            city, = City.create([{'name': 'ساری'}])
            centre, = Centre.create([{'name': 'دانشگاه', 'city': city.id}])
            kamal, other = Party.create([
                    {'name': 'کمال نصیری', 'subscriber_kind': 'person'},
                    {'name': 'Other Subscriber',
                        'subscriber_kind': 'person'}])
            line, other_line = Line.create([
                    {'phone': '01132455123', 'subscriber': kamal.id,
                        'city': city.id, 'centre': centre.id,
                        'status': 'in_service'},
                    {'phone': '32239700', 'subscriber': other.id,
                        'city': city.id, 'centre': centre.id,
                        'status': 'in_service'}])
            WebUser.create([
                    {'party': kamal.id,
                        'password_hash': WebUser.hash_password(PASSWORD)},
                    {'party': other.id,
                        'password_hash': WebUser.hash_password(PASSWORD)}])

            def payment(party, line, state, token, reference=None,
                    outcome=None):
                order = Order.quote(party, line, 'service', product,
                    channel='online')
                payment, = Payment.create([{
                            'order': order.id, 'party': party.id,
                            'company': company.id, 'gateway': gateway.id,
                            'amount': order.payable, 'state': state,
                            'token': token, 'reference': reference,
                            'outcome': outcome}])
                return payment
            cls.paid = payment(kamal, line, 'paid', 'T-PAID', '111111111111',
                'applied')
            cls.failed = payment(kamal, line, 'failed', 'T-FAILED')
            cls.waiting = payment(kamal, line, 'redirected', 'T-WAITING')
            credited = payment(kamal, line, 'paid', 'T-CREDITED',
                '222222222222', 'credited')
            Event.log(cls.paid, 'refund', amount=250_000, message='test')
            cls.others = payment(other, other_line, 'paid', 'T-OTHER',
                '999999999999', 'applied')
            cls.paid, cls.failed, cls.waiting, cls.others = (
                cls.paid.id, cls.failed.id, cls.waiting.id, cls.others.id)
            cls.credited = credited.id
            # Two connections, for the numbering of the usage detail.
            Session = pool.get('partak.radius.session')
            now = datetime.datetime.now()
            Session.create([{'unique_id': 'U-%d' % i,
                        'username': '1132455123', 'line': line.id,
                        'start_time': now - datetime.timedelta(hours=i + 2),
                        'stop_time': now - datetime.timedelta(hours=i + 1),
                        'state': 'closed', 'framed_ip': '10.9.9.%d' % i}
                    for i in range(2)])

    def test_finance_lists_own_attempts(self):
        "Every attempt of the subscriber, with its state, and no other"
        client = self.logged_in('1132455123')
        response = client.get('/portal/finance')
        self.assertEqual(response.status_code, 200)
        html = response.get_data(as_text=True)
        table = html[html.index('id="payments"'):]
        table = table[:table.index('</table>')]
        rows = re.findall(r'<tr data-state="(\w+)"', table)
        self.assertEqual(sorted(rows),
            ['failed', 'paid', 'paid', 'redirected'])
        self.assertIn('111111111111', table)
        self.assertIn('222222222222', table)
        self.assertNotIn('999999999999', table)
        self.assertIn('6,791,233', table)
        self.assertIn('بانک آزمایشی', table)
        # Persian states, dates in the Jalali calendar.
        self.assertIn('موفق', table)
        self.assertIn('ناموفق', table)
        self.assertRegex(table, r'1[34]\d\d/\d\d/\d\d')
        self.assertIn('ظرف ۷۲ ساعت به حساب شما باز می‌گردد', table)
        self.assertIn('در حال استعلام از بانک', table)
        self.assertIn('به اعتبار پنل شما افزوده شد', table)
        self.assertIn('250,000', table)
        # The wallet tab still works.
        self.assertEqual(
            client.get('/portal/finance?tab=wallet').status_code, 200)

        other = self.logged_in('32239700')
        table = other.get('/portal/finance').get_data(as_text=True)
        self.assertIn('999999999999', table)
        self.assertNotIn('111111111111', table)
        self.assertEqual(len(re.findall(r'<tr data-state=', table)), 1)

    def test_payment_result_own_only(self):
        "The result page shows only the subscriber's own payments"
        client = self.logged_in('1132455123')
        page = client.get('/portal/payment/return/%d' % self.failed)
        self.assertEqual(page.status_code, 200)
        html = page.get_data(as_text=True)
        self.assertIn('data-state="failed"', html)
        self.assertIn('ظرف ۷۲ ساعت', html)
        html = client.get('/portal/payment/return/%d' % self.credited
            ).get_data(as_text=True)
        self.assertIn('data-outcome="credited"', html)
        self.assertEqual(client.get(
                '/portal/payment/return/%d' % self.others).status_code, 404)
        # A callback for someone else's payment changes nothing of it.
        self.assertEqual(client.get('/portal/payment/return/%d?token=T-OTHER'
                % self.others).status_code, 404)
        with Transaction().start(DB_NAME, 0):
            Event = Pool().get('partak.payment.event')
            self.assertEqual(Event.search_count(
                    [('payment', '=', self.others)]), 0)

    def test_bank_post_callback(self):
        "A bank posting the payer back: handled without session, then shown"
        client = self.client()
        response = client.post('/portal/payment/return/%d' % self.waiting,
            data={'token': 'forged'})
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.location.endswith(
                '/portal/payment/return/%d' % self.waiting))
        with Transaction().start(DB_NAME, 0):
            Event = Pool().get('partak.payment.event')
            Payment = Pool().get('partak.payment')
            events = Event.search([('payment', '=', self.waiting)])
            self.assertEqual([e.kind for e in events], ['refused'])
            self.assertEqual(Payment(self.waiting).state, 'redirected')
            # A wrong token counts no callback on the payment.
            self.assertEqual(Payment(self.waiting).callback_count or 0, 0)
        # An unknown id is answered as a wrong token is: no oracle.
        unknown = client.post('/portal/payment/return/999999',
            data={'token': 'x'})
        self.assertEqual(unknown.status_code, response.status_code)
        self.assertEqual(unknown.get_data(), response.get_data().replace(
                str(self.waiting).encode(), b'999999'))


    def test_topup_pre_invoice(self):
        "«افزایش اعتبار»: a pre-invoice of the amount, Persian digits read"
        client = self.logged_in('1132455123')
        token = self.csrf(client, '/portal/finance?tab=wallet')
        for amount, error in [('۹٬۹۹۹', 'از 10,000 تا 500,000,000'),
                ('بیست', 'با رقم')]:
            page = client.post('/portal/finance/topup', data={
                    'csrf_token': token, 'amount': amount})
            self.assertEqual(page.status_code, 200)
            self.assertIn(error, page.get_data(as_text=True))
        response = client.post('/portal/finance/topup', data={
                'csrf_token': token, 'amount': '۲۵۰٬۰۰۰'})
        self.assertEqual(response.status_code, 302)
        number = response.location.rsplit('/', 1)[1]
        page = client.get('/portal/order/%s' % number).get_data(as_text=True)
        self.assertIn('افزایش اعتبار پنل', page)
        self.assertIn('data-field="payable">250,000', page)
        self.assertNotIn('data-field="vat"', page)
        with Transaction().start(DB_NAME, 0):
            Order = Pool().get('partak.order')
            order, = Order.search([('number', '=', number)])
            self.assertEqual((order.kind, order.payable, order.party.name),
                ('topup', 250_000, 'کمال نصیری'))

    def test_pay_open_bills(self):
        "The open bills with «پرداخت» for one or all, nobody else's"
        from trytond.modules.partak_services.setup import run_in_transaction
        from trytond.modules.partak_services.tools import to_utc

        def postpaid_bills():
            pool = Pool()
            Template = pool.get('product.template')
            Period = pool.get('partak.service.period')
            Bill = pool.get('partak.bill')
            Line = pool.get('partak.line')
            Company = pool.get('company.company')
            ModelData = pool.get('ir.model.data')
            company, = Company.search([])
            with set_company(company):
                plan, = Template.search([('partak_kind', '=', 'plan')],
                    limit=1)
                template, = Template.create([{
                            'name': 'Postpaid 2 Mbps',
                            'type': 'service',
                            'default_uom': ModelData.get_id(
                                'product', 'uom_unit'),
                            'list_price': Decimal(215_000),
                            'account_category': plan.account_category.id,
                            'partak_kind': 'plan', 'billing': 'postpaid',
                            'duration_days': 30,
                            'products': [('create', [{}])],
                            }])
                line, = Line.search([('phone', '=', '01132455123')])
                Period.new_period(line, template.products[0],
                    to_utc(datetime.datetime(2015, 3, 21)),
                    end=to_utc(datetime.datetime(2015, 5, 22)),
                    channel='admin')
                bills = sorted(Bill.create_bills(), key=lambda b: b.start)
                return [b.id for b in bills]
        # (invoice sequences are locked first: restarted as needed)
        bill_ids = run_in_transaction(DB_NAME, postpaid_bills, user=1)

        client = self.logged_in('1132455123')
        page = client.get('/portal/services?tab=bills').get_data(
            as_text=True)
        self.assertEqual(page.count('پرداخت‌نشده'), 2)
        self.assertIn('پرداخت همه قبض‌ها', page)
        token = self.csrf(client, '/portal/services?tab=bills')
        # Nothing chosen, or a bill that is not open: refused, explained.
        for data in [{}, {'bill': '999999'}]:
            page = client.post('/portal/services/bills/pay',
                data=dict(data, csrf_token=token))
            self.assertEqual(page.status_code, 200)
            self.assertIn('یک قبض پرداخت‌نشده را', page.get_data(
                    as_text=True))
        response = client.post('/portal/services/bills/pay', data={
                'csrf_token': token, 'all': '1', 'use_wallet': '1'})
        self.assertEqual(response.status_code, 302)
        number = response.location.rsplit('/', 1)[1]
        page = client.get('/portal/order/%s' % number).get_data(as_text=True)
        self.assertIn('پرداخت قبض', page)
        self.assertIn('data-field="payable">484,320', page)
        # The other subscriber sees no bill and cannot pay these.
        other = self.logged_in('32239700')
        token = self.csrf(other, '/portal/services?tab=bills')
        page = other.post('/portal/services/bills/pay', data={
                'csrf_token': token, 'bill': str(bill_ids[0])})
        self.assertEqual(page.status_code, 200)
        with Transaction().start(DB_NAME, 0):
            Order = Pool().get('partak.order')
            order, = Order.search([('number', '=', number)])
            self.assertEqual((order.kind, order.price, len(
                        order.bill_invoices)), ('bill', 484_320, 2))
            self.assertEqual(Order.search_count([('kind', '=', 'bill'),
                        ('party.name', '=', 'Other Subscriber')]), 0)

    def test_renew_shows_the_price(self):
        "The renew page shows each plan's real price, not 0 Rial"
        client = self.logged_in('1132455123')
        page = client.get('/portal/renew').get_data(as_text=True)
        self.assertEqual(page.count('6,230,489'), 1, page)
        self.assertNotIn(' 0 ریال', page)

    def test_usage_rows_numbered_from_one(self):
        "The usage detail numbers its rows 1, 2, ..."
        client = self.logged_in('1132455123')
        page = client.get('/portal/usage').get_data(as_text=True)
        table = page[page.index('id="sessions"'):]
        table = table[table.index('<tbody>'):table.index('</tbody>')]
        self.assertEqual(re.findall(r'<tr><td>(\d+)</td>', table),
            ['1', '2'])
