# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The network access servers (BRAS / NAS) that ask FreeRADIUS."""
import ipaddress

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError

from .choices import NAS_TYPES


class NAS(DeactivableMixin, ModelSQL, ModelView):
    """A NAS (MikroTik, Cisco, ...) allowed to send Access and Accounting
    requests, with its shared secret.  radius_config renders the active ones
    into FreeRADIUS's clients; Disconnect and CoA requests go to it."""
    __name__ = 'partak.nas'
    __string__ = "NAS"
    name = fields.Char("Name", required=True,
        help="Short name, also FreeRADIUS's client name.")
    address = fields.Char("Address", required=True,
        help="IP address, or network (CIDR) of the NAS's requests.")
    secret = fields.Char("Shared Secret", required=True, strip=False)
    nas_type = fields.Selection(NAS_TYPES, "Type", required=True)
    coa = fields.Boolean("Supports CoA",
        help="The NAS applies a Change-of-Authorization (new speed); "
        "otherwise a speed change disconnects the session.")
    coa_address = fields.Char("Disconnect/CoA Address",
        help="Where Disconnect and CoA requests go; empty: the session's "
        "NAS-IP-Address.")
    coa_port = fields.Integer("Disconnect/CoA Port", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('name_unique', Unique(t, t.name),
                'partak_usage.msg_nas_name_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))

    @staticmethod
    def default_nas_type():
        return 'mikrotik'

    @staticmethod
    def default_coa():
        return True

    @staticmethod
    def default_coa_port():
        return 3799

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        for nas in records:
            try:
                ipaddress.ip_network(nas.address.strip(), strict=False)
                if nas.coa_address:
                    ipaddress.ip_address(nas.coa_address.strip())
            except ValueError:
                raise ValidationError(gettext(
                        'partak_usage.msg_nas_address_invalid',
                        nas=nas.name))
            if any(c in (nas.secret or '') for c in '"\\\n'):
                raise ValidationError(gettext(
                        'partak_usage.msg_nas_secret_invalid', nas=nas.name))
            if not nas.name.replace('-', '').replace('_', '').isalnum():
                raise ValidationError(gettext(
                        'partak_usage.msg_nas_name_invalid', nas=nas.name))

    def matches(self, ip):
        "Whether requests from ip come from this NAS."
        try:
            return ipaddress.ip_address(ip) in ipaddress.ip_network(
                self.address.strip(), strict=False)
        except ValueError:
            return False

    @classmethod
    def for_ip(cls, ip):
        "The active NAS whose address holds ip (the most specific one)."
        found = [n for n in cls.search([]) if n.matches(ip)]
        found.sort(key=lambda n: -ipaddress.ip_network(
                n.address.strip(), strict=False).prefixlen)
        return found[0] if found else None

    def destination(self, session_ip):
        "The address of Disconnect/CoA requests for a session."
        if self.coa_address:
            return self.coa_address.strip()
        network = ipaddress.ip_network(self.address.strip(), strict=False)
        if network.num_addresses == 1:
            return str(network.network_address)
        return session_ip
