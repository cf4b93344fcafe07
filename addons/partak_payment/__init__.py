# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""partak_payment: bank gateways behind one interface, payment attempts,
callback and verify, and applying a paid order exactly once.

API for the portal (see payment.py and docs/services.md):

    Payment = Pool().get('partak.payment')
    url = Payment.start(order, gateway, callback_url)   # -> bank page URL
    payment = Payment.handle_callback(payment_id, params)

The sandbox bank (gateways/sandbox.py) is served by trytond itself under
/bank/sandbox; importing it registers its adapter and its routes.  The
real banks' adapters (gateways/<bank>.py) register the same way, and the
local test banks (gateways/testbank.py) are served under /bank/test/<bank>."""
from .gateways import sandbox  # noqa: F401
from .gateways import (  # noqa: F401
    idpay, mellat, sep, testbank, zarinpal, zibal)
