#!/usr/bin/env python3
# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""AAA benchmark: Access-Request/s and Accounting-Request/s of the Partak
FreeRADIUS configuration (rlm_sql on partak_usage's policy function and
accounting function, 100,000 subscribers with a running service) against a
bare FreeRADIUS + rlm_sql on the stock static radcheck/radreply/radacct
tables with the same 100,000 users.

    .venv/bin/python bench/radius_bench.py [--subscribers 100000]
        [--requests 20000] [--parallel 128] [--keep]

Needs PostgreSQL at 127.0.0.1:5432, freeradius, freeradius-postgresql and
radclient (freeradius-utils).  The databases partak_bench and
partak_bench_bare are built once (trytond-admin, ~2 min) and reused by the
next runs; --rebuild starts again.  Prints a table; never a test."""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = dict(host='127.0.0.1', port=5432, user='postgres')
PG_URI = 'postgresql://postgres@127.0.0.1:5432/'
SECRET = 'bench-secret'
PHONE0 = 2100000000
MB = 1024 * 1024


def connect(dbname, autocommit=True):
    import psycopg
    return psycopg.connect(dbname=dbname, autocommit=autocommit, **PG)


def exists(dbname):
    with connect('postgres') as connection:
        return bool(connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s",
                (dbname,)).fetchone())


def admin_sql(sql):
    with connect('postgres') as connection:
        connection.execute(sql)


def step(title):
    print('== %s' % title, flush=True)
    return time.monotonic()


# --- the Partak database ------------------------------------------------------

def trytond_env():
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    env['TRYTOND_DATABASE__URI'] = PG_URI
    env['TRYTOND_CONFIG'] = str(ROOT / 'config' / 'trytond.conf')
    return env


def update_partak(dbname):
    "Brings an existing bench database to the current code."
    subprocess.run([str(ROOT / '.venv' / 'bin' / 'trytond-admin'), '-d',
            dbname, '-u', 'partak_usage'], env=trytond_env(), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def build_partak(dbname):
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND_')}
    env['TRYTOND_DATABASE__URI'] = PG_URI
    env['TRYTOND_CONFIG'] = str(ROOT / 'config' / 'trytond.conf')
    with tempfile.NamedTemporaryFile('w', suffix='.pass',
            delete=False) as passfile:
        passfile.write('admin\n')
    env['TRYTONPASSFILE'] = passfile.name
    admin_sql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % dbname)
    admin_sql('CREATE DATABASE "%s" TEMPLATE template0 ENCODING \'UTF8\''
        % dbname)
    admin = str(ROOT / '.venv' / 'bin' / 'trytond-admin')
    for args in (['--all', '--email', 'admin@example.com'],
            ['-u', 'partak_usage', '--activate-dependencies']):
        subprocess.run([admin, '-d', dbname] + args, env=env, check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.unlink(passfile.name)


def setup_catalogue(dbname):
    "Company, the test plans and the NAS, through Tryton (idempotent)."
    os.environ['TRYTOND_DATABASE__URI'] = PG_URI
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.modules.partak_services.setup import run_in_transaction
    from trytond.modules.partak_usage.tests import tools
    Pool(dbname).init()

    def setup():
        company = tools.create_company()
        with Transaction().set_context(company=company.id):
            plans = tools.create_plans(company)
            NAS = Pool().get('partak.nas')
            if not NAS.search([('name', '=', 'bench')]):
                tools.create_nas(name='bench', address='127.0.0.1',
                    secret=SECRET)
        return plans['limited'].id
    return run_in_transaction(dbname, setup)


POPULATE = """
INSERT INTO partak_city (name, active, create_date, create_uid)
    SELECT 'bench', true, now(), 0
    WHERE NOT EXISTS (SELECT 1 FROM partak_city WHERE name = 'bench');
INSERT INTO partak_telecom_centre (name, city, active, create_date,
        create_uid)
    SELECT 'bench', c.id, true, now(), 0 FROM partak_city c
    WHERE c.name = 'bench' AND NOT EXISTS (
        SELECT 1 FROM partak_telecom_centre WHERE name = 'bench');
INSERT INTO party_party (name, code, active, subscriber_kind, internet_cut,
        create_date, create_uid)
    SELECT 'bench ' || g, 'BENCH' || g, true, 'person', false, now(), 0
    FROM generate_series({first}, {last}) g;
INSERT INTO partak_line (phone, subscriber, city, centre, status,
        create_date, create_uid)
    SELECT ({phone0} + g)::text, p.id, c.city, c.id, 'in_service', now(), 0
    FROM generate_series({first}, {last}) g
    JOIN party_party p ON p.code = 'BENCH' || g
    CROSS JOIN (SELECT id, city FROM partak_telecom_centre
        WHERE name = 'bench') c;
