# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Page rendering for the portal: Jinja2 templates, the portal's own
gettext catalogue (i18n/<lang>.po), Jalali and amount filters, CSRF."""
import functools
import hmac
import os
import secrets

import jinja2
import polib
from werkzeug.wrappers import Response

from trytond import config

from . import jalali

HERE = os.path.dirname(__file__)
CSRF_COOKIE = 'partak_csrf'
CSRF_FIELD = 'csrf_token'
CSRF_HEADER = 'X-CSRF-Token'


@functools.lru_cache(maxsize=None)
def catalogue(language):
    # i18n/<lang>.po holds the core pages; i18n/<area>.<lang>.po the pages
    # of one area (support, survey, ...), so that areas evolve apart.
    folder = os.path.join(HERE, 'i18n')
    messages = {}
    for name in sorted(os.listdir(folder)):
        if name == '%s.po' % language or name.endswith('.%s.po' % language):
            messages.update({e.msgid: e.msgstr
                    for e in polib.pofile(os.path.join(folder, name))
                    if e.msgstr and not e.obsolete and 'fuzzy' not in e.flags})
    return messages


def translator(language):
    messages = catalogue(language)

    def gettext(text, **params):
        text = messages.get(text, text)
        return text % params if params else text
    return gettext


@functools.lru_cache(maxsize=None)
def environment():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.join(HERE, 'templates')),
        autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters['jdate'] = jalali.jalali_date
    env.filters['jdatetime'] = jalali.jalali_datetime
    env.filters['jlong'] = jalali.jalali_long
    env.filters['amount'] = jalali.amount
    env.filters['jlocal'] = jalali.jalali_local
    env.globals['gigabytes'] = jalali.gigabytes
    return env


def csrf_token(request):
    "The double-submit token: a cookie and a form field that must match."
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) != 43:
        token = getattr(request, '_partak_csrf', None) or secrets.token_urlsafe(32)
        request._partak_csrf = token
    return token


def csrf_valid(request):
    cookie = request.cookies.get(CSRF_COOKIE, '')
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER, '')
    return bool(cookie) and hmac.compare_digest(cookie, sent)


def cookie_secure(request):
    """The Secure flag of the portal's cookies: [partak]
    portal_cookie_secure (on unless a demo over plain http turns it off),
    and always for a request that came over https."""
    return (config.getboolean('partak', 'portal_cookie_secure', default=True)
        or request.is_secure)


def finish(request, response):
    "Sets the CSRF cookie when this request created the token."
    token = getattr(request, '_partak_csrf', None)
    if token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True,
            samesite='Strict', path='/portal', secure=cookie_secure(request))
    response.headers.setdefault('X-Frame-Options', 'DENY')
    response.headers.setdefault('X-Content-Type-Options', 'nosniff')
    response.headers.setdefault('Referrer-Policy', 'same-origin')
    response.headers.setdefault('Content-Security-Policy',
        "default-src 'self'; img-src 'self' data: blob:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'")
    return response


def render(request, template, status=200, language='fa', **values):
    _ = translator(language)
    values.setdefault('_', _)
    values.setdefault('csrf_token', csrf_token(request))
    values.setdefault('csrf_field', CSRF_FIELD)
    values.setdefault('language', language)
    values.setdefault('direction', 'rtl' if language == 'fa' else 'ltr')
    html = environment().get_template(template).render(**values)
    return finish(request, Response(
            html, status=status, content_type='text/html; charset=utf-8'))
