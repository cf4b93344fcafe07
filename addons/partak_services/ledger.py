# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Service periods and their traffic: a period is a plan running on a line
from start to end; its traffic lives in buckets whose balance is the sum
of their moves.  Balances are never overwritten: every credit, usage or
expiry is a new move."""
import datetime

from sql import Literal, Null
from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond import backend
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .tools import BigInteger, add_months, months_between, now, sql_in

CHANNELS = [
    ('admin', "System Administrator"),
    ('agent', "Sales Agent in Person"),
    ('online', "Online"),
    ]
PERIOD_STATES = [
    ('reserve', "Reserve"),
    ('active', "Active"),
    ('ended', "Ended"),
    ]
BUCKET_KINDS = [
    ('plan', "Plan Volume"),
    ('pack', "Traffic Pack"),
    ('timed', "Timed Traffic"),
    ('free', "Free Charge"),
    ('campaign', "Campaign Charge"),
    ]
MOVE_KINDS = [
    ('credit', "Credit"),
    ('usage', "Usage"),
    ('expiry', "Expiry"),
    ]
DAY = datetime.timedelta(days=1)


def check_audit(model, mode, external):
    "Ledger rows are added, never rewritten by people."
    if mode in {'write', 'delete'} and external:
        raise AccessError(gettext('partak_services.msg_ledger_readonly',
                model=model))


class ServicePeriod(ModelSQL, ModelView):
    "A plan running on a line from start to end (active, reserve or ended)."
    __name__ = 'partak.service.period'
    line = fields.Many2One('partak.line', "Line", required=True,
        ondelete='RESTRICT')
    subscriber = fields.Function(fields.Many2One('party.party', "Subscriber"),
        'get_subscriber', searcher='search_subscriber')
    product = fields.Many2One('product.product', "Service", required=True,
        ondelete='RESTRICT', domain=[('partak_kind', '=', 'plan')])
    state = fields.Selection(PERIOD_STATES, "State", required=True,
        readonly=True)
    state_string = state.translated('state')
    start = fields.DateTime("Start", required=True)
    end = fields.DateTime("End", required=True,
        domain=[('end', '>=', Eval('start'))])
    paid_amount = fields.Integer("Paid Amount (Rial)",
        help="The price paid without VAT: the basis of the remaining value.")
    order = fields.Many2One('partak.order', "Order", readonly=True,
        ondelete='RESTRICT')
    channel = fields.Selection(CHANNELS, "Channel", required=True)
    channel_string = channel.translated('channel')
    note = fields.Char("Note")
    buckets = fields.One2Many('partak.traffic.bucket', 'period', "Traffic",
        readonly=True)
    billing = fields.Function(fields.Selection([
                (None, ""), ('prepaid', "Prepaid"), ('postpaid', "Postpaid"),
                ], "Billing"), 'get_billing')
    term_days = fields.Function(fields.Integer("Term (days)"),
        'get_term_days')
    remaining_days = fields.Function(fields.Integer("Remaining Days"),
        'get_remaining_days')
    unlimited = fields.Function(fields.Boolean("Unlimited"),
        'get_unlimited')
    remaining_bytes = fields.Function(BigInteger("Remaining Traffic "
            "(bytes)"), 'get_remaining_bytes')
    remaining_value = fields.Function(fields.Integer("Remaining Value "
            "(Rial)"), 'get_remaining_value')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.line, Index.Range()), (t.state, Index.Equality())),
                Index(t, (t.state, Index.Equality()), (t.end, Index.Range())),
                })

    @staticmethod
    def default_state():
        return 'active'

    @staticmethod
    def default_channel():
        return 'admin'

    @staticmethod
    def default_paid_amount():
        return 0

    def get_rec_name(self, name):
        return self.product.rec_name if self.product else str(self.id)

    def get_subscriber(self, name):
        return self.line.subscriber.id

    @classmethod
    def search_subscriber(cls, name, clause):
        return [('line.subscriber',) + tuple(clause[1:])]

    def get_billing(self, name):
        return self.product.billing if self.product else None

    def get_term_days(self, name):
        "Length of the period in days, rounded (30 days less a few minutes)."
        return int(round((self.end - self.start).total_seconds() / 86400))

    def get_remaining_days(self, name):
        "Whole days until the end (for a reserve: its whole length)."
        if self.state == 'ended':
            return 0
        return max((self.end - max(now(), self.start)).days, 0)

    def get_unlimited(self, name):
        template = self.product.template
        return (template.volume_bytes is None
            and not template.campaign_monthly_bytes)

    @classmethod
    def get_remaining_bytes(cls, periods, name):
        "Sum of the moves of the live buckets; None when unlimited."
        pool = Pool()
        Bucket = pool.get('partak.traffic.bucket')
        Move = pool.get('partak.traffic.move')
        bucket = Bucket.__table__()
        move = Move.__table__()
        cursor = Transaction().connection.cursor()
        date = now()
        result = {p.id: 0 for p in periods}
        for sub_ids in grouped_slice([p.id for p in periods],
                backend.MAX_QUERY_PARAMS):
            cursor.execute(*bucket.join(move,
                    condition=move.bucket == bucket.id
                    ).select(bucket.period, Sum(move.bytes),
                    where=sql_in(bucket.period, list(sub_ids))
                    & ((bucket.expires == Null) | (bucket.expires > date)),
                    group_by=bucket.period))
            for period_id, total in cursor:
                result[period_id] = int(total or 0)
        for period in periods:
            if period.unlimited and not period.buckets:
                result[period.id] = None
            elif result[period.id] < 0:
                result[period.id] = 0
        return result

    def get_remaining_value(self, name):
        from .pricing import remaining_value
        if self.state == 'ended':
            return 0
        return remaining_value(
            self.paid_amount or 0, self.remaining_days, self.term_days)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'delete' and external:
            check_audit(cls.__name__, mode, external)

    # Creation and life cycle ---------------------------------------------

    @classmethod
    def new_period(cls, line, product, start, state='active', order=None,
            paid_amount=0, channel='admin', note=None, end=None):
        """Creates a period of `product` on `line` from `start` (for the
        product's duration) with its plan bucket and first volume credit."""
        template = product.template
        if end is None:
            end = start + datetime.timedelta(days=template.duration_days or 0)
        period, = cls.create([{
                    'line': line.id,
                    'product': product.id,
                    'state': state,
                    'start': start,
                    'end': end,
                    'order': order.id if order else None,
                    'paid_amount': paid_amount or 0,
                    'channel': channel,
                    'note': note,
                    }])
        period.credit_plan_volume(start)
        if state == 'active':
            cls.activated([period])
        return period

    def plan_bucket(self, create=True):
        pool = Pool()
        Bucket = pool.get('partak.traffic.bucket')
        for bucket in self.buckets:
            if bucket.kind == 'plan':
                return bucket
        if not create:
            return None
        bucket, = Bucket.create([{
                    'period': self.id, 'kind': 'plan',
                    'name': self.product.rec_name}])
        return bucket

    @property
    def volume_slots(self):
        "How many volume credits the plan gives: 1, or one a month."
        template = self.product.template
        if template.volume_period != 'month':
            return 1
        return max(int(round(self.term_days * 12 / 365.25)), 1)

    def credit_plan_volume(self, date=None):
        """Credits the plan's volume due until `date`: once for a term plan,
        each month (slot k at start + k months) for a monthly plan."""
        pool = Pool()
        Move = pool.get('partak.traffic.move')
        volume = self.product.template.volume_bytes
        if not volume:
            return 0
        date = date or now()
        bucket = self.plan_bucket()
        credited = Move.search_count([
                ('bucket', '=', bucket.id), ('kind', '=', 'credit')])
        if self.product.template.volume_period == 'month':
            due = min(months_between(self.start, max(date, self.start)) + 1,
                self.volume_slots)
        else:
            due = 1
        moves = []
        for slot in range(credited, due):
            moves.append({
                    'bucket': bucket.id, 'kind': 'credit', 'bytes': volume,
                    'date': max(add_months(self.start, slot),
                        min(date, self.start)),
                    'note': (gettext('partak_services.msg_month_credit',
                            month=slot + 1)
                        if self.volume_slots > 1 else None),
                    })
        if moves:
            Move.create(moves)
        return len(moves)

    @classmethod
    def activated(cls, periods):
        "Hook run when periods become active: the first campaign charge."
        pool = Pool()
        Charge = pool.get('partak.campaign.charge')
        Charge.charge_periods(
            [p for p in periods if p.product.template.campaign_monthly_bytes])

    @classmethod
    def end_periods(cls, periods, date=None, note=None):
        """Ends periods (now or at their end); what is left in their buckets
        is written off with an expiry move."""
        pool = Pool()
        Bucket = pool.get('partak.traffic.bucket')
        if not periods:
            return
        date = date or now()
        to_write = []
        for period in periods:
            values = {'state': 'ended'}
            if period.end > date:
                values['end'] = max(date, period.start)
            if note:
                values['note'] = note
            to_write.extend(([period], values))
        cls.write(*to_write)
        Bucket.expire([b for p in periods for b in p.buckets], date=date)

    @classmethod
    @without_check_access
    def update_lines(cls, lines, date=None):
        """Brings the periods of lines up to date: ends active periods whose
        end has passed and starts the next reserve period where no service
        is running.  Returns the periods started (the system's work, done
        whoever triggers it)."""
        date = date or now()
        started = []
        for line in lines:
            periods = cls.search([
                    ('line', '=', line.id),
                    ('state', 'in', ['active', 'reserve']),
                    ], order=[('start', 'ASC'), ('id', 'ASC')])
            current, cursor, lapsed = None, None, None
            for period in [p for p in periods if p.state == 'active']:
                if period.end <= date:
                    cls.end_periods([period], date=period.end)
                    cursor = max(cursor or period.end, period.end)
                    lapsed = period
                else:
                    current = period
            if current:
                continue
            reserves = [p for p in periods if p.state == 'reserve']
            if (not reserves and lapsed
                    and lapsed.product.template.billing == 'postpaid'
                    and line.status == 'in_service'):
                started.extend(cls.renew_postpaid(line, lapsed, date))
                continue
            for period in reserves:
                duration = period.end - period.start
                start = cursor if cursor is not None else min(
                    period.start, date)
                cls.write([period], {
                        'state': 'active',
                        'start': start,
                        'end': start + duration,
                        })
                period = cls(period.id)
                if period.volume_slots > 1:
                    period.credit_plan_volume(date)
                cls.activated([period])
                started.append(period)
                if period.end <= date:
                    cls.end_periods([period], date=period.end)
                    cursor = period.end
                    continue
                break
        return started

    @classmethod
    def renew_postpaid(cls, line, lapsed, date):
        "A postpaid service runs on, term after term, until it is stopped."
        started = []
        start = lapsed.end
        while True:
            period = cls.new_period(line, lapsed.product, start,
                channel=lapsed.channel,
                note=gettext('partak_services.msg_period_renewed'))
            started.append(period)
            if period.end > date or period.end <= start:
                break
            cls.end_periods([period], date=period.end)
            start = period.end
        return started

    @classmethod
    def chain_reserves(cls, line):
        """Lays the reserve periods of a line one after the other from the
        end of the active period (after a change of service)."""
        active = line.active_period
        if not active:
            return
        cursor = active.end
        for period in cls.search([
                    ('line', '=', line.id), ('state', '=', 'reserve'),
                    ], order=[('start', 'ASC'), ('id', 'ASC')]):
            duration = period.end - period.start
            if period.start != cursor:
                cls.write([period], {
                        'start': cursor, 'end': cursor + duration})
            cursor = cursor + duration

    def consume(self, bytes_, date=None, note=None):
        """Books `bytes_` of usage on this period: timed buckets first
        (earliest expiry first), then the others (those that expire first,
        then by age).  Expired buckets are ignored.  Returns the bytes that
        could not be booked (0 when the period had enough, or unlimited)."""
        pool = Pool()
        Bucket = pool.get('partak.traffic.bucket')
        Move = pool.get('partak.traffic.move')
        bytes_ = int(bytes_ or 0)
        if bytes_ <= 0:
            return 0
        date = date or now()
        self.__class__.lock([self])
        buckets = Bucket.search([
                ('period', '=', self.id),
                ['OR', ('expires', '=', None), ('expires', '>', date)],
                ])
        if not buckets:
            return 0 if self.unlimited else bytes_
        remaining = Bucket.get_remaining(buckets, 'remaining')
        far = datetime.datetime.max
        buckets.sort(key=lambda b: (b.kind != 'timed', b.expires or far,
                b.id))
        left = bytes_
        moves = []
        for bucket in buckets:
            take = min(remaining[bucket.id], left)
            if take <= 0:
                continue
            moves.append({'bucket': bucket.id, 'date': date, 'bytes': -take,
                    'kind': 'usage', 'note': note})
            left -= take
            if not left:
                break
        with without_check_access():
            Move.create(moves)
        if self.unlimited:
            return 0
        return left

    # Crons ---------------------------------------------------------------

    @classmethod
    def expire_periods(cls, date=None):
        "Cron: end the periods that are over and start the reserve ones."
        pool = Pool()
        Line = pool.get('partak.line')
        date = date or now()
        periods = cls.search(['OR', [
                    ('state', '=', 'active'), ('end', '<=', date),
                    ], [
                    ('state', '=', 'reserve'), ('start', '<=', date),
                    ]])
        lines = Line.browse(list({p.line.id for p in periods}))
        # lines with a reserve but no active period (e.g. an early end)
        reserve_lines = {p.line.id for p in cls.search([
                    ('state', '=', 'reserve')])}
        active_lines = {p.line.id for p in cls.search([
                    ('state', '=', 'active'), ('end', '>', date)])}
        lines += Line.browse(list(reserve_lines - active_lines
                - {l.id for l in lines}))
        return cls.update_lines(lines, date=date)

    @classmethod
    def credit_monthly_volumes(cls, date=None):
        "Cron: the next month's volume of the long plans given monthly."
        date = date or now()
        periods = cls.search([
                ('state', '=', 'active'),
                ('product.template.volume_period', '=', 'month'),
                ('product.template.volume_bytes', '!=', None),
                ])
        count = 0
        for period in periods:
            count += period.credit_plan_volume(min(date, period.end))
        return count


class TrafficBucket(ModelSQL, ModelView):
    "Traffic of a period (plan volume, pack, timed pack, free or campaign)."
    __name__ = 'partak.traffic.bucket'
    period = fields.Many2One('partak.service.period', "Period",
        required=True, ondelete='CASCADE')
    line = fields.Function(fields.Many2One('partak.line', "Line"),
        'get_line', searcher='search_line')
    kind = fields.Selection(BUCKET_KINDS, "Kind", required=True)
    kind_string = kind.translated('kind')
    expires = fields.DateTime("Expires")
    name = fields.Char("Name")
    order = fields.Many2One('partak.order', "Order", readonly=True,
        ondelete='RESTRICT')
    moves = fields.One2Many('partak.traffic.move', 'bucket', "Moves",
        readonly=True)
    remaining = fields.Function(BigInteger("Remaining (bytes)"),
        'get_remaining')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'ASC')]
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.period, Index.Range())),
                Index(t, (t.expires, Index.Range()),
                    where=t.expires != Null),
                })

    def get_rec_name(self, name):
        return self.name or self.kind_string

    def get_line(self, name):
        return self.period.line.id

    @classmethod
    def search_line(cls, name, clause):
        return [('period.line',) + tuple(clause[1:])]

    @classmethod
    def get_remaining(cls, buckets, name):
        pool = Pool()
        Move = pool.get('partak.traffic.move')
        move = Move.__table__()
        cursor = Transaction().connection.cursor()
        result = {b.id: 0 for b in buckets}
        for sub_ids in grouped_slice([b.id for b in buckets],
                backend.MAX_QUERY_PARAMS):
            cursor.execute(*move.select(move.bucket,
                    Coalesce(Sum(move.bytes), Literal(0)),
                    where=sql_in(move.bucket, list(sub_ids)),
                    group_by=move.bucket))
            for bucket_id, total in cursor:
                result[bucket_id] = int(total or 0)
        return result

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        check_audit(cls.__name__, mode, external)

    @classmethod
    def add(cls, period, kind, bytes_, name=None, expires=None, order=None,
            date=None, note=None):
        "Creates a bucket with its credit move."
        pool = Pool()
        Move = pool.get('partak.traffic.move')
        bucket, = cls.create([{
                    'period': period.id, 'kind': kind, 'name': name,
                    'expires': expires,
                    'order': order.id if order else None}])
        Move.create([{'bucket': bucket.id, 'kind': 'credit',
                    'bytes': int(bytes_), 'date': date or now(),
                    'note': note}])
        return bucket

    @classmethod
    def expire(cls, buckets, date=None):
        "Writes off what is left in buckets with an expiry move."
        pool = Pool()
        Move = pool.get('partak.traffic.move')
        if not buckets:
            return []
        remaining = cls.get_remaining(buckets, 'remaining')
        moves = [{'bucket': b.id, 'kind': 'expiry', 'bytes': -remaining[b.id],
                'date': min(date or now(), b.expires or datetime.datetime.max)}
            for b in buckets if remaining[b.id] > 0]
        with without_check_access():
            return Move.create(moves)

    @classmethod
    def expire_buckets(cls, date=None):
        "Cron: what is left of the timed packs past their window expires."
        date = date or now()
        buckets = cls.search([
                ('expires', '!=', None),
                ('expires', '<=', date),
                ])
        return cls.expire(buckets, date=date)


class TrafficMove(ModelSQL, ModelView):
    "A credit (+), a usage or an expiry (−) of traffic, in bytes."
    __name__ = 'partak.traffic.move'
    bucket = fields.Many2One('partak.traffic.bucket', "Bucket",
        required=True, ondelete='CASCADE')
    period = fields.Function(fields.Many2One('partak.service.period',
            "Period"), 'get_period', searcher='search_period')
    date = fields.DateTime("Date", required=True)
    bytes = BigInteger("Bytes", required=True)
    kind = fields.Selection(MOVE_KINDS, "Kind", required=True)
    kind_string = kind.translated('kind')
    note = fields.Char("Note")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.bucket, Index.Range())))

    @staticmethod
    def default_date():
        return now()

    def get_period(self, name):
        return self.bucket.period.id

    @classmethod
    def search_period(cls, name, clause):
        return [('bucket.period',) + tuple(clause[1:])]

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        check_audit(cls.__name__, mode, external)
