# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Pages that Partak serves on trytond's own WSGI app (the portal, the
banks' pages and callbacks): they have no Tryton session to name the
database, so they all serve `[partak] portal_database`."""
import functools

from trytond import config
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.wsgi import app


def database_name():
    "The database the web pages serve: [partak] portal_database."
    return config.get('partak', 'portal_database', default='partak')


def database_route(rule, methods=('GET',), readonly=False, context=None):
    """Registers ``func(request, **kwargs)`` as the route ``rule`` of
    trytond's app, run in a transaction of database_name() (restarted by
    trytond when it must take locks first)."""
    def decorator(func):
        @with_pool
        @with_transaction(readonly=readonly, context=context)
        def handle(request, pool, **kwargs):
            return func(request, **kwargs)

        @functools.wraps(func)
        def endpoint(request, **kwargs):
            return handle(request, database_name(), **kwargs)
        app.route(rule, methods=list(methods))(endpoint)
        return func
    return decorator
