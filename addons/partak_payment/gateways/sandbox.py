# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The sandbox bank: a bank gateway served by trytond itself, for the demo
and the tests.  It behaves like an Iranian internet payment gateway:

``request``  (the adapter, in the merchant's transaction)
    stores a ``partak.payment.sandbox`` row — merchant, amount, order,
    callback — under a new random token and answers the bank page's URL.
``GET  /bank/sandbox/pay/<token>``
    the bank's page (Persian, RTL): merchant, amount «6,791,233 ریال»,
    order number and two buttons, «پرداخت موفق» and «انصراف / پرداخت
    ناموفق».
``POST /bank/sandbox/pay/<token>``  (form field ``choice``: success|failure)
    records the payer's choice once (the token is the only credential:
    no CSRF cookie, but a random token bound to one payment) and sends the
    browser to the callback URL with ``token``, ``status`` (OK | NOK) and,
    on success, ``reference``.
A token not used within ``[partak] sandbox_token_minutes`` (30) expires:
the page can only go back, verify answers -54.
``POST /bank/sandbox/verify``  (JSON ``{"merchant_id", "token", "amount"}``)
    the merchant's server-to-server check.  Answers
    ``{"ok": true, "code": 100, "amount": ..., "reference": ...}`` only
    once the payer chose success and for the exact amount; otherwise
    ``{"ok": false, "code": <negative>, "message": ...}`` with a code of
    ``CODES``.  Verify only reads, so it may be asked again.

