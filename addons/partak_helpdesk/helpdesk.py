# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The support desk (SPEC §3.12): departments, services and priorities that
route a ticket, the ticket with its threaded messages, and the list of
line faults that staff forward to the telecom operator."""
import csv
import datetime
import io

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields,
    sequence_ordered)
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.report import Report
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .sanitize import clean_html, plain_text

STATES = [
    ('open', "Open"),
    ('answered', "Answered"),
    ('waiting', "Waiting for the Subscriber"),
    ('closed', "Closed"),
    ]
AUTHORS = [
    ('subscriber', "Subscriber"),
    ('staff', "Staff"),
    ]


def now():
    return datetime.datetime.now()


class Department(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "A unit that answers tickets (واحد), e.g. technical support or sales."
    __name__ = 'partak.helpdesk.department'
    name = fields.Char("Name", required=True, translate=True)


class Service(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    "What the ticket is about (سرویس): adsl, wireless, ..."
    __name__ = 'partak.helpdesk.service'
    name = fields.Char("Name", required=True, translate=True)


class Priority(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    """How urgent the subscriber says a ticket is; its response time is the
    target after which an unanswered ticket counts as overdue."""
    __name__ = 'partak.helpdesk.priority'
    name = fields.Char("Name", required=True, translate=True)
    response_hours = fields.Integer("Response Time (hours)", required=True,
        domain=[('response_hours', '>', 0)],
        help="A ticket waiting longer than this for staff is overdue.")


class Ticket(Workflow, ModelSQL, ModelView):
    "A subscriber's support request and its conversation with staff."
    __name__ = 'partak.helpdesk.ticket'
    _rec_name = 'number'
    number = fields.Char("Number", readonly=True)
    party = fields.Many2One('party.party', "Subscriber", required=True,
        ondelete='RESTRICT', states={'readonly': Eval('id', -1) > 0})
    line = fields.Many2One('partak.line', "Line", ondelete='SET NULL',
        domain=[('subscriber', '=', Eval('party', -1))])
    department = fields.Many2One('partak.helpdesk.department', "Department",
        required=True, ondelete='RESTRICT')
    service = fields.Many2One('partak.helpdesk.service', "Service",
        ondelete='RESTRICT')
    priority = fields.Many2One('partak.helpdesk.priority', "Priority",
        required=True, ondelete='RESTRICT')
    title = fields.Char("Title", required=True)
    state = fields.Selection(STATES, "State", readonly=True, required=True,
        sort=False)
    state_string = state.translated('state')
    assigned_to = fields.Many2One('res.user', "Assigned To",
        ondelete='SET NULL')
    date = fields.DateTime("Created", readonly=True, required=True)
    last_reply = fields.DateTime("Last Reply", readonly=True)
    waiting_since = fields.DateTime("Waiting Since", readonly=True,
        help="The subscriber's last message not yet answered by staff.")
    due = fields.DateTime("Answer Due", readonly=True,
        help="Waiting since, plus the response time of the priority.")
    overdue = fields.Function(fields.Boolean("Overdue"),
        'get_overdue', searcher='search_overdue')
    line_fault = fields.Boolean("Line Fault for the Telecom Operator",
        help="Put the ticket on the list sent to the telecom operator.")
    messages = fields.One2Many('partak.helpdesk.message', 'ticket',
        "Messages", readonly=True, order=[('date', 'ASC'), ('id', 'ASC')])

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.party, Index.Range())),
                Index(t, (t.number, Index.Equality())),
                Index(t, (t.state, Index.Equality()),
                    (t.due, Index.Range())),
                })
        cls._transitions |= {
            ('open', 'closed'), ('answered', 'closed'),
            ('waiting', 'closed'), ('answered', 'waiting'),
            ('closed', 'open'),
            }
        cls._buttons.update({
                'close': {'invisible': Eval('state') == 'closed',
                    'depends': ['state']},
                'wait': {'invisible': Eval('state') != 'answered',
                    'depends': ['state']},
                'reopen': {'invisible': Eval('state') != 'closed',
                    'depends': ['state']},
                'reply': {'invisible': Eval('id', -1) < 0,
                    'depends': ['id']},
                })

    @staticmethod
    def default_state():
        return 'open'

    @staticmethod
    def default_date():
        return now()

    @staticmethod
    def default_line_fault():
        return False

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            # Overdue tickets stand out in every list.
            ('/tree', 'visual', If(Bool(Eval('overdue')), 'danger', '')),
            ]

    def get_overdue(self, name):
        return bool(self.state == 'open' and self.due and self.due < now())

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        overdue = [('state', '=', 'open'), ('due', '<', now())]
        if (operator == '=') == bool(value):
            return overdue
        return ['OR', ('state', '!=', 'open'), ('due', '=', None),
            ('due', '>=', now())]

    @classmethod
    def _due(cls, waiting_since, priority_id):
        Priority = Pool().get('partak.helpdesk.priority')
        if not waiting_since or not priority_id:
            return None
        hours = Priority(priority_id).response_hours
        return waiting_since + datetime.timedelta(hours=hours)

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Sequence = pool.get('ir.sequence')
        ModelData = pool.get('ir.model.data')
        vlist = [v.copy() for v in vlist]
        with without_check_access():
            sequence = Sequence(ModelData.get_id(
                    'partak_helpdesk', 'sequence_ticket'))
            for values in vlist:
                if not values.get('number'):
                    values['number'] = sequence.get()
                values.setdefault('date', now())
                values.setdefault('waiting_since', values['date'])
                values['due'] = cls._due(
                    values['waiting_since'], values.get('priority'))
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        # A new priority moves the target of the tickets still waiting.
        actions = iter(args)
        args = []
        for tickets, values in zip(actions, actions):
            if 'priority' in values or 'waiting_since' in values:
                for ticket in tickets:
                    v = values.copy()
                    v['due'] = cls._due(
                        v.get('waiting_since', ticket.waiting_since),
                        v.get('priority', ticket.priority.id))
                    args.extend(([ticket], v))
            else:
                args.extend((tickets, values))
        if args:
            super().write(*args)

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default else {}
        default.setdefault('number', None)
        default.setdefault('messages', None)
        default.setdefault('last_reply', None)
        return super().copy(tickets, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, tickets):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('waiting')
    def wait(cls, tickets):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def reopen(cls, tickets):
        cls.write(tickets, {'waiting_since': now()})

    @classmethod
    @ModelView.button_action('partak_helpdesk.wizard_reply')
    def reply(cls, tickets):
        pass

    def post(self, body, author='staff', user=None, attachments=None,
            date=None):
        """Adds a message to the thread; `attachments` are (name, data)
        pairs already checked by the caller.  Returns the message."""
        pool = Pool()
        Message = pool.get('partak.helpdesk.message')
        Attachment = pool.get('ir.attachment')
        message, = Message.create([{
                    'ticket': self.id,
                    'author': author,
                    # Staff messages name their author; the subscriber's
                    # come from the portal, which runs as root.
                    'user': ((user if user is not None
                            else Transaction().user or None)
                        if author == 'staff' else None),
                    'body': body,
                    'date': date or now(),
                    }])
        if attachments:
            with without_check_access():
                Attachment.create([{
                            'name': name,
                            'data': data,
                            'resource': str(message),
                            } for name, data in attachments])
        return message


class Message(ModelSQL, ModelView):
    """One message of a ticket's thread.  The body is HTML from a rich-text
    editor, cleaned on the server whatever the browser sent."""
    __name__ = 'partak.helpdesk.message'
    ticket = fields.Many2One('partak.helpdesk.ticket', "Ticket",
        required=True, ondelete='CASCADE', readonly=True)
    author = fields.Selection(AUTHORS, "Author", required=True,
        readonly=True)
    author_string = author.translated('author')
    user = fields.Many2One('res.user', "Staff User", readonly=True,
        states={'invisible': Eval('author') != 'staff'})
    date = fields.DateTime("Date", required=True, readonly=True)
    body = fields.Text("Body", required=True, readonly=True)
    summary = fields.Function(fields.Char("Text"), 'get_summary')
    attachments = fields.Function(fields.Many2Many('ir.attachment', None,
            None, "Attachments"), 'get_attachments')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]
        cls._sql_indexes.add(Index(t, (t.ticket, Index.Range())))

    @staticmethod
    def default_date():
        return now()

    @staticmethod
    def default_author():
        return 'staff'

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if 'body' in values:
            values['body'] = clean_html(values['body'])
        return values

    @classmethod
    def validate_fields(cls, messages, field_names):
        super().validate_fields(messages, field_names)
        if 'body' in field_names:
            for message in messages:
                # A body of only tags (e.g. "<p><br></p>") says nothing.
                if not plain_text(message.body):
                    raise ValidationError(gettext(
                            'partak_helpdesk.msg_message_empty'))

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Ticket = pool.get('partak.helpdesk.ticket')
        messages = super().create(vlist)
        # The thread drives the ticket: staff answers, the subscriber asks
        # again (which also re-opens a closed ticket).
        with without_check_access():
            for message in messages:
                ticket = message.ticket
                if message.author == 'staff':
                    Ticket.write([ticket], {
                            'state': 'answered',
                            'last_reply': message.date,
                            'waiting_since': None,
                            })
                    cls._notify(message)
                else:
                    values = {'state': 'open', 'last_reply': message.date}
                    if ticket.state != 'open' or not ticket.waiting_since:
                        values['waiting_since'] = message.date
                    Ticket.write([ticket], values)
        return messages

    @classmethod
    def _notify(cls, message):
        """The SMS that tells the subscriber an answer is waiting: the
        staff-editable template «ticket_answered» of partak_notify, once per
        answer."""
        Template = Pool().get('partak.notify.template')
        ticket = message.ticket
        Template.send('ticket_answered', ticket.party,
            '%s,%d' % (cls.__name__, message.id),
            number=ticket.number, ticket=ticket.title)

    @classmethod
    def check_modification(cls, mode, messages, values=None, external=False):
        super().check_modification(
            mode, messages, values=values, external=external)
        # What was said stays said: the thread is the ticket's record.
        if mode in {'write', 'delete'} and external:
            raise ValidationError(gettext(
                    'partak_helpdesk.msg_message_readonly'))

    def get_summary(self, name):
        return plain_text(self.body)[:200]

    def get_attachments(self, name):
        Attachment = Pool().get('ir.attachment')
        return [a.id for a in Attachment.search([
                    ('resource', '=', str(self))], order=[('id', 'ASC')])]

    def get_rec_name(self, name):
        return '%s #%s' % (self.ticket.number, self.id)


class ReplyStart(ModelView):
    "The staff answer written in the Reply wizard."
    __name__ = 'partak.helpdesk.reply.start'
    body = fields.Text("Answer", required=True)


class Reply(Wizard):
    "Answer a ticket from its form: the subscriber gets an SMS."
    __name__ = 'partak.helpdesk.reply'
    start = StateView('partak.helpdesk.reply.start',
        'partak_helpdesk.reply_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Send", 'send', 'tryton-ok', default=True),
            ])
    send = StateTransition()

    def transition_send(self):
        self.record.post(self.start.body, author='staff')
        return 'end'


# A spreadsheet runs a cell that starts with one of these as a formula
# (=HYPERLINK(...) in a ticket title would reach the operator's machine).
FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')


def csv_cell(value):
    "The text of a CSV cell, with a leading ' if it would be a formula."
    value = value or ''
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class LineFaultReport(Report):
    """The telecom operator's list (لیست کاربران جهت ارسال به مخابرات) as
    CSV: phone, centre, title, date of the chosen tickets."""
    __name__ = 'partak.helpdesk.line_fault.csv'

    @classmethod
    def _execute(cls, records, header, data, action):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([gettext('partak_helpdesk.msg_csv_phone'),
                gettext('partak_helpdesk.msg_csv_centre'),
                gettext('partak_helpdesk.msg_csv_title'),
                gettext('partak_helpdesk.msg_csv_date'),
                gettext('partak_helpdesk.msg_csv_number')])
        for ticket in records:
            line = ticket.line or (
                ticket.party.lines[0] if ticket.party.lines else None)
            writer.writerow([csv_cell(value) for value in [
                    line.phone if line else '',
                    line.centre.name if line else '',
                    ticket.title,
                    ticket.date.strftime('%Y-%m-%d %H:%M'),
                    ticket.number,
                    ]])
        # A BOM so that spreadsheet programs read the Persian as UTF-8.
        return 'csv', ('\ufeff' + out.getvalue()).encode('utf-8')
