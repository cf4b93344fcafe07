#!/usr/bin/env python3
# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Loads the demo data that reproduces the manual's screens into an
activated Partak database:  python scripts/demo_data.py -c CONF -d DB"""
import argparse
import contextlib
import datetime
import io
import random

import jdatetime

DEMO_PASSWORD = 'partak-demo'
COMPANY = 'شرکت مخابرات استان مازندران'
CITIES = {
    'ساری': ['دانشگاه', 'امام', 'فرهنگ', 'میدان ساعت'],
    'بابل': ['شهید بهشتی', 'کمربندی', 'امیرکلا'],
    'آمل': ['هراز', 'طالب آملی'],
    'قائم شهر': ['مرکزی قائم شهر'],
    'بابلسر': ['بابلسر'],
    }
FIRST_NAMES = ['علی', 'محمد', 'رضا', 'حسین', 'مهدی', 'زهرا', 'فاطمه', 'مریم',
    'سارا', 'نرگس', 'امیر', 'حمید', 'سمیه', 'لیلا', 'کاوه', 'بهاره', 'یاسر',
    'نازنین', 'مجید', 'پریسا']
LAST_NAMES = ['محمدی', 'حسینی', 'رضایی', 'کریمی', 'احمدی', 'موسوی', 'طاهری',
    'نصیری', 'قاسمی', 'جعفری', 'صادقی', 'رحیمی', 'اکبری', 'یوسفی', 'عباسی',
    'نوروزی', 'شریفی', 'کاظمی', 'رستمی', 'باقری']
# SPEC §3.4: the line status history of the manual, in Jalali dates.
MANUAL_HISTORY = [
    ('1394/07/27', 'in_service'), ('1394/08/19', 'collection'),
    ('1394/08/19', 'in_service'), ('1394/09/18', 'collection'),
    ('1394/09/18', 'in_service'), ('1394/09/18', 'collection'),
    ('1394/09/18', 'in_service'), ('1394/10/19', 'collection'),
    ('1394/10/19', 'in_service'), ('1394/10/19', 'collection'),
    ('1394/10/19', 'in_service'), ('1394/11/20', 'collection'),
    ('1394/11/21', 'in_service'),
    ]
ANNOUNCEMENTS = [
    'مشترک گرامی، سرویس‌های جشنواره زمستانه با ۲۰٪ تخفیف در منوی تمدید و '
    'تغییر سرویس در دسترس است.',
    'برای امنیت حساب خود، کلمه عبور پنل و کلمه عبور اینترنت را متفاوت '
    'انتخاب کنید.',
    'پشتیبانی فنی همه روزه از ساعت ۸ تا ۲۴ از طریق سیستم پشتیبانی پاسخگوی '
    'شماست.',
    ]


def national_code(rng):
    "A random national code with a valid check digit."
    from trytond.modules.partak_subscriber.validators import (
        national_code_check_digit)
    while True:
        first_nine = ''.join(str(rng.randrange(10)) for _ in range(9))
        code = first_nine + str(national_code_check_digit(first_nine))
        if len(set(code)) > 1:
            return code


def gregorian(jalali_text, hour=9, minute=0):
    y, m, d = map(int, jalali_text.split('/'))
    day = jdatetime.date(y, m, d).togregorian()
    # Tehran was UTC+3:30 in winter 1394: store UTC like Tryton does.
    return (datetime.datetime.combine(day, datetime.time(hour, minute))
        - datetime.timedelta(hours=3, minutes=30))


def sample_image(text):
    from PIL import Image, ImageDraw
    image = Image.new('RGB', (800, 500), (235, 240, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 780, 480), outline=(40, 80, 140), width=6)
    draw.text((60, 220), text, fill=(20, 20, 20))
    out = io.BytesIO()
    image.save(out, 'JPEG', quality=80)
    return out.getvalue()


def load(database, generated=300):
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    rng = random.Random(1394)
    with Transaction().start(database, 0, context={'language': 'fa'}):
        pool = Pool()
        Party = pool.get('party.party')
        Currency = pool.get('currency.currency')
        Company = pool.get('company.company')
        User = pool.get('res.user')
        Group = pool.get('res.group')
        ModelData = pool.get('ir.model.data')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        History = pool.get('partak.line.status.history')
        Account = pool.get('partak.internet.account')
        WebUser = pool.get('web.user')
        Document = pool.get('partak.document')
        Announcement = pool.get('partak.announcement')
        SMS = pool.get('partak.sms')
        Address = pool.get('party.address')

        if Company.search([]):
            print('demo data already loaded')
            return

        irr, = Currency.search([('code', '=', 'IRR')], limit=1) or \
            Currency.create([{'name': 'ریال ایران', 'code': 'IRR',
                        'symbol': 'ریال', 'digits': 0, 'rounding': 1}])
        company_party, = Party.create([{'name': COMPANY,
                    'subscriber_kind': None}])
        company, = Company.create([{'party': company_party.id,
                    'currency': irr.id, 'timezone': 'Asia/Tehran'}])

        def group(xml_id):
            return ModelData.get_id('partak_subscriber', xml_id)
        Lang = pool.get('ir.lang')
        ConfigItem = pool.get('ir.module.config_wizard.item')
        persian, = Lang.search([('code', '=', 'fa')])
        admin, = User.search([('login', '=', 'admin')])
        User.write([admin], {'companies': [('add', [company.id])],
                'company': company.id, 'language': persian.id})
        # The demo is configured: no set-up wizard at the first login.
        ConfigItem.write(ConfigItem.search([]), {'state': 'done'})
        staff = {}
        for login, name, xml_id in [
                ('support', 'پشتیبانی فنی', 'group_partak_support'),
                ('accountant', 'حسابداری', 'group_partak_accounting'),
                ('agent', 'نماینده فروش ساری', 'group_partak_agent'),
                ]:
            # Only their Partak group (docs/roles.md): Tryton's Party
            # Administration would let them write the portal accounts.
            staff[login], = User.create([{
                        'login': login, 'name': name,
                        'password': DEMO_PASSWORD + '-staff',
                        'groups': [('add', [group(xml_id)])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        'language': persian.id,
                        }])

        cities = {}
        for city_name, centre_names in CITIES.items():
            city, = City.create([{'name': city_name}])
            cities[city_name] = (city, Centre.create([
                        {'name': n, 'city': city.id} for n in centre_names]))
        sari, sari_centres = cities['ساری']
        university = [c for c in sari_centres if c.name == 'دانشگاه'][0]

        # The manual's subscriber, with a complete profile.
        kamal, = Party.create([{
                    'name': 'کمال نصیری', 'subscriber_kind': 'person',
                    'national_code': '2080452517', 'education': 'bachelor',
                    'birth_date': datetime.date(1986, 7, 3),
                    'agent': staff['agent'].id,
                    'contact_mechanisms': [('create', [
                                {'type': 'mobile', 'value': '09111234567'},
                                {'type': 'email',
                                    'value': 'kamal.nasiri@example.com'}])],
                    'addresses': [('create', [{
                                    'street': 'ساری، خیابان دانشگاه، کوچه '
                                    'بهار، پلاک ۱۲',
                                    'postal_code': '4816713456',
                                    'city': 'ساری'}])],
                    }])
        line, = Line.create([{'phone': '1132455123', 'subscriber': kamal.id,
                    'city': sari.id, 'centre': university.id,
                    'status': 'in_service'}])
        first, = line.history
        History.write([first], {'date': gregorian(MANUAL_HISTORY[0][0]),
                'note': 'کانورت اطلاعات اولیه'})
        History.create([{'line': line.id, 'status': status,
                    'date': gregorian(day, 9, 4 * i)}
                for i, (day, status) in enumerate(MANUAL_HISTORY[1:], 1)])
        Account.create([{'line': line.id, 'password': 'kamal2048'}])

        # The manual's second subscriber, a company with an incomplete
        # profile: the dashboard asks to complete it.
        pishgaman, = Party.create([{'name': 'pishgaman ka',
                    'subscriber_kind': 'company'}])
        line2, = Line.create([{'phone': '32239700',
                    'subscriber': pishgaman.id, 'city': sari.id,
                    'centre': sari_centres[1].id, 'status': 'in_service'}])
        Account.create([{'line': line2.id, 'password': 'pishgaman'}])

        WebUser.create([
                {'party': kamal.id, 'email': 'kamal.nasiri@example.com',
                    'password_hash': WebUser.hash_password(DEMO_PASSWORD)},
                {'party': pishgaman.id,
                    'password_hash': WebUser.hash_password(DEMO_PASSWORD)},
                ])

        # A few hundred subscribers for realistic lists and searches.
        all_centres = [(c, cs) for c, cs in cities.values()]
        values, lines = [], []
        phones = set()
        for i in range(generated):
            city, centres = rng.choice(all_centres)
            values.append({
                    'name': '%s %s' % (rng.choice(FIRST_NAMES),
                        rng.choice(LAST_NAMES)),
                    'subscriber_kind': 'person',
                    'national_code': national_code(rng),
                    'education': rng.choice([None, 'diploma', 'bachelor',
                            'master']),
                    'agent': staff['agent'].id if i % 10 == 0 else None,
                    'contact_mechanisms': [('create', [{'type': 'mobile',
                                    'value': '0912%07d' % rng.randrange(
                                        10 ** 7)}])],
                    })
            while True:
                phone = '11%08d' % rng.randrange(10 ** 8)
                if phone not in phones:
                    phones.add(phone)
                    break
            lines.append((phone, city, rng.choice(centres)))
        parties = Party.create(values)
        statuses = ['in_service'] * 8 + ['collection', 'suspended']
        created = Line.create([{'phone': phone, 'subscriber': p.id,
                    'city': city.id, 'centre': centre.id,
                    'status': rng.choice(statuses)}
                for p, (phone, city, centre) in zip(parties, lines)])
        Account.create([{'line': l.id} for l in created])

        # Documents waiting in the review queue, one rejected with its
        # deadline running.
        Document.create([
                {'subscriber': kamal.id, 'type': 'national_card',
                    'file': sample_image('National card'),
                    'filename': 'national-card.jpg', 'mimetype': 'image/jpeg',
                    'channel': 'agent'},
                {'subscriber': parties[0].id, 'type': 'phone_bill',
                    'file': sample_image('Phone bill'),
                    'filename': 'phone-bill.jpg', 'mimetype': 'image/jpeg',
                    'channel': 'portal'},
                ])
        rejected, = Document.create([{'subscriber': parties[1].id,
                    'type': 'lease', 'file': sample_image('Lease'),
                    'filename': 'lease.jpg', 'mimetype': 'image/jpeg',
                    'channel': 'portal',
                    'reject_reason': 'تصویر خوانا نیست'}])
        Document.reject([rejected])

        Announcement.create([{'text': t} for t in ANNOUNCEMENTS])
        Announcement.create([{'text': 'قطعی برنامه‌ریزی‌شده مرکز دانشگاه: '
                    'پنجشنبه ساعت ۲ تا ۴ بامداد برای ارتقای تجهیزات.',
                    'centre': university.id}])
        SMS.create([
                {'party': kamal.id, 'mobile': kamal.mobile,
                    'sender': COMPANY, 'state': 'sent',
                    'reason': 'اعلام 2 روز مانده به منقضی شدن سرویس',
                    'text': 'مشترک گرامی، 2 روز به پایان سرویس شما مانده '
                    'است.'},
                {'party': kamal.id, 'mobile': kamal.mobile,
                    'sender': COMPANY, 'state': 'sent',
                    'reason': 'اعلام انقضا شدن سرویس در روز انقضا',
                    'text': 'مشترک گرامی، سرویس شما امروز به پایان '
                    'می‌رسد.'},
                ])
        Transaction().commit()
    load_services(database)
    load_network_and_payment(database)
    print('demo data loaded: %d subscribers' % (generated + 2))


# ---------------------------------------------------------------------------
# partak_services: accounting, catalogue, the manual's purchase history,
# bills and campaign charges, wallet, static IP (SPEC §3.5, §3.6, §3.8)
# ---------------------------------------------------------------------------
# SPEC §3.5: services bought by کمال نصیری (date, catalogue key, channel, note)
MANUAL_PURCHASES = [
    ('1394/07/18', 'standard_1m', 'admin', 'کانورت اطلاعات اولیه'),
    ('1394/08/19', 'standard_1m', 'agent', None),
    ('1394/09/05', 'traffic_5g', 'online', None),
    ('1394/09/15', 'traffic_1g_bonus', 'online', None),
    ('1394/09/18', 'standard_1m', 'online', None),
    ('1394/10/01', 'traffic_5g_bonus', 'online', None),
    ('1394/10/19', 'standard_1m', 'online', None),
    ('1394/11/21', 'standard_1m', 'online', None),
    ]
# SPEC §3.5: bills of a postpaid campaign subscriber
# (start, end, catalogue key, days, amount, note)
MANUAL_BILLS = [
    ('1393/07/01', '1393/07/30', 'campaign', 30, 227_900, 'مهر ماه سال 1393'),
    ('1393/08/01', '1393/08/30', 'campaign', 30, 227_900, 'آبان ماه سال 1393'),
    ('1393/09/01', '1393/09/30', 'campaign', 30, 227_900, 'آذر ماه سال 1393'),
    ('1393/10/01', '1393/10/30', 'campaign', 30, 227_900, 'دی ماه سال 1393'),
    ('1393/11/01', '1393/11/29', 'campaign', 30, 227_900,
        'بهمن ماه سال 1393'),
    ('1393/12/01', '1393/12/29', 'campaign', 30, 227_900,
        'اسفند ماه سال 1393'),
    ] + [
    ('1394/%02d/01' % m, '1394/%02d/%02d' % (m, 31 if m <= 6 else 30),
        'festival', 31 if m <= 6 else 30, 222_166 if m <= 6 else 215_000,
        '%s ماه سال 1394' % month)
    for m, month in enumerate(['فروردین', 'اردیبهشت', 'خرداد', 'تیر',
            'مرداد', 'شهریور', 'مهر', 'آبان', 'آذر', 'دی'], 1)]
# SPEC §3.5: campaign charges (Jalali date-time), 5120 MB each
MANUAL_CAMPAIGN_CHARGES = [
    ('1393/05/19', 3, 20), ('1393/06/19', 3, 20), ('1393/07/20', 14, 33),
    ('1393/08/19', 3, 20), ('1393/09/19', 3, 20), ('1393/10/05', 13, 43),
    ('1393/10/30', 12, 1), ('1393/12/02', 12, 3), ('1393/12/19', 3, 20),
    ('1394/01/01', 1, 16),
    ]


def load_services(database):
    """Accounting set-up, the manual's catalogue and service history, when
    partak_services is activated (run in its own transaction, retried for
    the locks that Tryton takes at the start of a transaction)."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(database, 0):
        Module = Pool().get('ir.module')
        if not Module.search([('name', '=', 'partak_services'),
                    ('state', '=', 'activated')]):
            print('partak_services not activated: no services demo data')
            return
    from trytond.modules.partak_services.setup import run_in_transaction
    run_in_transaction(database, _load_services,
        context={'language': 'fa'})


