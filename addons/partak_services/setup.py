# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Accounting set-up and the manual's catalogue, usable inside a running
Transaction (demo data, tests) without proteus.

    setup_accounting(company) -> dict   (idempotent)
    create_demo_catalogue() -> {key: product.template}   (idempotent)
    run_in_transaction(database, func) -> func()   (retried for locks)

Tryton 8 takes table and row locks at the start of a transaction: code
that needs one (a singleton's first save, Order.lock, Party.lock) raises
TransactionError and must be run again from the start.  trytond's RPC, WSGI
routes, crons and test decorator do that; run_in_transaction does it for
scripts.
"""
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError

from .fiscal import ensure_fiscalyear
from .tools import GB, MB

VAT_NAME = 'مالیات بر ارزش افزوده 9%'
CATEGORY_NAME = 'خدمات اینترنت'
PAYMENT_TERM_NAME = 'نقدی'
CHART = 'partak_services.account_template_root_fa'


def run_in_transaction(database, func, user=0, context=None):
    """Runs func() in a transaction of database and commits, running it
    again with the locks it asked for (TransactionError)."""
    extras = {}
    while True:
        with Transaction().start(
                database, user, context=context, **extras) as transaction:
            try:
                result = func()
            except TransactionError as exception:
                transaction.rollback()
                exception.fix(extras)
                continue
            transaction.commit()
            return result


def _create_chart(company, chart):
    "Runs the account.create_chart wizard server-side, as a user would."
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    Account = pool.get('account.account')
    CreateChart = pool.get('account.create_chart', type='wizard')
    template_id = ModelData.get_id(*chart.split('.'))
    session_id, _, _ = CreateChart.create()
    CreateChart.execute(session_id, {}, 'start')
    CreateChart.execute(session_id, {'account': {
                'account_template': template_id,
                'company': company.id}}, 'create_account')

    def first(kind):
        accounts = Account.search([
                ('type.%s' % kind, '=', True),
                ('company', '=', company.id),
                ('closed', '!=', True),
                ], limit=1, order=[('code', 'ASC'), ('id', 'ASC')])
        return accounts[0].id if accounts else None
    properties = {
        'company': company.id,
        'account_receivable': first('receivable'),
        'account_payable': first('payable'),
        'category_account_revenue': first('revenue'),
        'category_account_expense': first('expense'),
        }
    CreateChart.execute(session_id, {'properties': properties},
        'create_properties')
    CreateChart.delete(session_id)


#: the deferred revenue account of the chart (account_chart_fa.xml)
DEFERRED_CODE = '2.4'


def setup_accounting(company, date=None, chart=CHART):
    """Idempotent: chart of accounts (by default this module's Persian chart
    `partak_services.account_template_root_fa`; Tryton's
    `account.account_template_root_en` exists only in databases with
    English) created through the account.create_chart wizard, with the
    default receivable, payable,
    revenue and expense accounts; the Jalali fiscal year covering `date`
    (today), see fiscal.ensure_fiscalyear; the 9 %
    VAT; the product category «خدمات اینترنت» that carries the revenue
    account and the VAT; a cash payment term.  Returns a dict of them."""
    pool = Pool()
    Account = pool.get('account.account')
    Tax = pool.get('account.tax')
    Category = pool.get('product.category')
    PaymentTerm = pool.get('account.invoice.payment_term')
    Configuration = pool.get('account.configuration')
    Date = pool.get('ir.date')
    with Transaction().set_context(company=company.id):
        date = date or Date.today()
        if not Account.search([('company', '=', company.id)], limit=1):
            _create_chart(company, chart)
        fiscalyear = ensure_fiscalyear(company, date)

        config = Configuration(1)
        revenue = config.get_multivalue(
            'default_category_account_revenue', company=company.id)
        expense = config.get_multivalue(
            'default_category_account_expense', company=company.id)
        receivable = config.get_multivalue(
            'default_account_receivable', company=company.id)
        payable = config.get_multivalue(
            'default_account_payable', company=company.id)

        taxes = Tax.search([
                ('name', '=', VAT_NAME), ('company', '=', company.id)],
            limit=1)
        if taxes:
            vat, = taxes
        else:
            tax_accounts = Account.search([
                    ('company', '=', company.id),
                    ('code', 'in', ['2.2', '6.3.6']),
                    ], limit=1, order=[('code', 'ASC')]) or Account.search([
                    ('company', '=', company.id),
                    ('type.payable', '=', True),
                    ('party_required', '=', False),
                    ], limit=1) or [payable]
            vat, = Tax.create([{
                        'name': VAT_NAME,
                        'description': VAT_NAME,
                        'type': 'percentage',
                        'rate': Decimal('0.09'),
                        'company': company.id,
                        'invoice_account': tax_accounts[0].id,
                        'credit_note_account': tax_accounts[0].id,
                        }])

        categories = Category.search([('name', '=', CATEGORY_NAME)], limit=1)
        if categories:
            category, = categories
        else:
            category, = Category.create([{
                        'name': CATEGORY_NAME,
                        'accounting': True,
                        'account_revenue': revenue.id if revenue else None,
                        'account_expense': expense.id if expense else None,
                        'customer_taxes': [('add', [vat.id])],
                        }])

        terms = PaymentTerm.search([('name', '=', PAYMENT_TERM_NAME)],
            limit=1)
        if terms:
            term, = terms
        else:
            term, = PaymentTerm.create([{
                        'name': PAYMENT_TERM_NAME,
                        'lines': [('create', [{'type': 'remainder'}])],
                        }])
        if not config.get_multivalue('default_customer_payment_term',
                company=company.id):
            config.default_customer_payment_term = term
            config.save()
        # A prepaid plan's revenue waits on 2.4 and is recognised month
        # by month over its term (account_invoice_defer, accounting.md §8).
        if not config.get_multivalue('deferred_account_revenue',
                company=company.id):
            deferred = Account.search([
                    ('company', '=', company.id),
                    ('code', '=', DEFERRED_CODE),
                    ], limit=1)
            if deferred:
                config.deferred_account_revenue = deferred[0]
                config.save()
        # Wallet moves written before the books existed: now in them.
        pool.get('partak.wallet.move').book_pending()
    return {
        'fiscalyear': fiscalyear, 'vat': vat, 'category': category,
        'payment_term': term, 'receivable': receivable, 'payable': payable,
        'revenue': revenue, 'expense': expense,
        }


def _plan(name, price, days, down, volume=None, up=None, billing='prepaid',
        online=True, volume_period='term', campaign=None, fee=0,
        description=None):
    return {
        'name': name, 'list_price': Decimal(price), 'partak_kind': 'plan',
        'duration_days': days, 'speed_down_kbps': down,
        'speed_up_kbps': up or max(down // 4, 64),
        'volume_bytes': volume, 'volume_period': volume_period,
        'billing': billing, 'sold_online': online,
        'campaign_monthly_bytes': campaign, 'subscription_fee': fee,
        'description': description,
        }


def _pack(name, price, volume, bonus=0, window=None):
    return {
        'name': name, 'list_price': Decimal(price),
        'partak_kind': 'timed_traffic' if window else 'traffic',
        'volume_bytes': volume, 'bonus_percent': bonus,
        'window_days': window, 'sold_online': True,
        }


# The manual's catalogue (SPEC §3.5, §3.8): keys are used by demo data
# and tests.
CATALOGUE = [
    ('standard_1m', _plan(
            'استاندارد پیش پرداخت - یک ماهه سرعت 2048 کیلوبیت حجم 5 گیگ',
            350_000, 30, 2048, 5 * GB)),
    ('month_1024_5', _plan('یک ماهه سرعت 1024 کیلوبیت حجم 5 گیگ',
            280_000, 30, 1024, 5 * GB)),
    ('month_512_3', _plan('یک ماهه سرعت 512 کیلوبیت حجم 3 گیگ',
            190_000, 30, 512, 3 * GB)),
    ('month_2048_unlimited', _plan('یک ماهه سرعت 2048 کیلوبیت نامحدود',
            900_000, 30, 2048, None)),
    ('three_months_1024_9', _plan('سه ماهه سرعت 1024 کیلوبیت حجم 9 گیگ',
            750_000, 90, 1024, 9 * GB)),
    ('firouzeh', _plan('فیروزه - اینترنت 2048 ماهیانه 5 گیگ', 2_000_000,
            365, 2048, 5 * GB, volume_period='month',
            description='یکساله، حجم 5 گیگ در هر ماه.')),
    ('aghigh', _plan(
            'عقیق- اینترنت یکساله 1024 با 40 گیگ حجم سالیانه + 10 گیگ هدیه',
            1_400_000, 365, 1024, 50 * GB,
            description='حجم این سرویس یکجا در ابتدای قرارداد به مشترک '
            'واگذار می شود. سرعت این سرویس در صورت امکان فنی تا 4 مگ قابل '
            'استفاده می باشد.')),
    ('zomorrod', _plan('زمرد - اینترنت 2048 یکساله 40 گیگ در ماه',
            8_000_000, 365, 2048, 40 * GB, volume_period='month',
            description='حجم 40 گیگ در هر ماه از قرارداد یکساله به مشترک '
            'واگذار می شود.')),
    ('campaign', _plan('کمپین 2مگ ماهیانه 5 گیگ-پس پرداخت', 227_900, 30,
            2048, None, billing='postpaid', online=False,
            campaign=5120 * MB)),
    ('festival', _plan('جشنواره بهار تا بهار 2مگ ماهیانه 5 گیگ یکساله+ '
            '(ماهی 5 گیگ رایگان)-پس پرداخت', 215_000, 30, 2048, None,
            billing='postpaid', online=False, campaign=5120 * MB)),
    ('traffic_5g', _pack('5 گیگ ترافیک عمومی پیش پرداخت', 150_000, 5 * GB)),
    ('traffic_1g_bonus', _pack('1 گیگ ترافیک عمومی پیش پرداخت طرح حجم '
            'ریزان +10% حجم اضافی', 35_000, 1 * GB, bonus=10)),
    ('traffic_5g_bonus', _pack('5 گیگ ترافیک عمومی پیش پرداخت طرح حجم '
            'ریزان +10% حجم اضافی', 160_000, 5 * GB, bonus=10)),
    ('timed_3g_7d', _pack('3 گیگ ترافیک زماندار یک هفته ای +20% هدیه',
            60_000, 3 * GB, bonus=20, window=7)),
    ('timed_1g_1d', _pack('1 گیگ ترافیک زماندار شبانه روزی', 15_000,
            1 * GB, window=1)),
    ('static_ip', {'name': 'IP استاتیک - ماهیانه', 'list_price':
            Decimal(50_000), 'partak_kind': 'static_ip',
            'sold_online': True}),
    ]


def create_demo_catalogue(company=None):
    """Creates (once) the manual's plans, packs, timed packs and static IP
    price, in the category that carries the revenue account and the 9 %
    VAT.  Needs setup_accounting() first.  Returns {key: template}."""
    pool = Pool()
    Template = pool.get('product.template')
    Category = pool.get('product.category')
    Uom = pool.get('product.uom')
    ModelData = pool.get('ir.model.data')
    context = {}
    if company:
        context['company'] = company.id
    with Transaction().set_context(**context):
        unit = Uom(ModelData.get_id('product', 'uom_unit'))
        categories = Category.search([('name', '=', CATEGORY_NAME)], limit=1)
        category = categories[0] if categories else None
        existing = {t.name: t for t in Template.search([
                    ('partak_kind', '!=', None)])}
        result, to_create, keys = {}, [], []
        for key, values in CATALOGUE:
            if values['name'] in existing:
                result[key] = existing[values['name']]
                continue
            values = values.copy()
            description = values.pop('description', None)
            values.update({
                    'type': 'service',
                    'default_uom': unit.id,
                    'account_category': category.id if category else None,
                    'products': [('create', [{
                                    'description': description}])],
                    })
            to_create.append(values)
            keys.append(key)
        for key, template in zip(keys, Template.create(to_create)):
            result[key] = template
    return result
