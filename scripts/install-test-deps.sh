#!/usr/bin/env bash
# Install what the tests need on a Debian 12 machine (run as root; safe to run again):
#   - PostgreSQL server binaries (Debian package `postgresql`), unless initdb is already found
#     ($HAPPY_PG_BIN, else PATH, else the newest /usr/lib/postgresql/*/bin, as tests/pgserver.py).
#     The tests start their own throw-away server: Debian's cluster is neither created nor started.
#   - Debian's `chromium` and `fonts-noto-cjk` (browser tests), unless already there.
#   - Debian's `nginx-light` (the replicas test puts two app servers behind it), unless there.
#   - Debian's `poppler-utils` (the briefing's PDF read back: pdftoppm, pdftotext), unless there.
#   - Debian's `pgbouncer` (one test puts the app behind it in transaction mode), unless there.
#   - the Python test dependencies: python -m pip install -r requirements-dev.txt
# Downloads only through apt-get and pip.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'install-test-deps: %s\n' "$*"; }
die() { printf 'install-test-deps: error: %s\n' "$*" >&2; exit 1; }

find_initdb() {
    local candidate
    if [[ -n "${HAPPY_PG_BIN:-}" ]]; then
        [[ -x "$HAPPY_PG_BIN/initdb" ]] && { echo "$HAPPY_PG_BIN/initdb"; return 0; }
        return 1
    fi
    if candidate=$(command -v initdb 2>/dev/null); then
        echo "$candidate"
        return 0
    fi
    candidate=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n "$candidate" && -x "$candidate" ]] && { echo "$candidate"; return 0; }
    return 1
}

cjk_font_installed() {
    [[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]] ||
        [[ "$(dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null || true)" == "install ok installed" ]]
}

packages=()
install_postgresql=false

if initdb_path=$(find_initdb); then
    log "PostgreSQL found: $initdb_path"
else
    [[ -n "${HAPPY_PG_BIN:-}" ]] &&
        die "HAPPY_PG_BIN=$HAPPY_PG_BIN has no initdb (unset it to install Debian's postgresql)"
    log "PostgreSQL not found: will install Debian's postgresql"
    packages+=(postgresql)
    install_postgresql=true
fi

if [[ -x /usr/bin/chromium ]]; then
    log "chromium found: /usr/bin/chromium"
else
    log "chromium not found: will install it"
    packages+=(chromium)
fi

if cjk_font_installed; then
    log "CJK fonts found (fonts-noto-cjk)"
else
    log "CJK fonts not found: will install fonts-noto-cjk"
    packages+=(fonts-noto-cjk)
fi

if [[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null; then
    log "nginx found"
else
    log "nginx not found: will install nginx-light"
    packages+=(nginx-light)
fi

if command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null; then
    log "poppler-utils found"
else
    log "poppler-utils not found: will install it"
    packages+=(poppler-utils)
fi

if [[ -x /usr/sbin/pgbouncer ]] || command -v pgbouncer >/dev/null; then
    log "pgbouncer found"
else
    log "pgbouncer not found: will install it"
    packages+=(pgbouncer)
fi

if ((${#packages[@]})); then
    [[ $(id -u) -eq 0 ]] || die "need root to apt-get install ${packages[*]}"
    command -v apt-get >/dev/null || die "apt-get not found; install ${packages[*]} yourself"
    export DEBIAN_FRONTEND=noninteractive

    cleanup=()
    trap 'for f in "${cleanup[@]}"; do rm -f "$f"; done' EXIT
    # Keep maintainer scripts from starting any service (PostgreSQL, nginx) during this install.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        cleanup+=(/usr/sbin/policy-rc.d)
    fi
    if $install_postgresql; then
        # No "main" cluster: the tests initdb their own (postgresql-common reads this drop-in).
        mkdir -p /etc/postgresql-common/createcluster.d
        printf '# written by scripts/install-test-deps.sh: tests start their own server\ncreate_main_cluster = false\n' \
            >/etc/postgresql-common/createcluster.d/50-no-main-cluster.conf
    fi

    log "apt-get update"
    apt-get update -q
    log "apt-get install ${packages[*]}"
    apt-get install -y -q --no-install-recommends "${packages[@]}"

    if $install_postgresql; then
        initdb_path=$(find_initdb) || die "postgresql installed but initdb still not found"
        log "PostgreSQL installed: $initdb_path"
    fi
fi

log "python -m pip install -r requirements-dev.txt"
python -m pip install --disable-pip-version-check --root-user-action=ignore -r requirements-dev.txt

log "done"