The state lives in the database so that the page, the callback and verify
may run in different processes.  URLs start with ``[partak] sandbox_url``
(default: the public address of Payment Settings + ``/bank/sandbox``,
never the request's host); the routes
serve the database ``[partak] portal_database`` (default ``partak``).  The
verify call goes through HTTP, so the trytond serving the portal must
answer more than one request at a time (the ``trytond`` command does).
"""
import datetime
import functools
import hmac
import json
import logging
import os
import secrets
import urllib.parse

import jinja2
from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect, send_from_directory
from werkzeug.wrappers import Response

from trytond import config
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.modules.partak_subscriber.http import database_route
from trytond.wsgi import app

from .base import (
    Gateway, GatewayError, VerifyResult, fake_banks_enabled, public_url,
    register)

logger = logging.getLogger(__name__)

PREFIX = '/bank/sandbox'
HERE = os.path.dirname(os.path.dirname(__file__))
STATIC = os.path.join(HERE, 'static')
DEFAULT_MERCHANT = 'SANDBOX-MERCHANT'

# The sandbox's answer codes, in the manner of Iranian gateways.
OK = 100
CODES = {
    OK: "تراکنش با موفقیت تایید شد",
    -1: "اطلاعات ارسال شده ناقص است",
    -11: "تراکنشی با این شناسه یافت نشد",
    -12: "کد پذیرنده با تراکنش مطابقت ندارد",
    -21: "مبلغ ارسال شده با مبلغ تراکنش برابر نیست",
    -51: "پرداخت انجام نشد یا پرداخت کننده انصراف داد",
    -52: "پرداخت هنوز انجام نشده است",
    -54: "مهلت پرداخت به پایان رسیده است",
    }
#: codes that say nothing final yet: the payment stays open
PENDING_CODES = {-52}


def token_minutes():
    "How long the payer may take on the bank's page: [partak] "
    "sandbox_token_minutes (default 30)."
    return config.getint('partak', 'sandbox_token_minutes', default=30)


def sandbox_url():
    """Base URL of the sandbox bank: [partak] sandbox_url, else the public
    address of the portal (Payment Settings) + /bank/sandbox.  Never the
    request's host: verify must reach this server, not the caller's.
    Raises NoPublicURL (a GatewayError) when neither is set."""
    url = config.get('partak', 'sandbox_url')
    if not url:
        url = public_url() + PREFIX
    return url.rstrip('/')


def format_rials(amount):
    return '{:,}'.format(int(amount or 0))


class SandboxTransaction(ModelSQL, ModelView):
    """A payment as the sandbox bank records it: the token it issued, the
    merchant's request and the payer's choice on the bank's page."""
    __name__ = 'partak.payment.sandbox'
    __string__ = "Sandbox Bank Transaction"
    token = fields.Char("Token", required=True, readonly=True, strip=False)
    merchant_id = fields.Char("Merchant ID", required=True, readonly=True)
    merchant_name = fields.Char("Merchant", readonly=True)
    amount = fields.Integer("Amount", required=True, readonly=True)
    order_number = fields.Char("Order Number", readonly=True)
    description = fields.Char("Description", readonly=True)
    callback_url = fields.Char("Callback URL", required=True, readonly=True,
        strip=False)
    state = fields.Selection([
            ('waiting', "Waiting for the Payer"),
            ('paid', "Paid"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True)
    reference = fields.Char("Reference", readonly=True)
    decided_at = fields.DateTime("Decided At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('token_unique', Unique(t, t.token),
                'partak_payment.msg_sandbox_token_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.token, Index.Equality())))
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]

    @staticmethod
    def default_state():
        return 'waiting'

    def get_rec_name(self, name):
        return self.token

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('token', *clause[1:])]

    @classmethod
    def find(cls, token):
        if not token or len(token) > 128:
            return None
        records = cls.search([('token', '=', token)], limit=1)
        return records[0] if records else None

    @classmethod
    def new_reference(cls):
        "A 12-digit reference (retrieval) number like a bank's."
        return '%012d' % (secrets.randbelow(9 * 10 ** 11) + 10 ** 11)

    @property
    def expired(self):
        "A waiting token past its lifetime: the payer can no longer pay."
        return bool(self.state == 'waiting' and self.create_date
            and datetime.datetime.now() - self.create_date
            > datetime.timedelta(minutes=token_minutes()))

    def decide(self, success):
        """Records the payer's choice once; later choices change nothing.
        An expired token can only be cancelled."""
        if self.expired:
            success = False
        if self.state == 'waiting':
            self.state = 'paid' if success else 'cancelled'
            self.reference = self.new_reference() if success else None
            self.decided_at = datetime.datetime.now()
            self.save()

    def return_url(self):
        "The callback URL with the bank's parameters."
        params = {'token': self.token,
            'status': 'OK' if self.state == 'paid' else 'NOK'}
        if self.state == 'paid':
            params['reference'] = self.reference
        separator = '&' if urllib.parse.urlsplit(self.callback_url).query \
            else ('' if self.callback_url.endswith('?') else '?')
        return self.callback_url + separator + urllib.parse.urlencode(params)

    def verify(self, merchant_id, amount):
        "The answer of verify: (code, amount, reference)."
        if not hmac.compare_digest(
                str(merchant_id).encode('utf-8'),
                self.merchant_id.encode('utf-8')):
            return -12, None, None
        if self.expired:
            return -54, None, None
        if self.state == 'waiting':
            return -52, None, None
        if self.state != 'paid':
            return -51, None, None
        if amount != self.amount:
            return -21, None, None
        return OK, self.amount, self.reference


@register
class SandboxGateway(Gateway):
    "Adapter of the sandbox bank (type 'sandbox')."
    type = 'sandbox'

    def merchant_id(self):
        return self.record.merchant_id or DEFAULT_MERCHANT

    def request(self, payment, callback_url):
        # It pays whatever the payer chooses: Payment.start refuses it
        # where the fake banks are off (PaymentGateway.fake).
        Sandbox = Pool().get('partak.payment.sandbox')
        company = self.record.company
        token = secrets.token_urlsafe(24)
        # The bank's own record: written directly, the sandbox being part
        # of this server (a real bank is asked over HTTP here).
        Sandbox.create([{
                    'token': token,
                    'merchant_id': self.merchant_id(),
                    'merchant_name': (company.party.name if company
                        else None),
                    'amount': payment.amount,
                    'order_number': payment.order.number,
                    'description': payment.order.rec_name,
                    'callback_url': callback_url,
                    }])
        payment.token = token
        return '%s/pay/%s' % (sandbox_url(), token)

    def verify(self, payment, params):
        try:
            answer = self.post_json(sandbox_url() + '/verify', {
                    'merchant_id': self.merchant_id(),
                    'token': payment.token,
                    'amount': payment.amount,
                    })
            code = int(answer.get('code'))
        except (GatewayError, TypeError, ValueError) as error:
            logger.warning("sandbox verify of payment %s: %s",
                payment.id, error)
            return self.unreachable(error)
        message = answer.get('message') or CODES.get(code, '')
        if answer.get('ok') is True and code == OK:
            return VerifyResult(True, amount=int(answer['amount']),
                reference=str(answer['reference']), code=str(code),
                message=message)
        return VerifyResult(False, code=str(code), message=message,
            final=code not in PENDING_CODES)


# -- the bank's HTTP side --------------------------------------------------

@functools.lru_cache(maxsize=None)
def environment():
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.path.join(HERE, 'templates')),
        autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters['rials'] = format_rials
    return env


def secure(response):
    response.headers['X-Frame-Options'] = 'DENY'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    # no-referrer would make browsers post the form with "Origin: null",
    # which trytond refuses.
    response.headers['Referrer-Policy'] = 'same-origin'
    response.headers['Cache-Control'] = 'no-store'
    response.headers['Content-Security-Policy'] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        "script-src 'none'; frame-ancestors 'none'")
    return response


