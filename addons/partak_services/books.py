# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Partak's entries in Tryton's books (docs/accounting.md): settling an
order's invoice with the receivable lines that pay it (the bank's payment
today; the wallet's moves once they are booked, entry 2)."""
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access


def reconcile_invoice(invoice, lines):
    """Adds the receivable `lines` (wallet moves, payments) to the payment
    lines of the posted `invoice` and reconciles when nothing is left to
    pay: Tryton then marks the invoice paid."""
    pool = Pool()
    Invoice = pool.get('account.invoice')
    MoveLine = pool.get('account.move.line')
    with Transaction().set_context(company=invoice.company.id), \
            without_check_access():
        invoice = Invoice(invoice.id)
        new = [l for l in lines if l not in invoice.payment_lines
            and l not in invoice.lines_to_pay]
        if new and invoice.state == 'posted':
            Invoice.add_payment_lines({invoice: new})
            invoice = Invoice(invoice.id)
        if invoice.state == 'posted' and invoice.currency.is_zero(
                invoice.amount_to_pay):
            MoveLine.reconcile(list(invoice.lines_to_pay)
                + [l for l in invoice.payment_lines if not l.reconciliation])
            # Tryton queues this after a reconciliation: the payer's page,
            # in this transaction, already shows the invoice paid.
            Invoice.process([invoice])
        return Invoice(invoice.id)
