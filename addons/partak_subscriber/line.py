# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Cities, telecom centres, telephone lines with their status history, and
the internet (RADIUS) accounts that ride on them."""
import datetime
import secrets

from sql import Null

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .validators import is_phone, latin_digits

LINE_STATUSES = [
    ('pending', "Awaiting Installation"),
    ('in_service', "In Service"),
    ('collection', "Collection List"),
    ('suspended', "Suspended"),
    ('collected', "Collected"),
    ('cancelled', "Cancelled"),
    ]


class City(DeactivableMixin, ModelSQL, ModelView):
    "City or county where lines are installed (شهرستان)."
    __name__ = 'partak.city'
    name = fields.Char("Name", required=True, translate=True)
    subdivision = fields.Many2One('country.subdivision', "Province")
    centres = fields.One2Many('partak.telecom_centre', 'city', "Centres")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))


class TelecomCentre(DeactivableMixin, ModelSQL, ModelView):
    "Telephone exchange where a line terminates (مرکز مخابراتی)."
    __name__ = 'partak.telecom_centre'
    name = fields.Char("Name", required=True)
    city = fields.Many2One('partak.city', "City", required=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    def get_rec_name(self, name):
        return '%s (%s)' % (self.name, self.city.rec_name)


class Line(ModelSQL, ModelView):
    "Telephone line that carries the subscriber's ADSL service."
    __name__ = 'partak.line'
    _rec_name = 'phone'
    phone = fields.Char("Phone Number", required=True,
        help="The line's number with its area code, e.g. 1132455123.")
    subscriber = fields.Many2One('party.party', "Subscriber", required=True,
        ondelete='RESTRICT')
    city = fields.Many2One('partak.city', "City", required=True,
        ondelete='RESTRICT')
    centre = fields.Many2One('partak.telecom_centre', "Telecom Centre",
        required=True, ondelete='RESTRICT',
        domain=[('city', '=', Eval('city', -1))])
    status = fields.Selection(LINE_STATUSES, "Status", required=True,
        readonly=True)
    status_string = status.translated('status')
    history = fields.One2Many('partak.line.status.history', 'line',
        "Status History", readonly=True, order=[('date', 'DESC'), ('id', 'DESC')])
    accounts = fields.One2Many('partak.internet.account', 'line',
        "Internet Accounts")
    internet_cut = fields.Function(fields.Boolean("Internet Cut"),
        'on_change_with_internet_cut')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('phone_unique', Unique(t, t.phone),
                'partak_subscriber.msg_line_phone_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.subscriber, Index.Range())))
        cls._buttons.update({
                status: {'invisible': Eval('status') == status,
                    'depends': ['status']}
                for status in ('in_service', 'collection', 'suspended',
                    'collected')})

    @staticmethod
    def default_status():
        return 'pending'

    @fields.depends('subscriber', '_parent_subscriber.internet_cut')
    def on_change_with_internet_cut(self, name=None):
        return bool(self.subscriber and self.subscriber.internet_cut)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('phone'):
            values['phone'] = latin_digits(values['phone']).strip()
        return values

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        if 'phone' in field_names:
            for line in lines:
                if not is_phone(line.phone):
                    raise ValidationError(gettext(
                            'partak_subscriber.msg_line_phone_invalid',
                            phone=line.phone))

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        History = pool.get('partak.line.status.history')
        lines = super().create(vlist)
        # The history is the system's record, not the user's: whoever may
        # change a line's status gets its row, without rights on the table.
        with without_check_access():
            History.create([{'line': l.id, 'status': l.status}
                    for l in lines])
        return lines

    @classmethod
    def write(cls, *args):
        "Every status change leaves a history row: the manual's §3.4 page."
        pool = Pool()
        History = pool.get('partak.line.status.history')
        note = Transaction().context.get('line_status_note')
        changes = []
        actions = iter(args)
        for lines, values in zip(actions, actions):
            if 'status' in values:
                changes.extend((l.id, values['status']) for l in lines
                    if l.status != values['status'])
        super().write(*args)
        if changes:
            with without_check_access():
                History.create([{'line': l, 'status': s, 'note': note}
                        for l, s in changes])

    @classmethod
    def set_status(cls, lines, status, note=None):
        with Transaction().set_context(line_status_note=note):
            cls.write(list(lines), {'status': status})

    @classmethod
    @ModelView.button
    def in_service(cls, lines):
        cls.set_status(lines, 'in_service')

    @classmethod
    @ModelView.button
    def collection(cls, lines):
        cls.set_status(lines, 'collection')

    @classmethod
    @ModelView.button
    def suspended(cls, lines):
        cls.set_status(lines, 'suspended')

    @classmethod
    @ModelView.button
    def collected(cls, lines):
        cls.set_status(lines, 'collected')

    @classmethod
    def delete(cls, lines):
        # Lines hold accounting history: they are collected, never deleted.
        for line in lines:
            if line.status not in {'pending', 'cancelled'}:
                raise ValidationError(gettext(
                        'partak_subscriber.msg_line_delete',
                        phone=line.phone))
        super().delete(lines)


class LineStatusHistory(ModelSQL, ModelView):
    "One row per change of a line's status or of its right to connect."
    __name__ = 'partak.line.status.history'
    line = fields.Many2One('partak.line', "Line", required=True,
        ondelete='CASCADE')
    date = fields.DateTime("Date", required=True)
    status = fields.Selection(LINE_STATUSES, "Status", required=True)
    status_string = status.translated('status')
    note = fields.Char("Note")
    user = fields.Many2One('res.user', "By", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.line, Index.Range())))

    @staticmethod
    def default_date():
        return datetime.datetime.now()

    @staticmethod
    def default_user():
        return Transaction().user or None

    @classmethod
    def log_event(cls, lines, note):
        "Records an event that does not change the status (e.g. a cut)."
        with without_check_access():
            cls.create([{'line': l.id, 'status': l.status, 'note': note}
                    for l in lines])

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        # The history is an audit trail: people add to it, never rewrite it.
        if mode in {'write', 'delete'} and external:
            raise ValidationError(gettext(
                    'partak_subscriber.msg_history_readonly'))


class InternetAccount(DeactivableMixin, ModelSQL, ModelView):
    """RADIUS credentials of a line.  The password is kept in clear because
    CHAP and MS-CHAP need it; field access limits who may read it."""
    __name__ = 'partak.internet.account'
    _rec_name = 'username'
    line = fields.Many2One('partak.line', "Line", required=True,
        ondelete='CASCADE')
    subscriber = fields.Function(fields.Many2One('party.party', "Subscriber"),
        'on_change_with_subscriber', searcher='search_subscriber')
    username = fields.Char("Username", required=True)
    password = fields.Char("Password", required=True, strip=False)
    disabled = fields.Boolean("Disabled",
        help="Refuse logins whatever the service (set by staff).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('username_unique', Unique(t, t.username),
                'partak_subscriber.msg_username_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.line, Index.Range()), where=t.line != Null))

    @staticmethod
    def default_disabled():
        return False

    @staticmethod
    def default_password():
        return generate_password()

    @fields.depends('line', 'username', '_parent_line.phone')
    def on_change_line(self):
        if self.line and self.line.phone and not self.username:
            self.username = username_for_phone(self.line.phone)

    @fields.depends('line', '_parent_line.subscriber')
    def on_change_with_subscriber(self, name=None):
        return self.line.subscriber if self.line else None

    @classmethod
    def search_subscriber(cls, name, clause):
        return [('line.subscriber',) + tuple(clause[1:])]

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Line = pool.get('partak.line')
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            if not values.get('username') and values.get('line'):
                values['username'] = username_for_phone(
                    Line(values['line']).phone)
        return super().create(vlist)


def username_for_phone(phone):
    "The manual's rule: the internet username is the number without its 0."
    return latin_digits(phone).strip().lstrip('0')


def generate_password(length=8):
    # Digits and lower-case letters: easy to type into a modem's web page.
    alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'
    return ''.join(secrets.choice(alphabet) for _ in range(length))
