# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""IDPay (آیدی‌پی), API v1.1.  Every call carries the headers
``X-API-KEY`` (the gateway's Merchant ID field) and ``X-SANDBOX``.

``POST {base}/v1.1/payment``
    ``{"order_id", "amount", "callback", "desc"}`` -> HTTP 201 ``{"id",
    "link"}`` or ``{"error_code", "error_message"}``.
``link``
    the bank's page; the payer comes back to ``callback`` with a POST of
    ``status``, ``track_id``, ``id``, ``order_id``, ``amount``, ``card_no``.
``POST {base}/v1.1/payment/verify``
    ``{"id", "order_id"}`` -> ``{"status": 100 (or 101: verified before),
    "track_id", "amount", "payment": {"track_id", "amount", ...}}`` or an
    error code (53: cannot be verified, i.e. not paid).

``base`` is the gateway's Bank Service URL, else https://api.idpay.ir.
``X-SANDBOX`` is 1 when the gateway has a Bank Service URL (a test
bank), 0 for IDPay's public service."""
import logging

from .base import GatewayError, VerifyResult, register
from .common import BankGateway, as_int, describe

logger = logging.getLogger(__name__)

OK, VERIFIED = 100, 101
#: ``status`` of a transaction (callback, verify)
STATUSES = {
    1: "پرداخت انجام نشده است",
    2: "پرداخت ناموفق بوده است",
    3: "خطا رخ داده است",
    4: "پرداخت بلوکه شده است",
    5: "مبلغ به پرداخت کننده برگشت داده شد",
    6: "پرداخت برگشت خورده سیستمی است",
    7: "پرداخت کننده انصراف داد",
    8: "پرداخت کننده به درگاه پرداخت منتقل شد",
    10: "در انتظار تایید پرداخت",
    OK: "پرداخت تایید شده است",
    VERIFIED: "پرداخت پیش‌تر تایید شده است",
    200: "مبلغ به دریافت کننده واریز شد",
    }
#: ``error_code`` of a refused call
ERRORS = {
    11: "کاربر آیدی‌پی مسدود شده است",
    12: "کلید وب سرویس (API Key) یافت نشد",
    13: "IP درخواست با IPهای ثبت شده وب سرویس همخوانی ندارد",
    14: "وب سرویس آیدی‌پی تایید نشده است",
    21: "حساب بانکی متصل به وب سرویس تایید نشده است",
    22: "وب سرویس یافت نشد",
    23: "اعتبارسنجی وب سرویس ناموفق بود",
    24: "حساب بانکی مرتبط با وب سرویس غیرفعال شده است",
    31: "شناسه تراکنش (id) نباید خالی باشد",
    32: "شماره سفارش (order_id) نباید خالی باشد",
    33: "مبلغ (amount) نباید خالی باشد",
    34: "مبلغ کمتر از کمینه مجاز است",
    35: "مبلغ بیشتر از بیشینه مجاز است",
    36: "مبلغ بیشتر از حد مجاز است",
    37: "نشانی بازگشت (callback) نباید خالی باشد",
    38: "دامنه نشانی بازگشت با دامنه ثبت شده وب سرویس همخوانی ندارد",
    51: "تراکنش ایجاد نشد",
    52: "استعلام نتیجه‌ای نداشت",
    53: "تایید پرداخت امکان پذیر نیست",
    54: "مدت زمان تایید پرداخت سپری شده است",
    }
FINAL_ERRORS = {52, 54}


@register
class IdpayGateway(BankGateway):
    "Adapter of IDPay (type 'idpay')."
    type = 'idpay'
    default_url = 'https://api.idpay.ir'

    def headers(self):
        return {'X-API-KEY': self.merchant(),
            'X-SANDBOX': '1' if getattr(self.record, 'api_url', None)
            else '0'}

    def post(self, path, data):
        answer = self.post_json(self.url(path), data, headers=self.headers())
        if not isinstance(answer, dict):
            raise GatewayError("پاسخ آیدی‌پی خوانا نیست")
        return answer

    def request(self, payment, callback_url):
        answer = self.post('/v1.1/payment', {
                'order_id': self.order_id(payment),
                'amount': int(payment.amount),
                'callback': callback_url,
                'desc': self.description(payment),
                })
        if answer.get('id') and answer.get('link'):
            payment.token = str(answer['id'])
            return str(answer['link'])
        raise GatewayError(describe(ERRORS, answer.get('error_code')))

    def callback_token(self, params):
        value = params.get('id') or params.get('token')
        return str(value) if value else None

    def verify(self, payment, params):
        try:
            answer = self.post('/v1.1/payment/verify', {
                    'id': payment.token,
                    'order_id': self.order_id(payment),
                    })
        except GatewayError as error:
            logger.warning("idpay verify of payment %s: %s", payment.id, error)
            return self.unreachable(error)
        status = as_int(answer.get('status'))
        paid = answer.get('payment') or {}
        amount = as_int(answer.get('amount'))
        reference = (paid.get('track_id') if isinstance(paid, dict) else None
            ) or answer.get('track_id')
        if status in {OK, VERIFIED} and amount is not None and reference:
            return VerifyResult(True, amount=amount, reference=str(reference),
                code=str(status), message=describe(STATUSES, status))
        if status is not None:
            # A status without confirmation (1, 2, 7, ...)
            return VerifyResult(False, code=str(status),
                message=describe(STATUSES, status), final=status != 10)
        error = as_int(answer.get('error_code'))
        message = describe(ERRORS, error)
        hint = as_int(params.get('status'))
        if error == 53 and hint in STATUSES and hint not in {OK, VERIFIED}:
            message = '%s (%s)' % (message, STATUSES[hint])
        # 53 "cannot verify" is final once the payer came back (the
        # callback carries a status); asked before, the payer may be paying.
        final = error in FINAL_ERRORS or (error == 53 and 'status' in params)
        return VerifyResult(False, code=str(error), message=message,
            final=final)
