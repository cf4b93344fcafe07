# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The scenarios (doctests) of this folder, loaded as Tryton loads its own
modules' scenario_*.rst.

``load_tests`` is Tryton's loader, for ``python -m unittest``.  pytest does
not read the load_tests protocol: ScenarioTestCase runs the same suite for
it, one subtest per scenario."""
import unittest

from trytond.tests.test_tryton import load_doc_tests


def load_tests(loader, tests, pattern):
    # A new suite: the standard tests of this module are ScenarioTestCase,
    # which would run the scenarios a second time.
    return load_doc_tests(__name__, __file__, loader, unittest.TestSuite(),
        pattern)


class ScenarioTestCase(unittest.TestCase):
    "The scenarios of partak_payment (for pytest)"

    def test_scenarios(self):
        suite = load_tests(unittest.TestLoader(), None, None)
        self.assertTrue(suite.countTestCases())
        for case in suite:
            with self.subTest(scenario=case.id()):
                result = unittest.TestResult()
                case.run(result)
                problems = result.errors + result.failures
                if problems:
                    self.fail('\n'.join(text for _, text in problems))
