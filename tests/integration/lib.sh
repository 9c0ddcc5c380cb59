# Shared by the integration tests. Each test sources this, gets its own state root and bundle
# under a temp dir, and everything it made is removed by the EXIT trap, pass or fail.
set -uo pipefail

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
LADE_RUNTIME=${LADE_RUNTIME:?set LADE_RUNTIME to the lade-runtime binary}
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

T=$(mktemp -d /tmp/lade-it.XXXXXX)
ROOT=$T/state
BUNDLE=$T/bundle
CIDS=()
FAILS=0

rt() { "$LADE_RUNTIME" --root "$ROOT" "$@"; }

# lade_isolate: containers of the engine under $T/lade, on their own bridge, nftables table and
# address pool (random names and a 10.x pool no host route uses), all removed by cleanup.
LADE_ISOLATED=0
lade_isolate() {
        local tag x
        tag=$(printf '%04x' $((RANDOM % 65536)))
        export LADE_BRIDGE_NAME="ltb$tag" LADE_BRIDGE_PREFIX="ltu$tag-" LADE_VETH_PREFIX="ltv$tag"
        export LADE_NFT_TABLE="lade_t$tag"
        for _ in $(seq 50); do
                x=$((100 + RANDOM % 150))
                ip -4 route | grep "^10\.$x\." >/dev/null || break
        done
        export LADE_NET_POOLS="10.$x.0.0/17:24"
        LADE_ISOLATED=1
}

lade_engine_cleanup() {
        local l ids f
        # what monitors noted (failures nobody waited for), to explain a failed check
        for f in "$T"/lade/containers/*/monitor.log; do [ -f "$f" ] && { echo "# $f:"; cat "$f"; }; done
        if [ -d "$T/lade" ]; then
                ids=$("$LADE" --root "$T/lade" ps -aq --no-trunc 2>/dev/null)
                [ -n "$ids" ] && "$LADE" --root "$T/lade" rm -f $ids >/dev/null 2>&1
                "$LADE" --root "$T/lade" network prune -f >/dev/null 2>&1
        fi
        nft delete table ip "$LADE_NFT_TABLE" 2>/dev/null
        for l in $(ip -br link | awk '{print $1}' | sed 's/@.*//' | grep -E "^(${LADE_BRIDGE_NAME}|${LADE_BRIDGE_PREFIX}|${LADE_VETH_PREFIX})"); do
                ip link del "$l" 2>/dev/null
        done
}

cleanup() {
        [ "$LADE_ISOLATED" = 1 ] && lade_engine_cleanup
        for id in "${CIDS[@]}"; do rt delete -f "$id" >/dev/null 2>&1 || true; done
        # any mount left under the temp dir (a failed test) must not survive it
        grep -o " $T[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
        rm -rf "$T"
}
trap cleanup EXIT

new_bundle() {
        "$SRCDIR/scripts/make-bundle.sh" "$BUNDLE" "$LADE_RUNTIME" >/dev/null
}

# cfg JQ-FILTER: edit the bundle's config.json in place
cfg() {
        local tmp
        tmp=$(mktemp)
        jq "$1" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

args() {
        local json
        json=$(printf '%s\n' "$@" | jq -R . | jq -s .)
        cfg ".process.args = $json"
}

cid() {
        local id="t$$-$1"
        CIDS+=("$id")
        echo "$id"
}

ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
check() {
        # check DESCRIPTION COMMAND...
        local d=$1
        shift
        if "$@"; then ok "$d"; else fail "$d"; fi
}
expect_eq() {
        # expect_eq DESCRIPTION EXPECTED ACTUAL
        if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
expect_contains() {
        if [[ "$3" == *"$2"* ]]; then ok "$1"; else fail "$1: expected to contain '$2', got '$3'"; fi
}
finish() {
        [ "$FAILS" = 0 ] || { echo "$FAILS check(s) failed"; exit 1; }
        exit 0
}
no_leftovers() {
        # no_leftovers ID: no state dir, no cgroup dir anywhere
        local id=$1 left
        left=$(ls -d "$ROOT/$id" /sys/fs/cgroup/*/"$id" /sys/fs/cgroup/*/*/"$id" 2>/dev/null || true)
        [ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

# Every test that runs lade gets its own bridge, veth prefix, nftables table and address pool
# (a test that sets its own before sourcing keeps them): nothing it does touches the host's
# lade0 or the `lade` table, and cleanup removes what it made.
if [ -n "${LADE:-}" ] && [ -z "${LADE_NFT_TABLE:-}" ]; then
        lade_isolate
fi
