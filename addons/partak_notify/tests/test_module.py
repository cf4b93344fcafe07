# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.tests.test_tryton import ModuleTestCase


class PartakNotifyTestCase(ModuleTestCase):
    "Test Partak Notify module"
    module = 'partak_notify'


del ModuleTestCase
