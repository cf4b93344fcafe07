# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of partak_collection, loaded by scripts/demo_data.py once the
subscribers, the accounting and the SMS templates exist:

    load_collection_demo(database, password=DEMO_PASSWORD)

Two postpaid subscribers whose bill of 20 days ago was not paid on time:
حسین رحیمی (1132400003) is dunned up to the collection list and is still
there; زهرا موسوی (1132400004) was dunned as far, then paid at the counter
and is back in service.  Safe to call twice."""
import datetime

from trytond.pool import Pool
from trytond.modules.partak_services.pricing import vat_amount
from trytond.modules.partak_services.setup import run_in_transaction
from trytond.modules.partak_services.tools import (
    company_context, local_date, now)

LATE = ('حسین رحیمی', '1132400003', '0911')
PAID = ('زهرا موسوی', '1132400004', '0911')
FESTIVAL = 'جشنواره بهار'
DAY = datetime.timedelta(days=1)
OVERDUE_DAYS = 20


def load_collection_demo(database, password=None):
    "Runs _load in its own transaction (retried for Tryton's locks)."
    return run_in_transaction(database,
        lambda: _load(password), context={'language': 'fa'})


def _subscriber(name, phone, password):
    pool = Pool()
    Party = pool.get('party.party')
    Line = pool.get('partak.line')
    City = pool.get('partak.city')
    Centre = pool.get('partak.telecom_centre')
    Account = pool.get('partak.internet.account')
    city = (City.search([('name', '=', 'ساری')], limit=1)
        or City.search([], limit=1))
    if not city:
        return None, None
    city, = city
    centre = Centre.search([('city', '=', city.id)], limit=1)
    if not centre:
        return None, None
    party, = Party.create([{'name': name, 'subscriber_kind': 'person',
                'contact_mechanisms': [('create', [{'type': 'mobile',
                                'value': '0911%s' % phone[-7:]}])]}])
    line, = Line.create([{'phone': phone, 'subscriber': party.id,
                'city': city.id, 'centre': centre[0].id,
                'status': 'in_service'}])
    Account.create([{'line': line.id}])
    try:
        WebUser = pool.get('web.user')  # partak_portal's, when activated
    except KeyError:
        WebUser = None
    if password and WebUser:
        WebUser.create([{'party': party.id,
                    'password_hash': WebUser.hash_password(password)}])
    return party, line


def _overdue_bill(party, line, product, date):
    """A postpaid month of the festival plan, invoiced and posted today
    and due on `date`.  (Tryton numbers a sequence's invoices in date order
    and the demo's other invoices of the year are dated later than `date`:
    the bill is dated today, its receivable line falls due on `date`.)"""
    pool = Pool()
    Order = pool.get('partak.order')
    Period = pool.get('partak.service.period')
    MoveLine = pool.get('account.move.line')
    template = product.template
    # The service runs on (postpaid): only the bill is late.
    start = now() - 10 * DAY
    Period.new_period(line, product, start, channel='admin')
    amount = template.partak_price
    invoice = Order.make_invoice(party, [
            Order.invoice_line_values(product, amount,
                description='%s - قبض ماه گذشته' % product.rec_name)],
        post=False)
    if not invoice:
        return None
    Order.set_vat(invoice, vat_amount(amount, template.partak_vat_rate))
    Order.post_invoice(invoice, skip_warnings=True)
    MoveLine.write(list(invoice.lines_to_pay), {'maturity_date': date})
    return invoice


def _load(password):
    pool = Pool()
    Company = pool.get('company.company')
    Line = pool.get('partak.line')
    Template = pool.get('product.template')
    Dunning = pool.get('account.dunning')
    Order = pool.get('partak.order')
    SMS = pool.get('partak.sms')

    companies = Company.search([], limit=1)
    if not companies:
        return []
    if Line.search([('phone', 'in', [LATE[1], PAID[1]])], limit=1):
        return []
    with company_context(companies[0]):
        festival = Template.search([('name', 'like', FESTIVAL + '%'),
                ('billing', '=', 'postpaid')], limit=1)
        if not festival:
            print('no postpaid plan: no collection demo data')
            return []
        product = festival[0].products[0]
        today = local_date(now())
        due = today - OVERDUE_DAYS * DAY
        bills = []
        for name, phone, _ in [LATE, PAID]:
            party, line = _subscriber(name, phone, password)
            if not party:
                return []
            invoice = _overdue_bill(party, line, product, due)
            if not invoice:
                print('accounting not set up: no collection demo data')
                return []
            bills.append((party, line, invoice))
        # The daily cron on the days the ladder moved: the due date, a
        # week later, two weeks later (the collection list).
        for days in (0, 7, 15):
            Dunning.run_collection(date=due + days * DAY)
        Dunning.run_collection(date=today)
        # زهرا موسوی pays her bill at the counter: back in service.
        party, line, invoice = bills[1]
        order = Order.quote_bills(party, line, [invoice], use_wallet=False,
            channel='admin')
        Order.mark_paid([order])
        # A script runs no task queue: send now what is waiting.
        SMS.send(SMS.search([('state', '=', 'queued')]))
    print('collection demo data loaded: %s in the collection list for a '
        'bill of %s; %s paid and back in service' % (
            LATE[1], due, PAID[1]))
    return [b[2] for b in bills]
