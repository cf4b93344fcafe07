# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Payment safety against the sandbox bank, over HTTP: the audit log of
every callback and verify, tampered callbacks refused and logged, a bank
that times out, money paid for an order that can no longer be applied,
and refunds to the wallet by staff."""
import datetime
import socket
import unittest
import urllib.parse
from unittest import mock

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction, check_access

from . import test_sandbox
from .test_sandbox import PAYABLE


class PaymentSafetyTestCase(test_sandbox.SandboxBankTestCase):
    "Payment events, tampering, timeouts, credits and refunds"

    @classmethod
    def setUpClass(cls):
        # Not the company of test_sandbox's database, when it ran first.
        cls.company_id = None
        super().setUpClass()

    def settled_count(self, settled):
        return len([c for c in settled if c[3]])

    # -- 1. the audit log -----------------------------------------------

    def test_events_of_a_payment(self):
        "A callback leaves callback, verify and settled events"
        order_id, payment_id, params = self.pay('success')
        self.callback(payment_id, params)
        events = self.events(payment_id)
        self.assertEqual([e['kind'] for e in events],
            ['callback', 'verify', 'settled'])
        callback, verify, settled = events
        self.assertEqual(callback['remote_ip'], '127.0.0.1')
        self.assertIn(params['token'], callback['params'])
        self.assertEqual(verify['bank_code'], '100')
        self.assertEqual(verify['amount'], PAYABLE)
        self.assertIn(params['reference'], verify['message'])
        self.assertEqual(settled['amount'], PAYABLE)
        self.assertIn('6,791,233', settled['message'])

        # A replay is logged too and changes nothing.
        self.callback(payment_id, params)
        self.assertEqual(self.kinds(payment_id),
            {'callback': 2, 'verify': 1, 'settled': 1})
        self.assertIn('تکرار', self.events(payment_id)[-1]['message'])

        # The log is read-only, even for the code.
        def rewrite():
            Event = Pool().get('partak.payment.event')
            events = Event.search([('payment', '=', payment_id)])
            Event.write(events, {'message': 'nothing happened'})
        with self.assertRaises(AccessError):
            self.transact(rewrite)

        def delete():
            Event = Pool().get('partak.payment.event')
            Event.delete(Event.search([('payment', '=', payment_id)]))
        with self.assertRaises(AccessError):
            self.transact(delete)
        self.assertEqual(len(self.events(payment_id)), 4)

    def test_failure_logged(self):
        "A refusal of the bank is logged as verify then failed"
        order_id, payment_id, params = self.pay('failure')
        self.callback(payment_id, params)
        events = self.events(payment_id)
        self.assertEqual([e['kind'] for e in events],
            ['callback', 'verify', 'failed'])
        self.assertEqual(events[1]['bank_code'], '-51')

    # -- 1. tampered callbacks ------------------------------------------

    def check_tampered(self, tamper):
        """A paid payment whose genuine callback is altered by
        ``tamper(params)``: refused, logged once, nothing applied; the
        genuine callback afterwards still settles it."""
        with self.count_settle() as settled:
            order_id, payment_id, params = self.pay('success')
            calls_before = self.app.verify_calls
            result = self.callback(payment_id, tamper(dict(params)))
            self.assertEqual(self.app.verify_calls, calls_before)
            self.assertEqual((result['state'], result['order_state']),
                ('redirected', 'quoted'))
            self.assertEqual(settled, [])
            self.assertEqual(self.kinds(payment_id), {'refused': 1})
            facts = self.facts(order_id)
            self.assertEqual((facts['invoices'], facts['periods'],
                    facts['wallet_moves']), (0, 0, 0))
            refused, = self.events(payment_id)
            self.assertTrue(refused['message'])
            self.assertEqual(refused['remote_ip'], '127.0.0.1')
            # Nothing was lost: the genuine callback is still good.
            self.assertEqual(self.callback(payment_id, params)['state'],
                'paid')
        self.assertEqual(self.settled_count(settled), 1)
        self.assertEqual(self.facts(order_id)['invoices'], 1)
        return refused

    def test_tampered_amount(self):
        "A callback claiming another amount is refused and logged"
        for amount in (str(PAYABLE - 1), '1000', 'abc'):
            refused = self.check_tampered(
                lambda p: dict(p, amount=amount))
            self.assertIn('مبلغ', refused['message'])
        # The exact amount, echoed by a bank, is accepted.
        order_id, payment_id, params = self.pay('success')
        self.assertEqual(self.callback(payment_id,
                dict(params, amount=str(PAYABLE)))['state'], 'paid')

    def test_tampered_order_id(self):
        "A callback naming another order is refused and logged"
        refused = self.check_tampered(
            lambda p: dict(p, order_id='999999'))
        self.assertIn('999999', refused['message'])
        self.check_tampered(lambda p: dict(p, ResNum='1'))
        # Our own order number or payment id, echoed, are accepted.
        order_id, payment_id, params = self.pay('success')
        number = self.facts(order_id)['number']
        self.assertEqual(self.callback(payment_id,
                dict(params, order_id=number))['state'], 'paid')

    def test_tampered_token(self):
        "A callback with another token is refused and logged"
        # Another last character: 'x' alone would be the genuine token
        # whenever the random one happens to end in 'x' (1 run in 64).
        def other_token(p):
            last = 'y' if p['token'].endswith('x') else 'x'
            return dict(p, token=p['token'][:-1] + last)
        refused = self.check_tampered(other_token)
        self.assertIn('توکن', refused['message'])
        self.check_tampered(lambda p: {'status': 'OK'})

    def test_forged_host(self):
        "Verify goes to the configured address, never to the Host header"
        import http.server
        import threading

        class Fake(http.server.BaseHTTPRequestHandler):
            hits = []

            def do_POST(self):
                Fake.hits.append(self.path)
                body = ('{"ok": true, "code": 100, "amount": %d, '
                    '"reference": "999999999999"}' % PAYABLE).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        fake = http.server.HTTPServer(('127.0.0.1', 0), Fake)
        thread = threading.Thread(target=fake.serve_forever, daemon=True)
        thread.start()
        # The review's attack: no [partak] sandbox_url, a callback whose
        # Host is the attacker's server answering "ok".
        self.set_config('partak', 'sandbox_url', '')
        try:
            order_id, payment_id, params = self.pay('failure')
            forged = '127.0.0.1:%d' % fake.server_port

            def handle():
                Payment = Pool().get('partak.payment')
                with Transaction().set_context(_request={
                            'http_host': forged, 'scheme': 'http',
                            'remote_addr': '127.0.0.1'}):
                    payment = Payment.handle_callback(payment_id,
                        dict(params, status='OK', reference='999999999999'))
                    return payment.state, payment.order.state
            self.assertEqual(self.transact(handle), ('failed', 'quoted'))
            self.assertEqual(Fake.hits, [])
        finally:
            test_sandbox.config.set('partak', 'sandbox_url', self.bank_url)
            fake.shutdown()
            fake.server_close()

    def test_public_url_required(self):
        "Without the public address no payment starts (Persian message)"
        from trytond.modules.partak_payment.payment import PaymentError
        order_id = self.quote()
        self.transact(self.set_public_url, None)
        try:
            with self.assertRaises(PaymentError) as refused:
                self.start(order_id)
        finally:
            self.transact(self.set_public_url, self.public_url)
        self.assertIn('نشانی', refused.exception.message)

    def test_wrong_token_not_counted(self):
        "A callback without the payment's token changes nothing of it"
        order_id, payment_id, params = self.pay('success')
        result = self.callback(payment_id, dict(params, token='forged'))
        self.assertEqual((result['state'], result['callback_count']),
            ('redirected', 0))
        self.assertEqual(self.kinds(payment_id), {'refused': 1})

    def test_fake_banks_off_in_production(self):
        "Where [partak] test_banks is off, the sandbox bank serves nothing"
        from werkzeug.test import Client
        from trytond.wsgi import app
        from trytond.modules.partak_payment.payment import PaymentError
        order_id = self.quote()
        url, payment_id = self.start(order_id)
        path = urllib.parse.urlsplit(url).path
        self.set_config('partak', 'test_banks', 'False')
        try:
            client = Client(app)
            self.assertEqual(client.get(path).status_code, 404)
            self.assertEqual(client.post(path,
                    data={'choice': 'success'}).status_code, 404)
            self.assertEqual(client.post('/bank/sandbox/verify',
                    json={'token': 'x', 'amount': 1, 'merchant_id': 'x'}
                    ).status_code, 404)

            def offered():
                Gateway = Pool().get('partak.payment.gateway')
                return [g.id for g in Gateway.offered()]
            self.assertNotIn(self.gateway_id, self.transact(offered))
            with self.assertRaises(PaymentError) as refused:
                self.start(self.quote())
            self.assertIn('آزمایشی', refused.exception.message)
        finally:
            self.set_config('partak', 'test_banks', 'True')
        self.assertIn(self.gateway_id, self.transact(offered))
        # The payment started before is still the payer's, unpaid.
        self.assertEqual(self.payment(payment_id)['state'], 'redirected')

    def test_shipped_configuration_serves_no_fake_bank(self):
        "config/trytond.conf as shipped: the fake banks are off"
        import configparser
        import os
        path = os.path.join(os.path.dirname(__file__), '..', '..', '..',
            'config', 'trytond.conf')
        if not os.path.exists(path):
            self.skipTest('not run from a checkout of Partak')
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(path, encoding='utf-8')
        self.assertFalse(parser.getboolean('partak', 'test_banks',
                fallback=False))
        self.assertFalse(parser.get('partak', 'test_banks_url',
                fallback=None))
        self.assertFalse(parser.get('partak', 'sandbox_url', fallback=None))

    # -- 2. a bank that does not answer -----------------------------------

    def test_verify_timeout_then_cron(self):
        "The bank times out: pending after the callback, paid by the cron"
        # A bank that accepts the connection and never answers.
        silent = socket.socket()
        silent.bind(('127.0.0.1', 0))
        silent.listen(8)
        self.set_config('partak', 'bank_timeout', '0.5')
        with self.count_settle() as settled:
            order_id, payment_id, params = self.pay('success')
            test_sandbox.config.set('partak', 'sandbox_url',
                'http://127.0.0.1:%d/bank/sandbox' % silent.getsockname()[1])
            try:
                result = self.callback(payment_id, params)
                self.assertEqual((result['state'], result['order_state']),
                    ('redirected', 'quoted'))
                self.assertIn('تایید', result['message'])
                # The cron asks again; the bank still does not answer.
                self.backdate(payment_id, 10)
                self.transact(
                    lambda: Pool().get('partak.payment').check_open())
                self.assertEqual(self.payment(payment_id)['state'],
                    'redirected')
            finally:
                test_sandbox.config.set('partak', 'sandbox_url',
                    self.bank_url)
                silent.close()
            self.assertEqual(settled, [])
            verifies = [e for e in self.events(payment_id)
                if e['kind'] == 'verify']
            self.assertEqual([e['bank_code'] for e in verifies],
                ['unreachable', 'unreachable'])
            # The bank is back: the next run of the cron settles it, once.
            for _ in range(2):
                self.transact(
                    lambda: Pool().get('partak.payment').check_open())
        self.assertEqual(settled,
            [(order_id, PAYABLE, params['reference'], True)])
        result = self.payment(payment_id)
        self.assertEqual((result['state'], result['order_state'],
                result['outcome']), ('paid', 'applied', 'applied'))
        facts = self.facts(order_id)
        self.assertEqual((facts['invoices'], facts['periods']), (1, 1))
        self.assertEqual(self.kinds(payment_id),
            {'callback': 1, 'verify': 3, 'settled': 1})

    def test_adapter_raises(self):
        "An adapter raising GatewayError leaves the payment open"
        from trytond.modules.partak_payment.gateways import (
            GatewayError, sandbox)
        order_id, payment_id, params = self.pay('success')
        with mock.patch.object(sandbox.SandboxGateway, 'verify',
                side_effect=GatewayError('read timed out')):
            result = self.callback(payment_id, params)
        self.assertEqual(result['state'], 'redirected')
        self.assertEqual(result['callback_count'], 1)
        self.assertEqual(self.kinds(payment_id),
            {'callback': 1, 'verify': 1})
        self.assertEqual(self.callback(payment_id, params)['state'], 'paid')

    # -- 3. paid, but the order cannot be applied ---------------------------

    def assert_credited(self, order_id, payment_id, result):
        self.assertEqual((result['state'], result['outcome'],
                result['order_state']), ('paid', 'credited', 'cancelled'))
        self.assertIn('اعتبار', result['message'])
        facts = self.facts(order_id)
        self.assertEqual((facts['invoices'], facts['periods'],
                facts['wallet'], facts['wallet_moves']),
            (0, 0, PAYABLE, 1))
        kinds = self.kinds(payment_id)
        self.assertEqual(kinds.get('credited'), 1)
        self.assertNotIn('settled', kinds)
        credited, = [e for e in self.events(payment_id)
            if e['kind'] == 'credited']
        self.assertEqual(credited['amount'], PAYABLE)
        return credited

    def test_product_withdrawn(self):
        "The plan withdrawn while the payer was at the bank: credited"
        order_id, payment_id, params = self.pay('success')

        def withdraw(active):
            pool = Pool()
            Product = pool.get('product.product')
            Template = pool.get('product.template')
            product = Product(self.product_id)
            Template.write([product.template], {'active': active})
        self.transact(withdraw, False)
        try:
            with self.count_settle() as settled:
                result = self.callback(payment_id, params)
        finally:
            self.transact(withdraw, True)
        self.assertEqual(settled, [])
        credited = self.assert_credited(order_id, payment_id, result)
        self.assertIn('ADSL 2 Mbps', credited['message'])
        # Replays change nothing more.
        self.callback(payment_id, params)
        self.assertEqual(self.facts(order_id)['wallet'], PAYABLE)

    def test_apply_raises(self):
        "The application fails with a user error: rolled back, credited"
        Order = Pool(self.db).get('partak.order')
        order_id, payment_id, params = self.pay('success')
        calls_before = self.app.verify_calls
        error = ValidationError("the line cannot take this service")
        with mock.patch.object(Order, '_apply_service',
                side_effect=error, autospec=True) as apply:
            result = self.callback(payment_id, params)
        self.assertEqual(apply.call_count, 1)
        # The restart did not ask the bank again.
        self.assertEqual(self.app.verify_calls, calls_before + 1)
        credited = self.assert_credited(order_id, payment_id, result)
        self.assertIn('the line cannot take this service',
            credited['message'])
        self.assertEqual(self.kinds(payment_id),
            {'callback': 1, 'verify': 1, 'credited': 1})

    # -- 5. refunds by staff ----------------------------------------------

    def refund(self, payment_id, amount, reason):
        def refund():
            Payment = Pool().get('partak.payment')
            Payment.refund(Payment(payment_id), amount, reason)
        return self.transact(refund)

    def test_refund_limits(self):
        "A refund is at most what was paid and not yet refunded"
        from trytond.modules.partak_payment.payment import PaymentError
        order_id, payment_id, params = self.pay('success')
        # Not paid yet: nothing to refund.
        with self.assertRaises(PaymentError):
            self.refund(payment_id, 1000, "test")
        self.callback(payment_id, params)
        for amount, reason in ((0, "x"), (-5, "x"), (PAYABLE + 1, "x"),
                ('abc', "x"), (1000, ''), (1000, '   ')):
            with self.assertRaises(PaymentError) as refused:
                self.refund(payment_id, amount, reason)
            self.assertTrue(refused.exception.message)
        self.assertEqual(self.facts(order_id)['wallet'], 0)
        self.refund(payment_id, 1_000_000, "قطعی سه روزه خط")
        self.refund(payment_id, PAYABLE - 1_000_000, "بقیه")
        with self.assertRaises(PaymentError) as refused:
            self.refund(payment_id, 1, "one more")
        self.assertIn('0', refused.exception.message)
        facts = self.facts(order_id)
        self.assertEqual((facts['wallet'], facts['wallet_moves']),
            (PAYABLE, 2))
        refunds = [e for e in self.events(payment_id)
            if e['kind'] == 'refund']
        self.assertEqual([(e['amount'], e['message']) for e in refunds],
            [(1_000_000, "قطعی سه روزه خط"), (PAYABLE - 1_000_000, "بقیه")])

        def read():
            Payment = Pool().get('partak.payment')
            payment = Payment(payment_id)
            return payment.refunded, payment.refundable
        self.assertEqual(self.transact(read), (PAYABLE, 0))

        # In the books: each refund is a posted credit note (its VAT by the
        # one rule) reconciled with the wallet's credit; refunded in full,
        # the sale's revenue and VAT are gone and the money is the deposit.
        self.assertEqual(self.balances(self.order_party(order_id)), {
                '1.2': 0, '1.3': PAYABLE, '2.3': -PAYABLE,
                '4.1': 0, '2.2': 0})

        def credit_notes():
            Invoice = Pool().get('account.invoice')
            party = Pool().get('partak.order')(order_id).party
            return sorted((int(i.untaxed_amount), int(i.tax_amount), i.state)
                for i in Invoice.search([('party', '=', party.id),
                        ('total_amount', '<', 0)]))
        self.assertEqual(self.transact(credit_notes), [
                (-5_313_057, -478_176, 'paid'),     # the rest, 5,791,233
                (-917_432, -82_568, 'paid'),        # 1,000,000
                ])

    def test_refund_credited_payment(self):
        "Money already credited to the wallet cannot be refunded again"
        from trytond.modules.partak_payment.payment import PaymentError
        order_id = self.quote()
        url_1, payment_1 = self.start(order_id)
        url_2, payment_2 = self.start(order_id)
        path, params_1 = self.bank(url_1, 'success')
        path, params_2 = self.bank(url_2, 'success')
        self.callback(payment_2, params_2)
        self.assertEqual(self.callback(payment_1, params_1)['outcome'],
            'credited')
        with self.assertRaises(PaymentError):
            self.refund(payment_1, 1, "twice")
        self.assertEqual(self.facts(order_id)['wallet'], PAYABLE)

    def test_refund_wizard_access(self):
        "Only accounting and administrators may refund, through the wizard"
        order_id, payment_id, params = self.pay('success')
        self.callback(payment_id, params)

        def users():
            pool = Pool()
            User = pool.get('res.user')
            ModelData = pool.get('ir.model.data')
            result = {}
            for group in ('accounting', 'support', 'admin'):
                group_id = ModelData.get_id('partak_subscriber',
                    'group_partak_%s' % group)
                user, = User.create([{'name': group,
                            'login': 'refund-%s' % group,
                            'groups': [('add', [group_id])],
                            'companies': [('add', [self.company_id])],
                            'company': self.company_id}])
                result[group] = user.id
            return result
        user_ids = self.transact(users)

        def run_wizard(user_id, amount, reason):
            pool = Pool()
            Refund = pool.get('partak.payment.refund', type='wizard')
            with Transaction().set_user(user_id), \
                    Transaction().set_context(
                        active_model='partak.payment',
                        active_id=payment_id, active_ids=[payment_id],
                        company=self.company_id), \
                    check_access():
                Refund.check_access()
                session_id, _, _ = Refund.create()
                Refund.execute(session_id, {}, 'start')
                Refund.execute(session_id, {'start': {
                            'amount': amount, 'reason': reason}}, 'refund')
                Refund.delete(session_id)

        with self.assertRaises(AccessError):
            self.transact(run_wizard, user_ids['support'], 1000, "no")
        self.assertEqual(self.facts(order_id)['wallet'], 0)
        self.transact(run_wizard, user_ids['accounting'], 250_000,
            "جبران قطعی")
        with self.assertRaises(UserError):
            self.transact(run_wizard, user_ids['admin'], PAYABLE, "all")
        self.transact(run_wizard, user_ids['admin'], 1000, "admin")
        self.assertEqual(self.facts(order_id)['wallet'], 251_000)
        refunds = [e for e in self.events(payment_id)
            if e['kind'] == 'refund']
        self.assertEqual([(e['amount'], e['user']) for e in refunds],
            [(250_000, user_ids['accounting']), (1000, user_ids['admin'])])

    # -- 4. reconciliation with the bank's settlement ----------------------

    def import_settlement(self, text, filename='settle.csv'):
        "Runs the import wizard on ``text``; returns the statement id."
        def run():
            pool = Pool()
            Import = pool.get('partak.payment.settlement.import',
                type='wizard')
            session_id, _, _ = Import.create()
            Import.execute(session_id, {}, 'start')
            result = Import.execute(session_id, {'start': {
                        'company': self.company_id, 'journal': None,
                        'file_': text.encode('utf-8'),
                        'filename': filename, 'statement': None}},
                'import_')
            Import.delete(session_id)
            return result['actions'][0][0]['res_id'][0]
        return self.transact(run)

    def settlement_counts(self):
        def count():
            pool = Pool()
            return (pool.get('account.statement').search_count([]),
                pool.get('account.statement.line').search_count([]),
                pool.get('partak.payment.settlement').search_count([]))
        return self.transact(count)

    def statement_books(self, statement_id, payment_ids):
        """The books of a settlement statement: its state and lines, the
        entry of each row by number (state and (account code, debit,
        credit) lines), its lines on the clearing account 1.3 and the 1.3
        debit of each payment of ``payment_ids``, with their
        reconciliations."""
        def read():
            pool = Pool()
            Statement = pool.get('account.statement')
            Payment = pool.get('partak.payment')
            from trytond.modules.partak_payment import accounting
            statement = Statement(statement_id)
            clearing = accounting.clearing_account(statement.company)
            moves = {}
            for line in statement.lines:
                if line.move:
                    moves.setdefault(line.number, set()).add(line.move)
            entries, statement_clearing = {}, []
            for number, entry in moves.items():
                move, = entry
                entries[number] = (move.state, sorted(
                        (l.account.code, int(l.debit), int(l.credit))
                        for l in move.lines))
                statement_clearing += [(number, int(l.debit - l.credit),
                        l.reconciliation.id if l.reconciliation else None)
                    for l in move.lines if l.account == clearing]
            payments = {}
            for payment in Payment.browse(payment_ids):
                line = accounting.clearing_line(payment)
                payments[payment.id] = (line.account.code,
                    int(line.debit - line.credit),
                    line.reconciliation.id if line.reconciliation else None)
            return {
                'state': statement.state,
                'lines': sorted((l.number, l.account.code, int(l.amount),
                        l.party.id if l.party else None)
                    for l in statement.lines),
                'entries': entries,
                'clearing': sorted(statement_clearing),
                'payments': payments,
                }
        return self.transact(read)

    def statement_button(self, statement_id, button):
        "Runs Tryton's statement ``button`` (validate_statement, post, ...)"
        def run():
            Statement = Pool().get('account.statement')
            getattr(Statement, button)([Statement(statement_id)])
        self.transact(run)

    def test_settlement_import(self):
        """Rows matched by reference and amount, on the clearing account
        1.3 and the fee on 5.1; the unmatched ones listed; the statement's
        entries empty 1.3 for the settled payments"""
        order_1, payment_1, params_1 = self.pay('success')
        order_2, payment_2, params_2 = self.pay('success')
        order_3, payment_3, params_3 = self.pay('success')
        for payment_id, params in ((payment_1, params_1),
                (payment_2, params_2), (payment_3, params_3)):
            self.callback(payment_id, params)
        ref_1, ref_2 = params_1['reference'], params_2['reference']
        persian = ref_1.translate(str.maketrans('0123456789',
                '۰۱۲۳۴۵۶۷۸۹'))
        fee = 4500
        # Row 2: no fee column; row 3: a fee of 4,500 (Persian digits);
        # row 4: no payment.
        text = ('تاریخ,مبلغ,پایانه,مرجع,کارت,شرح,کارمزد\n'
            '۱۴۰۴/۰۸/۱۵,"۶٬۷۹۱٬۲۳۳",12345678,%s,603799******1234,خرید\n'
            '2025-11-06 10:20,"6,791,233",12345678,%s,627412******0001,,'
            '۴٬۵۰۰\n'
            '1404-08-16,1000,12345678,555555555555,,ناشناس,0\n'
            % (persian, ref_2))
        before = self.settlement_counts()
        statement_id = self.import_settlement(text)
        # One statement, three lines (two on 1.3, the fee), three rows.
        self.assertEqual(self.settlement_counts(),
            tuple(c + n for c, n in zip(before, (1, 3, 3))))

        def read():
            pool = Pool()
            Statement = pool.get('account.statement')
            Settlement = pool.get('partak.payment.settlement')
            Payment = pool.get('partak.payment')
            ActWindow = pool.get('ir.action.act_window')
            ModelData = pool.get('ir.model.data')
            from trytond.pyson import PYSONDecoder
            statement = Statement(statement_id)
            rows = Settlement.search([('statement', '=', statement_id)],
                order=[('row', 'ASC')])
            action = ActWindow(ModelData.get_id('partak_payment',
                    'act_payment_unsettled'))
            unsettled = Payment.search(
                PYSONDecoder({}).decode(action.domain))
            return {
                'total': statement.total_amount,
                'end_balance': (statement.end_balance
                    - statement.start_balance),
                'journal': statement.journal.name,
                'dates': sorted((l.number, str(l.date))
                    for l in statement.lines),
                'origins': sorted((o.number, int(o.amount),
                        len(o.lines)) for o in statement.origins),
                'rows': [(r.row, r.reference, r.amount, r.fee,
                        r.payment.id if r.payment else None,
                        r.statement_line.account.code
                        if r.statement_line else None)
                    for r in rows],
                'unmatched': [r.reference for r in Settlement.search(
                        [('statement', '=', statement_id),
                            ('payment', '=', None)])],
                'unsettled': [p.id for p in unsettled],
                'parties': {p.id: p.party.id for p in Payment.browse(
                        [payment_1, payment_2, payment_3])},
                }
        facts = self.transact(read)
        party_1, party_2, party_3 = (facts['parties'][p]
            for p in (payment_1, payment_2, payment_3))
        # What the bank paid: the amounts less the fee.
        self.assertEqual(facts['total'], PAYABLE * 2 - fee + 1000)
        self.assertEqual(facts['end_balance'], PAYABLE * 2 - fee + 1000)
        self.assertEqual(facts['journal'], 'تسویه درگاه‌های پرداخت')
        self.assertEqual(facts['rows'], [
                (2, ref_1, PAYABLE, 0, payment_1, '1.3'),
                (3, ref_2, PAYABLE, fee, payment_2, '1.3'),
                (4, '555555555555', 1000, 0, None, None)])
        # Every row is an origin; matched rows have their lines, the
        # unmatched one none.
        self.assertEqual(facts['origins'], sorted([(ref_1, PAYABLE, 1),
                    (ref_2, PAYABLE - fee, 2), ('555555555555', 1000, 0)]))
        self.assertEqual([d for n, d in facts['dates'] if n == ref_1],
            ['2025-11-06'])
        self.assertEqual(facts['unmatched'], ['555555555555'])
        self.assertEqual(self.kinds(payment_1).get('reconciled'), 1)
        self.assertEqual(self.kinds(payment_3).get('reconciled'), None)
        # Payment 3 is paid and not settled: listed once two days old.
        self.assertNotIn(payment_3, facts['unsettled'])

        # The lines: the payment's amount on the clearing account 1.3 (not
        # the receivable, which the payment already credited), the fee
        # out of the bank on the expense account 5.1.
        settled = [payment_1, payment_2, payment_3]
        books = self.statement_books(statement_id, settled)
        self.assertEqual((books['state'], books['entries']), ('draft', {}))
        self.assertEqual(books['lines'], sorted([
                    (ref_1, '1.3', PAYABLE, party_1),
                    (ref_2, '1.3', PAYABLE, party_2),
                    (ref_2, '5.1', -fee, party_2)]))
        # Each payment's entry debited 1.3, open until the settlement.
        self.assertEqual(books['payments'], {
                payment_1: ('1.3', PAYABLE, None),
                payment_2: ('1.3', PAYABLE, None),
                payment_3: ('1.3', PAYABLE, None)})

        # Tryton refuses to validate while the unmatched row has no line
        # (the lines add up to 1,000 less than the file).
        with self.assertRaises(UserError):
            self.statement_button(statement_id, 'validate_statement')
        self.assertEqual(
            self.statement_books(statement_id, [])['state'], 'draft')

        # The accountant gives it its line: a subscriber's card payment at
        # the counter, on the receivable of party 3.
        def complete():
            pool = Pool()
            Statement = pool.get('account.statement')
            Line = pool.get('account.statement.line')
            Party = pool.get('party.party')
            statement = Statement(statement_id)
            origin, = [o for o in statement.origins
                if o.number == '555555555555']
            party = Party(party_3)
            Line.create([{
                        'statement': statement_id, 'origin': origin.id,
                        'number': origin.number, 'date': origin.date,
                        'amount': origin.amount, 'party': party.id,
                        'account': party.account_receivable_used.id,
                        }])
        self.transact(complete)

        def check_validated(state, move_state):
            books = self.statement_books(statement_id, settled)
            self.assertEqual(books['state'], state)
            state = move_state
            # One entry per row: Dr 1.1 what the bank paid, Dr 5.1 the
            # fee / Cr 1.3 the payment.
            self.assertEqual(books['entries'], {
                    ref_1: (state, [('1.1', PAYABLE, 0),
                            ('1.3', 0, PAYABLE)]),
                    ref_2: (state, [('1.1', PAYABLE - fee, 0),
                            ('1.3', 0, PAYABLE), ('5.1', fee, 0)]),
                    '555555555555': (state, [('1.1', 1000, 0),
                            ('1.2', 0, 1000)]),
                    })
            # The 1.3 credit of each row is reconciled with the 1.3 debit
            # of its payment: 1.3 is zero for the settled payments.
            (number_1, credit_1, rec_1), (number_2, credit_2, rec_2) = (
                books['clearing'])
            self.assertEqual(sorted([number_1, number_2]),
                sorted([ref_1, ref_2]))
            if number_1 != ref_1:
                rec_1, rec_2 = rec_2, rec_1
            self.assertEqual((credit_1, credit_2), (-PAYABLE, -PAYABLE))
            self.assertIsNotNone(rec_1)
            self.assertIsNotNone(rec_2)
            self.assertNotEqual(rec_1, rec_2)
            self.assertEqual(books['payments'], {
                    payment_1: ('1.3', PAYABLE, rec_1),
                    payment_2: ('1.3', PAYABLE, rec_2),
                    payment_3: ('1.3', PAYABLE, None)})
            self.assertEqual(sum(c for _, c, _ in books['clearing'])
                + sum(books['payments'][p][1]
                    for p in (payment_1, payment_2)), 0)

        self.statement_button(statement_id, 'validate_statement')
        check_validated('validated', 'draft')
        # Cancelling the statement undoes the reconciliations with its
        # entries; validated again, they are made again.
        self.statement_button(statement_id, 'cancel')
        books = self.statement_books(statement_id, settled)
        self.assertEqual((books['state'], books['entries'],
                books['clearing']), ('cancelled', {}, []))
        self.assertEqual(books['payments'][payment_1],
            ('1.3', PAYABLE, None))
        self.statement_button(statement_id, 'draft')
        self.statement_button(statement_id, 'validate_statement')
        self.statement_button(statement_id, 'post')
        check_validated('posted', 'posted')

        def age():
            Payment = Pool().get('partak.payment')
            table = Payment.__table__()
            cursor = Transaction().connection.cursor()
            import datetime
            cursor.execute(*table.update([table.verified_at],
                    [datetime.datetime.now() - datetime.timedelta(days=3)],
                    where=table.id.in_([payment_1, payment_3])))
        self.transact(age)
        unsettled = self.transact(read)['unsettled']
        self.assertIn(payment_3, unsettled)
        self.assertNotIn(payment_1, unsettled)

        # The same file again: refused, naming the row; nothing added.
        from trytond.modules.partak_payment.reconcile import SettlementError
        with self.assertRaises(SettlementError) as refused:
            self.import_settlement(text)
        self.assertIn('ردیف 2', refused.exception.message)
        self.assertIn('پیش‌تر', refused.exception.message)
        self.assertEqual(self.settlement_counts(),
            tuple(c + n for c, n in zip(before, (1, 4, 3))))

    def test_settlement_bad_rows(self):
        "A bad row refuses the whole file with the row's number"
        from trytond.modules.partak_payment.reconcile import SettlementError
        good = '1404/08/15,6791233,1,%s,,\n'
        before = self.settlement_counts()
        for text, words in (
                (good % '700000000001' + '1404/08/15,abc,1,700000000002,,\n',
                    ('ردیف 2', 'abc')),
                (good % '700000000001' + '1404/08/15,0,1,700000000002,,\n',
                    ('ردیف 2', 'مبلغ')),
                (good % '700000000001' + '1404/08/15,-5,1,700000000002,,\n',
                    ('ردیف 2',)),
                (good % '700000000001' + '1404/13/40,5,1,700000000002,,\n',
                    ('ردیف 2', 'تاریخ')),
                (good % '700000000001' + '1404/08/15,5,1,,,\n',
                    ('ردیف 2', 'RRN')),
                (good % '700000000001' + good % '700000000001',
                    ('ردیف 2', 'ردیف 1', '700000000001')),
                (good % '700000000001' + '1404/08/15,5,1,700000000002,,,x\n',
                    ('ردیف 2', 'کارمزد', 'x')),
                (good % '700000000001' + '1404/08/15,5,1,700000000002,,,5\n',
                    ('ردیف 2', 'کارمزد')),
                (good % '700000000001' + '1404/08/15,5,1,700000000002,,,-1\n',
                    ('ردیف 2', 'کارمزد')),
                ('', ('هیچ',)),
                ):
            with self.assertRaises(SettlementError) as refused:
                self.import_settlement(text)
            for word in words:
                self.assertIn(word, refused.exception.message)
        self.assertEqual(self.settlement_counts(), before)


class SettlementParserTestCase(unittest.TestCase):
    "Reading the cells of a bank settlement file"

    def test_amount(self):
        from trytond.modules.partak_payment.reconcile import parse_amount
        for text, value in (('6791233', 6791233), ('6,791,233', 6791233),
                ('۶٬۷۹۱٬۲۳۳', 6791233), ('۶،۷۹۱،۲۳۳', 6791233),
                (' 1 000 ', 1000), ('0', None), ('-5', None), ('1.5', None),
                ('abc', None), ('', None)):
            self.assertEqual(parse_amount(text), value, text)

    def test_fee(self):
        from trytond.modules.partak_payment.reconcile import parse_fee
        for text, value in (('', 0), ('0', 0), ('4500', 4500),
                ('۴٬۵۰۰', 4500), ('-5', None), ('1.5', None),
                ('abc', None)):
            self.assertEqual(parse_fee(text), value, text)

    def test_date(self):
        from trytond.modules.partak_payment.reconcile import parse_date
        for text, value in (
                ('1404/08/15', datetime.date(2025, 11, 6)),
                ('۱۴۰۴/۰۸/۱۵', datetime.date(2025, 11, 6)),
                ('1394-11-21 14:09', datetime.date(2016, 2, 10)),
                ('2025-11-06', datetime.date(2025, 11, 6)),
                ('2025/11/06T10:00', datetime.date(2025, 11, 6)),
                ('1404/13/01', None), ('2025-02-30', None), ('15/08/1404',
                    None), ('', None)):
            self.assertEqual(parse_date(text), value, text)


# The inherited tests run in test_sandbox.py: not twice.
for _name in dir(test_sandbox.SandboxBankTestCase):
    if _name.startswith('test_'):
        setattr(PaymentSafetyTestCase, _name, None)
del _name
