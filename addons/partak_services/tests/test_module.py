# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class PartakServicesTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Partak Services module"
    module = 'partak_services'


del ModuleTestCase
