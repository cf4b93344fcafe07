# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Portal pages of services and money (SPEC §3.5, §3.6, §3.8, §3.9):
history, account, renew and change, pre-invoice, bank, result, finance and
the printable invoice.  Amounts come frozen from partak.order; this file
only shows them and passes the subscriber's choices on."""
import io

from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app
from trytond.modules.partak_subscriber.http import waiting_for_locks
from trytond.modules.partak_subscriber.validators import latin_digits
from trytond.modules.partak_services.order import MONEY_KINDS

from . import jalali
from .routes import PREFIX, database_name, paging, portal_language, route

RENEW_TABS = ('service', 'traffic', 'timed', 'change', 'ip', 'free')
TAB_KINDS = {
    'service': ('plan', 'service'),
    'traffic': ('traffic', 'traffic'),
    'timed': ('timed_traffic', 'timed_traffic'),
    'change': ('plan', 'change'),
    'ip': ('static_ip', 'static_ip'),
    }
def own_line(visit, line_id=None):
    "The subscriber's line: the one asked for if it is theirs, else the first."
    lines = sorted(visit.party.lines, key=lambda l: l.id)
    if not lines:
        return None
    if line_id:
        for line in lines:
            if str(line.id) == str(line_id):
                return line
        raise NotFound()
    return lines[0]


def own_order(visit, number):
    Order = Pool().get('partak.order')
    orders = Order.search([
            ('number', '=', number),
            ('party', '=', visit.party.id),
            ], limit=1)
    if not orders:
        raise NotFound()
    return orders[0]


def catalogue(kind):
    Product = Pool().get('product.product')
    products = Product.search([
            ('template.partak_kind', '=', kind),
            ('template.sold_online', '=', True),
            ])
    # The price the pre-invoice charges (partak_price reads list_price, a
    # per-company MultiValue, with the company): sorted here, not in SQL.
    return sorted(products, key=lambda p: (p.partak_price, p.id))


@route('/services')
def services(visit):
    pool = Pool()
    Order = pool.get('partak.order')
    Bill = pool.get('partak.bill')
    Charge = pool.get('partak.campaign.charge')
    line = own_line(visit)
    tab = visit.request.args.get('tab', 'services')
    bought = bills = charges = []
    if line:
        bought = Order.search([('line', '=', line.id),
                ('state', '=', 'applied'),
                ('kind', 'not in', list(MONEY_KINDS))],
            order=[('applied_at', 'ASC'), ('id', 'ASC')])
        bills = Bill.search([('period.line', '=', line.id)],
            order=[('start', 'ASC'), ('id', 'ASC')])
        charges = Charge.search([('period.line', '=', line.id)],
            order=[('date', 'ASC'), ('id', 'ASC')])
    return visit.page('services.html', active='services', tab=tab,
        line=line, bought=bought, bills=bills, charges=charges,
        open_bills=[b for b in bills if bill_open(b)],
        error=visit.request.args.get('error'))


def bill_open(bill):
    "A bill whose posted invoice has something left to pay."
    invoice = bill.invoice
    return bool(invoice and invoice.state == 'posted'
        and invoice.amount_to_pay > 0)


@route('/services/bills/pay', methods=('POST',))
def pay_bills(visit):
    """«پرداخت» of one open bill, or of all: the pre-invoice of their
    payment (Order.quote_bills), the panel credit first if asked."""
    pool = Pool()
    Order = pool.get('partak.order')
    Bill = pool.get('partak.bill')
    _ = visit._
    line = own_line(visit)
    form = visit.request.form
    bills = Bill.search([('period.line', '=', line.id)]) if line else []
    open_bills = {str(b.id): b for b in bills if bill_open(b)}
    chosen = list(open_bills.values()) if form.get('all') else [
        open_bills[i] for i in form.getlist('bill') if i in open_bills]
    error = None
    if not chosen:
        error = _("Choose an open bill to pay.")
    else:
        try:
            order = Order.quote_bills(visit.party, line,
                [b.invoice for b in chosen],
                use_wallet=bool(form.get('use_wallet')))
        except (UserError, ValidationError) as exception:
            Transaction().rollback()
            error = exception.message
        else:
            return redirect('%s/order/%s' % (PREFIX, order.number))
    return visit.page('services.html', active='services', tab='bills',
        line=line, bought=[], charges=[], bills=bills,
        open_bills=[b for b in bills if bill_open(b)], error=error)


