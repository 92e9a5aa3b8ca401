#!/bin/sh
# Make promtool available for the alert-rule tests, without a Prometheus server.
#
# Does nothing when promtool is on PATH or already at DEST. Otherwise downloads
# Debian's prometheus package and extracts only /usr/bin/promtool to DEST: the
# package is never installed, so no service is enabled or started (installing
# it would start a Prometheus server wherever init scripts may run).
#
# usage: monitoring/install-promtool.sh [DEST]   (default .venv/bin/promtool)
set -eu
DEST=${1:-.venv/bin/promtool}
if command -v promtool >/dev/null 2>&1 || [ -x "$DEST" ]; then
	exit 0
fi
echo "extracting promtool from Debian's prometheus package into $DEST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt's download sandbox user must be able to write here
download() { (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); }
if ! download; then
	SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
	$SUDO apt-get update -qq
	download
fi
dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -xO ./usr/bin/promtool >"$tmp/promtool"
mkdir -p "$(dirname "$DEST")"
install -m 0755 "$tmp/promtool" "$DEST"
"$DEST" --version >/dev/null
