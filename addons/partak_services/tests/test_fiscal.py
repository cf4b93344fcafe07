# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Jalali fiscal years created for the dates entries touch, and the VAT
seasons.  Expected dates come from scanning the days with jdatetime, or are
written out from the calendar, never from the module's arithmetic."""
import datetime
import threading
import time
import unittest
from collections import defaultdict
from decimal import Decimal

import jdatetime

from trytond import backend
from trytond.modules.account.exceptions import PeriodNotFoundError
from trytond.modules.account.tests.test_module import get_fiscalyear
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.partak_services.fiscal import (
    ensure_fiscalyear, jalali_season)
from trytond.modules.partak_services.setup import (
    create_demo_catalogue, run_in_transaction, setup_accounting)
from trytond.modules.partak_services.tools import JALALI_MONTHS
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction, TransactionError

MODULE = 'partak_services'
DAY = datetime.timedelta(days=1)
# 10 Mordad 1394
OLD_DATE = datetime.date(2015, 8, 1)


def jalali_calendar(year):
    """{month: (first day, last day)} of Jalali year, found by converting
    each Gregorian day of the two years around it."""
    months = defaultdict(list)
    day = datetime.date(year + 621, 1, 1)
    while day.year <= year + 622:
        jday = jdatetime.date.fromgregorian(date=day)
        if jday.year == year:
            months[jday.month].append(day)
        day += DAY
    return {m: (min(days), max(days)) for m, days in months.items()}


