# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Identity documents that subscribers, agents and staff upload, and their
review: a rejection opens a deadline after which the internet is cut."""
import datetime

from trytond import config
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .party import user_is_agent

DOCUMENT_TYPES = [
    ('phone_bill', "Phone Bill Copy"),
    ('national_card', "National Card"),
    ('student_card', "Student Card"),
    ('lease', "Lease"),
    ('company_papers', "Company Papers"),
    ('other', "Other"),
    ]
CHANNELS = [
    ('portal', "Subscriber (portal)"),
    ('staff', "Staff"),
    ('agent', "Sales Agent"),
    ]


def deadline_days():
    return config.getint('partak', 'document_deadline_days', default=7)


class Document(Workflow, ModelSQL, ModelView):
    "An identity document of a subscriber, waiting for or after review."
    __name__ = 'partak.document'
    subscriber = fields.Many2One('party.party', "Subscriber", required=True,
        ondelete='CASCADE', states={'readonly': Eval('state') != 'submitted'})
    type = fields.Selection(DOCUMENT_TYPES, "Type", required=True,
        states={'readonly': Eval('state') != 'submitted'})
    type_string = type.translated('type')
    file = fields.Binary("File", filename='filename', file_id='file_id',
        required=True, states={'readonly': Eval('state') != 'submitted'})
    file_id = fields.Char("File ID", readonly=True)
    filename = fields.Char("File Name", readonly=True)
    mimetype = fields.Char("MIME Type", readonly=True)
    size = fields.Integer("Size (bytes)", readonly=True)
    channel = fields.Selection(CHANNELS, "Uploaded By", readonly=True)
    state = fields.Selection([
            ('submitted', "Submitted"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')
    reject_reason = fields.Char("Rejection Reason",
        states={
            'invisible': Eval('state') == 'approved',
            'readonly': Eval('state') != 'submitted',
            })
    reviewer = fields.Many2One('res.user', "Reviewer", readonly=True)
    review_date = fields.DateTime("Review Date", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.subscriber, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state == 'submitted'),
                })
        cls._transitions |= {
            ('submitted', 'approved'),
            ('submitted', 'rejected'),
            }
        cls._buttons.update({
                'approve': {'invisible': Eval('state') != 'submitted',
                    'depends': ['state']},
                'reject': {'invisible': Eval('state') != 'submitted',
                    'depends': ['state']},
                })

    @staticmethod
    def default_state():
        return 'submitted'

    @staticmethod
    def default_channel():
        return 'agent' if user_is_agent() else 'staff'

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, documents):
        pool = Pool()
        Party = pool.get('party.party')
        cls.write(documents, {
                'reviewer': Transaction().user or None,
                'review_date': datetime.datetime.now(),
                })
        # An approved document replaces any rejected one: the deadline and
        # the cut it caused are lifted at once.
        parties = list({d.subscriber for d in documents
                if d.subscriber.document_deadline
                or d.subscriber.internet_cut})
        if parties:
            Party.lift_document_cut(parties)

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, documents):
        pool = Pool()
        Party = pool.get('party.party')
        History = pool.get('partak.line.status.history')
        for document in documents:
            if not document.reject_reason:
                raise ValidationError(gettext(
                        'partak_subscriber.msg_reject_reason_required',
                        document=document.rec_name))
        now = datetime.datetime.now()
        cls.write(documents, {'reviewer': Transaction().user or None,
                'review_date': now})
        deadline = now + datetime.timedelta(days=deadline_days())
        # A later rejection does not push back a deadline already running.
        to_open = list({d.subscriber for d in documents
                if not d.subscriber.document_deadline
                and not d.subscriber.internet_cut})
        if to_open:
            Party.write(to_open, {'document_deadline': deadline})
            History.log_event([l for p in to_open for l in p.lines],
                gettext('partak_subscriber.msg_document_deadline_opened',
                    days=deadline_days()))
        SMS = pool.get('partak.sms')
        for document in documents:
            party = document.subscriber
            if party.mobile:
                SMS.queue(party, gettext(
                        'partak_subscriber.msg_sms_document_rejected',
                        document=document.type_string,
                        reason=document.reject_reason,
                        days=deadline_days()),
                    reason=gettext(
                        'partak_subscriber.msg_sms_reason_document_rejected'))

    def get_rec_name(self, name):
        return '%s - %s' % (self.type_string, self.subscriber.rec_name)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if mode == 'delete':
            for document in records:
                if document.state == 'approved':
                    raise ValidationError(gettext(
                            'partak_subscriber.msg_document_delete_approved',
                            document=document.rec_name))
