# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""RADIUS accounting sessions and the traffic counters that accounting
updates.  FreeRADIUS writes these tables through the SQL function
partak_radius_acct (see sql.py); Python reads them, books the counted
traffic on the ledger of partak_services and closes stale sessions."""
import datetime
import logging
from collections import defaultdict

from sql.conditionals import Coalesce

from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.model.fields import SQL_OPERATORS
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from . import settings
from .choices import CLOSED_BY, SESSION_STATES


class BigInteger(fields.Integer):
    "An integer stored on 64 bits (bytes of traffic exceed 2**31)."
    _sql_type = 'BIGINT'


logger = logging.getLogger(__name__)


def is_postgresql():
    return backend.name == 'postgresql'


def invalidate(model_name, ids=None):
    """Forgets the cached records of a model (all, or ids) after SQL wrote
    its table behind the ORM (FreeRADIUS's function, the crons)."""
    transaction = Transaction()
    transaction.counter += 1
    for cache in transaction.cache.values():
        if model_name in cache:
            if ids is None:
                cache[model_name].clear()
            else:
                for id_ in ids:
                    cache[model_name].pop(id_, None)


def now():
    "Naive UTC, as Tryton stores date-times."
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Session(ModelSQL, ModelView):
    """One internet session of an account, from the NAS's accounting: login,
    logout, download and upload bytes (with Gigawords) and the bytes deducted
    from the service.  One row per Acct-Unique-Session-Id, however often the
    NAS repeats a packet.  Written by FreeRADIUS, read by people."""
    __name__ = 'partak.radius.session'
    __string__ = "Internet Session"
    unique_id = fields.Char("Unique Session ID", required=True, readonly=True,
        help="Acct-Unique-Session-Id: a hash of the user, Acct-Session-Id "
        "and the NAS.")
    session_id = fields.Char("Acct-Session-Id", readonly=True)
    username = fields.Char("Username", required=True, readonly=True)
    account = fields.Many2One('partak.internet.account', "Internet Account",
        readonly=True, ondelete='SET NULL')
    line = fields.Many2One('partak.line', "Line", readonly=True,
        ondelete='SET NULL')
    period = fields.Many2One('partak.service.period', "Service Period",
        readonly=True, ondelete='SET NULL',
        help="The period whose traffic the session used.")
    nas_ip = fields.Char("NAS IP", readonly=True)
    nas_port = fields.Char("NAS Port", readonly=True)
    framed_ip = fields.Char("IP Address", readonly=True)
    calling_station = fields.Char("Calling Station", readonly=True,
        help="The modem's MAC address or the caller's number.")
    start_time = fields.DateTime("Login", required=True, readonly=True)
    update_time = fields.DateTime("Last Update", readonly=True)
    stop_time = fields.DateTime("Logout", readonly=True)
    session_time = BigInteger("Duration (s)", readonly=True)
    upload_bytes = BigInteger("Upload (bytes)", readonly=True)
    download_bytes = BigInteger("Download (bytes)", readonly=True)
    deducted_bytes = BigInteger("Deducted (bytes)", readonly=True,
        help="Download bytes deducted from the service's traffic.")
    upload_mb = fields.Function(fields.Numeric("Upload (MB)", digits=(16, 2)),
        'get_mb')
    download_mb = fields.Function(fields.Numeric("Download (MB)",
            digits=(16, 2)), 'get_mb')
    deducted_mb = fields.Function(fields.Numeric("Deducted (MB)",
            digits=(16, 2)), 'get_mb')
    state = fields.Selection(SESSION_STATES, "State", required=True,
        readonly=True)
    state_string = state.translated('state')
    closed_by = fields.Selection(CLOSED_BY, "Closed By", readonly=True)
    terminate_cause = fields.Char("Terminate Cause", readonly=True)
    rate_limit = fields.Char("Speed", readonly=True,
        help="The rate limit (upload/download) given to the NAS.")
    jobs = fields.One2Many('partak.radius.job', 'session',
        "Disconnect and CoA", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('start_time', 'DESC'), ('id', 'DESC')]
        cls._sql_constraints += [
            ('unique_id_unique', Unique(t, t.unique_id),
                'partak_usage.msg_session_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.line, Index.Range()),
                    (t.start_time, Index.Range())),
                # Simultaneous-Use and the online flag
                Index(t, (t.username, Index.Equality()),
                    where=t.state == 'open'),
                Index(t, (t.line, Index.Equality()),
                    where=t.state == 'open'),
                Index(t, (t.nas_ip, Index.Equality()),
                    where=t.state == 'open'),
                })
        cls._buttons.update({
                'disconnect_button': {
                    'invisible': Eval('state') != 'open',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        if is_postgresql():
            # Interim updates change no indexed column: room on each page
            # lets PostgreSQL update the row in place (HOT).
            cursor = Transaction().connection.cursor()
            cursor.execute("ALTER TABLE partak_radius_session "
                "SET (fillfactor = 70)")

    @staticmethod
    def default_state():
        return 'open'

    def get_rec_name(self, name):
        return '%s @ %s' % (self.username, self.start_time)

    def get_mb(self, name):
        from .report import mb
        return mb(getattr(self, name[:-len('_mb')] + '_bytes') or 0)

    @property
    def fresh(self):
        "An open session that the NAS reported recently."
        limit = now() - datetime.timedelta(seconds=settings.get('stale_after'))
        return (self.state == 'open'
            and (self.update_time or self.start_time) > limit)

    @classmethod
    @ModelView.button
    def disconnect_button(cls, sessions):
        cls.disconnect(sessions, 'staff')

    @classmethod
    def disconnect(cls, sessions, reason):
        "Queues a Disconnect-Request for each open session."
        Job = Pool().get('partak.radius.job')
        return Job.queue([s for s in sessions if s.state == 'open'],
            'disconnect', reason)

    @classmethod
    def open_sessions(cls, lines=None, accounts=None):
        domain = [('state', '=', 'open')]
        if lines is not None:
            domain.append(('line', 'in', [l.id for l in lines]))
        if accounts is not None:
            domain.append(('account', 'in', [a.id for a in accounts]))
        with without_check_access():
            return cls.search(domain)

    @classmethod
    def enforce(cls, lines=None, sessions=None):
        """Compares each open session (of lines, or all) with what RADIUS
        would answer now and queues a Disconnect-Request for those that lost
        the right to connect, a CoA (or a disconnect) for those whose speed
        changed.  Called by the hooks of lines, subscribers, accounts,
        periods and traffic, and by a cron (expiry happens by itself)."""
        pool = Pool()
        Policy = pool.get('partak.radius.policy')
        Job = pool.get('partak.radius.job')
        if not is_postgresql():
            return []
        if sessions is None:
            sessions = cls.open_sessions(lines=lines)
        sessions = [s for s in sessions if s.state == 'open']
        if not sessions:
            return []
        policies = Policy.by_username({s.username for s in sessions})
        to_disconnect = defaultdict(list)
        to_change = defaultdict(list)
        for session in sessions:
            policy = policies.get(session.username)
            if policy is None:
                to_disconnect['unknown_user'].append(session)
            elif policy['reject_reason']:
                to_disconnect[policy['reject_reason']].append(session)
            elif (policy['rate_limit'] or None) != (session.rate_limit or None):
                reason = 'fair_use' if policy['fair_use'] else 'rate_change'
                to_change[(reason, policy['rate_limit'])].append(session)
        jobs = []
        for reason, group in to_disconnect.items():
            jobs += Job.queue(group, 'disconnect', reason)
        for (reason, rate), group in to_change.items():
            jobs += Job.queue(group, 'coa', reason, rate_limit=rate)
        return jobs

    @classmethod
    def enforce_all(cls):
        "Cron: the sessions of expired services and the like."
        return cls.enforce()

    @classmethod
    def close(cls, sessions, closed_by):
        "Closes open sessions that the NAS will not report any more."
        if not sessions:
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.state, table.closed_by, table.stop_time,
                    table.write_date, table.write_uid],
                ['closed', closed_by,
                    Coalesce(table.update_time, table.start_time),
                    now(), Transaction().user],
                where=SQL_OPERATORS['in'](table.id, [s.id for s in sessions])
                & (table.state == 'open')))
        invalidate(cls.__name__, [s.id for s in sessions])

    @classmethod
    def close_stale(cls, date=None):
        """Cron: closes the open sessions without accounting for longer than
        stale_after (the NAS rebooted or lost the Stop).  A late Interim
        reopens them."""
        if not is_postgresql():
            return 0
        date = date or now()
        limit = date - datetime.timedelta(seconds=settings.get('stale_after'))
        cursor = Transaction().connection.cursor()
        cursor.execute("UPDATE partak_radius_session "
            "SET state = 'closed', closed_by = 'stale', "
            "stop_time = COALESCE(update_time, start_time), "
            "write_date = %s, write_uid = %s "
            "WHERE state = 'open' "
            "AND COALESCE(update_time, start_time) < %s",
            (now(), Transaction().user, limit))
        invalidate(cls.__name__)
        return cursor.rowcount

    @classmethod
    def online_lines(cls, line_ids):
        "The ids of the lines with a fresh open session."
        if not line_ids:
            return set()
        limit = now() - datetime.timedelta(seconds=settings.get('stale_after'))
        session = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*session.select(session.line,
                where=(session.state == 'open')
                & (session.update_time > limit)
                & SQL_OPERATORS['in'](session.line, list(line_ids)),
                group_by=session.line))
        return {r[0] for r in cursor}


