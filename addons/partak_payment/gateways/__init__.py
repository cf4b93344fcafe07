# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Bank adapters: base.py holds the interface and the registry, one file
per bank holds its endpoints, request and answer shapes and answer codes.
Importing a bank's file registers its adapter (and its routes, for the
sandbox served by trytond itself)."""
from .base import (  # noqa: F401
    UNREACHABLE, Gateway, GatewayError, VerifyResult, for_record,
    gateway_class, register, registered_types)

__all__ = ['UNREACHABLE', 'Gateway', 'GatewayError', 'VerifyResult',
    'for_record', 'gateway_class', 'register', 'registered_types']
