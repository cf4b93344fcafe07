# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Portal pages of the network side (SPEC §3.6 usage detail, §3.7 internet
password): data from partak_usage, shown in Jalali dates."""
import datetime

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.partak_usage.report import (
    change_internet_password, usage_report)

from . import jalali
from .routes import paging, route
from .routes_services import own_line


def date_filter(request, name, default):
    "A Jalali date typed by the subscriber, or the default when empty."
    text = request.args.get(name, '').strip()
    if not text:
        return default, jalali.jalali_date(default), None
    try:
        return jalali.parse_jalali_date(text), text, None
    except ValueError:
        return default, text, name


@route('/usage')
def usage(visit):
    request, _ = visit.request, visit._
    line = own_line(visit)
    today = jalali.today_local()
    start, start_text, bad_start = date_filter(
        request, 'start', today - datetime.timedelta(days=30))
    end, end_text, bad_end = date_filter(request, 'end', today)
    error = None
    if bad_start or bad_end:
        error = _("Enter the date as year/month/day, for example "
            "1365/04/12.")
    elif start > end:
        error = _("The start date must not be after the end date.")
        start, end = end, start
    report = usage_report(line, start, end) if line else {
        'rows': [], 'totals': None}
    rows = report['rows']
    search = request.args.get('q', '').strip()[:40]
    if search:
        rows = [r for r in rows if search in (r['ip'] or '')
            or search in jalali.jalali_local(r['login'])]
    pager = paging(request, len(rows))
    shown = rows[pager['offset']:pager['offset'] + pager['size']]
    return visit.page('usage.html', active='remaining', line=line,
        rows=shown, totals=report['totals'], pager=pager, error=error,
        start=start_text, end=end_text, search=search)


@route('/internet-password', methods=('GET', 'POST'))
def internet_password(visit):
    request, _ = visit.request, visit._
    line = own_line(visit)
    account = next((a for a in line.accounts if a.active), None) \
        if line else None
    errors, done = {}, None
    if request.method == 'POST' and account:
        old = request.form.get('old', '')
        new = request.form.get('new', '')
        if new != request.form.get('repeat', ''):
            errors['repeat'] = _("The two new passwords are not the same.")
        else:
            try:
                change_internet_password(account, old, new)
            except (UserError, ValidationError) as exception:
                Transaction().rollback()
                errors['form'] = exception.message
            else:
                done = _("Your internet password has been changed. Set the "
                    "new password in your modem too.")
    return visit.page('internet_password.html', active='internet_password',
        account=account, errors=errors, done=done)
