# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Small helpers shared by the models: sizes, time zone, Jalali months,
settings of the [partak] configuration section and the company context."""
import contextlib
import datetime
from zoneinfo import ZoneInfo

import jdatetime

from trytond import config
from trytond.model import fields
from trytond.pool import Pool
from trytond.transaction import Transaction

MB = 1024 * 1024
GB = 1024 * MB
UTC = datetime.timezone.utc
JALALI_MONTHS = ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور',
    'مهر', 'آبان', 'آذر', 'دی', 'بهمن', 'اسفند']


def now():
    "Naive UTC, as Tryton stores date-times."
    return datetime.datetime.now()


def setting(name, default):
    "An integer of the [partak] section of trytond's configuration."
    return config.getint('partak', name, default=default)


def local_zone():
    return ZoneInfo(config.get('partak', 'timezone', default='Asia/Tehran'))


def to_local(value):
    "A naive UTC date-time as a naive date-time of the ISP's time zone."
    return (value.replace(tzinfo=UTC).astimezone(local_zone())
        .replace(tzinfo=None))


def to_utc(value):
    "A naive local date-time (ISP's time zone) as naive UTC."
    return (value.replace(tzinfo=local_zone()).astimezone(UTC)
        .replace(tzinfo=None))


def local_date(value):
    return to_local(value).date()


def jalali_month(day):
    "(first day, last day, 'مهر ماه سال 1393') of the Jalali month of day."
    jday = jdatetime.date.fromgregorian(date=day)
    first = jdatetime.date(jday.year, jday.month, 1)
    if jday.month == 12:
        following = jdatetime.date(jday.year + 1, 1, 1)
    else:
        following = jdatetime.date(jday.year, jday.month + 1, 1)
    last = following.togregorian() - datetime.timedelta(days=1)
    note = '%s ماه سال %d' % (JALALI_MONTHS[jday.month - 1], jday.year)
    return first.togregorian(), last, note


def add_months(value, months):
    "The same day and time `months` calendar months later (clipped)."
    month = value.month - 1 + months
    year = value.year + month // 12
    month = month % 12 + 1
    for day in range(value.day, 27, -1):
        try:
            return value.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return value.replace(year=year, month=month, day=min(value.day, 28))


def months_between(start, end):
    "Whole calendar months from start to end (0 when end < 1 month after)."
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return months


def get_company():
    "The company of the context, else the only (first) one."
    pool = Pool()
    Company = pool.get('company.company')
    company_id = Transaction().context.get('company')
    if company_id:
        return Company(company_id)
    companies = Company.search([], order=[('id', 'ASC')], limit=1)
    return companies[0] if companies else None


@contextlib.contextmanager
def company_context(company=None):
    """Prices and accounting are per company in Tryton: run with a company
    in the context even when the caller (portal, cron) did not set one."""
    company = company or get_company()
    if company and Transaction().context.get('company') != company.id:
        with Transaction().set_context(company=company.id):
            yield company
    else:
        yield company


class BigInteger(fields.Integer):
    "An integer stored on 64 bits (bytes of traffic exceed 2**31)."
    _sql_type = 'BIGINT'

sql_in = fields.SQL_OPERATORS['in']
