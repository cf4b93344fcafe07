# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The money rules with the manual's figures, and their properties."""
import unittest
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from trytond.modules.partak_services import pricing

RIALS = st.integers(min_value=0, max_value=10 ** 11)
DAYS = st.integers(min_value=-400, max_value=4000)
TERMS = st.integers(min_value=1, max_value=3650)


class PricingManualTestCase(unittest.TestCase):
    "The manual's figures, to the Rial"

    def test_remaining_value_manual(self):
        "Paid 2,000,000 for 365 days, 352 left: 1,928,767 (truncated)"
        self.assertEqual(pricing.remaining_value(2_000_000, 352, 365),
            1_928_767)

    def test_change_payable_manual(self):
        "8,000,000 + 720,000 + 0 − 1,928,767 − 0 = 6,791,233 payable"
        vat = pricing.vat_amount(8_000_000, Decimal('0.09'))
        self.assertEqual(vat, 720_000)
        self.assertEqual(
            pricing.change_payable(8_000_000, vat, 0, 1_928_767, 0),
            (6_791_233, 0))

    def test_change_negative(self):
        "A cheaper new service: nothing to pay, the surplus to the wallet"
        vat = pricing.vat_amount(1_400_000, Decimal('0.09'))
        self.assertEqual(vat, 126_000)
        self.assertEqual(
            pricing.change_payable(1_400_000, vat, 0, 1_928_767, 0),
            (0, 402_767))

    def test_change_with_wallet(self):
        "Panel credit used lowers the payable amount"
        self.assertEqual(
            pricing.change_payable(8_000_000, 720_000, 0, 1_928_767, 91_233),
            (6_700_000, 0))
        self.assertEqual(
            pricing.change_payable(350_000, 31_500, 10_000, 0, 0),
            (391_500, 0))

    def test_daily_charge_manual(self):
        "215,000 per 30 days: a 31-day month is 222,166, 30 days 215,000"
        self.assertEqual(pricing.daily_charge(215_000, 30, 31), 222_166)
        self.assertEqual(pricing.daily_charge(215_000, 30, 30), 215_000)
        self.assertEqual(pricing.daily_charge(227_900, 30, 30), 227_900)
        self.assertEqual(pricing.daily_charge(215_000, 0, 31), 0)

    def test_vat_truncated(self):
        "VAT is truncated to the Rial"
        self.assertEqual(pricing.vat_amount(222_166, Decimal('0.09')), 19_994)
        self.assertEqual(pricing.vat_amount(50_000, Decimal('0.09')), 4_500)
        self.assertEqual(pricing.vat_amount(0, Decimal('0.09')), 0)
        self.assertEqual(pricing.vat_amount(-111, Decimal('0.09')), -9)

    def test_remaining_value_bounds(self):
        "Remaining days are clipped to the term; no term is worth nothing"
        self.assertEqual(pricing.remaining_value(2_000_000, 400, 365),
            2_000_000)
        self.assertEqual(pricing.remaining_value(2_000_000, -3, 365), 0)
        self.assertEqual(pricing.remaining_value(2_000_000, 10, 0), 0)

    def test_wallet_to_use(self):
        "The wallet pays what is due, never more than its balance"
        self.assertEqual(pricing.wallet_to_use(381_500, 500_000), 381_500)
        self.assertEqual(pricing.wallet_to_use(381_500, 100_000), 100_000)
        self.assertEqual(pricing.wallet_to_use(-5, 100_000), 0)

    def test_bonus_volume(self):
        "1 GB + 10 % = 1.1 GB, truncated to the byte"
        self.assertEqual(pricing.bonus_volume(1024 ** 3, 10), 1_181_116_006)
        self.assertEqual(pricing.bonus_volume(1024 ** 3, 0), 1024 ** 3)


