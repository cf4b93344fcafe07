# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Local test servers of the real banks: one small WSGI app per bank that
speaks that bank's published protocol (request, the bank's payment page,
the callback with the bank's parameters, verify / settle / reverse and
their error codes), so that the adapters can be exercised without the
bank.  Used by the tests (``make_server('127.0.0.1', 0, BANKS[type]())``)
and mounted in trytond under ``/bank/test/<type>/`` for the demo when
``[partak] test_banks`` is on, e.g. ``/bank/test/zarinpal`` as a gateway's
Bank Service URL (resolved against the public address of Payment
Settings); the links the mounted banks answer start with ``[partak]
test_banks_url``.

The state is kept in memory (one process; the trytond of the demo serves
its threads from it) and guarded by a lock; it is lost on restart.  The
banks accept any non-empty merchant unless built with ``merchants``.  The
payer's page is Persian, RTL, with «پرداخت موفق» and «انصراف» buttons."""
import html
import json
import logging
import secrets
import threading
import urllib.parse
from xml.etree import ElementTree

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from trytond import config
from trytond.wsgi import app

from .base import fake_banks_enabled

PREFIX = '/bank/test'
logger = logging.getLogger(__name__)

PAGE = """<!DOCTYPE html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:Vazirmatn,Tahoma,sans-serif;background:#f4f6f9;
margin:0;padding:2rem}}main{{max-width:32rem;margin:auto;background:#fff;
border-radius:.5rem;padding:1.5rem;box-shadow:0 1px 4px #0002}}
dt{{color:#666}}dd{{margin:0 0 .75rem;font-weight:bold}}
button{{font:inherit;padding:.5rem 1.25rem;margin-left:.5rem;border:0;
border-radius:.25rem;cursor:pointer}}.ok{{background:#198754;color:#fff}}
.no{{background:#dc3545;color:#fff}}</style></head>
<body><main data-bank="{bank}" data-state="{state}">
<h1>{title}</h1>{body}</main></body></html>"""


def page(bank, title, body, state='', status=200):
    response = Response(PAGE.format(title=html.escape(title),
            bank=html.escape(bank), state=html.escape(state), body=body),
        status=status, content_type='text/html; charset=utf-8')
    response.headers['X-Frame-Options'] = 'DENY'
    response.headers['Referrer-Policy'] = 'same-origin'
    response.headers['Cache-Control'] = 'no-store'
    return response


def json_response(data, status=200):
    return Response(json.dumps(data, ensure_ascii=False), status=status,
        content_type='application/json; charset=utf-8')


def rials(amount):
    return '{:,}'.format(int(amount or 0))


def add_query(url, params):
    separator = '&' if urllib.parse.urlsplit(url).query else '?'
    return url + separator + urllib.parse.urlencode(params)


