# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The subscriber is Tryton's party with the identity data an Iranian ISP
must hold, and the flags that the network side honours."""
import datetime

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, Not
from trytond.transaction import Transaction

from . import validators

SUBSCRIBER_KINDS = [
    (None, ""),
    ('person', "Person"),
    ('company', "Company"),
    ]


def user_is_agent():
    "Whether the current user is a sales agent (docs/roles.md)."
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    return ModelData.get_id('partak_subscriber', 'group_partak_agent') in (
        User.get_groups())


EDUCATIONS = [
    (None, ""),
    ('below_diploma', "Below diploma"),
    ('diploma', "Diploma"),
    ('associate', "Associate degree"),
    ('bachelor', "Bachelor"),
    ('master', "Master"),
    ('doctorate', "Doctorate"),
    ]


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    subscriber_kind = fields.Selection(SUBSCRIBER_KINDS, "Subscriber Kind")
    national_code = fields.Char("National Code", size=10,
        help="Ten digits with the Iranian check digit.")
    education = fields.Selection(EDUCATIONS, "Education")
    # Set once: the manual says the date cannot be edited after it is saved.
    birth_date = fields.Date("Birth Date",
        states={
            'invisible': Eval('subscriber_kind') == 'company',
            'readonly': Bool(Eval('birth_date_locked')),
            })
    registration_date = fields.Date("Company Registration Date",
        states={
            'invisible': Eval('subscriber_kind') != 'company',
            'readonly': Bool(Eval('registration_date_locked')),
            })
    birth_date_locked = fields.Function(
        fields.Boolean("Birth Date Locked"), 'get_date_locked')
    registration_date_locked = fields.Function(
        fields.Boolean("Registration Date Locked"), 'get_date_locked')
    agent = fields.Many2One('res.user', "Sales Agent",
        help="The agent or reseller who registered this subscriber; "
        "agents see only their own subscribers.")
    lines = fields.One2Many('partak.line', 'subscriber', "Lines")
    documents = fields.One2Many('partak.document', 'subscriber', "Documents")
    document_deadline = fields.DateTime("Document Deadline", readonly=True,
        help="A document was rejected: a valid one must be approved "
        "before this moment or the internet is cut.")
    internet_cut = fields.Boolean("Internet Cut for Documents",
        readonly=True,
        help="Set when the document deadline passed; RADIUS refuses logins.")
    profile_complete = fields.Function(
        fields.Boolean("Profile Complete"), 'get_profile_complete')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'cut_internet_for_documents': {
                    'invisible': Bool(Eval('internet_cut')),
                    'depends': ['internet_cut'],
                    },
                'lift_document_cut': {
                    'invisible': Not(Bool(Eval('internet_cut'))),
                    'depends': ['internet_cut'],
                    },
                })

    @staticmethod
    def default_subscriber_kind():
        return 'person'

    @staticmethod
    def default_internet_cut():
        return False

    @staticmethod
    def default_agent():
        # Only administrators write the agent field (field access): an
        # agent's new subscriber is the agent's own by default, which the
        # record rule then requires.
        if user_is_agent():
            return Transaction().user

    def get_date_locked(self, name):
        field = name[:-len('_locked')]
        return bool(getattr(self, field, None)) and bool(self.id and self.id > 0)

    # Fields the portal asks a subscriber to fill before the warning goes.
    def get_profile_complete(self, name):
        dated = (self.registration_date if self.subscriber_kind == 'company'
            else self.birth_date)
        address = self.addresses[0] if self.addresses else None
        return all([
                self.name, self.national_code, self.mobile, dated,
                address and address.street, address and address.postal_code,
                ])

    @classmethod
    def validate_fields(cls, parties, field_names):
        super().validate_fields(parties, field_names)
        if 'national_code' in field_names:
            for party in parties:
                if (party.national_code
                        and not validators.is_national_code(
                            party.national_code)):
                    raise ValidationError(gettext(
                            'partak_subscriber.msg_national_code_invalid',
                            code=party.national_code, party=party.rec_name))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('national_code'):
            values['national_code'] = validators.latin_digits(
                values['national_code']).strip()
        return values

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for parties, values in zip(actions, actions):
            for name in ('birth_date', 'registration_date'):
                if name not in values:
                    continue
                for party in parties:
                    current = getattr(party, name)
                    if current and values[name] != current:
                        raise ValidationError(gettext(
                                'partak_subscriber.msg_date_set_once',
                                party=party.rec_name))
        super().write(*args)

    def set_contact(self, type_, value):
        """Replaces the value of the first contact mechanism of this type
        (party's own setter refuses once one exists)."""
        ContactMechanism = Pool().get('party.contact_mechanism')
        current = [c for c in self.contact_mechanisms if c.type == type_]
        if current and value:
            if current[0].value != value:
                ContactMechanism.write([current[0]], {'value': value})
        elif current:
            ContactMechanism.delete(current[:1])
        elif value:
            ContactMechanism.create([{
                        'party': self.id, 'type': type_, 'value': value}])

    @classmethod
    def search_rec_name(cls, name, clause):
        domain = super().search_rec_name(name, clause)
        _, operator, value = clause[:3]
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        return [bool_op, domain,
            ('national_code', operator, value),
            ('lines.phone', operator, value),
            ('lines.accounts.username', operator, value),
            ]

    @classmethod
    def copy(cls, parties, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('lines')
        default.setdefault('documents')
        default.setdefault('national_code')
        return super().copy(parties, default=default)

    @classmethod
    @ModelView.button
    def cut_internet_for_documents(cls, parties, note=None):
        """Cuts the internet of subscribers whose documents are overdue; the
        flag is what RADIUS reads, the history row is what people read."""
        pool = Pool()
        History = pool.get('partak.line.status.history')
        parties = [p for p in parties if not p.internet_cut]
        if not parties:
            return
        cls.write(parties, {'internet_cut': True})
        History.log_event([l for p in parties for l in p.lines],
            note or gettext('partak_subscriber.msg_cut_documents'))
        SMS = pool.get('partak.sms')
        for party in parties:
            if party.mobile:
                SMS.queue(party,
                    gettext('partak_subscriber.msg_sms_internet_cut'),
                    reason=gettext(
                        'partak_subscriber.msg_sms_reason_internet_cut'))

    @classmethod
    @ModelView.button
    def lift_document_cut(cls, parties, note=None):
        pool = Pool()
        History = pool.get('partak.line.status.history')
        cut = [p for p in parties if p.internet_cut]
        cls.write(list(parties), {
                'internet_cut': False,
                'document_deadline': None,
                })
        if cut:
            History.log_event([l for p in cut for l in p.lines],
                note or gettext('partak_subscriber.msg_cut_lifted'))

    @classmethod
    def cut_overdue_documents(cls):
        "Cron: cut every subscriber whose document deadline has passed."
        now = datetime.datetime.now()
        parties = cls.search([
                ('document_deadline', '!=', None),
                ('document_deadline', '<=', now),
                ('internet_cut', '=', False),
                ])
        cls.cut_internet_for_documents(parties)
        return parties
