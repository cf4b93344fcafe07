# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


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
