# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Jalali fiscal years (1 Farvardin to 29 or 30 Esfand), one period per
Jalali month, created on demand for any date an entry touches.

    ensure_fiscalyear(company, date) -> account.fiscalyear
    jalali_year(date) -> (year, first day, last day)
    jalali_season(date) -> (year, season 1..4, first day, last day)

Tryton 8.0 has no grouping of periods: the tax code report ("Over
Periods") and the general ledger take a start and an end period, or dates.
A VAT season is the periods of its three months, from its first day to its
last.
"""
import datetime

import jdatetime

from trytond.modules.account.exceptions import PeriodNotFoundError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .tools import JALALI_MONTHS

DAY = datetime.timedelta(days=1)


def _first_day(year, month=1):
    "The Gregorian date of 1 `month` of Jalali `year` (month 13 is next 1)."
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return jdatetime.date(year, month, 1).togregorian()


def jalali_year(date):
    "(year, first day, last day) of the Jalali year of date."
    year = jdatetime.date.fromgregorian(date=date).year
    return year, _first_day(year), _first_day(year + 1) - DAY


def jalali_season(date):
    """(year, season, first day, last day) of the Jalali season of date, the
    quarter of the VAT returns: 1 is Farvardin to Khordad, 4 Dey to
    Esfand."""
    jdate = jdatetime.date.fromgregorian(date=date)
    season = (jdate.month - 1) // 3 + 1
    month = 3 * season - 2
    return (jdate.year, season, _first_day(jdate.year, month),
        _first_day(jdate.year, month + 3) - DAY)


def is_jalali(fiscalyear):
    "Whether fiscalyear runs from 1 Farvardin to the last day of Esfand."
    _, first, last = jalali_year(fiscalyear.start_date)
    return (fiscalyear.start_date, fiscalyear.end_date) == (first, last)


def _covering(company, date):
    FiscalYear = Pool().get('account.fiscalyear')
    fiscalyears = FiscalYear.search([
            ('company', '=', int(company)),
            ('start_date', '<=', date),
            ('end_date', '>=', date),
            ], limit=1)
    return fiscalyears[0] if fiscalyears else None


def ensure_fiscalyear(company, date):
    """The fiscal year of company covering date (in whatever state it is),
    or else the Jalali year of date created open, with its move and invoice
    sequences and its 12 monthly periods.

    Creating takes the lock of the fiscal year table: trytond restarts the
    transaction (TransactionError) to take it first."""
    FiscalYear = Pool().get('account.fiscalyear')
    with without_check_access():
        fiscalyear = _covering(company, date)
        if not fiscalyear:
            # Two transactions may miss the same year: the lock serialises
            # them and the second then finds the year the first committed.
            FiscalYear.lock()
            fiscalyear = (_covering(company, date)
                or _create_fiscalyear(company, date))
    return fiscalyear


def _create_fiscalyear(company, date):
    pool = Pool()
    FiscalYear = pool.get('account.fiscalyear')
    Period = pool.get('account.period')
    SequenceStrict = pool.get('ir.sequence.strict')
    ModelData = pool.get('ir.model.data')
    year, start, end = jalali_year(date)
    move_sequence, invoice_sequence = SequenceStrict.create([{
                'name': 'اسناد حسابداری %d' % year,
                'sequence_type': ModelData.get_id(
                    'account', 'sequence_type_account_move'),
                'company': int(company),
                }, {
                'name': 'فاکتورها %d' % year,
                'sequence_type': ModelData.get_id(
                    'account_invoice', 'sequence_type_account_invoice'),
                'company': int(company),
                'prefix': '%d-' % year,
                }])
    fiscalyear, = FiscalYear.create([{
                'name': 'سال مالی %d' % year,
                'start_date': start,
                'end_date': end,
                'company': int(company),
                'move_sequence': move_sequence.id,
                'invoice_sequences': [('create', [{
                                'company': int(company),
                                'out_invoice_sequence': invoice_sequence.id,
                                'out_credit_note_sequence':
                                invoice_sequence.id,
                                'in_invoice_sequence': invoice_sequence.id,
                                'in_credit_note_sequence':
                                invoice_sequence.id,
                                }])],
                }])
    Period.create([{
                'name': '%s %d' % (JALALI_MONTHS[month - 1], year),
                'start_date': _first_day(year, month),
                'end_date': _first_day(year, month + 1) - DAY,
                'fiscalyear': fiscalyear.id,
                'type': 'standard',
                } for month in range(1, 13)])
    return fiscalyear


class Period(metaclass=PoolMeta):
    __name__ = 'account.period'

    @classmethod
    def find(cls, company, date=None, test_state=True):
        """When no period is found, creates the Jalali fiscal year of date
        (ensure_fiscalyear) and searches again, if:

        - the company has a Jalali fiscal year already (setup_accounting
          made it), so its years are Jalali and never overlap;
        - none of its fiscal years covers date (a year without a period
          there, or closed, was made so by hand: Tryton's error stays);
        - none of its closed years ends after date (Tryton keeps no open
          year before a closed one);
        - the transaction may write (defaults and on_change are read-only:
          the year is made when the entry is saved)."""
        try:
            return super().find(company, date=date, test_state=test_state)
        except PeriodNotFoundError:
            if not cls._add_jalali_fiscalyear(company, date):
                raise
        return super().find(company, date=date, test_state=test_state)

    @classmethod
    def _add_jalali_fiscalyear(cls, company, date):
        pool = Pool()
        FiscalYear = pool.get('account.fiscalyear')
        Company = pool.get('company.company')
        Date = pool.get('ir.date')
        transaction = Transaction()
        if company is None or transaction.readonly:
            return False
        company = Company(int(company))
        if not date:
            with transaction.set_context(company=company.id):
                date = Date.today()
        with without_check_access():
            fiscalyears = FiscalYear.search([('company', '=', company.id)])
        if not any(map(is_jalali, fiscalyears)):
            return False
        for fiscalyear in fiscalyears:
            if fiscalyear.end_date >= date and (
                    fiscalyear.start_date <= date
                    or fiscalyear.state != 'open'):
                return False
        ensure_fiscalyear(company, date)
        return True
