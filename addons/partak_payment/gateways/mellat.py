# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Behpardakht Mellat (به‌پرداخت ملت), SOAP web service, through zeep.

WSDL ``{base}/pgwchannel/services/pgw?wsdl``, namespace
``http://interfaces.core.sw.bps.com/``; every answer is a string whose
first field is the code (0: done).

``bpPayRequest(terminalId, userName, userPassword, orderId, amount,
localDate, localTime, additionalData, callBackUrl, payerId)``
    -> ``"0,<RefId>"``.
``{base}/pgwchannel/startpay.mellat?RefId=...``
    the bank's page; the payer comes back with a POST of ``RefId``,
    ``ResCode`` (0: paid), ``SaleOrderId``, ``SaleReferenceId``,
    ``FinalAmount``, ``CardHolderPan``.
``bpVerifyRequest`` / ``bpSettleRequest`` / ``bpReversalRequest``
    ``(terminalId, userName, userPassword, orderId, saleOrderId,
    saleReferenceId)`` -> ``"0"``.  A payment is confirmed by verify and
    the money moves to the merchant with settle; 43 (verified before) and
    45 (settled before) make both safe to repeat.  A payment for another
    amount than ours is reversed.

``base`` is the gateway's Bank Service URL, else https://bpm.shaparak.ir
(formerly pgw.bpm.bankmellat.ir).  Terminal ID, Username and Password are
the ones Mellat issued; ``orderId`` is the payment's id."""
import datetime
import logging
import threading

from .base import GatewayError, VerifyResult, register
from .common import BankGateway, as_int, describe

logger = logging.getLogger(__name__)

NAMESPACE = 'http://interfaces.core.sw.bps.com/'
BINDING = '{%s}PaymentGatewayImplServiceSoapBinding' % NAMESPACE
OK = 0
VERIFIED, SETTLED = 43, 45
CODES = {
    OK: "تراکنش با موفقیت انجام شد",
    11: "شماره کارت نامعتبر است",
    12: "موجودی کافی نیست",
    13: "رمز نادرست است",
    14: "تعداد دفعات وارد کردن رمز بیش از حد مجاز است",
    15: "کارت نامعتبر است",
    16: "دفعات برداشت وجه بیش از حد مجاز است",
    17: "پرداخت کننده از انجام تراکنش منصرف شد",
    18: "تاریخ انقضای کارت گذشته است",
    19: "مبلغ برداشت وجه بیش از حد مجاز است",
    21: "پذیرنده نامعتبر است",
    23: "خطای امنیتی رخ داد",
    24: "اطلاعات کاربری پذیرنده نامعتبر است",
    25: "مبلغ نامعتبر است",
    31: "پاسخ نامعتبر است",
    32: "فرمت اطلاعات وارد شده صحیح نیست",
    33: "حساب نامعتبر است",
    34: "خطای سیستمی",
    35: "تاریخ نامعتبر است",
    41: "شماره درخواست تکراری است",
    42: "تراکنش فروش (Sale) یافت نشد",
    VERIFIED: "پیش‌تر درخواست تایید (Verify) داده شده است",
    44: "درخواست تایید (Verify) یافت نشد",
    SETTLED: "تراکنش پیش‌تر واریز (Settle) شده است",
    46: "تراکنش واریز (Settle) نشده است",
    47: "تراکنش واریز (Settle) یافت نشد",
    48: "تراکنش برگشت (Reverse) خورده است",
    49: "تراکنش بازپرداخت (Refund) یافت نشد",
    51: "تراکنش تکراری است",
    54: "تراکنش مرجع موجود نیست",
    55: "تراکنش نامعتبر است",
    61: "خطا در واریز",
    111: "صادر کننده کارت نامعتبر است",
    112: "خطای سوییچ صادر کننده کارت",
    113: "پاسخی از صادر کننده کارت دریافت نشد",
    114: "دارنده کارت مجاز به انجام این تراکنش نیست",
    412: "شناسه قبض نادرست است",
    413: "شناسه پرداخت نادرست است",
    414: "سازمان صادر کننده قبض نامعتبر است",
    415: "زمان جلسه کاری به پایان رسیده است",
    416: "خطا در ثبت اطلاعات",
    417: "شناسه پرداخت کننده نامعتبر است",
    418: "اشکال در تعریف اطلاعات مشتری",
    419: "تعداد دفعات ورود اطلاعات از حد مجاز گذشته است",
    421: "IP پذیرنده نامعتبر است",
    }
#: answers of verify that say nothing about the payment itself (the
#: merchant's set-up, the bank's trouble): it stays open
NOT_FINAL = {21, 23, 24, 31, 34, 61, 113, 416, 421}
MISMATCH = "مبلغ پرداخت شده نزد بانک (%s ریال) با مبلغ پرداخت (%s ریال) " \
    "برابر نیست؛ پرداخت برگشت داده شد"