def _load_services():
    from trytond.modules.partak_services.setup import (
        create_demo_catalogue, setup_accounting)
    from trytond.modules.partak_services.tools import GB, MB
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    pool = Pool()
    Company = pool.get('company.company')
    Party = pool.get('party.party')
    Line = pool.get('partak.line')
    City = pool.get('partak.city')
    Centre = pool.get('partak.telecom_centre')
    Account = pool.get('partak.internet.account')
    WebUser = pool.get('web.user')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    Order = pool.get('partak.order')
    Period = pool.get('partak.service.period')
    Bucket = pool.get('partak.traffic.bucket')
    Move = pool.get('partak.traffic.move')
    Bill = pool.get('partak.bill')
    Charge = pool.get('partak.campaign.charge')
    WalletMove = pool.get('partak.wallet.move')
    StaticIP = pool.get('partak.static_ip')

    company, = Company.search([], limit=1)
    if Order.search([], limit=1):
        print('services demo data already loaded')
        return
    with Transaction().set_context(company=company.id):
        setup_accounting(company)
        catalogue = create_demo_catalogue(company)

        def product(key):
            return catalogue[key].products[0]

        # The accountant works with Tryton's invoices too.
        accountants = User.search([('login', '=', 'accountant')])
        if accountants:
            User.write(accountants, {'groups': [('add', [
                                ModelData.get_id('account',
                                    'group_account')])]})

        now = datetime.datetime.now()
        # The manual's screens were taken on 1394/11/25 (dashboard): the
        # running service is moved so that today looks like that day.
        shift = now - gregorian('1394/11/25', 10, 0)

        def order(party, line, key, date, channel, note=None, kind=None,
                quantity=1):
            "An imported purchase: applied on its date (booked below)."
            template = catalogue[key]
            kind = kind or {'plan': 'service'}.get(
                template.partak_kind, template.partak_kind)
            price = template.partak_price * quantity
            record, = Order.import_history([{
                        'party': party.id, 'line': line.id, 'kind': kind,
                        'product': product(key).id, 'quantity': quantity,
                        'price': price, 'vat': price * 9 // 100, 'fee': 0,
                        'remaining_value': 0, 'wallet_used': 0,
                        'payable': price + price * 9 // 100, 'surplus': 0,
                        'state': 'applied', 'channel': channel,
                        'paid_at': date, 'applied_at': date, 'note': note,
                        }])
            imported.append(record)
            return record

        imported = []

        # کمال نصیری: the manual's purchase history (SPEC §3.5)
        kamal, = Party.search([('name', '=', 'کمال نصیری')], limit=1)
        line, = Line.search([('phone', '=', '1132455123')])
        period, to_end = None, []
        for day, key, channel, note in MANUAL_PURCHASES:
            date = gregorian(day, 14, 9) if day == '1394/11/21' else \
                gregorian(day, 10, 30)
            record = order(kamal, line, key, date, channel, note)
            template = catalogue[key]
            if template.partak_kind == 'plan':
                if day == '1394/11/21':
                    # 1394/11/21 14:09 → 1394/12/21 13:42, shifted to today
                    period = Period.new_period(line, product(key),
                        date + shift, order=record,
                        paid_amount=record.price, channel=channel,
                        end=gregorian('1394/12/21', 13, 42) + shift)
                else:
                    period = Period.new_period(line, product(key), date,
                        order=record, paid_amount=record.price,
                        channel=channel, note=note)
                    to_end.append(period)
            else:
                Bucket.add(period, 'pack', template.volume_bytes
                    * (100 + template.bonus_percent) // 100,
                    name=template.name, order=record, date=date)
            Order.write_computed([record], {'period': period.id})
        for ended in to_end:
            Period.end_periods([ended], date=ended.end)
        # 4.24 GB left of the 5 GB (dashboard)
        period.consume(5 * GB - int(4.24 * GB), date=now,
            note='مصرف 1394/11/21 تا 1394/11/25')
        # Brought over with his history (an opening entry, not money owed)
        WalletMove.credit(kamal, 150_000, reason='opening',
            note='واریز به بانک مجازی')
        StaticIP.create([{'address': '85.9.70.25', 'route': '85.9.70.24/29',
                    'line': line.id, 'product': product('static_ip').id,
                    'start': gregorian('1393/11/16'),
                    'end': now + datetime.timedelta(days=20)}])

        # pishgaman ka: فیروزه paid 2,000,000, 352 days left (SPEC §3.8)
        pishgaman, = Party.search([('name', '=', 'pishgaman ka')], limit=1)
        line2, = Line.search([('phone', '=', '32239700')])
        start = now + datetime.timedelta(days=352, hours=6) - \
            datetime.timedelta(days=365)
        record = order(pishgaman, line2, 'firouzeh', start, 'online')
        firouzeh = Period.new_period(line2, product('firouzeh'), start,
            order=record, paid_amount=2_000_000, channel='online')
        Order.write_computed([record], {'period': firouzeh.id})
        # The purchases brought over, in the books of their Jalali months:
        # invoiced, paid by the previous system, plans deferred.
        Order.book_imported(imported)

        sari, = City.search([('name', '=', 'ساری')], limit=1)
        centre, = Centre.search([('city', '=', sari.id)], limit=1)

        def subscriber(name, phone, code):
            party, = Party.create([{'name': name,
                        'subscriber_kind': 'person', 'national_code': code,
                        'contact_mechanisms': [('create', [{
                                        'type': 'mobile',
                                        'value': '0911%s' % phone[-7:]}])],
                        }])
            line, = Line.create([{'phone': phone, 'subscriber': party.id,
                        'city': sari.id, 'centre': centre.id,
                        'status': 'in_service'}])
            Account.create([{'line': line.id}])
            WebUser.create([{'party': party.id,
                        'password_hash': WebUser.hash_password(
                            DEMO_PASSWORD)}])
            return party, line

        # A postpaid campaign subscriber: the bills and campaign charges of
        # the manual (SPEC §3.5), and the festival plan running now.
        reza, line3 = subscriber('رضا کریمی', '1132400001',
            national_code(random.Random(4)))
        campaign = Period.new_period(line3, product('campaign'),
            gregorian('1393/04/19', 3, 20), channel='admin',
            end=gregorian('1394/01/01', 0, 0), state='ended')
        festival = Period.new_period(line3, product('festival'),
            gregorian('1394/01/01', 0, 0), channel='admin',
            end=gregorian('1394/11/01', 0, 0), state='ended')
        bucket = Bucket.add(campaign, 'campaign', 0, name=catalogue[
                'campaign'].name, date=campaign.start)
        for day, hour, minute in MANUAL_CAMPAIGN_CHARGES:
            date = gregorian(day, hour, minute)
            Move.create([{'bucket': bucket.id, 'kind': 'credit',
                        'bytes': 5120 * MB, 'date': date}])
            Charge.create([{'period': campaign.id, 'date': date,
                        'bytes': 5120 * MB, 'result': 'applied'}])
        Period.end_periods([campaign, festival])
        for start, end, key, days, amount, note in MANUAL_BILLS:
            Bill.create([{'period': (campaign if key == 'campaign'
                            else festival).id, 'line': line3.id,
                        'start': gregorian(start).date(),
                        'end': gregorian(end).date(),
                        'days': days, 'amount': amount, 'note': note}])
        Period.new_period(line3, product('festival'),
            now - datetime.timedelta(days=10), channel='admin')

        # A subscriber who buys her service online today: a staff credit
        # of 100,000 Rials in her wallet, and the pre-invoice that uses it;
        # the rest is paid at the sandbox bank (load_online_purchase).
        maryam, line4 = subscriber('مریم احمدی', '1132400002',
            national_code(random.Random(5)))
        WalletMove.credit(maryam, 100_000, reason='adjustment',
            note='جبران قطعی سرویس')
        Order.quote(maryam, line4, 'service', product('standard_1m'))
    print('services demo data loaded: catalogue of %d items; logins '
        '1132400001 (postpaid campaign) and 1132400002 (service ends in '
        'two days), password %s' % (len(catalogue), DEMO_PASSWORD))


