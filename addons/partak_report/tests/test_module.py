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


del TestCase, Helpers
