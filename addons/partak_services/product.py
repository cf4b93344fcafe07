# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The service catalogue: plans, traffic packs, timed traffic packs and
static IP prices are Tryton products with the fields of an ISP."""
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import PoolMeta
from trytond.pyson import Eval, In
from trytond.transaction import Transaction

from .tools import MB, BigInteger, company_context

PARTAK_KINDS = [
    (None, ""),
    ('plan', "Service Plan"),
    ('traffic', "Traffic Pack"),
    ('timed_traffic', "Timed Traffic Pack"),
    ('static_ip', "Static IP"),
    ]
VOLUME_PERIODS = [
    ('term', "Once for the Term"),
    ('month', "Each Month"),
    ]
BILLINGS = [
    ('prepaid', "Prepaid"),
    ('postpaid', "Postpaid"),
    ]

_plan = {'invisible': Eval('partak_kind') != 'plan'}
_volume = {'invisible': ~In(Eval('partak_kind'),
        ['plan', 'traffic', 'timed_traffic'])}


class Template(metaclass=PoolMeta):
    __name__ = 'product.template'

    partak_kind = fields.Selection(PARTAK_KINDS, "Internet Service Kind",
        help="What the subscriber buys: a plan, a traffic pack, a timed "
        "traffic pack or a month of static IP.")
    partak_kind_string = partak_kind.translated('partak_kind')
    speed_down_kbps = fields.Integer("Download Speed (kbit/s)",
        states=_plan)
    speed_up_kbps = fields.Integer("Upload Speed (kbit/s)", states=_plan)
    volume_bytes = BigInteger("Volume (bytes)", states=_volume,
        help="Empty for an unlimited plan.")
    volume_mb = fields.Function(BigInteger("Volume (MB)",
            states=_volume, help="Empty for an unlimited plan."),
        'get_mb', setter='set_mb')
    volume_period = fields.Selection(VOLUME_PERIODS, "Volume Given",
        states=_plan,
        help="The whole volume at the start, or the volume each month of "
        "a long plan.")
    duration_days = fields.Integer("Duration (days)", states=_plan)
    billing = fields.Selection(BILLINGS, "Billing", states=_plan,
        help="Prepaid: paid when bought.  Postpaid: billed each month at "
        "the daily rate.")
    billing_string = billing.translated('billing')
    subscription_fee = fields.Integer("Subscription Fee (Rial)",
        states=_plan)
    sold_online = fields.Boolean("Sold Online",
        help="Offered to subscribers in the customer portal.")
    bonus_percent = fields.Integer("Bonus (%)",
        states={'invisible': ~In(Eval('partak_kind'),
                ['traffic', 'timed_traffic'])},
        help="A pack credits its volume plus this percentage.")
    window_days = fields.Integer("Window (days)",
        states={'invisible': Eval('partak_kind') != 'timed_traffic'},
        help="The timed traffic expires this many days after purchase.")
    campaign_monthly_bytes = BigInteger("Campaign Monthly Volume "
        "(bytes)", states=_plan)
    campaign_monthly_mb = fields.Function(BigInteger(
            "Campaign Monthly Volume (MB)", states=_plan,
            help="Credited each month of a campaign plan."),
        'get_mb', setter='set_mb')
    fair_use_kbps = fields.Integer("Fair Use Speed (kbit/s)", states=_plan,
        help="Speed once the volume is used up (empty: no access).")

    @staticmethod
    def default_volume_period():
        return 'term'

    @staticmethod
    def default_billing():
        return 'prepaid'

    @staticmethod
    def default_subscription_fee():
        return 0

    @staticmethod
    def default_sold_online():
        return False

    @staticmethod
    def default_bonus_percent():
        return 0

    @classmethod
    def default_partak_kind(cls):
        return None

    def get_mb(self, name):
        value = getattr(self, name[:-len('_mb')] + '_bytes')
        return value // MB if value is not None else None

    @classmethod
    def set_mb(cls, templates, name, value):
        cls.write(templates, {name[:-len('_mb')] + '_bytes':
                value * MB if value is not None else None})

    @property
    def partak_price(self):
        """The list price in integer Rials (IRR has no decimals), read with
        the company in the context (prices are per company in Tryton)."""
        if Transaction().context.get('company'):
            return int(self.list_price or 0)
        with company_context():
            return int(self.__class__(self.id).list_price or 0)

    @property
    def partak_vat_rate(self):
        "The sum of the customer percentage taxes (Decimal('0.09'))."
        rate = Decimal(0)
        for tax in getattr(self, 'customer_taxes_used', None) or []:
            if tax.type == 'percentage' and tax.rate:
                rate += tax.rate
        return rate

    @property
    def partak_monthly_volume(self):
        "Bytes credited at each credit of a plan (term or month)."
        return self.volume_bytes

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        for template in templates:
            kind = template.partak_kind
            if not kind:
                continue
            error = None
            if kind == 'plan' and not (template.duration_days or 0) > 0:
                error = 'msg_plan_duration'
            elif (kind in {'traffic', 'timed_traffic'}
                    and not (template.volume_bytes or 0) > 0):
                error = 'msg_pack_volume'
            elif (kind == 'timed_traffic'
                    and not (template.window_days or 0) > 0):
                error = 'msg_timed_window'
            if error:
                raise ValidationError(gettext('partak_services.' + error,
                        product=template.rec_name))


class Product(metaclass=PoolMeta):
    __name__ = 'product.product'

    @property
    def partak_price(self):
        return self.template.partak_price

    @property
    def partak_vat_rate(self):
        return self.template.partak_vat_rate
