# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Zibal (زیبال).

``POST {base}/v1/request``
    ``{"merchant", "amount", "callbackUrl", "orderId", "description"}`` ->
    ``{"result": 100, "trackId": 15966442233, "message"}``.
``GET {base}/start/{trackId}``
    the bank's page; the payer comes back to ``callbackUrl`` with
    ``?trackId=...&success=1|0&status=<payment status>&orderId=...``.
``POST {base}/v1/verify``
    ``{"merchant", "trackId"}`` -> ``{"result": 100, "amount", "refNumber",
    "status", "paidAt", "cardNumber", ...}``; ``result`` 201 when verified
    before: then ``POST {base}/v1/inquiry`` (same body) tells the amount
    and reference (``status`` 1: paid and verified).

``base`` is the gateway's Bank Service URL, else https://gateway.zibal.ir
(merchant ``zibal`` is Zibal's test merchant)."""
import logging

from .base import GatewayError, VerifyResult, register
from .common import BankGateway, as_int, describe

logger = logging.getLogger(__name__)

OK, VERIFIED = 100, 201
CODES = {
    OK: "پرداخت با موفقیت تایید شد",
    102: "کد پذیرنده (merchant) یافت نشد",
    103: "کد پذیرنده (merchant) فعال نیست",
    104: "کد پذیرنده (merchant) نامعتبر است",
    105: "مبلغ باید بیشتر از ۱٬۰۰۰ ریال باشد",
    106: "نشانی بازگشت (callbackUrl) نامعتبر است",
    113: "مبلغ تراکنش از سقف مجاز بیشتر است",
    VERIFIED: "این پرداخت پیش‌تر تایید شده است",
    202: "سفارش پرداخت نشده یا پرداخت ناموفق بوده است",
    203: "شناسه پرداخت (trackId) نامعتبر است",
    }
#: ``status`` of a payment (callback and inquiry)
STATUSES = {
    -1: "در انتظار پرداخت",
    -2: "خطای داخلی زیبال",
    1: "پرداخت شده و تایید شده",
    2: "پرداخت شده و تایید نشده",
    3: "پرداخت کننده انصراف داد",
    4: "شماره کارت نامعتبر است",
    5: "موجودی حساب کافی نیست",
    6: "رمز وارد شده اشتباه است",
    7: "تعداد درخواست‌ها بیش از حد مجاز است",
    8: "تعداد پرداخت اینترنتی روزانه بیش از حد مجاز است",
    9: "مبلغ پرداخت اینترنتی روزانه بیش از حد مجاز است",
    10: "صادرکننده کارت نامعتبر است",
    11: "خطای سوییچ",
    12: "کارت در دسترس نیست",
    }
FINAL_CODES = {203}


@register
class ZibalGateway(BankGateway):
    "Adapter of Zibal (type 'zibal')."
    type = 'zibal'
    default_url = 'https://gateway.zibal.ir'

    def post(self, path, data):
        answer = self.post_json(self.url(path), data)
        code = as_int(answer.get('result')) if isinstance(answer, dict) \
            else None
        if code is None:
            raise GatewayError("پاسخ زیبال خوانا نیست")
        return code, answer

    def request(self, payment, callback_url):
        code, answer = self.post('/v1/request', {
                'merchant': self.merchant(),
                'amount': int(payment.amount),
                'callbackUrl': callback_url,
                'orderId': self.order_id(payment),
                'description': self.description(payment),
                })
        track_id = answer.get('trackId')
        if code != OK or not track_id:
            raise GatewayError(describe(CODES, code))
        payment.token = str(track_id)
        return self.url('/start/%s' % payment.token)

    def callback_token(self, params):
        value = params.get('trackId') or params.get('token')
        return str(value) if value else None

    def verify(self, payment, params):
        body = {'merchant': self.merchant(), 'trackId': as_int(payment.token)
            or payment.token}
        try:
            code, answer = self.post('/v1/verify', body)
            if code == VERIFIED:
                # Verified before (a lost answer, a second callback): the
                # inquiry tells what was paid.
                code, answer = self.post('/v1/inquiry', body)
                if code == OK and as_int(answer.get('status')) == 1:
                    code = VERIFIED
                else:
                    code = 202
        except GatewayError as error:
            logger.warning("zibal verify of payment %s: %s", payment.id, error)
            return self.unreachable(error)
        amount = as_int(answer.get('amount'))
        reference = answer.get('refNumber')
        if code in {OK, VERIFIED} and amount is not None and reference:
            return VerifyResult(True, amount=amount, reference=str(reference),
                code=str(code), message=describe(CODES, code))
        message = describe(CODES, code)
        status = as_int(params.get('status'))
        if code == 202 and status in STATUSES:
            message = '%s (%s)' % (message, STATUSES[status])
        # 202 "not paid" is final once the payer came back (the callback
        # carries success); asked before, the payer may still be paying.
        final = code in FINAL_CODES or (code == 202 and 'success' in params)
        return VerifyResult(False, code=str(code), message=message,
            final=final)
