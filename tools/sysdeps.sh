#!/bin/sh
# Install the system packages the build and the tests need, when missing,
# on Debian-like systems: a C compiler, Python headers and venv, zlib's
# headers, groff
# (man page lint), softflowd, pmacct and nfdump (real peers of the collector
# tests), PostgreSQL and MariaDB servers (flow-export's database tests),
# rrdtool (flow-log2rrd and flow-rpt2rrd write RRD files with it), chromium
# (flow-hunt's HTML report test).
# Does nothing when everything is already there.
set -e
PYTHON=${PYTHON:-python3}
need=""
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need="$need gcc libc6-dev"
"$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1 || need="$need python3-venv"
inc=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null || true)
[ -n "$inc" ] && [ -f "$inc/Python.h" ] || need="$need python3-dev"
# the C core inflates compressed streams with zlib (csrc/inflate.c)
[ -f /usr/include/zlib.h ] || need="$need zlib1g-dev"
command -v groff >/dev/null 2>&1 || need="$need groff-base"
command -v make >/dev/null 2>&1 || need="$need make"
# real peers of the collector tests: exporters and a collector
command -v softflowd >/dev/null 2>&1 || need="$need softflowd"
command -v pmacctd >/dev/null 2>&1 || need="$need pmacct"
command -v nfcapd >/dev/null 2>&1 || need="$need nfdump"
# real servers of flow-export -f 5 / -f 3 (tests start throw-away instances)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need="$need postgresql"
[ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ] || need="$need mariadb-server"
# flow-log2rrd and flow-rpt2rrd run it
command -v rrdtool >/dev/null 2>&1 || need="$need rrdtool"
# the HTML report test of flow-hunt -H opens it in headless Chromium
command -v chromium >/dev/null 2>&1 || need="$need chromium"
[ -z "$need" ] && exit 0
echo "sysdeps: installing$need" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "sysdeps: please install:$need" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $need >/dev/null
