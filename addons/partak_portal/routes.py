# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""HTTP routes of the customer portal, served by trytond's own WSGI app
under /portal.  Handlers run as Tryton's root user, so each one reads and
writes only what belongs to the logged-in subscriber."""
import datetime
import functools
import json
import os
import re

from werkzeug.utils import redirect, send_from_directory
from werkzeug.wrappers import Response

from trytond import config
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.wsgi import app

from trytond.modules.partak_subscriber import validators
from trytond.modules.partak_subscriber.http import (  # noqa: F401
    database_name, database_route)
from trytond.modules.partak_subscriber.line import generate_password

from . import jalali
from .errors import wants_json
from .render import cookie_secure, csrf_valid, finish, render, translator
from .uploads import EXTENSIONS, UploadRefused, check_document, max_bytes

PREFIX = '/portal'
SESSION_COOKIE = 'partak_session'
STATIC = os.path.join(os.path.dirname(__file__), 'static')
PAGE_SIZES = (10, 15, 20)


def portal_language():
    return config.get('partak', 'portal_language', default='fa')


class Visit:
    "One request of one subscriber: who is logged in and how to answer."

    def __init__(self, request):
        self.request = request
        self.language = portal_language()
        self._ = translator(self.language)
        self.user = self.session = None

    @property
    def party(self):
        return self.user.party

    @property
    def ip_address(self):
        """The client's address, the one place that reads it.  Behind a
        reverse proxy, trytond's [web] num_proxies makes remote_addr the
        client's (werkzeug's ProxyFix); X-Forwarded-For is never read
        otherwise."""
        return self.request.remote_addr or 'unknown'

    def load_session(self):
        Session = Pool().get('web.user.session')
        key = self.request.cookies.get(SESSION_COOKIE)
        if not key:
            return False
        sessions = Session.search([('key', '=', key)], limit=1)
        if not sessions:
            return False
        session, = sessions
        if session.expired:
            Session.delete([session])
            return False
        if not session.user.party or not session.user.active:
            return False
        # Sliding expiry without a write on every page view.
        if (datetime.datetime.now() - session.last_modified_at
                > datetime.timedelta(minutes=1)):
            Session.write([session], {})
        self.session, self.user = session, session.user
        return True

    def render(self, template, status=200, **values):
        values.setdefault('visit', self)
        return render(self.request, template, status=status,
            language=self.language, **values)

    def page(self, template, active=None, **values):
        "A page inside the logged-in frame: header, green box, menu."
        Announcement = Pool().get('partak.announcement')
        values.setdefault('announcement', Announcement.pick(self.party))
        values.setdefault('menu', menu(self._, active))
        values.setdefault('login_time', self.session.create_date)
        return self.render(template, **values)


def menu(_, active):
    "The manual's menu; pages that later issues bring are shown disabled."
    entries = [
        ('profile', _("Profile and documents"), PREFIX + '/profile'),
        ('history', _("Line status history"), PREFIX + '/history'),
        ('services', _("Service and bill history"), PREFIX + '/services'),
        ('remaining', _("Remaining days and traffic"), PREFIX + '/account'),
        ('internet_password', _("Change internet password"),
            PREFIX + '/internet-password'),
        ('renew', _("Renew and change service"), PREFIX + '/renew'),
        ('finance', _("Financial operations and virtual bank"),
            PREFIX + '/finance'),
        ('survey', _("Survey"), PREFIX + '/survey'),
        ('messages', _("Message box"), PREFIX + '/messages'),
        ('support', _("Support"), PREFIX + '/support'),
        ]
    return [{'key': k, 'label': l, 'url': u, 'active': k == active}
        for k, l, u in entries]


def route(rule, methods=('GET',), login=True, multiline=()):
    """Registers a portal page: a database transaction in the portal's
    language, the CSRF check of every POST, and the login check.
    `multiline`: the form fields that are textareas (tab and line breaks
    allowed, see errors.refuse_control_characters)."""
    def decorator(func):
        @functools.wraps(func)
        def handle(request, **kwargs):
            visit = Visit(request)
            if request.method == 'POST' and not csrf_valid(request):
                return visit.render('error.html', status=403,
                    message=visit._("Your form has expired. Please reload "
                        "the page and try again."))
            if login and not visit.load_session():
                if request.method == 'POST' and wants_json(request):
                    return json_response({'ok': False,
                            'message': visit._("Your session has ended. "
                                "Please log in again.")}, 401)
                return redirect(PREFIX + '/login')
            response = func(visit, **kwargs)
            if visit.session and isinstance(response, Response):
                # The subscriber's data (the internet password on some
                # pages) must not stay in a shared browser's cache.
                response.headers['Cache-Control'] = 'no-store'
            return response
        # Read by errors.guard from the endpoint (functools.wraps copies
        # the attributes of `handle` onto the registered endpoint).
        handle.multiline = tuple(multiline)
        database_route(PREFIX + rule, methods,
            context={'language': portal_language()})(handle)
        return func
    return decorator


def json_response(data, status=200):
    return Response(json.dumps(data, ensure_ascii=False), status=status,
        content_type='application/json; charset=utf-8')


@app.route(PREFIX + '/static/<path:filename>', methods=['GET'])
def static(request, filename):
    response = send_from_directory(STATIC, filename, request.environ,
        max_age=7 * 24 * 3600)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@app.route(PREFIX, methods=['GET'])
def portal_root(request):
    return redirect(PREFIX + '/')


# --- Login, password reset, logout -----------------------------------------

def blocked_message(visit, until):
    # One message for a blocked address and a blocked account: it does not
    # tell a stranger which accounts exist.
    return visit._("Too many wrong attempts from your address. You can try "
        "again at %(time)s.", time=jalali.jalali_datetime(until))


@route('/login', methods=('GET', 'POST'), login=False)
def login(visit):
    pool = Pool()
    IPBlock = pool.get('partak.portal.ip_block')
    WebUser = pool.get('web.user')
    Session = pool.get('web.user.session')
    request, _ = visit.request, visit._
    if request.method == 'GET' and visit.load_session():
        return redirect(PREFIX + '/')
    error, login_value = None, ''
    until = IPBlock.blocked_until_for(visit.ip_address)
    if until:
        error = blocked_message(visit, until)
    elif request.method == 'POST':
        login_value = request.form.get('login', '').strip()[:64]
        account = WebUser.login_key(login_value)
        until = IPBlock.account_blocked_until(account)
        if until:
            # Even with the right password: a guess from many addresses.
            return visit.render('login.html', status=429,
                error=blocked_message(visit, until), login=login_value)
        user = WebUser.portal_authenticate(
            login_value, request.form.get('password', ''))
        if user and user.party:
            IPBlock.record_success(visit.ip_address, account)
            key = Session.add(user)
            response = redirect(PREFIX + '/')
            response.set_cookie(SESSION_COOKIE, key, httponly=True,
                samesite='Lax', path=PREFIX, secure=cookie_secure(request))
            return finish(request, response)
        until = IPBlock.record_failure(visit.ip_address, account)
        error = (blocked_message(visit, until) if until
            else _("The username or password is wrong."))
    return visit.render('login.html', error=error, login=login_value,
        status=429 if until else (401 if error else 200))


@route('/forgot', methods=('GET', 'POST'), login=False)
def forgot(visit):
    pool = Pool()
    IPBlock = pool.get('partak.portal.ip_block')
    WebUser = pool.get('web.user')
    SMS = pool.get('partak.sms')
    request, _ = visit.request, visit._
    error = done = None
    form = request.form
    username = form.get('username', '')[:64]
    account = WebUser.login_key(username) if request.method == 'POST' else None
    until = (IPBlock.blocked_until_for(visit.ip_address)
        or (account and IPBlock.account_blocked_until(account)))
    if until:
        error = blocked_message(visit, until)
    elif request.method == 'POST':
        user = WebUser.find_by_login(username)
        code = validators.latin_digits(form.get('national_code', '')).strip()
        mobile = validators.latin_digits(form.get('mobile', '')).strip()
        party = user.party if user else None
        if (party and party.national_code and party.mobile
                and party.national_code == code and party.mobile == mobile):
            password = generate_password(8)
            WebUser.write([user], {
                    'password_hash': WebUser.hash_password(password)})
            end_sessions(user)
            SMS.queue(party, _("Your new customer panel password: %(pw)s",
                    pw=password), reason=_("Panel password reset"))
            IPBlock.record_success(visit.ip_address, account)
        else:
            until = IPBlock.record_failure(visit.ip_address, account)
            if until:
                error = blocked_message(visit, until)
        if not error:
            # The same answer whatever matched: no field is confirmed.
            done = _("If the details you entered match our records, a new "
                "password has been sent by SMS to the registered mobile.")
    return visit.render('forgot.html', error=error, done=done)


def end_sessions(user, keep=None):
    "Ends the web sessions of `user` (but `keep`): after a password change."
    Session = Pool().get('web.user.session')
    domain = [('user', '=', user.id)]
    if keep:
        domain.append(('id', '!=', keep.id))
    Session.delete(Session.search(domain))


@route('/logout', methods=('POST',))
def logout(visit):
    Session = Pool().get('web.user.session')
    Session.delete([visit.session])
    response = redirect(PREFIX + '/login')
    response.delete_cookie(SESSION_COOKIE, path=PREFIX,
        secure=cookie_secure(visit.request))
    return response


@route('/password', methods=('GET', 'POST'))
def change_password(visit):
    WebUser = Pool().get('web.user')
    request, _ = visit.request, visit._
    errors, done = {}, None
    if request.method == 'POST':
        old = request.form.get('old', '')
        new = request.form.get('new', '')
        repeat = request.form.get('repeat', '')
        valid, _unused = WebUser.check_password(
            old, visit.user.password_hash or '')
        if not valid:
            errors['old'] = _("The current password is wrong.")
        if len(new) < 8:
            errors['new'] = _("The new password must have at least 8 "
                "characters.")
        elif new != repeat:
            errors['repeat'] = _("The two new passwords are not the same.")
        if not errors:
            WebUser.write([visit.user], {
                    'password_hash': WebUser.hash_password(new)})
            # Whoever knew the old password is logged out everywhere else.
            end_sessions(visit.user, keep=visit.session)
            done = _("Your panel password has been changed.")
    return visit.page('password.html', errors=errors, done=done)


# --- Dashboard, history, messages -------------------------------------------

def company_name():
    Company = Pool().get('company.company')
    companies = Company.search([], limit=1, order=[('id', 'ASC')])
    return companies[0].party.name if companies else ''


@route('/')
def dashboard(visit):
    lines = sorted(visit.party.lines, key=lambda l: l.id)
    accounts = [a for l in lines for a in l.accounts if a.active]
    return visit.page('dashboard.html', lines=lines, accounts=accounts,
        company=company_name(), today=jalali.today_local())


@route('/history')
def history(visit):
    lines = sorted(visit.party.lines, key=lambda l: l.id)
    rows = {l.id: sorted(l.history, key=lambda h: (h.date, h.id))
        for l in lines}
    return visit.page('history.html', active='history', lines=lines,
        rows=rows)


def paging(request, total):
    try:
        size = int(request.args.get('size', PAGE_SIZES[0]))
    except ValueError:
        size = PAGE_SIZES[0]
    if size not in PAGE_SIZES:
        size = PAGE_SIZES[0]
    pages = max(1, -(-total // size))
    try:
        page = min(max(1, int(request.args.get('page', 1))), pages)
    except ValueError:
        page = 1
    return {'size': size, 'page': page, 'pages': pages, 'total': total,
        'offset': (page - 1) * size, 'sizes': PAGE_SIZES}


@route('/messages')
def messages(visit):
    SMS = Pool().get('partak.sms')
    # A message the provider finally refused never reached the phone.
    domain = [('party', '=', visit.party.id), ('state', '!=', 'failed')]
    pager = paging(visit.request, SMS.search_count(domain))
    rows = SMS.search(domain, offset=pager['offset'], limit=pager['size'])
    return visit.page('messages.html', active='messages', rows=rows,
        pager=pager)


# --- Profile and documents ---------------------------------------------------

PROFILE_FIELDS = ('name', 'mobile', 'email', 'national_code', 'postal_code',
    'education', 'birth_date', 'street')


def profile_values(party):
    address = party.addresses[0] if party.addresses else None
    date_field = ('registration_date' if party.subscriber_kind == 'company'
        else 'birth_date')
    return {
        'name': party.name or '',
        'mobile': party.mobile or '',
        'email': party.email or '',
        'national_code': party.national_code or '',
        'postal_code': (address.postal_code if address else '') or '',
        'education': party.education or '',
        'birth_date': jalali.jalali_date(getattr(party, date_field)),
        'street': (address.street if address else '') or '',
        }


def validate_profile(_, form, party, date_locked):
    "Server-side checks with one clear Persian message per field."
    values = {k: validators.latin_digits(form.get(k, '')).strip()[:255]
        for k in PROFILE_FIELDS}
    errors = {}
    if len(values['name']) < 3:
        errors['name'] = _("Enter your full name.")
    if not validators.is_mobile(values['mobile']):
        errors['mobile'] = _("The mobile number must be 11 digits and start "
            "with 09.")
    if values['email'] and not validators.is_email(values['email']):
        errors['email'] = _("The email address is not valid.")
    if not validators.is_national_code(values['national_code']):
        errors['national_code'] = _("The national code is not valid.")
    if values['postal_code'] and not validators.is_postal_code(
            values['postal_code']):
        errors['postal_code'] = _("The postal code must be 10 digits.")
    if values['education'] not in {'', 'below_diploma', 'diploma',
            'associate', 'bachelor', 'master', 'doctorate'}:
        errors['education'] = _("Choose your education from the list.")
    birth = None
    if not date_locked and values['birth_date']:
        try:
            birth = jalali.parse_jalali_date(values['birth_date'])
        except ValueError:
            errors['birth_date'] = _("Enter the date as year/month/day, "
                "for example 1365/04/12.")
        else:
            if birth > datetime.date.today():
                errors['birth_date'] = _("The date cannot be in the future.")
    return values, birth, errors


@route('/profile', methods=('GET', 'POST'), multiline=('street',))
def profile(visit):
    pool = Pool()
    Party = pool.get('party.party')
    Address = pool.get('party.address')
    request, _ = visit.request, visit._
    party = visit.party
    date_field = ('registration_date' if party.subscriber_kind == 'company'
        else 'birth_date')
    date_locked = bool(getattr(party, date_field))
    errors, done = {}, None
    values = profile_values(party)
    if request.method == 'POST':
        values, birth, errors = validate_profile(
            _, request.form, party, date_locked)
        if date_locked:
            values['birth_date'] = jalali.jalali_date(
                getattr(party, date_field))
        if not errors:
            to_write = {
                'name': values['name'],
                'national_code': values['national_code'],
                'education': values['education'] or None,
                }
            if birth and not date_locked:
                to_write[date_field] = birth
            try:
                Party.write([party], to_write)
                party.set_contact('mobile', values['mobile'])
                party.set_contact('email', values['email'])
                if party.addresses:
                    Address.write([party.addresses[0]], {
                            'street': values['street'],
                            'postal_code': values['postal_code'] or None})
                else:
                    Address.create([{'party': party.id,
                                'street': values['street'],
                                'postal_code': values['postal_code'] or None}])
            except (ValidationError, UserError) as exception:
                Transaction().rollback()
                errors['form'] = exception.message
            else:
                done = _("Your profile has been saved.")
                date_locked = bool(getattr(Party(party.id), date_field))
    Document = pool.get('partak.document')
    documents = Document.search([('subscriber', '=', party.id)])
    return visit.page('profile.html', active='profile', values=values,
        errors=errors, done=done, date_locked=date_locked,
        date_field=date_field, documents=documents,
        tab=request.args.get('tab', 'edit'),
        document_types=document_types())


def document_types():
    Document = Pool().get('partak.document')
    selection = Document.fields_get(['type'])['type']['selection']
    return [(k, v) for k, v in selection]


def upload_message(_, refused):
    limit_mb = refused.params.get('limit', 0) // (1024 * 1024)
    return {
        'empty': _("The file is empty."),
        'too_big': _("The file is larger than %(mb)s MB.", mb=limit_mb),
        'bad_type': _("Only JPEG, PNG or WEBP images and PDF files are "
            "accepted."),
        'too_many_pixels': _("The image is too large in pixels."),
        'too_small': _("The image is too small to be read; photograph the "
            "whole document."),
        'damaged': _("The file is damaged or incomplete."),
        'no_type': _("Choose the kind of document."),
        }[refused.reason]


@route('/documents/upload', methods=('POST',))
def upload_document(visit):
    pool = Pool()
    Document = pool.get('partak.document')
    request, _ = visit.request, visit._
    upload = request.files.get('file')
    kind = request.form.get('type', '')
    try:
        if kind not in dict(document_types()):
            raise UploadRefused('no_type')
        if upload is None:
            raise UploadRefused('empty')
        # One byte more than allowed, so that "too big" is detected.
        data = upload.stream.read(max_bytes() + 1)
        mimetype = check_document(data)
    except UploadRefused as refused:
        return json_response({'ok': False,
                'message': upload_message(_, refused)}, 400)
    name = re.sub(r'[^\w.\-]+', '_', os.path.basename(
            upload.filename or ''))[:80] or 'document'
    stem = name.rsplit('.', 1)[0]
    filename = '%s.%s' % (stem, EXTENSIONS[mimetype])
    document, = Document.create([{
                'subscriber': visit.party.id,
                'type': kind,
                'file': data,
                'filename': filename,
                'mimetype': mimetype,
                'size': len(data),
                'channel': 'portal',
                }])
    return json_response({'ok': True, 'id': document.id,
            'message': _("Received; staff will review it.")})

