#!/bin/bash
# `lade build` side by side with Docker: every corpus dir tests/build/NN-*/ is built by lade and by
# Debian's dockerd (its own data-root, exec-root, socket and pidfile, no bridge, no iptables) through
# the 20.10 CLI with BuildKit (the classic builder when BuildKit cannot run here, said so), both
# images are saved and flattened by image-tree.py, and their config fields and filesystems (paths,
# types, modes, owners, contents, symlink targets) must be the same. A dir's parity-skip says when
# and why it is not compared; its parity-expected-diff holds the differences that are intended
# (after "#" lines saying why): any other difference fails. See tests/build/README.md.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
DOCKER=${DOCKER_CLI:-/usr/bin/docker}
for t in dockerd "$DOCKER" python3; do
        command -v "$t" >/dev/null || { echo "SKIP: $t is needed"; exit 77; }
done
lade() { "$LADE" --root "$T/lade" "$@"; }
D=("$DOCKER" -H "unix://$T/docker/sock")
DOCKERD=
stop_dockerd() {
        local ctrd
        [ -n "$DOCKERD" ] || return 0
        ctrd=$(cat "$T/docker/exec/containerd/containerd.pid" 2>/dev/null)
        kill "$DOCKERD" 2>/dev/null
        for _ in $(seq 200); do kill -0 "$DOCKERD" 2>/dev/null || break; sleep 0.1; done
        # a dockerd that does not stop in 20 s is killed, and its containerd (ours too) with it
        if kill -0 "$DOCKERD" 2>/dev/null; then
                kill -KILL "$DOCKERD" 2>/dev/null
                [ -n "$ctrd" ] && kill -KILL "$ctrd" 2>/dev/null
        fi
        for _ in $(seq 100); do [ -n "$ctrd" ] && kill -0 "$ctrd" 2>/dev/null || break; sleep 0.1; done
        DOCKERD=
        # the build containers' cgroups live under our own parent; rmdir only takes empty ones
        find /sys/fs/cgroup -maxdepth 2 -type d -name "$CGROUP_PARENT" 2>/dev/null | while read -r c; do
                find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
        done
}
trap 'stop_dockerd; cleanup' EXIT
C=$SRCDIR/tests/build
TREE=$SRCDIR/tests/integration/image-tree.py
t0=$(date +%s)

# no host daemon.json; the containers' (BuildKit's RUN steps') cgroups under a parent of ours
mkdir -p "$T/docker"
echo '{}' >"$T/docker/daemon.json"
CGROUP_PARENT=lade-parity-$$-$RANDOM
dockerd --config-file "$T/docker/daemon.json" --data-root "$T/docker/data" --exec-root "$T/docker/exec" \
        -H "unix://$T/docker/sock" --pidfile "$T/docker/pid" --bridge=none --iptables=false \
        --ip6tables=false --cgroup-parent "/$CGROUP_PARENT" >"$T/docker/log" 2>&1 &
DOCKERD=$!
for _ in $(seq 300); do "${D[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${D[@]}" version >/dev/null 2>&1 || { tail -20 "$T/docker/log"; fail "dockerd starts"; finish; }
"${D[@]}" load -q -i "$BUSYBOX_IMAGE" >/dev/null
"${D[@]}" image inspect busybox:latest >/dev/null 2>&1 || "${D[@]}" tag "$("${D[@]}" images -q | head -1)" busybox:latest
lade load -i "$BUSYBOX_IMAGE" >/dev/null
expect_eq "the same busybox:latest in both" "$(lade image inspect -f '{{.Id}}' busybox:latest)" \
        "$("${D[@]}" image inspect -f '{{.Id}}' busybox:latest)"

# BuildKit of dockerd 20.10 runs RUN steps only with --network none or host here (no bridge)
mkdir -p "$T/probe"
printf 'FROM busybox\nRUN true\n' >"$T/probe/Dockerfile"
# PARITY_BUILDER=classic compares with the classic builder on purpose
BUILDKIT=1
if [ "${PARITY_BUILDER:-}" = classic ]; then
        echo "NOTE: PARITY_BUILDER=classic: comparing with the classic builder (DOCKER_BUILDKIT=0)"
        BUILDKIT=0
elif ! out=$(DOCKER_BUILDKIT=1 "${D[@]}" build -q --network none "$T/probe" 2>&1); then
        echo "NOTE: BuildKit cannot run here, falling back to the classic builder (DOCKER_BUILDKIT=0):"
        echo "$out" | tail -3 | sed 's/^/    /'
        BUILDKIT=0