def page(template, status=200, **values):
    html = environment().get_template(template).render(**values)
    return secure(Response(html, status=status,
            content_type='text/html; charset=utf-8'))


def json_response(data, status=200):
    return secure(Response(json.dumps(data, ensure_ascii=False),
            status=status, content_type='application/json; charset=utf-8'))


def bank_route(rule, methods, readonly):
    """A route of the bank, in its own transaction on the portal database;
    not found where the fake banks are off (fake_banks_enabled)."""
    route = database_route(PREFIX + rule, methods, readonly=readonly,
        context={'language': 'fa'})

    def decorator(func):
        @functools.wraps(func)
        def wrapper(request, *args, **kwargs):
            if not fake_banks_enabled():
                raise NotFound()
            return func(request, *args, **kwargs)
        return route(wrapper)
    return decorator


@bank_route('/pay/<token>', methods=('GET',), readonly=True)
def pay_page(request, token):
    Sandbox = Pool().get('partak.payment.sandbox')
    record = Sandbox.find(token)
    if not record:
        return page('sandbox_message.html', status=404,
            title="تراکنش یافت نشد",
            text="این پرداخت نزد بانک وجود ندارد یا نشانی آن نادرست است.")
    return page('sandbox_pay.html', record=record,
        action='%s/pay/%s' % (PREFIX, urllib.parse.quote(record.token)),
        error=CODES[-54] if record.expired else None)


@bank_route('/pay/<token>', methods=('POST',), readonly=False)
def pay_choose(request, token):
    Sandbox = Pool().get('partak.payment.sandbox')
    record = Sandbox.find(token)
    if not record:
        return page('sandbox_message.html', status=404,
            title="تراکنش یافت نشد",
            text="این پرداخت نزد بانک وجود ندارد یا نشانی آن نادرست است.")
    choice = request.form.get('choice')
    if choice not in ('success', 'failure'):
        return page('sandbox_pay.html', status=400, record=record,
            action='%s/pay/%s' % (PREFIX, urllib.parse.quote(record.token)),
            error="یکی از دو گزینه را انتخاب کنید.")
    Sandbox.lock([record])
    record = Sandbox(record.id)
    record.decide(choice == 'success')
    return redirect(record.return_url(), code=303)


@bank_route('/verify', methods=('POST',), readonly=True)
def verify(request):
    Sandbox = Pool().get('partak.payment.sandbox')
    try:
        data = json.loads(request.get_data(as_text=True) or 'null')
        token = data['token']
        amount = data['amount']
        merchant_id = data['merchant_id']
        if not (isinstance(token, str) and isinstance(merchant_id, str)
                and isinstance(amount, int)
                and not isinstance(amount, bool)):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return json_response({'ok': False, 'code': -1, 'message': CODES[-1]},
            status=400)
    record = Sandbox.find(token)
    if not record:
        code, paid, reference = -11, None, None
    else:
        code, paid, reference = record.verify(merchant_id, amount)
    answer = {'ok': code == OK, 'code': code, 'message': CODES[code]}
    if code == OK:
        answer.update(amount=paid, reference=reference)
    return json_response(answer)


@app.route(PREFIX + '/static/<path:filename>', methods=['GET'])
def static(request, filename):
    if not fake_banks_enabled():
        raise NotFound()
    response = send_from_directory(STATIC, filename, request.environ,
        max_age=24 * 3600)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response
