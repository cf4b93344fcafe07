# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model.exceptions import ValidationError


class LevelValidationError(ValidationError):
    "A dunning level whose actions are not complete."
