# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Data of the portal's usage detail page (SPEC §3.6, «ریز مصرف»).

    from trytond.modules.partak_usage.report import usage_report
    report = usage_report(line, start, end)

`start` and `end` are dates (datetime.date, or jdatetime.date for Jalali
dates) of the ISP's time zone, both included, or naive UTC date-times
(`end` then excluded).  Sessions whose login falls in the range are listed,
newest last as in the manual.  MB = bytes / 1048576 rounded half up to 2
decimals (Decimal).  Totals as the manual computes them: upload, download
and total from the summed bytes; deducted from each session's own rounded
figure (243.62 next to a download of 243.63)."""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from trytond.pool import Pool
from trytond.transaction import without_check_access

from trytond.modules.partak_services.tools import local_zone

from .choices import MB
from .line import change_internet_password

__all__ = ['usage_report', 'change_internet_password', 'mb']

CENT = Decimal('0.01')


def mb(bytes_):
    "Bytes as MB with 2 decimals, rounded half up: Decimal('23.27')."
    return (Decimal(int(bytes_ or 0)) / MB).quantize(CENT, ROUND_HALF_UP)


def to_utc(value):
    "A naive local date-time (ISP's time zone) as naive UTC."
    return (value.replace(tzinfo=local_zone())
        .astimezone(datetime.timezone.utc).replace(tzinfo=None))


def to_local(value):
    "A naive UTC date-time as a naive date-time of the ISP's time zone."
    if value is None:
        return None
    return (value.replace(tzinfo=datetime.timezone.utc)
        .astimezone(local_zone()).replace(tzinfo=None))


def _bound(value, end=False):
    "A range bound as naive UTC (local whole days for dates)."
    if value is None:
        return None
    if hasattr(value, 'togregorian'):  # jdatetime.date / datetime
        value = value.togregorian()
    if isinstance(value, datetime.datetime):
        return value
    day = value + datetime.timedelta(days=1) if end else value
    return to_utc(datetime.datetime.combine(day, datetime.time()))


def usage_report(line, start=None, end=None):
    """Sessions of `line` (a partak.line, or its id) whose login is in
    [start, end] and their totals.

    Returns {'rows': [...], 'totals': {...}} where each row is a dict with
    'login', 'logout' (naive local date-times of the ISP's zone, logout None
    while online), 'login_utc', 'logout_utc', 'download_mb', 'upload_mb',
    'deducted_mb' (Decimal), 'ip' (str or ''), 'online' (bool), 'session'
    (the id) and the raw bytes 'download_bytes', 'upload_bytes',
    'deducted_bytes'; and totals 'upload_mb', 'download_mb', 'total_mb',
    'deducted_mb' (Decimal) with their byte sums and 'count'."""
    Session = Pool().get('partak.radius.session')
    line_id = getattr(line, 'id', line)
    domain = [('line', '=', line_id)]
    start_utc, end_utc = _bound(start), _bound(end, end=True)
    if start_utc is not None:
        domain.append(('start_time', '>=', start_utc))
    if end_utc is not None:
        domain.append(('start_time', '<', end_utc))
    with without_check_access():
        sessions = Session.search(domain,
            order=[('start_time', 'ASC'), ('id', 'ASC')])
    rows = []
    up = down = deducted = 0
    deducted_mb = Decimal('0.00')
    for session in sessions:
        row = {
            'session': session.id,
            'login': to_local(session.start_time),
            'logout': to_local(session.stop_time),
            'login_utc': session.start_time,
            'logout_utc': session.stop_time,
            'online': session.state == 'open',
            'download_bytes': session.download_bytes or 0,
            'upload_bytes': session.upload_bytes or 0,
            'deducted_bytes': session.deducted_bytes or 0,
            'download_mb': mb(session.download_bytes),
            'upload_mb': mb(session.upload_bytes),
            'deducted_mb': mb(session.deducted_bytes),
            'ip': session.framed_ip or '',
            }
        rows.append(row)
        up += row['upload_bytes']
        down += row['download_bytes']
        deducted += row['deducted_bytes']
        deducted_mb += row['deducted_mb']
    totals = {
        'count': len(rows),
        'upload_bytes': up,
        'download_bytes': down,
        'total_bytes': up + down,
        'deducted_bytes': deducted,
        'upload_mb': mb(up),
        'download_mb': mb(down),
        'total_mb': mb(up + down),
        'deducted_mb': deducted_mb,
        }
    return {'rows': rows, 'totals': totals}