fi
echo "# docker: $("${D[@]}" version -f '{{.Server.Version}}'), DOCKER_BUILDKIT=$BUILDKIT"

# skip_reason DIR: why DIR is not compared here (empty: it is). parity-skip lines:
#   always -- REASON          never (Docker cannot build it, or it is compared elsewhere)
#   classic -- REASON         not with the classic builder
#   image-lacks CMD -- REASON when CMD fails in the busybox image (the bundled one lacks things)
skip_reason() {
        local f=$1/parity-skip line cond reason
        [ -f "$f" ] || return 0
        while IFS= read -r line; do
                case $line in ''|'#'*) continue ;; esac
                cond=${line%% -- *}
                reason=${line#* -- }
                case $cond in
                always) echo "$reason"; return ;;
                classic) [ "$BUILDKIT" = 0 ] && { echo "$reason"; return; } ;;
                image-lacks\ *)
                        lade run --rm --network none busybox sh -c "${cond#image-lacks }" >/dev/null 2>&1 ||
                                { echo "$reason"; return; } ;;
                *) echo "bad parity-skip line: $line" >&2; echo "unreadable parity-skip"; return ;;
                esac
        done <"$f"
}

# compare NAME DIR: builds DIR with both, compares, prints the differences
compare() {
        local n=$1 d=$2 extra=() out diff want
        [ "$n" = 36-target-skip ] && extra=(--target app)
        if ! out=$(lade build -q "${extra[@]}" -t "parity/$n" "$d" 2>&1); then
                fail "$n: lade build"
                echo "$out" | tail -5 | sed 's/^/    /'
                return
        fi
        if ! out=$(DOCKER_BUILDKIT=$BUILDKIT "${D[@]}" build -q --network none "${extra[@]}" \
                        -t "parity/$n" "$d" 2>&1); then
                fail "$n: docker build"
                echo "$out" | tail -5 | sed 's/^/    /'
                return
        fi
        lade save -o "$T/lade.tar" "parity/$n" && "${D[@]}" save -o "$T/docker.tar" "parity/$n" ||
                { fail "$n: save"; return; }
        python3 "$TREE" "$T/docker.tar" >"$T/docker.list" && python3 "$TREE" "$T/lade.tar" >"$T/lade.list" ||
                { fail "$n: image-tree"; return; }
        diff=$(diff --unchanged-line-format= --old-line-format='docker %L' --new-line-format='lade   %L' \
                "$T/docker.list" "$T/lade.list")
        if [ -z "$diff" ]; then
                ok "$n: same config and filesystem ($(grep -c '^fs ' "$T/lade.list") paths)"
                return
        fi
        want=parity-expected-diff
        [ "$BUILDKIT" = 0 ] && want=parity-expected-diff-classic
        if [ -f "$d/$want" ] && [ "$diff" = "$(grep -v '^#' "$d/$want")" ]; then
                ok "$n: differs only as $want explains"
                return
        fi
        fail "$n: lade and docker differ$( [ -f "$d/$want" ] && echo " (not as $want says)")"
        echo "$diff" | head -40 | sed 's/^/    /'
}

for d in "$C"/*/; do
        n=$(basename "$d")
        reason=$(skip_reason "$d")
        if [ -n "$reason" ]; then
                echo "skip - $n: $reason"
                continue
        fi
        compare "$n" "$d"
        rm -f "$T/lade.tar" "$T/docker.tar"
done

# a difference must be able to fail: an image with one more file is not the same
mkdir -p "$T/neg"
printf 'FROM busybox\nRUN echo x > /x\n' >"$T/neg/Dockerfile"
lade build -q -t parity/neg "$T/neg" >/dev/null && lade save -o "$T/lade.tar" parity/neg
"${D[@]}" save -o "$T/docker.tar" busybox:latest
check "the comparison sees a difference" bash -c "! diff -q <(python3 '$TREE' '$T/docker.tar') <(python3 '$TREE' '$T/lade.tar') >/dev/null"

ctrd=$(cat "$T/docker/exec/containerd/containerd.pid" 2>/dev/null)
dpid=$DOCKERD
stop_dockerd
check "dockerd and its containerd are gone" bash -c "! kill -0 $dpid 2>/dev/null && ! kill -0 ${ctrd:-$dpid} 2>/dev/null"
check "no docker mounts are left" bash -c "! grep -q '$T/docker' /proc/self/mounts"
check "no cgroups are left" bash -c "[ -z \"\$(find /sys/fs/cgroup -maxdepth 2 -name '$CGROUP_PARENT')\" ]"
echo "# took $(($(date +%s) - t0)) s"
finish
