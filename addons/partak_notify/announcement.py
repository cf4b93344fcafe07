# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Announcements of the portal's green box, targeted at a plan too."""
from trytond.model import fields
from trytond.pool import PoolMeta


class Announcement(metaclass=PoolMeta):
    __name__ = 'partak.announcement'
    plan = fields.Many2One('product.template', "Plan",
        domain=[('partak_kind', '=', 'plan')], ondelete='CASCADE',
        help="Only subscribers with this plan running; empty for all.")

    def matches(self, party):
        if not super().matches(party):
            return False
        if not self.plan:
            return True
        return any(period.state == 'active'
            and period.product.template == self.plan
            for line in party.lines for period in line.periods)
