#!/usr/bin/env bash
# Installs everything Partak needs on a fresh Debian machine: system packages,
# the Python virtualenv with the pinned Tryton series, the portal's front-end
# assets and the sao back office. Safe to run again: each step skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SAO_VERSION=8.0.11

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
[ -d /usr/share/fonts/truetype/noto ] || need_apt+=(fonts-noto-core)
# weasyprint (invoice PDF) draws text with Pango
ls /usr/lib/*/libpango-1.0.so.0 >/dev/null 2>&1 || need_apt+=(libpango-1.0-0 libpangoft2-1.0-0)
# RADIUS (partak_usage): FreeRADIUS 3 with its PostgreSQL driver, radclient
command -v freeradius >/dev/null || need_apt+=(freeradius)
[ -f /usr/lib/freeradius/rlm_sql_postgresql.so ] || need_apt+=(freeradius-postgresql)
command -v radclient >/dev/null || need_apt+=(freeradius-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== apt: ${need_apt[*]}"
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    echo "== python venv"
    python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import trytond.modules.partak_portal' 2>/dev/null \
        || [ pyproject.toml -nt .venv/.partak-installed ]; then
    echo "== pip install (pinned Tryton 8.0 series)"
    .venv/bin/pip install -q --upgrade pip==25.3 2>/dev/null || true
    .venv/bin/pip install -q -e ".[test]"
    touch .venv/.partak-installed
fi

VENDOR=addons/partak_portal/static/vendor
if [ ! -f "$VENDOR/.done" ] || [ frontend/package.json -nt "$VENDOR/.done" ]; then
    echo "== npm: portal assets"
    (cd frontend && npm install --no-audit --no-fund --silent)
    rm -rf "$VENDOR" && mkdir -p "$VENDOR/fonts"
    N=frontend/node_modules
    cp $N/bootstrap/dist/css/bootstrap.rtl.min.css $VENDOR/
    cp $N/bootstrap/dist/js/bootstrap.bundle.min.js $VENDOR/
    cp $N/browser-image-compression/dist/browser-image-compression.js $VENDOR/
    cp $N/vazirmatn/Vazirmatn-font-face.css $VENDOR/
    cp -r $N/vazirmatn/fonts/webfonts $VENDOR/fonts/
    touch "$VENDOR/.done"
fi

if [ ! -f vendor/sao/.done ]; then
    echo "== npm: tryton-sao $SAO_VERSION (back office)"
    rm -rf vendor/sao && mkdir -p vendor
    (cd vendor && npm pack --silent "tryton-sao@$SAO_VERSION" >/dev/null \
        && tar xzf "tryton-sao-$SAO_VERSION.tgz" && mv package sao \
        && rm "tryton-sao-$SAO_VERSION.tgz")
    (cd vendor/sao && npm install --omit=dev --legacy-peer-deps --no-audit --no-fund --silent)
    touch vendor/sao/.done
fi
echo "== setup done"