def integer(value):
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class Bank:
    """The bank's side: ``dispatch(request, base, path)`` answers a request
    for ``path`` under the bank's root URL ``base``; the instance is also a
    WSGI app serving the bank at the root of its server."""
    type = None
    title = None
    #: how the payer returns: 'get' (redirect) or 'post' (a form)
    callback_method = 'get'
    rules = []

    def __init__(self, merchants=None):
        self.merchants = set(merchants) if merchants is not None else None
        self.lock = threading.Lock()
        self.payments = {}
        self.url_map = Map([Rule(path, endpoint=endpoint, methods=methods)
                for path, endpoint, methods in self.rules])

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self.dispatch(request, request.host_url.rstrip('/'),
            request.path)
        return response(environ, start_response)

    def dispatch(self, request, base, path):
        adapter = self.url_map.bind('bank', '/')
        try:
            endpoint, args = adapter.match(path, method=request.method)
            return getattr(self, endpoint)(request, base, **args)
        except HTTPException as error:
            return error.get_response(request.environ)

    def accepts(self, merchant):
        return bool(merchant) and isinstance(merchant, str) and (
            self.merchants is None or merchant in self.merchants)

    def new(self, token, **values):
        with self.lock:
            self.payments[token] = dict(values, token=token, state='waiting',
                reference=None)
        return token

    def find(self, token):
        return self.payments.get(str(token)) if token is not None else None

    @staticmethod
    def reference():
        return '%012d' % (secrets.randbelow(9 * 10 ** 11) + 10 ** 11)

    # -- the payer's page ----------------------------------------------

    def pay_page(self, request, base, token, action):
        "The bank's page for ``token``; a POST with ``choice`` decides."
        payment = self.find(token)
        if not payment:
            return page(self.type, "تراکنش یافت نشد",
                "<p>این پرداخت نزد بانک وجود ندارد.</p>", status=404)
        if request.method == 'POST' and request.form.get('choice'):
            choice = request.form['choice']
            if choice not in ('success', 'failure'):
                return page(self.type, self.title,
                    "<p>یکی از دو گزینه را انتخاب کنید.</p>", status=400)
            with self.lock:
                # The first choice counts; later ones only go back.
                if payment['state'] == 'waiting':
                    payment['state'] = ('paid' if choice == 'success'
                        else 'cancelled')
                    if choice == 'success':
                        payment['reference'] = self.reference()
            return self.go_back(payment)
        buttons = ''
        if payment['state'] == 'waiting':
            buttons = ('<form method="post" action="%s">'
                '<button class="ok" id="pay-success" name="choice" '
                'value="success">پرداخت موفق</button>'
                '<button class="no" id="pay-failure" name="choice" '
                'value="failure">انصراف</button></form>') % html.escape(
                    action)
        body = ('<p>درگاه آزمایشی این بانک روی همین سرور؛ پولی جابه‌جا '
            'نمی‌شود.</p><dl><dt>پذیرنده</dt><dd>%s</dd>'
            '<dt>مبلغ</dt><dd><span>%s</span> ریال</dd>'
            '<dt>شماره سفارش</dt><dd>%s</dd></dl>%s') % (
            html.escape(str(payment.get('merchant') or '')),
            rials(payment['amount']),
            html.escape(str(payment.get('order_id') or '')), buttons)
        return page(self.type, self.title, body, state=payment['state'])

    def go_back(self, payment):
        params = self.callback_params(payment)
        if self.callback_method == 'get':
            return redirect(add_query(payment['callback'], params), code=303)
        fields = ''.join('<input type="hidden" name="%s" value="%s">' % (
                html.escape(k), html.escape(str(v)))
            for k, v in params.items() if v is not None)
        return page(self.type, self.title,
            '<form method="post" action="%s" id="callback">%s'
            '<button class="ok">بازگشت به سایت پذیرنده</button></form>' % (
                html.escape(payment['callback']), fields),
            state=payment['state'])

    def callback_params(self, payment):
        raise NotImplementedError


class Zarinpal(Bank):
    type = 'zarinpal'
    title = "درگاه پرداخت زرین‌پال (آزمایشی)"
    rules = [
        ('/pg/v4/payment/request.json', 'request', ['POST']),
        ('/pg/v4/payment/verify.json', 'verify', ['POST']),
        ('/pg/StartPay/<token>', 'start', ['GET', 'POST']),
        ]

    @staticmethod
    def error(code, status=400):
        return json_response({'data': [], 'errors': {'code': code,
                    'message': 'error %s' % code, 'validations': []}},
            status=status)

    def request(self, request, base):
        data = request.get_json(silent=True) or {}
        if not isinstance(data, dict):
            return self.error(-9)
        if not self.accepts(data.get('merchant_id')):
            return self.error(-10, 401)
        amount = data.get('amount')
        if (integer(amount) is None or isinstance(amount, str)
                or amount < 1000 or not data.get('callback_url')):
            return self.error(-9)
        token = 'A' + ''.join(secrets.choice(
                '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU'
                'VWXYZ') for _ in range(35))
        self.new(token, merchant=data['merchant_id'], amount=amount,
            callback=data['callback_url'],
            order_id=(data.get('metadata') or {}).get('order_id'))
        return json_response({'data': {'code': 100, 'message': 'Success',
                    'authority': token, 'fee_type': 'Merchant', 'fee': 0},
                'errors': []})

    def start(self, request, base, token):
        return self.pay_page(request, base, token,
            base + '/pg/StartPay/' + urllib.parse.quote(token))

    def callback_params(self, payment):
        return {'Authority': payment['token'],
            'Status': 'OK' if payment['state'] == 'paid' else 'NOK'}

    def verify(self, request, base):
        data = request.get_json(silent=True) or {}
        if not isinstance(data, dict) or not self.accepts(
                data.get('merchant_id')):
            return self.error(-10, 401)
        with self.lock:
            payment = self.find(data.get('authority'))
            if not payment:
                return self.error(-54, 404)
            if payment['merchant'] != data['merchant_id']:
                return self.error(-53, 403)
            if payment['state'] in ('waiting', 'cancelled'):
                return self.error(-51)
            if data.get('amount') != payment['amount']:
                return self.error(-50)
            code = 100 if payment['state'] == 'paid' else 101
            payment['state'] = 'verified'
        return json_response({'data': {'code': code,
                    'message': 'Paid' if code == 100 else 'Verified',
                    'card_hash': '0' * 64, 'card_pan': '502229******5995',
                    'ref_id': int(payment['reference']),
                    'fee_type': 'Merchant', 'fee': 0}, 'errors': []})


