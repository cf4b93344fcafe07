# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Revenue over the term (docs/accounting.md §8) on Tryton's
account_invoice_defer: a plan's invoice line carries the days of its
service (defer_from, defer_to); posting it drafts a deferral, which
Order.run_deferrals runs: the price to 2.4, then a move per Jalali month
from 2.4 to revenue, by days."""
from trytond.pool import Pool, PoolMeta

from .fiscal import ensure_fiscalyear
from .tools import company_context


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

    @classmethod
    def recognise_months(cls):
        """Cron (daily): the Jalali year of today opened if need be, then
        the monthly moves of the running deferrals for the months that
        have a period, and the deferrals that ran out closed — what
        Tryton's «Create Invoice Deferred Moves» does by hand, so that a
        term running into a new year is recognised there too."""
        Date = Pool().get('ir.date')
        with company_context() as company:
            if not company:
                return
            ensure_fiscalyear(company, Date.today())
            running = cls.search([
                    ('company', '=', company.id),
                    ('state', '=', 'running'),
                    ])
            cls.create_moves(running)
            cls.close_try(running)
