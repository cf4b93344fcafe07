#!/usr/bin/env bash
# One command for the demo: sets everything up, creates the SQLite database
# with all Partak modules and the manual's demo data, then serves the back
# office and the portal on localhost.  RESET=1 starts from an empty database.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TRYTOND_CONFIG=$PWD/config/trytond.conf
DB=partak
PORT=${PORT:-8000}
export TRYTOND_WEB__LISTEN=127.0.0.1:$PORT TRYTOND_WEB__ROOT=$PWD/vendor/sao
export TRYTOND_DATABASE__PATH=$PWD/var/db
mkdir -p var/db
[ "${RESET:-0}" = 1 ] && rm -f var/db/$DB.sqlite
if [ ! -s var/db/$DB.sqlite ]; then
    echo "== creating the demo database (SQLite, var/db/$DB.sqlite)"
    touch var/db/$DB.sqlite
    pass=$(mktemp); echo admin > "$pass"
    TRYTONPASSFILE=$pass .venv/bin/trytond-admin -c "$TRYTOND_CONFIG" -d $DB \
        --all -l fa --email admin@example.com >/dev/null
    .venv/bin/trytond-admin -c "$TRYTOND_CONFIG" -d $DB \
        -u partak_portal --activate-dependencies -l fa >/dev/null
    rm -f "$pass"
    .venv/bin/python scripts/demo_data.py -c "$TRYTOND_CONFIG" -d $DB
fi
cat <<INFO

  Partak demo
  Back office (Tryton sao): http://localhost:$PORT/        database: $DB
      admin / admin            (administration)
      support / partak-demo-staff, accountant / partak-demo-staff,
      agent / partak-demo-staff (sees only the subscribers it registered)
  Customer portal:          http://localhost:$PORT/portal/
      1132455123 / partak-demo (کمال نصیری, complete profile)
      32239700   / partak-demo (pishgaman ka, incomplete profile; change
                                 of service to «زمرد» = 6,791,233 Rial)
      1132400001 / partak-demo (postpaid campaign: bills and charges)
      1132400002 / partak-demo (service ends in two days)
  Sandbox bank for payments:   served by the demo itself (/bank/sandbox)

INFO
.venv/bin/trytond-cron -c "$TRYTOND_CONFIG" -d $DB >var/cron.log 2>&1 &
trap 'kill %1 2>/dev/null' EXIT
# -d loads the database at start (trytond 8.0 answers "res.user" errors
# to the first logins otherwise).
exec .venv/bin/trytond -c "$TRYTOND_CONFIG" -d $DB
