# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Saman Electronic Payment — SEP (سامان، سپ), token flow (doc 3.x).

``POST {base}/onlinepg/onlinepg``
    ``{"action": "token", "TerminalId", "Amount", "ResNum", "RedirectUrl"}``
    -> ``{"status": 1, "token"}`` or ``{"status": -1, "errorCode",
    "errorDesc"}``.
``GET {base}/OnlinePG/SendToken?token=...``
    the bank's page; the payer comes back with a POST of ``MID``,
    ``TerminalId``, ``State``, ``Status`` (2: OK), ``RefNum``, ``ResNum``,
    ``TraceNo``, ``Rrn``, ``Amount``, ``SecurePan``, ``Token``.
``POST {base}/verifyTxnRandomSessionkey/ipg/VerifyTransaction``
    ``{"RefNum", "TerminalNumber"}`` -> ``{"Success", "ResultCode" (0, or
    2: verified before), "ResultDescription", "TransactionDetail":
    {"RRN", "RefNum", "OrginalAmount", "AffectiveAmount", "StraceNo",
    ...}}``.  SEP reverses a payment not verified within 30 minutes.
``POST {base}/verifyTxnRandomSessionkey/ipg/ReverseTransaction``
    same body: gives the money back — done here when SEP confirms another
    amount than the payment's.

``base`` is the gateway's Bank Service URL, else https://sep.shaparak.ir.
The gateway's Terminal ID (else its Merchant ID) is the terminal."""
import logging

from .base import GatewayError, VerifyResult, register
from .common import BankGateway, as_int, describe

logger = logging.getLogger(__name__)

PAID_STATUS = 2
#: ``Status`` of the callback (and ``errorCode`` of a refused token)
STATUSES = {
    1: "پرداخت کننده انصراف داد",
    PAID_STATUS: "پرداخت با موفقیت انجام شد",
    3: "پرداخت انجام نشد",
    4: "نشست پرداخت منقضی شده است",
    5: "پارامترهای ارسالی نامعتبر است",
    8: "IP پذیرنده مجاز نیست",
    10: "توکن پرداخت یافت نشد",
    11: "توکن پرداخت ارسال نشده است",
    12: "ترمینال یافت نشد",
    21: "خطا در تسهیم مبلغ",
    }
OK, DUPLICATE = 0, 2
#: ``ResultCode`` of verify and reverse
CODES = {
    OK: "تراکنش با موفقیت تایید شد",
    DUPLICATE: "این تراکنش پیش‌تر تایید شده است",
    5: "تراکنش برگشت خورده است",
    -2: "تراکنش یافت نشد",
    -6: "بیش از نیم ساعت از پرداخت گذشته و تراکنش برگشت خورده است",
    -104: "ترمینال غیرفعال است",
    -105: "ترمینال در سامانه سپ وجود ندارد",
    -106: "IP درخواست کننده مجاز نیست",
    }
FINAL_CODES = {5, -2, -6}
MISMATCH = "مبلغ تایید شده بانک (%s ریال) با مبلغ پرداخت (%s ریال) برابر " \
    "نیست؛ پرداخت برگشت داده شد"
MISMATCH_NOT_REVERSED = "مبلغ تایید شده بانک (%s ریال) با مبلغ پرداخت " \
    "(%s ریال) برابر نیست و برگشت آن ناموفق بود؛ با بانک پیگیری کنید"


@register
class SepGateway(BankGateway):
    "Adapter of Saman / SEP (type 'sep')."
    type = 'sep'
    default_url = 'https://sep.shaparak.ir'

    def terminal(self):
        terminal = (self.record.terminal_id or '').strip()
        return terminal or self.merchant()

    def request(self, payment, callback_url):
        answer = self.post_json(self.url('/onlinepg/onlinepg'), {
                'action': 'token',
                'TerminalId': self.terminal(),
                'Amount': int(payment.amount),
                'ResNum': self.order_id(payment),
                'RedirectUrl': callback_url,
                })
        if not isinstance(answer, dict):
            raise GatewayError("پاسخ سپ خوانا نیست")
        if as_int(answer.get('status')) == 1 and answer.get('token'):
            payment.token = str(answer['token'])
            return self.url('/OnlinePG/SendToken', token=payment.token)
        raise GatewayError(describe(STATUSES, answer.get('errorCode')))

    def callback_token(self, params):
        value = params.get('Token') or params.get('token')
        return str(value) if value else None

    def call(self, operation, ref_num):
        answer = self.post_json(
            self.url('/verifyTxnRandomSessionkey/ipg/%s' % operation),
            {'RefNum': ref_num, 'TerminalNumber': as_int(self.terminal())
                or self.terminal()})
        code = as_int(answer.get('ResultCode')) if isinstance(answer, dict) \
            else None
        if code is None:
            raise GatewayError("پاسخ سپ خوانا نیست")
        return code, answer

    def verify(self, payment, params):
        status = as_int(params.get('Status'))
        if status is not None and status != PAID_STATUS:
            # SEP tells the failure in the callback; there is nothing to
            # verify (no RefNum).
            return VerifyResult(False, code='status-%s' % status,
                message=describe(STATUSES, status))
        ref_num = params.get('RefNum')
        if not ref_num:
            # Without the callback (back office, cron) SEP cannot be asked.
            return VerifyResult(False, code='no-refnum',
                message="بانک هنوز رسید دیجیتالی (RefNum) نفرستاده است",
                final=False)
        try:
            code, answer = self.call('VerifyTransaction', str(ref_num))
        except GatewayError as error:
            logger.warning("sep verify of payment %s: %s", payment.id, error)
            return self.unreachable(error)
        detail = answer.get('TransactionDetail') or {}
        if code not in {OK, DUPLICATE} or not isinstance(detail, dict):
            return VerifyResult(False, code=str(code),
                message=describe(CODES, code), final=code in FINAL_CODES)
        amount = as_int(detail.get('OrginalAmount'))
        reference = detail.get('RefNum') or ref_num
        if amount != int(payment.amount):
            try:
                reversed_code, _ = self.call('ReverseTransaction',
                    str(ref_num))
            except GatewayError as error:
                reversed_code = None
                logger.error("sep reverse of payment %s: %s",
                    payment.id, error)
            text = MISMATCH if reversed_code in {OK, DUPLICATE} \
                else MISMATCH_NOT_REVERSED
            logger.error("sep payment %s: %s instead of %s, reversed: %s",
                payment.id, amount, payment.amount, reversed_code)
            return VerifyResult(False, amount=amount, reference=str(reference),
                code='amount-mismatch', message=text % (
                    '{:,}'.format(amount or 0),
                    '{:,}'.format(int(payment.amount))))
        return VerifyResult(True, amount=amount, reference=str(reference),
            code=str(code), message=describe(CODES, code))