def load_network_and_payment(database):
    "The sandbox bank and the manual's usage sessions (SPEC §3.6)."
    from trytond.modules.partak_payment.demo import load_payment
    from trytond.modules.partak_usage.demo import load_nas, load_usage
    from trytond.transaction import Transaction

    # Payment Settings is a singleton: its first save locks its table,
    # which PostgreSQL transactions must declare when they start.
    with Transaction().start(database, 0, context={'language': 'fa'},
            _lock_tables=['partak_payment_configuration']):
        load_payment()
        load_usage()
        load_nas()
        Transaction().commit()
    load_online_purchase(database)
    load_communication(database)
    # A late postpaid payer dunned to the collection list, and one restored
    # by paying (issue 13, partak_collection).
    from trytond.modules.partak_collection.demo import load_collection_demo
    load_collection_demo(database, password=DEMO_PASSWORD)
    # After the bills dated in the past: Tryton numbers invoices in date
    # order.
    load_business_month(database)


@contextlib.contextmanager
def sandbox_bank_served():
    """Serves trytond's routes (the sandbox bank's verify among them) at the
    sandbox bank's address while the demo loads, so that a demo payment is
    verified over HTTP as in the portal.  Yields False, serving nothing,
    when that address is taken (a trytond already running there)."""
    import threading
    import urllib.parse

    from werkzeug.serving import make_server

    from trytond.modules.partak_payment.gateways import sandbox
    from trytond.wsgi import app
    address = urllib.parse.urlsplit(sandbox.sandbox_url())
    try:
        server = make_server(address.hostname, address.port or 80, app,
            threaded=True)
    except OSError:
        yield False
        return
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield True
    finally:
        server.shutdown()
        thread.join(10)


