# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Portal accounts and login throttling.  The throttle lives in the
database so that it holds across worker processes and restarts."""
import datetime

from trytond import config
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta

from trytond.modules.partak_subscriber.validators import latin_digits


def max_failures():
    "Wrong answers from one IP address, whatever the account, in the window."
    return config.getint('partak', 'login_max_failures', default=3)


def account_max_failures():
    """Wrong answers for one account, from any address, in the window: a
    guess spread over many addresses still stops."""
    return config.getint('partak', 'login_account_max_failures', default=5)


def block_minutes():
    "The window in which failures count, and the length of a block."
    return config.getint('partak', 'login_block_minutes', default=30)


class LoginFailure(ModelSQL):
    """A wrong portal login or password-reset answer from one IP address
    for one account (`login`: WebUser.login_key of what was typed)."""
    __name__ = 'partak.portal.login_failure'
    ip_address = fields.Char("IP Address", required=True)
    login = fields.Char("Login")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.ip_address, Index.Equality())),
                Index(t, (t.login, Index.Equality())),
                })


class IPBlock(ModelSQL, ModelView):
    "An IP address refused by the portal until a moment, after failures."
    __name__ = 'partak.portal.ip_block'
    ip_address = fields.Char("IP Address", required=True, readonly=True)
    blocked_until = fields.DateTime("Blocked Until", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('blocked_until', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.add(Index(t, (t.ip_address, Index.Equality())))

    @classmethod
    def blocked_until_for(cls, ip_address, now=None):
        now = now or datetime.datetime.now()
        blocks = cls.search([
                ('ip_address', '=', ip_address),
                ('blocked_until', '>', now),
                ], order=[('blocked_until', 'DESC')], limit=1)
        return blocks[0].blocked_until if blocks else None

    @classmethod
    def account_blocked_until(cls, login, now=None):
        """The end of the block of the account `login` (a login key), or
        None: it ends a window after the failure that reached the limit."""
        Failure = Pool().get('partak.portal.login_failure')
        now = now or datetime.datetime.now()
        window = datetime.timedelta(minutes=block_minutes())
        failures = Failure.search([
                ('login', '=', login),
                ('create_date', '>=', now - window),
                ], order=[('create_date', 'DESC')],
            limit=account_max_failures())
        if len(failures) < account_max_failures():
            return None
        return failures[-1].create_date + window

    @classmethod
    def record_failure(cls, ip_address, login, now=None):
        """Counts a failure of `login` (a login key) from `ip_address`.
        Returns the end of the block that it starts, of the address or of
        the account, or None while both may still try."""
        pool = Pool()
        Failure = pool.get('partak.portal.login_failure')
        now = now or datetime.datetime.now()
        window = now - datetime.timedelta(minutes=block_minutes())
        # Failures older than the window never count again.
        Failure.delete(Failure.search([('create_date', '<', window)]))
        Failure.create([{'ip_address': ip_address, 'login': login}])
        until = cls.account_blocked_until(login, now=now)
        failures = Failure.search_count([
                ('ip_address', '=', ip_address),
                ('create_date', '>=', window),
                ])
        if failures >= max_failures():
            ip_until = now + datetime.timedelta(minutes=block_minutes())
            cls.create([{'ip_address': ip_address, 'blocked_until': ip_until}])
            # The failures stay: they still count for their accounts, and
            # they are out of the window when the block ends.
            until = max(until or ip_until, ip_until)
        return until

    @classmethod
    def record_success(cls, ip_address, login):
        """Forgets the failures of this account from this address only: a
        success of one account must not reset the count of the address or
        of the other accounts (wrong, wrong, right, wrong, ... blocks)."""
        Failure = Pool().get('partak.portal.login_failure')
        Failure.delete(Failure.search([
                    ('ip_address', '=', ip_address),
                    ('login', '=', login),
                    ]))


class WebUser(metaclass=PoolMeta):
    """Portal account of a subscriber.  Subscribers log in with their
    internet username or phone number, so an email is not required."""
    __name__ = 'web.user'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.email.states = {}

    @classmethod
    def find_by_login(cls, login):
        "The portal user of the line whose username or phone is `login`."
        pool = Pool()
        Account = pool.get('partak.internet.account')
        Line = pool.get('partak.line')
        login = latin_digits(login or '').strip()
        if not login:
            return None
        parties = [a.line.subscriber for a in Account.search([
                    ('username', '=', login)], limit=1)]
        if not parties:
            phones = {login, login.lstrip('0'), '0' + login.lstrip('0')}
            parties = [l.subscriber for l in Line.search([
                        ('phone', 'in', list(phones))], limit=1)]
        if not parties:
            return None
        users = cls.search([('party', '=', parties[0].id)], limit=1)
        return users[0] if users else None

    @classmethod
    def login_key(cls, login):
        """What the throttle counts failures of: the portal account that
        `login` names (whichever of its usernames or phones was typed), else
        the typed text, so that unknown logins are throttled alike."""
        user = cls.find_by_login(login)
        if user:
            return 'web.user,%d' % user.id
        return latin_digits(login or '').strip().lower()[:64]

    @classmethod
    def portal_authenticate(cls, login, password):
        user = cls.find_by_login(login)
        if not user or not user.password_hash or not password:
            return None
        valid, new_hash = cls.check_password(password, user.password_hash)
        if not valid:
            return None
        if new_hash:
            cls.write([user], {'password_hash': new_hash})
        return user
