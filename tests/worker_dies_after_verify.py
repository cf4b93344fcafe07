# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Test double: a trytond worker that handles one bank callback and dies
(os._exit, no clean-up, as a SIGKILL would leave it) right after the
bank's confirmation is committed and before the order is applied.

    worker_dies_after_verify.py CONFIG DATABASE PAYMENT_ID PARAMS_JSON

Exits 17 when it died at that point; anything else is a failure."""
import json
import os
import sys

from trytond import config

config.update_etc(sys.argv[1])

from trytond.pool import Pool  # noqa: E402
from trytond.modules.partak_services.setup import (  # noqa: E402
    run_in_transaction)

DIED = 17


def main(database, payment_id, params):
    Pool.start()
    pool = Pool(database)
    pool.init()
    Payment = pool.get('partak.payment')

    def die(cls, *args, **kwargs):
        os._exit(DIED)
    # The application's entry point: reached only once 'verified' is
    # committed (Payment.handle_callback).
    Payment.process_verified = classmethod(die)
    run_in_transaction(database,
        lambda: Payment.handle_callback(payment_id, params),
        context={'language': 'fa'})
    return 1  # it did not reach the application


if __name__ == '__main__':
    sys.exit(main(sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])))
