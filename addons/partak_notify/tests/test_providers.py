# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Each provider adapter against a local server speaking its API."""
import types
import unittest

from trytond.modules.partak_notify import providers
from trytond.modules.partak_notify.providers import kavenegar, smsir

from .fake_providers import FakeKavenegar, FakeSmsIr, closed_port_host


def record(type_, host, api_key='good-key', sender_number='10004346'):
    return types.SimpleNamespace(type=type_, host=host, api_key=api_key,
        sender_number=sender_number, rec_name=type_)


class KavenegarTestCase(unittest.TestCase):
    "Kavenegar through its SDK"

    @classmethod
    def setUpClass(cls):
        cls.server = FakeKavenegar().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def adapter(self, **kwargs):
        kwargs.setdefault('host', self.server.host)
        return providers.for_record(record('kavenegar', **kwargs))

    def test_registered(self):
        self.assertIs(providers.provider_class('kavenegar'),
            kavenegar.Kavenegar)
        self.assertEqual(providers.registered_types(),
            ['kavenegar', 'log', 'smsir'])

    def test_send(self):
        message_id = self.adapter().send('09111234567', 'سلام')
        method, key, form = self.server.requests[-1]
        self.assertEqual((method, key), ('send.json', 'good-key'))
        self.assertEqual(form, {'receptor': '09111234567',
                'message': 'سلام', 'sender': '10004346'})
        self.assertEqual(message_id, str(FakeKavenegar.next_id))

    def test_invalid_receptor_is_permanent(self):
        with self.assertRaises(providers.ProviderError) as cm:
            self.adapter().send('09000000000', 'سلام')
        self.assertEqual(cm.exception.code, '411')
        self.assertTrue(cm.exception.permanent)
        self.assertIn('receptor', str(cm.exception))

    def test_account_errors_are_retried(self):
        for key, code in [('no-credit', '418'), ('disabled', '401'),
                ('wrong-key', '403')]:
            with self.subTest(key=key):
                with self.assertRaises(providers.ProviderError) as cm:
                    self.adapter(api_key=key).send('09111234567', 'x')
                self.assertEqual(cm.exception.code, code)
                self.assertFalse(cm.exception.permanent)
                self.assertIn(kavenegar.ERRORS[code], str(cm.exception))

    def test_http_error_without_json(self):
        with self.assertRaises(providers.ProviderError) as cm:
            self.adapter(api_key='broken').send('09111234567', 'x')
        self.assertEqual(cm.exception.code, providers.UNREACHABLE)
        self.assertFalse(cm.exception.permanent)

    def test_network_down(self):
        with self.assertRaises(providers.ProviderError) as cm:
            self.adapter(host=closed_port_host()).send('09111234567', 'x')
        self.assertEqual(cm.exception.code, providers.UNREACHABLE)

    def test_status(self):
        adapter = self.adapter()
        delivered = adapter.send('09111234567', 'a')
        undelivered = adapter.send('09111234567', 'b')
        waiting = adapter.send('09111234567', 'c')
        self.server.delivery.update({delivered: 10, undelivered: 11})
        result = adapter.status([delivered, undelivered, waiting])
        self.assertEqual(result[delivered].state, providers.DELIVERED)
        self.assertEqual(result[undelivered].state, providers.UNDELIVERED)
        self.assertNotIn(waiting, result)
        method, _, form = self.server.requests[-1]
        self.assertEqual(method, 'status.json')
        self.assertEqual(form['messageid'],
            ','.join([delivered, undelivered, waiting]))


class SmsIrTestCase(unittest.TestCase):
    "SMS.ir through its REST API"

    @classmethod
    def setUpClass(cls):
        cls.server = FakeSmsIr().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def adapter(self, **kwargs):
        kwargs.setdefault('host', 'http://%s' % self.server.host)
        return providers.for_record(record('smsir', **kwargs))

    def test_send(self):
        message_id = self.adapter().send('09111234567', 'سلام')
        method, path, key, body = self.server.requests[-1]
        self.assertEqual((method, path, key),
            ('POST', '/v1/send/bulk', 'good-key'))
        self.assertEqual(body, {'lineNumber': 10004346,
                'messageText': 'سلام', 'mobiles': ['09111234567'],
                'sendDateTime': None})
        self.assertEqual(message_id, str(FakeSmsIr.next_id))

    def test_errors(self):
        for kwargs, mobile, code, permanent in [
                ({}, '09000000000', '104', True),
                ({'api_key': 'no-credit'}, '09111234567', '102', False),
                ({'api_key': 'wrong'}, '09111234567', '10', False),
                ]:
            with self.subTest(code=code):
                with self.assertRaises(providers.ProviderError) as cm:
                    self.adapter(**kwargs).send(mobile, 'x')
                self.assertEqual(cm.exception.code, code)
                self.assertEqual(cm.exception.permanent, permanent)
                self.assertIn(smsir.ERRORS[int(code)], str(cm.exception))

    def test_network_down(self):
        with self.assertRaises(providers.ProviderError) as cm:
            self.adapter(host='http://' + closed_port_host()).send(
                '09111234567', 'x')
        self.assertEqual(cm.exception.code, providers.UNREACHABLE)

    def test_status(self):
        adapter = self.adapter()
        delivered = adapter.send('09111234567', 'a')
        undelivered = adapter.send('09111234567', 'b')
        waiting = adapter.send('09111234567', 'c')
        self.server.delivery.update({delivered: 1, undelivered: 2})
        result = adapter.status([delivered, undelivered, waiting])
        self.assertEqual(result[delivered].state, providers.DELIVERED)
        self.assertEqual(result[undelivered].state, providers.UNDELIVERED)
        self.assertNotIn(waiting, result)
        self.assertEqual(self.server.requests[-1][:2],
            ('GET', '/v1/send/%s' % waiting))


class LogTestCase(unittest.TestCase):
    "The log provider"

    def test_send_logs(self):
        adapter = providers.for_record(None)
        self.assertEqual(adapter.type, 'log')
        with self.assertLogs('trytond.modules.partak_notify.providers.log',
                'INFO') as logs:
            message_id = adapter.send('09111234567', 'متن')
        self.assertTrue(message_id.startswith('log-'))
        self.assertIn('09111234567', logs.output[0])
        self.assertFalse(adapter.reports_delivery)


class FallbackTestCase(unittest.TestCase):
    "[partak] sms_backend without a provider account"

    def test_fallback_needs_no_account(self):
        from trytond import config
        if not config.has_section('partak'):
            config.add_section('partak')
        old = config.get('partak', 'sms_backend')
        try:
            config.set('partak', 'sms_backend', 'kavenegar')
            with self.assertLogs('trytond.modules.partak_notify.providers',
                    'WARNING'):
                adapter = providers.for_record(None)
            self.assertEqual(adapter.type, 'log')
        finally:
            # 'log' is the default when the option is absent
            config.set('partak', 'sms_backend', old or 'log')
