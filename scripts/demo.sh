#!/usr/bin/env bash
# One command for the demo: sets everything up, creates the database with
# all Partak modules and the manual's demo data, then serves the back
# office and the portal on localhost.  RESET=1 starts from an empty database.
#
# DEMO_DB=sqlite (default) needs no server.  DEMO_DB=postgresql uses the
# PostgreSQL at 127.0.0.1:5432 (database partak) and also starts the real
# RADIUS side: FreeRADIUS (auth 127.0.0.1:1812, acct 1813; RADIUS_PORT=N
# moves them to N and N+1), the Disconnect/CoA dispatcher and a NAS
# simulator on 127.0.0.1:3799 that prints what it receives to var/nas.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TRYTOND_CONFIG=$PWD/config/trytond.conf
DB=partak
PORT=${PORT:-8000}
DEMO_DB=${DEMO_DB:-sqlite}
RADIUS_PORT=${RADIUS_PORT:-1812}
PG=postgresql://postgres@127.0.0.1:5432/
export TRYTOND_WEB__LISTEN=127.0.0.1:$PORT TRYTOND_WEB__ROOT=$PWD/vendor/sao
# The demo's fake banks (off in config/trytond.conf) and the public address
# that the payment URLs start with (Payment Settings of the demo data).
export TRYTOND_PARTAK__TEST_BANKS=True
# The demo is plain http: the portal's cookies without the Secure flag.
export TRYTOND_PARTAK__PORTAL_COOKIE_SECURE=False
export TRYTOND_PARTAK__TEST_BANKS_URL=http://localhost:$PORT/bank/test
export PARTAK_PUBLIC_URL=http://localhost:$PORT
mkdir -p var/db
PY=.venv/bin/python

pg() { # runs one SQL statement on the postgres database, prints the rows
    $PY - "$1" <<'PY'
import sys, psycopg
with psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres',
        autocommit=True) as connection:
    cursor = connection.execute(sys.argv[1])
    for row in (cursor.fetchall() if cursor.description else []):
        print(*row)
PY
}

case $DEMO_DB in
sqlite)
    export TRYTOND_DATABASE__PATH=$PWD/var/db
    # (with its write-ahead log: a stale one makes the new file unreadable)
    [ "${RESET:-0}" = 1 ] && rm -f var/db/$DB.sqlite var/db/$DB.sqlite-wal var/db/$DB.sqlite-shm
    if [ -s var/db/$DB.sqlite ]; then fresh=0; else
        fresh=1; touch var/db/$DB.sqlite
    fi
    ;;
postgresql)
    export TRYTOND_DATABASE__URI=$PG
    [ "${RESET:-0}" = 1 ] && pg "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    if [ -n "$(pg "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
        fresh=0
    else
        fresh=1; pg "CREATE DATABASE $DB ENCODING 'UTF8' TEMPLATE template0"
    fi
    ;;
*) echo "DEMO_DB must be sqlite or postgresql" >&2; exit 2 ;;
esac

if [ $fresh = 1 ]; then
    echo "== creating the demo database ($DEMO_DB, $DB)"
    pass=$(mktemp); echo admin > "$pass"
    TRYTONPASSFILE=$pass .venv/bin/trytond-admin -c "$TRYTOND_CONFIG" -d $DB \
        --all -l fa --email admin@example.com >/dev/null
    .venv/bin/trytond-admin -c "$TRYTOND_CONFIG" -d $DB \
        -u partak_portal --activate-dependencies -l fa >/dev/null
    rm -f "$pass"
    $PY scripts/demo_data.py -c "$TRYTOND_CONFIG" -d $DB
fi

# Background services stop with the demo (Ctrl-C).
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
.venv/bin/trytond-cron -c "$TRYTOND_CONFIG" -d $DB >var/cron.log 2>&1 &
radius_info=""
if [ $DEMO_DB = postgresql ]; then
    PARTAK_RADIUS_PASSWORD=partak-demo-radius \
    $PY -m trytond.modules.partak_usage.radius_config --out var/radius \
        --db-uri "$PG$DB" --grant-role partak_radius --listen 127.0.0.1 --auth-port "$RADIUS_PORT" \
        --acct-port $((RADIUS_PORT + 1)) --interim-interval 60 --start \
        >var/freeradius.log 2>&1 &
    $PY -m trytond.modules.partak_usage.dispatcher -c "$TRYTOND_CONFIG" \
        -d $DB >var/dispatcher.log 2>&1 &
    $PY -m trytond.modules.partak_usage.nas_simulator --port 3799 \
        --secret partak-demo-nas >var/nas.log 2>&1 &
    radius_info="
  RADIUS (FreeRADIUS on 127.0.0.1:$RADIUS_PORT/$((RADIUS_PORT + 1)), NAS secret partak-demo-nas):
      echo 'User-Name=1132455123,User-Password=kamal2048' \\
        | radclient -x 127.0.0.1:$RADIUS_PORT auth partak-demo-nas
      echo 'User-Name=1132455123,Acct-Status-Type=Interim-Update,Acct-Session-Id=demo1,Acct-Output-Octets=104857600' \\
        | radclient -x 127.0.0.1:$((RADIUS_PORT + 1)) acct partak-demo-nas
      (the portal's remaining traffic drops by 100 MB; var/nas.log shows
       the Disconnect-Request once the traffic runs out)
"
fi
cat <<INFO

  Partak demo ($DEMO_DB)
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
$radius_info
INFO
# -d loads the database at start (trytond 8.0 answers "res.user" errors
# to the first logins otherwise).
.venv/bin/trytond -c "$TRYTOND_CONFIG" -d $DB
