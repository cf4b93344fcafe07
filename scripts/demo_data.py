#!/usr/bin/env python3
# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Loads the demo data that reproduces the manual's screens into an
activated Partak database:  python scripts/demo_data.py -c CONF -d DB"""
import argparse
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
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        total = sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        check = total if total < 2 else 11 - total
        code = ''.join(map(str, digits)) + str(check)
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
            party_group = ModelData.get_id('party', 'group_party_admin')
            staff[login], = User.create([{
                        'login': login, 'name': name,
                        'password': DEMO_PASSWORD + '-staff',
                        'groups': [('add', [group(xml_id), party_group])],
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
    print('demo data loaded: %d subscribers' % (generated + 2))


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
