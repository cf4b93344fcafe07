# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Choices and constants of the RADIUS side, in one place.

The codes of REJECT_REASONS are written by FreeRADIUS itself (the policy
function yields them as the `Partak-Policy` control attribute, the
site adds `unknown_user`, `wrong_password` and `already_online`): keep the
codes in step with sql.py and radius_config.py."""

MB = 1024 * 1024
GIGAWORD = 2 ** 32

REJECT_REASONS = [
    ('unknown_user', "Unknown Username"),
    ('wrong_password', "Wrong Password"),
    ('account_disabled', "Account Disabled"),
    ('line_pending', "Line Awaiting Installation"),
    ('line_collection', "Line on the Collection List"),
    ('line_suspended', "Line Suspended"),
    ('line_collected', "Line Collected"),
    ('line_cancelled', "Line Cancelled"),
    ('documents_overdue', "Documents Overdue"),
    ('expired', "Service Expired"),
    ('no_traffic', "No Traffic Left"),
    ('already_online', "Already Online"),
    ('other', "Other"),
    ]

# Why a live session is disconnected or changed (the reject reasons plus
# the events that do not refuse a new login).
JOB_REASONS = REJECT_REASONS + [
    ('password_changed', "Internet Password Changed"),
    ('rate_change', "Speed Changed"),
    ('fair_use', "Fair-Use Speed"),
    ('staff', "Disconnected by Staff"),
    ]

JOB_KINDS = [
    ('disconnect', "Disconnect"),
    ('coa', "Change of Authorization"),
    ]

JOB_STATES = [
    ('pending', "Pending"),
    ('done', "Done"),
    ('failed', "Failed"),
    ('cancelled', "Cancelled"),
    ]

# The NAS's answer (RFC 5176) or what happened instead.
JOB_ANSWERS = [
    (None, ""),
    ('ack', "ACK"),
    ('nak', "NAK"),
    ('timeout', "No Answer"),
    ('error', "Error"),
    ('no_nas', "Unknown NAS"),
    ]

SESSION_STATES = [
    ('open', "Online"),
    ('closed', "Closed"),
    ]

# How a session was closed: by the NAS's Stop, by its Accounting-On/Off
# (reboot) or by the stale-session cron.
CLOSED_BY = [
    (None, ""),
    ('stop', "Stop"),
    ('nas_reboot', "NAS Reboot"),
    ('stale', "No Update (Stale)"),
    ]

NAS_TYPES = [
    ('mikrotik', "MikroTik"),
    ('cisco', "Cisco"),
    ('other', "Other"),
    ]
