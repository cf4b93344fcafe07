# This file is part of Partak.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.

# The portal's HTTP routes are registered on trytond's WSGI app on import;
# errors wraps its dispatcher for the pages under /portal.
from . import (  # noqa: F401
    errors, routes, routes_services, routes_support, routes_survey,
    routes_usage)
