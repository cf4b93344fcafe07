# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The audit log of payments (رویدادهای پرداخت): every callback, every
question to the bank and every decision taken on a payment leaves one row,
so that a disputed payment can be told step by step — what the bank sent,
from which address, what it answered, what was applied or credited and
who refunded what.  Rows are added by the code, never rewritten."""
import datetime
import json

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.transaction import Transaction, without_check_access

EVENT_KINDS = [
    ('callback', "Callback"),
    ('refused', "Refused Callback"),
    ('verify', "Verify"),
    ('settled', "Settled"),
    ('credited', "Credited to Wallet"),
    ('failed', "Failed"),
    ('refund', "Refund"),
    ('reconciled', "Reconciled"),
    ]
#: the raw parameters are kept for diagnosis, not as an archive
PARAMS_SIZE = 2000


def remote_address():
    "The client address of the HTTP request running this transaction."
    request = Transaction().context.get('_request') or {}
    address = request.get('remote_addr')
    return str(address)[:64] if address else None


class PaymentEvent(ModelSQL, ModelView):
    """One step of a payment: a callback (accepted or refused), the bank's
    answer to verify, the settlement, a credit to the wallet, a refund."""
    __name__ = 'partak.payment.event'
    __string__ = "Payment Event"
    payment = fields.Many2One('partak.payment', "Payment", required=True,
        readonly=True, ondelete='RESTRICT')
    date = fields.DateTime("Date", required=True, readonly=True)
    kind = fields.Selection(EVENT_KINDS, "Kind", required=True,
        readonly=True, sort=False)
    kind_string = kind.translated('kind')
    bank_code = fields.Char("Bank Answer Code", readonly=True)
    amount = fields.Integer("Amount", readonly=True,
        help="Rials confirmed, credited or refunded by this step.")
    message = fields.Text("Message", readonly=True)
    remote_ip = fields.Char("Remote IP", readonly=True,
        help="The address the callback came from, when known.")
    params = fields.Text("Parameters", readonly=True,
        help="What the bank sent, truncated.")
    user = fields.Many2One('res.user', "User", readonly=True,
        ondelete='RESTRICT', help="Who did it (the system for callbacks "
        "and the cron).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.add(Index(t, (t.payment, Index.Range())))

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        # An audit log that can be edited proves nothing.
        if mode in {'write', 'delete'}:
            raise AccessError(gettext(
                    'partak_payment.msg_payment_event_readonly'))

    @classmethod
    def log(cls, payment, kind, message=None, bank_code=None, amount=None,
            params=None):
        """Adds an event of ``kind`` to ``payment``; ``params`` (a mapping)
        is stored as JSON, truncated.  The remote address and the user come
        from the transaction."""
        if params is not None:
            params = json.dumps(dict(params), ensure_ascii=False,
                sort_keys=True, default=str)[:PARAMS_SIZE]
        with without_check_access():
            event, = cls.create([{
                        'payment': payment.id,
                        'date': datetime.datetime.now(),
                        'kind': kind,
                        'message': message,
                        'bank_code': (str(bank_code)[:64]
                            if bank_code not in (None, '') else None),
                        'amount': amount,
                        'remote_ip': remote_address(),
                        'params': params,
                        # root (0) is the system: shown as nobody
                        'user': Transaction().user or None,
                        }])
        return event
