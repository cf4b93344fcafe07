# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Scheduled reminders by SMS: service ending soon, service ending today,
document deadline near, payment received.  Each event is told once
(partak.notify.sent), however often the jobs run."""
import datetime
from zoneinfo import ZoneInfo

from trytond.model import Model
from trytond.pool import Pool, PoolMeta

from trytond.modules.partak_services.tools import get_company, local_zone

UTC = datetime.timezone.utc
DAY = datetime.timedelta(days=1)


def zone():
    "The company's time zone, else [partak] timezone (Asia/Tehran)."
    company = get_company()
    if company and getattr(company, 'timezone', None):
        return ZoneInfo(company.timezone)
    return local_zone()


def to_zone(value, tz):
    "A naive UTC date-time as a naive date-time of tz."
    return value.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)


def day_start(day, tz):
    "Naive UTC of the midnight that starts day in tz."
    return (datetime.datetime.combine(day, datetime.time(), tzinfo=tz)
        .astimezone(UTC).replace(tzinfo=None))


class Reminder(Model):
    "The reminder jobs run by ir.cron."
    __name__ = 'partak.notify.reminder'
    __string__ = "Reminder"

    @classmethod
    def send_reminders(cls, now=None, any_time=False):
        """Cron (every half hour): from the configured time of day on (or
        at once with any_time), the day's reminders.  Returns how many SMS
        were queued."""
        Configuration = Pool().get('partak.notify.configuration')
        config = Configuration.get()
        now = now or datetime.datetime.now()
        tz = zone()
        local = to_zone(now, tz)
        if not any_time and local.time() < config.reminder_time:
            return 0
        return (cls.remind_service_ending(now, tz, config.ending_days)
            + cls.remind_service_ended(now, tz)
            + cls.remind_document_deadline(now, tz, config.deadline_days))

    @staticmethod
    def _continues(period):
        """The line has a later service (renewal, reserve): its end is no
        end for the subscriber."""
        Period = Pool().get('partak.service.period')
        return bool(Period.search([
                    ('line', '=', period.line.id),
                    ('id', '!=', period.id),
                    ('state', 'in', ['active', 'reserve']),
                    ('end', '>', period.end),
                    ], limit=1))

    @staticmethod
    def _period_key(period, end_day):
        return 'period,%d,%s' % (period.id, end_day.isoformat())

    @classmethod
    def remind_service_ending(cls, now, tz, days):
        """The active services with at most days whole days left (as the
        dashboard counts them), except those ending today."""
        pool = Pool()
        Period = pool.get('partak.service.period')
        Template = pool.get('partak.notify.template')
        today = to_zone(now, tz).date()
        count = 0
        for period in Period.search([
                    ('state', '=', 'active'),
                    ('end', '>', now),
                    ('end', '<', now + (days + 1) * DAY),
                    ], order=[('end', 'ASC'), ('id', 'ASC')]):
            end_day = to_zone(period.end, tz).date()
            if end_day == today or cls._continues(period):
                continue
            if Template.send('service_ending', period.line.subscriber,
                    cls._period_key(period, end_day),
                    days=max((period.end - now).days, 1), date=end_day,
                    plan=period.product.template.name):
                count += 1
        return count

    @classmethod
    def remind_service_ended(cls, now, tz):
        "The services that end today (before or after this run)."
        pool = Pool()
        Period = pool.get('partak.service.period')
        Template = pool.get('partak.notify.template')
        today = to_zone(now, tz).date()
        count = 0
        for period in Period.search([
                    ('state', 'in', ['active', 'ended']),
                    ('end', '>=', day_start(today, tz)),
                    ('end', '<', day_start(today + DAY, tz)),
                    ], order=[('end', 'ASC'), ('id', 'ASC')]):
            if cls._continues(period):
                continue
            if Template.send('service_ended', period.line.subscriber,
                    cls._period_key(period, today), date=today,
                    plan=period.product.template.name):
                count += 1
        return count

    @classmethod
    def remind_document_deadline(cls, now, tz, days):
        """Subscribers whose deadline for valid documents ends within days
        (their internet is cut then)."""
        pool = Pool()
        Party = pool.get('party.party')
        Template = pool.get('partak.notify.template')
        today = to_zone(now, tz).date()
        count = 0
        for party in Party.search([
                    ('document_deadline', '!=', None),
                    ('document_deadline', '>', now),
                    ('document_deadline', '<',
                        day_start(today + (days + 1) * DAY, tz)),
                    ('internet_cut', '=', False),
                    ]):
            deadline = party.document_deadline
            if Template.send('document_deadline', party,
                    'deadline,%d,%s' % (party.id, deadline.isoformat()),
                    days=(to_zone(deadline, tz).date() - today).days,
                    date=deadline):
                count += 1
        return count

    @classmethod
    def notify_payment(cls, payment):
        "Confirms a paid payment to its payer, once."
        Template = Pool().get('partak.notify.template')
        return Template.send('payment_received', payment.party,
            'payment,%d' % payment.id, amount=payment.amount,
            date=payment.verified_at or datetime.datetime.now())

    @classmethod
    def notify_payments(cls, now=None, days=2):
        """Cron: the payments paid in the last days that were not
        confirmed yet (the confirmation at payment time failed or the
        payment was settled from the back office)."""
        Payment = Pool().get('partak.payment')
        now = now or datetime.datetime.now()
        count = 0
        for payment in Payment.search([
                    ('state', '=', 'paid'),
                    ('verified_at', '>=', now - days * DAY),
                    ], order=[('id', 'ASC')]):
            if cls.notify_payment(payment):
                count += 1
        return count


class Payment(metaclass=PoolMeta):
    __name__ = 'partak.payment'

    @classmethod
    def _verify(cls, payment, *args, **kwargs):
        result = super()._verify(payment, *args, **kwargs)
        if payment.state == 'paid':
            # A task of its own, after the payment is committed: an SMS
            # problem never touches the payment (notify_payments catches
            # up on a task that failed).
            cls.__queue__.notify_received([payment])
        return result

    @classmethod
    def notify_received(cls, payments):
        Reminder = Pool().get('partak.notify.reminder')
        for payment in cls.browse(payments):
            if payment.state == 'paid':
                Reminder.notify_payment(payment)
