# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of partak_payment: the sandbox bank, enabled.

Call it inside the transaction of scripts/demo_data.py once the company
exists:

    from trytond.modules.partak_payment.demo import load_payment
    load_payment(company)
"""
from trytond.pool import Pool

SANDBOX_NAME = 'بانک آزمایشی (Sandbox)'
SANDBOX_MERCHANT = 'SANDBOX-MERCHANT'


def load_payment(company=None):
    """Creates the sandbox gateway «بانک آزمایشی (Sandbox)» for ``company``
    (default: the first company) and returns it; returns the existing one
    when it is already there."""
    pool = Pool()
    Gateway = pool.get('partak.payment.gateway')
    Company = pool.get('company.company')
    if company is None:
        company, = Company.search([], limit=1, order=[('id', 'ASC')])
    gateways = Gateway.search([
            ('type', '=', 'sandbox'),
            ('company', '=', company.id),
            ('active', 'in', [True, False]),
            ], limit=1)
    if gateways:
        gateway, = gateways
        if not gateway.active:
            Gateway.write([gateway], {'active': True})
        return gateway
    gateway, = Gateway.create([{
                'name': SANDBOX_NAME,
                'type': 'sandbox',
                'company': company.id,
                'merchant_id': SANDBOX_MERCHANT,
                'sequence': 10,
                'active': True,
                }])
    return gateway
