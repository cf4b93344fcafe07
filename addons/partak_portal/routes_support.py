# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Portal pages of the support desk (SPEC §3.12): the subscriber's tickets,
a new ticket, and a ticket's thread with the reply editor.  A ticket is
found by its number *and* the logged-in subscriber, so another's number
is a 404 like an unknown one."""
import os
import re

import filetype
from markupsafe import Markup
from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.transaction import Transaction

from trytond.modules.partak_helpdesk.sanitize import clean_html, plain_text

from .render import finish
from .routes import PREFIX, paging, route, upload_message
from .uploads import EXTENSIONS, UploadRefused, check_document, max_bytes

# Arabic-script letters (Persian included); digits and punctuation do not
# count, so "123 !!!" is "no Persian".
PERSIAN = re.compile('[\u0621-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc'
    '\ufb50-\ufdff\ufe70-\ufefc]')
TITLE_MAX = 200
BODY_MAX = 20000
# The portal's labels of the ticket states, as the manual writes them.
STATE_LABELS = {
    'open': "Ticket is open",
    'answered': "Ticket is answered",
    'waiting': "Waiting for your answer",
    'closed': "Ticket is closed",
    }


def has_persian(text):
    return bool(PERSIAN.search(text or ''))


def choices():
    pool = Pool()
    return {
        'departments': pool.get('partak.helpdesk.department').search([]),
        'services': pool.get('partak.helpdesk.service').search([]),
        'priorities': pool.get('partak.helpdesk.priority').search([]),
        }


def own_ticket(visit, number):
    Ticket = Pool().get('partak.helpdesk.ticket')
    tickets = Ticket.search([
            ('number', '=', number),
            ('party', '=', visit.party.id),
            ], limit=1)
    if not tickets:
        raise NotFound()
    return tickets[0]


def read_body(form):
    "The posted HTML, cleaned, and whether it says anything."
    body = clean_html(form.get('body', '')[:BODY_MAX * 2])
    return body, plain_text(body)


def read_attachment(visit, errors):
    """The optional file of a ticket or reply as [(name, data)], checked
    like a profile document; sets errors['file'] when refused."""
    upload = visit.request.files.get('file')
    if upload is None or not upload.filename:
        return []
    try:
        # One byte more than allowed, so that "too big" is detected.
        data = upload.stream.read(max_bytes() + 1)
        mimetype = check_document(data)
    except UploadRefused as refused:
        errors['file'] = upload_message(visit._, refused)
        return []
    name = re.sub(r'[^\w.\-]+', '_', os.path.basename(
            upload.filename))[:80] or 'file'
    return [('%s.%s' % (name.rsplit('.', 1)[0] or 'file',
                EXTENSIONS[mimetype]), data)]


def state_label(visit, ticket):
    return visit._(STATE_LABELS[ticket.state])


@route('/support')
def support(visit):
    Ticket = Pool().get('partak.helpdesk.ticket')
    domain = [('party', '=', visit.party.id)]
    pager = paging(visit.request, Ticket.search_count(domain))
    rows = Ticket.search(domain, offset=pager['offset'], limit=pager['size'])
    return visit.page('support.html', active='support', rows=rows,
        pager=pager, state_label=lambda t: state_label(visit, t))


@route('/support/new', methods=('GET', 'POST'), multiline=('body',))
def support_new(visit):
    pool = Pool()
    Ticket = pool.get('partak.helpdesk.ticket')
    request, _ = visit.request, visit._
    options = choices()
    lines = sorted(visit.party.lines, key=lambda l: l.id)
    values = {'department': '', 'service': '', 'priority': '', 'title': '',
        'body': '', 'line': ''}
    errors = {}
    if request.method == 'POST':
        form = request.form
        values.update({k: form.get(k, '').strip()[:TITLE_MAX]
                for k in ('department', 'service', 'priority', 'title',
                    'line')})
        values['body'], text = read_body(form)
        ids = {k: {str(r.id) for r in options[plural]}
            for k, plural in [('department', 'departments'),
                ('service', 'services'), ('priority', 'priorities')]}
        if values['department'] not in ids['department']:
            errors['department'] = _("Choose the department.")
        if values['service'] and values['service'] not in ids['service']:
            errors['service'] = _("Choose the service from the list.")
        if values['priority'] not in ids['priority']:
            errors['priority'] = _("Choose the priority.")
        if len(values['title']) < 3:
            errors['title'] = _("Write the title of the ticket.")
        if not text:
            errors['body'] = _("Write the text of the ticket.")
        elif len(text) > BODY_MAX:
            errors['body'] = _("The text is too long.")
        line = next((l for l in lines if str(l.id) == values['line']),
            lines[0] if lines else None)
        attachments = read_attachment(visit, errors)
        if not errors:
            try:
                ticket, = Ticket.create([{
                            'party': visit.party.id,
                            'line': line.id if line else None,
                            'department': int(values['department']),
                            'service': (int(values['service'])
                                if values['service'] else None),
                            'priority': int(values['priority']),
                            'title': values['title'],
                            }])
                ticket.post(values['body'], author='subscriber',
                    attachments=attachments)
            except (ValidationError, UserError) as exception:
                Transaction().rollback()
                errors['form'] = exception.message
            else:
                url = '%s/support/%s?done=created' % (PREFIX, ticket.number)
                # A gentle reminder of the manual's note, not a refusal.
                if not (has_persian(values['title']) and has_persian(text)):
                    url += '&latin=1'
                return redirect(url)
    return visit.page('support_new.html', active='support', values=values,
        errors=errors, lines=lines, **options)


def thread_page(visit, ticket, errors=None, body='', status=200):
    Attachment = Pool().get('ir.attachment')
    messages = list(ticket.messages)
    files = {m.id: [] for m in messages}
    for attachment in Attachment.search([
                ('resource', 'in', [str(m) for m in messages])],
            order=[('id', 'ASC')]):
        files[attachment.resource.id].append(attachment)
    args = visit.request.args
    response = visit.page('support_thread.html', active='support',
        ticket=ticket, state=state_label(visit, ticket),
        messages=[(m, Markup(clean_html(m.body)), files[m.id])
            for m in messages],
        errors=errors or {}, body=body, done=args.get('done'),
        latin=args.get('latin') == '1')
    response.status_code = status
    return response


@route('/support/<number>')
def support_thread(visit, number):
    return thread_page(visit, own_ticket(visit, number))


@route('/support/<number>/reply', methods=('POST',), multiline=('body',))
def support_reply(visit, number):
    ticket = own_ticket(visit, number)
    _ = visit._
    errors = {}
    body, text = read_body(visit.request.form)
    if not text:
        errors['body'] = _("Write the text of your answer.")
    elif len(text) > BODY_MAX:
        errors['body'] = _("The text is too long.")
    attachments = read_attachment(visit, errors)
    if not errors:
        try:
            ticket.post(body, author='subscriber', attachments=attachments)
        except (ValidationError, UserError) as exception:
            Transaction().rollback()
            errors['form'] = exception.message
        else:
            url = '%s/support/%s?done=replied' % (PREFIX, ticket.number)
            if not has_persian(text):
                url += '&latin=1'
            return redirect(url + '#reply')
    return thread_page(visit, ticket, errors=errors, body=body, status=400)


@route('/support/<number>/close', methods=('POST',))
def support_close(visit, number):
    Ticket = Pool().get('partak.helpdesk.ticket')
    ticket = own_ticket(visit, number)
    if ticket.state != 'closed':
        Ticket.close([ticket])
    return redirect('%s/support/%s?done=closed' % (PREFIX, ticket.number))


@route('/support/<number>/file/<int:attachment_id>')
def support_file(visit, number, attachment_id):
    Attachment = Pool().get('ir.attachment')
    ticket = own_ticket(visit, number)
    attachments = Attachment.search([
            ('id', '=', attachment_id),
            ('resource', 'in', [str(m) for m in ticket.messages]),
            ], limit=1)
    if not attachments:
        raise NotFound()
    attachment, = attachments
    data = attachment.data or b''
    kind = filetype.guess(data[:8192])
    mimetype = kind.mime if kind and kind.mime in EXTENSIONS else (
        'application/octet-stream')
    response = Response(data, content_type=mimetype)
    response.headers['Content-Disposition'] = 'attachment; filename="%s"' % (
        re.sub(r'[^\w.\-]+', '_', attachment.name, flags=re.ASCII) or 'file')
    return finish(visit.request, response)
