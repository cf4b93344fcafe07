# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a line has: its running and reserve services, remaining days and
traffic, static IP, the one-time free charge, and the collection of lines
left without a paid service."""
import datetime
import ipaddress

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

from .ledger import check_audit
from .tools import MB, BigInteger, add_months, now, setting

STATIC_IP_STATES = [
    ('reserve', "Not Started"),
    ('active', "Active"),
    ('expired', "Expired"),
    ]


class Line(metaclass=PoolMeta):
    __name__ = 'partak.line'
    periods = fields.One2Many('partak.service.period', 'line', "Services",
        readonly=True)
    active_period = fields.Function(fields.Many2One(
            'partak.service.period', "Active Service"), 'get_active_period')
    reserve_periods = fields.Function(fields.Many2Many(
            'partak.service.period', None, None, "Reserve Services"),
        'get_reserve_periods')
    remaining_days = fields.Function(fields.Integer("Remaining Days"),
        'get_remaining')
    remaining_bytes = fields.Function(BigInteger(
            "Remaining Traffic (bytes)",
            help="Empty when the service is unlimited."), 'get_remaining')
    reserve_bytes = fields.Function(BigInteger(
            "Reserve Traffic (bytes)"), 'get_reserve_bytes')
    static_ip = fields.Function(fields.Many2One('partak.static_ip',
            "Static IP"), 'get_static_ip')
    static_ips = fields.One2Many('partak.static_ip', 'line', "Static IPs",
        readonly=True)
    free_charges = fields.One2Many('partak.free_charge', 'line',
        "Free Charge", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'take_free_charge_button': {},
                })

    @classmethod
    def get_active_period(cls, lines, name):
        Period = Pool().get('partak.service.period')
        date = now()
        result = {l.id: None for l in lines}
        for period in Period.search([
                    ('line', 'in', [l.id for l in lines]),
                    ('state', '=', 'active'),
                    ('start', '<=', date),
                    ('end', '>', date),
                    ], order=[('start', 'ASC'), ('id', 'ASC')]):
            result[period.line.id] = period.id
        return result

    @classmethod
    def get_reserve_periods(cls, lines, name):
        Period = Pool().get('partak.service.period')
        result = {l.id: [] for l in lines}
        for period in Period.search([
                    ('line', 'in', [l.id for l in lines]),
                    ('state', '=', 'reserve'),
                    ], order=[('start', 'ASC'), ('id', 'ASC')]):
            result[period.line.id].append(period.id)
        return result

    @classmethod
    def get_remaining(cls, lines, names):
        result = {n: {} for n in names}
        for line in lines:
            period = line.active_period
            if 'remaining_days' in names:
                result['remaining_days'][line.id] = (
                    period.remaining_days if period else 0)
            if 'remaining_bytes' in names:
                result['remaining_bytes'][line.id] = (
                    period.remaining_bytes if period else 0)
        return result

    def get_reserve_bytes(self, name):
        return sum(p.remaining_bytes or 0 for p in self.reserve_periods)

    @classmethod
    def get_static_ip(cls, lines, name):
        StaticIP = Pool().get('partak.static_ip')
        result = {l.id: None for l in lines}
        for ip in StaticIP.search([
                    ('line', 'in', [l.id for l in lines]),
                    ], order=[('end', 'ASC'), ('id', 'ASC')]):
            result[ip.line.id] = ip.id
        return result

    # Free charge ---------------------------------------------------------

    def take_free_charge(self, date=None):
        """The one-time emergency charge: 2 days if the days ran out (with
        100 MB on a limited plan, to connect at all), 100 MB if only the
        traffic ran out (settings [partak] free_charge_days and
        free_charge_bytes).  Refused once taken, or while days and traffic
        are left."""
        pool = Pool()
        Period = pool.get('partak.service.period')
        Bucket = pool.get('partak.traffic.bucket')
        FreeCharge = pool.get('partak.free_charge')
        date = date or now()
        self.__class__.lock([self])
        if FreeCharge.search([('line', '=', self.id)], limit=1):
            raise ValidationError(gettext(
                    'partak_services.msg_free_charge_taken',
                    line=self.rec_name))
        days = setting('free_charge_days', 2)
        bytes_ = setting('free_charge_bytes', 100 * MB)
        Period.update_lines([self], date=date)
        active = Line_active(self, date)
        note = gettext('partak_services.msg_free_charge_note')
        if active:
            if active.unlimited or (active.remaining_bytes or 0) > 0:
                raise ValidationError(gettext(
                        'partak_services.msg_free_charge_not_needed',
                        line=self.rec_name))
            Bucket.add(active, 'free', bytes_, name=note, date=date)
            period, given_days = active, 0
        else:
            last = Period.search([('line', '=', self.id)],
                order=[('end', 'DESC'), ('id', 'DESC')], limit=1)
            if not last:
                raise ValidationError(gettext(
                        'partak_services.msg_free_charge_no_service',
                        line=self.rec_name))
            last, = last
            with without_check_access():
                period, = Period.create([{
                            'line': self.id, 'product': last.product.id,
                            'state': 'active', 'start': date,
                            'end': date + datetime.timedelta(days=days),
                            'paid_amount': 0, 'channel': 'online',
                            'note': note}])
            given_days = days
            if period.unlimited:
                bytes_ = 0
            else:
                Bucket.add(period, 'free', bytes_, name=note, date=date)
        with without_check_access():
            charge, = FreeCharge.create([{
                        'line': self.id, 'date': date, 'days': given_days,
                        'bytes': bytes_, 'period': period.id}])
        return charge

    @classmethod
    @ModelView.button
    def take_free_charge_button(cls, lines):
        for line in lines:
            line.take_free_charge()

    # Collection ----------------------------------------------------------

    @classmethod
    def held_in_collection(cls, lines):
        """The ids of `lines` that something other than a lapsed service
        keeps in the collection list, so a purchase does not give them
        back to service.  Nothing here; partak_collection adds the lines
        of an unpaid bill's dunning."""
        return set()

    @classmethod
    def collect_lapsed_lines(cls, date=None):
        """Cron: a line in service whose last service ended more than
        [partak] collection_grace_days days ago (default 3), with nothing
        running nor in reserve, goes to the collection list."""
        pool = Pool()
        Period = pool.get('partak.service.period')
        date = date or now()
        grace = datetime.timedelta(days=setting('collection_grace_days', 3))
        Period.expire_periods(date=date)
        running = {p.line.id for p in Period.search([
                    ('state', 'in', ['active', 'reserve']),
                    ('end', '>', date),
                    ])}
        recent = {p.line.id for p in Period.search([
                    ('end', '>', date - grace),
                    ])}
        lapsed = {p.line.id for p in Period.search([
                    ('state', '=', 'ended'),
                    ('end', '<=', date - grace),
                    ('line.status', '=', 'in_service'),
                    ])}
        lines = cls.browse(sorted(lapsed - running - recent))
        if lines:
            cls.set_status(lines, 'collection', note=gettext(
                    'partak_services.msg_collection_note',
                    days=grace.days))
        return lines


