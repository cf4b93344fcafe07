# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The one interface every bank adapter implements.

A bank payment has two server-side steps, whatever the bank:

1. ``request(payment, callback_url) -> redirect_url``: register the
   payment with the bank (merchant, amount, our callback) and get the
   bank's token ("authority", "trackId", "RefId", ...).  The adapter stores
   that token on ``payment.token`` and returns the URL of the bank's page
   where the browser must go.
2. ``verify(payment, params) -> VerifyResult``: after the browser came
   back to our callback URL with the bank's parameters, ask the bank
   itself — server to server — whether *this* token was paid for *this*
   amount.  The callback parameters are only a hint; only verify's answer
   counts.

Each adapter is one file in this package holding the bank's endpoints, its
request and answer shapes and its table of answer codes.  It registers
itself with ``@register`` under the ``type`` of ``partak.payment.gateway``
it serves; ``for_record(gateway)`` returns the adapter of a gateway row.
The payment flow (``partak.payment``) never knows which bank it talks to.

Adding a bank (Zarinpal, Zibal, IDPay, Saman/SEP, Mellat, ...):
subclass ``Gateway``, set ``type``, implement ``request`` / ``verify`` and,
when the bank's callback names its token differently, ``callback_token``;
add the type to ``partak.payment.gateway.type`` (``__setup__`` of a
module that extends the model) and import the file so that it registers.
"""
import abc
import dataclasses
import logging
import urllib.parse

from trytond import config
from trytond.modules.partak_subscriber import http
from trytond.pool import Pool

logger = logging.getLogger(__name__)

_REGISTRY = {}
#: VerifyResult.code of an answer that never came (network, timeout)
UNREACHABLE = 'unreachable'


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """The bank's answer to verify.

    ``ok``: the bank confirms the payment; ``amount``: the amount it
    confirms (Rials); ``reference``: its reference / trace number;
    ``code``: the bank's answer code as text; ``message``: its text.
    ``final`` is False when the answer says nothing yet (the payer is
    still on the bank's page, the bank did not answer): the payment stays
    open and a later callback or a check from the back office may settle
    it.  A final negative answer fails the payment."""
    ok: bool
    amount: int | None = None
    reference: str | None = None
    code: str = ''
    message: str = ''
    final: bool = True


class GatewayError(Exception):
    "The bank could not be reached or answered something unreadable."


class Gateway(abc.ABC):
    """Adapter of one kind of bank gateway.  One instance wraps one
    ``partak.payment.gateway`` record (merchant id, terminal, credentials)
    for the time of one call."""
    #: value of partak.payment.gateway.type served by this adapter
    type = None

    def __init__(self, record):
        self.record = record

    @abc.abstractmethod
    def request(self, payment, callback_url):
        """Registers ``payment`` (amount in Rials, order number) with the
        bank; sets ``payment.token`` to the bank's token and returns the
        absolute URL of the bank's payment page.  ``callback_url`` is where
        the bank sends the payer back.  Raises GatewayError when the bank
        refuses or cannot be reached."""

    @abc.abstractmethod
    def verify(self, payment, params):
        """Asks the bank, server to server, whether ``payment.token`` has
        been paid for exactly ``payment.amount``; ``params`` are the
        callback's parameters (a hint only).  Returns a VerifyResult and
        never raises for a bank or network error."""

    def callback_token(self, params):
        "The bank's token as the callback carries it."
        value = params.get('token')
        return str(value) if value else None

    # -- helpers for adapters ------------------------------------------

    @staticmethod
    def timeout():
        "Seconds to wait for a bank: [partak] bank_timeout (default 15)."
        return config.getfloat('partak', 'bank_timeout', default=15)

    def unreachable(self, error):
        "The VerifyResult of a bank that did not answer."
        return VerifyResult(False, code=UNREACHABLE, message=str(error),
            final=False)

    def post_json(self, url, data, headers=None):
        """POSTs ``data`` as JSON to ``url`` and returns the decoded JSON
        answer (also for HTTP error statuses that carry a JSON body).
        Raises GatewayError on network errors, timeouts and answers that
        are not JSON."""
        try:
            return http.request_json(url, data, headers=headers,
                method='POST', timeout=self.timeout())
        except http.RemoteError as error:
            raise GatewayError(str(error)) from error


def register(cls):
    "Class decorator: makes ``cls`` the adapter of ``cls.type``."
    assert cls.type, "%s has no type" % cls
    _REGISTRY[cls.type] = cls
    return cls


def gateway_class(type_):
    "The adapter class of a gateway type; KeyError when there is none."
    return _REGISTRY[type_]


def registered_types():
    return sorted(_REGISTRY)


def for_record(record):
    "The adapter for a ``partak.payment.gateway`` record."
    return gateway_class(record.type)(record)


class NoPublicURL(GatewayError):
    "The public address of the portal is not configured."


def fake_banks_enabled():
    """Whether this server serves the banks that confirm whatever they are
    told (the sandbox bank, the test banks of /bank/test): only with
    [partak] test_banks = True, which the demo and the tests set; off in
    the shipped configuration."""
    return config.getboolean('partak', 'test_banks', default=False)


def public_url():
    """The configured public address of the portal (Payment Settings),
    without trailing slash.  Never the request's host: a ``Host`` header
    is written by the caller.  Raises NoPublicURL when it is not set."""
    Configuration = Pool().get('partak.payment.configuration')
    url = Configuration.get_public_url()
    if not url:
        raise NoPublicURL("the public address of the portal is not set "
            "(Payment Settings)")
    return url


def absolute_url(url):
    """A path such as /portal/... made absolute with the configured public
    address; an absolute URL is returned as it is."""
    if urllib.parse.urlsplit(url).scheme:
        return url
    return public_url() + '/' + url.lstrip('/')
