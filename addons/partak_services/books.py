# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Partak's entries in Tryton's books (docs/accounting.md): the wallet's
deposit account and journal, posting a balanced entry, and settling an
order's receivable (its invoice, its credit note, the wallet and the bank
lines that pay them) by reconciliation."""
from decimal import Decimal

from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

WALLET_JOURNAL_CODE = 'WALLET'
WALLET_JOURNAL_NAME = 'اعتبار پنل مشترکین'


def wallet_account(company):
    """The company's deposit account of the wallets (2.3, an account of a
    type marked Deposit by account_deposit), or None when its books are not
    set up: the wallets are then only the statement of their moves."""
    Account = Pool().get('account.account')
    if not company:
        return None
    with without_check_access():
        accounts = Account.search([
                ('company', '=', company.id),
                ('type.deposit', '=', True),
                ('party_required', '=', True),
                ('closed', '=', False),
                ], order=[('code', 'ASC'), ('id', 'ASC')], limit=1)
    return accounts[0] if accounts else None


#: the chart's opening balances account (account_chart_fa.xml)
OPENING_CODE = '3.2'


def account_by_code(company, code):
    """The open account `code` of the chart of `company` (Partak's chart,
    account_chart_fa.xml), None when it has none."""
    Account = Pool().get('account.account')
    if not company:
        return None
    with without_check_access():
        accounts = Account.search([
                ('company', '=', company.id),
                ('code', '=', code),
                ('closed', '=', False),
                ], limit=1)
    return accounts[0] if accounts else None


def opening_account(company):
    """The account of the balances brought over from the system before
    (3.2, equity), None when the chart of `company` has none."""
    return account_by_code(company, OPENING_CODE)


def wallet_journal():
    "The general journal «اعتبار پنل مشترکین» (created on first use)."
    Journal = Pool().get('account.journal')
    with without_check_access():
        journals = Journal.search([('code', '=', WALLET_JOURNAL_CODE)],
            limit=1)
        if journals:
            return journals[0]
        journal, = Journal.create([{
                    'name': WALLET_JOURNAL_NAME,
                    'code': WALLET_JOURNAL_CODE,
                    'type': 'general',
                    }])
        return journal


#: the chart's cash and bank account (account_chart_fa.xml)
CASH_CODE = '1.1'
#: (journal code, journal name, method name) of the money received outside
#: the gateways: at the counter, or in the system before (imported)
COUNTER = ('COUNTER', 'صندوق فروش حضوری', 'وجه نقد (فروش حضوری)')
IMPORTED = ('IMPORT', 'انتقال از سیستم قبلی', 'پرداخت‌شده در سیستم قبلی')


def cash_method(company, kind):
    """The invoice payment method of money received outside the gateways,
    `kind` COUNTER (a sale paid at the counter, Order.mark_paid) or
    IMPORTED (a purchase paid in the previous system): its cash journal on
    the cash and bank account 1.1, created on first use; None when the
    chart of `company` has no account 1.1."""
    pool = Pool()
    Journal = pool.get('account.journal')
    Method = pool.get('account.invoice.payment.method')
    code, journal_name, method_name = kind
    with Transaction().set_context(company=company.id), \
            without_check_access():
        cash = account_by_code(company, CASH_CODE)
        if not cash:
            return None
        journals = Journal.search([('code', '=', code)], limit=1)
        if journals:
            journal, = journals
        else:
            journal, = Journal.create([{
                        'name': journal_name,
                        'code': code,
                        'type': 'cash',
                        }])
        methods = Method.search([
                ('company', '=', company.id),
                ('journal', '=', journal.id),
                ('debit_account', '=', cash.id),
                ], limit=1)
        if methods:
            return methods[0]
        method, = Method.create([{
                    'company': company.id,
                    'name': method_name,
                    'journal': journal.id,
                    'debit_account': cash.id,
                    'credit_account': cash.id,
                    }])
        return method


def post_move(company, journal, date, lines, origin=None, description=None):
    """Creates and posts an entry of `lines`, each a dict (account, party,
    amount: + debit, − credit, description) whose amounts sum to zero.
    Returns the move."""
    pool = Pool()
    Move = pool.get('account.move')
    Period = pool.get('account.period')
    assert sum(l['amount'] for l in lines) == 0, lines
    with Transaction().set_context(company=company.id), \
            without_check_access():
        period = Period.find(company, date=date)
        move, = Move.create([{
                    'company': company.id,
                    'journal': journal.id,
                    'period': period,
                    'date': date,
                    'origin': str(origin) if origin else None,
                    'description': description,
                    'lines': [('create', [{
                                    'account': l['account'].id,
                                    # Tryton refuses a party on an account
                                    # that requires none (expense, bank).
                                    'party': (l['party'].id
                                        if l.get('party')
                                        and l['account'].party_required
                                        else None),
                                    'debit': Decimal(max(l['amount'], 0)),
                                    'credit': Decimal(max(-l['amount'], 0)),
                                    'description': l.get('description'),
                                    } for l in lines])],
                    }])
        Move.post([move])
        return move


def post_received(company, method, party, amount, date, origin=None,
        description=None):
    """Posts money received for `party` that pays no invoice of its own (a
    top-up, bills, a payment credited to the wallet): Dr the debit account
    of the payment `method` (1.1 at the counter, 1.3 at a gateway) / Cr the
    subscriber's receivable, in the method's journal.  The caller
    reconciles the receivable line with what the money pays."""
    return post_move(company, method.journal, date, [{
                'account': method.debit_account.current(),
                'amount': amount,
                'description': description,
                }, {
                'account': party.account_receivable_used, 'party': party,
                'amount': -amount,
                'description': description,
                }], origin=origin, description=description)


def receivable_lines(moves, party):
    "The lines of `moves` on the receivable account of `party`."
    account = party.account_receivable_used
    return [l for m in moves if m for l in m.lines
        if l.account == account and l.party == party]


def settle_receivable(invoices, lines):
    """Reconciles the receivable of an operation when it nets to zero: the
    lines to pay of `invoices` (an invoice, its credit note) with the other
    receivable `lines` (the wallet's, the bank's).  The credit lines that
    pay an invoice are added to its payment lines first, while they do not
    pay it more than its total, so that the invoice shows what is left to
    pay.  Tryton then marks the reconciled invoices paid.  Returns True when
    reconciled."""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    MoveLine = pool.get('account.move.line')
    invoices = [i for i in invoices if i and i.state in {'posted', 'paid'}]
    if not invoices:
        return False
    company = invoices[0].company
    with Transaction().set_context(company=company.id), \
            without_check_access():
        invoices = Invoice.browse(invoices)
        to_pay = [l for i in invoices for l in i.lines_to_pay]
        lines = [l for l in MoveLine.browse(lines) if l not in to_pay]
        for invoice in invoices:
            if invoice.state != 'posted' or invoice.total_amount <= 0:
                continue
            left = invoice.amount_to_pay
            new = []
            # A credit note's line pays the invoice as well (Tryton's own
            # "credit with refund" reconciles them together).
            others = [l for i in invoices if i != invoice
                for l in i.lines_to_pay]
            for line in others + lines:
                if (line.credit and not line.debit
                        and not line.reconciliation
                        and line not in invoice.payment_lines
                        and getattr(line, 'invoice_payment', None) is None
                        and line.credit <= left):
                    new.append(line)
                    left -= line.credit
            if new:
                Invoice.add_payment_lines({invoice: new})
        invoices = Invoice.browse(invoices)
        lines = MoveLine.browse(lines)
        every = to_pay + lines
        open_lines = [l for l in every if not l.reconciliation]
        if (not open_lines or len(open_lines) != len(every)
                or sum(l.debit - l.credit for l in open_lines) != 0):
            return False
        MoveLine.reconcile(open_lines)
        # Tryton queues this after a reconciliation: the payer's page, in
        # this transaction, already shows the invoices paid.
        Invoice.process(list(invoices))
        return True


def reconcile_lines(lines):
    """Reconciles the open `lines` (one account, one party) when they net
    to zero; returns True when it did."""
    MoveLine = Pool().get('account.move.line')
    with without_check_access():
        lines = [l for l in MoveLine.browse(lines) if not l.reconciliation]
        if not lines or sum(l.debit - l.credit for l in lines) != 0:
            return False
        MoveLine.reconcile(lines)
        return True
