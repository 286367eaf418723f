#!/bin/sh
# The container image's install steps. The Dockerfile runs exactly these two commands, and CI
# runs them too (tests/ops/test_image.py), since Docker itself is not available everywhere:
#
#   scripts/install-image.sh build SRC PREFIX   build stage: a virtualenv at PREFIX/venv holding
#                                               pgbridge (from the source tree SRC) and its
#                                               dependencies, byte-compiled and checked
#   scripts/install-image.sh runtime PREFIX     final stage: the unprivileged `pgbridge` user, the
#                                               configuration and data directories, and a check
#                                               that the copied virtualenv runs
#
# PGBRIDGE_IMAGE_ROOT (default empty) prefixes /etc/pgbridge and /var/lib/pgbridge, and when set
# no system user is created: that is how CI runs the runtime step without touching its host.
set -eu

usage() {
    echo "usage: $0 build SRC PREFIX | runtime PREFIX" >&2
    exit 2
}

build() {
    src=$1 prefix=$2
    python3 -m venv "$prefix/venv"
    "$prefix/venv/bin/python" -m pip install --upgrade pip
    # [fast]: sqlglot's compiled parser; [gcs]: audit anchors in a GCS bucket. Wheels only: the
    # final stage has no compiler.
    "$prefix/venv/bin/python" -m pip install --only-binary=:all: --no-binary=pgbridge "$src[fast,gcs]"
    "$prefix/venv/bin/python" -m compileall -q "$prefix/venv/lib"
    check "$prefix"
}

runtime() {
    prefix=$1 root=${PGBRIDGE_IMAGE_ROOT:-}
    if [ -z "$root" ] && ! id pgbridge >/dev/null 2>&1; then
        useradd --system --uid 10001 --user-group --home-dir /var/lib/pgbridge --shell /usr/sbin/nologin pgbridge
    fi
    mkdir -p "$root/etc/pgbridge" "$root/var/lib/pgbridge"
    chmod 0700 "$root/var/lib/pgbridge"  # clear data, keys and the audit log: the gateway's only
    if [ -z "$root" ]; then
        chown pgbridge:pgbridge "$root/var/lib/pgbridge"
    fi
    check "$prefix"
}

check() {
    "$1/venv/bin/pgbridge" --help >/dev/null
    "$1/venv/bin/python" -c "import pgbridge.server.listener, pgbridge.admin.app, pgbridge.catalog.facts"
}

[ $# -ge 1 ] || usage
command=$1
shift
case $command in
    build) [ $# -eq 2 ] || usage; build "$@" ;;
    runtime) [ $# -eq 1 ] || usage; runtime "$@" ;;
    *) usage ;;
esac