@route('/account')
def account(visit):
    line = own_line(visit)
    account = next((a for a in line.accounts if a.active), None) \
        if line else None
    return visit.page('account.html', active='remaining', line=line,
        account=account)


@route('/renew', methods=('GET', 'POST'))
def renew(visit):
    pool = Pool()
    Order = pool.get('partak.order')
    Product = pool.get('product.product')
    request, _ = visit.request, visit._
    tab = request.values.get('tab', 'service')
    if tab not in RENEW_TABS:
        tab = 'service'
    line = own_line(visit)
    error = None
    if request.method == 'POST' and line and tab in TAB_KINDS:
        template_kind, order_kind = TAB_KINDS[tab]
        try:
            product = Product(int(request.form.get('product', 0)))
            if (product not in catalogue(template_kind)):
                raise ValueError
            months = 1
            if tab == 'ip':
                months = int(request.form.get('months', 1))
                if months not in (1, 2, 3, 6, 12):
                    raise ValueError
        except (ValueError, TypeError):
            error = _("Choose an item from the list.")
        else:
            try:
                order = Order.quote(visit.party, line, order_kind, product,
                    quantity=months, channel='online')
            except (UserError, ValidationError) as exception:
                Transaction().rollback()
                error = exception.message
            else:
                return redirect('%s/order/%s' % (PREFIX, order.number))
    elif request.method == 'POST' and line and tab == 'free':
        try:
            line.take_free_charge()
        except (UserError, ValidationError) as exception:
            Transaction().rollback()
            error = exception.message
        else:
            return visit.page('renew.html', active='renew', tab=tab,
                line=line, products=[], error=None,
                done=_("The free charge has been applied."))
    products = catalogue(TAB_KINDS[tab][0]) if tab in TAB_KINDS else []
    return visit.page('renew.html', active='renew', tab=tab, line=line,
        products=products, error=error, done=None)


@route('/order/<number>', methods=('GET', 'POST'))
def order_page(visit, number):
    pool = Pool()
    Gateway = pool.get('partak.payment.gateway')
    Payment = pool.get('partak.payment')
    Order = pool.get('partak.order')
    request, _ = visit.request, visit._
    order = own_order(visit, number)
    gateways = Gateway.offered()
    error = None
    if request.method == 'POST' and order.state == 'quoted':
        try:
            if order.payable == 0:
                Order.pay_with_wallet([order])
                return redirect('%s/order/%s' % (PREFIX, order.number))
            gateway = Gateway(int(request.form.get('gateway', 0)))
            if gateway not in gateways:
                raise ValueError
        except (ValueError, TypeError):
            error = _("Choose a bank.")
        except (UserError, ValidationError) as exception:
            Transaction().rollback()
            error = exception.message
        else:
            try:
                # A path: Payment.start puts the configured public address
                # in front, never the Host header of this request.
                url = Payment.start(order, gateway,
                    PREFIX + '/payment/return/%(payment)s')
            except (UserError, ValidationError) as exception:
                Transaction().rollback()
                error = exception.message
            else:
                return redirect(url)
    return visit.page('order.html', active='renew', order=order,
        gateways=gateways, error=error)


@route('/payment/return/<int:payment_id>', methods=('GET',))
def payment_return(visit, payment_id):
    """The bank sends the payer back here (GET with the bank's parameters)
    and the POST callback below redirects here without them: only a
    request that carries parameters is a callback to handle."""
    Payment = Pool().get('partak.payment')
    payments = Payment.search([
            ('id', '=', payment_id),
            ('party', '=', visit.party.id),
            ], limit=1)
    if not payments:
        raise NotFound()
    payment, = payments
    params = dict(visit.request.args.items())
    if params:
        payment = Payment.handle_callback(payment_id, params)
    return visit.page('payment_result.html', active='finance',
        payment=payment, order=payment.order)


