# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal's message box (SPEC §3.11): every SMS sent to the
subscriber with its Jalali date-time, sender, mobile, reason and text,
10/15/20 rows a page."""
import datetime
import re

from trytond.pool import Pool

from . import tools
from .tools import PASSWORD

MOBILE = '09111234567'
ENDING = 'اعلام 2 روز مانده به منقضی شدن سرویس'
ENDED = 'اعلام انقضا شدن سرویس در روز انقضا'
# 1394/11/17 10:30 in Tehran, as in the manual's message box
SENT_AT = datetime.datetime(2016, 2, 6, 7, 0)


class MessageBoxTestCase(tools.PortalRouteTestCase):
    "Portal message box"

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Party = pool.get('party.party')
        City = pool.get('partak.city')
        Centre = pool.get('partak.telecom_centre')
        Line = pool.get('partak.line')
        WebUser = pool.get('web.user')
        SMS = pool.get('partak.sms')
        city, = City.create([{'name': 'ساری'}])
        centre, = Centre.create([{'name': 'دانشگاه', 'city': city.id}])
        kamal, other = Party.create([{
                    'name': 'کمال نصیری', 'subscriber_kind': 'person',
                    'contact_mechanisms': [('create', [
                                {'type': 'mobile', 'value': MOBILE}])],
                    }, {
                    'name': 'Other Subscriber', 'subscriber_kind': 'person',
                    }])
        Line.create([
                {'phone': '1132455123', 'subscriber': kamal.id,
                    'city': city.id, 'centre': centre.id,
                    'status': 'in_service'},
                {'phone': '32239700', 'subscriber': other.id,
                    'city': city.id, 'centre': centre.id,
                    'status': 'in_service'}])
        WebUser.create([
                {'party': kamal.id,
                    'password_hash': WebUser.hash_password(PASSWORD)},
                {'party': other.id,
                    'password_hash': WebUser.hash_password(PASSWORD)}])
        # 22 messages reach the phone (the oldest two as in the manual),
        # one failed, and one for somebody else.
        SMS.create([{'party': kamal.id, 'mobile': MOBILE,
                    'sender': 'مخابرات مازندران', 'state': 'sent',
                    'sent_at': SENT_AT + datetime.timedelta(days=2 * i),
                    'reason': ENDED if i else ENDING,
                    'text': 'پیام شماره %d' % i} for i in range(2)])
        SMS.create([{'party': kamal.id, 'mobile': MOBILE,
                    'sender': 'مخابرات مازندران', 'state': 'sent',
                    'sent_at': SENT_AT + datetime.timedelta(days=10 + i),
                    'reason': 'دلیل %d' % i,
                    'text': 'پیام شماره %d' % i} for i in range(2, 22)])
        SMS.create([{'party': kamal.id, 'mobile': MOBILE, 'state': 'failed',
                    'reason': 'ناموفق', 'text': 'هرگز نرسید'},
                {'party': other.id, 'mobile': '09129999999', 'state': 'sent',
                    'reason': 'دیگری', 'text': 'پیام دیگری'}])

    @staticmethod
    def rows(page):
        "(row number, cells) of the table's rows."
        return [(int(n), re.findall(r'<td[^>]*>(.*?)</td>', cells))
            for n, cells in re.findall(
                r'<tr><td>(\d+)</td>(.*?)</tr>', page, re.S)]

    def test_needs_login(self):
        response = self.client().get('/portal/messages')
        self.assertEqual(response.status_code, 302)
        self.assertIn('/portal/login', response.location)

    def test_columns(self):
        client = self.logged_in()
        page = client.get('/portal/messages?size=20&page=2').get_data(
            as_text=True)
        rows = self.rows(page)
        # newest first: the manual's two messages are the last rows
        (n1, last_but_one), (n2, last) = rows[-2:]
        self.assertEqual((n1, n2), (21, 22))
        self.assertEqual(last, ['1394/11/17 10:30', 'مخابرات مازندران',
                MOBILE, ENDING, 'پیام شماره 0'])
        self.assertEqual(last_but_one[0], '1394/11/19 10:30')
        self.assertEqual(last_but_one[3], ENDED)
        self.assertIn('متن پیامک', page)
        self.assertIn('دلیل ارسال پیامک', page)

    def test_paging(self):
        client = self.logged_in()
        for query, numbers, pages in [
                ('', range(1, 11), 3),
                ('?page=3', range(21, 23), 3),
                ('?size=15', range(1, 16), 2),
                ('?size=15&page=2', range(16, 23), 2),
                ('?size=20', range(1, 21), 2),
                ('?size=7', range(1, 11), 3),
                ('?page=99', range(21, 23), 3),
                ]:
            with self.subTest(query=query):
                page = client.get('/portal/messages' + query).get_data(
                    as_text=True)
                self.assertEqual([n for n, _ in self.rows(page)],
                    list(numbers))
                self.assertIn('/ %d</span>' % pages, page)
        page = client.get('/portal/messages?size=15').get_data(as_text=True)
        self.assertIn('href="?size=15&amp;page=2"', page)
        self.assertIn('<option value="15" selected>', page)

    def test_only_own_messages_that_reached_the_phone(self):
        client = self.logged_in()
        page = client.get('/portal/messages?size=20&page=1').get_data(
            as_text=True) + client.get(
            '/portal/messages?size=20&page=2').get_data(as_text=True)
        self.assertEqual(len(self.rows(page)), 22)
        self.assertNotIn('پیام دیگری', page)
        self.assertNotIn('09129999999', page)
        self.assertNotIn('هرگز نرسید', page)
