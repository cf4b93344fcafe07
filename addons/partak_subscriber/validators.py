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


def is_national_code(code):
    """Iranian national code (کد ملی): ten digits, the last one a mod-11
    check digit over the first nine weighted 10..2."""
    code = latin_digits(code or '').strip()
    if not re.fullmatch(r'\d{10}', code) or len(set(code)) == 1:
        return False
    total = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    check = int(code[9])
    return check == total if total < 2 else check == 11 - total


def is_mobile(value):
    return bool(MOBILE_RE.match(latin_digits(value or '').strip()))


def is_postal_code(value):
    return bool(POSTAL_CODE_RE.match(latin_digits(value or '').strip()))


def is_email(value):
    return bool(EMAIL_RE.match((value or '').strip()))