@with_pool
@waiting_for_locks
@with_transaction(readonly=False, context={'language': portal_language()})
def _bank_post(request, pool, payment_id):
    Payment = pool.get('partak.payment')
    try:
        Payment.handle_callback(payment_id, dict(request.form.items()))
    except UserError:
        # Unknown payment: nothing to handle.  Answered as a refused
        # callback of an existing payment is (the redirect below), so
        # that a stranger cannot tell which ids exist.
        pass


@app.route(PREFIX + '/payment/return/<int:payment_id>', methods=['POST'])
def payment_return_post(request, payment_id):
    """Banks that POST the payer back (Saman, Mellat, ...): a cross-site
    form, so it carries neither our CSRF token nor the session cookie
    (SameSite).  The payment's bank token is the credential, checked by
    handle_callback; the result is then shown by the GET page, where the
    subscriber's session applies.  Unknown ids and wrong tokens get the
    same redirect (and the GET page answers 404 to anyone else than the
    payer)."""
    _bank_post(request, database_name(), payment_id)
    return redirect('%s/payment/return/%d' % (PREFIX, payment_id),
        code=303)


@route('/finance/topup', methods=('POST',))
def topup(visit):
    """«افزایش اعتبار»: the pre-invoice of a top-up of the panel credit at
    the bank (Order.quote_topup checks the amount)."""
    Order = Pool().get('partak.order')
    _ = visit._
    line = own_line(visit)
    raw = latin_digits(visit.request.form.get('amount', '')).replace(
        ',', '').replace('٬', '').strip()
    error = None
    try:
        amount = int(raw)
    except ValueError:
        error = _("Enter the amount in Rials, in digits.")
    else:
        try:
            order = Order.quote_topup(visit.party, line, amount)
        except (UserError, ValidationError) as exception:
            Transaction().rollback()
            error = exception.message
        else:
            return redirect('%s/order/%s' % (PREFIX, order.number))
    return finance_page(visit, 'wallet', error=error)


@route('/finance')
def finance(visit):
    return finance_page(visit, visit.request.args.get('tab', 'payments'))


def finance_page(visit, tab, error=None):
    pool = Pool()
    Payment = pool.get('partak.payment')
    Move = pool.get('partak.wallet.move')
    Configuration = pool.get('partak.services.configuration')
    domain = [('party', '=', visit.party.id)]
    if tab == 'wallet':
        pager = paging(visit.request, Move.search_count(domain))
        rows = Move.search(domain, offset=pager['offset'],
            limit=pager['size'], order=[('date', 'DESC'), ('id', 'DESC')])
    else:
        pager = paging(visit.request, Payment.search_count(domain))
        rows = Payment.search(domain, offset=pager['offset'],
            limit=pager['size'], order=[('id', 'DESC')])
    return visit.page('finance.html', active='finance', tab=tab, rows=rows,
        pager=pager, balance=visit.party.wallet_balance, error=error,
        config=Configuration.get())


@route('/invoice/<number>.pdf')
def invoice_pdf(visit, number):
    import weasyprint
    from .render import environment, translator
    order = own_order(visit, number)
    if not order.invoice:
        raise NotFound()
    Company = Pool().get('company.company')
    company = Company(order.invoice.company.id)
    _ = translator(visit.language)
    html = environment().get_template('invoice_pdf.html').render(
        _=_, order=order, invoice=order.invoice, company=company,
        party=visit.party, static_root=_static_root())
    pdf = io.BytesIO()
    weasyprint.HTML(string=html, base_url=_static_root()).write_pdf(pdf)
    return Response(pdf.getvalue(), content_type='application/pdf',
        headers={'Content-Disposition':
            'inline; filename="invoice-%s.pdf"' % number})


def _static_root():
    import os
    return 'file://' + os.path.join(os.path.dirname(__file__), 'static') + '/'
