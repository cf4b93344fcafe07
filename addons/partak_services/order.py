# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Orders: the pre-invoice (quote) with its frozen amounts, its payment
(bank, wallet or staff), and its application, exactly once, followed by a
posted customer invoice."""
import datetime
import logging
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval, If, In
from trytond.transaction import Transaction, without_check_access

from . import books, pricing
from .fiscal import ensure_fiscalyear
from .ledger import CHANNELS
from .tools import company_context, local_date, now, setting

logger = logging.getLogger(__name__)

ORDER_KINDS = [
    ('service', "Service"),
    ('traffic', "Traffic"),
    ('timed_traffic', "Timed Traffic"),
    ('change', "Change of Service"),
    ('static_ip', "Static IP"),
    ('topup', "Panel Credit Top-up"),
    ('bill', "Payment of Bills"),
    ]
#: orders that sell nothing: the money goes to the wallet (a top-up) or
#: pays invoices already posted (bills); they get no invoice of their own
MONEY_KINDS = {'topup', 'bill'}
ORDER_STATES = [
    ('quoted', "Pre-invoice"),
    ('paid', "Paid"),
    ('applied', "Applied"),
    ('cancelled', "Cancelled"),
    ]
KIND_PRODUCT = {
    'service': 'plan',
    'change': 'plan',
    'traffic': 'traffic',
    'timed_traffic': 'timed_traffic',
    'static_ip': 'static_ip',
    }
_quoted = {'readonly': Eval('state') != 'quoted'}
#: the amounts that Order.quote computes and freezes: never given nor
#: changed by a caller (create and write refuse them)
COMPUTED = ('price', 'vat', 'fee', 'remaining_value', 'wallet_used',
    'payable', 'surplus', 'replaced_period')
#: what the payment and the application write: the state, the numbering
#: and the bookkeeping; refused from callers too
BOOKKEEPING = ('number', 'state', 'created_by', 'expires', 'paid_at',
    'payment_reference', 'applied_at', 'period', 'invoice', 'credit_note',
    'counter_move')
#: the purchase itself: its amounts are computed again when it changes
PURCHASE = ('party', 'line', 'kind', 'product', 'quantity', 'use_wallet',
    'topup_amount', 'bill_invoices')


class OrderInvoice(ModelSQL):
    "The posted invoices (bills) that an order of kind 'bill' pays."
    __name__ = 'partak.order-account.invoice'
    order = fields.Many2One('partak.order', "Order", required=True,
        ondelete='CASCADE')
    invoice = fields.Many2One('account.invoice', "Invoice", required=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Who may read or change the link is who may the order.
        cls.__access__.add('order')

    @classmethod
    def check_quoted(cls, order_ids, frozen=('paid', 'applied', 'cancelled')):
        """The bills of a pre-invoice only: once paid, what it paid is part
        of the books (checked before anything is written)."""
        Order = Pool().get('partak.order')
        for order in Order.browse(list(set(order_ids))):
            if order.state in frozen:
                raise AccessError(gettext(
                        'partak_services.msg_order_frozen',
                        order=order.rec_name))

    @classmethod
    def create(cls, vlist):
        cls.check_quoted([v['order'] for v in vlist if v.get('order')])
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for records, values in zip(actions, actions):
            cls.check_quoted([r.order.id for r in records]
                + ([values['order']] if values.get('order') else []))
        super().write(*args)

    @classmethod
    def delete(cls, records):
        # (a cancelled pre-invoice may be deleted with its links)
        cls.check_quoted([r.order.id for r in records],
            frozen=('paid', 'applied'))
        super().delete(records)


class Order(Workflow, ModelSQL, ModelView):
    "A purchase of a service, traffic or static IP (پیش فاکتور / سفارش)."
    __name__ = 'partak.order'
    _rec_name = 'number'
    number = fields.Char("Number", readonly=True)
    company = fields.Many2One('company.company', "Company", required=True,
        states=_quoted)
    party = fields.Many2One('party.party', "Subscriber", required=True,
        states=_quoted, ondelete='RESTRICT',
        context={'company': Eval('company', -1)}, depends={'company'})
    line = fields.Many2One('partak.line', "Line", required=True,
        states=_quoted, ondelete='RESTRICT',
        domain=[If(Eval('party'), ('subscriber', '=', Eval('party', -1)),
                ())])
    kind = fields.Selection(ORDER_KINDS, "Kind", required=True,
        states=_quoted)
    kind_string = kind.translated('kind')
    product = fields.Many2One('product.product', "Item",
        states={
            'readonly': Eval('state') != 'quoted',
            'required': In(Eval('kind'), list(KIND_PRODUCT)),
            'invisible': In(Eval('kind'), list(MONEY_KINDS)),
            }, ondelete='RESTRICT',
        context={'company': Eval('company', -1)}, depends={'company'},
        domain=[
            If(In(Eval('kind'), ['service', 'change']),
                ('partak_kind', '=', 'plan'),
                ('partak_kind', '=', Eval('kind'))),
            ])
    quantity = fields.Integer("Quantity", required=True, states=_quoted,
        help="Months for a static IP, else 1.")
    topup_amount = fields.Integer("Top-up Amount (Rial)",
        states={
            'readonly': Eval('state') != 'quoted',
            'required': Eval('kind') == 'topup',
            'invisible': Eval('kind') != 'topup',
            },
        help="What the subscriber adds to the panel credit at the bank.")
    bill_invoices = fields.Many2Many('partak.order-account.invoice',
        'order', 'invoice', "Bills Paid",
        domain=[
            ('party', '=', Eval('party', -1)),
            ('type', '=', 'out'),
            ('state', '=', 'posted'),
            ],
        states={
            'readonly': Eval('state') != 'quoted',
            'required': Eval('kind') == 'bill',
            'invisible': Eval('kind') != 'bill',
            },
        help="The posted invoices (postpaid bills) that this payment pays.")
    price = fields.Integer("Price (Rial)", readonly=True)
    vat = fields.Integer("VAT (Rial)", readonly=True)
    fee = fields.Integer("Subscription Fee (Rial)", readonly=True)
    replaced_period = fields.Many2One('partak.service.period',
        "Active Service", readonly=True, ondelete='RESTRICT',
        help="The service that a change replaces.")
    remaining_value = fields.Integer("Remaining Value (Rial)", readonly=True)
    wallet_used = fields.Integer("Panel Credit Used (Rial)", readonly=True)
    payable = fields.Integer("Amount Payable (Rial)", readonly=True)
    surplus = fields.Integer("Surplus to Wallet (Rial)", readonly=True)
    use_wallet = fields.Boolean("Use Panel Credit", states=_quoted)
    state = fields.Selection(ORDER_STATES, "State", required=True,
        readonly=True)
    state_string = state.translated('state')
    channel = fields.Selection(CHANNELS, "Channel", required=True,
        states=_quoted)
    channel_string = channel.translated('channel')
    created_by = fields.Many2One('res.user', "Created By", readonly=True)
    expires = fields.DateTime("Valid Until", readonly=True)
    paid_at = fields.DateTime("Paid At", readonly=True)
    payment_reference = fields.Char("Payment Reference", readonly=True)
    applied_at = fields.DateTime("Applied At", readonly=True)
    period = fields.Many2One('partak.service.period', "Service Period",
        readonly=True, ondelete='RESTRICT')
    invoice = fields.Many2One('account.invoice', "Invoice", readonly=True,
        ondelete='RESTRICT')
    credit_note = fields.Many2One('account.invoice', "Credit Note",
        readonly=True, ondelete='RESTRICT',
        help="A change of service: the remaining value of the replaced "
        "service, credited to the subscriber.")
    counter_move = fields.Many2One('account.move', "Counter Payment Entry",
        readonly=True, ondelete='RESTRICT',
        help="A sale paid at the counter: the entry of the money received "
        "(cash and bank against the receivable).")
    note = fields.Char("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.number),
                'partak_services.msg_order_number_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Range())),
                Index(t, (t.line, Index.Range())),
                Index(t, (t.state, Index.Equality())),
                })
        # The state moves only forward, by the steps below (Tryton's
        # Workflow, each step logged in ir.model.log): a pre-invoice is
        # paid once and applied once, or cancelled; nothing else.
        cls._transitions |= {
            ('quoted', 'paid'),
            ('quoted', 'cancelled'),
            ('paid', 'applied'),
            }
        cls._buttons.update({
                'mark_paid': {
                    'invisible': Eval('state') != 'quoted',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'quoted',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'quoted'

    @staticmethod
    def default_quantity():
        return 1

    @staticmethod
    def default_kind():
        return 'service'

    @staticmethod
    def default_use_wallet():
        return True

    @staticmethod
    def default_channel():
        return 'admin'

    @staticmethod
    def default_company():
        return Transaction().context.get('company')

    @fields.depends('party', 'line')
    def on_change_party(self):
        if self.party and (
                not self.line or self.line.subscriber != self.party):
            lines = self.party.lines
            self.line = lines[0] if len(lines) == 1 else None

    @fields.depends('line', 'party')
    def on_change_line(self):
        if self.line and not self.party:
            self.party = self.line.subscriber

    def get_rec_name(self, name):
        return self.number or str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return ['OR', ('number',) + tuple(clause[1:]),
            ('party.rec_name',) + tuple(clause[1:]),
            ('line.phone',) + tuple(clause[1:])]

    # Quote ---------------------------------------------------------------

    @classmethod
    def quote(cls, party, line, kind, product, quantity=1, channel='online',
            use_wallet=True, note=None):
        """The pre-invoice: validates the purchase (product sold online for
        'online', kind matches the product, line belongs to party), computes
        and freezes the amounts, numbers it.  `product` may be a template."""
        if getattr(product, '__name__', None) == 'product.template':
            product = product.products[0]
        order, = cls.create([{
                    'party': party.id,
                    'line': line.id,
                    'kind': kind,
                    'product': product.id,
                    'quantity': quantity or 1,
                    'channel': channel,
                    'use_wallet': use_wallet,
                    'note': note,
                    }])
        return order

    @classmethod
    def quote_topup(cls, party, line, amount, channel='online'):
        """The pre-invoice of a top-up of the panel credit by `amount`
        Rials (between the configured smallest and largest top-up): no VAT,
        no invoice — the money is the subscriber's until spent (entry 4 of
        docs/accounting.md)."""
        order, = cls.create([{
                    'party': party.id,
                    'line': line.id,
                    'kind': 'topup',
                    'topup_amount': amount,
                    'channel': channel,
                    'use_wallet': False,
                    }])
        return order

    @classmethod
    def quote_bills(cls, party, line, invoices, use_wallet=True,
            channel='online'):
        """The pre-invoice of the payment of `invoices` (the subscriber's
        open postpaid bills, one or all): what is left to pay of each, the
        panel credit used first when `use_wallet`."""
        order, = cls.create([{
                    'party': party.id,
                    'line': line.id,
                    'kind': 'bill',
                    'bill_invoices': [('add', [i.id for i in invoices])],
                    'channel': channel,
                    'use_wallet': use_wallet,
                    }])
        return order

    @classmethod
    def _compute_money_amounts(cls, values, party, line):
        """The frozen amounts of a top-up or a payment of bills: nothing
        is sold, so no VAT nor fee (the bills' VAT is on their invoices)."""
        pool = Pool()
        Configuration = pool.get('partak.services.configuration')
        Invoice = pool.get('account.invoice')
        kind = values['kind']
        if kind == 'topup':
            config = Configuration.get()
            amount = values.get('topup_amount')
            if (isinstance(amount, bool) or not isinstance(amount, int)
                    or not (config.topup_minimum <= amount
                        <= config.topup_maximum)):
                raise ValidationError(gettext(
                        'partak_services.msg_order_topup_amount',
                        minimum=config.topup_minimum,
                        maximum=config.topup_maximum))
            values['use_wallet'] = False
            due = amount
        else:
            ids = cls._bill_invoice_ids(values.get('bill_invoices'))
            invoices = Invoice.browse(ids)
            if not invoices:
                raise ValidationError(gettext(
                        'partak_services.msg_order_bill_none'))
            due = 0
            for invoice in invoices:
                if (invoice.party != party or invoice.type != 'out'
                        or invoice.state != 'posted'
                        or invoice.amount_to_pay <= 0):
                    raise ValidationError(gettext(
                            'partak_services.msg_order_bill_not_open',
                            invoice=invoice.rec_name))
                due += int(invoice.amount_to_pay)
        wallet = 0
        if values.get('use_wallet', True):
            wallet = pricing.wallet_to_use(due, party.wallet_balance or 0)
        values.update({
                'price': due, 'vat': 0, 'fee': 0, 'remaining_value': 0,
                'wallet_used': wallet, 'payable': due - wallet, 'surplus': 0,
                'quantity': 1, 'product': None,
                })
        return values

    @staticmethod
    def _check_line_party(line, party):
        "An order is for one of the subscriber's own lines."
        if line.subscriber != party:
            raise ValidationError(gettext(
                    'partak_services.msg_order_line_party',
                    line=line.rec_name, party=party.rec_name))

    @staticmethod
    def _bill_invoice_ids(value):
        "The invoice ids of a Many2Many value (ids or add/set actions)."
        ids = []
        for item in value or []:
            if isinstance(item, int):
                ids.append(item)
            elif item[0] in {'add', 'set'}:
                ids.extend(item[1])
            elif hasattr(item, 'id'):
                ids.append(item.id)
        return ids

    @classmethod
    def _compute_amounts(cls, values):
        "Fills the frozen amounts of a new order's values."
        pool = Pool()
        Party = pool.get('party.party')
        Line = pool.get('partak.line')
        Product = pool.get('product.product')
        Period = pool.get('partak.service.period')
        party = Party(values['party'])
        line = Line(values['line'])
        if values.get('kind') in MONEY_KINDS:
            cls._check_line_party(line, party)
            return cls._compute_money_amounts(values, party, line)
        if not values.get('product'):
            raise ValidationError(gettext(
                    'partak_services.msg_order_product_required'))
        product = Product(values['product'])
        template = product.template
        kind = values.get('kind') or 'service'
        channel = values.get('channel') or 'admin'
        quantity = values.get('quantity') or 1
        if kind not in KIND_PRODUCT:
            raise ValidationError(gettext('partak_services.msg_order_kind',
                    kind=kind))
        cls._check_line_party(line, party)
        if template.partak_kind != KIND_PRODUCT[kind] or not product.active:
            raise ValidationError(gettext(
                    'partak_services.msg_order_product_kind',
                    product=product.rec_name, kind=kind))
        if channel == 'online' and not template.sold_online:
            raise ValidationError(gettext(
                    'partak_services.msg_order_not_online',
                    product=product.rec_name))
        if kind != 'static_ip' and quantity != 1:
            raise ValidationError(gettext(
                    'partak_services.msg_order_quantity'))
        if quantity < 1:
            raise ValidationError(gettext(
                    'partak_services.msg_order_quantity'))
        Period.update_lines([line])
        active = Line(line.id).active_period
        if kind in {'change', 'traffic', 'timed_traffic'} and not active:
            if not (kind != 'change' and Line(line.id).reserve_periods):
                raise ValidationError(gettext(
                        'partak_services.msg_order_no_active_period',
                        line=line.rec_name))
        if kind == 'change' and active.product == product:
            raise ValidationError(gettext(
                    'partak_services.msg_order_change_same',
                    product=product.rec_name))
        if kind in {'service', 'change'} and template.billing == 'postpaid':
            price = 0
        else:
            price = template.partak_price * quantity
        vat = pricing.vat_amount(price, template.partak_vat_rate)
        fee = (template.subscription_fee or 0) if kind in {
            'service', 'change'} else 0
        remaining = 0
        if kind == 'change':
            remaining = active.remaining_value
            values['replaced_period'] = active.id
        due = price + vat + fee - remaining
        wallet = 0
        if values.get('use_wallet', True):
            wallet = pricing.wallet_to_use(due, party.wallet_balance or 0)
        payable, surplus = pricing.change_payable(
            price, vat, fee, remaining, wallet)
        values.update({
                'price': price, 'vat': vat, 'fee': fee,
                'remaining_value': remaining, 'wallet_used': wallet,
                'payable': payable, 'surplus': surplus,
                'quantity': quantity,
                })
        return values

    @classmethod
    def create(cls, vlist):
        """A pre-invoice whose amounts are computed here (see
        _compute_amounts).  Amounts, state and bookkeeping given by the
        caller are refused, for every user: only import_history() records
        a purchase with its own figures."""
        pool = Pool()
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        imported = Transaction().context.get('_partak_order')
        vlist = [v.copy() for v in vlist]
        if not imported:
            for values in vlist:
                cls.check_not_computed(values, creating=True)
        validity = datetime.timedelta(
            minutes=setting('order_validity_minutes', 60))
        with company_context() as company, without_check_access():
            sequence = Sequence(
                ModelData.get_id('partak_services', 'sequence_order'))
            for values in vlist:
                if not values.get('company') and company:
                    values['company'] = company.id
                # (a copy gives them as None)
                if not values.get('state'):
                    values['state'] = 'quoted'
                if not values.get('created_by'):
                    values['created_by'] = Transaction().user or None
                if values['state'] == 'quoted' and (
                        not imported or 'payable' not in values):
                    cls._compute_amounts(values)
                    if not values.get('expires'):
                        values['expires'] = now() + validity
                if not values.get('number'):
                    values['number'] = sequence.get()
        with company_context():
            return super().create(vlist)

    @classmethod
    def check_not_computed(cls, values, creating=False):
        """Refuses values that name a computed amount or the bookkeeping
        (AccessError naming the field).  A new order may say it is
        'quoted'; copy() gives the computed fields as None."""
        for name in COMPUTED + BOOKKEEPING:
            if name not in values:
                continue
            value = values[name]
            if creating and (value is None
                    or (name == 'state' and value == 'quoted')):
                continue
            raise AccessError(gettext('partak_services.msg_order_computed',
                    **cls.__names__(name)))

    @classmethod
    def write(cls, *args):
        """Only the purchase (while quoted), the channel and the note may be
        written; a change of the purchase computes the amounts again.  The
        amounts, the state and the bookkeeping are refused for every user:
        the code of this module changes them through write_computed()."""
        internal = Transaction().context.get('_partak_order')
        actions = iter(args)
        recompute = []
        for orders, values in zip(actions, actions):
            if internal:
                continue
            cls.check_not_computed(values)
            if set(PURCHASE) & set(values):
                for order in orders:
                    if order.state != 'quoted':
                        raise AccessError(gettext(
                                'partak_services.msg_order_frozen',
                                order=order.rec_name))
                recompute.extend(orders)
        super().write(*args)
        if recompute:
            cls._recompute_amounts(recompute)

    @classmethod
    def _recompute_amounts(cls, orders):
        "The amounts of quoted orders whose purchase changed, again."
        for order in cls.browse(orders):
            values = {name: getattr(order, name) for name in PURCHASE}
            for name in ('party', 'line', 'product'):
                values[name] = values[name].id if values[name] else None
            values['bill_invoices'] = [i.id for i in order.bill_invoices]
            values['channel'] = order.channel
            with company_context(order.company), without_check_access():
                cls._compute_amounts(values)
            cls.write_computed([order],
                {name: values.get(name) for name in COMPUTED})

    @classmethod
    def write_computed(cls, orders, values):
        """Internal: writes amounts, state or bookkeeping of orders, which
        write() refuses to callers.  Used by the payment, the application
        and the invoicing of this module and partak_payment; not RPC.  The
        state is not written here: it moves by the Workflow's steps."""
        assert 'state' not in values, "the state moves by its transitions"
        with without_check_access(), \
                Transaction().set_context(_partak_order=True):
            cls.write(list(orders), values)

    @classmethod
    def _step(cls, transition, orders, **values):
        """Internal: writes the bookkeeping ``values`` of ``orders``, then
        takes the Workflow ``transition`` (a method below), whose write of
        the state write() refuses to callers."""
        with without_check_access(), \
                Transaction().set_context(_partak_order=True):
            if values:
                cls.write(list(orders), values)
            transition(list(orders))

    @classmethod
    @Workflow.transition('paid')
    def _paid(cls, orders):
        "The amount payable was received (bank, wallet or counter)."

    @classmethod
    @Workflow.transition('applied')
    def _applied(cls, orders):
        "The purchase was delivered (period, traffic or static IP)."

    @classmethod
    @Workflow.transition('cancelled')
    def _cancelled(cls, orders):
        "The pre-invoice will not be paid (or its payment was refused)."

    @classmethod
    def refuse(cls, orders, reason, reference=None):
        """Cancels quoted ``orders`` whose payment cannot be accepted,
        with ``reason`` (translated) as their note and the payment's
        ``reference``; the money goes to the wallet (the caller's part)."""
        quoted = [o for o in orders if o.state == 'quoted']
        if quoted:
            cls._step(cls._cancelled, quoted,
                payment_reference=reference, note=(reason or '')[:250])

    @classmethod
    def import_history(cls, vlist):
        """Internal: records purchases made before Partak (demo data, a
        migration) with their own amounts and state, as given.  Not RPC:
        nobody records a purchase with amounts of their choice."""
        with without_check_access(), \
                Transaction().set_context(_partak_order=True):
            return cls.create(vlist)

    @classmethod
    def delete(cls, orders):
        for order in orders:
            if order.state in {'paid', 'applied'}:
                raise AccessError(gettext(
                        'partak_services.msg_order_delete',
                        order=order.rec_name))
        super().delete(orders)

    @classmethod
    def copy(cls, orders, default=None):
        default = default.copy() if default is not None else {}
        # A copy is a new pre-invoice: create() computes it again.
        for name in COMPUTED + BOOKKEEPING:
            default.setdefault(name)
        default.setdefault('state', 'quoted')
        return super().copy(orders, default=default)

    @property
    def expired(self):
        return bool(self.expires and self.expires <= now())

    # Payment -------------------------------------------------------------

    @classmethod
    def settle(cls, order, amount, reference=None, check_expiry=True):
        """Called after a *verified* payment of `amount` Rials.

        Locks the order row, then: an order already paid, applied or
        cancelled is left alone (returns False: a repeated callback applies
        nothing more).  A wrong amount, an expired pre-invoice or a wallet
        that no longer covers `wallet_used` refuses the purchase: the order
        is cancelled and the amount received is credited to the wallet
        (returns False).  Otherwise debits `wallet_used`, marks the order
        paid and applies it (returns True)."""
        pool = Pool()
        WalletMove = pool.get('partak.wallet.move')
        cls.lock([order])
        order = cls(order.id)
        if order.state != 'quoted':
            return False
        amount = int(amount)
        reason = None
        if amount != order.payable:
            reason = gettext('partak_services.msg_order_amount',
                order=order.rec_name, amount=amount, payable=order.payable)
        elif check_expiry and order.expired:
            reason = gettext('partak_services.msg_order_expired',
                order=order.rec_name)
        else:
            try:
                WalletMove.debit(order.party, order.wallet_used,
                    order=order, payment=reference,
                    note=gettext('partak_services.msg_wallet_note_order',
                        order=order.rec_name))
            except ValidationError as exception:
                reason = exception.message
        if reason:
            logger.warning("order %s refused: %s", order.rec_name, reason)
            WalletMove.credit(order.party, amount, reason='payment',
                order=order, payment=reference, note=reason[:250])
            cls.refuse([order], reason, reference)
            return False
        cls._step(cls._paid, [order], paid_at=now(),
            payment_reference=reference)
        cls.apply([cls(order.id)])
        return True

    @classmethod
    def pay_with_wallet(cls, orders):
        """Pays and applies the orders that the wallet covers entirely
        (payable 0): a change whose remaining value covers the new service
        is paid this way too.  Returns the orders applied."""
        applied = []
        for order in orders:
            if order.payable != 0:
                raise ValidationError(gettext(
                        'partak_services.msg_order_wallet_payable',
                        order=order.rec_name, payable=order.payable))
            if cls.settle(order, 0, reference='wallet'):
                applied.append(order)
        return applied

    @classmethod
    @ModelView.button
    def mark_paid(cls, orders):
        """Staff sale: the subscriber paid in person the amount payable (the
        pre-invoice's validity does not apply at the counter)."""
        user = Transaction().user
        for order in orders:
            if cls.settle(order, order.payable,
                    reference='staff:%s' % user, check_expiry=False):
                cls.book_received(cls(order.id), books.COUNTER)

    @classmethod
    def book_received(cls, order, kind, date=None):
        """Books the money received outside the gateways for the applied
        `order` (docs/accounting.md, entry 10), `kind` books.COUNTER or
        books.IMPORTED: its invoice paid with that payment method on `date`
        (today) — Dr 1.1 cash and bank / Cr 1.2 receivable — then the
        receivable settled (the invoice becomes paid).  Nothing when
        nothing was payable or the company has no books."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Date = pool.get('ir.date')
        if order.counter_move or not order.payable:
            return None
        money = order.kind in MONEY_KINDS
        if not money and (not order.invoice
                or order.invoice.state != 'posted'):
            return None
        with without_check_access(), company_context(order.company):
            method = books.cash_method(order.company, kind)
            if not method:
                return None
            date = date or Date.today()
            if money:
                # No invoice of its own: the money received against the
                # receivable, settled with the bills or the wallet's credit.
                move = books.post_received(order.company, method,
                    order.party, order.payable, date, origin=order,
                    description=order.payment_reference)
            else:
                invoice = Invoice(order.invoice.id)
                move = invoice.pay_invoice(order.payable, method, date,
                    description=order.payment_reference)[0].move
            cls.write_computed([order], {'counter_move': move.id})
        cls.reconcile_books([order])
        return move

    @classmethod
    def book_imported(cls, orders):
        """Puts in the books the purchases brought over with their history
        (import_history: applied, no invoice): each invoiced on the day it
        was paid — the Jalali year of that day is created if need be, the
        plan's revenue deferred over its service days — and paid by the
        previous system (books.IMPORTED on 1.1), so that Tryton's reports
        read those months too."""
        Deferral = Pool().get('account.invoice.deferred')
        booked = []
        for order in cls.browse(orders):
            if order.invoice or order.state != 'applied':
                continue
            date = local_date(order.paid_at or order.applied_at or now())
            ensure_fiscalyear(order.company, date)
            cls.create_invoice([order], date=date)
            cls.book_received(cls(order.id), books.IMPORTED, date=date)
            booked.append(order)
        # A term that reached a year opened by a later purchase: its months
        # there too.
        with without_check_access():
            running = Deferral.search([
                    ('invoice_line.invoice', 'in',
                        [o.invoice.id for o in cls.browse(booked)
                            if o.invoice]),
                    ('state', '=', 'running'),
                    ])
            if running:
                Deferral.create_moves(running)
                Deferral.close_try(running)

    @classmethod
    @ModelView.button
    def cancel(cls, orders):
        cls._step(cls._cancelled, [o for o in orders if o.state == 'quoted'])

    # Application ---------------------------------------------------------

    @classmethod
    def apply(cls, orders):
        """Applies paid orders exactly once: the period, traffic or static
        IP, the wallet surplus, then the posted invoice."""
        pool = Pool()
        WalletMove = pool.get('partak.wallet.move')
        cls.lock(orders)
        for order in orders:
            order = cls(order.id)
            if order.state != 'paid':
                continue
            with without_check_access(), company_context(order.company):
                period = getattr(order, '_apply_%s' % order.kind)()
                if order.surplus:
                    WalletMove.credit(order.party, order.surplus,
                        reason='surplus', order=order,
                        note=gettext('partak_services.msg_wallet_note_order',
                            order=order.rec_name))
                cls._step(cls._applied, [order], applied_at=now(),
                    period=period.id if period else None)
                cls.create_invoice([cls(order.id)])

    def _reopen_line(self):
        """A line in the collection list is back in service after a
        purchase, unless an unpaid bill holds it there."""
        Line = Pool().get('partak.line')
        if (self.line.status == 'collection'
                and self.line.id not in Line.held_in_collection(
                    [self.line])):
            Line.set_status([self.line], 'in_service', note=gettext(
                    'partak_services.msg_line_reopened',
                    order=self.rec_name))

    def _apply_service(self):
        pool = Pool()
        Period = pool.get('partak.service.period')
        Line = pool.get('partak.line')
        date = now()
        Period.update_lines([self.line], date=date)
        line = Line(self.line.id)
        active = line.active_period
        if active:
            reserves = line.reserve_periods
            start = reserves[-1].end if reserves else active.end
            state = 'reserve'
        else:
            start, state = date, 'active'
        period = Period.new_period(line, self.product, start, state=state,
            order=self, paid_amount=self.price, channel=self.channel,
            note=self.note)
        self._reopen_line()
        return period

    def _apply_change(self):
        pool = Pool()
        Period = pool.get('partak.service.period')
        Line = pool.get('partak.line')
        date = now()
        Period.update_lines([self.line], date=date)
        current = Line(self.line.id).active_period
        if current:
            Period.end_periods([current], date=date, note=gettext(
                    'partak_services.msg_period_replaced',
                    order=self.rec_name))
        period = Period.new_period(self.line, self.product, date,
            state='active', order=self, paid_amount=self.price,
            channel=self.channel, note=self.note)
        Period.chain_reserves(Line(self.line.id))
        self._reopen_line()
        return period

    def _target_period(self):
        pool = Pool()
        Period = pool.get('partak.service.period')
        Line = pool.get('partak.line')
        Period.update_lines([self.line])
        line = Line(self.line.id)
        period = line.active_period or (
            line.reserve_periods[0] if line.reserve_periods else None)
        if not period:
            raise ValidationError(gettext(
                    'partak_services.msg_order_no_active_period',
                    line=line.rec_name))
        return period

    def _apply_traffic(self):
        Bucket = Pool().get('partak.traffic.bucket')
        template = self.product.template
        period = self._target_period()
        Bucket.add(period, 'pack', pricing.bonus_volume(
                template.volume_bytes, template.bonus_percent),
            name=self.product.rec_name, order=self)
        return period

    def _apply_timed_traffic(self):
        Bucket = Pool().get('partak.traffic.bucket')
        template = self.product.template
        period = self._target_period()
        date = now()
        Bucket.add(period, 'timed', pricing.bonus_volume(
                template.volume_bytes, template.bonus_percent),
            name=self.product.rec_name, order=self, date=date,
            expires=date + datetime.timedelta(days=template.window_days))
        return period

    def _apply_static_ip(self):
        StaticIP = Pool().get('partak.static_ip')
        StaticIP.extend(self.line, self.quantity, product=self.product)
        return None

    def _apply_topup(self):
        "The money received goes to the panel credit (Dr 1.2 / Cr 2.3)."
        WalletMove = Pool().get('partak.wallet.move')
        WalletMove.credit(self.party, self.price, reason='topup',
            order=self, payment=self.payment_reference,
            note=gettext('partak_services.msg_wallet_note_topup',
                order=self.rec_name))
        return None

    def _apply_bill(self):
        """The bills are paid by reconcile_books (create_invoice calls it)
        with the wallet's and the bank's lines; a bill paid meanwhile (the
        counter, the accountant) refuses the payment, whose money then goes
        to the wallet."""
        Invoice = Pool().get('account.invoice')
        due = 0
        for invoice in Invoice.browse(self.bill_invoices):
            if invoice.state != 'posted':
                raise ValidationError(gettext(
                        'partak_services.msg_order_bill_not_open',
                        invoice=invoice.rec_name))
            due += int(invoice.amount_to_pay)
        if due != self.price:
            raise ValidationError(gettext(
                    'partak_services.msg_order_bill_changed',
                    order=self.rec_name))
        return None

    # Invoice -------------------------------------------------------------

    @classmethod
    def create_invoice(cls, orders, date=None):
        """A posted customer invoice per applied order: the item at its
        price with the product's customer taxes and the subscription fee
        (no tax); the tax is the pre-invoice's VAT to the Rial.  A change of
        service also gets a posted credit note of the remaining value of the
        replaced service (no tax): the manual's 8,000,000 + 720,000 invoiced,
        1,928,767 credited, 6,791,233 to pay.  Never a negative invoice: a
        surplus is credited to the wallet from the receivable (apply).  The
        receivable is then settled with the wallet's lines
        (reconcile_books)."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        for order in orders:
            if (order.invoice or order.state != 'applied'
                    or order.kind in MONEY_KINDS):
                continue
            lines = []
            # A plan's revenue over its days (accounting.md §8); traffic
            # is delivered when bought, a fee when charged.
            plan = order.kind in {'service', 'change'}
            if order.price:
                lines.append(cls.invoice_line_values(order.product,
                        order.price, quantity=order.quantity,
                        defer=cls.term_days(order.period) if plan else None))
            if order.fee:
                lines.append(cls.invoice_line_values(None, order.fee,
                        description=gettext('partak_services.msg_invoice_fee'),
                        product_for_account=order.product))
            credit_lines = []
            if order.remaining_value:
                replaced = order.replaced_period
                # The replaced service's deferral runs on to its term: the
                # credit of its remaining days is spread over the same
                # days, so that nothing more is recognised for them.
                credit_lines.append(cls.invoice_line_values(
                        replaced.product if replaced else None,
                        -order.remaining_value,
                        description=gettext(
                            'partak_services.msg_invoice_remaining',
                            service=replaced.rec_name if replaced else ''),
                        product_for_account=order.product, taxed=False,
                        defer=cls.deferred_days_left(
                            replaced.order if replaced else None)))
            values = {}
            with company_context(order.company):
                description = gettext('partak_services.msg_invoice_order',
                    order=order.rec_name)
                if lines:
                    invoice = cls.make_invoice(order.party, lines,
                        description=description, company=order.company,
                        post=False, date=date)
                    if invoice:
                        cls.set_vat(invoice, order.vat)
                        cls.post_invoice(invoice)
                        values['invoice'] = invoice.id
                        cls.run_deferrals([invoice])
                if credit_lines:
                    credit_note = cls.make_invoice(order.party, credit_lines,
                        description=description, company=order.company,
                        date=date)
                    if credit_note:
                        values['credit_note'] = credit_note.id
                        cls.run_deferrals([credit_note])
            if values:
                cls.write_computed([order], values)
        cls.reconcile_books(orders)

    @classmethod
    def refund_to_wallet(cls, order, amount, reason, reference=None):
        """Gives back `amount` Rials of the applied `order` to the wallet
        (staff, through Payment.refund): a posted credit note of the order's
        item for that amount, split into price and VAT by the one rule
        (pricing.split_gross, over the order's refunds so far), and the
        wallet credit from the receivable,
        reconciled together: revenue and VAT go down, the deposit up.
        Without books only the wallet is credited.  Returns the wallet
        move."""
        pool = Pool()
        WalletMove = pool.get('partak.wallet.move')
        Invoice = pool.get('account.invoice')
        amount = int(amount)
        note = (reason or '')[:250]
        credit_note = None
        with without_check_access(), company_context(order.company):
            # Split cumulatively: the refunds of an order, together, give
            # back exactly its price and VAT when they reach its total.
            rate = order.product.template.partak_vat_rate
            before = sum(m.amount for m in WalletMove.search([
                        ('order', '=', order.id),
                        ('reason', '=', 'refund'),
                        ]))
            price = (pricing.split_gross(before + amount, rate)[0]
                - pricing.split_gross(before, rate)[0])
            vat = amount - price
            # A plan refunded while it runs: the credit spread over its
            # days left, as the deferral of its invoice runs on.
            defer = cls.deferred_days_left(order)
            credit_note = cls.make_invoice(order.party, [
                    cls.invoice_line_values(order.product, -price,
                        defer=defer)],
                description=gettext('partak_services.msg_invoice_refund',
                    order=order.rec_name, reason=note)[:250],
                company=order.company, post=False)
            if credit_note:
                cls.set_vat(credit_note, -vat)
                Invoice.post([credit_note])
                cls.run_deferrals([credit_note])
            move = WalletMove.credit(order.party, amount, reason='refund',
                order=order, payment=reference, note=note)
            if credit_note:
                books.settle_receivable([credit_note],
                    move.receivable_lines())
        return move

    def receivable_lines(self):
        """The receivable lines that pay or credit this order besides its
        invoices: its wallet moves (the wallet used, a surplus).  The
        payment module adds the bank's."""
        WalletMove = Pool().get('partak.wallet.move')
        moves = WalletMove.search([
                ('order', '=', self.id),
                ('reason', 'in', ['purchase', 'surplus', 'topup']),
                ])
        lines = [l for m in moves for l in m.receivable_lines()]
        if self.counter_move:
            lines += books.receivable_lines([self.counter_move], self.party)
        return lines

    @classmethod
    def reconcile_books(cls, orders):
        """Settles each applied order's receivable: its invoice and credit
        note with its receivable_lines, reconciled when they net to zero
        (the invoices are then paid); the credit lines are added to the
        invoice's payments meanwhile.  Safe to call again."""
        with without_check_access():
            for order in cls.browse(orders):
                invoices = [i for i in [order.invoice, order.credit_note]
                    + list(order.bill_invoices) if i]
                with company_context(order.company):
                    if invoices:
                        books.settle_receivable(invoices,
                            order.receivable_lines())
                    elif order.kind == 'topup':
                        # The wallet's credit with the money received.
                        books.reconcile_lines(order.receivable_lines())

    @classmethod
    def set_vat(cls, invoice, vat):
        """Gives the draft `invoice` the VAT `vat` Rials (the one truncation
        rule, computed by Partak) instead of Tryton's rounded tax."""
        InvoiceTax = Pool().get('account.invoice.tax')
        taxes = list(invoice.taxes)
        total = sum(t.amount for t in taxes)
        if taxes and total != vat:
            tax = taxes[0]
            InvoiceTax.write([tax],
                {'amount': tax.amount + Decimal(vat) - total})

    @classmethod
    def invoice_line_values(cls, product, amount, quantity=1,
            description=None, product_for_account=None, taxed=None,
            defer=None):
        """Values of an invoice line of `amount` Rials in total; `defer`,
        (first day, last day), spreads its revenue over those days
        (account_invoice_defer)."""
        quantity = quantity or 1
        return {
            'product': product,
            'account_product': product or product_for_account,
            'quantity': quantity,
            'unit_price': Decimal(int(amount)) / quantity,
            'description': description,
            'taxed': product is not None if taxed is None else taxed,
            'defer': defer,
            }

    @staticmethod
    def term_days(period):
        """(first day, last day) in the ISP's time zone of the service
        `period`: the days over which its revenue is recognised, as many as
        the plan's; None when it is not a period of more than one day."""
        if not period or not period.start or not period.end:
            return None
        first = local_date(period.start)
        last = first + datetime.timedelta(
            days=(period.end - period.start).days - 1)
        return (first, last) if last > first else None

    @classmethod
    def deferred_days_left(cls, order):
        """(today, last day) of the revenue deferral of `order`'s invoice
        whose term runs past today, or None: the days over which a
        credit of that order (a change of service, a refund) is spread, so
        that nothing more is recognised for them."""
        pool = Pool()
        Deferral = pool.get('account.invoice.deferred')
        Date = pool.get('ir.date')
        if not order or not order.invoice:
            return None
        today = Date.today()
        with without_check_access():
            # (closed too: its months' moves are made, some in the future)
            deferrals = Deferral.search([
                    ('invoice_line.invoice', '=', order.invoice.id),
                    ('state', 'in', ['running', 'closed']),
                    ('end_date', '>', today),
                    ], limit=1)
        return (today, deferrals[0].end_date) if deferrals else None

    @classmethod
    def run_deferrals(cls, invoices):
        """Starts the revenue deferrals that posting `invoices` drafted
        (account_invoice_defer): the amount to 2.4, then a move per
        Jalali month of the term from 2.4 to revenue, by days."""
        Deferral = Pool().get('account.invoice.deferred')
        invoices = [i for i in invoices if i]
        if not invoices:
            return
        with without_check_access():
            deferrals = Deferral.search([
                    ('invoice_line.invoice', 'in', [i.id for i in invoices]),
                    ('state', '=', 'draft'),
                    ])
            if deferrals:
                Deferral.run(deferrals)

    @classmethod
    def accounting_ready(cls, company, date=None):
        "A fiscal year open for today and a receivable account configured."
        pool = Pool()
        FiscalYear = pool.get('account.fiscalyear')
        Configuration = pool.get('account.configuration')
        Date = pool.get('ir.date')
        with Transaction().set_context(company=company.id):
            date = date or Date.today()
            fiscalyear = FiscalYear.search([
                    ('company', '=', company.id),
                    ('start_date', '<=', date),
                    ('end_date', '>=', date),
                    ('state', '=', 'open'),
                    ], limit=1)
            config = Configuration(1)
            return bool(fiscalyear and config.get_multivalue(
                    'default_account_receivable', company=company.id))

    @classmethod
    def post_invoice(cls, invoice, skip_warnings=False):
        """Posts `invoice`.  Tryton's warnings are for hand-made invoices:
        Partak skips them when asked (a line of a product without its VAT
        that is meant) and for an invoice dated in the past (a purchase
        brought over with its history)."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Date = pool.get('ir.date')
        skip = skip_warnings or bool(invoice.invoice_date
            and invoice.invoice_date < Date.today())
        with Transaction().set_context(_skip_warnings=skip):
            Invoice.post([invoice])

    @classmethod
    def make_invoice(cls, party, lines, description=None, company=None,
            post=True, date=None):
        """A customer invoice of `party` with `lines` (from
        invoice_line_values) dated `date` (today), posted unless
        post=False.  None, with a warning in the log, when the accounting
        is not set up."""
        pool = Pool()
        Invoice = pool.get('account.invoice')
        InvoiceLine = pool.get('account.invoice.line')
        Address = pool.get('party.address')
        PaymentTerm = pool.get('account.invoice.payment_term')
        Configuration = pool.get('account.configuration')
        Date = pool.get('ir.date')
        with company_context(company) as company, without_check_access():
            if not company or not cls.accounting_ready(company, date):
                logger.warning("no invoice for %s: accounting not set up",
                    party.rec_name)
                return None
            invoice = Invoice(type='out', company=company, party=party,
                currency=company.currency,
                invoice_date=date or Date.today(),
                description=description)
            invoice.on_change_type()
            invoice.on_change_party()
            if not invoice.invoice_address:
                invoice.invoice_address, = Address.create(
                    [{'party': party.id}])
            if not invoice.payment_term:
                config = Configuration(1)
                term = getattr(config, 'default_customer_payment_term', None)
                if not term:
                    terms = PaymentTerm.search([], limit=1)
                    term = terms[0] if terms else None
                invoice.payment_term = term
            invoice_lines = []
            for values in lines:
                line = InvoiceLine(invoice=invoice, type='line',
                    company=company, currency=company.currency,
                    quantity=values['quantity'],
                    unit_price=values['unit_price'],
                    description=values['description'])
                account_product = values['account_product']
                if values['product']:
                    line.product = values['product']
                    line.unit = values['product'].default_uom
                    if not line.description:
                        line.description = values['product'].rec_name
                if account_product:
                    line.account = account_product.account_revenue_used
                else:
                    line.account = config_revenue_account(company)
                if values['taxed'] and account_product:
                    line.taxes = list(account_product.customer_taxes_used)
                else:
                    line.taxes = []
                if values.get('defer'):
                    line.defer_from, line.defer_to = values['defer']
                invoice_lines.append(line)
            invoice.lines = invoice_lines
            invoice.save()
            Invoice.update_taxes([invoice])
            invoice = Invoice(invoice.id)
            if post:
                # A line of a product without its VAT is meant (the
                # remaining value of a replaced service carries none).
                cls.post_invoice(invoice, skip_warnings=any(
                        v['product'] and not v['taxed'] for v in lines))
            return invoice


def config_revenue_account(company):
    Configuration = Pool().get('account.configuration')
    config = Configuration(1)
    return config.get_multivalue('default_category_account_revenue',
        company=company.id)


