# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What RADIUS answers each account now (read from the same SQL function
that FreeRADIUS queries) and the log of refused logins."""
import datetime

from sql import Literal, Table

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.transaction import Transaction

from . import settings, sql as radius_sql
from .choices import REJECT_REASONS
from .session import BigInteger, is_postgresql, now

POLICY_COLUMNS = [
    ('account', 'integer'), ('username', 'text'), ('line', 'integer'),
    ('line_status', 'text'), ('subscriber', 'integer'),
    ('period', 'integer'), ('period_end', 'timestamp'),
    ('limited', 'boolean'), ('remaining_bytes', 'bigint'),
    ('fair_use', 'boolean'), ('up_kbps', 'integer'), ('down_kbps', 'integer'),
    ('session_timeout', 'bigint'), ('rate_limit', 'text'),
    ('framed_ip', 'text'), ('framed_route', 'text'),
    ('reject_reason', 'text'),
    ]


class Policy(ModelSQL, ModelView):
    """What RADIUS would answer each internet account now: accept with a
    speed, a session timeout, a static IP — or refuse with a reason.  A view
    of the SQL function partak_radius_policy() that FreeRADIUS reads."""
    __name__ = 'partak.radius.policy'
    __string__ = "RADIUS Decision"
    account = fields.Many2One('partak.internet.account', "Internet Account",
        readonly=True)
    username = fields.Char("Username", readonly=True)
    line = fields.Many2One('partak.line', "Line", readonly=True)
    line_status = fields.Char("Line Status", readonly=True)
    subscriber = fields.Many2One('party.party', "Subscriber", readonly=True)
    period = fields.Many2One('partak.service.period', "Service Period",
        readonly=True)
    period_end = fields.DateTime("Service End", readonly=True)
    limited = fields.Boolean("Limited Traffic", readonly=True)
    remaining_bytes = BigInteger("Remaining Traffic (bytes)",
        readonly=True)
    fair_use = fields.Boolean("At Fair-Use Speed", readonly=True)
    up_kbps = fields.Integer("Upload (kbit/s)", readonly=True)
    down_kbps = fields.Integer("Download (kbit/s)", readonly=True)
    session_timeout = BigInteger("Session Timeout (s)", readonly=True)
    rate_limit = fields.Char("Rate Limit", readonly=True)
    framed_ip = fields.Char("Static IP", readonly=True)
    framed_route = fields.Char("Route", readonly=True)
    reject_reason = fields.Selection([(None, "")] + REJECT_REASONS,
        "Refusal Reason", readonly=True)
    reject_reason_string = reject_reason.translated('reject_reason')
    decision = fields.Function(fields.Selection([
                ('accept', "Accept"),
                ('reject', "Reject"),
                ], "Decision"), 'get_decision')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('username', 'ASC'), ('id', 'ASC')]

    @classmethod
    def __register__(cls, module_name):
        super().__register__(module_name)
        # The functions and views read the tables of partak_usage, which
        # are registered before this model (see tryton.cfg).
        if is_postgresql():
            cursor = Transaction().connection.cursor()
            radius_sql.create(cursor)

    @classmethod
    def table_query(cls):
        if not is_postgresql():
            # The RADIUS side needs PostgreSQL: an empty view elsewhere.
            columns = [Literal(0).as_('id')]
            columns += [Literal(None).as_(n) for n in ('create_uid',
                    'create_date', 'write_uid', 'write_date')]
            columns += [Literal(None).as_(n) for n, _ in POLICY_COLUMNS]
            return Table('ir_model').select(*columns, where=Literal(False))
        view = Table('partak_radius_policy_v')
        return view.select(view.id, view.create_uid, view.create_date,
            view.write_uid, view.write_date,
            *[getattr(view, n) for n, _ in POLICY_COLUMNS])

    def get_decision(self, name):
        return 'reject' if self.reject_reason else 'accept'

    @classmethod
    def by_username(cls, usernames):
        "{username: {column: value}} for the given usernames."
        if not usernames or not is_postgresql():
            return {}
        cursor = Transaction().connection.cursor()
        names = [n for n, _ in POLICY_COLUMNS]
        cursor.execute("SELECT %s FROM partak_radius_policy() "
            "WHERE username = ANY(%%s)" % ', '.join(names),
            (list(usernames),))
        return {row[1]: dict(zip(names, row)) for row in cursor}


class RejectLog(ModelSQL, ModelView):
    """A refused login, written by FreeRADIUS (post-auth REJECT) with the
    reason staff read: expired, no traffic, line collected, documents
    overdue, wrong password, ..."""
    __name__ = 'partak.radius.reject'
    __string__ = "Refused Login"
    date = fields.DateTime("Date", required=True, readonly=True)
    username = fields.Char("Username", readonly=True)
    account = fields.Many2One('partak.internet.account', "Internet Account",
        readonly=True, ondelete='SET NULL')
    line = fields.Many2One('partak.line', "Line", readonly=True,
        ondelete='SET NULL')
    reason = fields.Selection(REJECT_REASONS, "Reason", required=True,
        readonly=True)
    reason_string = reason.translated('reason')
    nas_ip = fields.Char("NAS IP", readonly=True)
    calling_station = fields.Char("Calling Station", readonly=True)
    message = fields.Char("Reply Message", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range())),
                Index(t, (t.line, Index.Range()), (t.date, Index.Range())),
                Index(t, (t.username, Index.Equality())),
                })

    @staticmethod
    def default_date():
        return now()

    @classmethod
    def prune(cls, date=None):
        "Cron: forgets refused logins older than reject_log_days."
        table = cls.__table__()
        date = date or now()
        limit = date - datetime.timedelta(days=settings.get('reject_log_days'))
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(where=table.date < limit))
