# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of partak_payment: the sandbox bank and Zarinpal's protocol
on the local test bank (gateways/testbank.py, served by the demo's own
trytond under /bank/test/zarinpal), both enabled.

Call it inside the transaction of scripts/demo_data.py once the company
exists:

    from trytond.modules.partak_payment.demo import load_payment
    load_payment(company, public_url='http://localhost:8000')

The public address of the portal (Payment Settings) is ``public_url``,
else the environment's PARTAK_PUBLIC_URL (scripts/demo.sh and the tests'
fixture set it to the address they serve), else http:// + trytond's
[web] listen.
"""
import os

from trytond import config
from trytond.pool import Pool

from .accounting import setup_payment_method

SANDBOX_NAME = 'بانک آزمایشی (Sandbox)'
SANDBOX_MERCHANT = 'SANDBOX-MERCHANT'
ZARINPAL_NAME = 'زرین‌پال (سرور آزمایشی)'
# A path: the test bank of this server, under the public address.
ZARINPAL_URL = '/bank/test/zarinpal'
ZARINPAL_MERCHANT = '00000000-0000-0000-0000-000000000000'


def load_payment(company=None, public_url=None):
    """Creates the sandbox gateway «بانک آزمایشی (Sandbox)» for ``company``
    (default: the first company) and returns it; returns the existing one
    when it is already there."""
    pool = Pool()
    Gateway = pool.get('partak.payment.gateway')
    Company = pool.get('company.company')
    if company is None:
        company, = Company.search([], limit=1, order=[('id', 'ASC')])
    set_public_url(public_url)
    load_test_zarinpal(company)
    gateways = Gateway.search([
            ('type', '=', 'sandbox'),
            ('company', '=', company.id),
            ('active', 'in', [True, False]),
            ], limit=1)
    # Verified payments are booked on the clearing account (accounting.py).
    method = setup_payment_method(company)
    if gateways:
        gateway, = gateways
        values = {}
        if not gateway.active:
            values['active'] = True
        if method and not gateway.payment_method:
            values['payment_method'] = method.id
        if values:
            Gateway.write([gateway], values)
        return gateway
    gateway, = Gateway.create([{
                'name': SANDBOX_NAME,
                'type': 'sandbox',
                'company': company.id,
                'merchant_id': SANDBOX_MERCHANT,
                'sequence': 10,
                'active': True,
                'payment_method': method.id if method else None,
                }])
    return gateway


def demo_public_url():
    "PARTAK_PUBLIC_URL, else http:// + [web] listen (the demo's server)."
    url = os.environ.get('PARTAK_PUBLIC_URL')
    if not url:
        listen = config.get('web', 'listen', default='localhost:8000')
        url = 'http://' + listen.replace('0.0.0.0', 'localhost')
    return url


def set_public_url(url=None):
    "Sets the public address of Payment Settings (see demo_public_url)."
    Configuration = Pool().get('partak.payment.configuration')
    config_ = Configuration(1)
    config_.public_url = url or demo_public_url()
    config_.save()
    return config_.public_url


def load_test_zarinpal(company):
    """Creates the gateway «زرین‌پال (سرور آزمایشی)»: Zarinpal's protocol
    against the test bank of the demo's own trytond; returns it (the
    existing one when it is already there)."""
    Gateway = Pool().get('partak.payment.gateway')
    gateways = Gateway.search([
            ('type', '=', 'zarinpal'),
            ('api_url', '=', ZARINPAL_URL),
            ('company', '=', company.id),
            ('active', 'in', [True, False]),
            ], limit=1)
    if gateways:
        return gateways[0]
    gateway, = Gateway.create([{
                'name': ZARINPAL_NAME,
                'type': 'zarinpal',
                'company': company.id,
                'merchant_id': ZARINPAL_MERCHANT,
                'api_url': ZARINPAL_URL,
                'sequence': 20,
                'active': True,
                'payment_method': getattr(
                    setup_payment_method(company), 'id', None),
                }])
    return gateway
