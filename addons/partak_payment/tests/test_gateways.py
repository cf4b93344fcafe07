# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The adapters of the real banks against their local test servers
(gateways/testbank.py) over HTTP, then the whole payment flow through
each of them (Payment.start, the bank's page, Payment.handle_callback)."""
import secrets
import types
import unittest

from trytond.pool import Pool

from trytond.modules.partak_payment.gateways import (
    UNREACHABLE, GatewayError, for_record, idpay, mellat, sep, zarinpal,
    zibal)
from trytond.modules.partak_payment.gateways.common import (
    PERSIAN, describe)

from . import test_sandbox
from .bankdriver import BankServer, closed_url, pay

PAYABLE = test_sandbox.PAYABLE

AMOUNT = 6_791_233
CALLBACK = 'http://shop.example/portal/payment/return/7'


class BankProtocol:
    """Tests of one adapter against its bank's local server; a subclass
    per bank sets ``type`` and what differs."""
    type = None
    merchant = 'MERCHANT-1'
    #: (module, tables) whose codes must all read in Persian
    tables = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = BankServer(cls.type)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()

    def record(self, **values):
        "A partak.payment.gateway as the adapter reads it."
        record = dict(type=self.type, merchant_id=self.merchant,
            terminal_id=None, username=None, password=None, secret_key=None,
            api_url=self.server.url, company=None)
        record.update(values)
        return types.SimpleNamespace(**record)

    def adapter(self, **values):
        return for_record(self.record(**values))

    @staticmethod
    def payment(amount=AMOUNT):
        return types.SimpleNamespace(id=secrets.randbelow(10 ** 9) + 1,
            amount=amount, token=None,
            order=types.SimpleNamespace(number='SO-0042'))

    def start(self, adapter=None, amount=AMOUNT):
        adapter = adapter or self.adapter()
        payment = self.payment(amount)
        url = adapter.request(payment, CALLBACK)
        return adapter, payment, url

    def paid(self, choice='success', **kwargs):
        adapter, payment, url = self.start(**kwargs)
        callback, params = pay(self, self.server.bank, url, choice)
        self.assertEqual(callback, CALLBACK)
        # The callback carries the token the payment was given.
        self.assertEqual(adapter.callback_token(params), payment.token)
        return adapter, payment, params

    def bank_state(self, payment):
        return self.server.bank.payments[payment.token]['state']

    def assertPersian(self, text):
        self.assertTrue(text)
        self.assertRegex(text, PERSIAN)

    # -- the tests -------------------------------------------------------

    def test_request(self):
        "Request: a token and the URL of the bank's Persian page"
        adapter, payment, url = self.start()
        self.assertTrue(payment.token)
        self.assertTrue(url.startswith(self.server.url + '/'), url)
        self.assertIn(payment.token, url)
        record = self.server.bank.payments[payment.token]
        self.assertEqual((record['amount'], record['callback'],
                record['state']), (AMOUNT, CALLBACK, 'waiting'))
        # Another request, another token.
        self.assertNotEqual(self.start()[1].token, payment.token)

    def test_paid(self):
        "Paid at the bank: verify confirms the amount with a reference"
        adapter, payment, params = self.paid('success')
        result = adapter.verify(payment, params)
        self.assertTrue(result.ok, result)
        self.assertTrue(result.final)
        self.assertEqual(result.amount, AMOUNT)
        self.assertTrue(result.reference)
        self.assertPersian(result.message)

    def test_cancelled(self):
        "Cancelled at the bank: a final refusal, in Persian"
        adapter, payment, params = self.paid('failure')
        result = adapter.verify(payment, params)
        self.assertFalse(result.ok)
        self.assertTrue(result.final, result)
        self.assertIsNone(result.reference)
        self.assertPersian(result.message)

    def test_not_paid_yet(self):
        "Asked before the payer came back: nothing final yet"
        adapter, payment, url = self.start()
        result = adapter.verify(payment, {'token': payment.token})
        self.assertFalse(result.ok)
        self.assertFalse(result.final, result)
        self.assertPersian(result.message)

    def test_already_verified(self):
        "A second verify (lost answer, replay) confirms the same payment"
        adapter, payment, params = self.paid('success')
        first = adapter.verify(payment, params)
        second = adapter.verify(payment, params)
        self.assertTrue(first.ok and second.ok, (first, second))
        self.assertEqual((second.amount, second.reference),
            (first.amount, first.reference))
        self.assertNotEqual(first.code, second.code)

    def test_wrong_amount(self):
        "The bank paid another amount than the payment's: never ok"
        adapter, payment, params = self.paid('success')
        payment.amount = AMOUNT - 1_000_000
        result = adapter.verify(payment, params)
        self.assertFalse(result.ok and result.amount == payment.amount,
            result)
        self.check_wrong_amount(payment, result)

    def check_wrong_amount(self, payment, result):
        "What else the bank does with a wrong amount."

    def test_unknown_token(self):
        "A token the bank never issued: a final refusal"
        adapter, payment, params = self.paid('success')
        payment, params = self.unknown(payment, params)
        result = adapter.verify(payment, params)
        self.assertFalse(result.ok)
        self.assertTrue(result.final, result)
        self.assertPersian(result.message)

    def unknown(self, payment, params):
        payment.token = str(int(secrets.token_hex(4), 16))
        return payment, params

    def test_other_merchant(self):
        "Verify by another merchant than the one paid: refused"
        adapter, payment, params = self.paid('success')
        other = self.adapter(merchant_id='MERCHANT-2', terminal_id=None)
        result = other.verify(payment, params)
        self.assertFalse(result.ok)
        self.assertPersian(result.message)

    def test_merchant_refused(self):
        "A merchant the bank does not know: the request fails in Persian"
        server = BankServer(self.type, merchants={'12345678'})
        try:
            adapter = for_record(self.record(api_url=server.url,
                    merchant_id='87654321', terminal_id='87654321'))
            with self.assertRaises(GatewayError) as refused:
                adapter.request(self.payment(), CALLBACK)
        finally:
            server.stop()
        self.assertPersian(str(refused.exception))
        self.assertEqual(str(refused.exception), self.merchant_refused)

    def test_unreachable(self):
        "The bank does not answer: request fails, verify stays pending"
        adapter, payment, params = self.paid('success')
        down = self.adapter(api_url=closed_url())
        result = down.verify(payment, params)
        self.assertFalse(result.ok)
        self.assertFalse(result.final)
        self.assertEqual(result.code, UNREACHABLE)
        with self.assertRaises(GatewayError):
            down.request(self.payment(), CALLBACK)
        # The bank answers again: the payment is confirmed.
        self.assertTrue(adapter.verify(payment, params).ok)

    def test_codes_in_persian(self):
        "Every code of the bank's tables has a Persian message"
        count = 0
        for table in self.tables:
            for code in table:
                self.assertPersian(describe(table, code))
                count += 1
        self.assertGreaterEqual(count, 8)
        self.assertPersian(describe(self.tables[0], 987654))
        self.assertIn('987654', describe(self.tables[0], 987654))


class ZarinpalTestCase(BankProtocol, unittest.TestCase):
    "Zarinpal against its local test bank"
    type = 'zarinpal'
    tables = (zarinpal.CODES,)
    merchant_refused = zarinpal.CODES[-10]

    def test_amount_sent_to_verify(self):
        "Zarinpal itself refuses a verify for another amount (-50)"
        adapter, payment, params = self.paid('success')
        payment.amount += 10
        result = adapter.verify(payment, params)
        self.assertEqual((result.ok, result.code, result.final),
            (False, '-50', True))
        self.assertEqual(result.message, zarinpal.CODES[-50])


class ZibalTestCase(BankProtocol, unittest.TestCase):
    "Zibal against its local test bank"
    type = 'zibal'
    tables = (zibal.CODES, zibal.STATUSES)
    merchant_refused = zibal.CODES[102]

    def test_cancel_status_told(self):
        "A cancelled payment says why, from the callback's status"
        adapter, payment, params = self.paid('failure')
        result = adapter.verify(payment, params)
        self.assertEqual(result.code, '202')
        self.assertIn(zibal.STATUSES[3], result.message)


class IdpayTestCase(BankProtocol, unittest.TestCase):
    "IDPay against its local test bank"
    type = 'idpay'
    tables = (idpay.ERRORS, idpay.STATUSES)
    merchant_refused = idpay.ERRORS[12]

    def test_headers(self):
        "The API key goes in X-API-KEY; X-SANDBOX only off the public URL"
        self.assertEqual(self.adapter().headers(),
            {'X-API-KEY': self.merchant, 'X-SANDBOX': '1'})
        self.assertEqual(self.adapter(api_url=None).headers()['X-SANDBOX'],
            '0')


class SepTestCase(BankProtocol, unittest.TestCase):
    "Saman (SEP) against its local test bank"
    type = 'sep'
    merchant = '13000001'
    tables = (sep.CODES, sep.STATUSES)
    merchant_refused = sep.STATUSES[12]

    def unknown(self, payment, params):
        return payment, dict(params, RefNum=secrets.token_hex(6))

    def check_wrong_amount(self, payment, result):
        self.assertFalse(result.ok)
        self.assertTrue(result.final)
        self.assertIn('برگشت داده شد', result.message)
        self.assertEqual(self.bank_state(payment), 'reversed')

    def test_status_failure_without_verify(self):
        "A callback with a failed Status is refused with SEP's reason"
        adapter, payment, params = self.paid('failure')
        self.assertEqual(params['Status'], '1')
        result = adapter.verify(payment, params)
        self.assertEqual(result.message, sep.STATUSES[1])
        self.assertEqual(self.bank_state(payment), 'cancelled')


class MellatTestCase(BankProtocol, unittest.TestCase):
    "Mellat (SOAP, through zeep) against its local test bank"
    type = 'mellat'
    merchant = '4000001'
    tables = (mellat.CODES,)
    merchant_refused = mellat.CODES[21]

    def record(self, **values):
        values.setdefault('username', 'user')
        values.setdefault('password', 'secret')
        return super().record(**values)

    def unknown(self, payment, params):
        return payment, dict(params,
            SaleReferenceId=str(secrets.randbelow(10 ** 11)))

    def test_verify_then_settle(self):
        "A paid payment is verified then settled, once"
        adapter, payment, params = self.paid('success')
        self.assertEqual(params['ResCode'], '0')
        self.assertTrue(adapter.verify(payment, params).ok)
        self.assertEqual(self.bank_state(payment), 'settled')
        again = adapter.verify(payment, params)
        self.assertEqual((again.ok, again.code), (True, str(mellat.SETTLED)))

    def test_wrong_password(self):
        "Wrong web service credentials: the request fails (24)"
        server = BankServer('mellat',
            users={self.merchant: ('user', 'secret')})
        try:
            adapter = for_record(self.record(api_url=server.url,
                    password='wrong'))
            with self.assertRaises(GatewayError) as refused:
                adapter.request(self.payment(), CALLBACK)
        finally:
            server.stop()
        self.assertEqual(str(refused.exception), mellat.CODES[24])

    def check_wrong_amount(self, payment, result):
        self.assertFalse(result.ok)
        self.assertTrue(result.final)
        self.assertIn('برگشت داده شد', result.message)
        self.assertEqual(self.bank_state(payment), 'reversed')


class GatewayFlowTestCase(test_sandbox.SandboxBankTestCase):
    """The payment flow through each real bank's protocol: Payment.start,
    the bank's page, Payment.handle_callback (reusing the sandbox tests'
    world: an order whose payable is 6,791,233 Rial)."""
    credentials = {
        'zarinpal': {'merchant_id': 'MERCHANT-1'},
        'zibal': {'merchant_id': 'MERCHANT-1'},
        'idpay': {'merchant_id': 'MERCHANT-1'},
        'sep': {'terminal_id': '13000001'},
        'mellat': {'terminal_id': '4000001', 'username': 'user',
            'password': 'secret'},
        }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.servers = {type_: BankServer(type_) for type_ in cls.credentials}

        def create():
            Gateway = Pool().get('partak.payment.gateway')
            gateways = Gateway.create([dict(values, name=type_, type=type_,
                        company=cls.company_id,
                        api_url=cls.servers[type_].url)
                    for type_, values in cls.credentials.items()])
            return {g.type: g.id for g in gateways}
        cls.gateways = cls.transact(create)

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers.values():
            server.stop()
        super().tearDownClass()

    def flow(self, type_):
        "Paid through ``type_``: settled once, a second callback is void."
        server = self.servers[type_]
        with self.count_settle() as settled:
            order_id = self.quote()
            url, payment_id = self.start(order_id, self.gateways[type_])
            self.assertTrue(url.startswith(server.url), url)
            callback, params = pay(self, server.bank, url, 'success')
            self.assertTrue(callback.endswith(
                    '/portal/payment/return/%d' % payment_id), callback)
            first = self.callback(payment_id, params)
            second = self.callback(payment_id, params)
        self.assertEqual(first['state'], 'paid', first['message'])
        self.assertEqual(first['order_state'], 'applied')
        self.assertTrue(first['reference'])
        self.assertEqual(settled,
            [(order_id, PAYABLE, first['reference'], True)])
        self.assertEqual((second['state'], second['reference'],
                second['callback_count']), ('paid', first['reference'], 2))
        facts = self.facts(order_id)
        self.assertEqual((facts['state'], facts['invoices'],
                facts['periods'], facts['wallet'], facts['payments']),
            ('applied', 1, 1, 0, 1))
        self.assertEqual(facts['payment_reference'], first['reference'])

    def cancelled(self, type_):
        "Cancelled at ``type_``'s page: failed, nothing applied."
        server = self.servers[type_]
        with self.count_settle() as settled:
            order_id = self.quote()
            url, payment_id = self.start(order_id, self.gateways[type_])
            callback, params = pay(self, server.bank, url, 'failure')
            result = self.callback(payment_id, params)
        self.assertEqual(settled, [])
        self.assertEqual((result['state'], result['order_state']),
            ('failed', 'quoted'))
        self.assertRegex(result['message'], PERSIAN)
        self.assertEqual(self.facts(order_id)['invoices'], 0)

    def test_zarinpal_flow(self):
        "Zarinpal: paid, settled once"
        self.flow('zarinpal')
        self.cancelled('zarinpal')

    def test_zibal_flow(self):
        "Zibal: paid, settled once"
        self.flow('zibal')
        self.cancelled('zibal')

    def test_idpay_flow(self):
        "IDPay: paid, settled once"
        self.flow('idpay')
        self.cancelled('idpay')

    def test_sep_flow(self):
        "Saman (SEP): paid, settled once"
        self.flow('sep')
        self.cancelled('sep')

    def test_mellat_flow(self):
        "Mellat: paid, verified and settled once"
        self.flow('mellat')
        self.cancelled('mellat')

    def test_bank_refuses_request(self):
        "A bank refusing the request: a Persian error, the attempt kept"
        from trytond.modules.partak_payment.payment import PaymentError

        def break_merchant(value):
            Gateway = Pool().get('partak.payment.gateway')
            Gateway.write([Gateway(self.gateways['zarinpal'])],
                {'merchant_id': value})
        order_id = self.quote()
        self.transact(break_merchant, None)
        try:
            with self.assertRaises(PaymentError) as refused:
                self.start(order_id, self.gateways['zarinpal'])
        finally:
            self.transact(break_merchant, 'MERCHANT-1')
        self.assertRegex(refused.exception.message, PERSIAN)
        self.assertEqual(self.facts(order_id)['state'], 'quoted')

    def test_demo_test_bank(self):
        "The demo's Zarinpal gateway pays through the bank inside trytond"
        from trytond.modules.partak_payment.demo import ZARINPAL_URL
        from trytond.modules.partak_payment.gateways.testbank import mounted
        from trytond.wsgi import app
        from werkzeug.test import Client

        # off unless [partak] test_banks says so: a production server
        # must not carry a bank that confirms whatever it is told
        self.set_config('partak', 'test_banks', 'False')
        self.assertEqual(Client(app).get(
                '/bank/test/zarinpal/pg/StartPay/X').status_code, 404)
        self.set_config('partak', 'test_banks', 'True')
        self.set_config('partak', 'test_banks_url',
            'http://127.0.0.1:%d/bank/test' % self.port)

        def find():
            Gateway = Pool().get('partak.payment.gateway')
            gateway, = Gateway.search([('api_url', '=', ZARINPAL_URL)])
            return gateway.id, gateway.type, gateway.active
        gateway_id, type_, active = self.transact(find)
        self.assertEqual((type_, active), ('zarinpal', True))
        with self.count_settle() as settled:
            order_id = self.quote()
            url, payment_id = self.start(order_id, gateway_id)
            self.assertTrue(url.startswith('http://127.0.0.1:%d/bank/test/'
                    'zarinpal/pg/StartPay/' % self.port), url)
            callback, params = pay(self, mounted('zarinpal'), url, 'success',
                wsgi=app)
            first = self.callback(payment_id, params)
            second = self.callback(payment_id, params)
        self.assertEqual((first['state'], first['order_state']),
            ('paid', 'applied'))
        self.assertEqual(second['state'], 'paid')
        self.assertEqual(len(settled), 1)

    def test_api_url_checked(self):
        "A Bank Service URL that is no web address is refused in Persian"
        from trytond.exceptions import UserError

        def write(value):
            Gateway = Pool().get('partak.payment.gateway')
            Gateway.write([Gateway(self.gateways['zibal'])],
                {'api_url': value})
        with self.assertRaises(UserError) as refused:
            self.transact(write, 'ftp://bank.example')
        self.assertIn('ftp://bank.example', refused.exception.message)
        self.assertRegex(refused.exception.message, PERSIAN)
        self.transact(write, '/bank/test/zibal')
        self.transact(write, self.servers['zibal'].url)


# Only the flow through the real banks here: the sandbox's own tests run
# in test_sandbox.py.
for _name in dir(test_sandbox.SandboxBankTestCase):
    if _name.startswith('test_') and _name not in vars(GatewayFlowTestCase):
        setattr(GatewayFlowTestCase, _name, None)
