# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""SMS templates and the record of what was sent once per event."""
import datetime
import string

import jdatetime

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool

from trytond.modules.partak_services.tools import to_local

PLACEHOLDERS = ('name', 'days', 'date', 'amount', 'plan', 'reason',
    'document', 'password', 'ticket', 'number')


def format_value(value):
    """Text of a placeholder: Jalali dates (date-times in the ISP's time
    zone), amounts with thousands separators, the rest as is."""
    if isinstance(value, datetime.datetime):
        value = to_local(value)
        return jdatetime.datetime.fromgregorian(datetime=value).strftime(
            '%Y/%m/%d %H:%M')
    if isinstance(value, datetime.date):
        return jdatetime.date.fromgregorian(date=value).strftime('%Y/%m/%d')
    if isinstance(value, bool) or value is None:
        return '' if value is None else str(value)
    if isinstance(value, int):
        return '{:,}'.format(value)
    return str(value)


class _Values(dict):
    "Leaves an unknown placeholder as it is instead of failing."

    def __missing__(self, key):
        return '{%s}' % key


class Template(DeactivableMixin, ModelSQL, ModelView):
    """The Persian text of an SMS the system sends, with placeholders such
    as {name}, {days}, {date}, {amount}, {plan}; the reason is what the
    message box shows."""
    __name__ = 'partak.notify.template'
    __string__ = "SMS Template"
    code = fields.Char("Code", required=True, readonly=True,
        help="Used by the program to find the template.")
    name = fields.Char("Name", required=True)
    reason = fields.Char("Reason", required=True,
        help="Shown in the subscriber's message box.")
    text = fields.Text("Text", required=True,
        help="Placeholders: {name} {days} {date} {amount} {plan}.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_unique', Unique(t, t.code),
                'partak_notify.msg_template_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]

    @classmethod
    def validate_fields(cls, templates, field_names):
        super().validate_fields(templates, field_names)
        if field_names and not {'text', 'reason'} & set(field_names):
            return
        formatter = string.Formatter()
        for template in templates:
            try:
                names = {f
                    for text in (template.text, template.reason or '')
                    for _, f, _, _ in formatter.parse(text)
                    if f is not None}
            except ValueError as error:
                raise ValidationError(gettext(
                        'partak_notify.msg_template_text_invalid',
                        template=template.rec_name, error=str(error)))
            unknown = names - set(PLACEHOLDERS)
            if unknown:
                raise ValidationError(gettext(
                        'partak_notify.msg_template_placeholder_unknown',
                        template=template.rec_name,
                        placeholder=', '.join(sorted(unknown))))

    def render(self, party=None, field='text', **values):
        "The text (or the reason) with its placeholders filled."
        if party is not None:
            values.setdefault('name', party.name or '')
        return getattr(self, field).format_map(
            _Values({k: format_value(v) for k, v in values.items()}))

    @classmethod
    def get(cls, code):
        "The active template of code, or None."
        templates = cls.search([('code', '=', code)], limit=1)
        return templates[0] if templates else None

    @classmethod
    def send(cls, code, party, key, mobile=None, **values):
        """Renders the template ``code`` for ``party`` and queues the SMS,
        once per (code, key): returns the partak.sms, or None when it was
        already sent for this key (or the template is inactive, or the
        subscriber has no mobile)."""
        pool = Pool()
        SMS = pool.get('partak.sms')
        Sent = pool.get('partak.notify.sent')
        key = str(key)
        if Sent.search([('code', '=', code), ('key', '=', key)], limit=1):
            return None
        template = cls.get(code)
        mobile = mobile or party.mobile
        if not template or not mobile:
            return None
        message = SMS.queue(party, template.render(party, **values),
            template.render(party, field='reason', **values), mobile=mobile)
        # The UNIQUE(code, key) constraint makes a concurrent run of the
        # same reminder fail and roll back instead of sending twice.
        Sent.create([{'code': code, 'key': key, 'party': party.id,
                    'sms': message.id}])
        return message


class Sent(ModelSQL, ModelView):
    "An event already announced by SMS: a template is sent once per key."
    __name__ = 'partak.notify.sent'
    __string__ = "Reminder Sent"
    code = fields.Char("Template Code", required=True, readonly=True)
    key = fields.Char("Event", required=True, readonly=True,
        help="The event the message is about, e.g. 'period,<id>,<end>'.")
    party = fields.Many2One('party.party', "Subscriber", readonly=True,
        ondelete='CASCADE')
    sms = fields.Many2One('partak.sms', "SMS", readonly=True,
        ondelete='SET NULL')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('code_key_unique', Unique(t, t.code, t.key),
                'partak_notify.msg_sent_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
