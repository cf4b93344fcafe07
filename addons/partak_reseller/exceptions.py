# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model.tree import RecursionError


class ResellerCycleError(RecursionError):
    "A reseller placed below itself or one of its own children."
