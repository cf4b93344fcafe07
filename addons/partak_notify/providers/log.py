# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The 'log' provider: writes the message to the server log and counts it
as sent.  Used by the demo and the tests, and as the fallback when no
provider account is active."""
import logging
import uuid

from .base import Provider, register

logger = logging.getLogger(__name__)


@register
class LogProvider(Provider):
    type = 'log'
    needs_account = False

    def send(self, mobile, text):
        message_id = 'log-%s' % uuid.uuid4().hex[:12]
        logger.info("SMS %s to %s: %s", message_id, mobile, text)
        return message_id
