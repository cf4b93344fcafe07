# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""SMS providers: base.py holds the interface and the registry, one file
per provider holds its endpoints, request and answer shapes and its table
of answer codes.  Importing a provider's file registers its adapter."""
from . import kavenegar, log, smsir  # noqa: F401
from .base import (  # noqa: F401
    DELIVERED, UNDELIVERED, UNREACHABLE, Delivery, Provider, ProviderError,
    for_record, provider_class, register, registered_types)

__all__ = ['DELIVERED', 'UNDELIVERED', 'UNREACHABLE', 'Delivery', 'Provider',
    'ProviderError', 'for_record', 'provider_class', 'register',
    'registered_types']
