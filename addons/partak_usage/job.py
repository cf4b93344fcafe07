# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Disconnect-Request and CoA-Request (RFC 5176) to the NAS of a live
session: one job per side effect, each logged with the NAS's answer and
retried by a cron until it is answered."""
import datetime
import ipaddress
import logging
import os
import socket

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from . import settings
from .choices import JOB_ANSWERS, JOB_KINDS, JOB_REASONS, JOB_STATES
from .session import now

logger = logging.getLogger(__name__)

DICTIONARY_PATH = os.path.join(os.path.dirname(__file__), 'radius',
    'dictionary')
_dictionary = None


def dictionary():
    "The pyrad dictionary of the attributes Partak sends and reads."
    global _dictionary
    if _dictionary is None:
        from pyrad.dictionary import Dictionary
        _dictionary = Dictionary(DICTIONARY_PATH)
    return _dictionary


def rate_attributes(rate_limit):
    """The reply attributes of a rate limit 'upk/downk': MikroTik's own and
    the generic WISPr ones (bit/s)."""
    if not rate_limit:
        return {}
    up, down = rate_limit.split('/')
    return {
        'Mikrotik-Rate-Limit': rate_limit,
        'WISPr-Bandwidth-Max-Up': int(up.rstrip('k')) * 1000,
        'WISPr-Bandwidth-Max-Down': int(down.rstrip('k')) * 1000,
        }


def send_request(destination, port, secret, code, attributes,
        timeout=None, retries=None):
    """Sends a Disconnect-Request or CoA-Request; returns (answer, detail)
    with answer in 'ack', 'nak', 'timeout', 'error'."""
    from pyrad import packet
    from pyrad.client import Client, Timeout
    timeout = settings.get('coa_timeout') if timeout is None else timeout
    retries = settings.get('coa_retries') if retries is None else retries
    client = Client(server=destination, coaport=port,
        secret=secret.encode('utf-8'), dict=dictionary(),
        retries=max(retries, 1), timeout=timeout)
    request = client.CreateCoAPacket(code=code)
    for name, value in attributes.items():
        request[name] = value
    try:
        reply = client.SendPacket(request)
    except Timeout:
        return 'timeout', None
    except (OSError, socket.error, ValueError) as exception:
        return 'error', str(exception)[:200]
    finally:
        client._CloseSocket()
    cause = None
    if 'Error-Cause' in reply:
        cause = str(reply['Error-Cause'][0])
    if reply.code in (packet.DisconnectACK, packet.CoAACK):
        return 'ack', cause
    if reply.code in (packet.DisconnectNAK, packet.CoANAK):
        return 'nak', cause
    return 'error', 'unexpected code %s' % reply.code


class Job(ModelSQL, ModelView):
    """A Disconnect-Request or CoA-Request for a live session, with the
    NAS's answer.  Created by accounting (traffic used up), by the hooks of
    lines, subscribers, accounts and services, by staff, and by the
    enforcement cron; sent through Tryton's task queue and retried by a
    cron while unanswered."""
    __name__ = 'partak.radius.job'
    __string__ = "Disconnect or CoA Request"
    session = fields.Many2One('partak.radius.session', "Session",
        readonly=True, ondelete='CASCADE')
    line = fields.Many2One('partak.line', "Line", readonly=True,
        ondelete='SET NULL')
    username = fields.Char("Username", readonly=True)
    nas_ip = fields.Char("NAS IP", readonly=True)
    nas = fields.Many2One('partak.nas', "NAS", readonly=True,
        ondelete='SET NULL')
    kind = fields.Selection(JOB_KINDS, "Kind", required=True, readonly=True)
    kind_string = kind.translated('kind')
    sent_kind = fields.Selection([(None, "")] + JOB_KINDS, "Sent As",
        readonly=True,
        help="A CoA becomes a disconnect when the NAS has no CoA.")
    reason = fields.Selection(JOB_REASONS, "Reason", required=True,
        readonly=True)
    reason_string = reason.translated('reason')
    rate_limit = fields.Char("New Speed", readonly=True)
    state = fields.Selection(JOB_STATES, "State", required=True,
        readonly=True)
    state_string = state.translated('state')
    attempts = fields.Integer("Attempts", readonly=True)
    sent_at = fields.DateTime("Sent At", readonly=True)
    answer = fields.Selection(JOB_ANSWERS, "Answer", readonly=True)
    answer_string = answer.translated('answer')
    error_cause = fields.Char("Error-Cause", readonly=True)
    message = fields.Char("Message", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality()),
                    where=t.state == 'pending'),
                Index(t, (t.session, Index.Range())),
                })
        cls._buttons.update({
                'retry': {
                    'invisible': Eval('state').in_(['pending', 'done']),
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'pending'

    @staticmethod
    def default_attempts():
        return 0

    @classmethod
    def queue(cls, sessions, kind, reason, rate_limit=None):
        """Creates a job for each session (unless the same one is pending or
        was sent a moment ago) and hands them to the task queue, which runs
        them once the transaction has committed."""
        if not sessions:
            return []
        repeat = now() - datetime.timedelta(
            seconds=settings.get('job_repeat_after'))
        with without_check_access():
            recent = cls.search([
                    ('session', 'in', [s.id for s in sessions]),
                    ('kind', '=', kind),
                    ['OR',
                        ('state', '=', 'pending'),
                        ('create_date', '>=', repeat),
                        ],
                    ])
        skip = {(j.session.id, j.rate_limit or None) for j in recent}
        vlist = [{
                'session': s.id,
                'line': s.line.id if s.line else None,
                'username': s.username,
                'nas_ip': s.nas_ip,
                'kind': kind,
                'reason': reason,
                'rate_limit': rate_limit,
                } for s in sessions
            if (s.id, rate_limit or None) not in skip]
        if not vlist:
            return []
        with without_check_access():
            jobs = cls.create(vlist)
        cls.__queue__.send(jobs)
        return jobs

    @classmethod
    def send(cls, jobs):
        "Sends each pending job to its NAS and records the answer."
        pool = Pool()
        NAS = pool.get('partak.nas')
        Session = pool.get('partak.radius.session')
        from pyrad import packet
        jobs = cls.browse(jobs)
        max_attempts = settings.get('job_attempts')
        for job in jobs:
            if job.state != 'pending':
                continue
            job.attempts = (job.attempts or 0) + 1
            job.sent_at = now()
            session = job.session
            nas = job.nas or (NAS.for_ip(job.nas_ip) if job.nas_ip else None)
            if session is None or nas is None:
                job.answer = 'no_nas' if nas is None else 'error'
                job.message = None if nas is None else 'no session'
                job.state = 'failed'
                continue
            job.nas = nas
            kind = job.kind
            if kind == 'coa' and not nas.coa:
                kind = 'disconnect'
            job.sent_kind = kind
            attributes = {
                'User-Name': session.username,
                'Acct-Session-Id': session.session_id or '',
                }
            if session.framed_ip:
                try:
                    ipaddress.IPv4Address(session.framed_ip)
                    attributes['Framed-IP-Address'] = session.framed_ip
                except ValueError:
                    pass
            if kind == 'coa':
                attributes.update(rate_attributes(job.rate_limit))
                code = packet.CoARequest
            else:
                code = packet.DisconnectRequest
            destination = nas.destination(session.nas_ip)
            answer, detail = send_request(destination, nas.coa_port,
                nas.secret, code, attributes)
            job.answer = answer
            if answer in ('ack', 'nak'):
                job.error_cause = detail
                job.message = None
                job.state = 'done'
            else:
                job.message = detail
                if job.attempts >= max_attempts:
                    job.state = 'failed'
            logger.info("%s %s for %s to %s:%s: %s %s", kind, job.reason,
                session.username, destination, nas.coa_port, answer,
                detail or '')
            if answer == 'ack' and kind == 'coa':
                with without_check_access():
                    Session.write([session], {'rate_limit': job.rate_limit})
            elif (answer == 'nak'
                    and detail == 'Session-Context-Not-Found'):
                # The NAS does not know the session: it is gone.
                Session.close([session], 'stale')
        with without_check_access():
            cls.save(jobs)

    @classmethod
    def send_pending(cls):
        "Cron: sends the jobs still pending (created by SQL or unanswered)."
        with without_check_access():
            jobs = cls.search([('state', '=', 'pending')],
                order=[('id', 'ASC')])
        cls.send(jobs)
        return jobs

    @classmethod
    @ModelView.button
    def retry(cls, jobs):
        cls.write(jobs, {'state': 'pending', 'attempts': 0})
        cls.__queue__.send(jobs)

