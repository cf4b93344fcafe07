# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The wallet (panel credit, «اعتبار پنل»): a customer deposit in the books
(docs/accounting.md).  Each move of the subscriber's statement posts its
entry on the deposit account 2.3 (account_deposit) against the receivable
or, for a staff credit, the expense account; the balance is read from the
deposit account's lines (from the statement while the company has no
books).  A debit locks the party row and never goes below zero."""
from sql import Null
from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond import backend
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import books
from .ledger import check_audit
from .tools import company_context, local_date, now, sql_in

WALLET_REASONS = [
    ('purchase', "Purchase"),
    ('surplus', "Surplus of a Change of Service"),
    ('payment', "Payment Not Applied"),
    ('refund', "Refund"),
    ('deposit', "Deposit"),
    ('adjustment', "Adjustment"),
    ('opening', "Opening Balance"),
    ('cash', "Cash at the Counter"),
    ('topup', "Top-up at the Bank"),
    ('payout', "Paid Out to the Subscriber"),
    ]
#: the credits staff give by hand (the Credit Wallet wizard)
MANUAL_KINDS = [
    ('adjustment', "Discount or Goodwill (an expense)"),
    ('cash', "Money Received at the Counter"),
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
    move = fields.Many2One('account.move', "Account Move", readonly=True,
        ondelete='RESTRICT',
        help="The entry of this move on the deposit account (empty while "
        "the company has no books).")

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
        """{party id: balance} summed in SQL: credit − debit of the parties'
        open lines on the deposit account, or the sum of the statement
        while the company has no books."""
        pool = Pool()
        MoveLine = pool.get('account.move.line')
        cursor = Transaction().connection.cursor()
        result = {i: 0 for i in party_ids}
        with company_context() as company:
            account = books.wallet_account(company)
        if account:
            table = MoveLine.__table__()
            total = Sum(Coalesce(table.credit, 0) - Coalesce(table.debit, 0))
            party = table.party
            where = ((table.account == account.id)
                & (table.reconciliation == Null))
        else:
            table = cls.__table__()
            total = Sum(table.amount)
            party = table.party
            where = None
        for sub_ids in grouped_slice(list(party_ids),
                backend.MAX_QUERY_PARAMS):
            clause = sql_in(party, list(sub_ids))
            if where is not None:
                clause &= where
            cursor.execute(*table.select(party, total,
                    where=clause, group_by=party))
            for party_id, amount in cursor:
                result[party_id] = int(amount or 0)
        return result

    def get_counterpart_account(self):
        """The account that the wallet's deposit line is booked against:
        the expense account for a staff credit (a gift or a discount costs
        the ISP), cash and bank for money received at the counter, the
        opening balance account for a balance brought over from the
        previous system, else the subscriber's receivable — money received or
        owed on the subscriber's account (a payment, a surplus, a refund)
        or the invoice that a purchase pays."""
        Configuration = Pool().get('account.configuration')
        if self.reason == 'adjustment':
            return Configuration(1).get_multivalue(
                'default_category_account_expense')
        if self.reason in {'cash', 'payout'}:
            # Money staff took in person is in the till (1.1); money paid
            # back to the subscriber's bank account leaves it.
            with company_context() as company:
                return books.account_by_code(company, books.CASH_CODE)
        if self.reason == 'opening':
            # A balance brought over from the system before (کانورت اطلاعات
            # اولیه): neither received now nor owed, it opens the books.
            with company_context() as company:
                return books.opening_account(company)
        return self.party.account_receivable_used

    @classmethod
    def book(cls, moves):
        """Posts the entry of each move without one, when the company has
        books: Cr (a credit) or Dr (a debit) the deposit account for the
        subscriber against get_counterpart_account.  Idempotent."""
        with company_context() as company:
            account = books.wallet_account(company)
            if not account:
                return
            journal = books.wallet_journal()
            for move in cls.browse(moves):
                if move.move:
                    continue
                description = move.note or move.reason_string
                entry = books.post_move(company, journal,
                    local_date(move.date), [{
                            'account': account, 'party': move.party,
                            'amount': -move.amount,
                            'description': description,
                            }, {
                            'account': move.get_counterpart_account(),
                            'party': move.party,
                            'amount': move.amount,
                            'description': description,
                            }], origin=move, description=description)
                cls.write([move], {'move': entry.id})

    @classmethod
    def book_pending(cls):
        """Posts the moves written while the company had no books (called
        when its accounting is set up), so that the deposit account holds
        every wallet."""
        with without_check_access():
            cls.book(cls.search([('move', '=', None)],
                    order=[('id', 'ASC')]))

    def receivable_lines(self):
        "The line of this move's entry on the subscriber's receivable."
        return books.receivable_lines([self.move], self.party)

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
            cls.book([move])
        return cls(move.id)

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
            cls.book([move])
        return cls(move.id)


    @classmethod
    def manual_credit(cls, party, amount, reason, kind='adjustment'):
        """Staff: credits ``amount`` Rials to the wallet of ``party`` with
        ``reason`` (required): `kind` 'adjustment' (a discount, a goodwill
        gesture: the ISP's expense, Dr 5.1) or 'cash' (money received at
        the counter: Dr 1.1).  The move records who (create_uid), when
        (date) and why (note).  Returns the move."""
        if kind not in dict(MANUAL_KINDS):
            raise ValidationError(gettext(
                    'partak_services.msg_wallet_credit_kind'))
        reason = (reason or '').strip()
        if not reason:
            raise ValidationError(gettext(
                    'partak_services.msg_wallet_credit_reason'))
        if isinstance(amount, bool) or not isinstance(amount, int) \
                or amount <= 0:
            raise ValidationError(gettext(
                    'partak_services.msg_wallet_credit_amount'))
        return cls.credit(party, amount, reason=kind, note=reason)


    @classmethod
    def payout(cls, party, amount, reference, note=None):
        """Accounting: pays ``amount`` Rials of the wallet of ``party`` back
        to the subscriber (a transfer to their bank account, reference
        ``reference`` required): Dr 2.3 wallet / Cr 1.1 cash and bank, never
        below zero (InsufficientWallet).  Returns the move."""
        reference = (reference or '').strip()
        if not reference:
            raise ValidationError(gettext(
                    'partak_services.msg_wallet_payout_reference'))
        if isinstance(amount, bool) or not isinstance(amount, int) \
                or amount <= 0:
            raise ValidationError(gettext(
                    'partak_services.msg_wallet_credit_amount'))
        note = gettext('partak_services.msg_wallet_note_payout',
            reference=reference) + (
            ' — ' + note.strip() if note and note.strip() else '')
        return cls.debit(party, amount, reason='payout', payment=reference,
            note=note[:250])


class PayoutStart(ModelView):
    "Pay Out Wallet"
    __name__ = 'partak.wallet.payout.start'
    party = fields.Many2One('party.party', "Subscriber", readonly=True)
    balance = fields.Integer("Balance (Rial)", readonly=True)
    amount = fields.Integer("Amount (Rial)", required=True,
        domain=[('amount', '>', 0), ('amount', '<=', Eval('balance', 0))])
    reference = fields.Char("Transfer Reference", required=True,
        help="The reference of the bank transfer to the subscriber's "
        "account (e.g. the Paya or Satna tracking number).")
    iban = fields.Char("Subscriber's IBAN (Sheba)",
        help="The account the money was sent to, kept in the note.")
    note = fields.Char("Note")


class Payout(Wizard):
    """Pay Out Wallet (بازپرداخت اعتبار پنل): accounting pays a
    subscriber's panel credit back to their bank account."""
    __name__ = 'partak.wallet.payout'
    start = StateView('partak.wallet.payout.start',
        'partak_services.wallet_payout_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Pay Out", 'payout', 'tryton-ok', default=True),
            ])
    payout = StateTransition()

    def default_start(self, fields):
        return {
            'party': self.record.id,
            'balance': self.record.wallet_balance,
            }

    def transition_payout(self):
        WalletMove = Pool().get('partak.wallet.move')
        note = ' '.join(filter(None, [
                    ('IBAN ' + self.start.iban.strip())
                    if self.start.iban and self.start.iban.strip() else None,
                    self.start.note]))
        WalletMove.payout(self.record, self.start.amount,
            self.start.reference, note=note)
        return 'end'


class CreditStart(ModelView):
    "Credit Wallet"
    __name__ = 'partak.wallet.credit.start'
    party = fields.Many2One('party.party', "Subscriber", readonly=True)
    balance = fields.Integer("Balance (Rial)", readonly=True)
    amount = fields.Integer("Amount (Rial)", required=True,
        domain=[('amount', '>', 0)])
    kind = fields.Selection(MANUAL_KINDS, "Kind", required=True,
        help="A discount or a goodwill gesture is the ISP's expense; money "
        "received at the counter goes to cash and bank.")
    reason = fields.Text("Reason", required=True,
        help="Why the credit is given (a discount, money received at the "
        "counter, ...); kept on the wallet move with your name.")

    @staticmethod
    def default_kind():
        return 'adjustment'


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
            self.start.reason, kind=self.start.kind)
        return 'end'


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['partak.wallet.move', 'partak.order']


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
