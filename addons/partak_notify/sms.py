# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""SMS provider accounts and the outbox: partak.sms (of partak_subscriber)
is sent through the first active provider, retried with back-off when the
provider refuses or cannot be reached, and followed up for delivery."""
import datetime
import logging
from collections import defaultdict

from trytond.model import (
    DeactivableMixin, ModelSingleton, ModelSQL, ModelView, fields,
    sequence_ordered)
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from . import providers

logger = logging.getLogger(__name__)

PROVIDER_TYPES = [
    ('log', "Log (demo and tests)"),
    ('kavenegar', "Kavenegar"),
    ('smsir', "SMS.ir"),
    ]
DELIVERY_STATES = [
    (None, ""),
    ('pending', "Waiting for Report"),
    ('delivered', "Delivered"),
    ('undelivered', "Not Delivered"),
    ]


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Settings of the notifications: reminder time and outbox retries."
    __name__ = 'partak.notify.configuration'
    __string__ = "Notification Settings"
    reminder_time = fields.Time("Reminder Time", required=True,
        help="Time of day (company time zone, else Asia/Tehran) from which "
        "the day's reminders are sent.")
    ending_days = fields.Integer("Days Before Service End", required=True,
        domain=[('ending_days', '>=', 0)],
        help="A subscriber is told this many days before the service ends.")
    deadline_days = fields.Integer("Days Before Document Deadline",
        required=True, domain=[('deadline_days', '>=', 0)])
    max_attempts = fields.Integer("SMS Attempts", required=True,
        domain=[('max_attempts', '>=', 1)],
        help="A message the provider refuses this many times fails.")
    retry_minutes = fields.Integer("First Retry After (minutes)",
        required=True, domain=[('retry_minutes', '>=', 1)],
        help="Waiting time before the second try; doubled at each try.")

    @staticmethod
    def default_reminder_time():
        return datetime.time(10, 30)

    @staticmethod
    def default_ending_days():
        return 2

    @staticmethod
    def default_deadline_days():
        return 2

    @staticmethod
    def default_max_attempts():
        return 5

    @staticmethod
    def default_retry_minutes():
        return 5

    @classmethod
    def get(cls):
        return cls(1)


class SMSProvider(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    """An account at an SMS provider.  The first active one (by sequence)
    sends every message; with none, [partak] sms_backend (default 'log')."""
    __name__ = 'partak.sms.provider'
    __string__ = "SMS Provider"
    name = fields.Char("Name", required=True)
    type = fields.Selection(PROVIDER_TYPES, "Type", required=True)
    api_key = fields.Char("API Key", strip=True,
        states={'required': Eval('type') != 'log'},
        help="The key of the provider's web service panel.")
    sender_number = fields.Char("Sender Line Number", strip=True,
        help="The provider's line the messages are sent from.")
    host = fields.Char("API Host", strip=True,
        help="Leave empty for the provider's own server; a host or base "
        "URL to go through a proxy.")

    @staticmethod
    def default_type():
        return 'log'

    @classmethod
    def get_active(cls):
        "The provider account that sends now, or None (fallback)."
        records = cls.search([], limit=1)
        return records[0] if records else None

    def adapter(self):
        return providers.for_record(self)


class SMS(metaclass=PoolMeta):
    __name__ = 'partak.sms'
    provider = fields.Many2One('partak.sms.provider', "Provider",
        readonly=True, ondelete='SET NULL')
    provider_message_id = fields.Char("Provider Message ID", readonly=True)
    attempts = fields.Integer("Attempts", readonly=True)
    next_try = fields.DateTime("Next Try", readonly=True,
        help="When the outbox tries a queued message again.")
    last_error = fields.Text("Last Error", readonly=True)
    delivery = fields.Selection(DELIVERY_STATES, "Delivery", readonly=True)
    delivery_message = fields.Char("Delivery Report", readonly=True)
    delivery_date = fields.DateTime("Delivery Checked", readonly=True)

    @staticmethod
    def default_attempts():
        return 0

    @staticmethod
    def default_next_try():
        # The task queue sends a new message at once; the outbox cron picks
        # it up if that did not happen (no queue worker, a failed task).
        return datetime.datetime.now() + datetime.timedelta(minutes=1)

    @classmethod
    def send(cls, messages):
        """Sends the queued messages through the active provider.  Replaces
        partak_subscriber's log-only send: a refusal is kept on the
        message and retried later, nothing is dropped."""
        pool = Pool()
        Provider = pool.get('partak.sms.provider')
        Configuration = pool.get('partak.notify.configuration')
        config = Configuration.get()
        record = Provider.get_active()
        adapter = providers.for_record(record)
        now = datetime.datetime.now()
        messages = [m for m in cls.browse(messages) if m.state == 'queued']
        for message in messages:
            message.attempts = (message.attempts or 0) + 1
            message.provider = record
            message.backend = adapter.type
            try:
                message_id = adapter.send(message.mobile, message.text)
            except providers.ProviderError as error:
                message.last_error = str(error)
                logger.warning("SMS %s to %s not sent (try %s): %s",
                    message.id, message.mobile, message.attempts, error)
                if error.permanent or message.attempts >= config.max_attempts:
                    message.state = 'failed'
                    message.next_try = None
                else:
                    message.next_try = now + datetime.timedelta(
                        minutes=config.retry_minutes
                        * 2 ** (message.attempts - 1))
                continue
            message.state = 'sent'
            message.sent_at = now
            message.next_try = None
            message.provider_message_id = message_id
            message.delivery = ('pending' if adapter.reports_delivery
                else None)
        cls.save(messages)

    @classmethod
    def send_queued(cls):
        "Cron: sends again the queued messages whose next try has come."
        now = datetime.datetime.now()
        messages = cls.search([
                ('state', '=', 'queued'),
                ['OR', ('next_try', '=', None), ('next_try', '<=', now)],
                ], order=[('next_try', 'ASC'), ('id', 'ASC')])
        if messages:
            cls.send(messages)
        return len(messages)

    @classmethod
    def check_delivery(cls, days=3):
        """Cron: asks the providers whether the messages sent in the last
        days reached the phone."""
        now = datetime.datetime.now()
        messages = cls.search([
                ('state', '=', 'sent'),
                ('delivery', '=', 'pending'),
                ('provider', '!=', None),
                ('provider_message_id', '!=', None),
                ('sent_at', '>=', now - datetime.timedelta(days=days)),
                ])
        by_provider = defaultdict(list)
        for message in messages:
            by_provider[message.provider].append(message)
        to_save = []
        for provider, group in by_provider.items():
            adapter = provider.adapter()
            if not adapter.reports_delivery:
                continue
            try:
                reports = adapter.status(
                    [m.provider_message_id for m in group])
            except providers.ProviderError as error:
                # Asked again at the next run.
                logger.warning("delivery of %s messages of %s unknown: %s",
                    len(group), provider.rec_name, error)
                continue
            for message in group:
                report = reports.get(message.provider_message_id)
                if report:
                    message.delivery = report.state
                    message.delivery_message = (
                        ('%s %s' % (report.code, report.message)).strip()
                        or None)
                    message.delivery_date = now
                    to_save.append(message)
        cls.save(to_save)
        return len(to_save)

    @classmethod
    @ModelView.button
    def retry(cls, messages):
        "Staff send a failed message again (after fixing the number)."
        failed = [m for m in messages if m.state == 'failed']
        # The SMS log is read-only for people; the button is what they may
        # do with it.
        with without_check_access():
            cls.write(failed, {
                    'state': 'queued', 'attempts': 0, 'next_try': None})
        cls.__queue__.send(failed)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state') != 'failed',
                    'depends': ['state'],
                    },
                })


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('partak.sms|send_queued', "Send Queued SMS Again"),
                ('partak.sms|check_delivery', "Check SMS Delivery"),
                ('partak.notify.reminder|send_reminders',
                    "Send Reminders by SMS"),
                ('partak.notify.reminder|notify_payments',
                    "Confirm Received Payments by SMS"),
                ])