class Zibal(Bank):
    type = 'zibal'
    title = "درگاه پرداخت زیبال (آزمایشی)"
    rules = [
        ('/v1/request', 'request', ['POST']),
        ('/v1/verify', 'verify', ['POST']),
        ('/v1/inquiry', 'inquiry', ['POST']),
        ('/start/<token>', 'start', ['GET', 'POST']),
        ]
    STATUS = {'waiting': -1, 'paid': 2, 'verified': 1, 'cancelled': 3}

    @staticmethod
    def answer(result, **values):
        return json_response(dict(values, result=result,
                message='success' if result == 100 else 'error %s' % result))

    def request(self, request, base):
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not self.accepts(
                data.get('merchant')):
            return self.answer(102)
        amount = data.get('amount')
        if integer(amount) is None or isinstance(amount, str) \
                or amount < 1000:
            return self.answer(105)
        if not str(data.get('callbackUrl') or '').startswith('http'):
            return self.answer(106)
        token = str(secrets.randbelow(9 * 10 ** 9) + 10 ** 9)
        self.new(token, merchant=data['merchant'], amount=amount,
            callback=data['callbackUrl'], order_id=data.get('orderId'))
        return self.answer(100, trackId=int(token))

    def start(self, request, base, token):
        return self.pay_page(request, base, token,
            base + '/start/' + urllib.parse.quote(token))

    def callback_params(self, payment):
        paid = payment['state'] == 'paid'
        return {'trackId': payment['token'], 'success': 1 if paid else 0,
            'status': 2 if paid else 3, 'orderId': payment['order_id']}

    def lookup(self, request):
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not self.accepts(
                data.get('merchant')):
            return None, self.answer(102)
        payment = self.find(data.get('trackId'))
        if not payment or payment['merchant'] != data['merchant']:
            return None, self.answer(203)
        return payment, None

    def details(self, payment):
        return {'amount': payment['amount'],
            'refNumber': int(payment['reference']) if payment['reference']
            else None, 'status': self.STATUS[payment['state']],
            'orderId': payment['order_id'], 'cardNumber': '62741****44',
            'paidAt': '2026-01-01T00:00:00.000000'}

    def verify(self, request, base):
        with self.lock:
            payment, error = self.lookup(request)
            if error:
                return error
            if payment['state'] == 'verified':
                return self.answer(201)
            if payment['state'] != 'paid':
                return self.answer(202, status=self.STATUS[payment['state']])
            payment['state'] = 'verified'
            return self.answer(100, **self.details(payment))

    def inquiry(self, request, base):
        with self.lock:
            payment, error = self.lookup(request)
            if error:
                return error
            return self.answer(100, **self.details(payment))