def pay_at_sandbox(order, gateway, transaction):
    """Pays ``order`` at the sandbox bank as the portal's payer does
    (Payment.start, the payer's «پرداخت موفق», the bank's return to
    Payment.handle_callback, which verifies over HTTP).  False when no
    sandbox bank can be served (fake banks off, its address taken)."""
    import urllib.parse

    from trytond.modules.partak_payment.gateways import sandbox
    from trytond.pool import Pool

    pool = Pool()
    Payment = pool.get('partak.payment')
    Sandbox = pool.get('partak.payment.sandbox')
    if not sandbox.fake_banks_enabled():
        return False
    with sandbox_bank_served() as served:
        if not served:
            return False
        Payment.start(order, gateway, '/portal/payment/return/%(payment)s')
        payment, = Payment.search([('order', '=', order.id)])
        bank = Sandbox.find(payment.token)
        bank.decide(True)
        params = dict(urllib.parse.parse_qsl(
                urllib.parse.urlsplit(bank.return_url()).query))
        # The bank's route reads what is committed.
        transaction.commit()
        payment = Payment.handle_callback(payment.id, params)
        assert payment.state == 'paid', (payment.state, payment.message)
        return True


def load_online_purchase(database):
    """مریم احمدی pays her pre-invoice at the sandbox bank (pay_at_sandbox):
    the payment is paid, the order applied, its invoice posted and paid
    with the bank's money and her wallet's; her service then ends in two
    days.  رضا کریمی tops up his panel credit by 500,000 Rials there."""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(database, 0, context={'language': 'fa'}) \
            as transaction:
        pool = Pool()
        Order = pool.get('partak.order')
        Gateway = pool.get('partak.payment.gateway')
        Period = pool.get('partak.service.period')
        Party = pool.get('party.party')
        orders = Order.search([('party.name', '=', 'مریم احمدی'),
                ('state', '=', 'quoted')], limit=1)
        gateways = Gateway.search([('type', '=', 'sandbox')], limit=1)
        if not orders or not gateways:
            return
        order, = orders
        if not pay_at_sandbox(order, gateways[0], transaction):
            # No bank to pay at: the order settled without one (its invoice
            # stays unpaid).
            print('no sandbox bank: the demo purchase settled without a bank')
            Order.settle(order, order.payable, 'DEMO-BANK-1')
        order = Order(order.id)
        assert order.state == 'applied', order.state
        end = datetime.datetime.now() + datetime.timedelta(days=2, hours=3)
        Period.write([order.period], {
                'start': end - datetime.timedelta(days=30), 'end': end})
        transaction.commit()
        reza, = Party.search([('name', '=', 'رضا کریمی')], limit=1)
        topup = Order.quote_topup(reza, reza.lines[0], 500_000)
        if not pay_at_sandbox(topup, gateways[0], transaction):
            Order.settle(topup, topup.payable, 'DEMO-BANK-2')
        transaction.commit()


