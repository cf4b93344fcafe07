# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Postpaid bills (one per Jalali month at the plan's daily rate) and the
monthly campaign charges of traffic."""
import datetime
import logging
from collections import defaultdict

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import without_check_access

from .ledger import check_audit
from .pricing import daily_charge, vat_amount
from .tools import (
    BigInteger, add_months, jalali_month, local_date, months_between, now)

logger = logging.getLogger(__name__)
CHARGE_RESULTS = [
    ('applied', "Charge Applied Successfully"),
    ('failed', "Charge Failed"),
    ]


class Bill(ModelSQL, ModelView):
    "The charge of a postpaid service for a Jalali month (قبض)."
    __name__ = 'partak.bill'
    period = fields.Many2One('partak.service.period', "Service Period",
        required=True, ondelete='RESTRICT')
    line = fields.Many2One('partak.line', "Line", required=True,
        ondelete='RESTRICT')
    product = fields.Function(fields.Many2One('product.product', "Service"),
        'get_product')
    start = fields.Date("Start", required=True)
    end = fields.Date("End", required=True)
    days = fields.Integer("Days", required=True)
    amount = fields.Integer("Amount (Rial)", required=True)
    note = fields.Char("Note")
    invoice = fields.Many2One('account.invoice', "Invoice", readonly=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.line, Index.Range()), (t.start, Index.Range())))

    def get_product(self, name):
        return self.period.product.id

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'delete':
            check_audit(cls.__name__, mode, external)

    @classmethod
    def create_bills(cls, date=None):
        """Cron: bills each completed Jalali month of the postpaid services:
        for each service, the days of the month it ran × its daily rate
        (price / duration), e.g. 215,000 per 30 days → 31 days = 222,166."""
        pool = Pool()
        Period = pool.get('partak.service.period')
        date = date or now()
        today = local_date(date)
        periods = Period.search([
                ('state', 'in', ['active', 'ended']),
                ('product.template.billing', '=', 'postpaid'),
                ], order=[('start', 'ASC'), ('id', 'ASC')])
        by_line = defaultdict(list)
        for period in periods:
            by_line[period.line].append(period)
        bills = []
        for line, line_periods in by_line.items():
            last = cls.search([('line', '=', line.id)],
                order=[('start', 'DESC')], limit=1)
            day = (last[0].end + datetime.timedelta(days=1) if last
                else local_date(line_periods[0].start))
            while True:
                first, month_end, note = jalali_month(day)
                if month_end >= today:
                    break
                bills.extend(cls._month_bills(
                        line, line_periods, first, month_end, note))
                day = month_end + datetime.timedelta(days=1)
        with without_check_access():
            bills = cls.create(bills)
        cls.create_invoices(bills)
        return bills

    @classmethod
    def _month_bills(cls, line, periods, first, last, note):
        "The bills of one line for one month: one per service that ran."
        covered = defaultdict(set)
        owner = {}
        for period in periods:
            start = max(local_date(period.start), first)
            end = min(local_date(period.end) - datetime.timedelta(days=1),
                last)
            day = start
            while day <= end:
                covered[period.product].add(day)
                owner.setdefault(period.product, period)
                day += datetime.timedelta(days=1)
        bills = []
        for product, days in covered.items():
            template = product.template
            bills.append({
                    'period': owner[product].id,
                    'line': line.id,
                    'start': min(days),
                    'end': max(days),
                    'days': len(days),
                    'amount': daily_charge(template.partak_price,
                        template.duration_days or 30, len(days)),
                    'note': note,
                    })
        return bills

    @classmethod
    def create_invoices(cls, bills):
        """A posted customer invoice for each bill (when accounting is
        ready), its VAT by the one truncation rule (pricing.vat_amount)."""
        pool = Pool()
        Order = pool.get('partak.order')
        Invoice = pool.get('account.invoice')
        for bill in bills:
            if bill.invoice or bill.amount <= 0:
                continue
            product = bill.period.product
            invoice = Order.make_invoice(bill.line.subscriber, [
                    Order.invoice_line_values(product,
                        bill.amount, description='%s - %s' % (
                            product.rec_name, bill.note)),
                    ], post=False)
            if invoice:
                with without_check_access():
                    Order.set_vat(invoice, vat_amount(bill.amount,
                            product.template.partak_vat_rate))
                    Invoice.post([invoice])
                with without_check_access():
                    cls.write([bill], {'invoice': invoice.id})


class CampaignCharge(ModelSQL, ModelView):
    "A monthly credit of a campaign's traffic (شارژ کمپین)."
    __name__ = 'partak.campaign.charge'
    period = fields.Many2One('partak.service.period', "Service Period",
        required=True, ondelete='RESTRICT')
    line = fields.Function(fields.Many2One('partak.line', "Line"),
        'get_line', searcher='search_line')
    product = fields.Function(fields.Many2One('product.product', "Service"),
        'get_product')
    date = fields.DateTime("Date", required=True)
    bytes = BigInteger("Traffic (bytes)", required=True)
    result = fields.Selection(CHARGE_RESULTS, "Result", required=True)
    result_string = result.translated('result')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.period, Index.Range()), (t.date, Index.Range())))

    @staticmethod
    def default_result():
        return 'applied'

    def get_line(self, name):
        return self.period.line.id

    @classmethod
    def search_line(cls, name, clause):
        return [('period.line',) + tuple(clause[1:])]

    def get_product(self, name):
        return self.period.product.id

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        check_audit(cls.__name__, mode, external)

    @classmethod
    def charge_periods(cls, periods, date=None):
        """Credits the campaign volume of the current month of each period
        (months counted from the period's start) unless already credited:
        once a month however often it runs; a missed month is not made up."""
        pool = Pool()
        Bucket = pool.get('partak.traffic.bucket')
        Move = pool.get('partak.traffic.move')
        date = date or now()
        charges = []
        for period in periods:
            volume = period.product.template.campaign_monthly_bytes
            if (not volume or period.state != 'active'
                    or not (period.start <= date < period.end)):
                continue
            slot_start = add_months(period.start,
                months_between(period.start, date))
            if cls.search([
                        ('period', '=', period.id),
                        ('date', '>=', slot_start),
                        ], limit=1):
                continue
            bucket = [b for b in period.buckets if b.kind == 'campaign']
            if bucket:
                bucket, = bucket[:1]
                with without_check_access():
                    Move.create([{'bucket': bucket.id, 'kind': 'credit',
                                'bytes': volume, 'date': date}])
            else:
                Bucket.add(period, 'campaign', volume,
                    name=period.product.rec_name, date=date)
            charges.append({'period': period.id, 'date': date,
                    'bytes': volume, 'result': 'applied'})
        with without_check_access():
            return cls.create(charges)

    @classmethod
    def charge_campaigns(cls, date=None):
        "Cron: the monthly traffic of the running campaigns."
        pool = Pool()
        Period = pool.get('partak.service.period')
        date = date or now()
        periods = Period.search([
                ('state', '=', 'active'),
                ('start', '<=', date),
                ('end', '>', date),
                ('product.template.campaign_monthly_bytes', '>', 0),
                ])
        return cls.charge_periods(periods, date=date)
