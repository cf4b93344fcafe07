# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of partak_notify, loaded by scripts/demo_data.py inside its
transaction once the subscribers and services exist."""
import datetime

from trytond.pool import Pool
from trytond.transaction import Transaction

KAVENEGAR_PLACEHOLDER_KEY = 'PUT-YOUR-KAVENEGAR-API-KEY-HERE'


def load_notify():
    "Creates the demo records of this module; safe to call twice."
    pool = Pool()
    Provider = pool.get('partak.sms.provider')
    Party = pool.get('party.party')
    SMS = pool.get('partak.sms')
    Sent = pool.get('partak.notify.sent')
    Template = pool.get('partak.notify.template')
    Reminder = pool.get('partak.notify.reminder')

    with Transaction().set_context(active_test=False):
        types = {p.type for p in Provider.search([])}
    if 'log' not in types:
        # The log provider sends: the demo has no SMS account.
        Provider.create([{'name': 'ثبت در لاگ سرور (نمایشی)',
                    'type': 'log', 'sequence': 10, 'active': True}])
    if 'kavenegar' not in types:
        Provider.create([{'name': 'کاوه نگار', 'type': 'kavenegar',
                    'api_key': KAVENEGAR_PLACEHOLDER_KEY,
                    'sender_number': '10004346', 'sequence': 20,
                    'active': False}])

    # A past message of the manual's subscriber, sent through a template
    # (the helpdesk's demo adds the answers to its tickets).
    kamal = Party.search([('lines.phone', '=', '1132455123')], limit=1)
    if kamal and kamal[0].mobile:
        kamal, = kamal
        now = datetime.datetime.now()
        for code, key, values, days in [
                ('payment_received', 'demo,payment,1',
                    {'amount': 350_000, 'date': now - datetime.timedelta(20)},
                    20),
                ]:
            message = Template.send(code, kamal, key, **values)
            if message:
                # Backdated as if sent then; these never reach a provider.
                SMS.write([message], {'state': 'sent',
                        'backend': 'log',
                        'sent_at': now - datetime.timedelta(days),
                        'next_try': None})
                table = SMS.__table__()
                cursor = Transaction().connection.cursor()
                cursor.execute(*table.update([table.create_date],
                        [now - datetime.timedelta(days)],
                        where=table.id == message.id))

    # The reminders of today, whatever the time of day, so that 1132400002
    # (service ends in two days) finds the SMS in the message box.
    Reminder.send_reminders(any_time=True)
    # A script runs no task queue: send now what is waiting (log provider).
    SMS.send(SMS.search([('state', '=', 'queued')]))
    return Sent.search([], count=True)
