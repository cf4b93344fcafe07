# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Business settings of sales and the wallet (a Tryton singleton, edited in
the back office): the amounts a subscriber may top up their panel credit
with at the bank."""
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.pyson import Eval


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Settings of sales and the panel credit."
    __name__ = 'partak.services.configuration'
    __string__ = "Sales and Panel Credit Settings"
    topup_minimum = fields.Integer("Smallest Top-up (Rial)", required=True,
        domain=[('topup_minimum', '>', 0)],
        help="The least a subscriber may add to the panel credit at the "
        "bank (Iranian gateways refuse less than 10,000 Rials).")
    topup_maximum = fields.Integer("Largest Top-up (Rial)", required=True,
        domain=[('topup_maximum', '>=', Eval('topup_minimum', 0))],
        help="The most a subscriber may add in one payment.")

    @staticmethod
    def default_topup_minimum():
        return 10_000

    @staticmethod
    def default_topup_maximum():
        return 500_000_000

    @classmethod
    def get(cls):
        return cls(1)