class PricingPropertyTestCase(unittest.TestCase):
    "Properties that hold for every amount"

    @settings(max_examples=300, deadline=None)
    @given(paid=RIALS, days=DAYS, term=TERMS)
    def test_remaining_value_between_zero_and_paid(self, paid, days, term):
        value = pricing.remaining_value(paid, days, term)
        self.assertGreaterEqual(value, 0)
        self.assertLessEqual(value, paid)
        if days >= term:
            self.assertEqual(value, paid)
        if days <= 0:
            self.assertEqual(value, 0)

    @settings(max_examples=300, deadline=None)
    @given(paid=RIALS, days=DAYS, more=st.integers(0, 400), term=TERMS)
    def test_remaining_value_monotonic(self, paid, days, more, term):
        self.assertLessEqual(pricing.remaining_value(paid, days, term),
            pricing.remaining_value(paid, days + more, term))

    @settings(max_examples=300, deadline=None)
    @given(paid=RIALS, days=st.integers(0, 3650), term=TERMS)
    def test_remaining_value_truncates(self, paid, days, term):
        "Never more than the exact fraction, less by under one Rial"
        days = min(days, term)
        value = pricing.remaining_value(paid, days, term)
        exact = Decimal(paid) * days / term
        self.assertLessEqual(value, exact)
        self.assertLess(exact - value, 1)

    @settings(max_examples=300, deadline=None)
    @given(price=RIALS, vat=RIALS, fee=RIALS, remaining=RIALS, wallet=RIALS)
    def test_change_payable_splits_total(self, price, vat, fee, remaining,
            wallet):
        payable, surplus = pricing.change_payable(
            price, vat, fee, remaining, wallet)
        self.assertGreaterEqual(payable, 0)
        self.assertGreaterEqual(surplus, 0)
        self.assertEqual(payable * surplus, 0)
        self.assertEqual(payable - surplus,
            price + vat + fee - remaining - wallet)

    @settings(max_examples=300, deadline=None)
    @given(price=RIALS, term=TERMS, days=st.integers(0, 3650))
    def test_daily_charge_bounds(self, price, term, days):
        charge = pricing.daily_charge(price, term, days)
        self.assertGreaterEqual(charge, 0)
        self.assertLessEqual(charge, Decimal(price) * days / term)
        if days <= term:
            self.assertLessEqual(charge, price)

    @settings(max_examples=300, deadline=None)
    @given(price=RIALS, percent=st.integers(0, 100))
    def test_vat_truncated_bounds(self, price, percent):
        rate = Decimal(percent) / 100
        vat = pricing.vat_amount(price, rate)
        self.assertLessEqual(vat, price * rate)
        self.assertLess(price * rate - vat, 1)

    @settings(max_examples=300, deadline=None)
    @given(due=st.integers(-10 ** 9, 10 ** 9), balance=RIALS)
    def test_wallet_to_use_bounds(self, due, balance):
        used = pricing.wallet_to_use(due, balance)
        self.assertGreaterEqual(used, 0)
        self.assertLessEqual(used, balance)
        self.assertLessEqual(used, max(due, 0))

    def test_split_gross_manual(self):
        "The manual's payable splits back into its price and VAT"
        self.assertEqual(pricing.split_gross(6_791_233, Decimal('0.09')),
            (6_230_489, 560_744))
        self.assertEqual(pricing.split_gross(8_720_000, Decimal('0.09')),
            (8_000_000, 720_000))

    @settings(max_examples=300, deadline=None)
    @given(amount=RIALS, percent=st.integers(0, 30))
    def test_split_gross_bounds(self, amount, percent):
        "A refund's price and VAT add up to it; the VAT is the rule's or 1 more"
        rate = Decimal(percent) / 100
        price, vat = pricing.split_gross(amount, rate)
        self.assertEqual(price + vat, amount)
        self.assertGreaterEqual(price, 0)
        rule = pricing.vat_amount(price, rate)
        self.assertIn(vat - rule, (0, 1))
        # The largest such price
        self.assertGreater(price + 1 + pricing.vat_amount(price + 1, rate),
            amount)