_clients = {}
_clients_lock = threading.Lock()


@register
class MellatGateway(BankGateway):
    "Adapter of Behpardakht Mellat (type 'mellat')."
    type = 'mellat'
    default_url = 'https://bpm.shaparak.ir'

    def service(self):
        """The zeep service of the bank; the WSDL is read once per process
        and URL (it is large and never changes)."""
        import zeep
        from zeep.transports import Transport
        wsdl = self.url('/pgwchannel/services/pgw') + '?wsdl'
        with _clients_lock:
            client = _clients.get(wsdl)
        if client is None:
            transport = Transport(timeout=self.timeout(),
                operation_timeout=self.timeout())
            client = zeep.Client(wsdl, transport=transport)
            with _clients_lock:
                _clients[wsdl] = client
        # The address of the WSDL's service is ignored: the bank is where
        # the gateway says.
        return client.create_service(BINDING,
            self.url('/pgwchannel/services/pgw'))

    def credentials(self):
        record = self.record
        terminal = as_int(record.terminal_id or record.merchant_id)
        if terminal is None:
            raise GatewayError("شماره ترمینال ملت عددی نیست یا تعریف نشده "
                "است.")
        return {'terminalId': terminal,
            'userName': record.username or '',
            'userPassword': record.password or ''}

    def call(self, operation, **values):
        "Calls ``operation``; returns (code, rest of the answer's fields)."
        import requests
        import zeep.exceptions
        from lxml import etree
        try:
            answer = getattr(self.service(), operation)(
                **self.credentials(), **values)
        except GatewayError:
            raise
        except (zeep.exceptions.Error, requests.RequestException,
                etree.Error, OSError, ValueError) as error:
            raise GatewayError('%s: %s' % (operation, error)) from error
        fields = str(answer if answer is not None else '').split(',')
        code = as_int(fields[0])
        if code is None:
            raise GatewayError("پاسخ ملت خوانا نیست")
        return code, fields[1:]

    def request(self, payment, callback_url):
        now = datetime.datetime.now()
        code, rest = self.call('bpPayRequest',
            orderId=int(payment.id), amount=int(payment.amount),
            localDate=now.strftime('%Y%m%d'), localTime=now.strftime('%H%M%S'),
            additionalData=self.description(payment),
            callBackUrl=callback_url, payerId=0)
        if code != OK or not rest or not rest[0].strip():
            raise GatewayError(describe(CODES, code))
        payment.token = rest[0].strip()
        return self.url('/pgwchannel/startpay.mellat', RefId=payment.token)

    def callback_token(self, params):
        value = params.get('RefId') or params.get('token')
        return str(value) if value else None

    def verify(self, payment, params):
        res_code = as_int(params.get('ResCode'))
        if res_code is not None and res_code != OK:
            # The bank tells the failure in the callback: nothing to verify.
            return VerifyResult(False, code=str(res_code),
                message=describe(CODES, res_code))
        reference = as_int(params.get('SaleReferenceId'))
        if res_code is None or reference is None:
            # Without the callback (back office, cron) Mellat cannot be
            # asked: its calls need the SaleReferenceId.
            return VerifyResult(False, code='no-reference',
                message="بانک هنوز شماره مرجع فروش (SaleReferenceId) "
                "نفرستاده است", final=False)
        ids = {'orderId': int(payment.id), 'saleOrderId': int(payment.id),
            'saleReferenceId': reference}
        try:
            code, _ = self.call('bpVerifyRequest', **ids)
            if code not in {OK, VERIFIED}:
                return VerifyResult(False, code=str(code),
                    message=describe(CODES, code),
                    final=code not in NOT_FINAL)
            # Mellat's answers carry no amount: the callback's FinalAmount
            # tells it; a payment for another amount is given back.
            final_amount = as_int(params.get('FinalAmount'))
            if final_amount is not None and final_amount != payment.amount:
                code, _ = self.call('bpReversalRequest', **ids)
                logger.error("mellat payment %s: %s instead of %s, "
                    "reversal %s", payment.id, final_amount, payment.amount,
                    code)
                return VerifyResult(False, amount=final_amount,
                    reference=str(reference), code='amount-mismatch',
                    message=MISMATCH % ('{:,}'.format(final_amount),
                        '{:,}'.format(int(payment.amount))))
            code, _ = self.call('bpSettleRequest', **ids)
        except GatewayError as error:
            logger.warning("mellat verify of payment %s: %s",
                payment.id, error)
            return self.unreachable(error)
        if code not in {OK, SETTLED}:
            # Verified but not settled: asked again later (verify answers
            # 43, settle is retried).
            return VerifyResult(False, code=str(code),
                message=describe(CODES, code), final=False)
        return VerifyResult(True, amount=int(payment.amount),
            reference=str(reference), code=str(code),
            message=describe(CODES, OK))