class Idpay(Bank):
    type = 'idpay'
    title = "درگاه پرداخت آیدی‌پی (آزمایشی)"
    callback_method = 'post'
    rules = [
        ('/v1.1/payment', 'request', ['POST']),
        ('/v1.1/payment/verify', 'verify', ['POST']),
        ('/p/ws-sandbox/<token>', 'start', ['GET', 'POST']),
        ]

    @staticmethod
    def error(code, status):
        return json_response({'error_code': code,
                'error_message': 'error %s' % code}, status=status)

    def request(self, request, base):
        key = request.headers.get('X-API-KEY')
        if not self.accepts(key):
            return self.error(12, 403)
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not data.get('order_id'):
            return self.error(32, 406)
        amount = data.get('amount')
        if integer(amount) is None or isinstance(amount, str):
            return self.error(33, 406)
        if amount < 1000:
            return self.error(34, 406)
        if not data.get('callback'):
            return self.error(37, 406)
        token = secrets.token_hex(16)
        self.new(token, merchant=key, amount=amount,
            callback=data['callback'], order_id=str(data['order_id']))
        return json_response({'id': token,
                'link': base + '/p/ws-sandbox/' + token}, status=201)

    def start(self, request, base, token):
        return self.pay_page(request, base, token,
            base + '/p/ws-sandbox/' + urllib.parse.quote(token))

    def callback_params(self, payment):
        paid = payment['state'] == 'paid'
        return {'status': 10 if paid else 7,
            'track_id': payment['reference'] if paid else None,
            'id': payment['token'], 'order_id': payment['order_id'],
            'amount': payment['amount'],
            'card_no': '123456******1234' if paid else None}

    def verify(self, request, base):
        key = request.headers.get('X-API-KEY')
        if not self.accepts(key):
            return self.error(12, 403)
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return self.error(31, 406)
        with self.lock:
            payment = self.find(data.get('id'))
            if (not payment or payment['merchant'] != key
                    or payment['order_id'] != str(data.get('order_id'))):
                return self.error(52, 400)
            if payment['state'] not in ('paid', 'verified'):
                return self.error(53, 405)
            status = 100 if payment['state'] == 'paid' else 101
            payment['state'] = 'verified'
        return json_response({'status': status,
                'track_id': payment['reference'], 'id': payment['token'],
                'order_id': payment['order_id'], 'amount': payment['amount'],
                'payment': {'track_id': payment['reference'],
                    'amount': payment['amount'],
                    'card_no': '123456******1234', 'date': 1700000000},
                'verify': {'date': 1700000060}})


