# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.tests.test_tryton import ModuleTestCase


class PartakHelpdeskTestCase(ModuleTestCase):
    "Test Partak Helpdesk module"
    module = 'partak_helpdesk'


del ModuleTestCase