class Counter(ModelSQL, ModelView):
    """The traffic that accounting counted on a period, updated by the SQL
    of each Accounting-Request.  `unbooked` is what the cron has not yet
    booked as 'usage' moves on the ledger (Period.consume)."""
    __name__ = 'partak.radius.counter'
    __string__ = "RADIUS Traffic Counter"
    period = fields.Many2One('partak.service.period', "Service Period",
        required=True, readonly=True, ondelete='CASCADE')
    used = BigInteger("Counted (bytes)", readonly=True,
        help="All download bytes counted by accounting on the period.")
    unbooked = BigInteger("Not Yet Booked (bytes)", readonly=True)
    booked = BigInteger("Booked (bytes)", readonly=True)
    overuse = BigInteger("Beyond the Traffic (bytes)", readonly=True,
        help="Counted after the traffic ran out (before the disconnect).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('period_unique', Unique(t, t.period),
                'partak_usage.msg_counter_unique'),
            ]

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        if is_postgresql():
            cursor = Transaction().connection.cursor()
            cursor.execute("ALTER TABLE partak_radius_counter "
                "SET (fillfactor = 70)")

    @staticmethod
    def default_used():
        return 0

    default_unbooked = default_booked = default_overuse = default_used

    @classmethod
    def book(cls, counters=None, date=None):
        """Books the unbooked bytes of counters on their period's ledger
        (timed buckets first, as Period.consume does).  Each counter row is
        locked while it is booked, so accounting adding to it waits."""
        if not is_postgresql():
            return 0
        if counters is None:
            counters = cls.search([('unbooked', '>', 0)])
        cursor = Transaction().connection.cursor()
        total = 0
        for counter in counters:
            cursor.execute("SELECT unbooked FROM partak_radius_counter "
                "WHERE id = %s FOR UPDATE", (counter.id,))
            row = cursor.fetchone()
            unbooked = row[0] if row else 0
            if not unbooked or unbooked <= 0:
                continue
            with without_check_access():
                left = counter.period.consume(unbooked, date=date,
                    note='RADIUS')
            cursor.execute("UPDATE partak_radius_counter SET "
                "unbooked = unbooked - %s, booked = booked + %s, "
                "overuse = overuse + %s, write_date = %s, write_uid = %s "
                "WHERE id = %s",
                (unbooked, unbooked - left, left, now(),
                    Transaction().user, counter.id))
            invalidate(cls.__name__, [counter.id])
            total += unbooked
        return total

    @classmethod
    def book_usage(cls):
        """Cron: books the counted traffic, one period a transaction so that
        accounting never waits long on a counter row."""
        if not is_postgresql():
            return
        ids = [c.id for c in cls.search([('unbooked', '>', 0)])]
        transaction = Transaction()
        for counter_id in ids:
            with transaction.new_transaction() as sub:
                try:
                    cls.book([cls(counter_id)])
                    sub.commit()
                except Exception:
                    sub.rollback()
                    logger.exception("booking counter %s failed", counter_id)


