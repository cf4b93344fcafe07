# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""SMS.ir (اس ام اس دات آی آر) through its REST API v1 (docs.sms.ir).

Every call carries the header ``X-API-KEY``; answers are JSON
``{"status": <code>, "message": ..., "data": ...}`` where status 1 is
success (also with HTTP 4xx statuses for refusals).

- ``POST /v1/send/bulk`` ``{"lineNumber": <line>, "messageText": ...,
  "mobiles": ["09..."], "sendDateTime": null}`` -> data
  ``{"packId": ..., "messageIds": [<id>], "cost": ...}``;
- ``GET /v1/send/<messageId>`` -> data ``{"messageId", "mobile",
  "deliveryState", "deliveryDateTime", ...}``.

The provider record's ``host`` replaces ``https://api.sms.ir`` (a proxy,
or the tests' local server).
"""
import urllib.parse

from .base import (
    DELIVERED, UNDELIVERED, Delivery, Provider, ProviderError, register)

BASE_URL = 'https://api.sms.ir'
OK = 1
#: answer status of a refused call (SMS.ir's documentation)
ERRORS = {
    0: "Server error",
    10: "The API key is not valid",
    11: "The API key is deactivated",
    12: "The API key is limited to other IP addresses",
    13: "The account is deactivated",
    14: "The account is suspended",
    20: "Too many requests",
    101: "The line number is not valid",
    102: "The account's credit is not enough",
    103: "The message text is empty",
    104: "The mobile number is not valid",
    105: "Too many mobile numbers",
    }
PERMANENT = {103, 104}
#: data.deliveryState -> delivery; the others (3 with the operator, 5 at
#: the operator, null) are not final yet
DELIVERY = {
    1: DELIVERED,  # reached the phone
    2: UNDELIVERED,  # did not reach the phone
    4: UNDELIVERED,  # did not reach the operator
    6: UNDELIVERED,  # failed
    7: UNDELIVERED,  # the receiver is black-listed
    }


@register
class SmsIr(Provider):
    type = 'smsir'
    reports_delivery = True

    def url(self, path):
        base = (self.record.host or BASE_URL).rstrip('/')
        if '://' not in base:
            base = 'https://' + base
        return base + path

    def call(self, path, data=None):
        answer = self.request_json(self.url(path), data,
            headers={'X-API-KEY': self.record.api_key or ''})
        status = answer.get('status') if isinstance(answer, dict) else None
        if status != OK:
            message = ERRORS.get(status) or (answer or {}).get(
                'message') or "unexpected answer"
            raise ProviderError(message, code=status,
                permanent=status in PERMANENT)
        return answer.get('data') or {}

    def send(self, mobile, text):
        try:
            line = int(self.record.sender_number or 0)
        except ValueError:
            line = self.record.sender_number
        data = self.call('/v1/send/bulk', {'lineNumber': line,
                'messageText': text, 'mobiles': [mobile],
                'sendDateTime': None})
        try:
            return str(data['messageIds'][0])
        except (LookupError, TypeError) as error:
            raise ProviderError("send/bulk answered no message id",
                code='answer') from error

    def status(self, message_ids):
        result = {}
        for message_id in message_ids:
            data = self.call('/v1/send/%s' % urllib.parse.quote(message_id))
            state = DELIVERY.get(data.get('deliveryState'))
            if state:
                result[message_id] = Delivery(state,
                    code=str(data.get('deliveryState')))
        return result