INSERT INTO partak_internet_account (line, username, password, disabled,
        active, create_date, create_uid)
    SELECT l.id, l.phone, 'p' || l.phone, false, true, now(), 0
    FROM partak_line l
    WHERE l.phone::bigint BETWEEN {phone0} + {first} AND {phone0} + {last};
INSERT INTO partak_service_period (line, product, state, start, "end",
        paid_amount, channel, create_date, create_uid)
    SELECT l.id, {product}, 'active',
        (now() AT TIME ZONE 'UTC') - interval '1 day',
        (now() AT TIME ZONE 'UTC') + interval '29 days', 0, 'admin', now(), 0
    FROM partak_line l
    WHERE l.phone::bigint BETWEEN {phone0} + {first} AND {phone0} + {last};
INSERT INTO partak_traffic_bucket (period, kind, name, create_date,
        create_uid)
    SELECT sp.id, 'plan', 'bench', now(), 0
    FROM partak_service_period sp JOIN partak_line l ON l.id = sp.line
    WHERE l.phone::bigint BETWEEN {phone0} + {first} AND {phone0} + {last};
INSERT INTO partak_traffic_move (bucket, date, bytes, kind, create_date,
        create_uid)
    SELECT b.id, (now() AT TIME ZONE 'UTC'), {volume}, 'credit', now(), 0
    FROM partak_traffic_bucket b
    JOIN partak_service_period sp ON sp.id = b.period
    JOIN partak_line l ON l.id = sp.line
    WHERE l.phone::bigint BETWEEN {phone0} + {first} AND {phone0} + {last};
