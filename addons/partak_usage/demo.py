# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo sessions that reproduce the manual's usage detail («ریز مصرف») of
کمال نصیری (line 1132455123) for 1394/11/24-25: 26 sessions, the first ten
as printed in the manual, totals upload 53.39, download 243.63, total
297.02 and deducted 243.62 MB.

Inside a transaction of an activated database (scripts/demo_data.py):

    from trytond.modules.partak_usage.demo import load_usage
    load_usage()                      # the line 1132455123
    load_usage(line, username=None)   # another partak.line

Works on SQLite (the demo) and PostgreSQL; running it again adds nothing.
"""
import datetime
from decimal import Decimal

import jdatetime

from trytond.pool import Pool
from trytond.transaction import without_check_access

from .choices import MB
from .report import to_utc

PHONE = '1132455123'

# (Jalali date, login, logout, download MB, upload MB).  The first ten rows
# are the manual's.  Three download figures carry 0.004 MB more than they
# show (rounded down in their row): the rows' deducted figures add up to
# 243.62 while the summed bytes make 243.63, as in the manual.
SESSIONS = [
    ('1394/11/24', '00:43', '02:26', '23.27', '11.08'),
    ('1394/11/24', '02:27', '04:14', '0.10', '0.10'),
    ('1394/11/24', '04:14', '05:00', '0.15', '0.07'),
    ('1394/11/24', '05:02', '05:10', '0', '0'),
    ('1394/11/24', '05:10', '06:01', '0.04', '0.04'),
    ('1394/11/24', '06:02', '07:47', '0.16', '0.15'),
    ('1394/11/24', '07:47', '07:49', '0', '0'),
    ('1394/11/24', '07:50', '07:55', '0', '0'),
    ('1394/11/24', '07:56', '07:56', '0', '0'),
    ('1394/11/24', '07:58', '08:16', '0.14', '0.02'),
    ('1394/11/24', '08:20', '10:05', '12.45', '2.31'),
    ('1394/11/24', '10:06', '13:40', '38.724', '6.15'),
    ('1394/11/24', '13:41', '14:02', '0.85', '0.40'),
    ('1394/11/24', '14:05', '17:48', '27.36', '5.02'),
    ('1394/11/24', '17:50', '19:12', '9.18', '1.77'),
    ('1394/11/24', '19:13', '23:59', '45.094', '8.64'),
    ('1394/11/25', '00:01', '01:30', '6.27', '1.10'),
    ('1394/11/25', '01:31', '01:33', '0', '0'),
    ('1394/11/25', '01:35', '07:20', '3.14', '0.86'),
    ('1394/11/25', '07:21', '09:45', '11.62', '2.08'),
    ('1394/11/25', '09:46', '12:10', '18.304', '3.35'),
    ('1394/11/25', '12:12', '12:15', '0.02', '0.01'),
    ('1394/11/25', '12:16', '15:44', '14.81', '2.90'),
    ('1394/11/25', '15:45', '18:20', '10.66', '2.24'),
    ('1394/11/25', '18:21', '21:05', '13.07', '2.75'),
    ('1394/11/25', '21:06', '23:40', '8.22', '2.35'),
    ]


def local_time(jalali, clock):
    "A Jalali date and HH:MM of the ISP's zone as naive UTC."
    y, m, d = map(int, jalali.split('/'))
    hour, minute = map(int, clock.split(':'))
    day = jdatetime.date(y, m, d).togregorian()
    return to_utc(datetime.datetime.combine(day, datetime.time(hour, minute)))


def to_bytes(mb):
    return int((Decimal(mb) * MB).to_integral_value())


def load_usage(line=None, username=None, sessions=SESSIONS):
    """Creates the demo sessions on `line` (default: the line 1132455123);
    returns the sessions created (none when they exist already)."""
    pool = Pool()
    Line = pool.get('partak.line')
    Session = pool.get('partak.radius.session')
    Period = pool.get('partak.service.period')
    with without_check_access():
        if line is None:
            line, = Line.search([('phone', '=', PHONE)], limit=1)
        account = line.accounts[0] if line.accounts else None
        username = username or (account.username if account
            else line.phone.lstrip('0'))
        prefix = 'demo-%s-' % line.phone
        existing = {s.unique_id for s in Session.search([
                    ('unique_id', 'like', prefix + '%')])}
        vlist = []
        for number, (day, login, logout, down, up) in enumerate(sessions):
            unique_id = '%s%02d' % (prefix, number)
            if unique_id in existing:
                continue
            start = local_time(day, login)
            stop = local_time(day, logout)
            download = to_bytes(down)
            periods = Period.search([
                    ('line', '=', line.id),
                    ('start', '<=', start), ('end', '>', start),
                    ], limit=1)
            vlist.append({
                    'unique_id': unique_id,
                    'session_id': '8%07d' % (number + 1),
                    'username': username,
                    'account': account.id if account else None,
                    'line': line.id,
                    'period': periods[0].id if periods else None,
                    'nas_ip': '127.0.0.1',
                    'start_time': start,
                    'update_time': stop,
                    'stop_time': stop,
                    'session_time': int((stop - start).total_seconds()),
                    'download_bytes': download,
                    'upload_bytes': to_bytes(up),
                    'deducted_bytes': download,
                    'state': 'closed',
                    'closed_by': 'stop',
                    'terminate_cause': 'User-Request',
                    })
        return Session.create(vlist)


#: The demo's NAS: radclient on the demo's machine plays it, and the NAS
#: simulator (nas_simulator.py) receives its Disconnect/CoA requests.
DEMO_NAS = {
    'name': 'demo-nas',
    'address': '127.0.0.1',
    'secret': 'partak-demo-nas',
    'nas_type': 'mikrotik',
    'coa': True,
    'coa_port': 3799,
    }


def load_nas():
    "Creates the demo NAS once and returns it."
    NAS = Pool().get('partak.nas')
    with without_check_access():
        existing = NAS.search([('address', '=', DEMO_NAS['address'])],
            limit=1)
        if existing:
            return existing[0]
        nas, = NAS.create([dict(DEMO_NAS)])
        return nas
