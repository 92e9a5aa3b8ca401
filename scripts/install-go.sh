#!/bin/sh
# Make a Go toolchain available for the bench's load generator (loadgen/) and its tests.
#
# Does nothing when the `go` on PATH is at least the version loadgen/go.mod names, or when DEST
# already holds that version. Otherwise downloads that toolchain from the Go module proxy (where
# the go command itself gets toolchains: the module golang.org/toolchain), checks the SHA-256
# pinned below, unpacks it into DEST and links DEST/bin/go as LINK. Debian's golang-go is too old
# for grpc-go (bookworm has 1.19). Not fatal: without Go, `feed bench` falls back to its Python
# load generator and the Go tests skip, each saying why.
#
# usage: scripts/install-go.sh [DEST [LINK]]   (default .venv/go and .venv/bin/go)
set -eu
VERSION=1.26.8 # loadgen/go.mod's `go` line; a new one needs its archives' digests below
DEST=${1:-.venv/go}
LINK=${2:-.venv/bin/go}
PROXY=${GOPROXY:-https://proxy.golang.org}
PROXY=${PROXY%%,*} # the first of a list; "direct" or "off" means no proxy: nothing to fetch from
newer_or_same() { [ "$(printf '%s\n%s\n' "$VERSION" "$1" | sort -V | head -n1)" = "$VERSION" ]; }
version_of() { "$1" env GOVERSION 2>/dev/null | sed 's/^go//'; }
link_go() { mkdir -p "$(dirname "$LINK")" && ln -sfn "$(cd "$DEST/bin" && pwd)/go" "$LINK"; }

if command -v go >/dev/null 2>&1 && newer_or_same "$(version_of go)"; then
	exit 0
fi
if [ -x "$DEST/bin/go" ] && [ "$(version_of "$DEST/bin/go")" = "$VERSION" ]; then
	link_go
	exit 0
fi
case "$(uname -m)" in
x86_64 | amd64) arch=amd64 sha256=30c2b1bf7dcc88d3eb0a1364e47ddd9128edb3110a30e8a0ef61cd5856b31de7 ;;
aarch64 | arm64) arch=arm64 sha256=02b36b6787b3ac767668f630e2998df45a3b1f9ffee08d1bf3ef6487cd658d99 ;;
*)
	echo "no Go $VERSION for $(uname -m) here: the bench will use its Python load generator"
	exit 0
	;;
esac
case "$PROXY" in
http*) ;;
*)
	echo "GOPROXY names no proxy: no Go $VERSION installed; the bench will use its Python load generator"
	exit 0
	;;
esac
module="v0.0.1-go$VERSION.linux-$arch"
echo "installing Go $VERSION from the Go module proxy into $DEST (about 70 MB)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! curl -fsSL --retry 2 -o "$tmp/go.zip" "$PROXY/golang.org/toolchain/@v/$module.zip"; then
	echo "could not download Go $VERSION: the bench will use its Python load generator"
	exit 0
fi
echo "$sha256  $tmp/go.zip" | sha256sum -c --quiet - || {
	echo "the Go $VERSION archive does not have its pinned SHA-256: not installed" >&2
	exit 1
}
# A module zip keeps its files' modes; zipfile's extract drops them, so they are set again here.
python3 - "$tmp/go.zip" "$tmp/go" "golang.org/toolchain@$module/" <<'PY'
import os, sys, zipfile
archive, out, prefix = sys.argv[1:]
with zipfile.ZipFile(archive) as z:
    for info in z.infolist():
        if not info.filename.startswith(prefix) or info.is_dir():
            continue
        info.filename = info.filename[len(prefix):]
        os.chmod(z.extract(info, out), (info.external_attr >> 16) & 0o755 or 0o644)
PY
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
mv "$tmp/go" "$DEST"
link_go
"$LINK" version
