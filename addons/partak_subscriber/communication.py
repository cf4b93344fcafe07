# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the ISP tells its subscribers: SMS (kept for the portal's message
box) and announcements shown in the portal's green box."""
import datetime
import logging
import random

from trytond import config
from trytond.model import DeactivableMixin, Index, ModelSQL, ModelView, fields

from .line import LINE_STATUSES

logger = logging.getLogger(__name__)


class SMS(ModelSQL, ModelView):
    """A text message to a subscriber's mobile.  Every message is kept: the
    portal's message box lists them.  Providers plug in as backends; the
    'log' backend writes to the server log (demo and tests)."""
    __name__ = 'partak.sms'
    party = fields.Many2One('party.party', "Subscriber", required=True,
        ondelete='CASCADE', readonly=True)
    mobile = fields.Char("Mobile", required=True, readonly=True)
    sender = fields.Char("Sender", readonly=True)
    reason = fields.Char("Reason", readonly=True,
        help="Why the message was sent, shown in the message box.")
    text = fields.Text("Text", required=True, readonly=True)
    state = fields.Selection([
            ('queued', "Queued"),
            ('sent', "Sent"),
            ('failed', "Failed"),
            ], "State", readonly=True, required=True)
    state_string = state.translated('state')
    backend = fields.Char("Backend", readonly=True)
    sent_at = fields.DateTime("Sent At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.add(Index(t, (t.party, Index.Range())))

    @staticmethod
    def default_state():
        return 'queued'

    @staticmethod
    def default_sender():
        return config.get('partak', 'sms_sender', default='Partak')

    @classmethod
    def queue(cls, party, text, reason, mobile=None):
        """Records a message and hands it to Tryton's task queue, which
        sends it once the transaction has committed."""
        message, = cls.create([{
                    'party': party.id,
                    'mobile': mobile or party.mobile,
                    'text': text,
                    'reason': reason,
                    }])
        cls.__queue__.send([message])
        return message

    @classmethod
    def send(cls, messages):
        backend = config.get('partak', 'sms_backend', default='log')
        messages = cls.browse(messages)
        for message in messages:
            if message.state == 'sent':
                continue
            # Only the log backend exists until the providers' issue lands.
            logger.info("SMS to %s (%s): %s", message.mobile, message.reason,
                message.text)
            message.state = 'sent'
            message.backend = backend
            message.sent_at = datetime.datetime.now()
        cls.save(messages)


class Announcement(DeactivableMixin, ModelSQL, ModelView):
    """A notice for the portal's green box, shown to the subscribers it
    targets during its time window; one is picked at random per page."""
    __name__ = 'partak.announcement'
    text = fields.Text("Text", required=True, translate=True)
    start = fields.DateTime("Start")
    end = fields.DateTime("End")
    city = fields.Many2One('partak.city', "City",
        help="Only subscribers with a line in this city; empty for all.")
    centre = fields.Many2One('partak.telecom_centre', "Telecom Centre",
        help="Only subscribers with a line at this centre; empty for all.")
    line_status = fields.Selection([(None, "")] + LINE_STATUSES,
        "Line Status", help="Only lines in this status; empty for all.")

    @classmethod
    def for_party(cls, party, now=None):
        "The announcements whose window and target match this subscriber."
        now = now or datetime.datetime.now()
        result = []
        for ann in cls.search([
                    ['OR', ('start', '=', None), ('start', '<=', now)],
                    ['OR', ('end', '=', None), ('end', '>=', now)],
                    ]):
            if ann.matches(party):
                result.append(ann)
        return result

    def matches(self, party):
        if not (self.city or self.centre or self.line_status):
            return True
        return any(
            (not self.city or line.city == self.city)
            and (not self.centre or line.centre == self.centre)
            and (not self.line_status or line.status == self.line_status)
            for line in party.lines)

    @classmethod
    def pick(cls, party):
        candidates = cls.for_party(party)
        return random.choice(candidates) if candidates else None
