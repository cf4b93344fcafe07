# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""RADIUS with the real FreeRADIUS (Debian's freeradius 3.2) against a fresh
PostgreSQL database with partak_usage activated: authorisation (PAP, CHAP,
attributes, every reject reason), idempotent accounting with Gigawords,
Disconnect-Request / CoA received by a test NAS (pyrad), the internet
password change, and accounting spooled while PostgreSQL is unreachable.

The database is copied from a template built once per version of the
modules' code (about 70 s the first time, 2 s afterwards).  FreeRADIUS
reaches PostgreSQL through a TCP relay of the test, which the spool test
cuts.  Needs PostgreSQL at 127.0.0.1:5432 and `freeradius`,
`freeradius-postgresql`, `freeradius-utils` (scripts/setup.sh):

    .venv/bin/python -m pytest -q tests/test_radius.py
"""
import datetime
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import pytest

from conftest import stop_process

ROOT = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT = '127.0.0.1', 5432
PG_URI = 'postgresql://postgres@%s:%d/' % (PG_HOST, PG_PORT)
SECRET = 'nas-secret'
MB = 1024 * 1024
GB = 1024 * MB


def _postgresql():
    try:
        import psycopg
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user='postgres',
                dbname='postgres', connect_timeout=3):
            return True
    except Exception:
        return False


pytestmark = [
    pytest.mark.skipif(shutil.which('freeradius') is None,
        reason='freeradius is not installed (scripts/setup.sh)'),
    pytest.mark.skipif(
        os.environ.get('PARTAK_TEST_DB', '').lower().startswith('sqlite')
        or not _postgresql(),
        reason='RADIUS needs PostgreSQL at 127.0.0.1:5432'),
    ]


def venv_bin(name):
    folder = Path(sys.executable).parent
    if not (folder / 'trytond-admin').exists():
        folder = ROOT / '.venv' / 'bin'
    return str(folder / name)


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def free_udp_ports(count):
    "Distinct free UDP ports (FreeRADIUS binds them a moment later)."
    ports = set()
    while len(ports) < count:
        ports.add(free_port(socket.SOCK_DGRAM))
    return sorted(ports)


def pg_admin(sql):
    import psycopg
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user='postgres',
            dbname='postgres', autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else None


def code_hash():
    "Changes when the modules' code changes: the template is rebuilt."
    digest = hashlib.sha1()
    for path in sorted((ROOT / 'addons').rglob('*')):
        if path.suffix in {'.py', '.xml', '.cfg', '.po'} and path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def build_template(name, log):
    """A database with partak_usage (and its dependencies) activated."""
    env = dict(os.environ)
    for key in list(env):
        if key.startswith('TRYTOND_'):
            del env[key]
    env.update({'TRYTOND_DATABASE__URI': PG_URI,
            'TRYTOND_CONFIG': str(ROOT / 'config' / 'trytond.conf')})
    passfile = Path(log).with_suffix('.pass')
    passfile.write_text('admin\n')
    env['TRYTONPASSFILE'] = str(passfile)
    pg_admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    pg_admin('CREATE DATABASE "%s" TEMPLATE template0 ENCODING \'UTF8\''
        % name)
    admin = venv_bin('trytond-admin')
    with open(log, 'a') as out:
        for args in (['--all', '--email', 'admin@example.com'],
                ['-u', 'partak_usage', '--activate-dependencies']):
            result = subprocess.run([admin, '-d', name] + args, env=env,
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
            if result.returncode:
                pg_admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
                pytest.fail('trytond-admin failed:\n%s'
                    % Path(log).read_text()[-4000:])


# --- PostgreSQL relay: lets a test make PostgreSQL unreachable -------------

class Relay:
    """A TCP relay 127.0.0.1:port -> PostgreSQL.  cut() closes it and every
    connection (FreeRADIUS then gets 'connection refused'); restore()
    listens again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.connections = []
        self.lock = threading.Lock()
        self.server = None
        self.restore()

    def restore(self):
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(('127.0.0.1', self.port))
        server.listen(64)
        self.server = server
        threading.Thread(target=self._accept, args=(server,),
            daemon=True).start()

    def _accept(self, server):
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection((PG_HOST, PG_PORT))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b),
                    daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        try:
            # wakes the accepting thread up and stops listening at once
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()
        with self.lock:
            connections, self.connections = self.connections, []
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass


# --- the test NAS: receives Disconnect-Request and CoA-Request ---------------

