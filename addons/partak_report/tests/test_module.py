# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The accountant's reports on a small month of business, each figure
checked against the move lines it comes from."""
import datetime
import io
from decimal import Decimal

import jdatetime

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.modules.partak_services.setup import run_in_transaction
from trytond.modules.partak_services.tests import test_services as services
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

from trytond.modules.partak_report.exceptions import ReportChoiceError

MODULE = 'partak_report'
DAY = datetime.timedelta(days=1)
Helpers = services.ServicesTestCase


def season_context():
    today = jdatetime.date.today()
    return {'span': 'season', 'jalali_year': today.year,
        'season': str((today.month - 1) // 3 + 1)}


class PartakReportTestCase(TestCase):
    "The accountant's reports"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(MODULE)
        cls.company_id = run_in_transaction(DB_NAME,
            services.ServicesTestCase.create_fixture)
        run_in_transaction(DB_NAME, cls.load_persian)

    @staticmethod
    def load_persian():
        "The fa labels, as the back office shows them to the accountant."
        Lang = Pool().get('ir.lang')
        fa, = Lang.search([('code', '=', 'fa')])
        Lang.write([fa], {'translatable': True})
        Lang.load_translations([fa])

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        self.phone = 1132466100

    company = Helpers.company
    product = Helpers.product
    subscriber = Helpers.subscriber
    buy = Helpers.buy
    age_period = Helpers.age_period
    staff = Helpers.staff
    as_user = Helpers.as_user

    def account_balance(self, code, party=None):
        "Credit − debit of the posted lines on the account `code`."
        Line = Pool().get('account.move.line')
        domain = [('account.code', '=', code), ('move.state', '=', 'posted')]
        if party:
            domain.append(('party', '=', party.id))
        return int(sum(l.credit - l.debit for l in Line.search(domain)))

    def rows(self, model, **context):
        Model = Pool().get(model)
        values = season_context()
        values.update(company=self.company_id, **context)
        with Transaction().set_context(values):
            return Model.search([])

    def business(self):
        """The manual's change of service, a plan paid from the wallet, a
        manual credit and a counter payment."""
        pool = Pool()
        Order = pool.get('partak.order')
        WalletMove = pool.get('partak.wallet.move')
        party, line = self.subscriber('pishgaman ka')
        current = self.buy(party, line, 'firouzeh').period
        self.age_period(current, 352, 365)
        order = Order.quote(party, line, 'change', self.product('zomorrod'))
        self.assertEqual(order.payable, 6_791_233)
        self.assertTrue(Order.settle(order, 6_791_233, 'BANK-2'))
        other, other_line = self.subscriber('کمال نصیری')
        WalletMove.credit(other, 500_000, reason='deposit')
        WalletMove.manual_credit(other, 100_000, 'جبران قطعی')
        WalletMove.manual_credit(other, 20_000, 'نقد حضوری', kind='cash')
        self.buy(other, other_line, 'standard_1m')
        return party, other, Order(order.id)

    @with_transaction()
    def test_vat(self):
        "VAT of the season and its months is the balance of 2.2"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Open = pool.get('partak.report.open_invoices', type='wizard')
        with set_company(self.company()):
            party, other, order = self.business()
            self.assertEqual(order.invoice.tax_amount, 720_000)
            season, = self.rows('partak.report.vat.season')
            vat = self.account_balance('2.2')
            self.assertGreaterEqual(vat, 720_000)
            self.assertEqual((season.collected, season.purchases, season.net),
                (vat, 0, vat))
            months = self.rows('partak.report.vat.month')
            self.assertEqual(len(months), 3)
            self.assertEqual(sum(m.collected for m in months), vat)
            month, = [m for m in months if m.collected]
            self.assertEqual(month.period.start_date
                <= datetime.date.today() <= month.period.end_date, True)

            # The invoices behind the row
            values = season_context()
            values.update(company=self.company_id,
                active_model='partak.report.vat.month',
                active_id=month.id, active_ids=[month.id])
            with Transaction().set_context(values):
                session, _, _ = Open.create()
                result = Open.execute(session, {}, 'open_')
            action, = result['actions']
            domain = eval(action[0]['pyson_domain'].replace('null', 'None')
                .replace('true', 'True').replace('false', 'False'))
            invoices = Invoice.search(domain)
            self.assertIn(order.invoice, invoices)
            self.assertEqual(sum(i.tax_amount for i in invoices), vat)

            # Another year: empty; a wrong choice: a clear error
            self.assertEqual(self.rows('partak.report.vat.season',
                    jalali_year=1390), [])
            with self.assertRaises(ReportChoiceError):
                self.rows('partak.report.vat.season', season='7')
            with self.assertRaises(ReportChoiceError):
                self.rows('partak.report.vat.month', span='month',
                    month='13')


    @with_transaction()
    def test_revenue(self):
        "Revenue by family: invoiced, recognised (4.1), deferred (2.4)"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Line = pool.get('account.move.line')
        with set_company(self.company()):
            self.business()
            rows = self.rows('partak.report.revenue')
            self.assertTrue(rows)
            families = {r.family for r in rows}
            self.assertIn('plan', families)
            for period in {r.period for r in rows}:
                mine = [r for r in rows if r.period == period]
                invoices = Invoice.search([('type', '=', 'out'),
                        ('move.period', '=', period.id)])
                self.assertEqual(sum(r.invoiced for r in mine),
                    sum(i.untaxed_amount for i in invoices))
                lines = Line.search([('account.code', '=', '4.1'),
                        ('move.state', '=', 'posted'),
                        ('move.period', '=', period.id)])
                self.assertEqual(sum(r.recognised for r in mine),
                    sum(l.credit - l.debit for l in lines))
                lines = Line.search([('account.code', '=', '2.4'),
                        ('move.state', '=', 'posted'),
                        ('move.date', '<=', period.end_date)])
                self.assertEqual(sum(r.deferred for r in mine),
                    sum(l.credit - l.debit for l in lines))
            # a year plan is mostly still deferred at the end of its month
            self.assertGreater(sum(r.deferred for r in rows
                    if r.family == 'plan'), 0)

    @with_transaction()
    def test_wallet(self):
        "Wallet liability: each party's wallet_balance, total = 2.3"
        Party = Pool().get('party.party')
        with set_company(self.company()):
            party, other, _ = self.business()
            rows = self.rows('partak.report.wallet')
            self.assertEqual(sum(r.balance for r in rows),
                self.account_balance('2.3'))
            for row in rows:
                self.assertEqual(row.balance,
                    Party(row.party.id).wallet_balance)
            self.assertIn(other, [r.party for r in rows])

    @with_transaction()
    def test_ageing(self):
        "Ageing buckets by maturity date, with the highest dunning level"
        pool = Pool()
        Line = pool.get('account.move.line')
        Procedure = pool.get('account.dunning.procedure')
        Dunning = pool.get('account.dunning')
        today = pool.get('ir.date').today()
        with set_company(self.company()):
            party, other, _ = self.business()
            rows = self.rows('partak.report.ageing')
            self.assertEqual(sum(r.total for r in rows),
                -self.account_balance('1.2'))
            lines = Line.search([('party', '=', party.id),
                    ('account.code', '=', '1.2'),
                    ('reconciliation', '=', None), ('debit', '>', 0)])
            self.assertGreaterEqual(len(lines), 1)
            first = lines[0]
            amount = first.debit - first.credit
            for days, bucket in [(0, 'current'), (1, 'days_30'),
                    (30, 'days_30'), (31, 'days_60'), (60, 'days_60'),
                    (61, 'days_90'), (90, 'days_90'), (91, 'older')]:
                Line.write([first],
                    {'maturity_date': today - datetime.timedelta(days=days)})
                row, = [r for r in self.rows('partak.report.ageing')
                    if r.party == party]
                self.assertGreaterEqual(getattr(row, bucket), amount,
                    msg=(days, bucket))
                self.assertEqual(row.current + row.days_30 + row.days_60
                    + row.days_90 + row.older, row.total)
            procedure, = Procedure.create([{'name': 'یادآوری',
                        'levels': [('create', [
                                    {'sequence': 1, 'overdue': DAY * 10},
                                    {'sequence': 2, 'overdue': DAY * 30}])]}])
            low, high = procedure.levels
            if len(lines) > 1:
                Dunning.create([{'line': lines[1].id, 'level': low.id,
                            'procedure': procedure.id,
                            'company': self.company_id}])
            Dunning.create([{'line': first.id, 'level': high.id,
                        'procedure': procedure.id,
                        'company': self.company_id}])
            row, = [r for r in self.rows('partak.report.ageing')
                if r.party == party]
            self.assertEqual(row.dunning_level, high)

    @with_transaction()
    def test_adjustments_and_payments(self):
        "Refunds, manual credits with who and why; payments and settlements"
        pool = Pool()
        Order = pool.get('partak.order')
        with set_company(self.company()):
            party, other, order = self.business()
            Order.refund_to_wallet(order, 1_000_000, 'ناراضی از سرعت')
            rows = self.rows('partak.report.adjustment')
            self.assertEqual(sorted((r.reason, int(r.amount), r.note)
                    for r in rows if r.party == other),
                [('adjustment', 100_000, 'جبران قطعی'),
                    ('cash', 20_000, 'نقد حضوری')])
            refund, = [r for r in rows if r.reason == 'refund']
            self.assertEqual((refund.party, refund.amount, refund.order),
                (party, 1_000_000, order))
            self.assertTrue(all(r.user for r in rows))
            # No bank payment in this month's business: empty, no error
            self.assertEqual(self.rows('partak.report.payment'), [])
            self.assertEqual(self.rows('partak.report.unmatched'), [])

    @with_transaction()
    def test_export(self):
        "XLSX: right to left, Persian headers, numbers; PDF"
        from openpyxl import load_workbook
        pool = Pool()
        XLSX = pool.get('partak.report.xlsx', type='report')
        PDF = pool.get('partak.report.pdf', type='report')
        with set_company(self.company()):
            self.business()
            context = season_context()
            context.update(company=self.company_id, language='fa')
            with Transaction().set_context(context):
                ext, data, _, name = XLSX.execute([],
                    {'model': 'partak.report.vat.month'})
                self.assertEqual(ext, 'xlsx')
                # The report's Persian name: the file's and the sheet's
                self.assertEqual(name, 'مالیات بر ارزش افزوده ماهانه')
                sheet = load_workbook(io.BytesIO(data)).active
                self.assertEqual(sheet['A1'].value, name)
                self.assertTrue(sheet.sheet_view.rightToLeft)
                headers = [c.value for c in sheet[3]]
                self.assertIn('مالیات بر ارزش افزوده دریافتی', headers)
                column = headers.index('مالیات بر ارزش افزوده دریافتی')
                values = [row[column].value for row in sheet.iter_rows(
                        min_row=4, max_row=6)]
                self.assertTrue(all(isinstance(v, int) for v in values))
                self.assertEqual(sum(values), self.account_balance('2.2'))
                for model in ['partak.report.vat.season',
                        'partak.report.revenue', 'partak.report.wallet',
                        'partak.report.ageing', 'partak.report.payment',
                        'partak.report.unmatched',
                        'partak.report.adjustment']:
                    ext, data, _, _ = PDF.execute([], {'model': model})
                    self.assertEqual((ext, data[:4]), ('pdf', b'%PDF'))
                    ext, data, _, _ = XLSX.execute([], {'model': model})
                    load_workbook(io.BytesIO(data))
                # a wrong model is refused with a message
                with self.assertRaises(Exception):
                    XLSX.execute([], {'model': 'party.party'})

    @with_transaction()
    def test_access(self):
        "Accounting reads and exports; support and agents are refused"
        pool = Pool()
        XLSX = pool.get('partak.report.xlsx', type='report')
        models = ['partak.report.vat.season', 'partak.report.vat.month',
            'partak.report.revenue', 'partak.report.wallet',
            'partak.report.ageing', 'partak.report.payment',
            'partak.report.unmatched', 'partak.report.adjustment']
        with set_company(self.company()):
            accountant = self.staff('accountant', 'group_partak_accounting')
            support = self.staff('support', 'group_partak_support')
            agent = self.staff('agent', 'group_partak_agent')
            self.business()
            user, context = self.as_user(accountant)
            with user, context, Transaction().set_context(
                    season_context()):
                for model in models:
                    pool.get(model).search([])
                XLSX.execute([], {'model': 'partak.report.wallet'})
            for staff in [support, agent]:
                user, context = self.as_user(staff)
                with user, context, Transaction().set_context(
                        season_context()):
                    for model in models:
                        with self.assertRaises(AccessError):
                            pool.get(model).search([])
                        with self.assertRaises(AccessError):
                            XLSX.execute([], {'model': model})


del TestCase, Helpers
