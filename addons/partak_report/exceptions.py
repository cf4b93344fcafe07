# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError


class ReportChoiceError(UserError):
    "A period of a report that does not exist (a wrong year, season, month)."


class ReportExportError(UserError):
    "A report that cannot be exported."
