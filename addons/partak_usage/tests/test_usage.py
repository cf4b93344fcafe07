# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""partak_usage with a database: the usage report and its rounding, the
manual's demo sessions, the internet password change, the NAS, and — on
PostgreSQL — the SQL that FreeRADIUS runs (policy, accounting function,
balances, jobs of the hooks).  tests/test_radius.py drives the same SQL
through the real FreeRADIUS."""
import datetime
import os
import shutil
import tempfile
import unittest
from decimal import Decimal

import jdatetime

from trytond import backend
from trytond.model.exceptions import ValidationError
from trytond.modules.partak_services.setup import run_in_transaction
from trytond.modules.partak_usage import radius_config
from trytond.modules.partak_usage.report import mb, usage_report
from trytond.modules.partak_usage.session import invalidate
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, TestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

from . import tools
from .tools import GB, MB

MODULE = 'partak_usage'


def postgresql():
    return backend.name == 'postgresql'


only_postgresql = unittest.skipUnless(
    backend.name == 'postgresql', 'the RADIUS SQL needs PostgreSQL')


class RoundingTestCase(unittest.TestCase):
    "MB figures of the usage detail"

    def test_mb_two_decimals_half_up(self):
        self.assertEqual(mb(0), Decimal('0.00'))
        self.assertEqual(mb(MB), Decimal('1.00'))
        self.assertEqual(mb(int(23.27 * MB)), Decimal('23.27'))
        self.assertEqual(mb(MB // 200), Decimal('0.00'))  # 0.004999...
        self.assertEqual(mb(MB // 200 + 1), Decimal('0.01'))  # 0.005 up
        self.assertEqual(mb(MB * 3 // 400), Decimal('0.01'))  # 0.0075
        self.assertIsInstance(mb(12345), Decimal)


class RadiusConfigTestCase(unittest.TestCase):
    "Rendering of the FreeRADIUS configuration"

    def setUp(self):
        self.folder = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.folder)

    def render(self, **kwargs):
        return radius_config.render(self.folder,
            'postgresql://radius:s3cret@db.example:5433/partak',
            nas=[{'name': 'bras-1', 'address': '10.0.0.0/24',
                    'secret': 'xyz', 'nas_type': 'mikrotik'}], **kwargs)

    def test_files(self):
        self.render(auth_port=11812, acct_port=11813, listen='127.0.0.1')
        read = lambda *p: open(os.path.join(self.folder, *p)).read()
        self.assertIn('client bras-1', read('clients.conf'))
        self.assertIn('ipaddr = 10.0.0.0/24', read('clients.conf'))
        self.assertIn('secret = "xyz"', read('clients.conf'))
        sql = read('mods-enabled', 'sql')
        self.assertIn('server = "db.example"', sql)
        self.assertIn('port = 5433', sql)
        self.assertIn('password = "s3cret"', sql)
        self.assertIn('radius_db = "partak"', sql)
        self.assertIn('partak_radius_acct(', sql)
        site = read('sites-enabled', 'partak')
        self.assertIn('port = 11812', site)
        self.assertIn('port = 11813', site)
        self.assertIn('ipaddr = 127.0.0.1', site)
        self.assertTrue(os.path.exists(os.path.join(
                    self.folder, 'sites-enabled', 'partak-spool')))
        # secrets are not world readable
        for name in ('clients.conf', os.path.join('mods-enabled', 'sql')):
            mode = os.stat(os.path.join(self.folder, name)).st_mode
            self.assertEqual(mode & 0o077, 0)

    def test_refuses_quotes(self):
        with self.assertRaises(ValueError):
            radius_config.render(self.folder,
                'postgresql://u@h/db', nas=[{'name': 'x', 'address':
                        '10.0.0.1', 'secret': 'a"b'}])
        with self.assertRaises(ValueError):
            radius_config.parse_db_uri('postgresql://u@h:5432/')

    @unittest.skipIf(shutil.which(radius_config.FREERADIUS) is None,
        'freeradius is not installed')
    def test_freeradius_accepts_it(self):
        self.render()
        ok, output = radius_config.check(self.folder)
        self.assertTrue(ok, output[-2000:])


class UsageTestCase(TestCase):
    "Usage detail, demo sessions, password change, NAS and RADIUS SQL"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(MODULE)

        def fixture():
            company = tools.create_company()
            with Transaction().set_context(company=company.id):
                tools.create_plans(company)
            return company.id
        cls.company_id = run_in_transaction(DB_NAME, fixture)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        self.phones = iter(range(1132400000, 1132499999))

    def plans(self):
        return tools.create_plans(
            Pool().get('company.company')(self.company_id))

    def subscriber(self, plan='limited', **kwargs):
        product = self.plans()[plan] if plan else None
        with Transaction().set_context(company=self.company_id):
            return tools.create_subscriber(
                kwargs.pop('phone', None) or str(next(self.phones)),
                product, **kwargs)

    def open_session(self, line, account, unique='s-1', minutes_ago=1):
        Session = Pool().get('partak.radius.session')
        when = datetime.datetime.now() - datetime.timedelta(
            minutes=minutes_ago)
        session, = Session.create([{
                    'unique_id': unique, 'session_id': unique,
                    'username': account.username, 'account': account.id,
                    'line': line.id, 'nas_ip': '127.0.0.1',
                    'framed_ip': '10.1.2.3', 'start_time': when,
                    'update_time': when, 'state': 'open',
                    'rate_limit': '512k/2048k',
                    'download_bytes': 0, 'upload_bytes': 0,
                    'deducted_bytes': 0}])
        return session

    def jobs(self, line):
        Job = Pool().get('partak.radius.job')
        return [(j.kind, j.reason, j.rate_limit, j.state)
            for j in Job.search([('line', '=', line.id)],
                order=[('id', 'ASC')])]

    # Usage detail --------------------------------------------------------

    @with_transaction()
    def test_demo_reproduces_manual_table(self):
        "The manual's usage detail of 1394/11/24-25, rows and totals"
        from trytond.modules.partak_usage.demo import load_usage
        _, line, account, _ = self.subscriber(None, phone='1132455123')
        sessions = load_usage()
        self.assertEqual(len(sessions), 26)
        self.assertEqual(load_usage(), [])  # once

        report = usage_report(line, jdatetime.date(1394, 11, 24),
            jdatetime.date(1394, 11, 25))
        totals = report['totals']
        self.assertEqual(totals['upload_mb'], Decimal('53.39'))
        self.assertEqual(totals['download_mb'], Decimal('243.63'))
        self.assertEqual(totals['total_mb'], Decimal('297.02'))
        self.assertEqual(totals['deducted_mb'], Decimal('243.62'))
        self.assertEqual(totals['count'], 26)

        manual = [
            ('1394/11/24 00:43', '1394/11/24 02:26', '23.27', '11.08',
                '23.27'),
            ('1394/11/24 02:27', '1394/11/24 04:14', '0.10', '0.10', '0.10'),
            ('1394/11/24 04:14', '1394/11/24 05:00', '0.15', '0.07', '0.15'),
            ('1394/11/24 05:02', '1394/11/24 05:10', '0.00', '0.00', '0.00'),
            ('1394/11/24 05:10', '1394/11/24 06:01', '0.04', '0.04', '0.04'),
            ('1394/11/24 06:02', '1394/11/24 07:47', '0.16', '0.15', '0.16'),
            ('1394/11/24 07:47', '1394/11/24 07:49', '0.00', '0.00', '0.00'),
            ('1394/11/24 07:50', '1394/11/24 07:55', '0.00', '0.00', '0.00'),
            ('1394/11/24 07:56', '1394/11/24 07:56', '0.00', '0.00', '0.00'),
            ('1394/11/24 07:58', '1394/11/24 08:16', '0.14', '0.02', '0.14'),
            ]
        jalali = lambda d: jdatetime.datetime.fromgregorian(
            datetime=d).strftime('%Y/%m/%d %H:%M')
        for row, expected in zip(report['rows'], manual):
            self.assertEqual((jalali(row['login']), jalali(row['logout']),
                    str(row['download_mb']), str(row['upload_mb']),
                    str(row['deducted_mb'])), expected)
            self.assertEqual(row['ip'], '')

        # one day only, and a range given as date-times (UTC)
        day = usage_report(line, jdatetime.date(1394, 11, 25),
            jdatetime.date(1394, 11, 25))
        self.assertEqual(day['totals']['count'], 10)
        everything = usage_report(line.id)
        self.assertEqual(everything['totals']['count'], 26)
        other = usage_report(line, datetime.date(2020, 1, 1))
        self.assertEqual(other['rows'], [])
        self.assertEqual(other['totals']['deducted_mb'], Decimal('0.00'))

    # Internet password -------------------------------------------------

    @with_transaction()
    def test_change_internet_password(self):
        from trytond.modules.partak_usage.report import (
            change_internet_password)
        _, line, account, _ = self.subscriber('limited')
        self.open_session(line, account)
        for old, new in [('wrong', 'n3w-pass'), ('secret1', 'short'),
                ('secret1', 'with space'), ('secret1', "quo'te1"),
                ('secret1', 'secret1')]:
            with self.subTest(old=old, new=new):
                with self.assertRaises(ValidationError):
                    change_internet_password(account, old, new)
        self.assertEqual(self.jobs(line), [])
        self.assertTrue(change_internet_password(account, 'secret1',
                'n3w-pass'))
        Account = Pool().get('partak.internet.account')
        self.assertEqual(Account(account.id).password, 'n3w-pass')
        self.assertEqual(self.jobs(line), [
                ('disconnect', 'password_changed', None, 'pending')])
        if postgresql():
            Policy = Pool().get('partak.radius.policy')
            self.assertEqual(self.check_rows(account.username)[
                    'Cleartext-Password'], 'n3w-pass')
            self.assertIsNone(Policy.by_username([account.username])[
                    account.username]['reject_reason'])

    # NAS ---------------------------------------------------------------

    @with_transaction()
    def test_nas(self):
        NAS = Pool().get('partak.nas')
        for i, values in enumerate([{'address': 'not-an-ip'},
                {'secret': 'with"quote'}, {'name': 'has space'},
                {'coa_address': '10.0.0.300'}]):
            with self.subTest(values=values):
                with self.assertRaises(ValidationError):
                    tools.create_nas(**dict(dict(name='n%d' % i,
                                address='10.7.7.7', secret='s'), **values))
        single = tools.create_nas(name='single', address='10.0.0.1')
        network = tools.create_nas(name='net', address='10.9.0.0/16',
            coa_address='10.9.0.1', coa_port=1700)
        self.assertEqual(NAS.for_ip('10.0.0.1'), single)
        self.assertEqual(NAS.for_ip('10.9.3.4'), network)
        self.assertIsNone(NAS.for_ip('192.168.1.1'))
        self.assertEqual(single.destination('10.0.0.1'), '10.0.0.1')
        self.assertEqual(network.destination('10.9.3.4'), '10.9.0.1')

    @with_transaction()
    def test_online(self):
        _, line, account, _ = self.subscriber('limited')
        self.assertFalse(line.online)
        self.open_session(line, account)
        Line = Pool().get('partak.line')
        self.assertTrue(Line(line.id).online)
        _, line2, account2, _ = self.subscriber('limited')
        self.open_session(line2, account2, unique='s-2', minutes_ago=60)
        self.assertFalse(Line(line2.id).online)  # stale

    # RADIUS SQL (PostgreSQL) ---------------------------------------------

    def check_rows(self, username, view='partak_radius_check'):
        cursor = Transaction().connection.cursor()
        cursor.execute('SELECT attribute, value FROM %s WHERE username = %%s'
            % view, (username,))
        return dict(cursor.fetchall())

    def acct(self, status, unique, username, down=0, up=0, time_=0,
            event=None):
        cursor = Transaction().connection.cursor()
        cursor.execute("SELECT partak_radius_acct(%s, %s, %s, %s, "
            "'127.0.0.1', '1', '10.1.2.3', '', %s, %s, %s, %s, %s, '', %s, "
            "%s, '')", (status, unique, unique, username,
                str(up % 2 ** 32), str(up // 2 ** 32), str(down % 2 ** 32),
                str(down // 2 ** 32), str(time_), str(event or ''),
                str(int(datetime.datetime.now(
                            datetime.timezone.utc).timestamp()))))
        result = cursor.fetchone()[0]
        for name in ('partak.radius.session', 'partak.radius.counter',
                'partak.radius.job'):
            invalidate(name)
        return result

    @only_postgresql
    @with_transaction()
    def test_policy_views(self):
        _, line, account, period = self.subscriber('limited')
        check = self.check_rows(account.username)
        self.assertEqual(check, {'Cleartext-Password': 'secret1',
                'Simultaneous-Use': '1'})
        reply = self.check_rows(account.username, 'partak_radius_reply')
        self.assertEqual(reply['Mikrotik-Rate-Limit'], '512k/2048k')
        self.assertEqual(reply['WISPr-Bandwidth-Max-Down'], '2048000')
        self.assertAlmostEqual(int(reply['Session-Timeout']),
            30 * 86400 - 3600, delta=120)
        Policy = Pool().get('partak.radius.policy')
        policy, = Policy.search([('username', '=', account.username)])
        self.assertEqual(policy.decision, 'accept')
        self.assertEqual(policy.remaining_bytes, 5 * GB)
        self.assertEqual(policy.period, period)

        Line = Pool().get('partak.line')
        Line.set_status([line], 'suspended')
        self.assertEqual(self.check_rows(account.username), {
                'Cleartext-Password': 'secret1',
                'Partak-Policy': 'line_suspended'})
        self.assertEqual(
            self.check_rows(account.username, 'partak_radius_reply'), {})

    @only_postgresql
    @with_transaction()
    def test_accounting_function(self):
        _, line, account, period = self.subscriber('small')
        user = account.username
        Session = Pool().get('partak.radius.session')
        Counter = Pool().get('partak.radius.counter')
        self.assertEqual(self.acct('Start', 'u1', user), 1)
        self.acct('Start', 'u1', user)
        self.acct('Interim-Update', 'u1', user, down=3 * MB, up=MB,
            time_=60)
        self.acct('Interim-Update', 'u1', user, down=3 * MB, up=MB,
            time_=60)
        session, = Session.search([('unique_id', '=', 'u1')])
        self.assertEqual((session.download_bytes, session.upload_bytes,
                session.deducted_bytes, session.state),
            (3 * MB, MB, 3 * MB, 'open'))
        self.assertEqual(session.period, period)
        self.assertEqual(session.rate_limit, '256k/1024k')
        self.assertEqual(self.jobs(line), [])
        # what the portal shows moves at once, before the cron books it
        Period = Pool().get('partak.service.period')
        self.assertEqual(Period(period.id).remaining_bytes, 7 * MB)
        # the 10 MB run out: one disconnect job, not two
        self.acct('Interim-Update', 'u1', user, down=10 * MB, up=MB,
            time_=120)
        self.acct('Interim-Update', 'u1', user, down=11 * MB, up=MB,
            time_=180)
        self.assertEqual(self.jobs(line), [
                ('disconnect', 'no_traffic', None, 'pending')])
        self.acct('Stop', 'u1', user, down=11 * MB, up=2 * MB, time_=200)
        self.acct('Stop', 'u1', user, down=11 * MB, up=2 * MB, time_=200)
        session = Session(session.id)
        self.assertEqual((session.download_bytes, session.upload_bytes,
                session.deducted_bytes, session.state, session.closed_by),
            (11 * MB, 2 * MB, 11 * MB, 'closed', 'stop'))
        counter, = Counter.search([('period', '=', period.id)])
        self.assertEqual((counter.used, counter.unbooked), (11 * MB, 11 * MB))
        self.assertEqual(self.check_rows(user)['Partak-Policy'],
            'no_traffic')

        # booking: the ledger takes what it has, the rest is overuse
        Counter.book()
        counter = Counter(counter.id)
        self.assertEqual((counter.unbooked, counter.booked, counter.overuse),
            (0, 10 * MB, MB))
        self.assertEqual(Period(period.id).remaining_bytes, 0)
        self.assertEqual(self.check_rows(user)['Partak-Policy'],
            'no_traffic')

        # Gigawords
        _, line2, account2, _ = self.subscriber('unlimited')
        self.acct('Stop', 'g1', account2.username, down=5 * GB + 7,
            up=4 * GB, time_=10)
        session, = Session.search([('unique_id', '=', 'g1')])
        self.assertEqual((session.download_bytes, session.upload_bytes,
                session.deducted_bytes), (5 * GB + 7, 4 * GB, 0))

        # NAS reboot closes its sessions
        self.acct('Start', 'r1', account2.username)
        self.acct('Accounting-On', '', '')
        session, = Session.search([('unique_id', '=', 'r1')])
        self.assertEqual((session.state, session.closed_by),
            ('closed', 'nas_reboot'))

    @only_postgresql
    @with_transaction()
    def test_balances_follow_the_ledger(self):
        pool = Pool()
        Bucket = pool.get('partak.traffic.bucket')
        Balance = pool.get('partak.radius.balance')
        Policy = pool.get('partak.radius.policy')
        _, line, account, period = self.subscriber('limited')
        user = account.username
        remaining = lambda: Policy.by_username([user])[user][
            'remaining_bytes']
        self.assertEqual(remaining(), 5 * GB)
        Bucket.add(period, 'pack', GB, name='pack')
        self.assertEqual(remaining(), 6 * GB)
        now = datetime.datetime.now()
        timed = Bucket.add(period, 'timed', GB, name='timed',
            expires=now + datetime.timedelta(days=1))
        self.assertEqual(remaining(), 7 * GB)
        period.consume(GB + 5)  # timed first
        self.assertEqual(remaining(), 6 * GB - 5)
        Bucket.add(period, 'timed', GB, name='gone',
            expires=now - datetime.timedelta(minutes=1))
        self.assertEqual(remaining(), 6 * GB - 5)  # expired: not counted
        self.assertEqual(Balance.resync(), 0)  # nothing drifted
        self.assertEqual(Bucket.get_remaining([timed], 'remaining'),
            {timed.id: 0})

    @only_postgresql
    @with_transaction()
    def test_hooks_queue_jobs(self):
        pool = Pool()
        Line = pool.get('partak.line')
        Party = pool.get('party.party')
        Bucket = pool.get('partak.traffic.bucket')
        Session = pool.get('partak.radius.session')

        party, line, account, _ = self.subscriber('limited')
        self.open_session(line, account)
        Line.set_status([line], 'collected')
        self.assertEqual(self.jobs(line), [
                ('disconnect', 'line_collected', None, 'pending')])

        party, line, account, _ = self.subscriber('limited')
        self.open_session(line, account, unique='s-2')
        Party.cut_internet_for_documents([party])
        self.assertEqual(self.jobs(line), [
                ('disconnect', 'documents_overdue', None, 'pending')])

        # fair use: used up -> CoA to 128k; a traffic pack -> full speed
        party, line, account, period = self.subscriber('fair')
        session = self.open_session(line, account, unique='s-3')
        Session.write([session], {'rate_limit': '1024k/4096k'})
        self.acct('Interim-Update', 's-3', account.username,
            down=10 * MB + 1, time_=60)
        self.assertEqual(self.jobs(line), [
                ('coa', 'fair_use', '128k/128k', 'pending')])
        Session.write([session], {'rate_limit': '128k/128k'})  # CoA-ACK
        Bucket.add(period, 'pack', GB, name='pack')
        self.assertEqual(self.jobs(line)[-1],
            ('coa', 'rate_change', '1024k/4096k', 'pending'))
        # the enforcement cron finds nothing else to do
        Session.write([session], {'rate_limit': '1024k/4096k'})
        count = len(self.jobs(line))
        Session.enforce_all()
        self.assertEqual(len(self.jobs(line)), count)


del TestCase
