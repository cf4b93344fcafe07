# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Payment settings (تنظیمات پرداخت): the public address of the portal.

Every URL the server hands out or calls for a payment — the callback given
to the bank, the sandbox bank's page and verify, a gateway's relative Bank
Service URL — starts with this address.  It is never taken from the HTTP
request: a ``Host`` header is whatever the caller wrote, and a forged one
would send verify to the caller's own "bank"."""
import urllib.parse

from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields
from trytond.model.exceptions import ValidationError
from trytond.transaction import without_check_access


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Payment Settings"
    __name__ = 'partak.payment.configuration'
    __string__ = "Payment Settings"
    public_url = fields.Char("Public Address of the Portal", strip=False,
        help="The address at which subscribers reach this server, e.g. "
        "https://my.isp.ir: the banks send the payer back there and the "
        "sandbox bank is reached there.  Payments cannot start without it.")

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        if field_names and 'public_url' not in field_names:
            return
        for record in records:
            if record.public_url and not valid_base_url(record.public_url):
                raise ValidationError(gettext(
                        'partak_payment.msg_public_url_invalid',
                        url=record.public_url))

    @classmethod
    def get_public_url(cls):
        """The public address without its trailing slash, or None when it
        is not set.  Read as the system: the payment code runs for the
        portal, the cron and staff alike."""
        with without_check_access():
            url = cls(1).public_url
        return url.rstrip('/') if url else None


def valid_base_url(url):
    "An absolute http(s) address with a host and no query or fragment."
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return (parts.scheme in {'http', 'https'} and bool(parts.hostname)
        and not parts.query and not parts.fragment
        and not any(c.isspace() for c in url))
