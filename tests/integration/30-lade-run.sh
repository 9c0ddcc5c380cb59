#!/bin/bash
# `lade run` in the foreground from the bundled busybox image: Docker's semantics for the
# command, env, user, workdir, exit codes, --rm, names, ps/rm, and Docker's default confinement.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
lade() { "$LADE" --root "$T/lade" "$@"; }
lade load -i "$BUSYBOX_IMAGE" >/dev/null

expect_eq "run --rm busybox echo" "hello from lade" "$(lade run --rm busybox echo hello from lade)"
lade run --rm busybox sh -c 'exit 3'
expect_eq "the container's exit status" 3 $?
out=$(lade run --rm busybox no-such-command 2>&1)
expect_eq "an unknown command exits 127" 127 $?
expect_contains "... saying why" "executable file not found" "$out"
out=$(lade run --rm --pull never no-such-image true 2>&1)
expect_eq "an unknown image exits 125" 125 $?
expect_contains "... with Docker's message" "No such image" "$out"
expect_eq "image Cmd is the default command" "sh" "$(echo 'echo $0' | lade run --rm -i busybox)"
expect_eq "-e, -w and env merge (PATH from the image, HOSTNAME set)" "bar /tmp yes" \
        "$(lade run --rm -e FOO=bar -w /tmp busybox sh -c 'echo $FOO $(pwd) $([ -n "$HOSTNAME" ] && [ -n "$PATH" ] && echo yes)')"
expect_eq "-u resolves a name in the image's /etc/passwd" "65534:65534" "$(lade run --rm -u nobody busybox sh -c 'echo $(id -u):$(id -g)')"
expect_eq "--entrypoint" "ep" "$(lade run --rm --entrypoint echo busybox ep)"
expect_eq "stdin with -i" "piped" "$(echo piped | lade run --rm -i busybox cat)"
expect_eq "the container's / is 0755 as in Docker" 755 "$(lade run --rm busybox stat -c %a /)"
# the monitor ignores SIGPIPE, SIGINT, SIGHUP, SIGQUIT: the container's processes must not
expect_eq "no signal is ignored or blocked in the container" "SigBlk: 0000000000000000 SigIgn: 0000000000000000" \
        "$(lade run --rm busybox grep -E '^Sig(Ign|Blk)' /proc/self/status | tr -s '\t\n' '  ' | sed 's/ $//')"
expect_eq "... so a pipe's writer ends with its reader" 5000000 "$(timeout 20 "$LADE" --root "$T/lade" run --rm busybox sh -c 'yes | head -c 5000000 | wc -c')"
expect_eq "the container is pid 1 in its own pid namespace" 1 "$(lade run --rm busybox sh -c 'echo $$')"
if [ -x /usr/bin/docker-init ] || [ -x /usr/bin/tini-static ]; then
        expect_eq "--init puts docker-init in front as pid 1" "/sbin/docker-init -- ps" \
                "$(lade run --rm --init busybox ps -o pid,args | awk '$1 == 1 {print $2, $3, $4}')"
fi
expect_eq "loopback is up in the container's network namespace" ping-ok \
        "$(lade run --rm busybox sh -c 'ping -c1 -W2 127.0.0.1 >/dev/null && echo ping-ok')"
expect_eq "the hostname is the short container id" 12 "$(lade run --rm busybox hostname | tr -d '\n' | wc -c)"

# Docker's default confinement
expect_eq "default capabilities (Docker's 14)" "00000000a80425fb" "$(lade run --rm busybox sh -c 'grep CapEff /proc/self/status | cut -f2')"
expect_eq "Docker's seccomp profile denies unshare" denied "$(lade run --rm busybox sh -c 'unshare -U true 2>/dev/null && echo allowed || echo denied')"
expect_eq "masked /proc paths" 0 "$(lade run --rm busybox sh -c 'cat /proc/timer_list 2>/dev/null | wc -c')"
expect_eq "--read-only" ro "$(lade run --rm --read-only busybox sh -c 'touch /x 2>/dev/null || echo ro')"
expect_eq "--privileged lifts it (every capability, no seccomp)" "$(grep CapBnd /proc/self/status | cut -f2) allowed" \
        "$(lade run --rm --privileged busybox sh -c 'echo $(grep CapEff /proc/self/status | cut -f2) $(unshare -U true 2>/dev/null && echo allowed || echo denied)')"
expect_eq "--memory is applied" 67108864 "$(lade run --rm -m 64m busybox cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
mkdir -p "$T/host" && echo data >"$T/host/f"
expect_eq "-v host:ctr:ro" "data ro" "$(lade run --rm -v "$T/host:/data:ro" busybox sh -c 'cat /data/f; touch /data/x 2>/dev/null || echo ro' | tr '\n' ' ' | sed 's/ $//')"

