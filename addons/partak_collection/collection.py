# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Collections of postpaid bills on Tryton's account_dunning: the actions a
dunning level takes when a dunning reaches it (an SMS to the subscriber,
the subscriber's lines to the collection list, a notification to staff),
the daily run of the ladder, and the lifting of the restriction as soon as
the bill is paid (its receivable line reconciled)."""
import json

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval
from trytond.transaction import Transaction, without_check_access

from trytond.modules.partak_services.tools import local_date, now

from .exceptions import LevelValidationError


class Level(metaclass=PoolMeta):
    __name__ = 'account.dunning.level'
    name = fields.Char("Name", translate=True,
        help="What the level is called in the lists, e.g. «پیامک سررسید».")
    send_sms = fields.Boolean("Send SMS",
        help="Send an SMS to the subscriber when a dunning reaches the "
        "level.")
    sms_template = fields.Many2One('partak.notify.template', "SMS Template",
        ondelete='RESTRICT',
        states={
            'required': Bool(Eval('send_sms')),
            'invisible': ~Eval('send_sms'),
            },
        help="Placeholders: {name} {amount} {date} (the due date) {days} "
        "(days overdue) {number} (the invoice).")
    collection = fields.Boolean("Put Lines in Collection List",
        help="The subscriber's lines in service go to the collection list "
        "(RADIUS refuses them) until the bill is paid.")
    notify_staff = fields.Boolean("Notify Staff",
        help="Send a notification to the users of the staff group.")
    staff_group = fields.Many2One('res.group', "Staff Group",
        ondelete='RESTRICT',
        states={
            'required': Bool(Eval('notify_staff')),
            'invisible': ~Eval('notify_staff'),
            })

    @classmethod
    def default_send_sms(cls):
        return False

    @classmethod
    def default_collection(cls):
        return False

    @classmethod
    def default_notify_staff(cls):
        return False

    def get_rec_name(self, name):
        if self.name:
            return self.name
        return super().get_rec_name(name)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        return [('name', operator, operand, *extra)]

    @classmethod
    def validate_fields(cls, levels, field_names):
        super().validate_fields(levels, field_names)
        for level in levels:
            if level.overdue is not None and level.overdue.total_seconds() < 0:
                raise LevelValidationError(gettext(
                        'partak_collection.msg_level_overdue_negative',
                        level=level.rec_name))
            if level.send_sms and not level.sms_template:
                raise LevelValidationError(gettext(
                        'partak_collection.msg_level_sms_template',
                        level=level.rec_name))
            if level.notify_staff and not level.staff_group:
                raise LevelValidationError(gettext(
                        'partak_collection.msg_level_staff_group',
                        level=level.rec_name))

    @property
    def partak_actions(self):
        return bool(self.send_sms or self.collection or self.notify_staff)


class Dunning(metaclass=PoolMeta):
    __name__ = 'account.dunning'
    invoice = fields.Function(fields.Many2One('account.invoice', "Invoice"),
        'get_invoice')
    days_overdue = fields.Function(fields.Integer("Days Overdue",
            help="Days since the due date (the ISP's calendar)."),
        'get_days_overdue')
    lines_status = fields.Function(fields.Char("Lines",
            help="The subscriber's lines and their status."),
        'get_lines_status')
    steps = fields.One2Many('partak.collection.step', 'dunning',
        "Steps Taken", readonly=True)

    def get_invoice(self, name):
        Invoice = Pool().get('account.invoice')
        origin = self.line.move.origin if self.line else None
        if isinstance(origin, Invoice):
            return origin.id

    def get_days_overdue(self, name):
        if self.line and self.line.maturity_date:
            return (local_date(now()) - self.line.maturity_date).days

    def get_lines_status(self, name):
        party = self.line.party if self.line else None
        if not party:
            return None
        lines = party.lines
        return '، '.join('%s: %s' % (l.phone, l.status_string)
            for l in lines if l.status != 'cancelled') or None

    @property
    def partak_amount(self):
        "What is left to pay of the dunned bill, in Rials."
        invoice = self.invoice
        if invoice and invoice.state == 'posted':
            return int(invoice.amount_to_pay)
        return int(self.amount or 0)

    @classmethod
    def process(cls, dunnings):
        # Tryton moves the draft dunnings to their level (waiting): those
        # are the ones whose level's actions are due now.
        reached = [d for d in dunnings
            if not d.blocked and d.state == 'draft']
        super().process(dunnings)
        cls.apply_level_actions(reached)

    @classmethod
    def apply_level_actions(cls, dunnings):
        """The actions of each dunning's level, once per dunning and level
        (partak.collection.step, unique): an SMS to the subscriber, the
        lines in service to the collection list, the staff notified.
        System actions: they run whoever processes the dunnings."""
        pool = Pool()
        Step = pool.get('partak.collection.step')
        with without_check_access():
            dunnings = [d for d in cls.browse([int(d) for d in dunnings])
                if d.level.partak_actions and d.party
                and not d.line.reconciliation and not d.blocked]
            done = {(s.dunning.id, s.level.id) for s in Step.search([
                        ('dunning', 'in', [d.id for d in dunnings]),
                        ])}
            steps = []
            for dunning in dunnings:
                if (dunning.id, dunning.level.id) in done:
                    continue
                done.add((dunning.id, dunning.level.id))
                steps.append(dunning._apply_level())
            Step.save(steps)
        return steps

    def _placeholders(self):
        # The date the ladder runs for (the cron's), else the ISP's today
        date = (Transaction().context.get('partak_collection_date')
            or local_date(now()))
        return {
            'amount': self.partak_amount,
            'date': self.line.maturity_date,
            'days': max((date - self.line.maturity_date).days, 0),
            'number': self.invoice.number if self.invoice else '',
            }

    def _apply_level(self):
        pool = Pool()
        Step = pool.get('partak.collection.step')
        Template = pool.get('partak.notify.template')
        level = self.level
        party = self.line.party
        values = self._placeholders()
        step = Step(dunning=self, level=level, party=party, date=now(),
            notified=0)
        if level.send_sms and level.sms_template:
            step.sms = Template.send(level.sms_template.code, party,
                'dunning,%d,%d' % (self.id, level.id), **values)
        if level.collection:
            lines = self._restrict(values['days'], step.date)
            step.lines = ', '.join(l.phone for l in lines) or None
        if level.notify_staff and level.staff_group:
            step.notified = self._notify_staff(level.staff_group, values)
        return step

    def _restrict(self, days, date):
        """The subscriber's lines in service to the collection list, each
        with its restriction; returns them."""
        pool = Pool()
        Line = pool.get('partak.line')
        Restriction = pool.get('partak.collection.restriction')
        party = self.line.party
        lines = [l for l in party.lines if l.status == 'in_service']
        if lines:
            Line.set_status(lines, 'collection', note=gettext(
                    'partak_collection.msg_line_collection_note',
                    dunning=self.invoice.number if self.invoice
                    else self.line.rec_name,
                    days=days))
            Restriction.save([Restriction(line=l, party=party,
                        dunning=self, date=date) for l in lines])
        return lines

    @classmethod
    def restrict_again(cls, line_ids):
        """After a reconciliation of the bills' lines `line_ids` is
        cancelled: their dunnings are running again, and those that had
        passed a collection level put the lines back in the collection
        list (the level's step is not taken twice)."""
        with without_check_access():
            dunnings = cls.search([
                    ('line', 'in', list(line_ids)),
                    ('line.reconciliation', '=', None),
                    ('blocked', '=', False),
                    ('state', '!=', 'draft'),
                    ])
            date = now()
            restricted = []
            for dunning in dunnings:
                passed = any(l.collection
                    and l.sequence <= dunning.level.sequence
                    for l in dunning.procedure.levels)
                if passed and dunning.party:
                    restricted.extend(dunning._restrict(
                            dunning.days_overdue or 0, date))
        return restricted

    def _notify_staff(self, group, values):
        "A notification (the bell of the back office) to each staff user."
        pool = Pool()
        Notification = pool.get('res.notification')
        ModelData = pool.get('ir.model.data')
        ActWindow = pool.get('ir.action.act_window')
        User = pool.get('res.user')
        users = User.search([('groups', '=', group.id)])
        action = ActWindow(ModelData.get_id(
                'partak_collection', 'act_dunning_collection'))
        notifications = []
        for user in users:
            language = user.language.code if user.language else None
            with Transaction().set_context(language=language):
                notifications.append(Notification(
                        user=user,
                        icon='tryton-warning',
                        label=gettext(
                            'partak_collection.msg_staff_notification',
                            party=self.line.party.rec_name),
                        description=gettext(
                            'partak_collection.msg_staff_notification_text',
                            amount='{:,}'.format(values['amount']),
                            days=values['days'], level=self.level.rec_name,
                            number=values['number']),
                        model=self.__name__,
                        records=json.dumps([self.id]),
                        action=action.action))
        Notification.save(notifications)
        return len(notifications)

    @classmethod
    def run_collection(cls, date=None):
        """Cron (daily): dunnings for the overdue receivable lines and the
        next level of the waiting ones (Tryton's generate_dunnings, at the
        ISP's date), then processed: each level's actions run.  Safe to
        run again the same day: nothing is done twice."""
        pool = Pool()
        Company = pool.get('company.company')
        date = date or local_date(now())
        with without_check_access():
            companies = Company.search([])
        processed = []
        for company in companies:
            # generate_dunnings searches with the record rules on (even as
            # root, who belongs to no company in a cron): the company's.
            with Transaction().set_context(company=company.id,
                    _companies=[company.id], partak_collection_date=date):
                cls.generate_dunnings(date=date)
                with without_check_access():
                    drafts = cls.search([
                            ('company', '=', company.id),
                            ('state', '=', 'draft'),
                            ('blocked', '=', False),
                            ])
                if drafts:
                    cls.process(drafts)
                processed.extend(drafts)
        return processed

    @classmethod
    def delete(cls, dunnings):
        pool = Pool()
        Restriction = pool.get('partak.collection.restriction')
        parties = {d.line.party for d in dunnings if d.line.party}
        super().delete(dunnings)
        Restriction.lift(parties)


class Step(ModelSQL, ModelView):
    "What the ladder did when a dunning reached a level (once per level)."
    __name__ = 'partak.collection.step'
    __string__ = "Collection Step"
    dunning = fields.Many2One('account.dunning', "Dunning", required=True,
        ondelete='CASCADE', readonly=True)
    level = fields.Many2One('account.dunning.level', "Level", required=True,
        ondelete='RESTRICT', readonly=True)
    party = fields.Many2One('party.party', "Subscriber", required=True,
        ondelete='CASCADE', readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    sms = fields.Many2One('partak.sms', "SMS", ondelete='SET NULL',
        readonly=True)
    sms_text = fields.Function(fields.Text("SMS Text"), 'get_sms_text')
    lines = fields.Char("Lines to Collection List", readonly=True)
    notified = fields.Integer("Staff Notified", readonly=True)

    def get_sms_text(self, name):
        # The accountant reads the ladder's steps, not the SMS log.
        with without_check_access():
            return self.sms.text if self.sms else None

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints = [
            ('dunning_level_unique', Unique(t, t.dunning, t.level),
                'partak_collection.msg_step_unique'),
            ]
        cls._order = [('date', 'DESC'), ('id', 'DESC')]


class Restriction(ModelSQL, ModelView):
    """A line that the ladder put in the collection list, until the dunned
    bill is paid: only these lines are given back to service."""
    __name__ = 'partak.collection.restriction'
    __string__ = "Line in Collection List for Debt"
    line = fields.Many2One('partak.line', "Line", required=True,
        ondelete='CASCADE', readonly=True)
    party = fields.Many2One('party.party', "Subscriber", required=True,
        ondelete='CASCADE', readonly=True)
    dunning = fields.Many2One('account.dunning', "Dunning",
        ondelete='SET NULL', readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    lifted = fields.DateTime("Lifted", readonly=True,
        help="When the bill was paid and the restriction ended.")
    note = fields.Char("Note", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def lift(cls, parties):
        """Ends the restrictions of parties whose dunning is gone or no
        longer active (its line reconciled: the bill is paid), and gives
        back to service the lines still in the collection list that no
        other open restriction holds."""
        pool = Pool()
        Dunning = pool.get('account.dunning')
        Line = pool.get('partak.line')
        party_ids = [p.id for p in parties if p]
        if not party_ids:
            return []
        with without_check_access():
            restrictions = cls.search([
                    ('party', 'in', party_ids),
                    ('lifted', '=', None),
                    ])
            if not restrictions:
                return []
            active = {d.id for d in Dunning.search([
                        ('id', 'in', [r.dunning.id for r in restrictions
                                if r.dunning]),
                        ])}
            ended = [r for r in restrictions
                if not r.dunning or r.dunning.id not in active]
            if not ended:
                return []
            held = {r.line.id for r in restrictions if r not in ended}
            date = now()
            for restriction in ended:
                invoice = (restriction.dunning.invoice
                    if restriction.dunning else None)
                restriction.lifted = date
                restriction.note = gettext(
                    'partak_collection.msg_line_restored_note',
                    invoice=invoice.number if invoice else '')
            cls.save(ended)
            to_restore = {}
            for restriction in ended:
                line = restriction.line
                if line.id not in held and line.status == 'collection':
                    to_restore.setdefault(restriction.note, set()).add(line)
            for note, lines in to_restore.items():
                Line.set_status(list(lines), 'in_service', note=note)
        return ended


class Line(metaclass=PoolMeta):
    __name__ = 'partak.line'

    @classmethod
    def held_in_collection(cls, lines):
        "The lines an open restriction (an unpaid bill's dunning) holds."
        Restriction = Pool().get('partak.collection.restriction')
        held = super().held_in_collection(lines)
        with without_check_access():
            held |= {r.line.id for r in Restriction.search([
                        ('line', 'in', [l.id for l in lines]),
                        ('lifted', '=', None),
                        ])}
        return held


class Reconciliation(metaclass=PoolMeta):
    __name__ = 'account.move.reconciliation'

    @staticmethod
    def _subscriber_lines(reconciliations):
        "The receivable lines of a party that the reconciliations hold."
        return [l for r in reconciliations for l in r.lines
            if l.party and l.account.type and l.account.type.receivable]

    @classmethod
    def on_modification(cls, mode, reconciliations, field_names=None):
        super().on_modification(mode, reconciliations,
            field_names=field_names)
        if mode == 'create':
            # The bill is paid (by the portal, the counter or the
            # accountant): its dunning is no longer active, the lines come
            # back in the same transaction.  (account_invoice marks the
            # invoice paid later, in a task.)
            Restriction = Pool().get('partak.collection.restriction')
            Restriction.lift(
                {l.party for l in cls._subscriber_lines(reconciliations)})

    @classmethod
    def on_delete(cls, reconciliations):
        # A payment cancelled (the reconciliation deleted): once it is
        # gone, the dunnings of its bills run again and their lines go
        # back to the collection list.
        callbacks = super().on_delete(reconciliations)
        line_ids = {l.id for l in cls._subscriber_lines(reconciliations)}
        if line_ids:
            Dunning = Pool().get('account.dunning')
            callbacks.append(lambda: Dunning.restrict_again(line_ids))
        return callbacks


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('account.dunning|run_collection',
                "Run the Collection Ladder of Overdue Bills"))
