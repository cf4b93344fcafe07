# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Dates as a Persian reader expects them: Tehran time, Jalali calendar.
Tryton stores naive UTC date-times; dates (birth dates) have no zone."""
import datetime
import re

import jdatetime


from trytond.modules.partak_services.tools import local_zone
from trytond.modules.partak_subscriber.validators import latin_digits

UTC = datetime.timezone.utc
WEEKDAYS = ['شنبه', 'یکشنبه', 'دوشنبه', 'سه‌شنبه', 'چهارشنبه', 'پنجشنبه',
    'جمعه']
MONTHS = ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور', 'مهر',
    'آبان', 'آذر', 'دی', 'بهمن', 'اسفند']


def to_local(value):
    "A stored (naive UTC) date-time in the ISP's time zone."
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_zone())


def _jdate(value):
    if isinstance(value, datetime.datetime):
        value = to_local(value).date()
    return jdatetime.date.fromgregorian(date=value)


def jalali_date(value):
    "1394/07/27"
    if not value:
        return ''
    d = _jdate(value)
    return '%04d/%02d/%02d' % (d.year, d.month, d.day)


def jalali_datetime(value):
    "1394/11/21 14:09"
    if not value:
        return ''
    local = to_local(value)
    return '%s %02d:%02d' % (jalali_date(value), local.hour, local.minute)


def jalali_long(value):
    "یکشنبه 25 بهمن 1394: the dashboard's greeting."
    if not value:
        return ''
    d = _jdate(value)
    return '%s %d %s %d' % (WEEKDAYS[d.weekday()], d.day, MONTHS[d.month - 1],
        d.year)


def today_local():
    return datetime.datetime.now(UTC).astimezone(local_zone()).date()


def parse_jalali_date(text):
    """'1365/04/12' (Persian or Latin digits, / or -) → datetime.date;
    ValueError when it is not a real Jalali date."""
    text = latin_digits(text or '').strip()
    m = re.fullmatch(r'(\d{4})[/-](\d{1,2})[/-](\d{1,2})', text)
    if not m:
        raise ValueError(text)
    year, month, day = map(int, m.groups())
    return jdatetime.date(year, month, day).togregorian()


def amount(value):
    "Integer Rials with thousands separators: 6,791,233"
    return '{:,}'.format(int(value or 0))


def jalali_local(value):
    "1394/11/24 00:43 of a date-time already in the ISP's time zone."
    if not value:
        return ''
    d = jdatetime.date.fromgregorian(date=value.date())
    return '%04d/%02d/%02d %02d:%02d' % (d.year, d.month, d.day, value.hour,
        value.minute)


def gigabytes(value):
    "4.24 (GB, 1 GB = 1024 MB): traffic as the dashboard shows it."
    if value is None:
        return None
    return '%.2f' % (value / 1024 ** 3)
