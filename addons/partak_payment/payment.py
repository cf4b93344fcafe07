# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Online payments of orders through bank gateways.

The portal's flow (SPEC §3.1, §3.9):

    url = Payment.start(order, gateway, callback_url)   # pre-invoice "Pay"
    -> the browser goes to ``url`` (the bank's page)
    -> the bank sends the browser back to ``callback_url``
    payment = Payment.handle_callback(payment_id, params)  # return page
    -> payment.state: 'paid' (order settled), 'failed', or still
       'redirected' (the bank has not confirmed yet)

``handle_callback`` never trusts the callback: it asks the bank (an HTTP
call, server to server) whether this payment's token was paid for exactly
this payment's amount, and only then calls
``Order.settle(order, amount, reference)``.  The payment row is locked and
its state moves only forward (pending -> redirected -> paid | failed), so a
repeated, reordered or forged callback applies nothing more.  Every
attempt is kept, successful or not."""
import datetime
import hmac
import logging
import time
import urllib.parse

from sql import For, Literal
from sql.conditionals import Coalesce

from trytond import backend, config
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields,
    sequence_ordered)
from trytond.model.exceptions import AccessError
from trytond.exceptions import UserError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, TransactionError

from . import accounting
from .gateways import base

logger = logging.getLogger(__name__)

GATEWAY_TYPES = [
    ('sandbox', "Sandbox"),
    ('zarinpal', "Zarinpal"),
    ('zibal', "Zibal"),
    ('idpay', "IDPay"),
    ('sep', "Saman (SEP)"),
    ('mellat', "Mellat (Behpardakht)"),
    ]
PAYMENT_STATES = [
    ('pending', "Pending"),
    ('redirected', "At the Bank"),
    ('verified', "Verified by the Bank"),
    ('paid', "Paid"),
    ('failed', "Failed"),
    ]
OPEN_STATES = {'pending', 'redirected'}
PAYMENT_OUTCOMES = [
    (None, ""),
    ('applied', "Order Applied"),
    ('credited', "Credited to Wallet"),
    ]
# Names under which banks echo the amount and our order id in their
# callback; an adapter whose bank uses others defines callback_amount() /
# callback_order().  A claim that differs from the payment refuses it.
AMOUNT_PARAMS = ('amount', 'Amount')
#: how many times the application of a verified payment is tried again
#: when concurrent callbacks of it keep its row busy (about 4 s in all)
APPLY_RETRY = 20
ORDER_PARAMS = ('order_id', 'orderId', 'OrderId', 'ResNum', 'SaleOrderId')


class _RestartToCredit(TransactionError):
    """Rolls back an application that raised a UserError: the reason is
    committed on the payment (``not_applied_reason``) and the restarted
    transaction credits the money to the wallet instead."""


def lock_waiting(Model, ids):
    """Locks the rows ``ids`` of ``Model`` until the end of the
    transaction, waiting for a transaction that holds them
    (``SELECT ... FOR UPDATE`` without NOWAIT).

    Tryton 8.0's ``Model.lock()`` restarts the transaction and takes the
    lock with NOWAIT, retrying a few times within a fraction of a second:
    a second callback of a payment whose verify (an HTTP call to the bank)
    is under way failed with "could not obtain lock".  The rows are then
    recorded as locked by the transaction, so that a later
    ``Model.lock()`` of them (Order.settle, WalletMove.debit) passes.
    On SQLite, which has no row locks, the first write serialises."""
    transaction = Transaction()
    created = set(transaction.create_records[Model.__name__])
    ids = sorted({int(i) for i in ids} - created)
    if not ids:
        return
    if backend.name == 'postgresql':
        table = Model.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.select(Literal(1),
                where=table.id.in_(ids), for_=For('UPDATE')))
    # trytond's own record of the rows locked by this transaction
    # (Transaction.lock_records checks it).
    transaction._locked_records[Model._table].update(ids)


def forget_reads(transaction):
    """Empties what ``transaction`` read of the records (another transaction
    may have changed them since: a lock waited for, a commit)."""
    transaction.counter += 1
    for cache in transaction.cache.values():
        cache.clear()


def run_with_locks(func, *args, retry=None, **kwargs):
    """Runs func in a new transaction of the current database, restarted
    with the locks it asks for and retried when the database reports a
    conflict (as trytond's routes and cron do), and commits it.

    On PostgreSQL a transaction that waited for a row another transaction
    changed fails to serialise (REPEATABLE READ): it is run again, on a
    fresh snapshot, up to ``retry`` times (default ``[database] retry``)."""
    extras = {}
    if retry is None:
        retry = config.getint('database', 'retry', default=5)
    count = 0
    while True:
        if count:
            time.sleep(0.02 * count)
        try:
            # The locks asked for by a restart are taken when the
            # transaction starts (NOWAIT): a busy row fails there too.
            with Transaction().new_transaction(**extras) as transaction:
                try:
                    result = func(*args, **kwargs)
                except TransactionError as error:
                    transaction.rollback()
                    error.fix(extras)
                    continue
                transaction.commit()
                return result
        except backend.DatabaseOperationalError:
            if count >= retry:
                raise
            count += 1


class PaymentError(UserError):
    "A payment that cannot be started or a callback that cannot be read."


def format_rials(amount):
    "6791233 -> '6,791,233' (the manual's thousands separators)."
    return '{:,}'.format(int(amount or 0))


class PaymentGateway(DeactivableMixin, sequence_ordered(), ModelSQL,
        ModelView):
    """A bank gateway the subscriber may choose on the pre-invoice
    (درگاه پرداخت).  ``type`` selects the adapter (gateways/<type>.py); the
    merchant id, terminal and credentials are what that bank issued to the
    company."""
    __name__ = 'partak.payment.gateway'
    __string__ = "Bank Gateway"
    name = fields.Char("Name", required=True,
        help="The bank's name as the subscriber sees it.")
    type = fields.Selection(GATEWAY_TYPES, "Type", required=True)
    type_string = type.translated('type')
    company = fields.Many2One('company.company', "Company", required=True,
        ondelete='CASCADE')
    merchant_id = fields.Char("Merchant ID",
        help="The merchant / acceptor code the bank issued (MerchantID, "
        "merchant key, API key).")
    terminal_id = fields.Char("Terminal ID",
        help="The terminal number (Saman/SEP, Mellat).")
    username = fields.Char("Username",
        help="User name of the bank's web service, when it asks one.")
    password = fields.Char("Password",
        help="Password of the bank's web service, when it asks one.")
    secret_key = fields.Char("Secret Key",
        help="Signing or encryption key, when the bank uses one.")
    logo = fields.Binary("Logo")
    payment_method = fields.Many2One('account.invoice.payment.method',
        "Payment Method", ondelete='RESTRICT',
        domain=[('company', '=', Eval('company', -1))],
        help="How a payment the bank verified is booked: its journal and "
        "the clearing account that holds the money until the bank's "
        "settlement (docs/accounting.md).")
    api_url = fields.Char("Bank Service URL", strip=False,
        help="Leave empty for the bank's public service; set it to reach "
        "the bank's sandbox or a local test bank "
        "(e.g. https://sandbox.zarinpal.com, or /bank/test/zarinpal for the "
        "test bank served by this server).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # No __access__ on company: Tryton grants the *maximum* of the
        # model's and company.company's access (everybody reads
        # companies), which would open these rows to every user; the
        # company rule is in the XML (docs/roles.md).

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @staticmethod
    def default_type():
        return 'sandbox'

    @classmethod
    def validate_fields(cls, gateways, field_names):
        super().validate_fields(gateways, field_names)
        if field_names and 'api_url' not in field_names:
            return
        for gateway in gateways:
            url = gateway.api_url
            # a path (/bank/test/...) is this server's own, for the demo
            if url and not url.startswith('/') and urllib.parse.urlsplit(
                    url).scheme not in {'http', 'https'}:
                raise PaymentError(gettext(
                        'partak_payment.msg_gateway_api_url_invalid',
                        gateway=gateway.rec_name, url=gateway.api_url))

    @property
    def fake(self):
        """A bank that confirms whatever it is told: the sandbox, or a test
        bank served by this server (an api_url that is a path)."""
        return self.type == 'sandbox' or (self.api_url or '').startswith('/')

    @classmethod
    def offered(cls):
        """The gateways a subscriber may choose: the active ones, without
        the fake banks where they are off (base.fake_banks_enabled)."""
        gateways = cls.search([])
        if not base.fake_banks_enabled():
            gateways = [g for g in gateways if not g.fake]
        return gateways

    def adapter(self):
        "The bank adapter (gateways.base.Gateway) of this gateway."
        try:
            return base.for_record(self)
        except KeyError:
            raise PaymentError(gettext(
                    'partak_payment.msg_gateway_no_adapter',
                    gateway=self.rec_name, type=self.type))


class Payment(Workflow, ModelSQL, ModelView):
    """One attempt to pay an order through a bank (پرداخت اینترنتی).  Every
    attempt is kept, successful or failed, with the bank's token and
    reference; the portal's "financial operations" page lists them."""
    __name__ = 'partak.payment'
    __string__ = "Payment"
    order = fields.Many2One('partak.order', "Order", required=True,
        readonly=True, ondelete='RESTRICT')
    party = fields.Many2One('party.party', "Subscriber", required=True,
        readonly=True, ondelete='RESTRICT')
    company = fields.Many2One('company.company', "Company", required=True,
        readonly=True, ondelete='RESTRICT')
    gateway = fields.Many2One('partak.payment.gateway', "Bank",
        required=True, readonly=True, ondelete='RESTRICT')
    amount = fields.Integer("Amount", required=True, readonly=True,
        help="Rials asked from the bank: the order's payable amount.")
    state = fields.Selection(PAYMENT_STATES, "State", required=True,
        readonly=True, sort=False)
    state_string = state.translated('state')
    token = fields.Char("Token", readonly=True, strip=False,
        help="The bank's token for this payment (authority, trackId).")
    reference = fields.Char("Reference", readonly=True,
        help="The bank's reference (trace) number of a successful payment.")
    bank_code = fields.Char("Bank Answer Code", readonly=True)
    message = fields.Text("Message", readonly=True)
    callback_url = fields.Char("Callback URL", readonly=True, strip=False)
    redirect_url = fields.Char("Bank URL", readonly=True, strip=False)
    created = fields.Function(fields.Timestamp("Created"), 'get_created',
        searcher='search_created')
    redirected_at = fields.DateTime("Sent to Bank", readonly=True)
    verified_at = fields.DateTime("Verified At", readonly=True)
    not_applied_reason = fields.Text("Not Applied Because", readonly=True,
        help="Why the order of a verified payment could not be applied "
        "(its money went to the wallet).")
    callback_count = fields.Integer("Callbacks", readonly=True,
        help="How many times the bank's callback reached us.")
    last_callback_at = fields.DateTime("Last Callback", readonly=True)
    outcome = fields.Selection(PAYMENT_OUTCOMES, "Outcome", readonly=True,
        sort=False, help="What became of the money of a paid payment: the "
        "order applied, or credited to the subscriber's wallet because the "
        "order could no longer be applied.")
    outcome_string = outcome.translated('outcome')
    refunded = fields.Function(fields.Integer("Refunded"), 'get_refunded')
    events = fields.One2Many('partak.payment.event', 'payment', "Events",
        readonly=True)
    move = fields.Many2One('account.move', "Account Move", readonly=True,
        ondelete='RESTRICT',
        help="The entry that booked the verified payment: clearing "
        "account against the subscriber's receivable.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._sql_constraints += [
            ('gateway_token_unique', Unique(t, t.gateway, t.token),
                'partak_payment.msg_payment_token_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Range())),
                Index(t, (t.order, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(list(OPEN_STATES))),
                })
        # No __access__ on company: Tryton grants the *maximum* of the
        # model's and company.company's access (everybody reads
        # companies), which would open these rows to every user; the
        # company rule is in the XML (docs/roles.md).
        # The state moves only forward, one step at a time, each step
        # committed: the bank's confirmation ('verified') is in the
        # database before the order is applied, so no worker ever asks
        # the bank twice nor applies twice.
        cls._transitions |= {
            ('pending', 'redirected'),
            ('pending', 'failed'),
            ('redirected', 'verified'),
            ('redirected', 'failed'),
            ('verified', 'paid'),
            }
        cls._buttons.update({
                'check': {
                    'invisible': Eval('state') != 'redirected',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'pending'

    @staticmethod
    def default_callback_count():
        return 0

    def get_rec_name(self, name):
        return '%s — %s (%s)' % (
            self.order.rec_name if self.order else '',
            format_rials(self.amount), self.state_string)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value = clause[:3]
        bool_op = 'AND' if operator.startswith('!') or operator.startswith(
            'not ') else 'OR'
        return [bool_op,
            ('order.rec_name', *clause[1:]),
            ('reference', *clause[1:]),
            ('token', *clause[1:]),
            ]

    def get_created(self, name):
        return self.create_date

    @classmethod
    def get_refunded(cls, payments, name):
        "Rials refunded to the wallet by staff (the refund events)."
        Event = Pool().get('partak.payment.event')
        result = {p.id: 0 for p in payments}
        for event in Event.search([
                    ('payment', 'in', list(result)),
                    ('kind', '=', 'refund'),
                    ]):
            result[event.payment.id] += event.amount or 0
        return result

    @property
    def refundable(self):
        """Rials that staff may still refund to the wallet: only a payment
        whose order was applied (money credited already is in the wallet),
        less what was refunded."""
        if self.state != 'paid' or self.outcome != 'applied':
            return 0
        return max(self.amount - (self.refunded or 0), 0)

    @classmethod
    def search_created(cls, name, clause):
        return [('create_date', *clause[1:])]

    @classmethod
    def order_created(cls, tables):
        table, _ = tables[None]
        return [table.create_date]

    @classmethod
    def delete(cls, payments):
        # Every attempt is kept (SPEC §3.9: all payments, successful and
        # failed, with bank, reference and status).
        for payment in payments:
            raise AccessError(gettext('partak_payment.msg_payment_delete',
                    payment=payment.rec_name))
        super().delete(payments)

    @classmethod
    def copy(cls, payments, default=None):
        if payments:
            raise AccessError(gettext('partak_payment.msg_payment_copy'))
        return super().copy(payments, default=default)

    # -- the flow -----------------------------------------------------------

    @classmethod
    def start(cls, order, gateway, callback_url):
        """Starts paying ``order`` (a partak.order in state 'quoted', not
        expired, with ``payable`` > 0) through ``gateway`` (a
        partak.payment.gateway) and returns the URL of the bank's page
        where the browser must be redirected.

        ``callback_url`` is where the bank sends the payer back; the
        placeholder ``%(payment)s`` (or ``{payment}``) in it is replaced
        with the new payment's id, e.g.
        ``/portal/payment/return/%(payment)s``.  A path is made absolute
        with the public address of Payment Settings (never the host of the
        HTTP request); without that address no payment starts.

        Raises PaymentError (a UserError with a translated message) when
        the order cannot be paid or the bank refuses the request; in the
        latter case the failed attempt is saved in the transaction
        (commit it to keep it)."""
        pool = Pool()
        Order = pool.get('partak.order')
        Gateway = pool.get('partak.payment.gateway')
        Configuration = pool.get('partak.payment.configuration')
        order = Order(int(order))
        gateway = Gateway(int(gateway))
        now = datetime.datetime.now()
        if order.state != 'quoted':
            raise PaymentError(gettext('partak_payment.msg_order_not_payable',
                    order=order.number))
        if order.expires and order.expires <= now:
            raise PaymentError(gettext('partak_payment.msg_order_expired',
                    order=order.number))
        if not order.payable or order.payable <= 0:
            raise PaymentError(gettext(
                    'partak_payment.msg_order_nothing_to_pay',
                    order=order.number))
        if not gateway.active:
            raise PaymentError(gettext(
                    'partak_payment.msg_gateway_inactive',
                    gateway=gateway.rec_name))
        if gateway.fake and not base.fake_banks_enabled():
            raise PaymentError(gettext(
                    'partak_payment.msg_gateway_fake_off',
                    gateway=gateway.rec_name))
        adapter = gateway.adapter()
        if not Configuration.get_public_url():
            raise PaymentError(gettext('partak_payment.msg_public_url_missing'))
        payment = cls(order=order, party=order.party,
            company=order.company or gateway.company, gateway=gateway,
            amount=int(order.payable), state='pending', callback_count=0)
        payment.save()
        url = str(callback_url)
        for placeholder in ('%(payment)s', '{payment}'):
            url = url.replace(placeholder, str(payment.id))
        url = base.absolute_url(url)
        payment.callback_url = url
        try:
            redirect_url = adapter.request(payment, url)
        except base.GatewayError as error:
            logger.warning("bank request of payment %s failed: %s",
                payment.id, error)
            payment.message = gettext(
                'partak_payment.msg_bank_request_failed',
                gateway=gateway.rec_name)
            payment.save()
            cls.fail([payment])
            raise PaymentError(payment.message)
        if not payment.token:
            raise ValueError("%s.request() set no token" % type(adapter))
        payment.redirect_url = redirect_url
        payment.redirected_at = datetime.datetime.now()
        payment.save()
        cls.redirect([payment])
        return redirect_url

    # -- the workflow (each step written by the flow, never by hand) ------

    @classmethod
    @Workflow.transition('redirected')
    def redirect(cls, payments):
        "The payer is sent to the bank's page."

    @classmethod
    @Workflow.transition('verified')
    def confirm(cls, payments):
        "The bank confirmed the payment (reference and amount checked)."

    @classmethod
    @Workflow.transition('paid')
    def pay(cls, payments):
        "The money is applied: the order, or the wallet (outcome)."

    @classmethod
    @Workflow.transition('failed')
    def fail(cls, payments):
        "The bank refused or the payer gave up: nothing applied."

    @classmethod
    def handle_callback(cls, payment_id, params, origin='callback'):
        """Handles the bank's callback for the payment ``payment_id`` (the
        id in the callback URL) with ``params`` (the query / form values
        the bank sent, a mapping) and returns the payment.

        The callback is checked against the payment: its token and, when
        the bank echoes them, the amount and our order id (a callback
        claiming anything else is refused: logged, nothing done), then the
        bank is asked — server to server — whether the payment was made
        for exactly ``payment.amount``.  On success the payment becomes
        'paid' and ``Order.settle(order, amount, reference)`` runs, once
        (``outcome`` 'applied'); when the order can no longer be applied
        the money goes to the subscriber's wallet (``outcome``
        'credited').  On a final refusal it becomes 'failed' and nothing
        is applied; when the bank has not decided or cannot be reached it
        stays 'redirected' for the cron to ask again.  A payment already
        'paid' or 'failed' is returned unchanged: replayed callbacks apply
        nothing.  ``payment.message`` tells the outcome in the context's
        language; every step leaves a partak.payment.event.

        ``origin`` is 'callback' (the bank's redirect), 'cron' or 'staff'
        (asked again from here: no callback is counted).

        A callback whose token is not the payment's is refused before
        anything else: logged as a 'refused' event, the payment untouched
        (no callback counted).  Otherwise the payment, order and party
        rows are locked, waiting for a concurrent callback of the same
        payment to end (see lock_waiting); other locks restart the
        transaction as Tryton does: call it in a transaction that trytond
        manages, as in a route with ``with_transaction``.  Raises
        PaymentError when no payment has this id."""
        pool = Pool()
        Order = pool.get('partak.order')
        Party = pool.get('party.party')
        Event = pool.get('partak.payment.event')
        try:
            payment_id = int(payment_id)
        except (TypeError, ValueError):
            raise PaymentError(gettext('partak_payment.msg_payment_unknown'))
        params = dict(params or {})
        payments = cls.search([('id', '=', payment_id)], limit=1)
        if not payments:
            logger.warning("callback for unknown payment %s", payment_id)
            raise PaymentError(gettext('partak_payment.msg_payment_unknown'))
        payment, = payments
        adapter = payment.gateway.adapter()
        # Checked before anything is locked or counted: a request without
        # this payment's token is nobody's callback.  It leaves a 'refused'
        # event (the audit log) and touches the payment in no way.
        refusal = cls._refusal(payment, adapter, params)
        if refusal:
            logger.warning("refused callback for payment %s: %s",
                payment.id, refusal)
            Event.log(payment, 'refused', message=refusal, params=params)
            return payment
        # Order.settle locks the order (and the party when it debits the
        # wallet): all three are locked now, waiting for a concurrent
        # callback of the same payment to finish instead of failing.
        lock_waiting(cls, [payment_id])
        lock_waiting(Order, [payment.order.id])
        lock_waiting(Party, [payment.party.id])
        if origin == 'callback':
            cls._count_callback(payment_id)
        # What was read before the lock (the token check) may be stale.
        transaction = Transaction()
        forget_reads(transaction)
        payment = cls(payment_id)
        if payment.state not in OPEN_STATES | {'verified'}:
            # Replayed or late callback: the outcome is already decided.
            if origin == 'callback':
                Event.log(payment, 'callback', params=params,
                    message=gettext('partak_payment.msg_event_replay',
                        state=payment.state_string))
            return payment
        if origin == 'callback':
            Event.log(payment, 'callback', params=params)
        if payment.state == 'verified':
            # Confirmed by an earlier callback whose application has not
            # ended (or was deferred): applied here, under this callback's
            # locks; nothing is asked of the bank.
            return cls.process_verified(payment_id)
        cls._verify(payment, adapter, params, origin=origin)
        if cls(payment_id).state == 'verified':
            # The bank's confirmation is committed before anything is
            # applied; the application runs in a transaction of its own,
            # which trytond may restart to take its locks without this
            # callback being asked to the bank or counted again.
            transaction.commit()
            try:
                # Callbacks of the same payment that arrive meanwhile
                # take its row in turn: more patience than one request.
                run_with_locks(cls.process_verified, payment_id,
                    retry=APPLY_RETRY)
            except backend.DatabaseOperationalError:
                # Busy beyond the retries: the confirmation is kept, the
                # cron (or the next callback) applies it.
                logger.warning("payment %s verified, application deferred",
                    payment_id, exc_info=True)
            forget_reads(transaction)
        return cls(payment_id)

    @classmethod
    def _refusal(cls, payment, adapter, params):
        """Why this callback cannot be about this payment (translated), or
        None.  The token must be the payment's; an amount or order id that
        the bank echoes must be the payment's too."""
        token = adapter.callback_token(params)
        if (payment.state == 'pending' or not payment.token or not token
                or not hmac.compare_digest(
                    token.encode('utf-8'), payment.token.encode('utf-8'))):
            return gettext('partak_payment.msg_callback_token')
        if hasattr(adapter, 'callback_amount'):
            claimed = adapter.callback_amount(params)
        else:
            claimed = next((params[k] for k in AMOUNT_PARAMS
                    if params.get(k) not in (None, '')), None)
        if claimed is not None:
            try:
                claimed_amount = int(str(claimed).strip())
            except ValueError:
                claimed_amount = None
            if claimed_amount != payment.amount:
                return gettext('partak_payment.msg_callback_amount',
                    claimed=str(claimed)[:32],
                    amount=format_rials(payment.amount))
        if hasattr(adapter, 'callback_order'):
            claimed = adapter.callback_order(params)
        else:
            claimed = next((params[k] for k in ORDER_PARAMS
                    if params.get(k) not in (None, '')), None)
        if claimed is not None and str(claimed).strip() not in {
                str(payment.id), payment.order.number}:
            return gettext('partak_payment.msg_callback_order',
                claimed=str(claimed)[:32], order=payment.order.number)
        return None

    @classmethod
    @ModelView.button
    def check(cls, payments):
        """Back office: asks the bank again about payments still at the
        bank (a lost callback, a bank that did not answer)."""
        for payment in payments:
            if payment.state == 'redirected':
                cls.handle_callback(payment.id, {'token': payment.token},
                    origin='staff')

    def abandoned(self, now=None):
        """Whether the payer was sent to the bank longer ago than [partak]
        payment_abandon_minutes (default 60): a payment the bank still
        calls unpaid then fails."""
        minutes = config.getint('partak', 'payment_abandon_minutes',
            default=60)
        now = now or datetime.datetime.now()
        return bool(self.redirected_at and now - self.redirected_at
            > datetime.timedelta(minutes=minutes))

    @classmethod
    def check_open(cls):
        """Cron: asks the bank about the payments still 'redirected' [partak]
        payment_check_minutes (default 5) after the payer was sent there —
        the payer paid and closed the browser, or the bank did not answer
        (a timeout leaves the payment open) — and settles them, or fails
        them once abandoned.  Each payment is handled in its own
        transaction."""
        minutes = config.getint('partak', 'payment_check_minutes', default=5)
        since = datetime.datetime.now() - datetime.timedelta(minutes=minutes)
        payments = cls.search([
                ('state', '=', 'redirected'),
                ('redirected_at', '<', since),
                ], order=[('redirected_at', 'ASC'), ('id', 'ASC')],
            limit=200)
        todo = [(p.id, p.token) for p in payments]
        # Confirmed by the bank but not applied (the worker stopped in
        # between): applied now.
        verified = [p.id for p in cls.search([('state', '=', 'verified')],
                order=[('verified_at', 'ASC'), ('id', 'ASC')], limit=200)]
        for payment_id in verified:
            try:
                run_with_locks(cls.process_verified, payment_id)
            except Exception:
                logger.exception("payment %s not applied", payment_id)
        for payment_id, token in todo:
            try:
                run_with_locks(cls.handle_callback, payment_id,
                    {'token': token}, origin='cron')
            except Exception:
                logger.exception("check of payment %s failed", payment_id)

    @classmethod
    def _state_of(cls, payment_id):
        "The payment's state as committed, read without the records' cache."
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.state,
                where=table.id == payment_id))
        row = cursor.fetchone()
        return row[0] if row else None

    @classmethod
    def _serialise(cls, payment_id):
        """A write of the payment row before its state is read: on SQLite,
        which has no row locks, the first write of a transaction waits for
        the other writers, so two workers cannot both find the payment
        'verified' (on PostgreSQL lock_waiting holds the row already)."""
        transaction = Transaction()
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.update([table.id], [table.id],
                where=table.id == payment_id))
        forget_reads(transaction)

    @classmethod
    def _count_callback(cls, payment_id):
        """Counts one callback whose token was checked.  Being the
        transaction's first write, it also serialises concurrent callbacks
        on SQLite, which has no row locks.  Returns False when the payment
        does not exist."""
        transaction = Transaction()
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.update(
                [table.callback_count, table.last_callback_at],
                [Coalesce(table.callback_count, Literal(0)) + 1,
                    datetime.datetime.now()],
                where=table.id == payment_id))
        # Whatever was read before this write may be stale.
        transaction.counter += 1
        return bool(cursor.rowcount)

    @classmethod
    def _ask_bank(cls, payment, adapter, params, origin):
        "The bank's answer to verify, logged."
        Event = Pool().get('partak.payment.event')
        try:
            result = adapter.verify(payment, params)
        except base.GatewayError as error:
            # Adapters should answer unreachable() themselves; a bank
            # that times out must never lose the callback.
            logger.warning("verify of payment %s: %s", payment.id, error)
            result = adapter.unreachable(error)
        Event.log(payment, 'verify', bank_code=result.code,
            amount=result.amount, message=gettext(
                'partak_payment.msg_event_verify',
                answer=result.message or result.code or '',
                reference=result.reference or '-',
                origin=origin))
        return result

    @classmethod
    def _unapplicable_reason(cls, payment):
        """Why the paid order must not be applied (translated), or None: an
        application that failed in an earlier round (committed in
        not_applied_reason), or a product withdrawn while the payer was at
        the bank."""
        if payment.not_applied_reason:
            return payment.not_applied_reason
        order = payment.order
        product = order.product
        if order.state == 'quoted' and product and (
                not product.active or not product.template.active):
            return gettext('partak_payment.msg_order_product_withdrawn',
                product=product.rec_name, order=order.number)
        return None

    @classmethod
    def _verify(cls, payment, adapter, params, origin='callback'):
        """Asks the bank about an open payment and records its answer: a
        confirmation of this payment's amount with a reference makes it
        'verified' (process_verified applies it); a refusal 'failed'; no
        decision leaves it open."""
        result = cls._ask_bank(payment, adapter, params, origin)
        now = datetime.datetime.now()
        payment.bank_code = result.code or None
        if result.ok and result.amount == payment.amount and result.reference:
            payment.reference = result.reference
            payment.verified_at = now
            payment.message = None
            payment.save()
            cls.confirm([payment])
        elif result.ok:
            # The bank confirms something else than what we asked: never
            # apply it; the back office sorts it out with the bank.
            payment.reference = result.reference
            cls._fail_verified(payment, result, now, gettext(
                    'partak_payment.msg_payment_amount_mismatch',
                    bank_amount=format_rials(result.amount or 0),
                    amount=format_rials(payment.amount)),
                amount=result.amount)
            logger.error("payment %s: bank confirmed %s instead of %s",
                payment.id, result.amount, payment.amount)
        elif not result.final and (result.code == base.UNREACHABLE
                or not payment.abandoned(now)):
            payment.message = gettext(
                'partak_payment.msg_payment_not_confirmed',
                reason=result.message or result.code)
            payment.save()
        elif not result.final:
            # The bank still says "not paid" long after the payer was sent
            # there: the payer gave up.
            cls._fail_verified(payment, result, now, gettext(
                    'partak_payment.msg_payment_abandoned',
                    reason=result.message or result.code))
        else:
            cls._fail_verified(payment, result, now, gettext(
                    'partak_payment.msg_payment_failed',
                    reason=result.message or result.code))
            logger.info("payment %s failed: %s %s", payment.id,
                result.code, result.message)

    @classmethod
    def _fail_verified(cls, payment, result, now, message, amount=None):
        "Records the bank's final 'no' (message translated) and logs it."
        Event = Pool().get('partak.payment.event')
        payment.verified_at = now
        payment.message = message
        payment.save()
        cls.fail([payment])
        Event.log(payment, 'failed', bank_code=result.code, amount=amount,
            message=message)

    @classmethod
    def process_verified(cls, payment_id):
        """Applies a payment that the bank confirmed ('verified'), once:
        settles its order (Order.settle) and books it, or — when the order
        can no longer be applied (withdrawn, expired, paid meanwhile, or
        its application fails) — credits the money to the wallet; then the
        payment is 'paid' with its outcome.

        Run it in a transaction of its own (run_with_locks): handle_callback
        commits the confirmation first, so a restart of this transaction
        asks nothing of the bank; a payment left 'verified' (a worker that
        stopped) is applied by the cron.  The payment, order and party rows
        are locked, so two workers apply it once."""
        pool = Pool()
        Order = pool.get('partak.order')
        Party = pool.get('party.party')
        WalletMove = pool.get('partak.wallet.move')
        Event = pool.get('partak.payment.event')
        transaction = Transaction()
        if cls._state_of(payment_id) != 'verified':
            # Applied by another worker already: no lock taken (on
            # PostgreSQL a wait for the row would only end in a retry).
            return cls(payment_id)
        lock_waiting(cls, [payment_id])
        cls._serialise(payment_id)
        payment = cls(payment_id)
        lock_waiting(Order, [payment.order.id])
        lock_waiting(Party, [payment.party.id])
        if payment.state != 'verified':
            return payment
        order = Order(payment.order.id)
        reason = cls._unapplicable_reason(payment)
        applied = False
        if reason:
            # The money is received but the order cannot be delivered:
            # it goes to the panel credit, never lost.
            Order.refuse([order], reason, payment.reference)
            WalletMove.credit(payment.party, payment.amount,
                reason='payment', order=order,
                payment=payment.reference, note=reason[:250])
        else:
            was_quoted = order.state == 'quoted'
            try:
                applied = Order.settle(order, payment.amount,
                    payment.reference)
            except UserError as error:
                logger.warning("payment %s: order %s not applicable: %s",
                    payment.id, order.number, error.message)
                # The failed application may have left the transaction
                # half written (or aborted, on PostgreSQL): undone, the
                # reason kept, then credited in a new round.
                transaction.rollback()
                lock_waiting(cls, [payment_id])
                cls.write([cls(payment_id)], {
                        'not_applied_reason': error.message})
                transaction.commit()
                raise _RestartToCredit()
            order = Order(order.id)
            if not applied and not was_quoted:
                # The order was settled meanwhile (paid twice from two
                # tabs) or cancelled: settle leaves it alone, so the
                # money received goes to the panel credit.
                reason = gettext(
                    'partak_payment.msg_wallet_note_payment',
                    payment=str(payment.id), order=order.number)
                WalletMove.credit(payment.party, payment.amount,
                    reason='payment', order=order,
                    payment=payment.reference, note=reason[:250])
            elif not applied:
                # settle refused it (expired, wrong amount, wallet)
                # and credited the amount itself.
                reason = order.note
        order = Order(order.id)
        payment = cls(payment_id)
        if applied:
            accounting.book(payment, order)
        else:
            accounting.book_credit(payment)
        payment.outcome = 'applied' if applied else 'credited'
        if applied and order.state == 'applied':
            message = 'partak_payment.msg_payment_paid_applied'
        elif applied:
            message = 'partak_payment.msg_payment_paid'
        else:
            message = 'partak_payment.msg_payment_paid_credited'
        payment.message = gettext(message, order=order.number,
            reference=payment.reference,
            amount=format_rials(payment.amount))
        payment.save()
        cls.pay([payment])
        Event.log(payment, 'settled' if applied else 'credited',
            amount=payment.amount, bank_code=payment.bank_code,
            message=payment.message + (
                '\n' + reason if reason and not applied else ''))
        logger.info("payment %s paid (reference %s), order %s %s",
            payment.id, payment.reference, order.number,
            'settled' if applied else 'credited')
        return payment

    @classmethod
    def refund(cls, payment, amount, reason):
        """Staff: refunds ``amount`` Rials of a paid payment to the
        subscriber's wallet with ``reason`` (required).  At most what is
        still refundable; leaves a wallet move and a 'refund' event naming
        the user.  Returns the wallet move."""
        pool = Pool()
        Order = pool.get('partak.order')
        Event = pool.get('partak.payment.event')
        Party = pool.get('party.party')
        cls.lock([payment])
        payment = cls(payment.id)
        reason = (reason or '').strip()
        if not reason:
            raise PaymentError(gettext('partak_payment.msg_refund_reason'))
        try:
            amount = int(amount)
        except (TypeError, ValueError):
            amount = 0
        refundable = payment.refundable
        if amount <= 0 or amount > refundable:
            raise PaymentError(gettext('partak_payment.msg_refund_amount',
                    payment=payment.rec_name,
                    refundable=format_rials(refundable)))
        Party.lock([payment.party])
        move = Order.refund_to_wallet(payment.order, amount, reason,
            reference=payment.reference)
        Event.log(payment, 'refund', amount=amount, message=reason)
        return move