def make_nas_listener(port, secret):
    from trytond.modules.partak_usage.nas_simulator import NASSimulator
    return NASSimulator(port, secret).start()


# --- fixtures -----------------------------------------------------------------

@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """A fresh database, trytond in this process, FreeRADIUS on loopback
    ports and a test NAS.  Yields a namespace (see the end)."""
    tmp = tmp_path_factory.mktemp('partak-radius')
    log = tmp / 'setup.log'
    timings = {}
    started = time.monotonic()
    template = 'partak_radius_tpl_%s' % code_hash()
    if not pg_admin("SELECT 1 FROM pg_database WHERE datname = '%s'"
            % template):
        for (old,) in pg_admin("SELECT datname FROM pg_database "
                "WHERE datname LIKE 'partak_radius_tpl_%'"):
            pg_admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % old)
        build_template(template + '_new', log)
        pg_admin('ALTER DATABASE "%s_new" RENAME TO "%s"'
            % (template, template))
        timings['template built'] = time.monotonic() - started
    database = 'partak_radius_%d' % os.getpid()
    pg_admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % database)
    pg_admin('CREATE DATABASE "%s" TEMPLATE "%s"' % (database, template))
    timings['database ready'] = time.monotonic() - started

    saved_env = {k: os.environ.get(k) for k in (
            'TRYTOND_DATABASE__URI', 'TRYTOND_PARTAK_USAGE__INTERIM_INTERVAL')}
    os.environ['TRYTOND_DATABASE__URI'] = PG_URI
    from trytond.pool import Pool
    from trytond.modules.partak_services.setup import run_in_transaction
    from trytond.modules.partak_usage.tests import tools
    Pool(database).init()

    coa_port, auth_port, acct_port = free_udp_ports(3)

    def setup_data():
        company = tools.create_company()
        from trytond.transaction import Transaction
        with Transaction().set_context(company=company.id):
            plans = tools.create_plans(company)
            tools.create_nas(address='127.0.0.1', secret=SECRET,
                coa_port=coa_port)
        return company.id, {k: p.id for k, p in plans.items()}
    company_id, plan_ids = run_in_transaction(database, setup_data)
    context = {'company': company_id}

    def run(func):
        return run_in_transaction(database, func, context=context)

    relay = Relay()
    nas = make_nas_listener(coa_port, SECRET)
    from trytond.modules.partak_usage import radius_config
    # FreeRADIUS logs in with a role of its own, as in production.
    role = 'partak_radius_%d' % os.getpid()
    radius_config.grant_role(PG_URI + database, role, 'radius-secret')
    conf = tmp / 'raddb'
    radius_config.render(conf, 'postgresql://%s:radius-secret@%s:%d/%s' % (
            role, PG_HOST, relay.port, database), auth_port=auth_port, acct_port=acct_port,
        listen='127.0.0.1', reject_delay=0, interim=60,
        spool_retry_interval=1)
    ok, output = radius_config.check(str(conf))
    assert ok, output[-3000:]
    radius_log = tmp / 'freeradius.log'
    out = open(radius_log, 'w')
    process = subprocess.Popen(radius_config.command(str(conf)),
        stdout=out, stderr=subprocess.STDOUT)
    client = RadiusClient(auth_port, acct_port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.auth('nobody-warmup', 'x')
            break
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail('freeradius did not start:\n%s'
                    % radius_log.read_text()[-3000:])
            time.sleep(0.1)
    timings['freeradius ready'] = time.monotonic() - started
    phones = iter(range(1132455200, 1132459999))

    def subscriber(plan='limited', **kwargs):
        "A committed subscriber: (line id, account id, username, period)."
        def create():
            Product = Pool().get('product.product')
            product = Product(plan_ids[plan]) if plan else None
            _, line, account, period = tools.create_subscriber(
                str(next(phones)), product, **kwargs)
            return (line.id, account.id, account.username,
                period.id if period else None)
        return run(create)

    try:
        yield types.SimpleNamespace(database=database, run=run, role=role,
            client=client, nas=nas, relay=relay, conf=conf,
            log=radius_log, subscriber=subscriber, plans=plan_ids,
            timings=timings, Pool=Pool)
    finally:
        stop_process(process, timeout=10)
        out.close()
        relay.cut()
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        for name, seconds in timings.items():
            print('[radius] %s: %.1f s' % (name, seconds))
        try:
            from trytond.backend import Database
            Database(database).close()
        except Exception:
            pass
        pg_admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % database)
        pg_admin('DROP ROLE IF EXISTS "%s"' % role)