class Sep(Bank):
    type = 'sep'
    title = "درگاه پرداخت سامان — سپ (آزمایشی)"
    callback_method = 'post'
    rules = [
        ('/onlinepg/onlinepg', 'request', ['POST']),
        ('/OnlinePG/SendToken', 'start', ['GET', 'POST']),
        ('/verifyTxnRandomSessionkey/ipg/VerifyTransaction', 'verify',
            ['POST']),
        ('/verifyTxnRandomSessionkey/ipg/ReverseTransaction', 'reverse',
            ['POST']),
        ]

    def request(self, request, base):
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or str(
                data.get('action', '')).lower() != 'token':
            return json_response({'status': -1, 'errorCode': '5',
                    'errorDesc': 'InvalidParameters'})
        terminal = str(data.get('TerminalId') or '')
        if not self.accepts(terminal):
            return json_response({'status': -1, 'errorCode': '12',
                    'errorDesc': 'TerminalNotFound'})
        amount = data.get('Amount')
        if (integer(amount) is None or isinstance(amount, str)
                or amount <= 0 or not data.get('RedirectUrl')
                or not data.get('ResNum')):
            return json_response({'status': -1, 'errorCode': '5',
                    'errorDesc': 'InvalidParameters'})
        token = secrets.token_hex(16)
        self.new(token, merchant=terminal, amount=amount,
            callback=data['RedirectUrl'], order_id=str(data['ResNum']))
        return json_response({'status': 1, 'token': token})

    def start(self, request, base):
        token = request.args.get('token') or request.form.get('Token')
        return self.pay_page(request, base, token, add_query(
                base + '/OnlinePG/SendToken', {'token': token or ''}))

    def callback_params(self, payment):
        paid = payment['state'] == 'paid'
        return {'MID': payment['merchant'], 'TerminalId': payment['merchant'],
            'State': 'OK' if paid else 'CanceledByUser',
            'Status': 2 if paid else 1,
            'RefNum': payment['reference'] if paid else None,
            'ResNum': payment['order_id'],
            'TraceNo': payment['reference'][-6:] if paid else None,
            'Rrn': payment['reference'] if paid else None,
            'Amount': payment['amount'], 'AffectiveAmount': payment['amount'],
            'SecurePan': '621986******1234' if paid else None,
            'Token': payment['token']}

    def lookup(self, request):
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return None, self.result(-2)
        terminal = str(data.get('TerminalNumber') or '')
        if not self.accepts(terminal):
            return None, self.result(-105)
        ref_num = str(data.get('RefNum'))
        for payment in self.payments.values():
            if (payment['reference'] and payment['reference'] == ref_num
                    and payment['merchant'] == terminal):
                return payment, None
        return None, self.result(-2)

    @staticmethod
    def result(code, payment=None):
        answer = {'ResultCode': code, 'ResultDescription': 'code %s' % code,
            'Success': code in (0, 2)}
        if payment:
            answer['TransactionDetail'] = {'RRN': payment['reference'],
                'RefNum': payment['reference'],
                'MaskedPan': '621986******1234',
                'HashedPan': '0' * 64, 'TerminalNumber': int(
                    payment['merchant']) if payment['merchant'].isdigit()
                else payment['merchant'],
                'OrginalAmount': payment['amount'],
                'AffectiveAmount': payment['amount'],
                'StraceDate': '2026-01-01 00:00:00',
                'StraceNo': payment['reference'][-6:]}
        return json_response(answer)

    def verify(self, request, base):
        with self.lock:
            payment, error = self.lookup(request)
            if error:
                return error
            if payment['state'] == 'reversed':
                return self.result(5)
            code = 0 if payment['state'] == 'paid' else 2
            payment['state'] = 'verified'
            return self.result(code, payment)

    def reverse(self, request, base):
        with self.lock:
            payment, error = self.lookup(request)
            if error:
                return error
            if payment['state'] == 'reversed':
                return self.result(2, payment)
            payment['state'] = 'reversed'
            return self.result(0, payment)


MELLAT_NS = 'http://interfaces.core.sw.bps.com/'
SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/'
MELLAT_OPERATIONS = {
    'bpPayRequest': [('terminalId', 'long'), ('userName', 'string'),
        ('userPassword', 'string'), ('orderId', 'long'), ('amount', 'long'),
        ('localDate', 'string'), ('localTime', 'string'),
        ('additionalData', 'string'), ('callBackUrl', 'string'),
        ('payerId', 'long')],
    }
for _operation in ('bpVerifyRequest', 'bpSettleRequest',
        'bpReversalRequest'):
    MELLAT_OPERATIONS[_operation] = [('terminalId', 'long'),
        ('userName', 'string'), ('userPassword', 'string'),
        ('orderId', 'long'), ('saleOrderId', 'long'),
        ('saleReferenceId', 'long')]


