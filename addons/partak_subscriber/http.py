# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pages that Partak serves on trytond's own WSGI app (the portal, the
banks' pages and callbacks): they have no Tryton session to name the
database, so they all serve `[partak] portal_database`."""
import functools
import time

from trytond import backend, config
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app


def database_name():
    "The database the web pages serve: [partak] portal_database."
    return config.get('partak', 'portal_database', default='partak')


# How long a page waits for rows that another request holds, in attempts
# of a growing pause (about 10 s in all).
LOCK_ATTEMPTS = 20


def waiting_for_locks(func):
    """Runs ``func`` (a whole transaction: trytond's with_transaction,
    under with_pool, which turns any exception into a 500) again when it
    could not take its locks.  trytond restarts a transaction
    that must lock rows first (a strict sequence, Model.lock) and takes
    them with NOWAIT at the start; when another request holds them, that
    start fails with "could not obtain lock", outside trytond's own retry,
    and the page answered 500.  The failed transaction was rolled back:
    running it again is safe."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(1, LOCK_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except backend.DatabaseOperationalError:
                if attempt == LOCK_ATTEMPTS:
                    raise
                time.sleep(0.05 * attempt)
    return wrapper


def database_route(rule, methods=('GET',), readonly=False, context=None):
    """Registers ``func(request, **kwargs)`` as the route ``rule`` of
    trytond's app, run in a transaction of database_name() (restarted by
    trytond when it must take locks first, run again while another
    request holds them: waiting_for_locks)."""
    def decorator(func):
        @with_pool
        @waiting_for_locks
        @with_transaction(readonly=readonly, context=context)
        def handle(request, pool, **kwargs):
            return func(request, **kwargs)

        @functools.wraps(func)
        def endpoint(request, **kwargs):
            return handle(request, database_name(), **kwargs)
        app.route(rule, methods=list(methods))(endpoint)
        return func
    return decorator


class RemoteError(Exception):
    """A remote service (bank, SMS provider) did not answer usable JSON.
    ``status`` is the HTTP status of an answer that was not JSON, None when
    nothing came back (network error, timeout)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def request_json(url, data=None, headers=None, method=None, timeout=15):
    """Sends ``data`` as JSON (GET when None) and returns the decoded JSON
    answer, also for HTTP error statuses that carry a JSON body (banks and
    SMS providers put their error code there).  Raises RemoteError."""
    import json
    import socket
    import urllib.error
    import urllib.request
    body = json.dumps(data).encode('utf-8') if data is not None else None
    request = urllib.request.Request(url, data=body,
        method=method or ('POST' if body is not None else 'GET'),
        headers={'Content-Type': 'application/json',
            'Accept': 'application/json', **(headers or {})})
    status = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
    except urllib.error.HTTPError as error:
        status = error.code
        payload = error.read()
    except (urllib.error.URLError, socket.timeout, OSError) as error:
        raise RemoteError('%s: %s' % (url, error)) from error
    try:
        return json.loads(payload.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as error:
        raise RemoteError('HTTP %s: no JSON answer from %s'
            % (status or 200, url), status=status or 200) from error
