# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the network side adds to lines, subscribers and internet accounts:
the online flag and sessions, and the hooks that disconnect a live session
when its line, subscriber or account loses the right to connect."""
import hmac

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

PASSWORD_CHARACTERS = set(
    'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    '!#$%&()*+,-./:;<=>?@[]^_{|}~')
PASSWORD_MIN, PASSWORD_MAX = 6, 32


class Line(metaclass=PoolMeta):
    __name__ = 'partak.line'
    online = fields.Function(fields.Boolean("Online"), 'get_online')
    sessions = fields.One2Many('partak.radius.session', 'line',
        "Internet Sessions", readonly=True,
        order=[('start_time', 'DESC'), ('id', 'DESC')])

    @classmethod
    def get_online(cls, lines, name):
        "Online: an open session that the NAS reported recently."
        Session = Pool().get('partak.radius.session')
        with without_check_access():
            online = Session.online_lines([l.id for l in lines])
        return {l.id: l.id in online for l in lines}

    @classmethod
    def on_modification(cls, mode, lines, field_names=None):
        super().on_modification(mode, lines, field_names=field_names)
        if mode == 'write' and 'status' in (field_names or ()):
            Pool().get('partak.radius.session').enforce(lines=lines)


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    @classmethod
    def on_modification(cls, mode, parties, field_names=None):
        super().on_modification(mode, parties, field_names=field_names)
        if mode == 'write' and 'internet_cut' in (field_names or ()):
            lines = [l for p in parties for l in p.lines]
            if lines:
                Pool().get('partak.radius.session').enforce(lines=lines)


class InternetAccount(metaclass=PoolMeta):
    __name__ = 'partak.internet.account'
    online = fields.Function(fields.Boolean("Online"), 'get_online')

    @classmethod
    def get_online(cls, accounts, name):
        Session = Pool().get('partak.radius.session')
        sessions = Session.open_sessions(accounts=accounts)
        online = {s.account.id for s in sessions if s.fresh}
        return {a.id: a.id in online for a in accounts}

    @classmethod
    def on_modification(cls, mode, accounts, field_names=None):
        super().on_modification(mode, accounts, field_names=field_names)
        Session = Pool().get('partak.radius.session')
        field_names = set(field_names or ())
        if mode == 'write' and field_names & {'password', 'username'}:
            # The session was opened with the old credentials.
            Session.disconnect(Session.open_sessions(accounts=accounts),
                'password_changed')
        elif mode == 'write' and field_names & {'active', 'disabled', 'line'}:
            Session.enforce(
                sessions=Session.open_sessions(accounts=accounts))
        elif mode == 'delete':
            Session.disconnect(Session.open_sessions(accounts=accounts),
                'account_disabled')

    def check_password(self, password):
        "Compares in constant time."
        return hmac.compare_digest(
            (self.password or '').encode('utf-8'),
            (password or '').encode('utf-8'))

    @classmethod
    def validate_internet_password(cls, password):
        if (not password
                or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX
                or not set(password) <= PASSWORD_CHARACTERS):
            raise ValidationError(gettext(
                    'partak_usage.msg_internet_password_invalid',
                    min=PASSWORD_MIN, max=PASSWORD_MAX))

    def change_password(self, old, new):
        """SPEC §3.7: the subscriber changes the internet password with the
        old one.  RADIUS reads the new one at the next login (same table);
        the live session is disconnected (see on_modification)."""
        if not self.check_password(old):
            raise ValidationError(gettext(
                    'partak_usage.msg_internet_password_wrong'))
        self.validate_internet_password(new)
        if new == old:
            raise ValidationError(gettext(
                    'partak_usage.msg_internet_password_same'))
        with without_check_access():
            self.__class__.write([self], {'password': new})
        return True


def change_internet_password(account, old, new):
    """Changes the internet (RADIUS) password of `account` (a
    partak.internet.account) when `old` is the current one.  Raises
    ValidationError (translated) for a wrong old password, a new password
    that is not 6-32 printable ASCII characters without spaces or quotes,
    or the same password.  Takes effect at once in RADIUS and disconnects
    the live session (a Disconnect-Request job)."""
    return account.change_password(old, new)