class RadiusClient:
    "Plays the NAS towards FreeRADIUS (pyrad)."

    def __init__(self, auth_port, acct_port):
        from pyrad.client import Client
        from trytond.modules.partak_usage.job import dictionary
        self.client = Client(server='127.0.0.1', authport=auth_port,
            acctport=acct_port, secret=SECRET.encode(), dict=dictionary(),
            timeout=3, retries=2)

    def auth(self, username, password, chap=False, **attributes):
        "(code, {attribute: value}) of an Access-Request."
        from pyrad import packet
        request = self.client.CreateAuthPacket(code=packet.AccessRequest)
        request['User-Name'] = username
        if chap:
            ident, challenge = b'\x07', os.urandom(16)
            request['CHAP-Challenge'] = challenge
            request['CHAP-Password'] = ident + hashlib.md5(
                ident + password.encode() + challenge).digest()
        else:
            request['User-Password'] = request.PwCrypt(password)
        request['NAS-IP-Address'] = '127.0.0.1'
        request['NAS-Port-Type'] = 'Ethernet'
        for name, value in attributes.items():
            request[name.replace('_', '-')] = value
        reply = self.client.SendPacket(request)
        values = {k: (reply[k][0] if len(reply[k]) == 1 else reply[k])
            for k in reply.keys()}
        return reply.code, values

    def acct(self, username, session_id, status, download=0, upload=0,
            session_time=0, framed_ip='10.64.0.2', **attributes):
        "Code of the answer to an Accounting-Request (5: Response)."
        request = self.client.CreateAcctPacket()
        request['User-Name'] = username
        request['Acct-Status-Type'] = status
        request['Acct-Session-Id'] = session_id
        request['NAS-IP-Address'] = '127.0.0.1'
        request['NAS-Port'] = 15
        if framed_ip:
            request['Framed-IP-Address'] = framed_ip
        if status not in ('Accounting-On', 'Accounting-Off'):
            request['Acct-Output-Octets'] = download % 2 ** 32
            request['Acct-Output-Gigawords'] = download // 2 ** 32
            request['Acct-Input-Octets'] = upload % 2 ** 32
            request['Acct-Input-Gigawords'] = upload // 2 ** 32
            request['Acct-Session-Time'] = session_time
        for name, value in attributes.items():
            request[name.replace('_', '-')] = value
        return self.client.SendPacket(request).code


# --- helpers ------------------------------------------------------------------

ACCEPT, REJECT, ACCT_RESPONSE = 2, 3, 5


def sessions_of(site, username):
    def read():
        Session = site.Pool().get('partak.radius.session')
        return [dict(state=s.state, download=s.download_bytes,
                upload=s.upload_bytes, deducted=s.deducted_bytes,
                start=s.start_time, stop=s.stop_time, cause=s.terminate_cause,
                ip=s.framed_ip, rate=s.rate_limit, id=s.id,
                session_id=s.session_id, closed_by=s.closed_by,
                period=s.period.id if s.period else None)
            for s in Session.search([('username', '=', username)],
                order=[('id', 'ASC')])]
    return site.run(read)


def rejects_of(site, username):
    def read():
        Reject = site.Pool().get('partak.radius.reject')
        return [(r.reason, r.line.id if r.line else None)
            for r in Reject.search([('username', '=', username)],
                order=[('id', 'ASC')])]
    return site.run(read)


def send_jobs(site):
    "What the cron does each minute (or the queue worker at once)."
    def send():
        Job = site.Pool().get('partak.radius.job')
        jobs = Job.send_pending()
        return [(j.kind, j.reason, j.state, j.answer, j.rate_limit,
                j.sent_kind) for j in jobs]
    return site.run(send)


