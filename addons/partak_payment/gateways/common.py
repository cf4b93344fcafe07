# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the adapters of the real banks share: the bank's base URL (the
gateway's ``api_url`` or the bank's public address) and the Persian text
of an answer code."""
import re
import urllib.parse

from .base import Gateway, GatewayError, absolute_url

#: the text of a code missing from a bank's table
UNKNOWN_CODE = "پاسخ ناشناخته از بانک (کد %s)"
PERSIAN = re.compile('[\u0600-\u06FF]')


def describe(codes, code):
    "The Persian text of ``code`` in the bank's table ``codes``."
    try:
        key = int(code)
    except (TypeError, ValueError):
        key = code
    return codes.get(key) or UNKNOWN_CODE % code


def as_int(value):
    "An integer from a bank's answer (they send 100 or \"100\"), or None."
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class BankGateway(Gateway):
    """An adapter talking to a bank at ``default_url``, or at the gateway's
    ``api_url`` when set (the local test banks, a bank's sandbox)."""
    #: the bank's public base URL
    default_url = None

    def base_url(self):
        url = (getattr(self.record, 'api_url', None) or self.default_url)
        if url.startswith('/'):
            # this server's own test bank: under the configured public
            # address, never the host the request claims
            url = absolute_url(url)
        return url.rstrip('/')

    def url(self, path, **query):
        url = self.base_url() + path
        if query:
            url += '?' + urllib.parse.urlencode(query)
        return url

    def merchant(self):
        "The merchant code; a request without one is refused before HTTP."
        merchant = (self.record.merchant_id or '').strip()
        if not merchant:
            raise GatewayError("ترمینال یا کد پذیرنده درگاه تعریف نشده است.")
        return merchant

    @staticmethod
    def order_id(payment):
        "Our order id at the bank: the payment's id, unique per attempt."
        return str(payment.id)

    @staticmethod
    def description(payment):
        order = getattr(payment, 'order', None)
        number = getattr(order, 'number', None) or ''
        return ("پرداخت سفارش %s" % number).strip()
