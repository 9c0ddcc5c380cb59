#!/bin/bash
# The engines people run, with lade-runtime as their OCI runtime: podman (conmon), containerd
# (ctr + the runc shim) and dockerd (+ its containerd). Each runs in private dirs and sockets
# under the test's temp dir; the daemons are ours and are stopped by pid.
. "$(dirname "$0")/lib.sh"
command -v podman >/dev/null && command -v containerd >/dev/null && command -v dockerd >/dev/null ||
        { echo "SKIP: podman, containerd and docker.io are needed"; exit 77; }
new_bundle
DAEMONS=()
stop_daemons() {
        for p in "${DAEMONS[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${DAEMONS[@]}"; do for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
}
trap 'podman_rm_all; stop_daemons; cleanup' EXIT

# one busybox image for everyone: a rootfs tar imported into podman, exported as docker-archive
tar -C "$BUNDLE/rootfs" -cf "$T/rootfs.tar" .
P=(podman --root "$T/podman/root" --runroot "$T/podman/run" --cgroup-manager cgroupfs
   --events-backend file --runtime "$LADE_RUNTIME")
U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
podman_rm_all() { "${P[@]}" rm -af -t 0 >/dev/null 2>&1; "${P[@]}" system reset -f >/dev/null 2>&1 || true; }
"${P[@]}" import -q "$T/rootfs.tar" localhost/busybox:latest >/dev/null
"${P[@]}" save -q --format docker-archive -o "$T/busybox.tar" localhost/busybox:latest

# ---- podman (conmon drives lade-runtime: create/start/state/kill/delete, exec, console socket) ----
out=$("${P[@]}" run --rm "${U[@]}" localhost/busybox echo hi 2>&1)
expect_eq "podman run --rm busybox echo hi (default network: netns joined by path)" hi "$out"
out=$("${P[@]}" run --rm "${U[@]}" --network none localhost/busybox sh -c 'exit 3' 2>&1)
expect_eq "podman: exit status" 3 $?
out=$(script -qec "${P[*]} run --rm -t ${U[*]} --network none localhost/busybox tty" /dev/null | tr -d '\r')
expect_eq "podman run -t: a pty through --console-socket" /dev/pts/0 "$out"
"${P[@]}" run -d --name p1 "${U[@]}" --network none localhost/busybox sleep 1000 >/dev/null
p1id=$("${P[@]}" inspect -f '{{.Id}}' p1)
states() { ls /run/lade-runtime/"$p1id"/state.json 2>/dev/null | wc -l; }
expect_eq "podman's lade-runtime state exists while running" 1 "$(states)"
expect_eq "podman exec" "exec-ok" "$("${P[@]}" exec p1 echo exec-ok 2>&1)"
"${P[@]}" pause p1 >/dev/null && "${P[@]}" unpause p1 >/dev/null
expect_eq "podman pause/unpause" running "$("${P[@]}" inspect -f '{{.State.Status}}' p1)"
"${P[@]}" kill p1 >/dev/null
"${P[@]}" rm -f p1 >/dev/null
expect_eq "podman rm leaves no lade state" 0 "$(states)"