def wait_for(predicate, timeout=30, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# --- authorisation ----------------------------------------------------------------

def test_accept_pap_with_plan_attributes(site):
    line, account, username, period = site.subscriber('limited')
    code, reply = site.client.auth(username, 'secret1')
    assert code == ACCEPT, reply
    assert reply['Mikrotik-Rate-Limit'] == '512k/2048k'
    assert reply['WISPr-Bandwidth-Max-Up'] == 512_000
    assert reply['WISPr-Bandwidth-Max-Down'] == 2_048_000
    assert reply['Acct-Interim-Interval'] == 60
    # the period runs 30 days from an hour ago
    expected = 30 * 86400 - 3600
    assert abs(reply['Session-Timeout'] - expected) < 120
    assert 'Framed-IP-Address' not in reply
    assert 'Reply-Message' not in reply


def test_accept_chap(site):
    _, _, username, _ = site.subscriber('unlimited')
    code, reply = site.client.auth(username, 'secret1', chap=True)
    assert code == ACCEPT
    assert reply['Mikrotik-Rate-Limit'] == '2048k/8192k'
    code, reply = site.client.auth(username, 'wrong1', chap=True)
    assert code == REJECT
    assert reply == {'Reply-Message': 'Partak: wrong_password'}


def test_static_ip_and_route(site):
    line_id, _, username, _ = site.subscriber('limited')

    def rent():
        pool = site.Pool()
        StaticIP = pool.get('partak.static_ip')
        now = datetime.datetime.now()
        StaticIP.create([{'address': '85.9.70.25', 'route': '85.9.70.0/29',
                    'line': line_id, 'start': now - datetime.timedelta(1),
                    'end': now + datetime.timedelta(30)}])
    site.run(rent)
    code, reply = site.client.auth(username, 'secret1')
    assert code == ACCEPT
    assert reply['Framed-IP-Address'] == '85.9.70.25'
    assert reply['Framed-Route'] == '85.9.70.0/29 85.9.70.25 1'


def test_reject_reasons(site):
    "Each refusal: Access-Reject, Reply-Message, a row in the reject log."
    pool = site.Pool
    cases = {}
    # wrong password, unknown user
    _, _, user, _ = site.subscriber('limited')
    cases['wrong_password'] = (user, 'not-it')
    cases['unknown_user'] = ('9999999999', 'whatever')
    # expired: the only period ended yesterday
    _, _, user, _ = site.subscriber('limited', start=datetime.datetime.now()
        - datetime.timedelta(days=31), days=30)
    cases['expired'] = (user, 'secret1')
    # no service at all
    _, _, user, _ = site.subscriber(None)
    cases['expired_none'] = (user, 'secret1')
    # line collected / on the collection list
    line_id, _, user, _ = site.subscriber('limited')
    site.run(lambda: pool().get('partak.line').set_status(
            [pool().get('partak.line')(line_id)], 'collected'))
    cases['line_collected'] = (user, 'secret1')
    line_id2, _, user, _ = site.subscriber('limited')
    site.run(lambda: pool().get('partak.line').set_status(
            [pool().get('partak.line')(line_id2)], 'collection'))
    cases['line_collection'] = (user, 'secret1')
    # documents overdue: the subscriber's internet is cut
    line_id3, _, user, _ = site.subscriber('limited')

    def cut():
        Line = pool().get('partak.line')
        Party = pool().get('party.party')
        Party.cut_internet_for_documents([Line(line_id3).subscriber])
    site.run(cut)
    cases['documents_overdue'] = (user, 'secret1')
    # account disabled by staff
    _, account_id, user, _ = site.subscriber('limited')
    site.run(lambda: pool().get('partak.internet.account').write(
            [pool().get('partak.internet.account')(account_id)],
            {'disabled': True}))
    cases['account_disabled'] = (user, 'secret1')
    # no traffic: the 10 MB plan used up (accounting of a closed session)
    _, _, user, _ = site.subscriber('small')
    assert site.client.acct(user, 'used-up', 'Stop', download=11 * MB,
        session_time=60) == ACCT_RESPONSE
    cases['no_traffic'] = (user, 'secret1')

    for reason, (user, password) in cases.items():
        code, reply = site.client.auth(user, password)
        expected = reason.replace('expired_none', 'expired')
        assert code == REJECT, (reason, reply)
        assert reply == {'Reply-Message': 'Partak: %s' % expected}, reason
        logged = rejects_of(site, user)
        assert logged and logged[-1][0] == expected, (reason, logged)
        if expected != 'unknown_user':
            assert logged[-1][1] is not None  # linked to the line

    # a wrong password on an expired account is logged as wrong password
    user = cases['expired'][0]
    assert site.client.auth(user, 'nope')[0] == REJECT
    assert rejects_of(site, user)[-1][0] == 'wrong_password'


def test_simultaneous_use(site):
    _, _, user, _ = site.subscriber('limited')
    assert site.client.auth(user, 'secret1')[0] == ACCEPT
    assert site.client.acct(user, 'sim-1', 'Start') == ACCT_RESPONSE
    code, reply = site.client.auth(user, 'secret1')
    assert code == REJECT
    assert reply == {'Reply-Message': 'Partak: already_online'}
    assert rejects_of(site, user)[-1][0] == 'already_online'
    assert site.client.acct(user, 'sim-1', 'Stop', session_time=5) \
        == ACCT_RESPONSE
    assert site.client.auth(user, 'secret1')[0] == ACCEPT


def test_fair_use_speed_after_traffic(site):
    _, _, user, _ = site.subscriber('fair')
    code, reply = site.client.auth(user, 'secret1')
    assert reply['Mikrotik-Rate-Limit'] == '1024k/4096k'
    site.client.acct(user, 'fair-0', 'Stop', download=10 * MB + 1)
    code, reply = site.client.auth(user, 'secret1')
    assert code == ACCEPT, reply
    assert reply['Mikrotik-Rate-Limit'] == '128k/128k'
    assert reply['WISPr-Bandwidth-Max-Down'] == 128_000


# --- accounting ---------------------------------------------------------------------

def test_accounting_start_interim_stop(site):
    _, _, user, period = site.subscriber('limited')
    acct = site.client.acct
    t0 = int(time.time()) - 180
    assert acct(user, 'A-1', 'Start', Event_Timestamp=t0) == ACCT_RESPONSE
    [session] = sessions_of(site, user)
    assert session['state'] == 'open' and session['download'] == 0
    assert session['rate'] == '512k/2048k'
    assert session['ip'] == '10.64.0.2'
    assert acct(user, 'A-1', 'Interim-Update', download=3 * MB,
        upload=MB, session_time=60, Event_Timestamp=t0 + 60) \
        == ACCT_RESPONSE
    assert acct(user, 'A-1', 'Interim-Update', download=5 * MB,
        upload=2 * MB, session_time=120, Event_Timestamp=t0 + 120) \
        == ACCT_RESPONSE
    assert acct(user, 'A-1', 'Stop', download=7 * MB, upload=3 * MB,
        session_time=180, Acct_Terminate_Cause='User-Request',
        Event_Timestamp=t0 + 180) == ACCT_RESPONSE
    [session] = sessions_of(site, user)
    assert session['state'] == 'closed'
    assert session['closed_by'] == 'stop'
    assert session['cause'] == 'User-Request'
    assert (session['download'], session['upload']) == (7 * MB, 3 * MB)
    # download only is deducted
    assert session['deducted'] == 7 * MB
    assert session['period'] == period
    utc = datetime.timezone.utc
    assert session['start'].replace(tzinfo=utc).timestamp() == t0
    assert session['stop'].replace(tzinfo=utc).timestamp() == t0 + 180

    def remaining():
        pool = site.Pool()
        Policy = pool.get('partak.radius.policy')
        return Policy.by_username([user])[user]['remaining_bytes']
    assert site.run(remaining) == 5 * GB - 7 * MB


def test_repeated_packets_counted_once(site):
    _, _, user, _ = site.subscriber('limited')
    acct = site.client.acct
    for _ in range(3):
        assert acct(user, 'R-1', 'Start') == ACCT_RESPONSE
    for _ in range(3):
        assert acct(user, 'R-1', 'Interim-Update', download=4 * MB,
            upload=MB, session_time=60) == ACCT_RESPONSE
    # a late (older) interim after a newer one changes nothing
    assert acct(user, 'R-1', 'Interim-Update', download=6 * MB,
        upload=MB, session_time=90) == ACCT_RESPONSE
    assert acct(user, 'R-1', 'Interim-Update', download=4 * MB,
        upload=MB, session_time=60) == ACCT_RESPONSE
    for _ in range(3):
        assert acct(user, 'R-1', 'Stop', download=9 * MB, upload=2 * MB,
            session_time=120) == ACCT_RESPONSE
    # a retransmission of the Stop, with Acct-Delay-Time, after the end
    assert acct(user, 'R-1', 'Stop', download=9 * MB, upload=2 * MB,
        session_time=120, Acct_Delay_Time=5) == ACCT_RESPONSE
    [session] = sessions_of(site, user)
    assert (session['download'], session['upload'], session['deducted']) \
        == (9 * MB, 2 * MB, 9 * MB)
    assert session['state'] == 'closed'

    def counted():
        pool = site.Pool()
        Counter = pool.get('partak.radius.counter')
        Session = pool.get('partak.radius.session')
        period = Session.search([('username', '=', user)])[0].period
        counter, = Counter.search([('period', '=', period.id)])
        return counter.used
    assert site.run(counted) == 9 * MB


def test_gigawords(site):
    "Counters above 4 GB arrive as Gigawords + Octets (32-bit wrap)."
    _, _, user, _ = site.subscriber('unlimited')
    acct = site.client.acct
    big_down = 6 * GB + 12345
    big_up = 4 * GB + 1
    assert acct(user, 'G-1', 'Start') == ACCT_RESPONSE
    assert acct(user, 'G-1', 'Interim-Update', download=big_down - GB,
        upload=100, session_time=600) == ACCT_RESPONSE
    assert acct(user, 'G-1', 'Stop', download=big_down, upload=big_up,
        session_time=900) == ACCT_RESPONSE
    [session] = sessions_of(site, user)
    assert session['download'] == big_down
    assert session['upload'] == big_up
    # an unlimited plan: nothing is deducted
    assert session['deducted'] == 0


def test_interim_without_start_and_nas_reboot(site):
    _, _, user, _ = site.subscriber('limited')
    acct = site.client.acct
    # the Start was lost: the first interim opens the session
    assert acct(user, 'L-1', 'Interim-Update', download=MB,
        session_time=300) == ACCT_RESPONSE
    [session] = sessions_of(site, user)
    assert session['state'] == 'open' and session['download'] == MB
    assert session['stop'] is None
    # the NAS rebooted: its sessions are closed
    assert acct(user, '', 'Accounting-On', framed_ip=None) == ACCT_RESPONSE
    [session] = sessions_of(site, user)
    assert session['state'] == 'closed'
    assert session['closed_by'] == 'nas_reboot'


def test_booking_on_the_ledger(site):
    "The cron books counted bytes as 'usage' moves (Period.consume)."
    _, _, user, period_id = site.subscriber('limited')
    site.client.acct(user, 'B-1', 'Stop', download=100 * MB, upload=MB,
        session_time=60)

    def book():
        pool = site.Pool()
        Counter = pool.get('partak.radius.counter')
        Period = pool.get('partak.service.period')
        Move = pool.get('partak.traffic.move')
        Counter.book()
        counter, = Counter.search([('period', '=', period_id)])
        usage = Move.search([('bucket.period', '=', period_id),
                ('kind', '=', 'usage')])
        return (counter.unbooked, counter.booked, sum(m.bytes for m in usage),
            Period(period_id).remaining_bytes)
    unbooked, booked, usage, ledger_remaining = site.run(book)
    assert (unbooked, booked, usage) == (0, 100 * MB, -100 * MB)
    assert ledger_remaining == 5 * GB - 100 * MB

    def remaining():
        Policy = site.Pool().get('partak.radius.policy')
        return Policy.by_username([user])[user]['remaining_bytes']
    # RADIUS sees the same figure before and after the booking
    assert site.run(remaining) == 5 * GB - 100 * MB


# --- disconnect and CoA -----------------------------------------------------------

def test_quota_exhausted_mid_session_disconnects(site):
    _, _, user, _ = site.subscriber('small')
    site.nas.drain()
    acct = site.client.acct
    assert site.client.auth(user, 'secret1')[0] == ACCEPT
    assert acct(user, 'Q-1', 'Start', framed_ip='10.64.0.77') \
        == ACCT_RESPONSE
    assert acct(user, 'Q-1', 'Interim-Update', download=4 * MB,
        session_time=60, framed_ip='10.64.0.77') == ACCT_RESPONSE
    assert send_jobs(site) == []
    # crosses the 10 MB of the plan
    assert acct(user, 'Q-1', 'Interim-Update', download=11 * MB,
        session_time=120, framed_ip='10.64.0.77') == ACCT_RESPONSE
    jobs = send_jobs(site)
    assert jobs == [('disconnect', 'no_traffic', 'done', 'ack', None,
            'disconnect')]
    [(kind, attributes)] = site.nas.drain()
    assert kind == 'disconnect'
    assert attributes['User-Name'] == [user]
    assert attributes['Acct-Session-Id'] == ['Q-1']
    assert attributes['Framed-IP-Address'] == ['10.64.0.77']
    # the next interim does not send another one
    acct(user, 'Q-1', 'Interim-Update', download=12 * MB, session_time=180)
    assert send_jobs(site) == []
    acct(user, 'Q-1', 'Stop', download=12 * MB, session_time=181)
    assert site.client.auth(user, 'secret1') == (
        REJECT, {'Reply-Message': 'Partak: no_traffic'})


def test_fair_use_fallback_sends_coa(site):
    _, _, user, _ = site.subscriber('fair')
    site.nas.drain()
    acct = site.client.acct
    acct(user, 'F-1', 'Start')
    acct(user, 'F-1', 'Interim-Update', download=10 * MB + 5,
        session_time=60)
    assert send_jobs(site) == [('coa', 'fair_use', 'done', 'ack',
            '128k/128k', 'coa')]
    [(kind, attributes)] = site.nas.drain()
    assert kind == 'coa'
    assert attributes['Mikrotik-Rate-Limit'] == ['128k/128k']
    assert attributes['WISPr-Bandwidth-Max-Down'] == [128000]
    assert sessions_of(site, user)[0]['rate'] == '128k/128k'
    # enforcement finds nothing more to do
    site.run(lambda: site.Pool().get('partak.radius.session').enforce_all())
    assert send_jobs(site) == []


def test_dispatcher_sends_at_once(site):
    "With the dispatcher running, no cron is needed: LISTEN/NOTIFY."
    _, _, user, _ = site.subscriber('small')
    site.nas.drain()
    env = dict(os.environ, TRYTOND_DATABASE__URI=PG_URI)
    process = subprocess.Popen([sys.executable, '-m',
            'trytond.modules.partak_usage.dispatcher', '-d', site.database],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        time.sleep(3)  # the dispatcher loads the pool and listens
        site.client.acct(user, 'X-1', 'Start')
        site.client.acct(user, 'X-1', 'Interim-Update', download=20 * MB,
            session_time=60)
        got = wait_for(lambda: site.nas.drain(), timeout=20)
        # the NAS answers before the dispatcher records the job as sent:
        # stopping it in between would leave the job to the next test
        wait_for(lambda: site.run(lambda: not site.Pool().get(
                    'partak.radius.job').search(
                    [('state', '=', 'pending')])), timeout=20)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert got and got[0][0] == 'disconnect'
    assert got[0][1]['Acct-Session-Id'] == ['X-1']


def test_line_collected_disconnects_live_session(site):
    line_id, _, user, _ = site.subscriber('limited')
    site.nas.drain()
    site.client.acct(user, 'C-1', 'Start')

    def collect():
        Line = site.Pool().get('partak.line')
        Line.set_status([Line(line_id)], 'collected')
    site.run(collect)
    assert send_jobs(site) == [('disconnect', 'line_collected', 'done',
            'ack', None, 'disconnect')]
    [(kind, attributes)] = site.nas.drain()
    assert attributes['Acct-Session-Id'] == ['C-1']


def test_expiry_disconnects_by_cron(site):
    _, _, user, period_id = site.subscriber('limited')
    site.nas.drain()
    site.client.acct(user, 'E-1', 'Start')

    def end_now():
        pool = site.Pool()
        Period = pool.get('partak.service.period')
        Period.end_periods([Period(period_id)])
    site.run(end_now)
    assert send_jobs(site) == [('disconnect', 'expired', 'done', 'ack',
            None, 'disconnect')]
    site.client.acct(user, 'E-1', 'Stop', session_time=30)
    assert site.client.auth(user, 'secret1')[1] == {
        'Reply-Message': 'Partak: expired'}


def test_disconnect_nak_and_unknown_session(site):
    _, _, user, _ = site.subscriber('limited')
    site.client.acct(user, 'N-1', 'Start')
    site.nas.answer = 'nak'
    try:
        def staff():
            Session = site.Pool().get('partak.radius.session')
            Session.disconnect_button(Session.search([
                        ('username', '=', user)]))
        site.run(staff)
        assert send_jobs(site) == [('disconnect', 'staff', 'done', 'nak',
                None, 'disconnect')]
    finally:
        site.nas.answer = 'ack'
    # the NAS did not know the session: closed here too
    assert sessions_of(site, user)[0]['state'] == 'closed'


def test_password_change(site):
    from trytond.modules.partak_usage.report import change_internet_password
    from trytond.model.exceptions import ValidationError
    _, account_id, user, _ = site.subscriber('limited')
    site.nas.drain()
    site.client.acct(user, 'P-1', 'Start')

    def change(old, new):
        Account = site.Pool().get('partak.internet.account')
        return change_internet_password(Account(account_id), old, new)
    with pytest.raises(ValidationError):
        site.run(lambda: change('not-the-old', 'n3w-pass'))
    with pytest.raises(ValidationError):
        site.run(lambda: change('secret1', 'short'))
    assert site.run(lambda: change('secret1', 'n3w-pass')) is True
    # at once in RADIUS: the old one is refused, the new one accepted
    code, reply = site.client.auth(user, 'secret1')
    assert (code, reply) == (REJECT, {'Reply-Message': 'Partak: '
            'wrong_password'})
    assert send_jobs(site) == [('disconnect', 'password_changed', 'done',
            'ack', None, 'disconnect')]
    assert site.nas.drain()[0][1]['User-Name'] == [user]
    site.client.acct(user, 'P-1', 'Stop', session_time=10)
    assert site.client.auth(user, 'n3w-pass')[0] == ACCEPT
    assert site.client.auth(user, 'n3w-pass', chap=True)[0] == ACCEPT


def test_stale_sessions_closed(site):
    _, _, user, _ = site.subscriber('limited')
    site.client.acct(user, 'S-1', 'Start',
        Event_Timestamp=int(time.time()) - 3600)

    def close():
        Session = site.Pool().get('partak.radius.session')
        return Session.close_stale()
    assert site.run(close) >= 1
    [session] = sessions_of(site, user)
    assert (session['state'], session['closed_by']) == ('closed', 'stale')
    # a stale session does not block a new login, and a late interim
    # reopens it
    assert site.client.auth(user, 'secret1')[0] == ACCEPT
    site.client.acct(user, 'S-1', 'Interim-Update', download=MB,
        session_time=3700)
    assert sessions_of(site, user)[0]['state'] == 'open'


# --- PostgreSQL unreachable ---------------------------------------------------------

def test_accounting_spooled_while_postgresql_unreachable(site):
    _, _, user, _ = site.subscriber('limited')
    acct = site.client.acct
    assert acct(user, 'D-1', 'Start') == ACCT_RESPONSE
    started = sessions_of(site, user)[0]['start']
    site.relay.cut()
    try:
        sent = time.time()
        # answered at once from the detail spool
        assert acct(user, 'D-1', 'Interim-Update', download=2 * MB,
            upload=MB, session_time=60) == ACCT_RESPONSE
        assert acct(user, 'D-1', 'Interim-Update', download=2 * MB,
            upload=MB, session_time=60) == ACCT_RESPONSE
        assert acct(user, 'D-1', 'Stop', download=3 * MB, upload=MB,
            session_time=90, Acct_Terminate_Cause='Lost-Carrier') \
            == ACCT_RESPONSE
        _, other, other_user, _ = site.subscriber('limited')
        assert acct(other_user, 'D-2', 'Start') == ACCT_RESPONSE
        # logins are refused meanwhile (no database, no decision)
        assert site.client.auth(other_user, 'secret1')[0] == REJECT
        spool = list((site.conf / 'radacct' / 'spool').glob('detail*'))
        assert spool, 'nothing spooled'
        assert sessions_of(site, other_user) == []
        time.sleep(1.5)
    finally:
        site.relay.restore()
    # replayed in order once PostgreSQL is back
    done = wait_for(lambda: (sessions_of(site, user)[0]['state'] == 'closed'
            and sessions_of(site, other_user)), timeout=45)
    assert done, site.log.read_text()[-3000:]
    [session] = sessions_of(site, user)
    assert (session['download'], session['upload'], session['deducted']) \
        == (3 * MB, MB, 3 * MB)
    assert session['cause'] == 'Lost-Carrier'
    assert session['start'] == started
    # the original time of the Stop, not the time of the replay
    assert abs(session['stop'].replace(tzinfo=datetime.timezone.utc)
        .timestamp() - sent) < 3
    assert sessions_of(site, other_user)[0]['state'] == 'open'
    assert site.client.auth(user, 'secret1')[0] == ACCEPT


def test_freeradius_role_reaches_only_its_entry_points(site):
    """FreeRADIUS's PostgreSQL role (radius_config --grant-role) is no
    superuser and reads no table of subscribers, staff or prices: it runs
    the RADIUS functions and reads the NAS list, nothing else."""
    import psycopg
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=site.role,
            dbname=site.database, autocommit=True) as connection:
        superuser, = connection.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
        assert superuser is False
        rows = connection.execute("SELECT count(*) FROM "
            "partak_radius_authorize('nobody-at-all')").fetchone()
        assert rows == (0,)
        assert connection.execute("SELECT count(*) FROM (SELECT name, "
            "secret FROM partak_nas) n").fetchone()[0] >= 1
        for statement in [
                'SELECT * FROM res_user',
                'SELECT password FROM partak_internet_account',
                'SELECT * FROM party_party',
                'SELECT * FROM partak_radius_session',
                'SELECT * FROM product_template',
                "UPDATE partak_radius_counter SET unbooked = 0",
                "DELETE FROM partak_radius_reject",
                "INSERT INTO partak_radius_job (id) VALUES (-1)",
                'SELECT * FROM partak_radius_policy()',
                ]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)