class FiscalTestCase(TestCase):
    "Jalali fiscal years on demand"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(MODULE)
        # One committed company with the fiscal year of today only.
        cls.company_id = run_in_transaction(DB_NAME, cls.create_fixture)

    @staticmethod
    def create_fixture():
        pool = Pool()
        Currency = pool.get('currency.currency')
        irr, = Currency.create([{'name': 'Rial', 'code': 'IRR',
                    'symbol': 'IRR', 'digits': 0, 'rounding': Decimal(1)}])
        company = create_company('Partak ISP', currency=irr)
        setup_accounting(company)
        create_demo_catalogue(company)
        return company.id

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def company(self):
        return Pool().get('company.company')(self.company_id)

    def fiscalyears(self, date, company=None):
        FiscalYear = Pool().get('account.fiscalyear')
        return FiscalYear.search([
                ('company', '=', company or self.company_id),
                ('start_date', '<=', date),
                ('end_date', '>=', date),
                ])

    def assertJalaliYear(self, fiscalyear, year):
        calendar = jalali_calendar(year)
        self.assertEqual(fiscalyear.start_date, calendar[1][0])
        self.assertEqual(fiscalyear.end_date, calendar[12][1])
        self.assertEqual(fiscalyear.state, 'open')
        self.assertEqual(
            [(p.name, p.start_date, p.end_date, p.type)
                for p in sorted(fiscalyear.periods,
                    key=lambda p: p.start_date)],
            [('%s %d' % (JALALI_MONTHS[m - 1], year), *calendar[m],
                    'standard') for m in range(1, 13)])

    @with_transaction()
    def test_invoice_creates_year(self):
        "An invoice of 10 Mordad 1394 creates 1394 and lands in Mordad"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Order = pool.get('partak.order')
        Party = pool.get('party.party')
        Template = pool.get('product.template')
        company = self.company()
        self.assertFalse(self.fiscalyears(OLD_DATE))
        with set_company(company):
            party, = Party.create([{'name': 'کمال نصیری'}])
            template, = Template.search([('partak_kind', '=', 'plan')],
                limit=1)
            invoice = Order.make_invoice(party, [Order.invoice_line_values(
                        template.products[0], 350_000)], post=False)
            invoice.invoice_date = OLD_DATE
            invoice.save()
            # An imported invoice: its payment date is in the past.
            with Transaction().set_context(_skip_warnings=True):
                Invoice.post([invoice])

            fiscalyear, = self.fiscalyears(OLD_DATE)
            self.assertEqual(fiscalyear.name, 'سال مالی 1394')
            self.assertEqual(
                (fiscalyear.start_date, fiscalyear.end_date),
                (datetime.date(2015, 3, 21), datetime.date(2016, 3, 19)))
            self.assertJalaliYear(fiscalyear, 1394)
            self.assertTrue(fiscalyear.invoice_sequences)

            invoice = Invoice(invoice.id)
            self.assertEqual(invoice.state, 'posted')
            self.assertTrue(invoice.number.startswith('1394-'))
            period = invoice.move.period
            self.assertEqual(period.name, 'مرداد 1394')
            self.assertEqual((period.start_date, period.end_date),
                (datetime.date(2015, 7, 23), datetime.date(2015, 8, 22)))
            self.assertEqual(invoice.move.state, 'posted')

    @with_transaction()
    def test_move_creates_year_once(self):
        "A move of Mehr 1393 creates 1393 once, however often it is asked"
        pool = Pool()
        Move = pool.get('account.move')
        Period = pool.get('account.period')
        Journal = pool.get('account.journal')
        Configuration = pool.get('account.configuration')
        Party = pool.get('party.party')
        company = self.company()
        # 1 Mehr 1393
        date = datetime.date(2014, 9, 23)
        with set_company(company):
            config = Configuration(1)
            receivable = config.get_multivalue(
                'default_account_receivable', company=company.id)
            revenue = config.get_multivalue(
                'default_category_account_revenue', company=company.id)
            party, = Party.create([{'name': 'کمال نصیری'}])
            journal, = Journal.search([('type', '=', 'revenue')], limit=1)
            move, = Move.create([{
                        'date': date,
                        'period': Period.find(company, date=date).id,
                        'journal': journal.id,
                        'lines': [('create', [{
                                        'account': receivable.id,
                                        'party': party.id,
                                        'debit': Decimal(100_000),
                                        }, {
                                        'account': revenue.id,
                                        'credit': Decimal(100_000),
                                        }])],
                        }])
            Move.post([move])
            self.assertEqual(move.period.name, 'مهر 1393')
            self.assertEqual(move.period.start_date, date)

            fiscalyear, = self.fiscalyears(date)
            # The last day of 1393 and the move's day again
            last = datetime.date(2015, 3, 20)
            self.assertEqual(Period.find(company, date=last).fiscalyear,
                fiscalyear)
            self.assertEqual(Period.find(company.id, date=date),
                move.period)
            self.assertEqual(ensure_fiscalyear(company, last), fiscalyear)
            self.assertEqual(len(self.fiscalyears(date)), 1)
            self.assertEqual(len(fiscalyear.periods), 12)
            self.assertJalaliYear(fiscalyear, 1393)

    @with_transaction()
    def test_leap_years(self):
        "Esfand has 30 days in 1399 and 1403, 29 in 1402"
        Period = Pool().get('account.period')
        company = self.company()
        for year, date, last in [
                (1399, datetime.date(2020, 6, 1), datetime.date(2021, 3, 20)),
                (1402, datetime.date(2023, 6, 1), datetime.date(2024, 3, 19)),
                (1403, datetime.date(2024, 6, 1), datetime.date(2025, 3, 20)),
                ]:
            fiscalyear = ensure_fiscalyear(company, date)
            self.assertEqual(fiscalyear.end_date, last)
            esfand = Period.find(company, date=last)
            self.assertEqual(esfand.name, 'اسفند %d' % year)
            self.assertEqual(esfand.end_date, last)
            self.assertEqual((esfand.end_date - esfand.start_date).days + 1,
                30 if year in {1399, 1403} else 29)
            self.assertJalaliYear(fiscalyear, year)
        # 1403 starts the day after 1402 ends: no gap, no overlap.
        self.assertEqual(
            Period.find(company, date=datetime.date(2024, 3, 20)).name,
            'فروردین 1403')

    @with_transaction()
    def test_lock(self):
        "Creating a year asks for the fiscal year table lock first"
        FiscalYear = Pool().get('account.fiscalyear')
        transaction = Transaction()
        company = self.company()
        date = datetime.date(2012, 6, 1)
        # The transaction of the decorator starts without the lock.
        if FiscalYear._table not in transaction._locked_tables:
            with self.assertRaises(TransactionError):
                ensure_fiscalyear(company, date)
            self.assertFalse(self.fiscalyears(date))
            # What the restart does
            transaction._locked_tables.add(FiscalYear._table)
        fiscalyear = ensure_fiscalyear(company, date)
        self.assertEqual(fiscalyear.name, 'سال مالی 1391')

    @with_transaction()
    def test_only_jalali_companies(self):
        "Companies without a Jalali year keep Tryton's error"
        pool = Pool()
        Period = pool.get('account.period')
        date = datetime.date(2016, 6, 1)
        currency = self.company().currency
        gregorian = create_company('Gregorian', currency=currency)
        fiscalyear = get_fiscalyear(gregorian, today=datetime.date(2015, 1, 1))
        fiscalyear.save()
        without = create_company('Without', currency=currency)
        for company in [gregorian, without]:
            with set_company(company):
                with self.assertRaises(PeriodNotFoundError):
                    Period.find(company, date=date)
                self.assertFalse(self.fiscalyears(date, company.id))

    def test_readonly(self):
        "A read-only transaction (defaults, on_change) creates nothing"
        date = datetime.date(2010, 6, 1)

        def find():
            Period = Pool().get('account.period')
            with self.assertRaises(PeriodNotFoundError):
                Period.find(self.company_id, date=date)
            return bool(self.fiscalyears(date))
        with Transaction().start(DB_NAME, 0, readonly=True):
            self.assertFalse(find())

    @unittest.skipIf(backend.name != 'postgresql',
        "SQLite serialises transactions")
    def test_concurrent_creation(self):
        "Two transactions missing the same year create it once"
        date = datetime.date(2009, 6, 1)
        barrier = threading.Barrier(2, timeout=30)
        results, errors = [], []

        def create(attempts):
            attempts.append(1)
            if len(attempts) == 1:
                # Both have started (and missed the year) before either
                # creates it.
                self.assertFalse(self.fiscalyears(date))
                barrier.wait()
            company = Pool().get('company.company')(self.company_id)
            fiscalyear = ensure_fiscalyear(company, date)
            # Hold the lock a while, as a long posting would.
            time.sleep(0.5)
            return fiscalyear.id

        def run():
            attempts = []
            try:
                while True:
                    try:
                        results.append(run_in_transaction(
                                DB_NAME, lambda: create(attempts)))
                        return
                    except backend.DatabaseOperationalError:
                        # The other holds the lock: wait as trytond's
                        # clients do.
                        time.sleep(0.1)
            except Exception as exception:
                errors.append(exception)
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 2)
        self.assertEqual(results[0], results[1])

        def count():
            return len(self.fiscalyears(date))
        self.assertEqual(run_in_transaction(DB_NAME, count), 1)

    def test_jalali_season(self):
        "Seasons run three Jalali months, the last ends on the last of Esfand"
        for year in [1393, 1394, 1399, 1403]:
            calendar = jalali_calendar(year)
            for season in range(1, 5):
                first = calendar[3 * season - 2][0]
                last = calendar[3 * season][1]
                for date in [first, first + DAY, last - DAY, last]:
                    self.assertEqual(jalali_season(date),
                        (year, season, first, last))
        self.assertEqual(jalali_season(OLD_DATE),
            (1394, 2, datetime.date(2015, 6, 22), datetime.date(2015, 9, 22)))
        self.assertEqual(jalali_season(datetime.date(2025, 3, 20)),
            (1403, 4, datetime.date(2024, 12, 21), datetime.date(2025, 3, 20)))
        self.assertEqual(jalali_season(datetime.date(2025, 3, 21)),
            (1404, 1, datetime.date(2025, 3, 21), datetime.date(2025, 6, 21)))


del TestCase