class Balance(ModelSQL):
    """A copy of the balance of each traffic bucket (sum of its moves), kept
    in step by the hooks of partak.traffic.move, so that a login reads one
    row per bucket instead of summing the ledger."""
    __name__ = 'partak.radius.balance'
    __string__ = "RADIUS Traffic Balance"
    bucket = fields.Many2One('partak.traffic.bucket', "Bucket",
        required=True, ondelete='CASCADE')
    period = fields.Many2One('partak.service.period', "Service Period",
        required=True, ondelete='CASCADE')
    expires = fields.DateTime("Expires")
    bytes = BigInteger("Balance (bytes)", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('bucket_unique', Unique(t, t.bucket),
                'partak_usage.msg_balance_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.period, Index.Range())))

    @classmethod
    def add_moves(cls, moves, sign=1):
        "Adds (sign=1) or removes (sign=-1) ledger moves from the balances."
        if not is_postgresql() or not moves:
            return
        deltas = defaultdict(int)
        buckets = {}
        for move in moves:
            deltas[move.bucket.id] += sign * int(move.bytes or 0)
            buckets[move.bucket.id] = move.bucket
        cursor = Transaction().connection.cursor()
        date, user = now(), Transaction().user
        for bucket_id in sorted(deltas):
            bucket = buckets[bucket_id]
            cursor.execute("INSERT INTO partak_radius_balance "
                "(bucket, period, expires, bytes, create_date, create_uid) "
                "VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (bucket) DO UPDATE SET "
                "bytes = partak_radius_balance.bytes + EXCLUDED.bytes, "
                "expires = EXCLUDED.expires, period = EXCLUDED.period, "
                "write_date = EXCLUDED.create_date, "
                "write_uid = EXCLUDED.create_uid",
                (bucket_id, bucket.period.id, bucket.expires,
                    deltas[bucket_id], date, user))

    @classmethod
    def update_buckets(cls, buckets):
        "Copies the period and expiry of buckets that changed."
        if not is_postgresql() or not buckets:
            return
        cursor = Transaction().connection.cursor()
        for bucket in buckets:
            cursor.execute("UPDATE partak_radius_balance SET expires = %s, "
                "period = %s WHERE bucket = %s",
                (bucket.expires, bucket.period.id, bucket.id))

    @classmethod
    def resync(cls):
        """Rebuilds every balance from the ledger (at install and by a daily
        cron).  The table lock waits for the transactions writing moves, so
        that none of their deltas is lost."""
        if not is_postgresql():
            return 0
        cursor = Transaction().connection.cursor()
        cursor.execute("LOCK TABLE partak_radius_balance "
            "IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("INSERT INTO partak_radius_balance "
            "(bucket, period, expires, bytes, create_date, create_uid) "
            "SELECT b.id, b.period, b.expires, "
            "COALESCE(SUM(m.bytes), 0), %s, 0 "
            "FROM partak_traffic_bucket b "
            "LEFT JOIN partak_traffic_move m ON m.bucket = b.id "
            "GROUP BY b.id, b.period, b.expires "
            "ON CONFLICT (bucket) DO UPDATE SET bytes = EXCLUDED.bytes, "
            "expires = EXCLUDED.expires, period = EXCLUDED.period "
            "WHERE (partak_radius_balance.bytes, partak_radius_balance.expires,"
            " partak_radius_balance.period) IS DISTINCT FROM "
            "(EXCLUDED.bytes, EXCLUDED.expires, EXCLUDED.period)",
            (now(),))
        return cursor.rowcount