# ---- containerd (ctr, io.containerd.runc.v2 shim with --runc-binary) ----
mkdir -p "$T/ctrd"
cat >"$T/ctrd/config.toml" <<CFG
version = 2
root = "$T/ctrd/root"
state = "$T/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/ctrd/sock"
CFG
containerd --config "$T/ctrd/config.toml" >"$T/ctrd/log" 2>&1 &
DAEMONS+=($!)
C=(ctr -a "$T/ctrd/sock")
for _ in $(seq 100); do "${C[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${C[@]}" images import --base-name localhost/busybox "$T/busybox.tar" >/dev/null 2>&1
out=$("${C[@]}" run --runc-binary "$LADE_RUNTIME" --rm localhost/busybox:latest ctr1 echo hi 2>&1)
expect_eq "ctr run --runc-binary lade-runtime --rm busybox echo hi" hi "$out"
"${C[@]}" run --runc-binary "$LADE_RUNTIME" --rm localhost/busybox:latest ctr2 sh -c 'exit 4' >/dev/null 2>&1
expect_eq "ctr: exit status" 4 $?
"${C[@]}" run -d --runc-binary "$LADE_RUNTIME" localhost/busybox:latest ctr3 sleep 1000 >/dev/null 2>&1
expect_eq "ctr task exec" "exec-ok" "$("${C[@]}" task exec --exec-id e1 ctr3 echo exec-ok 2>&1)"
expect_eq "ctr task ps lists the init" 1 "$("${C[@]}" task ps ctr3 2>/dev/null | tail -n +2 | wc -l)"
"${C[@]}" task kill -s KILL ctr3 >/dev/null 2>&1
for _ in $(seq 50); do "${C[@]}" task ls 2>/dev/null | grep -q 'ctr3.*STOPPED' && break; sleep 0.1; done
"${C[@]}" task delete ctr3 >/dev/null 2>&1
"${C[@]}" container delete ctr3 >/dev/null 2>&1
expect_eq "ctr: task gone" "" "$("${C[@]}" task ls -q 2>/dev/null)"

# ---- dockerd (--add-runtime lade=...) on its own containerd, no networking changes ----
mkdir -p "$T/docker"
dockerd --data-root "$T/docker/data" --exec-root "$T/docker/exec" -H "unix://$T/docker/sock" \
        --pidfile "$T/docker/pid" --containerd "$T/ctrd/sock" --bridge=none --iptables=false \
        --ip6tables=false --add-runtime "lade=$LADE_RUNTIME" >"$T/docker/log" 2>&1 &
DAEMONS=($! "${DAEMONS[@]}")
D=(docker -H "unix://$T/docker/sock")
for _ in $(seq 200); do "${D[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${D[@]}" load -q -i "$T/busybox.tar" >/dev/null
out=$("${D[@]}" run --runtime lade --rm --network none localhost/busybox echo hi 2>&1)
expect_eq "docker run --runtime lade --rm busybox echo hi" hi "$out"
out=$(echo lade | "${D[@]}" run --runtime lade --rm -i --network none localhost/busybox sh -c 'read x; echo got-$x' 2>&1)
expect_eq "docker run -i: stdin reaches the container" got-lade "$out"
"${D[@]}" run --runtime lade --rm --network none localhost/busybox sh -c 'exit 5'
expect_eq "docker: exit status" 5 $?
out=$(script -qec "${D[*]} run --runtime lade --rm -t --network none localhost/busybox tty" /dev/null | tr -d '\r')
expect_eq "docker run -t" /dev/pts/0 "$out"
"${D[@]}" run --runtime lade -d --name d1 --network none --memory 64m localhost/busybox sleep 1000 >/dev/null
expect_eq "docker: memory limit applied" 67108864 "$("${D[@]}" exec d1 cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
"${D[@]}" update --memory 128m --memory-swap 256m d1 >/dev/null
expect_eq "docker update through lade-runtime update" 134217728 "$("${D[@]}" exec d1 cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
"${D[@]}" pause d1 >/dev/null && "${D[@]}" unpause d1 >/dev/null
expect_eq "docker pause/unpause" running "$("${D[@]}" inspect -f '{{.State.Status}}' d1)"
expect_eq "docker's default seccomp profile is enforced" "denied" \
        "$("${D[@]}" exec d1 sh -c 'unshare -U true 2>/dev/null && echo allowed || echo denied')"
"${D[@]}" stop -t 1 d1 >/dev/null
"${D[@]}" rm d1 >/dev/null
out=$("${D[@]}" run --runtime lade --rm --network none --user 1000:1000 --read-only --cap-drop ALL localhost/busybox sh -c 'id -u; touch /x 2>/dev/null || echo ro; grep CapEff /proc/self/status | tr -d "\t"')
expect_eq "docker --user --read-only --cap-drop ALL" "$(printf '1000\nro\nCapEff:0000000000000000')" "$out"
finish