# names, ps, rm
lade run --name keepme busybox true
expect_contains "ps -a shows an exited container" "keepme Exited (0) " "$(lade ps -a --format '{{.Names}} {{.Status}}')"
out=$(lade run --name keepme busybox true 2>&1)
expect_eq "a name in use is refused" 125 $?
expect_contains "... with Docker's message" 'The container name "/keepme" is already in use' "$out"
out=$(lade rmi busybox 2>&1)
expect_eq "rmi refuses an image a container uses" 1 $?
expect_contains "... with Docker's message" "image is being used by stopped container" "$out"
keep_id=$(lade inspect -f '{{.Id}}' keepme)
lade rm keepme >/dev/null
expect_eq "rm removes it" "" "$(lade ps -aq)"
out=$(lade rm nosuch 2>&1)
expect_eq "rm of an unknown container fails" 1 $?
expect_contains "... with Docker's message" "No such container: nosuch" "$out"
check "no container dirs or mounts are left" bash -c "[ -z \"\$(ls '$T/lade/containers' 2>/dev/null | grep -v '^\.trash\$')\" ] && ! grep -q '$T/lade' /proc/self/mounts"
# a --rm container on the default bridge: its veth is gone when run returns (the kernel's slow
# part of the deletion goes on in the monitor's background thread), every time
left=""
for i in 1 2 3 4 5; do
        lade run --rm busybox true || fail "run --rm on the bridge ($i)"
        left="$left$(ip -br link | grep "^$LADE_VETH_PREFIX" || true)"
done
expect_eq "no veth is left when run --rm returns" "" "$left"
rid=$(lade run -d --restart on-failure:2 busybox sh -c 'sleep 0.2; exit 1')
for _ in $(seq 100); do [ "$(lade inspect -f '{{.State.Status}} {{.RestartCount}}' "$rid")" = "exited 2" ] && break; sleep 0.1; done
expect_eq "restarts on the bridge get a fresh veth each time" "exited 2" "$(lade inspect -f '{{.State.Status}} {{.RestartCount}}' "$rid")"
expect_eq "... and none is left after the last exit" "" "$(ip -br link | grep "^$LADE_VETH_PREFIX" || true)"
lade rm "$rid" >/dev/null

# ---- --cidfile: written once the container exists, refused when it exists, gone on failure ----
lade run --cidfile "$T/cid" --rm busybox sleep 1 &
cidpid=$!
for _ in $(seq 50); do [ -s "$T/cid" ] && break; sleep 0.05; done
# written before the start: the container is created, then running
for _ in $(seq 50); do [ "$(lade inspect -f '{{.State.Status}}' "$(cat "$T/cid" 2>/dev/null)" 2>&1)" = running ] && break; sleep 0.05; done
expect_eq "run --cidfile holds the running container's id" running "$(lade inspect -f '{{.State.Status}}' "$(cat "$T/cid" 2>/dev/null)" 2>&1)"
wait $cidpid
out=$(lade run --cidfile "$T/cid" --rm busybox true 2>&1)
expect_eq "an existing cidfile is refused (125)" 125 $?
expect_contains "... in the docker CLI's words" "container ID file found" "$out"
rm -f "$T/cid"
lade run --cidfile "$T/cid" --pull never --rm nosuch-image true >/dev/null 2>&1
check "a failed run leaves no cidfile" test ! -e "$T/cid"
lade create --cidfile "$T/cid" busybox true >"$T/cid.out"
expect_eq "create --cidfile writes the id it prints" "$(cat "$T/cid.out")" "$(cat "$T/cid")"
lade rm "$(cat "$T/cid")" >/dev/null

# --format / -f are Go templates with Docker's functions (issue #4)
iid=$(lade run -d --name tmpl1 --label lade.t=v1 busybox sleep 60)
ip=$(lade inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$iid")
check "inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' prints an address" \
        bash -c "[[ '$ip' =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\$ ]]"
expect_contains "... the container's own" "inet $ip/" "$(lade exec "$iid" ip -4 addr show eth0)"
expect_eq "index, join, len and json on the document" 'v1 sleep,60 2 ["sleep","60"] yes' \
        "$(lade inspect -f '{{index .Config.Labels "lade.t"}} {{join .Config.Cmd ","}} {{len .Config.Cmd}} {{.Config.Cmd | json}} {{if .State.Running}}yes{{end}}' tmpl1)"
out=$(lade inspect -f '{{.x' tmpl1 2>&1)
expect_eq "a template that does not parse exits 64" 64 $?
expect_eq "... with Docker's message" "template parsing error: template: :1: unclosed action" "$(echo "$out" | tail -1)"
out=$(lade inspect -f '{{.Nope}}' tmpl1 2>&1)
expect_eq "a missing field exits 1" 1 $?
expect_contains "... with Go's message" 'executing "" at <.Nope>: map has no entry for key "Nope"' "$out"
expect_eq "ps --format table: header through the header functions" "NAMES STATE|tmpl1 RUNNING" \
        "$(lade ps --format 'table {{.Names}}\t{{upper .State}}' | tr -s ' ' | paste -sd '|')"
lade rm -f "$iid" >/dev/null
check "no cgroups are left" bash -c "[ -z \"\$(ls -d /sys/fs/cgroup/*/lade/$keep_id 2>/dev/null)\" ]"
finish