"""


def populate_partak(dbname, count, product_id):
    "Generates the subscribers that are missing, with SQL."
    with connect(dbname) as connection:
        have = connection.execute("SELECT count(*) FROM partak_line "
            "WHERE phone >= %s AND length(phone) = 10",
            (str(PHONE0),)).fetchone()[0]
        if have >= count:
            return have, 0.0
        started = time.monotonic()
        with connection.transaction():
            connection.execute(POPULATE.format(first=have + 1, last=count,
                    phone0=PHONE0, product=product_id, volume=5 * 1024 * MB))
            # the balances RADIUS reads (as the daily resync cron does)
            connection.execute("""
                INSERT INTO partak_radius_balance (bucket, period, expires,
                    bytes, create_date, create_uid)
                SELECT b.id, b.period, b.expires, COALESCE(SUM(m.bytes), 0),
                    now(), 0
                FROM partak_traffic_bucket b
                LEFT JOIN partak_traffic_move m ON m.bucket = b.id
                GROUP BY b.id ON CONFLICT (bucket) DO UPDATE
                SET bytes = EXCLUDED.bytes""")
        connection.execute("ANALYZE")
        return count, time.monotonic() - started


def reset_sessions(dbname):
    with connect(dbname) as connection:
        connection.execute("DELETE FROM partak_radius_session")
        connection.execute("DELETE FROM partak_radius_counter")
        connection.execute("DELETE FROM partak_radius_job")
        connection.execute("VACUUM ANALYZE partak_radius_session")


# --- the bare database: FreeRADIUS's stock schema ------------------------------

SCHEMA = '/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql'


def populate_bare(dbname, count):
    if not exists(dbname):
        admin_sql('CREATE DATABASE "%s"' % dbname)
    with connect(dbname) as connection:
        if not connection.execute(
                "SELECT to_regclass('radcheck')").fetchone()[0]:
            connection.execute(Path(SCHEMA).read_text())
        have = connection.execute("SELECT count(*) FROM radcheck"
            ).fetchone()[0]
        if have < count:
            started = time.monotonic()
            connection.execute("""
                INSERT INTO radcheck (username, attribute, op, value)
                SELECT ({p0} + g)::text, 'Cleartext-Password', ':=',
                    'p' || ({p0} + g)
                FROM generate_series({first}, {last}) g""".format(
                    p0=PHONE0, first=have + 1, last=count))
            connection.execute("""
                INSERT INTO radreply (username, attribute, op, value)
                SELECT ({p0} + g)::text, a, ':=', v
                FROM generate_series({first}, {last}) g,
                    (VALUES ('Mikrotik-Rate-Limit', '512k/2048k'),
                        ('Session-Timeout', '2500000')) AS r(a, v)""".format(
                    p0=PHONE0, first=have + 1, last=count))
            connection.execute("ANALYZE")
            print('   bare radcheck/radreply: %d users in %.1f s'
                % (count, time.monotonic() - started))
        connection.execute("TRUNCATE radacct")


BARE_SQL = """\
sql {{
    driver = "rlm_sql_postgresql"
    dialect = "postgresql"
    server = "127.0.0.1"
    port = 5432
    login = "postgres"
    password = ""
    radius_db = "{dbname}"
    acct_table1 = "radacct"
    acct_table2 = "radacct"
    postauth_table = "radpostauth"
    authcheck_table = "radcheck"
    groupcheck_table = "radgroupcheck"
    authreply_table = "radreply"
    groupreply_table = "radgroupreply"
    usergroup_table = "radusergroup"
    read_groups = no
    read_profiles = no
    delete_stale_sessions = no
    pool {{
        start = 2
        min = 2
        max = {pool_max}
        spare = {pool_max}
        uses = 0
        retry_delay = 5
        lifetime = 0
        idle_timeout = 0
    }}
    client_table = "nas"
    group_attribute = "SQL-Group"
    $INCLUDE /etc/freeradius/3.0/mods-config/sql/main/postgresql/queries.conf
}}
"""

BARE_SITE = """\
server bare {{
    listen {{
        type = auth
        ipaddr = 127.0.0.1
        port = {auth_port}
    }}
    listen {{
        type = acct
        ipaddr = 127.0.0.1
        port = {acct_port}
    }}
    authorize {{
        sql
        pap
    }}
    authenticate {{
        Auth-Type PAP {{
            pap
        }}
    }}
    preacct {{
        partak_acct_unique
    }}
    accounting {{
        sql
    }}
}}
"""


def render_bare(out, dbname, auth_port, acct_port, pool_max):
    "The Partak render with the stock sql module and a minimal site."
    from trytond.modules.partak_usage import radius_config
    radius_config.render(out, PG_URI + dbname, auth_port=auth_port,
        acct_port=acct_port, listen='127.0.0.1', reject_delay=0,
        max_threads=pool_max, pool_max=pool_max,
        nas=[{'name': 'bench', 'address': '127.0.0.1',
                'secret': SECRET, 'nas_type': 'other'}])
    Path(out, 'mods-enabled', 'sql').write_text(BARE_SQL.format(
            dbname=dbname, pool_max=pool_max))
    for name in os.listdir(Path(out, 'sites-enabled')):
        os.unlink(Path(out, 'sites-enabled', name))
    Path(out, 'sites-enabled', 'bare').write_text(BARE_SITE.format(
            auth_port=auth_port, acct_port=acct_port))


# --- load ---------------------------------------------------------------------

def write_requests(path, count, subscribers, kind, seed=7):
    "radclient's input: packets separated by empty lines."
    rng = random.Random(seed)
    now = int(time.time())
    with open(path, 'w') as out:
        if kind == 'auth':
            for _ in range(count):
                phone = PHONE0 + rng.randint(1, subscribers)
                out.write('User-Name = "%d"\nUser-Password = "p%d"\n'
                    'NAS-IP-Address = 127.0.0.1\n\n' % (phone, phone))
            return
        status, octets, seconds = {
            'start': ('Start', 0, 0),
            'interim': ('Interim-Update', 3 * MB, 300),
            'stop': ('Stop', 5 * MB, 600),
            }[kind]
        users = list(range(1, min(count, subscribers) + 1))
        for index in range(count):
            phone = PHONE0 + users[index % len(users)]
            out.write('User-Name = "%d"\nAcct-Status-Type = %s\n'
                'Acct-Session-Id = "bench-%d"\nNAS-IP-Address = 127.0.0.1\n'
                'NAS-Port = %d\nFramed-IP-Address = 10.%d.%d.%d\n'
                'Acct-Input-Octets = %d\nAcct-Output-Octets = %d\n'
                'Acct-Session-Time = %d\nEvent-Timestamp = %d\n\n' % (
                    phone, status, index, index % 65536,
                    (index >> 16) & 255, (index >> 8) & 255, index & 255,
                    octets // 4, octets, seconds, now + seconds))


def radclient(path, port, command, parallel):
    "(seconds, summary) of sending the file."
    started = time.monotonic()
    result = subprocess.run(['radclient', '-f', str(path), '-p',
            str(parallel), '-q', '-s', '-r', '3', '-t', '5',
            '127.0.0.1:%d' % port, command, SECRET],
        capture_output=True, text=True)
    seconds = time.monotonic() - started
    counts = {}
    for line in result.stdout.splitlines():
        name, _, value = line.partition(':')
        if name.strip() in ('Accepted', 'Rejected', 'Lost'):
            counts[name.strip()] = int(value.strip() or 0)
    summary = ' '.join('%s %d' % item for item in counts.items())
    return seconds, summary


def start_server(conf, log):
    from trytond.modules.partak_usage import radius_config
    ok, output = radius_config.check(str(conf))
    if not ok:
        sys.exit(output[-3000:])
    out = open(log, 'w')
    process = subprocess.Popen(radius_config.command(str(conf)),
        stdout=out, stderr=subprocess.STDOUT)
    time.sleep(1.0)
    if process.poll() is not None:
        sys.exit(Path(log).read_text()[-3000:])
    return process, out


def stop_server(process, out):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    out.close()


def bench_server(name, conf, log, auth_port, acct_port, files, parallel,
        requests):
    process, out = start_server(conf, log)
    rows = []
    try:
        # warm up the connection pool and the caches
        radclient(files['warm'], auth_port, 'auth', parallel)
        for kind, port, command in [('auth', auth_port, 'auth'),
                ('start', acct_port, 'acct'),
                ('interim', acct_port, 'acct'),
                ('stop', acct_port, 'acct')]:
            seconds, summary = radclient(files[kind], port, command,
                parallel)
            rows.append((name, kind, requests / seconds, seconds, summary))
            print('   %-8s %-8s %8.0f req/s  (%d in %.2f s)  %s' % (
                    name, kind, requests / seconds, requests, seconds,
                    summary), flush=True)
    finally:
        stop_server(process, out)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--subscribers', type=int, default=100_000)
    parser.add_argument('--requests', type=int, default=20_000)
    parser.add_argument('--parallel', type=int, default=128)
    parser.add_argument('--sql-pool', type=int, default=32,
        help="PostgreSQL connections = FreeRADIUS threads")
    parser.add_argument('--database', default='partak_bench')
    parser.add_argument('--rebuild', action='store_true',
        help="build the databases again")
    parser.add_argument('--update', action='store_true',
        help="update partak_usage in the existing database first")
    parser.add_argument('--keep', action='store_true',
        help="keep the work folder (configurations and logs)")
    options = parser.parse_args()
    for command in ('freeradius', 'radclient'):
        if not shutil.which(command):
            sys.exit('%s is missing: bash scripts/setup.sh' % command)
    sys.path.insert(0, str(ROOT))
    dbname, bare_db = options.database, options.database + '_bare'
    work = Path(tempfile.mkdtemp(prefix='partak-bench-'))

    if options.rebuild or not exists(dbname):
        started = step('building %s (trytond-admin, partak_usage)' % dbname)
        build_partak(dbname)
        print('   %.1f s' % (time.monotonic() - started))
    elif options.update:
        started = step('updating partak_usage in %s' % dbname)
        update_partak(dbname)
        print('   %.1f s' % (time.monotonic() - started))
    product_id = setup_catalogue(dbname)
    step('subscribers')
    count, seconds = populate_partak(dbname, options.subscribers,
        product_id)
    print('   %d subscribers with a running 5 GB service (generated now: '
        '%.1f s)' % (count, seconds))
    populate_bare(bare_db, options.subscribers)
    reset_sessions(dbname)

    files = {}
    for kind in ('auth', 'start', 'interim', 'stop'):
        files[kind] = work / ('%s.txt' % kind)
        write_requests(files[kind], options.requests, options.subscribers,
            kind)
    files['warm'] = work / 'warm.txt'
    write_requests(files['warm'], 2000, options.subscribers, 'auth',
        seed=3)

    from trytond.modules.partak_usage import radius_config
    rows = []
    ports = iter(range(21812, 21900))
    step('bare FreeRADIUS + rlm_sql, static radcheck (%s)' % bare_db)
    auth_port, acct_port = next(ports), next(ports)
    render_bare(work / 'bare', bare_db, auth_port, acct_port,
        options.sql_pool)
    rows += bench_server('bare', work / 'bare', work / 'bare.log',
        auth_port, acct_port, files, options.parallel, options.requests)

    step('Partak configuration (%s)' % dbname)
    auth_port, acct_port = next(ports), next(ports)
    radius_config.render(work / 'partak', PG_URI + dbname,
        auth_port=auth_port, acct_port=acct_port, listen='127.0.0.1',
        reject_delay=0, max_threads=options.sql_pool,
        pool_max=options.sql_pool)
    rows += bench_server('partak', work / 'partak', work / 'partak.log',
        auth_port, acct_port, files, options.parallel, options.requests)

    with connect(dbname) as connection:
        sessions, closed, deducted = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE state = 'closed'), "
            "COALESCE(sum(deducted_bytes), 0) FROM partak_radius_session"
            ).fetchone()
    print('   check: %d sessions stored, %d closed, %.0f MB deducted'
        % (sessions, closed, deducted / MB))

    print()
    print('| configuration | packets | requests/s | seconds |')
    print('| --- | --- | ---: | ---: |')
    for name, kind, rate, seconds, _ in rows:
        print('| %s | %s | %.0f | %.2f |' % (name, kind, rate, seconds))
    print('\n%d subscribers, %d requests each, radclient -p %d, '
        'PostgreSQL pool %d, %d CPU' % (options.subscribers,
            options.requests, options.parallel, options.sql_pool,
            os.cpu_count()))
    if options.keep:
        print('work folder: %s' % work)
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
