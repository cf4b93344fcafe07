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
    return config.getint('partak', 'login_max_failures', default=3)


def block_minutes():
    return config.getint('partak', 'login_block_minutes', default=30)


class LoginFailure(ModelSQL):
    "A wrong portal login or password-reset answer from one IP address."
    __name__ = 'partak.portal.login_failure'
    ip_address = fields.Char("IP Address", required=True)
    login = fields.Char("Login")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.ip_address, Index.Equality())))


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
    def record_failure(cls, ip_address, login=None, now=None):
        """Counts a failure; the third in a row blocks the address.  Returns
        the end of the block, or None while the address may still try."""
        pool = Pool()
        Failure = pool.get('partak.portal.login_failure')
        now = now or datetime.datetime.now()
        window = now - datetime.timedelta(minutes=block_minutes())
        Failure.create([{'ip_address': ip_address, 'login': login}])
        failures = Failure.search([
                ('ip_address', '=', ip_address),
                ('create_date', '>=', window),
                ])
        if len(failures) < max_failures():
            return None
        until = now + datetime.timedelta(minutes=block_minutes())
        cls.create([{'ip_address': ip_address, 'blocked_until': until}])
        Failure.delete(Failure.search([('ip_address', '=', ip_address)]))
        return until

    @classmethod
    def record_success(cls, ip_address):
        pool = Pool()
        Failure = pool.get('partak.portal.login_failure')
        Failure.delete(Failure.search([('ip_address', '=', ip_address)]))


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
