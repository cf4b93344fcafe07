# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The wallet (panel credit, «اعتبار پنل»): a subscriber's prepaid balance
is the sum of the moves; a debit locks the party row and never goes below
zero."""
from sql.aggregate import Sum

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool, PoolMeta
from trytond import backend
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .ledger import check_audit
from .tools import now, sql_in

WALLET_REASONS = [
    ('purchase', "Purchase"),
    ('surplus', "Surplus of a Change of Service"),
    ('payment', "Payment Not Applied"),
    ('refund', "Refund"),
    ('deposit', "Deposit"),
    ('adjustment', "Adjustment"),
    ]


class InsufficientWallet(ValidationError):
    pass


class WalletMove(ModelSQL, ModelView):
    "A credit (+) or debit (−) of a subscriber's wallet, in Rials."
    __name__ = 'partak.wallet.move'
    party = fields.Many2One('party.party', "Subscriber", required=True,
        ondelete='RESTRICT')
    date = fields.DateTime("Date", required=True)
    amount = fields.Integer("Amount (Rial)", required=True)
    reason = fields.Selection(WALLET_REASONS, "Reason", required=True)
    reason_string = reason.translated('reason')
    order = fields.Many2One('partak.order', "Order", ondelete='RESTRICT')
    payment = fields.Char("Payment",
        help="Reference of the payment (model,id or the bank's reference).")
    note = fields.Char("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))

    @staticmethod
    def default_date():
        return now()

    @staticmethod
    def default_reason():
        return 'deposit'

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        check_audit(cls.__name__, mode, external)

    @classmethod
    def create(cls, vlist):
        # Money enters a wallet only through the methods below: a move
        # created by hand (RPC) would be a credit without a reason.
        if Transaction().check_access:
            raise AccessError(gettext(
                    'partak_services.msg_wallet_move_manual'))
        return super().create(vlist)

    @classmethod
    def balances(cls, party_ids):
        "{party id: balance} summed in SQL."
        move = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = {i: 0 for i in party_ids}
        for sub_ids in grouped_slice(list(party_ids),
                backend.MAX_QUERY_PARAMS):
            cursor.execute(*move.select(move.party, Sum(move.amount),
                    where=sql_in(move.party, list(sub_ids)),
                    group_by=move.party))
            for party_id, total in cursor:
                result[party_id] = int(total or 0)
        return result

    @classmethod
    def credit(cls, party, amount, reason='deposit', order=None,
            payment=None, note=None):
        "Adds `amount` Rials to the wallet of `party`."
        amount = int(amount)
        if amount <= 0:
            return None
        with without_check_access():
            move, = cls.create([{
                        'party': party.id, 'amount': amount, 'reason': reason,
                        'order': order.id if order else None,
                        'payment': payment, 'note': note}])
        return move

    @classmethod
    def debit(cls, party, amount, reason='purchase', order=None,
            payment=None, note=None):
        """Takes `amount` Rials from the wallet of `party`: locks the party
        row first so that two purchases cannot spend the same credit, and
        refuses to go below zero (InsufficientWallet)."""
        pool = Pool()
        Party = pool.get('party.party')
        amount = int(amount)
        if amount <= 0:
            return None
        Party.lock([party])
        balance = cls.balances([party.id])[party.id]
        if balance < amount:
            raise InsufficientWallet(gettext(
                    'partak_services.msg_wallet_insufficient',
                    party=party.rec_name, balance=balance, amount=amount))
        with without_check_access():
            move, = cls.create([{
                        'party': party.id, 'amount': -amount,
                        'reason': reason,
                        'order': order.id if order else None,
                        'payment': payment, 'note': note}])
        return move


    @classmethod
    def manual_credit(cls, party, amount, reason):
        """Staff: credits ``amount`` Rials (a discount, a goodwill gesture,
        money received outside the banks) to the wallet of ``party`` with
        ``reason`` (required), as an 'adjustment'.  The move records who
        (create_uid), when (date) and why (note).  Returns the move."""
        reason = (reason or '').strip()
        if not reason:
            raise ValidationError(gettext(
                    'partak_services.msg_wallet_credit_reason'))
        if isinstance(amount, bool) or not isinstance(amount, int) \
                or amount <= 0:
            raise ValidationError(gettext(
                    'partak_services.msg_wallet_credit_amount'))
        return cls.credit(party, amount, reason='adjustment', note=reason)


class CreditStart(ModelView):
    "Credit Wallet"
    __name__ = 'partak.wallet.credit.start'
    party = fields.Many2One('party.party', "Subscriber", readonly=True)
    balance = fields.Integer("Balance (Rial)", readonly=True)
    amount = fields.Integer("Amount (Rial)", required=True,
        domain=[('amount', '>', 0)])
    reason = fields.Text("Reason", required=True,
        help="Why the credit is given (a discount, money received at the "
        "counter, ...); kept on the wallet move with your name.")


class Credit(Wizard):
    """Credit Wallet (افزایش اعتبار پنل): administration or accounting give
    a subscriber panel credit by hand, with a reason.  A staff discount is
    such a credit, given before the order is quoted."""
    __name__ = 'partak.wallet.credit'
    start = StateView('partak.wallet.credit.start',
        'partak_services.wallet_credit_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Credit", 'credit', 'tryton-ok', default=True),
            ])
    credit = StateTransition()

    def default_start(self, fields):
        return {
            'party': self.record.id,
            'balance': self.record.wallet_balance,
            }

    def transition_credit(self):
        WalletMove = Pool().get('partak.wallet.move')
        WalletMove.manual_credit(self.record, self.start.amount,
            self.start.reason)
        return 'end'


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'
    wallet_balance = fields.Function(fields.Integer("Wallet Balance (Rial)"),
        'get_wallet_balance')
    wallet_moves = fields.One2Many('partak.wallet.move', 'party',
        "Wallet Moves", readonly=True)

    @classmethod
    def get_wallet_balance(cls, parties, name):
        WalletMove = Pool().get('partak.wallet.move')
        return WalletMove.balances([p.id for p in parties])

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('wallet_moves')
        return super().copy(parties, default=default)
