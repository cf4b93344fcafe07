# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Bank payments in the books (docs/accounting.md, entry 1): a payment the
bank verified pays its order's invoice through the gateway's invoice
payment method (Tryton's ``Invoice.pay_invoice``): debit the clearing
account 1.3, credit the subscriber's receivable; the receivable lines are
reconciled when nothing is left to pay, which makes the invoice paid.

The bank's settlement (reconcile.py, entry 9) credits 1.3 in the statement
of the settlement file and reconciles that line with the payment's debit
on 1.3 (clearing_line)."""
import logging

from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access
from trytond.modules.partak_services import books
from trytond.modules.partak_services.order import MONEY_KINDS
from trytond.modules.partak_services.tools import company_context

logger = logging.getLogger(__name__)

CLEARING_CODE = '1.3'
JOURNAL_NAME = 'درگاه‌های پرداخت بانکی'
METHOD_NAME = 'پرداخت اینترنتی (درگاه بانکی)'


def clearing_account(company):
    """The clearing account 1.3 of ``company`` (money a gateway confirmed
    and the bank has not yet settled), None when its chart has none."""
    return books.account_by_code(company, CLEARING_CODE)


def clearing_line(payment):
    """The debit line on the clearing account of the entry of ``payment``
    (book or book_credit): the line that the bank's settlement clears.
    None when the payment is not in the books."""
    if not payment.move:
        return None
    account = clearing_account(payment.company)
    with without_check_access():
        for line in payment.move.lines:
            if line.account == account and line.debit > 0:
                return line
    return None


def fee_account(company):
    """The account of the bank's fees: the company's default expense
    account (5.1, as a staff credit of the wallet), None when unset."""
    Configuration = Pool().get('account.configuration')
    with Transaction().set_context(company=company.id), \
            without_check_access():
        return Configuration(1).get_multivalue(
            'default_category_account_expense', company=company.id)


def setup_payment_method(company):
    """Idempotent: the cash journal of the bank gateways and the invoice
    payment method on the clearing account 1.3 of ``company``; None when
    the company's chart has no account 1.3 (no accounting set up)."""
    pool = Pool()
    Journal = pool.get('account.journal')
    Method = pool.get('account.invoice.payment.method')
    with Transaction().set_context(company=company.id), \
            without_check_access():
        clearing = clearing_account(company)
        if not clearing:
            return None
        methods = Method.search([
                ('company', '=', company.id),
                ('debit_account', '=', clearing.id),
                ], limit=1)
        if methods:
            return methods[0]
        journals = Journal.search([('name', '=', JOURNAL_NAME)], limit=1)
        if journals:
            journal, = journals
        else:
            journal, = Journal.create([{
                        'name': JOURNAL_NAME,
                        'code': 'BANKGW',
                        'type': 'cash',
                        }])
        method, = Method.create([{
                    'company': company.id,
                    'name': METHOD_NAME,
                    'journal': journal.id,
                    'debit_account': clearing.id,
                    'credit_account': clearing.id,
                    }])
        return method


def book(payment, order):
    """Books the verified ``payment`` of the applied ``order``: pays the
    order's posted invoice with the gateway's payment method (Dr 1.3 /
    Cr 1.2) and settles the order's receivable (Order.reconcile_books):
    with the wallet's part and a change's credit note the invoice becomes
    paid.  Left for the accountant (a warning in the log) when the order
    has no invoice or the gateway no payment method: the money is then
    only in the payment's record."""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    Order = pool.get('partak.order')
    Date = pool.get('ir.date')
    if payment.move:
        return payment.move
    if order.kind in MONEY_KINDS:
        return _book_money(payment, order)
    invoice = order.invoice
    method = payment.gateway.payment_method
    if not invoice or invoice.state != 'posted' or not method:
        logger.warning("payment %s not booked: %s", payment.id,
            'no payment method on the gateway' if invoice and not method
            else 'no posted invoice')
        return None
    with Transaction().set_context(company=invoice.company.id), \
            without_check_access():
        invoice = Invoice(invoice.id)
        lines = invoice.pay_invoice(payment.amount, method, Date.today(),
            description=payment.reference)
        payment.move = lines[0].move
        payment.save()
        Order.reconcile_books([order])
        return payment.move


def _book_money(payment, order):
    """A top-up or a payment of bills: no invoice of its own, so the
    bank's entry Dr 1.3 / Cr 1.2 is posted as it is and reconciled with the
    wallet's credit (a top-up) or the bills and the wallet's part
    (Order.reconcile_books)."""
    pool = Pool()
    Order = pool.get('partak.order')
    Date = pool.get('ir.date')
    method = payment.gateway.payment_method
    with company_context(order.company) as company, without_check_access():
        if not method or not company:
            logger.warning("payment %s not booked: no payment method on "
                "the gateway", payment.id)
            return None
        payment.move = books.post_received(company, method, payment.party,
            payment.amount, Date.today(), origin=payment,
            description=payment.reference)
        payment.save()
        Order.reconcile_books([order])
        return payment.move


def book_credit(payment):
    """Books a verified ``payment`` whose money went to the wallet (the
    order could not be applied): Dr 1.3 clearing / Cr 1.2 receivable,
    reconciled with the wallet credit's Dr 1.2 (WalletMove.book), so the
    money ends on the deposit account 2.3.  None when the books or the
    gateway's payment method are missing."""
    pool = Pool()
    WalletMove = pool.get('partak.wallet.move')
    Date = pool.get('ir.date')
    if payment.move:
        return payment.move
    method = payment.gateway.payment_method
    with company_context() as company, without_check_access():
        credits = WalletMove.search([
                ('party', '=', payment.party.id),
                ('reason', '=', 'payment'),
                ('payment', '=', payment.reference),
                ('move', '!=', None),
                ])
        if not method or not credits or not company:
            logger.warning("credited payment %s not booked", payment.id)
            return None
        move = books.post_received(company, method, payment.party,
            payment.amount, Date.today(), origin=payment,
            description=payment.reference)
        books.reconcile_lines(books.receivable_lines([move], payment.party)
            + [l for c in credits for l in c.receivable_lines()])
        payment.move = move
        payment.save()
        return move


class Order(metaclass=PoolMeta):
    __name__ = 'partak.order'

    def receivable_lines(self):
        "And the bank's: the entries of the order's verified payments."
        Payment = Pool().get('partak.payment')
        lines = super().receivable_lines()
        with without_check_access():
            payments = Payment.search([
                    ('order', '=', self.id),
                    ('move', '!=', None),
                    ])
        return lines + books.receivable_lines(
            [p.move for p in payments], self.party)


class Move(metaclass=PoolMeta):
    __name__ = 'account.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['partak.payment']
