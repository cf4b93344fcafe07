# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The payment flow against the sandbox bank, through HTTP.

A real trytond WSGI server runs in a thread: the bank's verify is a real
HTTP call from the payment code, as with a real bank.  The payer's browser
is a werkzeug Client on trytond's app (bank page, choice, redirect to the
callback URL); the portal's return page is stood in for by calling
``Payment.handle_callback`` in a transaction managed like trytond's routes
(restarted when a lock must be taken first).

SQLite ':memory:' databases cannot be shared between threads: on SQLite
the activated database is copied to a temporary file that both the test
and the server thread open."""
import contextlib
import datetime
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
import time
import unittest
import urllib.parse
from decimal import Decimal
from unittest import mock

from werkzeug.serving import make_server
from werkzeug.test import Client
from werkzeug.wrappers import Response

from trytond import backend, config
from trytond.pool import Pool
from trytond.modules import get_module_info
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
from trytond.transaction import Transaction, TransactionError
from trytond.wsgi import app

from trytond.modules.company.tests import create_company, set_company

COMPANY = 'شرکت مخابرات استان مازندران'
# 6,230,489 + 9 % VAT (560,744 truncated) = 6,791,233: the manual's figure.
PRICE = 6_230_489
PAYABLE = 6_791_233
HTTP_DB = 'partak_payment_http'


class CountingApp:
    "trytond's WSGI app, counting the bank's verify requests."

    def __init__(self, app):
        self.app = app
        self.verify_calls = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '').endswith('/bank/sandbox/verify'):
            with self._lock:
                self.verify_calls += 1
        return self.app(environ, start_response)


def get_module_path(module):
    return get_module_info(module)['directory']


class OnCommit:
    "A transaction data manager that records an entry once committed."

    def __init__(self, entries, entry):
        self.entries, self.entry = entries, entry
        self.aborted = self.finished = False

    def tpc_begin(self, transaction):
        pass

    def commit(self, transaction):
        pass

    def tpc_vote(self, transaction):
        pass

    def tpc_abort(self, transaction):
        self.aborted = True

    def tpc_finish(self, transaction):
        # trytond's routes commit, then commit again when the transaction
        # stops: record the first one only.
        if not self.aborted and not self.finished:
            self.finished = True
            self.entries.append(self.entry)


class SandboxBankTestCase(unittest.TestCase):
    "Payments through the sandbox bank, over HTTP"
    module = 'partak_payment'

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.activate()
        cls._config = {}
        # The sandbox bank is a fake: off unless the server says so.
        cls.set_config('partak', 'test_banks', 'True')
        cls.tmpdir = None
        if backend.name == 'sqlite' and DB_NAME == ':memory:':
            cls.tmpdir = tempfile.mkdtemp(prefix='partak-payment-')
            database = backend.Database(DB_NAME).connect()
            connection = database.get_connection()
            target = sqlite3.connect(
                os.path.join(cls.tmpdir, HTTP_DB + '.sqlite'))
            try:
                connection.backup(target)
            finally:
                target.close()
                database.put_connection(connection)
            cls.set_config('database', 'path', cls.tmpdir)
            cls.db = HTTP_DB
        else:
            cls.db = DB_NAME
        Pool(cls.db).init()
        cls.set_config('partak', 'portal_database', cls.db)
        cls.port = None
        cls.transact(cls.setup_world)
        cls.app = CountingApp(app)
        cls.server = make_server('127.0.0.1', 0, cls.app, threaded=True)
        cls.port = cls.server.server_port
        cls.thread = threading.Thread(target=cls.server.serve_forever,
            daemon=True)
        cls.thread.start()
        cls.bank_url = 'http://127.0.0.1:%d/bank/sandbox' % cls.port
        cls.set_config('partak', 'sandbox_url', cls.bank_url)
        cls.public_url = 'http://127.0.0.1:%d' % cls.port
        cls.transact(cls.set_public_url, cls.public_url)

    @staticmethod
    def set_public_url(url):
        "Payment Settings' public address (None: not set)."
        Configuration = Pool().get('partak.payment.configuration')
        config_ = Configuration(1)
        config_.public_url = url
        config_.save()

    @classmethod
    def activate(cls):
        """Activates the module (the same database as the module test, so
        DB_CACHE serves both) and loads the Persian catalogues: the portal
        runs in Persian."""
        activate_module([cls.module])
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Lang = pool.get('ir.lang')
            Translation = pool.get('ir.translation')
            Lang.write(Lang.search([('code', '=', 'fa')]),
                {'translatable': True})
            # Tryton's catalogues first: Partak's override some of them.
            Module = pool.get('ir.module')
            upstream = sorted(m.name for m in Module.search(
                    [('state', '=', 'activated')])
                if not m.name.startswith('partak_'))
            for module in upstream + ['partak_subscriber', 'partak_services',
                    'partak_payment']:
                path = os.path.join(get_module_path(module), 'locale',
                    'fa.po')
                if os.path.exists(path):
                    Translation.translation_import('fa', module, [path])
            transaction.commit()

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()
        cls.thread.join(10)
        if cls.db != DB_NAME:
            Pool.stop(cls.db)
        for (section, option), value in reversed(list(cls._config.items())):
            if value is None:
                config._config.remove_option(section, option)
                config._cache_clear()
            else:
                config.set(section, option, value)
        if cls.tmpdir:
            shutil.rmtree(cls.tmpdir, ignore_errors=True)
        drop_db()
        super().tearDownClass()

    @classmethod
    def set_config(cls, section, option, value):
        if not config.has_section(section):
            config.add_section(section)
        if (section, option) not in cls._config:
            cls._config[(section, option)] = config.get(section, option)
        config.set(section, option, value)

    @classmethod
    def setup_world(cls):
        """An ISP with its accounting (IRR, chart, fiscal year, 9 % VAT), an
        online plan whose payable is the manual's 6,791,233 Rial, and the
        sandbox bank of the demo data."""
        pool = Pool()
        Currency = pool.get('currency.currency')
        Template = pool.get('product.template')
        Uom = pool.get('product.uom')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        ModelData = pool.get('ir.model.data')
        from trytond.modules.partak_payment.demo import load_payment
        from trytond.modules.partak_services.setup import setup_accounting

        irr, = Currency.create([{'name': 'Rial', 'code': 'IRR',
                    'symbol': 'ریال', 'digits': 0, 'rounding': 1}])
        company = create_company(name=COMPANY, currency=irr)
        with set_company(company):
            accounting = setup_accounting(company)
            unit = Uom(ModelData.get_id('product', 'uom_unit'))
            template, = Template.create([{
                        'name': 'ADSL 2 Mbps — 30 days',
                        'type': 'service',
                        'default_uom': unit.id,
                        'list_price': Decimal(PRICE),
                        'account_category': accounting['category'].id,
                        'partak_kind': 'plan',
                        'speed_down_kbps': 2048,
                        'speed_up_kbps': 512,
                        'duration_days': 30,
                        'sold_online': True,
                        'products': [('create', [{}])],
                        }])
            city, = City.create([{'name': 'ساری'}])
            centre, = Centre.create([{'name': 'دانشگاه', 'city': city.id}])
            gateway = load_payment(company)
        cls.company_id = company.id
        cls.product_id = template.products[0].id
        cls.centre_id, cls.city_id = centre.id, city.id
        cls.gateway_id = gateway.id
        cls.phone_counter = 32455000

    # -- helpers ------------------------------------------------------------

    @classmethod
    def transact(cls, func, *args, retry_locks=True, **kwargs):
        """Runs func in a transaction like trytond's routes do: restarted
        when a lock must be taken first, retried when the database is
        busy, committed at the end."""
        extras = {}
        count = 0
        context = {'language': 'fa'}
        if getattr(cls, 'company_id', None):
            context['company'] = cls.company_id
        if cls.port:
            context['_request'] = {'http_host': '127.0.0.1:%d' % cls.port,
                'scheme': 'http', 'remote_addr': '127.0.0.1',
                'is_secure': False}
        while True:
            try:
                with Transaction().start(cls.db, 0, context=context,
                        **extras) as transaction:
                    try:
                        result = func(*args, **kwargs)
                    except TransactionError as error:
                        transaction.rollback()
                        error.fix(extras)
                        continue
                    transaction.commit()
                    return result
            except backend.DatabaseOperationalError:
                if not retry_locks or count >= 50:
                    raise
                count += 1
                time.sleep(0.02 * count)

    def subscriber(self):
        "A new subscriber with one line, so that counts are per test."
        def create():
            pool = Pool()
            Party = pool.get('party.party')
            Line = pool.get('partak.line')
            type(self).phone_counter += 1
            party, = Party.create([{'name': 'کمال نصیری',
                        'subscriber_kind': 'person'}])
            line, = Line.create([{
                        'phone': '011%d' % self.phone_counter,
                        'subscriber': party.id, 'city': self.city_id,
                        'centre': self.centre_id, 'status': 'in_service'}])
            return party.id, line.id
        return self.transact(create)

    def quote(self, party_id=None, line_id=None):
        if party_id is None:
            party_id, line_id = self.subscriber()

        def quote():
            pool = Pool()
            Order = pool.get('partak.order')
            Party = pool.get('party.party')
            Line = pool.get('partak.line')
            Product = pool.get('product.product')
            order = Order.quote(Party(party_id), Line(line_id), 'service',
                Product(self.product_id), channel='online')
            return order.id
        return self.transact(quote)

    def start(self, order_id, gateway_id=None):
        def start():
            pool = Pool()
            Payment = pool.get('partak.payment')
            Order = pool.get('partak.order')
            Gateway = pool.get('partak.payment.gateway')
            url = Payment.start(Order(order_id),
                Gateway(gateway_id or self.gateway_id),
                '/portal/payment/return/%(payment)s')
            payment, = Payment.search([('order', '=', order_id)],
                order=[('id', 'DESC')], limit=1)
            return url, payment.id
        return self.transact(start)

    def bank(self, redirect_url, choice):
        """The payer on the bank's page: opens it, clicks a button and
        follows the bank back; returns the callback's path and params."""
        client = Client(app, Response)
        path = urllib.parse.urlsplit(redirect_url).path
        page = client.get(path)
        self.assertEqual(page.status_code, 200)
        answer = client.post(path, data={'choice': choice})
        self.assertEqual(answer.status_code, 303)
        location = urllib.parse.urlsplit(answer.headers['Location'])
        return location.path, dict(urllib.parse.parse_qsl(location.query))

    def callback(self, payment_id, params):
        def handle():
            Payment = Pool().get('partak.payment')
            payment = Payment.handle_callback(payment_id, params)
            return self._payment_facts(payment)
        return self.transact(handle)

    def _payment_facts(self, payment):
        return {
            'booked': bool(payment.move),
            'state': payment.state,
            'reference': payment.reference,
            'message': payment.message,
            'amount': payment.amount,
            'callback_count': payment.callback_count,
            'order_state': payment.order.state,
            'outcome': payment.outcome,
            }

    def events(self, payment_id):
        "The payment's audit log, oldest first: [(kind, code, amount, ...)]"
        def read():
            Event = Pool().get('partak.payment.event')
            return [{'kind': e.kind, 'bank_code': e.bank_code,
                    'amount': e.amount, 'message': e.message,
                    'remote_ip': e.remote_ip, 'params': e.params,
                    'user': e.user.id if e.user else None}
                for e in Event.search([('payment', '=', payment_id)],
                    order=[('id', 'ASC')])]
        return self.transact(read)

    def kinds(self, payment_id):
        "{kind: count} of the payment's events."
        counts = {}
        for event in self.events(payment_id):
            counts[event['kind']] = counts.get(event['kind'], 0) + 1
        return counts

    def payment(self, payment_id):
        def read():
            Payment = Pool().get('partak.payment')
            return self._payment_facts(Payment(payment_id))
        return self.transact(read)

    def facts(self, order_id):
        "What the purchase left behind: order, invoices, periods, wallet."
        def read():
            pool = Pool()
            Order = pool.get('partak.order')
            Invoice = pool.get('account.invoice')
            Period = pool.get('partak.service.period')
            WalletMove = pool.get('partak.wallet.move')
            Payment = pool.get('partak.payment')
            order = Order(order_id)
            return {
                'state': order.state,
                'invoices': Invoice.search_count(
                    [('party', '=', order.party.id)]),
                'invoice_total': sum(i.total_amount for i in Invoice.search(
                            [('party', '=', order.party.id)])),
                'periods': Period.search_count(
                    [('line', '=', order.line.id)]),
                'wallet': order.party.wallet_balance,
                'wallet_moves': WalletMove.search_count(
                    [('party', '=', order.party.id)]),
                'payments': Payment.search_count(
                    [('order', '=', order_id)]),
                'payment_reference': order.payment_reference,
                'number': order.number,
                'invoice_states': sorted(i.state for i in Invoice.search(
                            [('party', '=', order.party.id)])),
                }
        return self.transact(read)

    def order_party(self, order_id):
        return self.transact(
            lambda: Pool().get('partak.order')(order_id).party.id)

    def balances(self, party_id):
        """Debit − credit per account code of the posted moves that name
        the party (its invoices and payments)."""
        def read():
            Line = Pool().get('account.move.line')
            moves = {l.move for l in Line.search([('party', '=', party_id)])}
            totals = {}
            for move in moves:
                self.assertEqual(move.state, 'posted')
                for line in move.lines:
                    code = line.account.code
                    totals[code] = totals.get(code, 0) + int(
                        line.debit - line.credit)
            return totals
        return self.transact(read)

    def post_verify(self, data):
        client = Client(app, Response)
        response = client.post('/bank/sandbox/verify', json=data)
        return response.status_code, response.get_json()

    @contextlib.contextmanager
    def count_settle(self):
        """Lists the calls of Order.settle whose transaction committed, from
        any thread: (order id, amount, reference, result).  A transaction
        that trytond restarts (to take a lock first) may call settle and
        roll back; only committed calls count."""
        Order = Pool(self.db).get('partak.order')
        original = Order.settle.__func__
        calls = []

        def settle(cls, order, amount, reference=None, **kwargs):
            result = original(cls, order, amount, reference, **kwargs)
            Transaction().join(
                OnCommit(calls, (order.id, amount, reference, result)))
            return result
        with mock.patch.object(Order, 'settle', classmethod(settle)):
            yield calls

    def pay(self, choice='success'):
        "A whole purchase up to the bank's redirect to the callback."
        order_id = self.quote()
        url, payment_id = self.start(order_id)
        path, params = self.bank(url, choice)
        self.assertEqual(path, '/portal/payment/return/%d' % payment_id)
        return order_id, payment_id, params

    # -- the bank's page ------------------------------------------------------

    def test_bank_page(self):
        "The bank's page: Persian, RTL, merchant, amount, order, two buttons"
        order_id = self.quote()
        url, payment_id = self.start(order_id)
        self.assertTrue(url.startswith(self.bank_url + '/pay/'), url)
        client = Client(app, Response)
        page = client.get(urllib.parse.urlsplit(url).path)
        self.assertEqual(page.status_code, 200)
        html = page.get_data(as_text=True)
        number = self.transact(
            lambda: Pool().get('partak.order')(order_id).number)
        self.assertIn('dir="rtl"', html)
        self.assertIn('/portal/static/vendor/bootstrap.rtl.min.css', html)
        self.assertIn('Vazirmatn', html)
        self.assertIn(COMPANY, html)
        self.assertRegex(html, r'6,791,233</span> ریال')
        self.assertIn(number, html)
        self.assertIn('پرداخت موفق', html)
        self.assertIn('انصراف / پرداخت ناموفق', html)
        self.assertIn('DENY', page.headers['X-Frame-Options'])

        self.assertEqual(client.get('/bank/sandbox/pay/unknown').status_code,
            404)
        self.assertEqual(client.post('/bank/sandbox/pay/unknown',
                data={'choice': 'success'}).status_code, 404)
        path = urllib.parse.urlsplit(url).path
        self.assertEqual(
            client.post(path, data={'choice': 'maybe'}).status_code, 400)
        self.assertEqual(
            client.get('/bank/sandbox/static/sandbox.css').status_code, 200)

        # The first choice counts; a second POST only goes back again.
        first = client.post(path, data={'choice': 'failure'})
        second = client.post(path, data={'choice': 'success'})
        self.assertEqual(first.headers['Location'],
            second.headers['Location'])
        self.assertIn('status=NOK', second.headers['Location'])
        decided = client.get(path).get_data(as_text=True)
        self.assertIn('data-state="cancelled"', decided)
        self.assertNotIn('id="pay-success"', decided)

    # -- the flow -------------------------------------------------------------

    def test_success(self):
        "Paid at the bank: verified over HTTP, settled once, invoiced"
        calls_before = self.app.verify_calls
        with self.count_settle() as settled:
            order_id, payment_id, params = self.pay('success')
            self.assertEqual(params['status'], 'OK')
            self.assertTrue(params['token'])
            self.assertRegex(params['reference'], r'^\d{12}$')
            result = self.callback(payment_id, params)
        # One question to the bank, although trytond restarts the
        # transaction to take the locks of the invoice's sequences.
        self.assertEqual(self.app.verify_calls, calls_before + 1)
        self.assertEqual(settled,
            [(order_id, PAYABLE, params['reference'], True)])
        self.assertEqual(result['state'], 'paid')
        self.assertEqual(result['reference'], params['reference'])
        self.assertEqual(result['amount'], PAYABLE)
        self.assertEqual(result['order_state'], 'applied')
        self.assertIn('6,791,233', result['message'])
        self.assertIn(params['reference'], result['message'])
        self.assertIn('اعمال', result['message'])
        facts = self.facts(order_id)
        self.assertEqual(facts['state'], 'applied')
        self.assertEqual(facts['invoices'], 1)
        self.assertEqual(facts['invoice_total'], PAYABLE)
        self.assertEqual(facts['periods'], 1)
        self.assertEqual(facts['wallet'], 0)
        self.assertEqual(facts['payment_reference'], params['reference'])
        # In the books (docs/accounting.md, entry 1): the invoice is paid,
        # the bank's money waits on the clearing account.
        self.assertEqual(facts['invoice_states'], ['paid'])

        def party():
            return Pool().get('partak.order')(order_id).party.id
        self.assertEqual(self.balances(self.transact(party)), {
                '1.2': 0,                    # receivable: invoiced, paid
                '1.3': PAYABLE,              # the bank's, until settled
                '4.1': -PRICE,               # revenue 6,230,489
                '2.2': -(PAYABLE - PRICE),   # VAT 560,744
                })
        self.assertEqual(self.payment(payment_id)['booked'], True)

        # A paid order cannot be paid again.
        from trytond.modules.partak_payment.payment import PaymentError
        with self.assertRaises(PaymentError) as refused:
            self.start(order_id)
        self.assertIn(facts['number'], refused.exception.message)

    # -- a top-up and bills at the bank (docs/accounting.md 4 and 7) -------

    def money_order(self, kind, amount=250_000, bills=2, wallet=0):
        """A quoted top-up of `amount`, or the payment of `bills` posted
        invoices of 200,000 each (taxed by the plan's 9 %: 218,000) with
        `wallet` Rials of panel credit used first."""
        party_id, line_id = self.subscriber()

        def quote():
            pool = Pool()
            Order = pool.get('partak.order')
            Party = pool.get('party.party')
            Line = pool.get('partak.line')
            Product = pool.get('product.product')
            WalletMove = pool.get('partak.wallet.move')
            party, line = Party(party_id), Line(line_id)
            if kind == 'topup':
                return Order.quote_topup(party, line, amount).id, []
            if wallet:
                WalletMove.manual_credit(party, wallet, 'جبران')
            invoices = [Order.make_invoice(party, [Order.invoice_line_values(
                                Product(self.product_id), 200_000)])
                for _ in range(bills)]
            order = Order.quote_bills(party, line, invoices)
            return order.id, [i.id for i in invoices]
        return self.transact(quote)

    def invoice_states(self, invoice_ids):
        return self.transact(lambda: [i.state for i in
                Pool().get('account.invoice').browse(invoice_ids)])

    def test_topup_at_bank(self):
        "A top-up paid at the bank: the wallet credited once, no invoice"
        order_id, _ = self.money_order('topup')
        url, payment_id = self.start(order_id)
        path, params = self.bank(url, 'success')
        result = self.callback(payment_id, params)
        self.assertEqual((result['state'], result['order_state'],
                result['outcome'], result['amount']),
            ('paid', 'applied', 'applied', 250_000))
        again = self.callback(payment_id, params)
        self.assertEqual(again['state'], 'paid')
        facts = self.facts(order_id)
        self.assertEqual((facts['invoices'], facts['periods'],
                facts['wallet'], facts['wallet_moves']), (0, 0, 250_000, 1))
        # Dr 1.3 / Cr 1.2 (the bank's) reconciled with Dr 1.2 / Cr 2.3
        self.assertEqual(self.balances(self.order_party(order_id)), {
                '1.2': 0, '1.3': 250_000, '2.3': -250_000})

        def reconciled():
            Order = Pool().get('partak.order')
            lines = Order(order_id).receivable_lines()
            return len(lines), all(l.reconciliation for l in lines)
        self.assertEqual(self.transact(reconciled), (2, True))

    def test_bills_at_bank(self):
        "Two bills paid at once, the wallet first: both paid, 1.2 settled"
        order_id, invoice_ids = self.money_order('bill', wallet=36_000)

        def amounts():
            order = Pool().get('partak.order')(order_id)
            return order.price, order.wallet_used, order.payable
        self.assertEqual(self.transact(amounts), (436_000, 36_000, 400_000))
        url, payment_id = self.start(order_id)
        path, params = self.bank(url, 'success')
        result = self.callback(payment_id, params)
        self.assertEqual((result['state'], result['order_state'],
                result['outcome']), ('paid', 'applied', 'applied'))
        self.assertEqual(self.invoice_states(invoice_ids), ['paid', 'paid'])
        balances = self.balances(self.order_party(order_id))
        self.assertEqual((balances['1.2'], balances['1.3'], balances['2.3']),
            (0, 400_000, 0))
        self.assertEqual(self.facts(order_id)['wallet'], 0)

    def test_bill_paid_meanwhile(self):
        "A bill paid at the counter while its payer was at the bank"
        order_id, invoice_ids = self.money_order('bill', bills=1)
        url, payment_id = self.start(order_id)
        path, params = self.bank(url, 'success')

        def counter():
            pool = Pool()
            Invoice = pool.get('account.invoice')
            Date = pool.get('ir.date')
            from trytond.modules.partak_services import books
            invoice, = Invoice.browse(invoice_ids)
            method = books.cash_method(invoice.company, books.COUNTER)
            lines = invoice.pay_invoice(invoice.amount_to_pay, method,
                Date.today())
            books.settle_receivable([invoice], lines)
        self.transact(counter)
        result = self.callback(payment_id, params)
        self.assertEqual((result['state'], result['order_state'],
                result['outcome']), ('paid', 'cancelled', 'credited'))
        self.assertEqual(self.invoice_states(invoice_ids), ['paid'])
        # The bank's money is the subscriber's, on the wallet.
        self.assertEqual(self.facts(order_id)['wallet'], 218_000)
        balances = self.balances(self.order_party(order_id))
        self.assertEqual((balances['1.2'], balances['2.3']), (0, -218_000))

    def test_failure(self):
        "Cancelled at the bank: the payment fails and nothing is applied"
        with self.count_settle() as settled:
            order_id, payment_id, params = self.pay('failure')
            self.assertEqual(params['status'], 'NOK')
            self.assertNotIn('reference', params)
            result = self.callback(payment_id, params)
            self.assertEqual(result['state'], 'failed')
            self.assertIsNone(result['reference'])
            self.assertEqual(result['order_state'], 'quoted')
            self.assertIn('انصراف', result['message'])
            # Replaying the failure or forging a success changes nothing.
            forged = dict(params, status='OK', reference='123456789012')
            self.assertEqual(self.callback(payment_id, forged)['state'],
                'failed')
        self.assertEqual(settled, [])
        facts = self.facts(order_id)
        self.assertEqual((facts['state'], facts['invoices'],
                facts['periods'], facts['wallet'], facts['wallet_moves']),
            ('quoted', 0, 0, 0, 0))

        # The subscriber may try again: the failed attempt is kept.
        url, second_id = self.start(order_id)
        path, params = self.bank(url, 'success')
        self.assertEqual(self.callback(second_id, params)['state'], 'paid')
        facts = self.facts(order_id)
        self.assertEqual((facts['state'], facts['invoices'],
                facts['payments']), ('applied', 1, 2))
        self.assertEqual(self.payment(payment_id)['state'], 'failed')

    def test_verify_protocol(self):
        "Verify answers ok only after success and for the exact amount"
        order_id = self.quote()
        url, payment_id = self.start(order_id)
        token = urllib.parse.urlsplit(url).path.rsplit('/', 1)[1]
        merchant = 'SANDBOX-MERCHANT'
        request = {'merchant_id': merchant, 'token': token,
            'amount': PAYABLE}
        status, answer = self.post_verify(request)
        self.assertEqual((status, answer['ok'], answer['code']),
            (200, False, -52))

        self.bank(url, 'success')
        for amount in (PAYABLE + 1, PAYABLE - 1, 0, PAYABLE * 10):
            status, answer = self.post_verify(dict(request, amount=amount))
            self.assertEqual((answer['ok'], answer['code']), (False, -21),
                amount)
            self.assertNotIn('reference', answer)
        status, answer = self.post_verify(
            dict(request, merchant_id='OTHER'))
        self.assertEqual((answer['ok'], answer['code']), (False, -12))
        status, answer = self.post_verify(
            dict(request, token=secrets.token_urlsafe(24)))
        self.assertEqual((answer['ok'], answer['code']), (False, -11))
        for broken in ({'token': token}, dict(request, amount='6791233'),
                dict(request, amount=True), []):
            status, answer = self.post_verify(broken)
            self.assertEqual((status, answer['code']), (400, -1), broken)
        status, answer = self.post_verify(request)
        self.assertEqual((status, answer['ok'], answer['code'],
                answer['amount']), (200, True, 100, PAYABLE))
        self.assertRegex(answer['reference'], r'^\d{12}$')
        # Verify only reads: asking again gives the same answer.
        self.assertEqual(self.post_verify(request)[1], answer)
        self.assertEqual(self.facts(order_id)['state'], 'quoted')

    def test_wrong_amount_refused(self):
        "A payment whose amount differs from the bank's is never applied"
        with self.count_settle() as settled:
            order_id, payment_id, params = self.pay('success')

            def tamper():
                Payment = Pool().get('partak.payment')
                table = Payment.__table__()
                cursor = Transaction().connection.cursor()
                cursor.execute(*table.update([table.amount],
                        [PAYABLE - 1_000_000], where=table.id == payment_id))
            self.transact(tamper)
            result = self.callback(payment_id, params)
        self.assertEqual(settled, [])
        self.assertEqual(result['state'], 'failed')
        self.assertEqual(result['order_state'], 'quoted')
        facts = self.facts(order_id)
        self.assertEqual((facts['invoices'], facts['periods'],
                facts['wallet']), (0, 0, 0))

    def test_replayed_callbacks(self):
        "1,000 replays of the callback: one verify, one settle, one invoice"
        with self.count_settle() as settled:
            order_id, payment_id, params = self.pay('success')
            results = [self.callback(payment_id, params)]
            calls_before = self.app.verify_calls
            results += [self.callback(payment_id, params)
                for _ in range(999)]
        self.assertEqual(settled,
            [(order_id, PAYABLE, params['reference'], True)])
        # Replays are answered from the payment: the bank is not asked.
        self.assertEqual(self.app.verify_calls, calls_before)
        self.assertEqual({r['state'] for r in results}, {'paid'})
        self.assertEqual({r['reference'] for r in results},
            {params['reference']})
        self.assertEqual(results[-1]['callback_count'], 1000)
        # Each callback is logged; one question to the bank, one settlement.
        self.assertEqual(self.kinds(payment_id),
            {'callback': 1000, 'verify': 1, 'settled': 1})
        facts = self.facts(order_id)
        self.assertEqual((facts['state'], facts['invoices'],
                facts['periods'], facts['wallet'], facts['payments']),
            ('applied', 1, 1, 0, 1))

    def test_worker_stopped_after_verify(self):
        """A worker that stopped after the bank's confirmation was committed
        and before the order was applied: the payment is 'verified' in the
        database; the next callback or the cron applies it once, without
        asking the bank again"""
        for finish in ('callback', 'cron'):
            with self.subTest(finish=finish), self.count_settle() as settled:
                order_id, payment_id, params = self.pay('success')

                def verify_only():
                    # What handle_callback commits before it applies.
                    Payment = Pool().get('partak.payment')
                    payment = Payment(payment_id)
                    Payment._verify(payment, payment.gateway.adapter(),
                        params)
                self.transact(verify_only)
                self.assertEqual(self.payment(payment_id)['state'],
                    'verified')
                self.assertEqual(self.facts(order_id)['state'], 'quoted')
                calls_before = self.app.verify_calls
                if finish == 'callback':
                    result = self.callback(payment_id, params)
                else:
                    self.transact(
                        lambda: Pool().get('partak.payment').check_open())
                    result = self.payment(payment_id)
                self.assertEqual((result['state'], result['outcome'],
                        result['booked']), ('paid', 'applied', True))
                # Once more: nothing more is applied.
                self.callback(payment_id, params)
                if finish == 'callback':
                    # (the cron also asks about other tests' old payments)
                    self.assertEqual(self.app.verify_calls, calls_before)
                self.assertEqual([r[3] for r in settled], [True])
                facts = self.facts(order_id)
                self.assertEqual((facts['state'], facts['periods'],
                        facts['wallet'], facts['payment_reference']),
                    ('applied', 1, 0, params['reference']))
                self.assertEqual(self.kinds(payment_id)['verify'], 1)
                self.assertEqual(self.kinds(payment_id)['settled'], 1)

    def test_concurrent_callbacks(self):
        "Callbacks arriving at once for one payment settle it once"
        with self.count_settle() as settled:
            order_id, payment_id, params = self.pay('success')
            results, errors = [], []
            barrier = threading.Barrier(8)

            def replay():
                try:
                    barrier.wait()
                    for _ in range(5):
                        results.append(self.callback(payment_id, params))
                except Exception as error:  # noqa: BLE001
                    errors.append(error)
            threads = [threading.Thread(target=replay) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 40)
        self.assertEqual({r['state'] for r in results}, {'paid'})
        self.assertEqual([r[3] for r in settled], [True])
        facts = self.facts(order_id)
        self.assertEqual((facts['state'], facts['invoices'],
                facts['periods']), ('applied', 1, 1))
        self.assertEqual(self.kinds(payment_id),
            {'callback': 40, 'verify': 1, 'settled': 1})

    def test_tampered_callbacks(self):
        "Callbacks with another token or an unknown payment are refused"
        from trytond.modules.partak_payment.payment import PaymentError
        with self.count_settle() as settled:
            order_a = self.quote()
            url_a, payment_a = self.start(order_a)
            order_b, payment_b, params_b = self.pay('success')
            self.assertEqual(self.callback(payment_b, params_b)['state'],
                'paid')
            self.assertEqual([r[:2] for r in settled], [(order_b, PAYABLE)])
            calls_before = self.app.verify_calls
            # B's genuine, verified callback sent to A.
            for params in (params_b,
                    dict(params_b, token=secrets.token_urlsafe(24)),
                    dict(params_b, token=''),
                    {'status': 'OK', 'reference': params_b['reference']},
                    dict(params_b, token=params_b['token'] + 'x'),
                    dict(params_b, token=params_b['token'].upper())):
                result = self.callback(payment_a, params)
                self.assertEqual(result['state'], 'redirected', params)
                self.assertEqual(result['order_state'], 'quoted')
            self.assertEqual(self.app.verify_calls, calls_before)
            # Unknown or malformed payment ids.
            for payment_id in (payment_b + 10_000, -1, 'abc', None,
                    '1 OR 1=1'):
                with self.assertRaises(PaymentError):
                    self.callback(payment_id, params_b)
            # A's own token, status OK, before the payer chose: the bank
            # says "not paid yet"; nothing is applied, A stays open.
            token_a = urllib.parse.urlsplit(url_a).path.rsplit('/', 1)[1]
            result = self.callback(payment_a, {'token': token_a,
                    'status': 'OK', 'reference': '999999999999'})
            self.assertEqual(result['state'], 'redirected')
            self.assertIsNone(result['reference'])
            self.assertEqual(self.facts(order_a)['state'], 'quoted')
            # Then A is really paid, with a callback claiming failure and a
            # forged reference: only the bank's answer counts.
            path, params_a = self.bank(url_a, 'success')
            result = self.callback(payment_a, dict(params_a, status='NOK',
                    reference='111111111111'))
            self.assertEqual(result['state'], 'paid')
            self.assertEqual(result['reference'], params_a['reference'])
        self.assertEqual([r[0] for r in settled], [order_b, order_a])
        for order_id in (order_a, order_b):
            facts = self.facts(order_id)
            self.assertEqual((facts['state'], facts['invoices']),
                ('applied', 1))

    def test_paid_twice(self):
        "Two payments of one order (two tabs): the second goes to the wallet"
        order_id = self.quote()
        url_1, payment_1 = self.start(order_id)
        url_2, payment_2 = self.start(order_id)
        path, params_1 = self.bank(url_1, 'success')
        path, params_2 = self.bank(url_2, 'success')
        self.assertEqual(self.callback(payment_2, params_2)['order_state'],
            'applied')
        result = self.callback(payment_1, params_1)
        self.assertEqual(result['state'], 'paid')
        self.assertEqual(result['outcome'], 'credited')
        self.assertEqual(self.payment(payment_2)['outcome'], 'applied')
        self.assertIn('اعتبار', result['message'])
        facts = self.facts(order_id)
        self.assertEqual((facts['invoices'], facts['periods'],
                facts['wallet']), (1, 1, PAYABLE))
        # In the books: both payments wait on the clearing account, the
        # second one is the subscriber's deposit (docs/accounting.md, 4).
        self.assertEqual(self.balances(self.order_party(order_id)), {
                '1.2': 0,
                '1.3': 2 * PAYABLE,
                '2.3': -PAYABLE,
                '4.1': -PRICE,
                '2.2': -(PAYABLE - PRICE),
                })
        self.assertEqual(self.payment(payment_1)['booked'], True)

    def test_expired_while_at_bank(self):
        "A pre-invoice that expired while the payer was at the bank"
        order_id, payment_id, params = self.pay('success')

        def expire():
            Order = Pool().get('partak.order')
            Order.write_computed([Order(order_id)], {'expires':
                    datetime.datetime.now() - datetime.timedelta(minutes=1)})
        self.transact(expire)
        result = self.callback(payment_id, params)
        self.assertEqual(result['state'], 'paid')
        self.assertEqual(result['order_state'], 'cancelled')
        self.assertEqual(result['outcome'], 'credited')
        facts = self.facts(order_id)
        self.assertEqual((facts['invoices'], facts['periods'],
                facts['wallet']), (0, 0, PAYABLE))
        # Nothing sold: no revenue; the bank's money is the deposit's.
        self.assertEqual(self.balances(self.order_party(order_id)), {
                '1.2': 0, '1.3': PAYABLE, '2.3': -PAYABLE})
        self.assertEqual(self.payment(payment_id)['booked'], True)

    def test_start_refused(self):
        "Only a quoted, valid order with something to pay goes to the bank"
        from trytond.modules.partak_payment.payment import PaymentError
        party_id, line_id = self.subscriber()
        expired = self.quote(party_id, line_id)

        def expire():
            Order = Pool().get('partak.order')
            Order.write_computed([Order(expired)], {'expires':
                    datetime.datetime.now() - datetime.timedelta(seconds=1)})
        self.transact(expire)
        with self.assertRaises(PaymentError) as refused:
            self.start(expired)
        self.assertIn('منقضی', refused.exception.message)

        cancelled = self.quote(party_id, line_id)

        def cancel():
            Order = Pool().get('partak.order')
            Order.cancel([Order(cancelled)])
        self.transact(cancel)
        with self.assertRaises(PaymentError):
            self.start(cancelled)

        def credit():
            pool = Pool()
            WalletMove = pool.get('partak.wallet.move')
            Party = pool.get('party.party')
            WalletMove.credit(Party(party_id), PAYABLE * 2)
        self.transact(credit)
        free = self.quote(party_id, line_id)
        self.assertEqual(self.transact(
                lambda: Pool().get('partak.order')(free).payable), 0)
        with self.assertRaises(PaymentError):
            self.start(free)

        def deactivate(active):
            Gateway = Pool().get('partak.payment.gateway')
            Gateway.write([Gateway(self.gateway_id)], {'active': active})
        order_id = self.quote()
        self.transact(deactivate, False)
        try:
            with self.assertRaises(PaymentError):
                self.start(order_id)
        finally:
            self.transact(deactivate, True)
        self.assertEqual(self.facts(expired)['payments'], 0)

    def test_bank_unreachable(self):
        "No answer from the bank: the payment stays open until it answers"
        order_id, payment_id, params = self.pay('success')
        probe = make_server('127.0.0.1', 0, app)
        closed = 'http://127.0.0.1:%d/bank/sandbox' % probe.server_port
        probe.server_close()
        config.set('partak', 'sandbox_url', closed)
        try:
            result = self.callback(payment_id, params)
        finally:
            config.set('partak', 'sandbox_url', self.bank_url)
        self.assertEqual(result['state'], 'redirected')
        self.assertEqual(result['order_state'], 'quoted')
        self.assertTrue(result['message'])
        self.assertEqual(self.callback(payment_id, params)['state'], 'paid')
        self.assertEqual(self.facts(order_id)['invoices'], 1)

    def test_check_button(self):
        "The back office asks the bank again when the callback was lost"
        order_id, payment_id, params = self.pay('success')

        def check():
            Payment = Pool().get('partak.payment')
            Payment.check([Payment(payment_id)])
        self.transact(check)
        self.assertEqual(self.payment(payment_id)['state'], 'paid')
        self.assertEqual(self.facts(order_id)['state'], 'applied')

    def backdate(self, payment_id, minutes, sandbox=False):
        "Moves the payment's trip to the bank (or the bank's token) back."
        def update():
            pool = Pool()
            Payment = pool.get('partak.payment')
            payment = Payment(payment_id)
            when = (datetime.datetime.now()
                - datetime.timedelta(minutes=minutes))
            cursor = Transaction().connection.cursor()
            if sandbox:
                table = pool.get('partak.payment.sandbox').__table__()
                cursor.execute(*table.update([table.create_date], [when],
                        where=table.token == payment.token))
            else:
                table = Payment.__table__()
                cursor.execute(*table.update([table.redirected_at], [when],
                        where=table.id == payment_id))
        self.transact(update)

    def test_cron_lost_callbacks(self):
        "The cron settles a paid payment whose callback never came"
        with self.count_settle() as settled:
            order_paid, paid, params = self.pay('success')
            order_waiting = self.quote()
            url, waiting = self.start(order_waiting)
            order_abandoned = self.quote()
            url, abandoned = self.start(order_abandoned)
            recent = self.quote()
            url, recent_id = self.start(recent)
            self.bank(url, 'success')
            self.backdate(paid, 10)
            self.backdate(waiting, 10)
            self.backdate(abandoned, 120)

            def check():
                Pool().get('partak.payment').check_open()
            self.transact(check)
        self.assertEqual(settled, [(order_paid, PAYABLE,
                    params['reference'], True)])
        self.assertEqual(self.payment(paid)['order_state'], 'applied')
        # Still on the bank's page: nothing to do yet.
        self.assertEqual(self.payment(waiting)['state'], 'redirected')
        # Sent to the bank two hours ago and never paid: failed.
        result = self.payment(abandoned)
        self.assertEqual((result['state'], result['order_state']),
            ('failed', 'quoted'))
        self.assertIn('پرداخت هنوز انجام نشده است', result['message'])
        # Paid a moment ago: its callback is on its way, left to it.
        self.assertEqual(self.payment(recent_id)['state'], 'redirected')

    def test_token_expired(self):
        "The bank's token expires: no payment after the deadline"
        order_id = self.quote()
        url, payment_id = self.start(order_id)
        token = urllib.parse.urlsplit(url).path.rsplit('/', 1)[1]
        self.backdate(payment_id, 31, sandbox=True)
        client = Client(app, Response)
        path = urllib.parse.urlsplit(url).path
        html = client.get(path).get_data(as_text=True)
        self.assertIn('مهلت پرداخت به پایان رسیده است', html)
        self.assertNotIn('id="pay-success"', html)
        status, answer = self.post_verify({'merchant_id': 'SANDBOX-MERCHANT',
                'token': token, 'amount': PAYABLE})
        self.assertEqual((answer['ok'], answer['code']), (False, -54))
        # A success posted after the deadline is a cancellation.
        answer = client.post(path, data={'choice': 'success'})
        params = dict(urllib.parse.parse_qsl(
                urllib.parse.urlsplit(answer.headers['Location']).query))
        self.assertEqual(params['status'], 'NOK')
        result = self.callback(payment_id, params)
        self.assertEqual((result['state'], result['order_state']),
            ('failed', 'quoted'))

    def test_payments_kept(self):
        "Payments are never deleted"
        from trytond.model.exceptions import AccessError
        order_id = self.quote()
        url, payment_id = self.start(order_id)

        def delete():
            Payment = Pool().get('partak.payment')
            Payment.delete([Payment(payment_id)])
        with self.assertRaises(AccessError):
            self.transact(delete)
        self.assertEqual(self.payment(payment_id)['state'], 'redirected')