def mellat_wsdl(location):
    "Mellat's WSDL (document/literal), with its service at ``location``."
    types, messages, ports, bindings = [], [], [], []
    for name, fields in MELLAT_OPERATIONS.items():
        elements = ''.join(
            '<xs:element minOccurs="0" name="%s" type="xs:%s"/>' % field
            for field in fields)
        types.append(
            '<xs:element name="{0}" type="tns:{0}"/>'
            '<xs:element name="{0}Response" type="tns:{0}Response"/>'
            '<xs:complexType name="{0}"><xs:sequence>{1}</xs:sequence>'
            '</xs:complexType><xs:complexType name="{0}Response">'
            '<xs:sequence><xs:element minOccurs="0" name="return" '
            'type="xs:string"/></xs:sequence></xs:complexType>'.format(
                name, elements))
        messages.append(
            '<wsdl:message name="{0}"><wsdl:part name="parameters" '
            'element="tns:{0}"/></wsdl:message><wsdl:message '
            'name="{0}Response"><wsdl:part name="parameters" '
            'element="tns:{0}Response"/></wsdl:message>'.format(name))
        ports.append(
            '<wsdl:operation name="{0}"><wsdl:input name="{0}" '
            'message="tns:{0}"/><wsdl:output name="{0}Response" '
            'message="tns:{0}Response"/></wsdl:operation>'.format(name))
        bindings.append(
            '<wsdl:operation name="{0}"><soap:operation soapAction="" '
            'style="document"/><wsdl:input name="{0}"><soap:body '
            'use="literal"/></wsdl:input><wsdl:output name="{0}Response">'
            '<soap:body use="literal"/></wsdl:output></wsdl:operation>'
            .format(name))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="{ns}" '
        'name="PaymentGatewayImplService" targetNamespace="{ns}">'
        '<wsdl:types><xs:schema targetNamespace="{ns}" '
        'elementFormDefault="unqualified">{types}</xs:schema></wsdl:types>'
        '{messages}<wsdl:portType name="IPaymentGateway">{ports}'
        '</wsdl:portType><wsdl:binding '
        'name="PaymentGatewayImplServiceSoapBinding" '
        'type="tns:IPaymentGateway"><soap:binding style="document" '
        'transport="http://schemas.xmlsoap.org/soap/http"/>{bindings}'
        '</wsdl:binding><wsdl:service name="PaymentGatewayImplService">'
        '<wsdl:port binding="tns:PaymentGatewayImplServiceSoapBinding" '
        'name="PaymentGatewayImplPort"><soap:address location="{location}"/>'
        '</wsdl:port></wsdl:service></wsdl:definitions>').format(
        ns=MELLAT_NS, types=''.join(types), messages=''.join(messages),
        ports=''.join(ports), bindings=''.join(bindings),
        location=html.escape(location))


