# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of partak_helpdesk, loaded by scripts/demo_data.py inside its
transaction once the subscribers and services exist."""
import datetime

DEPARTMENTS = ['پشتیبانی فنی', 'فروش', 'امور مالی']
SERVICES = ['adsl', 'وایرلس', 'TD-LTE', 'تلفن ثابت']
# The manual's words («اولویت کم» ... «اولویت بسیار بالا») and a response
# target in hours each.
PRIORITIES = [('اولویت کم', 72), ('اولویت متوسط', 24), ('اولویت بالا', 8),
    ('اولویت بسیار بالا', 2)]


def load_helpdesk():
    "Creates the demo records of this module; safe to call twice."
    from trytond.pool import Pool
    pool = Pool()
    Department = pool.get('partak.helpdesk.department')
    Service = pool.get('partak.helpdesk.service')
    Priority = pool.get('partak.helpdesk.priority')
    Ticket = pool.get('partak.helpdesk.ticket')
    Line = pool.get('partak.line')
    User = pool.get('res.user')
    if Department.search([], limit=1):
        return
    departments = Department.create([
            {'name': n, 'sequence': i} for i, n in enumerate(DEPARTMENTS)])
    services = Service.create([
            {'name': n, 'sequence': i} for i, n in enumerate(SERVICES)])
    priorities = Priority.create([
            {'name': n, 'response_hours': h, 'sequence': i}
            for i, (n, h) in enumerate(PRIORITIES)])
    technical, sales, finance = departments
    adsl = services[0]
    low, medium, high, very_high = priorities
    support = User.search([('login', '=', 'support')], limit=1)
    support = support[0] if support else None

    now = datetime.datetime.now()

    def ticket(line, title, department, priority, days_ago, messages,
            line_fault=False, assign=True):
        created = now - datetime.timedelta(days=days_ago)
        record, = Ticket.create([{
                    'party': line.subscriber.id,
                    'line': line.id,
                    'department': department.id,
                    'service': adsl.id,
                    'priority': priority.id,
                    'title': title,
                    'date': created,
                    'assigned_to': support.id if support and assign else None,
                    'line_fault': line_fault,
                    }])
        for hours, author, body in messages:
            # Messages keep their past dates; as `support` for staff.
            record.post(body, author=author,
                user=(support.id if support and author == 'staff'
                    else None),
                date=created + datetime.timedelta(hours=hours))
        return record

    kamal = Line.search([('phone', '=', '1132455123')], limit=1)
    if kamal:
        line, = kamal
        ticket(line, 'لطفا مدت یک هفته اینترنت ما قطع است بررسی فرمایید',
            technical, low, 6, [
                (0, 'subscriber', '<p>سلام، از هفته گذشته چراغ <b>ADSL</b> '
                    'مودم خاموش است و اینترنت وصل نمی‌شود.</p>'),
                (3, 'staff', '<p>مشترک گرامی، خط شما برای بررسی به '
                    'مخابرات اعلام شد. لطفاً مودم را یک بار خاموش و روشن '
                    'کنید.</p>'),
                ], line_fault=True)
        ticket(line, 'لطفا اینترنت ما یک هفته مشکل فنی دارد بررسی فرمایید',
            technical, very_high, 1, [
                (0, 'subscriber', '<p>سرعت اینترنت شب‌ها <u>بسیار کم</u> '
                    'است و ارتباط مرتب قطع می‌شود.</p>'),
                ])
    # A few tickets of other subscribers for the queues.
    others = Line.search([('phone', '!=', '1132455123')], limit=4,
        order=[('id', 'ASC')])
    samples = [
        ('درخواست تغییر سرویس به ۴ مگابیت', sales, medium, 2, False),
        ('مبلغ فاکتور با سرویس خریداری شده همخوانی ندارد', finance, high,
            1, False),
        ('خط تلفن نویز دارد و اینترنت قطع و وصل می‌شود', technical, high,
            4, True),
        ('نحوه تنظیم مودم وایرلس', technical, low, 0, False),
        ]
    for line, (title, department, priority, days, fault) in zip(
            others, samples):
        ticket(line, title, department, priority, days, [
                (0, 'subscriber', '<p>%s</p>' % title)],
            line_fault=fault, assign=department == technical)
