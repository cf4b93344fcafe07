# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The money rules of the manual, as pure functions without a database.

Every amount is an integer number of Rials.  Where the manual divides, the
result is truncated toward zero, as its figures show (2,000,000 × 352 / 365
is 1,928,767.12 and the manual shows 1,928,767)."""
from decimal import ROUND_DOWN, Decimal

__all__ = ['remaining_value', 'change_payable', 'daily_charge', 'vat_amount',
    'wallet_to_use', 'bonus_volume']


def _trunc_div(numerator, denominator):
    "Integer division truncated toward zero (Python's // floors)."
    quotient = abs(numerator) // abs(denominator)
    return quotient if (numerator >= 0) == (denominator > 0) else -quotient


def remaining_value(paid, remaining_days, term_days):
    """The value left of a service bought for `paid` Rials for `term_days`
    days when `remaining_days` days are left: paid × remaining / term.

    `remaining_days` is clipped to [0, term_days]; a term of 0 days or less
    is worth nothing.  The manual's change of service:

    >>> remaining_value(2_000_000, 352, 365)
    1928767
    """
    paid, remaining_days, term_days = int(paid), int(remaining_days), \
        int(term_days)
    if term_days <= 0:
        return 0
    remaining_days = min(max(remaining_days, 0), term_days)
    return _trunc_div(paid * remaining_days, term_days)


def change_payable(price, vat, fee, remaining_value, wallet):
    """What the subscriber pays and what goes to the wallet.

    total = price + vat + fee − remaining value of the current service −
    wallet credit used; `payable` is the total when positive, else 0, and
    `surplus` is what is left over (credited to the wallet when the
    purchase is applied).  Returns ``(payable, surplus)``.

    >>> change_payable(8_000_000, 720_000, 0, 1_928_767, 0)
    (6791233, 0)
    >>> change_payable(1_400_000, 126_000, 0, 1_928_767, 0)
    (0, 402767)
    """
    total = (int(price) + int(vat) + int(fee) - int(remaining_value)
        - int(wallet))
    return max(total, 0), max(-total, 0)


def daily_charge(price, term_days, days):
    """The charge of `days` days of a plan that costs `price` Rials for
    `term_days` days: price × days / term (a postpaid month's bill).

    >>> daily_charge(215_000, 30, 31)
    222166
    """
    price, term_days, days = int(price), int(term_days), int(days)
    if term_days <= 0:
        return 0
    return _trunc_div(price * days, term_days)


def vat_amount(price, rate):
    """Value added tax of `price` at `rate` (a Decimal such as
    Decimal('0.09')), truncated to the Rial.

    >>> vat_amount(8_000_000, Decimal('0.09'))
    720000
    """
    amount = Decimal(int(price)) * Decimal(str(rate))
    return int(amount.quantize(Decimal(1), rounding=ROUND_DOWN))


def split_gross(amount, rate):
    """(price, VAT) of a gross `amount` that includes VAT at `rate`, by the
    one truncation rule: the largest price whose price + vat_amount(price)
    does not exceed `amount`; the VAT is the rest, so the two always add
    up to `amount` (a refund credits exactly what was paid).

    >>> split_gross(6_791_233, Decimal('0.09'))
    (6230489, 560744)
    >>> split_gross(0, Decimal('0.09'))
    (0, 0)
    """
    amount = int(amount)
    rate = Decimal(str(rate))
    price = int((Decimal(amount) / (1 + rate)).quantize(
            Decimal(1), rounding=ROUND_DOWN))
    while price + 1 + vat_amount(price + 1, rate) <= amount:
        price += 1
    while price > 0 and price + vat_amount(price, rate) > amount:
        price -= 1
    return price, amount - price


def wallet_to_use(due, balance):
    """The part of the wallet `balance` that pays `due` Rials: never more
    than needed, never more than there is, never negative.

    >>> wallet_to_use(6_791_233, 500_000)
    500000
    >>> wallet_to_use(100_000, 500_000)
    100000
    """
    return max(min(int(due), int(balance)), 0)


def bonus_volume(volume, bonus_percent):
    """The volume a traffic pack credits: volume × (100 + bonus) / 100,
    truncated to the byte.

    >>> bonus_volume(1024, 10)
    1126
    """
    return _trunc_div(int(volume) * (100 + int(bonus_percent or 0)), 100)
