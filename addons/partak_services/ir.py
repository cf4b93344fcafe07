# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .tools import local_zone


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('partak.service.period|expire_periods',
                    "End Services and Start Reserve Services"),
                ('partak.service.period|credit_monthly_volumes',
                    "Credit the Monthly Volume of Long Plans"),
                ('partak.traffic.bucket|expire_buckets',
                    "Expire Timed Traffic"),
                ('partak.line|collect_lapsed_lines',
                    "Move Lines without Service to the Collection List"),
                ('partak.bill|create_bills', "Create Postpaid Bills"),
                ('partak.campaign.charge|charge_campaigns',
                    "Credit Campaign Traffic"),
                ('account.invoice.deferred|recognise_months',
                    "Recognise the Deferred Revenue of the Months Begun"),
                ])


class Date(metaclass=PoolMeta):
    __name__ = 'ir.date'

    @classmethod
    def today(cls, timezone=None):
        """The ISP's date: the company's time zone, else the [partak]
        timezone (Asia/Tehran), never the server's (UTC) one.

        Partak dates its periods and moves by the local day; a "today" of
        the server's zone would be yesterday between 00:00 and 03:30 in
        Tehran, so a credit note's term would be one day longer than the
        plan's and a report's "as of today" would miss the day's moves."""
        if timezone is None:
            Company = Pool().get('company.company')
            company_id = Transaction().context.get('company')
            if (company_id is None or company_id < 0
                    or not Company(company_id).timezone):
                timezone = local_zone()
        return super().today(timezone=timezone)
