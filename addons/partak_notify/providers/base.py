# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The one interface every SMS provider adapter implements.

An SMS goes out in two server-side steps, whatever the provider:

1. ``send(mobile, text) -> message id``: hand the text to the provider;
   its id of the message is kept on the ``partak.sms`` row.  A refusal or
   a provider that cannot be reached raises ``ProviderError``; the outbox
   (``partak.sms.send``) retries it later unless the error is
   ``permanent`` (the number or the text itself is refused).
2. ``status(message_ids) -> {message id: Delivery}``: ask the provider
   whether the messages reached the phone; ``None`` (or no entry) means
   the provider does not know yet.

Each adapter is one file in this package; it registers itself with
``@register`` under the ``type`` of ``partak.sms.provider`` it serves and
``for_record(provider)`` returns the adapter of a provider row (``None``:
the configured fallback, ``[partak] sms_backend``, default ``log``).
Adding a provider: subclass ``Provider``, set ``type``, implement
``send`` and (when the provider reports delivery) ``status``, add the type
to ``partak.sms.provider.type`` and import the file in ``__init__``.
"""
import abc
import dataclasses
import logging

from trytond import config
from trytond.modules.partak_subscriber import http

logger = logging.getLogger(__name__)
_REGISTRY = {}
DELIVERED = 'delivered'
UNDELIVERED = 'undelivered'
#: ProviderError.code of an answer that never came (network, timeout)
UNREACHABLE = 'unreachable'


class ProviderError(Exception):
    """The provider refused the message or could not be reached.

    ``code``: the provider's answer code as text (or UNREACHABLE);
    ``permanent``: retrying the same message cannot help (invalid number,
    empty or refused text): the message fails at once."""

    def __init__(self, message, code='', permanent=False):
        super().__init__(message)
        self.code = str(code)
        self.permanent = permanent

    def __str__(self):
        text = super().__str__()
        return '[%s] %s' % (self.code, text) if self.code else text


@dataclasses.dataclass(frozen=True)
class Delivery:
    "The provider's delivery report of one message."
    state: str  # DELIVERED or UNDELIVERED
    code: str = ''
    message: str = ''


class Provider(abc.ABC):
    """Adapter of one kind of SMS provider.  One instance wraps one
    ``partak.sms.provider`` record (API key, sender line, host) for the
    time of one call; ``record`` is None for the configured fallback."""
    #: value of partak.sms.provider.type served by this adapter
    type = None
    #: the provider reports delivery (status() is worth asking)
    reports_delivery = False
    #: the adapter needs a partak.sms.provider record (API key, line)
    needs_account = True

    def __init__(self, record=None):
        self.record = record

    @property
    def name(self):
        return self.record.rec_name if self.record else self.type

    @abc.abstractmethod
    def send(self, mobile, text):
        """Sends ``text`` to ``mobile`` (09xxxxxxxxx) and returns the
        provider's id of the message as text.  Raises ProviderError."""

    def status(self, message_ids):
        """{message id: Delivery} for the ids whose fate is known.  Raises
        ProviderError when the provider cannot be asked."""
        return {}

    # -- helpers for adapters ------------------------------------------

    @staticmethod
    def timeout():
        "Seconds to wait for a provider: [partak] sms_timeout (default 15)."
        return config.getfloat('partak', 'sms_timeout', default=15)

    def request_json(self, url, data=None, headers=None, method=None):
        """Sends ``data`` as JSON (GET when None) and returns the decoded
        JSON answer, also for HTTP error statuses that carry a JSON body
        (providers put their error code there).  Raises ProviderError
        (UNREACHABLE) on network errors and timeouts, and with the HTTP
        status as code for answers that are not JSON."""
        try:
            return http.request_json(url, data, headers=headers,
                method=method, timeout=self.timeout())
        except http.RemoteError as error:
            code = UNREACHABLE if error.status is None else (
                error.status if error.status != 200 else 'http')
            raise ProviderError(str(error), code=code) from error


def register(cls):
    "Class decorator: makes ``cls`` the adapter of ``cls.type``."
    assert cls.type, "%s has no type" % cls
    _REGISTRY[cls.type] = cls
    return cls


def provider_class(type_):
    "The adapter class of a provider type; KeyError when there is none."
    return _REGISTRY[type_]


def registered_types():
    return sorted(_REGISTRY)


def for_record(record):
    """The adapter of a ``partak.sms.provider`` record, or of the
    configured fallback ``[partak] sms_backend`` when record is None."""
    if record is None:
        name = config.get('partak', 'sms_backend', default='log')
        cls = _REGISTRY.get(name)
        if cls is None or cls.needs_account:
            # A real provider needs its account (key, line): configure it
            # as a partak.sms.provider record, not here.
            logger.warning("sms_backend %r needs a provider account; "
                "messages are only logged", name)
            cls = _REGISTRY['log']
        return cls(None)
    return provider_class(record.type)(record)
