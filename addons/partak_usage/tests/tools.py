# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Test data of partak_usage, usable inside a running transaction: a
company, plans (limited, unlimited, fair use), subscribers with a line, an
internet account and a running service, and a NAS."""
import datetime
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction

MB = 1024 * 1024
GB = 1024 * MB

PLANS = {
    # key: (name, down kbit/s, up kbit/s, volume bytes, fair use kbit/s)
    'limited': ('یک ماهه سرعت 2048 کیلوبیت حجم 5 گیگ', 2048, 512, 5 * GB,
        None),
    'small': ('یک ماهه سرعت 1024 کیلوبیت حجم 10 مگ', 1024, 256, 10 * MB,
        None),
    'fair': ('یک ماهه سرعت 4096 کیلوبیت حجم 10 مگ، سپس 128', 4096, 1024,
        10 * MB, 128),
    'unlimited': ('یک ماهه سرعت 8192 کیلوبیت نامحدود', 8192, 2048, None,
        None),
    }


def create_company():
    "The company in IRR (idempotent)."
    pool = Pool()
    Company = pool.get('company.company')
    Currency = pool.get('currency.currency')
    companies = Company.search([], limit=1)
    if companies:
        return companies[0]
    from trytond.modules.company.tests import create_company as create
    currencies = Currency.search([('code', '=', 'IRR')], limit=1)
    if currencies:
        irr, = currencies
    else:
        irr, = Currency.create([{'name': 'Rial', 'code': 'IRR',
                    'symbol': 'IRR', 'digits': 0, 'rounding': Decimal(1)}])
    return create('Partak ISP', currency=irr)


def create_plans(company):
    "The plans of PLANS as products: {key: product.product} (idempotent)."
    pool = Pool()
    Template = pool.get('product.template')
    Uom = pool.get('product.uom')
    ModelData = pool.get('ir.model.data')
    result = {}
    with Transaction().set_context(company=company.id):
        unit = Uom(ModelData.get_id('product', 'uom_unit'))
        for key, (name, down, up, volume, fair) in PLANS.items():
            templates = Template.search([('name', '=', name)], limit=1)
            if not templates:
                templates = Template.create([{
                            'name': name, 'type': 'service',
                            'default_uom': unit.id,
                            'list_price': Decimal(100_000),
                            'partak_kind': 'plan', 'duration_days': 30,
                            'speed_down_kbps': down, 'speed_up_kbps': up,
                            'volume_bytes': volume, 'fair_use_kbps': fair,
                            'products': [('create', [{}])],
                            }])
            result[key] = templates[0].products[0]
    return result


def create_subscriber(phone, plan=None, password='secret1', start=None,
        days=30, name='کمال نصیری', status='in_service'):
    """A subscriber with a line `phone`, its internet account (username:
    the phone without its 0) and, when plan is given, a running period
    from start (default: an hour ago).  Returns (party, line, account,
    period)."""
    pool = Pool()
    Party = pool.get('party.party')
    City = pool.get('partak.city')
    Centre = pool.get('partak.telecom_centre')
    Line = pool.get('partak.line')
    Account = pool.get('partak.internet.account')
    Period = pool.get('partak.service.period')
    party, = Party.create([{'name': name, 'subscriber_kind': 'person'}])
    cities = City.search([], limit=1) or City.create([{'name': 'ساری'}])
    centres = Centre.search([], limit=1) or Centre.create([{
                'name': 'دانشگاه', 'city': cities[0].id}])
    line, = Line.create([{'phone': phone, 'subscriber': party.id,
                'city': cities[0].id, 'centre': centres[0].id,
                'status': status}])
    account, = Account.create([{'line': line.id, 'password': password}])
    period = None
    if plan is not None:
        start = start or (datetime.datetime.now()
            - datetime.timedelta(hours=1))
        period = Period.new_period(line, plan, start,
            end=start + datetime.timedelta(days=days))
    return party, line, account, period


def create_nas(name='test-nas', address='127.0.0.1', secret='nas-secret',
        coa=True, coa_port=3799, coa_address=None):
    NAS = Pool().get('partak.nas')
    nas, = NAS.create([{'name': name, 'address': address, 'secret': secret,
                'coa': coa, 'coa_port': coa_port,
                'coa_address': coa_address}])
    return nas
