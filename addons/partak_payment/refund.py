# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Refund to wallet (بازگشت وجه به اعتبار پنل): staff of accounting or
administration give back part or all of a paid payment as panel credit,
with a reason.  The limits and the audit trail live in
``Payment.refund`` (payment.py); this is the dialog."""
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.wizard import Button, StateTransition, StateView, Wizard


class RefundStart(ModelView):
    "Refund to Wallet"
    __name__ = 'partak.payment.refund.start'
    payment = fields.Many2One('partak.payment', "Payment", readonly=True)
    refundable = fields.Integer("Refundable (Rial)", readonly=True,
        help="Paid and not yet refunded.")
    amount = fields.Integer("Amount (Rial)", required=True,
        domain=[('amount', '>', 0)])
    reason = fields.Text("Reason", required=True,
        help="Why the money is given back; kept in the payment's events "
        "and the wallet move.")


class Refund(Wizard):
    "Refund to Wallet"
    __name__ = 'partak.payment.refund'
    start = StateView('partak.payment.refund.start',
        'partak_payment.payment_refund_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Refund", 'refund', 'tryton-ok', default=True),
            ])
    refund = StateTransition()

    def default_start(self, fields):
        payment = self.record
        return {
            'payment': payment.id,
            'refundable': payment.refundable,
            'amount': payment.refundable or None,
            }

    def transition_refund(self):
        Payment = Pool().get('partak.payment')
        Payment.refund(self.record, self.start.amount, self.start.reason)
        return 'end'
