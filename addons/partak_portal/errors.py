# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What every request under /portal goes through, in one place (the bank
return routes included): control characters are refused before anything
reads the database, and errors answer a Persian page in the portal's
layout instead of werkzeug's English ones; unexpected exceptions are
logged at ERROR with their traceback (trytond logs them at DEBUG only)."""
import logging
import re

from werkzeug.exceptions import BadRequest, HTTPException, MethodNotAllowed

from trytond import config
from trytond.exceptions import UserError
from trytond.wsgi import app

from .render import render, translator

logger = logging.getLogger(__name__)

PREFIX = '/portal'
# Pages of other modules served to people (the test banks, the sandbox)
# whose unexpected errors are logged at ERROR too.
LOGGED_PREFIXES = (PREFIX, '/bank')

# C0 controls and DEL.  NUL makes PostgreSQL fail the query (a 500);
# the others have no place in what a person types.  A textarea may hold
# tab and line breaks.
CONTROL = re.compile('[\x00-\x1f\x7f]')
CONTROL_MULTILINE = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')

MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to open this page.",
    404: "The page you asked for was not found.",
    405: "This page cannot be opened this way.",
    413: "What you sent is too large.",
    429: "Too many requests. Please wait a little and try again.",
    500: "An unexpected error happened and has been recorded. Please try "
        "again later.",
    503: "The service is busy. Please try again in a moment.",
    }
OTHER = "The request could not be completed."


class ControlCharacters(BadRequest):
    "A form field, query argument, path or cookie holds a control character."
    message = ("What you sent contains characters that are not allowed "
        "(control characters). Please correct it and send it again.")


def in_portal(request, prefixes=(PREFIX,)):
    path = request.path
    return any(path == p or path.startswith(p + '/') for p in prefixes)


def is_multiline(name, multiline):
    "`multiline`: field names; a name ending with * is a prefix (q*)."
    return any(name == m or (m.endswith('*') and name.startswith(m[:-1]))
        for m in multiline)


def refuse_control_characters(request, multiline=()):
    """Raises ControlCharacters when the path, a query argument, a cookie
    or a form field (tab and line breaks allowed in the `multiline` ones)
    holds a control character."""
    texts = [request.path]
    texts.extend(t for pair in request.args.items(multi=True) for t in pair)
    texts.extend(t for pair in request.cookies.items(multi=True) for t in pair)
    for name, value in request.form.items(multi=True):
        if CONTROL.search(name) or (CONTROL_MULTILINE
                if is_multiline(name, multiline) else CONTROL).search(value):
            raise ControlCharacters()
    for name, upload in request.files.items(multi=True):
        texts.extend([name, upload.filename or ''])
    if any(CONTROL.search(t) for t in texts):
        raise ControlCharacters()


def wants_json(request):
    "The page's own scripts (uploads) ask for JSON, not for a page."
    return (request.accept_mimetypes.accept_json
        and not request.accept_mimetypes.accept_html)


def error_page(request, status, message=None, headers=None):
    "The Persian page (or JSON for the page's scripts) of an HTTP error."
    from .routes import json_response, portal_language
    language = portal_language()
    _ = translator(language)
    message = _(message or MESSAGES.get(status, OTHER))
    if wants_json(request):
        response = json_response({'ok': False, 'message': message}, status)
    else:
        response = render(request, 'error.html', status=status,
            language=language, message=message, code=status)
    for name, value in headers or []:
        if name.lower() != 'content-type':
            response.headers[name] = value
    return response


def original_exception(exception):
    """The exception behind an HTTP error: trytond's with_pool turns an
    exception of a page into abort(500, exception), a UserError into
    abort(400, error)."""
    description = getattr(exception, 'description', None)
    if isinstance(description, BaseException):
        return description
    return exception.__context__


def http_error_page(request, exception):
    original = original_exception(exception)
    if exception.code >= 500:
        logger.error("Error when processing %s", request,
            exc_info=original or exception)
    if isinstance(original, UserError):
        # Translated by the transaction's context (the portal's language).
        return error_page(request, exception.code, message=original.message)
    if (isinstance(exception, MethodNotAllowed)
            and set(exception.valid_methods or ()) <= {'OPTIONS'}):
        # trytond answers OPTIONS on every path (CORS): an unknown page is
        # a 405 that allows only OPTIONS, a 404 to a person.
        return error_page(request, 404)
    message = getattr(exception, 'message', None)
    return error_page(request, exception.code, message=message,
        headers=exception.get_headers())


def _max_request_size():
    # As TrytondWSGI.dispatch_request sets it after the match for a request
    # without a Tryton user (the portal's routes name no database): the
    # form is read here first, so the same limit applies.
    return config.getint('request', 'max_size')


def guard(request):
    "The checks that run before the endpoint of a portal request."
    adapter = app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, _ = adapter.match()
    except HTTPException:
        # 404, 405, redirects: the dispatcher answers them, without the
        # form.  The path is still checked (a NUL in an unknown path).
        if CONTROL.search(request.path):
            raise ControlCharacters()
        return
    request.max_content_length = getattr(endpoint, 'max_request_size',
        _max_request_size())
    refuse_control_characters(request,
        multiline=getattr(endpoint, 'multiline', ()))


def install():
    """Wraps the dispatcher of trytond's app (as trytond itself wraps its
    wsgi_app for ProxyFix): once, however often the module is imported."""
    if getattr(app.dispatch_request, 'partak_portal', False):
        return
    dispatch = app.dispatch_request

    def dispatch_request(request):
        if not in_portal(request):
            return dispatch(request)
        try:
            guard(request)
        except HTTPException as exception:
            return http_error_page(request, exception)
        response = dispatch(request)
        if isinstance(response, HTTPException) and response.code >= 400:
            return http_error_page(request, response)
        return response
    dispatch_request.partak_portal = True
    app.dispatch_request = dispatch_request
    app.error_handler(unexpected_error)


def unexpected_error(app, request, exception):
    """Called by trytond inside its `except Exception` for an exception of
    a route outside with_pool: the traceback is that of `exception`."""
    if in_portal(request, LOGGED_PREFIXES):
        logger.exception("Error when processing %s", request)
    if in_portal(request):
        return error_page(request, 500)


install()
