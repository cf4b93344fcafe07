# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The accountant's reports (docs/reports.md): a context model choosing a
Jalali month, season or year, and one ModelSQL per report whose rows are a
table_query (python-sql) over the posted move lines and invoices."""
import datetime
from decimal import Decimal

import jdatetime
from sql import Literal, Null, Union
from sql.aggregate import Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard

from trytond.modules.partak_services import books
from trytond.modules.partak_services.fiscal import _first_day
from trytond.modules.partak_services.tools import JALALI_MONTHS

from .exceptions import ReportChoiceError

DAY = datetime.timedelta(days=1)
AMOUNT = (16, 0)
SPANS = [
    ('month', "Month"),
    ('season', "Season"),
    ('year', "Year"),
    ]
MONTHS = [(str(i), JALALI_MONTHS[i - 1]) for i in range(1, 13)]
SEASONS = [
    ('1', "Spring"),
    ('2', "Summer"),
    ('3', "Autumn"),
    ('4', "Winter"),
    ]
FAMILIES = [
    ('plan', "Service Plan"),
    ('traffic', "Traffic Pack"),
    ('timed_traffic', "Timed Traffic Pack"),
    ('static_ip', "Static IP"),
    ('fee', "Fees"),
    ]


def jalali_today():
    Date = Pool().get('ir.date')
    return jdatetime.date.fromgregorian(date=Date.today())


def report_range():
    """(first day, last day) of the Jalali month, season or year chosen in
    the context; a wrong choice is a ReportChoiceError."""
    context = Transaction().context
    today = jalali_today()
    try:
        year = int(context.get('jalali_year') or today.year)
        span = context.get('span') or 'season'
        if span == 'month':
            month = int(context.get('month') or today.month)
            if not 1 <= month <= 12:
                raise ValueError
            first, count = month, 1
        elif span == 'season':
            season = int(context.get('season')
                or (today.month - 1) // 3 + 1)
            if not 1 <= season <= 4:
                raise ValueError
            first, count = 3 * season - 2, 3
        elif span == 'year':
            first, count = 1, 12
        else:
            raise ValueError
        if not 1300 <= year <= 1500:
            raise ValueError
    except (TypeError, ValueError):
        raise ReportChoiceError(gettext('partak_report.msg_wrong_choice'))
    return (_first_day(year, first), _first_day(year, first + count) - DAY)


def as_of_date():
    "The last day of the range, or today when it is still to come."
    Date = Pool().get('ir.date')
    return min(report_range()[1], Date.today())


def company_id():
    return Transaction().context.get('company') or -1


def periods():
    """[(period id, Jalali year, Jalali month)] of the company's standard
    periods inside the chosen range."""
    Period = Pool().get('account.period')
    start, end = report_range()
    result = []
    for period in Period.search([
                ('fiscalyear.company', '=', company_id()),
                ('type', '=', 'standard'),
                ('start_date', '>=', start),
                ('end_date', '<=', end),
                ], order=[('start_date', 'ASC')]):
        jdate = jdatetime.date.fromgregorian(date=period.start_date)
        result.append((period.id, jdate.year, jdate.month))
    return result


def period_case(column, values, default=None):
    "A CASE giving values[period id] for the period id in column."
    if not values:
        return Literal(default)
    return Case(*((column == k, Literal(v)) for k, v in values.items()),
        else_=Literal(default))


def amount(value):
    "A Decimal, float or None of the database as an integer Rial Decimal."
    return Decimal(int(round(value or 0)))


class ReportContext(ModelView):
    "The period of a financial report"
    __name__ = 'partak.report.context'
    __string__ = "The period of a financial report"
    company = fields.Many2One('company.company', "Company", required=True)
    span = fields.Selection(SPANS, "Span", required=True)
    jalali_year = fields.Integer("Year", required=True)
    season = fields.Selection(SEASONS, "Season",
        states={'invisible': Eval('span') != 'season',
            'required': Eval('span') == 'season'})
    month = fields.Selection(MONTHS, "Month",
        states={'invisible': Eval('span') != 'month',
            'required': Eval('span') == 'month'})

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_span(cls):
        return Transaction().context.get('span', 'season')

    @classmethod
    def default_jalali_year(cls):
        return Transaction().context.get('jalali_year') or jalali_today().year

    @classmethod
    def default_season(cls):
        return (Transaction().context.get('season')
            or str((jalali_today().month - 1) // 3 + 1))

    @classmethod
    def default_month(cls):
        return Transaction().context.get('month') or str(jalali_today().month)


class ReportMixin(ModelSQL, ModelView):
    """A report row.  _columns are the fields of the PDF and XLSX exports
    (export.py), in their order."""
    _columns = []

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'ASC')]

    @classmethod
    def invoice_domain(cls, records):
        "The domain of the invoices behind records (the relate action)."
        return [('id', '=', -1)]


def posted_lines():
    "account.move.line joined to its posted move of the company."
    pool = Pool()
    line = pool.get('account.move.line').__table__()
    move = pool.get('account.move').__table__()
    return line, move, line.join(move, condition=(line.move == move.id)
        & (move.state == 'posted') & (move.company == company_id()))


class VATMonth(ReportMixin):
    "VAT by Jalali month"
    __name__ = 'partak.report.vat.month'
    __string__ = "VAT by Jalali month"
    period = fields.Many2One('account.period', "Period")
    jalali_year = fields.Integer("Year")
    season = fields.Selection(SEASONS, "Season")
    collected = fields.Numeric("VAT Collected", digits=AMOUNT)
    purchases = fields.Numeric("VAT on Purchases", digits=AMOUNT)
    net = fields.Numeric("Net Payable", digits=AMOUNT)
    _columns = ['jalali_year', 'season', 'period', 'collected', 'purchases',
        'net']

    @classmethod
    def _tax_query(cls):
        """(period, collected, purchases) of each tax line of a posted
        customer or supplier invoice or credit note."""
        pool = Pool()
        Move = pool.get('account.move')
        Invoice = pool.get('account.invoice')
        tax_line = pool.get('account.tax.line').__table__()
        invoice = Invoice.__table__()
        line, move, query = posted_lines()
        query = query.join(invoice, condition=(
                move.origin.like('account.invoice,%')
                & (Move.origin.sql_id(move.origin, Invoice) == invoice.id)))
        where = line.id.in_(tax_line.select(tax_line.move_line,
                where=tax_line.type == 'tax'))
        collected = Case((invoice.type == 'out',
                Coalesce(line.credit, 0) - Coalesce(line.debit, 0)),
            else_=0)
        purchases = Case((invoice.type == 'in',
                Coalesce(line.debit, 0) - Coalesce(line.credit, 0)),
            else_=0)
        return query.select(move.period.as_('period'),
            collected.as_('collected'), purchases.as_('purchases'),
            where=where)

    @classmethod
    def table_query(cls):
        pool = Pool()
        period = pool.get('account.period').__table__()
        rows = periods()
        ids = [r[0] for r in rows] or [-1]
        taxes = cls._tax_query()
        years = {r[0]: r[1] for r in rows}
        seasons = {r[0]: str((r[2] - 1) // 3 + 1) for r in rows}
        collected = Coalesce(Sum(taxes.collected), 0)
        purchases = Coalesce(Sum(taxes.purchases), 0)
        return period.join(taxes, 'LEFT',
            condition=taxes.period == period.id).select(
            period.id.as_('id'),
            period.id.as_('period'),
            period_case(period.id, years).as_('jalali_year'),
            period_case(period.id, seasons).as_('season'),
            collected.as_('collected'),
            purchases.as_('purchases'),
            (collected - purchases).as_('net'),
            where=period.id.in_(ids),
            group_by=[period.id])

    @classmethod
    def invoice_domain(cls, records):
        return [
            ('move.period', 'in', [r.period.id for r in records]),
            ('taxes', '!=', None),
            ('state', 'in', ['posted', 'paid']),
            ]


class VATSeason(ReportMixin):
    "VAT by Jalali season"
    __name__ = 'partak.report.vat.season'
    __string__ = "VAT by Jalali season"
    jalali_year = fields.Integer("Year")
    season = fields.Selection(SEASONS, "Season")
    collected = fields.Numeric("VAT Collected", digits=AMOUNT)
    purchases = fields.Numeric("VAT on Purchases", digits=AMOUNT)
    net = fields.Numeric("Net Payable", digits=AMOUNT)
    _columns = ['jalali_year', 'season', 'collected', 'purchases', 'net']

    @classmethod
    def table_query(cls):
        Month = Pool().get('partak.report.vat.month')
        months = Month.table_query()
        # The row of a season is numbered after its first period
        return months.select(
            Min(months.id).as_('id'),
            months.jalali_year.as_('jalali_year'),
            months.season.as_('season'),
            Sum(months.collected).as_('collected'),
            Sum(months.purchases).as_('purchases'),
            Sum(months.net).as_('net'),
            group_by=[months.jalali_year, months.season])

    @classmethod
    def invoice_domain(cls, records):
        Month = Pool().get('partak.report.vat.month')
        keys = {(r.jalali_year, r.season) for r in records}
        months = [m for m in Month.search([])
            if (m.jalali_year, m.season) in keys]
        return Month.invoice_domain(months)


class Revenue(ReportMixin):
    "Revenue by plan family and Jalali month"
    __name__ = 'partak.report.revenue'
    __string__ = "Revenue by plan family and Jalali month"
    period = fields.Many2One('account.period', "Period")
    family = fields.Selection(FAMILIES, "Family")
    invoiced = fields.Numeric("Invoiced", digits=AMOUNT)
    recognised = fields.Numeric("Recognised in the Month", digits=AMOUNT)
    deferred = fields.Numeric("Still Deferred", digits=AMOUNT)
    _columns = ['period', 'family', 'invoiced', 'recognised', 'deferred']

    @classmethod
    def _family(cls, template):
        return Coalesce(template.partak_kind, 'fee')

    @classmethod
    def _source_query(cls):
        """(line, date, period, family, revenue, deferral) of the posted
        lines on the revenue (4.1) and deferred revenue (2.4) accounts,
        each named after the invoice line it comes from: its own origin
        (the invoice's entry) or its deferral's (the monthly entries of
        account_invoice_defer)."""
        pool = Pool()
        Move = pool.get('account.move')
        MoveLine = pool.get('account.move.line')
        InvoiceLine = pool.get('account.invoice.line')
        Deferred = pool.get('account.invoice.deferred')
        Company = pool.get('company.company')
        invoice_line = InvoiceLine.__table__()
        deferred = Deferred.__table__()
        product = pool.get('product.product').__table__()
        template = pool.get('product.template').__table__()
        line, move, query = posted_lines()
        company = Company(company_id()) if company_id() > 0 else None
        revenue = books.account_by_code(company, '4.1')
        deferral = books.account_by_code(company, '2.4')
        query = query.join(deferred, 'LEFT', condition=(
                move.origin.like('account.invoice.deferred,%')
                & (Move.origin.sql_id(move.origin, Deferred) == deferred.id)))
        source = Case((line.origin.like('account.invoice.line,%'),
                MoveLine.origin.sql_id(line.origin, InvoiceLine)),
            else_=deferred.invoice_line)
        query = query.join(invoice_line, condition=(
                invoice_line.id == source))
        query = query.join(product, 'LEFT',
            condition=invoice_line.product == product.id)
        query = query.join(template, 'LEFT',
            condition=product.template == template.id)
        balance = Coalesce(line.credit, 0) - Coalesce(line.debit, 0)
        revenue_id = revenue.id if revenue else -1
        deferral_id = deferral.id if deferral else -1
        return query.select(
            move.date.as_('date'),
            move.period.as_('period'),
            cls._family(template).as_('family'),
            Case((line.account == revenue_id, balance), else_=0
                ).as_('revenue'),
            Case((line.account == deferral_id, balance), else_=0
                ).as_('deferral'),
            where=line.account.in_([revenue_id, deferral_id]))

    @classmethod
    def _invoiced_query(cls):
        "(period, family, amount) of the lines of posted customer invoices."
        pool = Pool()
        invoice = pool.get('account.invoice').__table__()
        invoice_line = pool.get('account.invoice.line').__table__()
        move = pool.get('account.move').__table__()
        product = pool.get('product.product').__table__()
        template = pool.get('product.template').__table__()
        query = invoice_line.join(invoice,
            condition=invoice_line.invoice == invoice.id
            ).join(move, condition=invoice.move == move.id
            ).join(product, 'LEFT',
                condition=invoice_line.product == product.id
            ).join(template, 'LEFT',
                condition=product.template == template.id)
        return query.select(
            move.period.as_('period'),
            cls._family(template).as_('family'),
            (invoice_line.quantity * invoice_line.unit_price).as_('amount'),
            where=(invoice.type == 'out')
            & invoice.state.in_(['posted', 'paid'])
            & (invoice.company == company_id())
            & (invoice_line.type == 'line'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        period = pool.get('account.period').__table__()
        ids = [r[0] for r in periods()] or [-1]
        source = cls._source_query()
        invoiced = cls._invoiced_query()
        families = [f for f, _ in FAMILIES]
        # a month's figures: what was invoiced and recognised in it, and
        # what is left deferred at its end (every line up to its last day)
        parts = Union(
            period.join(source, condition=(source.period == period.id)
                ).select(period.id.as_('period'), source.family.as_('family'),
                Literal(0).as_('invoiced'), source.revenue.as_('recognised'),
                Literal(0).as_('deferred'),
                where=period.id.in_(ids)),
            period.join(source, condition=(source.date <= period.end_date)
                ).select(period.id.as_('period'), source.family.as_('family'),
                Literal(0).as_('invoiced'), Literal(0).as_('recognised'),
                source.deferral.as_('deferred'),
                where=period.id.in_(ids)),
            period.join(invoiced, condition=(invoiced.period == period.id)
                ).select(period.id.as_('period'),
                invoiced.family.as_('family'),
                invoiced.amount.as_('invoiced'), Literal(0).as_('recognised'),
                Literal(0).as_('deferred'),
                where=period.id.in_(ids)),
            all_=True)
        index = Case(*((parts.family == f, i)
                for i, f in enumerate(families)), else_=len(families))
        return parts.select(
            (parts.period * 10 + index).as_('id'),
            parts.period.as_('period'),
            parts.family.as_('family'),
            Sum(parts.invoiced).as_('invoiced'),
            Sum(parts.recognised).as_('recognised'),
            Sum(parts.deferred).as_('deferred'),
            group_by=[parts.period, parts.family])

    @classmethod
    def invoice_domain(cls, records):
        domain = ['OR']
        for record in records:
            lines = [('lines.product.template.partak_kind', '=',
                    record.family)]
            if record.family == 'fee':
                lines = [('lines.product', '=', None)]
            domain.append([('move.period', '=', record.period.id)] + lines)
        return [('type', '=', 'out'), ('state', 'in', ['posted', 'paid']),
            domain]


class Wallet(ReportMixin):
    "Wallet liability per subscriber"
    __name__ = 'partak.report.wallet'
    __string__ = "Wallet liability per subscriber"
    party = fields.Many2One('party.party', "Subscriber")
    balance = fields.Numeric("Wallet Balance", digits=AMOUNT)
    _columns = ['party', 'balance']

    @classmethod
    def table_query(cls):
        Company = Pool().get('company.company')
        company = Company(company_id()) if company_id() > 0 else None
        account = books.wallet_account(company)
        line, move, query = posted_lines()
        balance = Sum(Coalesce(line.credit, 0) - Coalesce(line.debit, 0))
        return query.select(
            line.party.as_('id'),
            line.party.as_('party'),
            balance.as_('balance'),
            where=(line.account == (account.id if account else -1))
            & (move.date <= as_of_date()),
            group_by=[line.party],
            having=balance != 0)


class Ageing(ReportMixin):
    "Receivables ageing per subscriber"
    __name__ = 'partak.report.ageing'
    __string__ = "Receivables ageing per subscriber"
    party = fields.Many2One('party.party', "Subscriber")
    current = fields.Numeric("Not Due", digits=AMOUNT)
    days_30 = fields.Numeric("1–30 Days", digits=AMOUNT)
    days_60 = fields.Numeric("31–60 Days", digits=AMOUNT)
    days_90 = fields.Numeric("61–90 Days", digits=AMOUNT)
    older = fields.Numeric("Over 90 Days", digits=AMOUNT)
    total = fields.Numeric("Total", digits=AMOUNT)
    dunning_level = fields.Function(fields.Many2One('account.dunning.level',
            "Dunning Level"), 'get_dunning_level')
    _columns = ['party', 'current', 'days_30', 'days_60', 'days_90', 'older',
        'total', 'dunning_level']

    @classmethod
    def table_query(cls):
        pool = Pool()
        account = pool.get('account.account').__table__()
        account_type = pool.get('account.account.type').__table__()
        reconciliation = pool.get(
            'account.move.reconciliation').__table__()
        line, move, query = posted_lines()
        date = as_of_date()
        query = query.join(account, condition=line.account == account.id
            ).join(account_type, condition=account.type == account_type.id
            ).join(reconciliation, 'LEFT',
                condition=line.reconciliation == reconciliation.id)
        maturity = Coalesce(line.maturity_date, move.date)
        balance = Coalesce(line.debit, 0) - Coalesce(line.credit, 0)

        def bucket(after, until=None):
            "overdue by more than `after` days, at most `until`"
            condition = maturity < date - datetime.timedelta(days=after)
            if until is not None:
                condition &= (
                    maturity >= date - datetime.timedelta(days=until))
            return Sum(Case((condition, balance), else_=0))
        total = Sum(balance)
        return query.select(
            line.party.as_('id'),
            line.party.as_('party'),
            Sum(Case((maturity >= date, balance), else_=0)).as_('current'),
            bucket(0, 30).as_('days_30'),
            bucket(30, 60).as_('days_60'),
            bucket(60, 90).as_('days_90'),
            bucket(90).as_('older'),
            total.as_('total'),
            where=(account_type.receivable == Literal(True))
            & (line.party != Null)
            & (move.date <= date)
            # open at that date: not reconciled, or reconciled after it
            & ((line.reconciliation == Null)
                | (reconciliation.date > date)),
            group_by=[line.party],
            having=total != 0)

    @classmethod
    def get_dunning_level(cls, records, name):
        "The highest level of the subscriber's dunnings still running."
        Dunning = Pool().get('account.dunning')
        result = {r.id: None for r in records}
        party2records = {}
        for record in records:
            party2records.setdefault(record.party.id, []).append(record.id)
        dunnings = Dunning.search([
                ('company', '=', company_id()),
                ('party', 'in', list(party2records)),
                ('state', '!=', 'done'),
                ('line.reconciliation', '=', None),
                ])
        best = {}
        for dunning in dunnings:
            party = dunning.party.id
            if (party not in best or
                    dunning.level.sequence > best[party].sequence
                    or (dunning.level.sequence == best[party].sequence
                        and dunning.level.id > best[party].id)):
                best[party] = dunning.level
        for party, level in best.items():
            for record_id in party2records[party]:
                result[record_id] = level.id
        return result


class OpenInvoices(Wizard):
    "Open the invoices behind report rows"
    __name__ = 'partak.report.open_invoices'
    start_state = 'open_'
    open_ = StateAction('account_invoice.act_invoice_form')

    def do_open_(self, action):
        Model = Pool().get(self.model.__name__)
        domain = Model.invoice_domain(self.records)
        action['pyson_domain'] = PYSONEncoder().encode(domain)
        action['name'] = gettext('partak_report.msg_invoices_of_rows')
        return action, {}


class Payment(ReportMixin):
    "Payments by gateway and day"
    __name__ = 'partak.report.payment'
    __string__ = "Payments by gateway and day"
    date = fields.Date("Date")
    gateway = fields.Many2One('partak.payment.gateway', "Bank Gateway")
    count = fields.Integer("Payments")
    amount = fields.Numeric("Amount", digits=AMOUNT)
    fee = fields.Numeric("Bank Fees", digits=AMOUNT)
    settled_count = fields.Integer("Settled")
    unsettled_amount = fields.Numeric("Not Yet Settled", digits=AMOUNT)
    _columns = ['date', 'gateway', 'count', 'amount', 'fee',
        'settled_count', 'unsettled_amount']

    @classmethod
    def table_query(cls):
        pool = Pool()
        Company = pool.get('company.company')
        payment = pool.get('partak.payment').__table__()
        settlement = pool.get('partak.payment.settlement').__table__()
        move = pool.get('account.move').__table__()
        line = pool.get('account.move.line').__table__()
        from trytond.modules.partak_payment import accounting
        company = Company(company_id()) if company_id() > 0 else None
        clearing = accounting.clearing_account(company) if company else None
        start, end = report_range()
        fees = settlement.select(settlement.payment.as_('payment'),
            Sum(settlement.fee).as_('fee'),
            where=settlement.payment != Null,
            group_by=[settlement.payment])
        # the payment's debit on the clearing account 1.3, reconciled when
        # the bank's settlement was posted
        settled = line.select(line.move.as_('move'),
            Max(Case((line.reconciliation != Null, 1), else_=0)
                ).as_('settled'),
            where=(line.account == (clearing.id if clearing else -1))
            & (line.debit > 0),
            group_by=[line.move])
        query = payment.join(move, condition=payment.move == move.id
            ).join(fees, 'LEFT', condition=fees.payment == payment.id
            ).join(settled, 'LEFT', condition=settled.move == move.id)
        is_settled = Coalesce(settled.settled, 0)
        return query.select(
            Min(payment.id).as_('id'),
            move.date.as_('date'),
            payment.gateway.as_('gateway'),
            Count(payment.id).as_('count'),
            Sum(payment.amount).as_('amount'),
            Sum(Coalesce(fees.fee, 0)).as_('fee'),
            Sum(is_settled).as_('settled_count'),
            Sum(Case((is_settled == 0, payment.amount), else_=0)
                ).as_('unsettled_amount'),
            where=(payment.company == company_id())
            & (move.state == 'posted')
            & (move.date >= start) & (move.date <= end),
            group_by=[move.date, payment.gateway])


class Unmatched(ReportMixin):
    "Settlement rows without a payment"
    __name__ = 'partak.report.unmatched'
    __string__ = "Settlement rows without a payment"
    date = fields.Date("Date")
    amount = fields.Numeric("Amount", digits=AMOUNT)
    fee = fields.Numeric("Bank Fee", digits=AMOUNT)
    terminal = fields.Char("Terminal")
    reference = fields.Char("Reference")
    card_mask = fields.Char("Card")
    description = fields.Char("Description")
    statement = fields.Many2One('account.statement', "Statement")
    _columns = ['date', 'reference', 'amount', 'fee', 'terminal',
        'card_mask', 'description', 'statement']

    @classmethod
    def table_query(cls):
        settlement = Pool().get('partak.payment.settlement').__table__()
        start, end = report_range()
        return settlement.select(
            settlement.id.as_('id'),
            settlement.date.as_('date'),
            settlement.amount.as_('amount'),
            settlement.fee.as_('fee'),
            settlement.terminal.as_('terminal'),
            settlement.reference.as_('reference'),
            settlement.card_mask.as_('card_mask'),
            settlement.description.as_('description'),
            settlement.statement.as_('statement'),
            where=(settlement.company == company_id())
            & (settlement.payment == Null)
            & (settlement.date >= start) & (settlement.date <= end))


ADJUSTMENT_REASONS = [
    ('refund', "Refund"),
    ('adjustment', "Discount or Goodwill"),
    ('cash', "Cash at the Counter"),
    ('payout', "Paid Out to the Subscriber"),
    ]


class Adjustment(ReportMixin):
    "Refunds, manual credits and discounts"
    __name__ = 'partak.report.adjustment'
    __string__ = "Refunds, manual credits and discounts"
    date = fields.DateTime("Date")
    party = fields.Many2One('party.party', "Subscriber")
    reason = fields.Selection(ADJUSTMENT_REASONS, "Kind")
    amount = fields.Numeric("Amount", digits=AMOUNT)
    note = fields.Char("Reason")
    order = fields.Many2One('partak.order', "Order")
    user = fields.Many2One('res.user', "Made By")
    _columns = ['date', 'party', 'reason', 'amount', 'note', 'order', 'user']

    @classmethod
    def table_query(cls):
        from trytond.modules.partak_services.tools import to_utc
        pool = Pool()
        wallet = pool.get('partak.wallet.move').__table__()
        start, end = report_range()
        start = to_utc(datetime.datetime.combine(start, datetime.time()))
        end = to_utc(datetime.datetime.combine(end + DAY, datetime.time()))
        return wallet.select(
            wallet.id.as_('id'),
            wallet.date.as_('date'),
            wallet.party.as_('party'),
            wallet.reason.as_('reason'),
            wallet.amount.as_('amount'),
            wallet.note.as_('note'),
            wallet.order.as_('order'),
            wallet.create_uid.as_('user'),
            where=wallet.reason.in_([r for r, _ in ADJUSTMENT_REASONS])
            & (wallet.date >= start) & (wallet.date < end))
