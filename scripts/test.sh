#!/usr/bin/env bash
# One command for the tests: sets everything up, then runs every module's
# Tryton tests and the cross-module tests (HTTP, headless Chromium).
# They run on PostgreSQL at 127.0.0.1:5432 when it answers, else on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${PARTAK_TEST_DB:-}" != sqlite ] && .venv/bin/python - <<'PY' 2>/dev/null
import psycopg
psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', connect_timeout=3).close()
PY
then
    export TRYTOND_DATABASE__URI=postgresql://postgres@127.0.0.1:5432/
    export DB_NAME=partak_test_$$
    echo "== tests on PostgreSQL (database $DB_NAME)"
else
    export PARTAK_TEST_DB=sqlite
    unset TRYTOND_DATABASE__URI
    export DB_NAME=:memory:
    echo "== tests on SQLite"
fi
# Databases with activated modules are built once and reused (DB_CACHE);
# the cache is keyed on the modules' code so that a change rebuilds them.
code=$(find addons -type f \( -name '*.py' -o -name '*.xml' -o -name '*.cfg' \
    -o -name '*.po' \) | sort | xargs sha1sum | sha1sum | cut -c1-12)
export DB_CACHE=$PWD/var/db_cache/$code
mkdir -p "$DB_CACHE"
start=$(date +%s)
.venv/bin/python -m pytest -q -p no:cacheprovider \
    --pyargs trytond.modules.partak_subscriber.tests \
    trytond.modules.partak_services.tests trytond.modules.partak_payment.tests \
    trytond.modules.partak_usage.tests trytond.modules.partak_notify.tests \
    trytond.modules.partak_helpdesk.tests trytond.modules.partak_survey.tests \
    trytond.modules.partak_collection.tests trytond.modules.partak_report.tests \
    trytond.modules.partak_portal.tests "$@"
.venv/bin/python -m pytest -q -p no:cacheprovider tests "$@"
echo "== all tests passed in $(( $(date +%s) - start )) s"
