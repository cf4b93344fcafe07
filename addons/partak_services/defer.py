# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Revenue over the term (docs/accounting.md §8) on Tryton's
account_invoice_defer: a plan's invoice line carries the days of its
service (defer_from, defer_to); posting it drafts a deferral, which
Order.run_deferrals runs: the price to 2.4, then a move per Jalali month
from 2.4 to revenue, by days."""
from trytond.pool import PoolMeta


class InvoiceDeferred(metaclass=PoolMeta):
    __name__ = 'account.invoice.deferred'

    @property
    def amount_remainder(self):
        # account_invoice_defer 8.0 subtracts the remainder (the balance
        # left on the revenue account) from the lines of the last move.
        # That corrects a supplier deferral, whose last move debits the
        # expense, but doubles the error of a customer one, whose last move
        # credits the revenue: 8,000,000 spread over 365 days left 4 Rials
        # on 2.4 instead of none.  The sign is turned for the deferrals
        # whose last move credits the account (customer, positive amount;
        # supplier, negative), so that every Rial is recognised by the end.
        remainder = super().amount_remainder
        if (self.type == 'out') == (self.amount >= 0):
            return -remainder
        return remainder
