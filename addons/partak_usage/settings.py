# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Settings of partak_usage with their documented defaults, read from the
[partak_usage] section of trytond's configuration (or the environment:
TRYTOND_PARTAK_USAGE__<NAME>)."""
from trytond import config

SECTION = 'partak_usage'

DEFAULTS = {
    # Acct-Interim-Interval sent in every Access-Accept (seconds).
    'interim_interval': 300,
    # An open session without any accounting packet for this long is stale:
    # it no longer counts for Simultaneous-Use and the cron closes it.
    # Default: two interim intervals and two minutes.
    'stale_after': 720,
    # Disconnect/CoA: seconds to wait for the NAS's answer and how many
    # times a request is sent.  Kept short: without a trytond worker the
    # job runs right after the request that queued it (e.g. the portal's
    # password change); an unanswered job is retried by the cron.
    'coa_timeout': 2,
    'coa_retries': 1,
    # Attempts of a job before it is marked failed.
    'job_attempts': 5,
    # A disconnect/CoA of the same session and kind is not repeated within
    # this many seconds (the enforcement cron runs often).
    'job_repeat_after': 300,
    # Days the reject log is kept.
    'reject_log_days': 90,
}


def get(name):
    return config.getint(SECTION, name, default=DEFAULTS[name])