class Mellat(Bank):
    type = 'mellat'
    title = "درگاه پرداخت به‌پرداخت ملت (آزمایشی)"
    callback_method = 'post'
    rules = [
        ('/pgwchannel/services/pgw', 'soap', ['GET', 'POST']),
        ('/pgwchannel/startpay.mellat', 'start', ['GET', 'POST']),
        ]

    def __init__(self, merchants=None, users=None):
        super().__init__(merchants)
        #: {terminal: (user, password)}; None: any
        self.users = users

    def soap(self, request, base):
        location = base + '/pgwchannel/services/pgw'
        if request.method == 'GET':
            if 'wsdl' not in request.args:
                raise NotFound()
            return Response(mellat_wsdl(location),
                content_type='text/xml; charset=utf-8')
        try:
            envelope = ElementTree.fromstring(request.get_data())
            body = envelope.find('{%s}Body' % SOAP_NS)
            call = body[0]
        except (ElementTree.ParseError, TypeError, IndexError):
            return self.fault("Unreadable request")
        name = call.tag.rsplit('}', 1)[-1]
        if name not in MELLAT_OPERATIONS:
            return self.fault("Unknown operation %s" % name)
        values = {child.tag.rsplit('}', 1)[-1]: (child.text or '')
            for child in call}
        with self.lock:
            answer = getattr(self, name)(values)
        return Response(
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soap:Envelope xmlns:soap="%s"><soap:Body>'
            '<ns2:%sResponse xmlns:ns2="%s"><return>%s</return>'
            '</ns2:%sResponse></soap:Body></soap:Envelope>' % (
                SOAP_NS, name, MELLAT_NS, html.escape(answer), name),
            content_type='text/xml; charset=utf-8')

    @staticmethod
    def fault(text):
        return Response(
            '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope '
            'xmlns:soap="%s"><soap:Body><soap:Fault><faultcode>soap:Client'
            '</faultcode><faultstring>%s</faultstring></soap:Fault>'
            '</soap:Body></soap:Envelope>' % (SOAP_NS, html.escape(text)),
            status=500, content_type='text/xml; charset=utf-8')

    def login(self, values):
        "The answer code of wrong credentials, or None."
        terminal = values.get('terminalId', '')
        if not self.accepts(terminal):
            return '21'
        if not values.get('userName') or (self.users is not None and
                self.users.get(terminal) != (values.get('userName'),
                    values.get('userPassword'))):
            return '24'
        return None

    def bpPayRequest(self, values):
        error = self.login(values)
        if error:
            return error
        amount, order = integer(values.get('amount')), values.get('orderId')
        if amount is None or amount <= 0:
            return '25'
        if not values.get('callBackUrl') or integer(order) is None:
            return '32'
        if any(p['merchant'] == values['terminalId'] and p['order_id'] == order
                for p in self.payments.values()):
            return '41'
        token = secrets.token_hex(8).upper()
        self.payments[token] = {'token': token, 'state': 'waiting',
            'reference': None, 'merchant': values['terminalId'],
            'amount': amount, 'order_id': order,
            'callback': values['callBackUrl']}
        return '0,%s' % token

    def sale(self, values):
        "(error code, payment) of verify / settle / reversal."
        error = self.login(values)
        if error:
            return error, None
        for payment in self.payments.values():
            if (payment['merchant'] == values['terminalId']
                    and payment['order_id'] == values.get('saleOrderId')
                    and payment['reference']
                    and payment['reference'] == values.get('saleReferenceId')):
                return None, payment
        return '42', None

    def bpVerifyRequest(self, values):
        error, payment = self.sale(values)
        if error:
            return error
        state = payment['state']
        if state == 'reversed':
            return '48'
        if state in ('verified', 'settled'):
            return '43'
        payment['state'] = 'verified'
        return '0'

    def bpSettleRequest(self, values):
        error, payment = self.sale(values)
        if error:
            return error
        state = payment['state']
        if state == 'reversed':
            return '48'
        if state == 'settled':
            return '45'
        if state != 'verified':
            return '44'
        payment['state'] = 'settled'
        return '0'

    def bpReversalRequest(self, values):
        error, payment = self.sale(values)
        if error:
            return error
        if payment['state'] == 'reversed':
            return '48'
        if payment['state'] == 'settled':
            return '45'
        payment['state'] = 'reversed'
        return '0'

    def start(self, request, base):
        token = request.args.get('RefId') or request.form.get('RefId')
        return self.pay_page(request, base, token, add_query(
                base + '/pgwchannel/startpay.mellat', {'RefId': token or ''}))

    def callback_params(self, payment):
        paid = payment['state'] == 'paid'
        return {'RefId': payment['token'], 'ResCode': 0 if paid else 17,
            'SaleOrderId': payment['order_id'],
            'SaleReferenceId': payment['reference'] if paid else None,
            'FinalAmount': payment['amount'] if paid else None,
            'CardHolderPan': '603799******1234' if paid else None}


BANKS = {bank.type: bank for bank in (Zarinpal, Zibal, Idpay, Sep, Mellat)}
#: the banks mounted in trytond (one instance per process)
MOUNTED = {}
_mounted_lock = threading.Lock()


def mounted(type_):
    with _mounted_lock:
        if type_ not in MOUNTED:
            MOUNTED[type_] = BANKS[type_]()
        return MOUNTED[type_]


def mounted_base_url(bank):
    """Root URL of a test bank mounted in trytond: [partak] test_banks_url
    (e.g. http://localhost:8000/bank/test) + /<bank>, or None when it is
    not set.  The pages and links the bank answers start with it; never
    with the request's host, which the caller writes."""
    url = config.get('partak', 'test_banks_url')
    return '%s/%s' % (url.rstrip('/'), bank) if url else None


@app.route(PREFIX + '/<bank>/<path:path>', methods=['GET', 'POST'])
def serve(request, bank, path):
    """The test banks inside trytond, for the demo and the tests: only with
    [partak] test_banks = True and test_banks_url set."""
    # A fake bank confirms what it is told: never on a production server.
    if bank not in BANKS or not fake_banks_enabled():
        raise NotFound()
    base = mounted_base_url(bank)
    if not base:
        logger.error("test bank %s: [partak] test_banks_url is not set", bank)
        raise NotFound()
    return mounted(bank).dispatch(request, base, '/' + path)
