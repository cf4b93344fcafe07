# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('partak.radius.job|send_pending',
                    "Send Pending Disconnect/CoA Requests"),
                ('partak.radius.session|enforce_all',
                    "Disconnect Sessions That Lost the Right to Connect"),
                ('partak.radius.session|close_stale',
                    "Close Stale RADIUS Sessions"),
                ('partak.radius.counter|book_usage',
                    "Book RADIUS Usage on the Traffic Ledger"),
                ('partak.radius.balance|resync',
                    "Rebuild the RADIUS Traffic Balances"),
                ('partak.radius.reject|prune',
                    "Prune the RADIUS Reject Log"),
                ])
