# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fixtures of the end-to-end tests: a fresh database with the demo data
and a real trytond serving the portal and the sao back office.

PostgreSQL is used when it answers on 127.0.0.1:5432 (trust auth, user
postgres), otherwise SQLite in a temporary folder.  PARTAK_TEST_DB=sqlite
forces SQLite, PARTAK_TEST_DB=postgresql forces PostgreSQL (and fails when
it is not reachable).

trytond reads TRYTOND_<SECTION>__<OPTION> environment variables first and
the configuration file afterwards, so an option that config/trytond.conf
sets ([database] uri, [partak] portal_database) cannot be overridden from
the environment: the fixture writes a temporary copy of the configuration
with the values of this run and gives that copy to every command."""
import configparser
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import types
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / 'config' / 'trytond.conf'
PG_HOST, PG_PORT, PG_USER = '127.0.0.1', 5432, 'postgres'
PG_URI = 'postgresql://%s@%s:%d/' % (PG_USER, PG_HOST, PG_PORT)
ADMIN_PASSWORD = 'admin'
# The modules scripts/demo.sh activates (trytond-admin -u ...
# --activate-dependencies); keep the two in step.
MODULES = ['partak_portal']


def venv_bin(name):
    """A command of the virtualenv that runs the tests, or of the repo's
    .venv when pytest runs from elsewhere."""
    folder = Path(sys.executable).parent
    if not (folder / 'trytond-admin').exists():
        folder = ROOT / '.venv' / 'bin'
    command = folder / name
    if not command.exists():
        raise RuntimeError('%s not found in %s' % (name, folder))
    return str(command)


def postgresql_reachable():
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=2):
            pass
        import psycopg
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER,
                dbname='postgres', connect_timeout=5):
            return True
    except Exception:
        return False


def choose_backend():
    wanted = os.environ.get('PARTAK_TEST_DB', '').lower()
    if wanted in ('sqlite', 'sqlite3'):
        return 'sqlite'
    if wanted in ('postgresql', 'postgres', 'pg'):
        if not postgresql_reachable():
            pytest.fail('PARTAK_TEST_DB=%s but PostgreSQL does not answer on '
                '%s:%d' % (wanted, PG_HOST, PG_PORT))
        return 'postgresql'
    if wanted:
        pytest.fail('PARTAK_TEST_DB must be "sqlite" or "postgresql", not %r'
            % wanted)
    return 'postgresql' if postgresql_reachable() else 'sqlite'


def pg_admin(sql):
    import psycopg
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER,
            dbname='postgres', autocommit=True) as connection:
        connection.execute(sql)


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_config(path, backend, db_path, port, database):
    "config/trytond.conf with the database, port and portal DB of this run."
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(CONFIG, encoding='utf-8')
    for section in ('database', 'web', 'partak'):
        if not parser.has_section(section):
            parser.add_section(section)
    parser.set('database', 'uri',
        PG_URI if backend == 'postgresql' else 'sqlite://')
    # Also the filestore of PostgreSQL: documents land in the tmp folder.
    parser.set('database', 'path', str(db_path))
    parser.set('web', 'listen', '127.0.0.1:%d' % port)
    parser.set('web', 'root', str(ROOT / 'vendor' / 'sao'))
    parser.set('partak', 'portal_database', database)
    # The fake banks are off in the shipped configuration: on for the tests.
    parser.set('partak', 'test_banks', 'True')
    parser.set('partak', 'test_banks_url',
        'http://127.0.0.1:%d/bank/test' % port)
    # The browser tests talk plain http: no Secure flag on the cookies.
    parser.set('partak', 'portal_cookie_secure', 'False')
    with open(path, 'w', encoding='utf-8') as fp:
        parser.write(fp)


def run(command, env, log, timeout=900):
    started = time.monotonic()
    with open(log, 'a', encoding='utf-8') as out:
        out.write('\n$ %s\n' % ' '.join(command))
        out.flush()
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, timeout=timeout)
    if result.returncode:
        tail = Path(log).read_text(encoding='utf-8')[-4000:]
        pytest.fail('%s failed (%d):\n%s' % (command[0], result.returncode,
                tail))
    return time.monotonic() - started


def stop_process(process, timeout=15):
    "Ends a server the tests started: politely, then for good."
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_server(url, process, log, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.3)
    tail = Path(log).read_text(encoding='utf-8', errors='replace')[-4000:]
    pytest.fail('trytond did not answer on %s (exit %s):\n%s'
        % (url, process.poll(), tail))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    "Keeps each phase's report on the test, for fixtures to see failures."
    outcome = yield
    report = outcome.get_result()
    setattr(item, 'report_' + report.when, report)


def clean_env(backend, config, db_path, port, database):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith('TRYTOND_'):
            del env[key]
    env.update({
            'TRYTOND_CONFIG': str(config),
            'TRYTOND_DATABASE__PATH': str(db_path),
            'TRYTOND_WEB__LISTEN': '127.0.0.1:%d' % port,
            'TRYTOND_PARTAK__PORTAL_DATABASE': database,
            # Payment Settings of the demo data: the address served here.
            'PARTAK_PUBLIC_URL': 'http://127.0.0.1:%d' % port,
            'PYTHONUNBUFFERED': '1',
            })
    if backend == 'postgresql':
        env['TRYTOND_DATABASE__URI'] = PG_URI
    return env


def sql(backend, db_path, database, statement, params=()):
    """Runs one statement on a test database, outside trytond; returns the
    rows it selected (a list of tuples, empty for other statements)."""
    if backend == 'postgresql':
        import psycopg
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER,
                dbname=database, autocommit=True) as connection:
            cursor = connection.execute(statement.replace('?', '%s'), params)
            return cursor.fetchall() if cursor.description else []
    else:
        import sqlite3
        connection = sqlite3.connect(db_path / ('%s.sqlite' % database))
        try:
            cursor = connection.execute(statement, params)
            rows = cursor.fetchall() if cursor.description else []
            connection.commit()
            return rows
        finally:
            connection.close()


def drop_database(backend, database, db_path, timings):
    "The end of a test database: its timings printed, it and its files gone."
    for name, seconds in timings.items():
        print('[e2e %s] %s: %.1f s' % (backend, name, seconds))
    if backend == 'postgresql':
        with contextlib.suppress(Exception):
            pg_admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % database)
    shutil.rmtree(db_path, ignore_errors=True)


@pytest.fixture(scope='session')
def demo_template(tmp_path_factory):
    """The demo database, built once per test session (trytond-admin takes
    minutes); each test module gets a copy of it (see portal).  Yields the
    backend, the folder of the SQLite files and filestores, the database
    name and the timings."""
    backend = choose_backend()
    tmp = tmp_path_factory.mktemp('partak-e2e-template')
    db_path = tmp / 'db'
    db_path.mkdir()
    database = 'partak_e2e_tmpl_%d' % os.getpid()
    port = free_port()
    config = tmp / 'trytond.conf'
    write_config(config, backend, db_path, port, database)
    log = tmp / 'build.log'
    passfile = tmp / 'admin-password'
    passfile.write_text(ADMIN_PASSWORD + '\n')
    env = clean_env(backend, config, db_path, port, database)
    if backend == 'postgresql':
        pg_admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % database)
        pg_admin('CREATE DATABASE "%s" TEMPLATE template0 ENCODING \'UTF8\''
            % database)
    else:
        (db_path / ('%s.sqlite' % database)).touch()
    timings = {}
    try:
        admin = venv_bin('trytond-admin')
        timings['trytond-admin --all'] = run([admin, '-c', str(config),
                '-d', database, '--all', '-l', 'fa',
                '--email', 'admin@example.com'],
            dict(env, TRYTONPASSFILE=str(passfile)), log)
        timings['trytond-admin -u partak_portal'] = run([admin,
                '-c', str(config), '-d', database, '-u', *MODULES,
                '--activate-dependencies', '-l', 'fa'], env, log)
        timings['demo_data.py'] = run([venv_bin('python'),
                str(ROOT / 'scripts' / 'demo_data.py'), '-c', str(config),
                '-d', database, '--generated', '20'], env, log)
        yield types.SimpleNamespace(backend=backend, db_path=db_path,
            database=database, timings=timings)
    finally:
        drop_database(backend, database, db_path, timings)


@pytest.fixture(scope='module')
def portal(tmp_path_factory, demo_template):
    """A running trytond on a fresh copy of the demo database; yields a
    namespace with base_url, database, backend, db_path (filestore /
    SQLite folder), config and timings."""
    backend = demo_template.backend
    tmp = tmp_path_factory.mktemp('partak-e2e')
    db_path = tmp / 'db'
    db_path.mkdir()
    database = 'partak_e2e_%d_%s' % (os.getpid(), tmp.name.replace('-', '_'))
    port = free_port()
    config = tmp / 'trytond.conf'
    write_config(config, backend, db_path, port, database)
    log = tmp / 'trytond.log'
    env = clean_env(backend, config, db_path, port, database)

    timings = {}
    process = None
    try:
        started = time.monotonic()
        if backend == 'postgresql':
            pg_admin('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % database)
            pg_admin('CREATE DATABASE "%s" TEMPLATE "%s"'
                % (database, demo_template.database))
        else:
            shutil.copyfile(
                demo_template.db_path / ('%s.sqlite' % demo_template.database),
                db_path / ('%s.sqlite' % database))
        # The filestore (uploaded documents) is kept per database name.
        filestore = demo_template.db_path / demo_template.database
        if filestore.is_dir():
            shutil.copytree(filestore, db_path / database)
        # The demo's Payment Settings hold the template's address.
        sql(backend, db_path, database,
            'UPDATE partak_payment_configuration SET public_url = ?',
            ('http://127.0.0.1:%d' % port,))
        timings['copy of the demo database'] = time.monotonic() - started

        started = time.monotonic()
        with open(log, 'a', encoding='utf-8') as out:
            out.write('\n$ trytond\n')
            out.flush()
            process = subprocess.Popen(
                [venv_bin('trytond'), '-c', str(config), '-d', database],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        base_url = 'http://127.0.0.1:%d' % port
        wait_for_server(base_url + '/portal/login', process, log)
        timings['trytond start'] = time.monotonic() - started

        yield types.SimpleNamespace(base_url=base_url, database=database,
            backend=backend, db_path=db_path, config=config, log=log,
            timings=timings)
    finally:
        if process is not None:
            stop_process(process)
        drop_database(backend, database, db_path, timings)


@pytest.fixture
def second_worker(portal, tmp_path):
    """A second trytond process serving the portal's database on another
    port, as a production deployment runs several workers: what one of
    them decides must hold for the other (nothing kept in memory).
    Yields its base URL."""
    port = free_port()
    config = tmp_path / 'trytond-2.conf'
    write_config(config, portal.backend, portal.db_path, port,
        portal.database)
    log = tmp_path / 'trytond-2.log'
    env = clean_env(portal.backend, config, portal.db_path, port,
        portal.database)
    with open(log, 'a', encoding='utf-8') as out:
        process = subprocess.Popen(
            [venv_bin('trytond'), '-c', str(config), '-d', portal.database],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base_url = 'http://127.0.0.1:%d' % port
        wait_for_server(base_url + '/portal/login', process, log)
        yield base_url
    finally:
        stop_process(process)
