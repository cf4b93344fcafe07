# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Kavenegar (کاوه نگار) through its Python SDK ``kavenegar`` 1.1.2.

The SDK POSTs form data to ``https://<host>/v1/<API key>/sms/<method>.json``
and answers ``{"return": {"status": 200, "message": ...}, "entries": [...]}``.
Any other ``return.status`` raises ``APIException('APIException[<status>]
<message>')`` (as bytes); a network failure or an answer that is not JSON
raises ``HTTPException``.

- ``sms/send``: receptor, message, sender (the line number) -> entries
  ``[{messageid, status, statustext, receptor, sender, date, cost}]``;
- ``sms/status``: messageid (comma separated) -> entries
  ``[{messageid, status, statustext}]``.

The provider record's ``host`` replaces ``api.kavenegar.com`` (a proxy,
or the tests' local server).  The SDK sets no timeout on its requests.
"""
import re

from kavenegar import APIException, HTTPException, KavenegarAPI

from .base import (
    DELIVERED, UNDELIVERED, UNREACHABLE, Delivery, Provider, ProviderError,
    register)

#: return.status of a refused call (Kavenegar's REST documentation)
ERRORS = {
    '400': "Parameters are incomplete",
    '401': "The account is deactivated",
    '402': "The operation failed",
    '403': "The API key is not valid",
    '404': "Unknown method",
    '405': "Wrong HTTP method (GET/POST)",
    '406': "A required parameter is missing",
    '407': "No access to this information",
    '409': "The server cannot answer now",
    '411': "The receptor (mobile number) is not valid",
    '412': "The sender (line number) is not valid",
    '413': "The message is empty or too long",
    '414': "Too many receptors in one call",
    '417': "The send date is not valid",
    '418': "The account's credit is not enough",
    '422': "The message contains invalid characters",
    '424': "The template was not found",
    '426': "This method needs the premium account",
    '428': "The number cannot receive voice calls",
    '431': "The template code is not valid",
    }
#: errors of the message itself: sending it again cannot succeed
PERMANENT = {'411', '413', '422'}
#: sms/status entries' status -> delivery; the others are not final yet
#: (1 queued, 2 scheduled, 4/5 sent to the operator)
DELIVERY = {
    10: DELIVERED,
    6: UNDELIVERED,  # failed
    11: UNDELIVERED,  # not delivered to the phone
    13: UNDELIVERED,  # cancelled
    14: UNDELIVERED,  # blocked by the receiver
    100: UNDELIVERED,  # unknown message id
    }
_API_ERROR = re.compile(r'APIException\[(\d+)\]\s*(.*)', re.S)


def api_error(exception):
    "ProviderError of the SDK's APIException (its text is bytes)."
    text = exception.args[0] if exception.args else ''
    if isinstance(text, bytes):
        text = text.decode('utf-8', 'replace')
    match = _API_ERROR.search(str(text))
    code, message = (match.group(1), match.group(2).strip()) if match else (
        '', str(text))
    message = ERRORS.get(code, message) + (
        ' (%s)' % message if message and code in ERRORS else '')
    return ProviderError(message, code=code, permanent=code in PERMANENT)


@register
class Kavenegar(Provider):
    type = 'kavenegar'
    reports_delivery = True

    def api(self):
        api = KavenegarAPI(self.record.api_key or '')
        if self.record.host:
            api.host = self.record.host
        return api

    def call(self, method, params):
        try:
            return getattr(self.api(), method)(params)
        except APIException as exception:
            raise api_error(exception) from exception
        except HTTPException as exception:
            raise ProviderError(str(exception),
                code=UNREACHABLE) from exception

    def send(self, mobile, text):
        params = {'receptor': mobile, 'message': text}
        if self.record.sender_number:
            params['sender'] = self.record.sender_number
        entries = self.call('sms_send', params)
        try:
            return str(entries[0]['messageid'])
        except (LookupError, TypeError) as error:
            raise ProviderError("sms/send answered no message id",
                code='answer') from error

    def status(self, message_ids):
        if not message_ids:
            return {}
        entries = self.call('sms_status',
            {'messageid': ','.join(message_ids)})
        result = {}
        for entry in entries or []:
            state = DELIVERY.get(entry.get('status'))
            if state:
                result[str(entry['messageid'])] = Delivery(state,
                    code=str(entry.get('status')),
                    message=entry.get('statustext') or '')
        return result
