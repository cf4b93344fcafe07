# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Zarinpal (زرین‌پال), REST API v4.

``POST {base}/pg/v4/payment/request.json``
    ``{"merchant_id", "amount", "currency": "IRR", "description",
    "callback_url", "metadata": {"order_id"}}`` -> ``{"data": {"code": 100,
    "authority": "A0000...", ...}, "errors": []}``, or ``{"data": [],
    "errors": {"code": -9, "message": ...}}``.
``GET {base}/pg/StartPay/{authority}``
    the bank's page; the payer comes back to ``callback_url`` with
    ``?Authority=...&Status=OK|NOK``.
``POST {base}/pg/v4/payment/verify.json``
    ``{"merchant_id", "amount", "authority"}`` -> ``data.code`` 100 (paid,
    verified now) or 101 (verified before), with ``ref_id``; or an error
    code.  Zarinpal settles by itself: verify is the last step.

``base`` is the gateway's Bank Service URL, else https://payment.zarinpal.com
(https://sandbox.zarinpal.com for Zarinpal's sandbox)."""
import logging

from .base import GatewayError, VerifyResult, register
from .common import BankGateway, as_int, describe

logger = logging.getLogger(__name__)

OK, VERIFIED = 100, 101
CODES = {
    OK: "پرداخت با موفقیت تایید شد",
    VERIFIED: "این پرداخت پیش‌تر تایید شده است",
    -9: "اطلاعات ارسال شده به زرین‌پال نادرست است",
    -10: "کد پذیرنده (مرچنت) یا IP پذیرنده نادرست است",
    -11: "کد پذیرنده (مرچنت) فعال نیست",
    -12: "تلاش بیش از حد در زمان کوتاه؛ کمی بعد دوباره تلاش کنید",
    -15: "درگاه پذیرنده به حالت تعلیق درآمده است",
    -16: "سطح تایید پذیرنده پایین‌تر از سطح نقره‌ای است",
    -17: "پذیرنده در سطح آبی محدود شده است",
    -30: "پذیرنده اجازه دسترسی به تسویه اشتراکی شناور را ندارد",
    -31: "حساب بانکی تسویه در پنل پذیرنده تعریف نشده است",
    -32: "مبلغ تسهیم از سقف مجاز بیشتر است",
    -33: "درصدهای تسهیم شناور معتبر نیست",
    -34: "مبلغ تسهیم ثابت از سقف مجاز بیشتر است",
    -35: "تعداد بخش‌های تسهیم از حد مجاز بیشتر است",
    -36: "کمترین مبلغ تسهیم ۱۰٬۰۰۰ ریال است",
    -37: "یک یا چند شبای تسهیم از سوی بانک غیرفعال است",
    -38: "شبای تسهیم در شاپرک تعریف نشده است",
    -39: "خطا در اطلاعات تسهیم",
    -40: "پارامترهای اضافی نامعتبر است",
    -41: "مبلغ از سقف مجاز یک تراکنش بیشتر است",
    -50: "مبلغ پرداخت شده با مبلغ ارسالی برای تایید برابر نیست",
    -51: "پرداخت انجام نشد یا پرداخت کننده انصراف داد",
    -52: "خطای غیرمنتظره در زرین‌پال؛ با پشتیبانی تماس بگیرید",
    -53: "این پرداخت متعلق به این کد پذیرنده نیست",
    -54: "شناسه پرداخت (Authority) نامعتبر است",
    -55: "تراکنش مورد نظر یافت نشد",
    }
#: answers about this payment itself; the others (merchant, limits,
#: Zarinpal's own trouble) say nothing about it yet
FINAL_CODES = {-50, -53, -54, -55}


@register
class ZarinpalGateway(BankGateway):
    "Adapter of Zarinpal (type 'zarinpal')."
    type = 'zarinpal'
    default_url = 'https://payment.zarinpal.com'

    @staticmethod
    def answer(answer):
        "(code, data) of a Zarinpal answer."
        data = answer.get('data') if isinstance(answer, dict) else None
        errors = answer.get('errors') if isinstance(answer, dict) else None
        if isinstance(data, dict) and as_int(data.get('code')) is not None:
            return as_int(data['code']), data
        if isinstance(errors, dict) and as_int(errors.get('code')) is not None:
            return as_int(errors['code']), {}
        raise GatewayError("پاسخ زرین‌پال خوانا نیست")

    def request(self, payment, callback_url):
        answer = self.post_json(self.url('/pg/v4/payment/request.json'), {
                'merchant_id': self.merchant(),
                'amount': int(payment.amount),
                'currency': 'IRR',
                'description': self.description(payment),
                'callback_url': callback_url,
                'metadata': {'order_id': self.order_id(payment)},
                })
        code, data = self.answer(answer)
        authority = data.get('authority')
        if code != OK or not authority:
            raise GatewayError(describe(CODES, code))
        payment.token = str(authority)
        return self.url('/pg/StartPay/%s' % payment.token)

    def callback_token(self, params):
        value = params.get('Authority') or params.get('token')
        return str(value) if value else None

    def verify(self, payment, params):
        try:
            answer = self.post_json(self.url('/pg/v4/payment/verify.json'), {
                    'merchant_id': self.merchant(),
                    'amount': int(payment.amount),
                    'authority': payment.token,
                    })
            code, data = self.answer(answer)
        except GatewayError as error:
            logger.warning("zarinpal verify of payment %s: %s",
                payment.id, error)
            return self.unreachable(error)
        message = describe(CODES, code)
        reference = data.get('ref_id')
        if code in {OK, VERIFIED} and reference not in (None, ''):
            # Zarinpal confirmed exactly the amount it was asked about.
            return VerifyResult(True, amount=int(payment.amount),
                reference=str(reference), code=str(code), message=message)
        # -51 "not paid" is final once the payer came back from the bank
        # (the callback carries Status); asked by the back office while the
        # payer may still be on the bank's page, it says nothing yet.
        final = code in FINAL_CODES or (code == -51 and 'Status' in params)
        return VerifyResult(False, code=str(code), message=message,
            final=final)