def Line_active(line, date):
    "The period running on line at date (not cached)."
    Period = Pool().get('partak.service.period')
    periods = Period.search([
            ('line', '=', line.id), ('state', '=', 'active'),
            ('start', '<=', date), ('end', '>', date),
            ], limit=1)
    return periods[0] if periods else None


class StaticIP(ModelSQL, ModelView):
    "A static IP address (and optional routed prefix) rented by the month."
    __name__ = 'partak.static_ip'
    _rec_name = 'address'
    address = fields.Char("Address", required=True)
    route = fields.Char("Route IP", help="A routed prefix, e.g. 85.9.70.0/29.")
    line = fields.Many2One('partak.line', "Line", required=True,
        ondelete='RESTRICT')
    subscriber = fields.Function(fields.Many2One('party.party', "Subscriber"),
        'get_subscriber', searcher='search_subscriber')
    product = fields.Many2One('product.product', "Price",
        domain=[('partak_kind', '=', 'static_ip')], ondelete='RESTRICT')
    start = fields.DateTime("Start", required=True)
    end = fields.DateTime("Expiry", required=True)
    state = fields.Function(fields.Selection(STATIC_IP_STATES, "State"),
        'get_state', searcher='search_state')
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('end', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.line, Index.Range())))

    def get_subscriber(self, name):
        return self.line.subscriber.id

    @classmethod
    def search_subscriber(cls, name, clause):
        return [('line.subscriber',) + tuple(clause[1:])]

    def get_state(self, name):
        date = now()
        if self.start > date:
            return 'reserve'
        return 'active' if self.end > date else 'expired'

    @classmethod
    def search_state(cls, name, clause):
        _, operator, value = clause[:3]
        date = now()
        domains = {
            'reserve': [('start', '>', date)],
            'active': [('start', '<=', date), ('end', '>', date)],
            'expired': [('end', '<=', date)],
            }
        values = value if isinstance(value, (list, tuple)) else [value]
        domain = ['OR'] + [domains[v] for v in values if v in domains]
        if operator in {'!=', 'not in'}:
            other = [s for s in domains if s not in values]
            domain = ['OR'] + [domains[v] for v in other]
        return domain

    @classmethod
    def validate_fields(cls, ips, field_names):
        super().validate_fields(ips, field_names)
        if 'address' in field_names:
            for ip in ips:
                try:
                    ipaddress.ip_address(ip.address)
                except ValueError:
                    raise ValidationError(gettext(
                            'partak_services.msg_static_ip_invalid',
                            address=ip.address))

    @classmethod
    def free_address(cls):
        "The first address of the pool ([partak] static_ip_pool) not rented."
        pool = config.get('partak', 'static_ip_pool',
            default='85.9.70.24/29')
        taken = {ip.address for ip in cls.search([('end', '>', now())])}
        for address in ipaddress.ip_network(pool, strict=False).hosts():
            if str(address) not in taken:
                return str(address)
        raise ValidationError(gettext(
                'partak_services.msg_static_ip_pool_empty', pool=pool))

    @classmethod
    def extend(cls, line, months, product=None, date=None):
        """Extends the static IP of line by `months` months from its expiry
        (or from now when expired); rents one from the pool if none."""
        date = date or now()
        current = cls.search([('line', '=', line.id)],
            order=[('end', 'DESC'), ('id', 'DESC')], limit=1)
        with without_check_access():
            if current:
                ip, = current
                start = max(ip.end, date)
                values = {'end': add_months(start, months)}
                if ip.end <= date:
                    values['start'] = date
                if product:
                    values['product'] = product.id
                cls.write([ip], values)
                return ip
            ip, = cls.create([{
                        'address': cls.free_address(), 'line': line.id,
                        'product': product.id if product else None,
                        'start': date, 'end': add_months(date, months)}])
            return ip


class FreeCharge(ModelSQL, ModelView):
    "The one-time emergency charge of a line (شارژ رایگان)."
    __name__ = 'partak.free_charge'
    line = fields.Many2One('partak.line', "Line", required=True,
        ondelete='RESTRICT')
    date = fields.DateTime("Date", required=True)
    days = fields.Integer("Days", required=True)
    bytes = BigInteger("Traffic (bytes)", required=True)
    period = fields.Many2One('partak.service.period', "Period",
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('line_unique', Unique(t, t.line),
                'partak_services.msg_free_charge_taken_unique'),
            ]

    @staticmethod
    def default_date():
        return now()

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        check_audit(cls.__name__, mode, external)
