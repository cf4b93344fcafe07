# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Checks of Iranian identity and contact data, shared by the back office
models and the portal forms so both refuse the same input."""
import re
import unicodedata

# [0-9] and re.ASCII: Python's \d and str.isdigit() also accept fullwidth,
# Devanagari, superscript... digits, which would pass the checks and be
# stored as typed.
MOBILE_RE = re.compile(r'^09[0-9]{9}$', re.ASCII)
POSTAL_CODE_RE = re.compile(r'^[0-9]{10}$', re.ASCII)
NATIONAL_CODE_RE = re.compile(r'^[0-9]{10}$', re.ASCII)
PHONE_RE = re.compile(r'^[0-9]{8,11}$', re.ASCII)
EMAIL_RE = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')


def _latin_digit(char):
    if char.isascii():
        return char
    # Every Unicode decimal digit (Persian, Arabic-Indic, fullwidth, ...)
    # becomes its ASCII digit; other "digits" (superscripts, circled
    # numbers) are left as they are, so the checks refuse them.
    value = unicodedata.decimal(char, None)
    return str(value) if value is not None else char


def latin_digits(value):
    """Unicode decimal digits (Persian and Arabic-Indic typed on a phone,
    fullwidth, ...) become ASCII digits: the one normaliser of numbers
    typed by people, used before every check and for what is stored."""
    return ''.join(map(_latin_digit, value)) if value else value


def national_code_check_digit(first_nine):
    "The mod-11 check digit of a national code's first nine digits (10..2)."
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine)) % 11
    return total if total < 2 else 11 - total


def is_national_code(code):
    """Iranian national code (کد ملی): ten digits, the last one the check
    digit of the first nine."""
    code = latin_digits(code or '').strip()
    if not NATIONAL_CODE_RE.match(code) or len(set(code)) == 1:
        return False
    return int(code[9]) == national_code_check_digit(code[:9])


def is_mobile(value):
    return bool(MOBILE_RE.match(latin_digits(value or '').strip()))


def is_postal_code(value):
    return bool(POSTAL_CODE_RE.match(latin_digits(value or '').strip()))


def is_phone(value):
    "A landline number as the telecom operator writes it: 8 to 11 digits."
    return bool(PHONE_RE.match(latin_digits(value or '').strip()))


def is_email(value):
    return bool(EMAIL_RE.match((value or '').strip()))
