# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo data of partak_notify, loaded by scripts/demo_data.py inside its
transaction once the subscribers and services exist."""


def load_notify():
    "Creates the demo records of this module; safe to call twice."
