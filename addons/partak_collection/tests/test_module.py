# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.tests.test_tryton import ModuleTestCase


class PartakCollectionTestCase(ModuleTestCase):
    "Test Partak Collection module"
    module = 'partak_collection'


del ModuleTestCase