BUSINESS = ('علی صادقی', '1132400005')


def load_business_month(database):
    """A month of business for the accountant's reports (issue 13), on
    علی صادقی (1132400005): فیروزه bought at the sandbox bank 13 days ago,
    changed to زمرد today with the manual's proration, 100,000 Rials of it
    refunded to his wallet by staff; then the acquirer's settlement file
    of the day's bank payments, imported and posted (a fee of 4,500 on the
    change), and a second file with one row that matches no payment, left
    for the accountant."""
    from trytond.modules.partak_collection.demo import _subscriber
    from trytond.modules.partak_payment.reconcile import (
        parse_settlement, statement_journal)
    from trytond.modules.partak_services.setup import (
        create_demo_catalogue, run_in_transaction)
    from trytond.modules.partak_services.tools import (
        company_context, local_date, now)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    context = {'language': 'fa'}
    with Transaction().start(database, 0, context=context) as transaction:
        pool = Pool()
        Company = pool.get('company.company')
        Order = pool.get('partak.order')
        Gateway = pool.get('partak.payment.gateway')
        Period = pool.get('partak.service.period')
        Line = pool.get('partak.line')
        companies = Company.search([], limit=1)
        gateways = Gateway.search([('type', '=', 'sandbox')], limit=1)
        if (not companies or not gateways
                or Line.search([('phone', '=', BUSINESS[1])], limit=1)):
            return
        company, = companies
        with company_context(company):
            catalogue = create_demo_catalogue(company)
            party, line = _subscriber(*BUSINESS, DEMO_PASSWORD)
            transaction.commit()
            first = Order.quote(party, line, 'service',
                catalogue['firouzeh'].products[0])
            if not pay_at_sandbox(first, gateways[0], transaction):
                print('no sandbox bank: no month of business in the demo')
                return
            first = Order(first.id)
            # Bought 13 days ago: 352 of its 365 days are left (the
            # manual's change of service).
            end = now() + datetime.timedelta(days=352, hours=1)
            Period.write([first.period], {
                    'start': end - datetime.timedelta(days=365),
                    'end': end})
            transaction.commit()
            change = Order.quote(party, line, 'change',
                catalogue['zomorrod'].products[0])
            pay_at_sandbox(change, gateways[0], transaction)
            transaction.commit()
            change_id, gateway_id = change.id, gateways[0].id

    def refund():
        Payment = Pool().get('partak.payment')
        payment, = Payment.search([('order', '=', change_id)])
        Payment.refund(payment, 100_000, 'جبران قطعی سه‌روزه سرویس')
        return payment.id

    def accountant():
        users = Pool().get('res.user').search(
            [('login', '=', 'accountant')], limit=1)
        return users[0].id if users else 0
    # Made by the accountant: the report of refunds shows who made them.
    charged = run_in_transaction(database, refund,
        user=run_in_transaction(database, accountant), context=context)

    def settle():
        "The day's bank payments, then one row of nobody's payment."
        pool = Pool()
        Company = pool.get('company.company')
        Payment = pool.get('partak.payment')
        Settlement = pool.get('partak.payment.settlement')
        Statement = pool.get('account.statement')
        company, = Company.search([], limit=1)
        today = local_date(now()).isoformat()
        paid = Payment.search([('state', '=', 'paid'),
                ('gateway', '=', gateway_id)], order=[('id', 'ASC')])
        rows = ['%s,%d,12345678,%s,603799******%04d,,%d' % (
                today, p.amount, p.reference, p.id,
                4500 if p.id == charged else 0) for p in paid]
        header = 'تاریخ,مبلغ,پایانه,مرجع,کارت,شرح,کارمزد\n'
        with company_context(company):
            journal = statement_journal(company)
            statement = Settlement.import_rows(journal, parse_settlement(
                    (header + '\n'.join(rows)).encode('utf-8')),
                'تسویه درگاه آزمایشی %s' % today)
            Statement.validate_statement([statement])
            Statement.post([statement])
            Settlement.import_rows(journal, parse_settlement(
                    (header + '%s,250000,12345678,DEMO-UNKNOWN-1,'
                        '627412******0001,واریز ناشناس,0' % today
                        ).encode('utf-8')),
                'تسویه درگاه آزمایشی %s (۲)' % today)
        return len(rows)
    count = run_in_transaction(database, settle, context=context)
    print('a month of business: 1132400005 changed فیروزه to زمرد, '
        'refunded 100,000; settlement of %d bank payments posted' % count)


def load_communication(database):
    "Notifications, support desk and surveys (SPEC §3.1, §3.10–§3.12)."
    from trytond.modules.partak_helpdesk.demo import load_helpdesk
    from trytond.modules.partak_notify.demo import load_notify
    from trytond.modules.partak_survey.demo import load_survey
    from trytond.transaction import Transaction

    with Transaction().start(database, 0, context={'language': 'fa'}):
        load_notify()
        load_helpdesk()
        load_survey()
        Transaction().commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('-d', '--database', required=True)
    parser.add_argument('--generated', type=int, default=300)
    args = parser.parse_args()
    from trytond import config
    config.update_etc(args.config)
    from trytond.pool import Pool
    Pool.start()
    Pool(args.database).init()
    load(args.database, args.generated)


if __name__ == '__main__':
    main()

