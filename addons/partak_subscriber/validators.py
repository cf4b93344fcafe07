# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Checks of Iranian identity and contact data, shared by the back office
models and the portal forms so both refuse the same input."""
import re

_PERSIAN_DIGITS = str.maketrans('۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩', '01234567890123456789')
MOBILE_RE = re.compile(r'^09\d{9}$')
POSTAL_CODE_RE = re.compile(r'^\d{10}$')
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')


def latin_digits(value):
    "Persian and Arabic-Indic digits typed on a phone become ASCII digits."
    return value.translate(_PERSIAN_DIGITS) if value else value


def national_code_check_digit(first_nine):
    "The mod-11 check digit of a national code's first nine digits (10..2)."
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine)) % 11
    return total if total < 2 else 11 - total


def is_national_code(code):
    """Iranian national code (کد ملی): ten digits, the last one the check
    digit of the first nine."""
    code = latin_digits(code or '').strip()
    if not re.fullmatch(r'\d{10}', code) or len(set(code)) == 1:
        return False
    return int(code[9]) == national_code_check_digit(code[:9])


def is_mobile(value):
    return bool(MOBILE_RE.match(latin_digits(value or '').strip()))


def is_postal_code(value):
    return bool(POSTAL_CODE_RE.match(latin_digits(value or '').strip()))


def is_email(value):
    return bool(EMAIL_RE.match((value or '').strip()))
