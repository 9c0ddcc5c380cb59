#!/bin/bash
# The monitor zygote (engine/monitor-zygote.c) of `lade serve` and `lade build`: monitors forked
# by it are nobody's child but init's, in their own session, with /dev/null as stdio; exit codes
# and --rm go through it unchanged; a killed zygote is reaped and monitors are exec'd again; the
# zygote ends with its parent (a killed server) while the monitors and containers go on.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
for t in docker; do
        command -v $t >/dev/null || { echo "SKIP: $t is needed"; exit 77; }
done
export DOCKER_CONFIG=$T/docker-config
R=$T/state
SOCK=$T/sock/lade.sock
export DOCKER_HOST=unix://$SOCK
SERVE_PID=
lade() { "$LADE" --root "$R" "$@"; }
d() { timeout -s KILL 60 docker "$@"; }
# the zygote of a process: its child named lade-zygote
zygote_of() { ps -o pid=,comm= --ppid "$1" | awk '$2 == "lade-zygote" { print $1 }'; }
zombies_of() { ps -o pid=,stat= --ppid "$1" | awk '$2 ~ /Z/'; }

stop_all() {
        for c in $(lade ps -aq 2>/dev/null); do lade rm -f "$c" >/dev/null 2>&1; done
        [ -n "$SERVE_PID" ] && { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
        cleanup
}
trap stop_all EXIT
chmod 711 "$T"
mkdir -p "$R" "$T/sock"
lade load -q -i "$BUSYBOX_IMAGE" >/dev/null
start_serve() {
        "$LADE" --root "$R" serve -H "unix://$SOCK" -G "" 2>>"$T/serve.log" &
        SERVE_PID=$!
        for _ in $(seq 100); do d version >/dev/null 2>&1 && break; sleep 0.1; done
}
start_serve

check "an idle server is one process (no zygote yet)" test -z "$(zygote_of "$SERVE_PID")"
d run -d --name z0 --network none busybox sleep 300 >/dev/null
zy=$(zygote_of "$SERVE_PID")
check "a start spawned the server's zygote (lade __zygote)" test -n "$zy"
expect_eq "the zygote holds nothing but its socket and /dev/null" "/dev/null /dev/null /dev/null 4" \
        "$(readlink /proc/$zy/fd/0) $(readlink /proc/$zy/fd/1) $(readlink /proc/$zy/fd/2) $(ls /proc/$zy/fd | wc -l)"

out=$(d run --rm --network none busybox echo hello)
expect_eq "run --rm through the zygote's monitor" "hello" "$out"
d run --rm --network none busybox sh -c 'exit 3'
expect_eq "its exit status" "3" "$?"
expect_eq "--rm left no container" "z0" "$(lade ps -a --format '{{.Names}}')"

d run -d --name z1 --network none busybox sleep 300 >/dev/null
id=$(lade inspect -f '{{.Id}}' z1)
mon=$(lade inspect -f '{{.State.Pid}}' z1)
mon=$(ps -o ppid= -p "$mon" | tr -d ' ')
check "the container runs" test -n "$mon"
ppid=$(ps -o ppid= -p "$mon" | tr -d ' ')
check "its monitor is neither the server's nor the zygote's child" \
        test "$ppid" != "$SERVE_PID" -a "$ppid" != "$zy"
check "its monitor is in a session of its own" \
        test "$(ps -o sid= -p "$mon" | tr -d ' ')" != "$(ps -o sid= -p "$SERVE_PID" | tr -d ' ')"
expect_eq "its stdio is /dev/null" "/dev/null /dev/null /dev/null" \
        "$(readlink /proc/$mon/fd/0) $(readlink /proc/$mon/fd/1) $(readlink /proc/$mon/fd/2)"
expect_eq "no zombie child of the server" "" "$(zombies_of "$SERVE_PID")"
expect_eq "no zombie child of the zygote" "" "$(zombies_of "$zy")"

# idle for a second: the server stops its zygote and reaps it; the next start spawns one again
for _ in $(seq 60); do [ -z "$(zygote_of "$SERVE_PID")" ] && break; sleep 0.1; done
check "an idle server stops its zygote" test -z "$(zygote_of "$SERVE_PID")"
expect_eq "... and reaps it" "" "$(zombies_of "$SERVE_PID")"
expect_eq "the next run spawns it again" "back" "$(d run --rm --network none busybox echo back)"
lade rm -f z0 >/dev/null

# a monitor killed: noticed as before
kill -9 "$mon"
for _ in $(seq 50); do [ "$(lade inspect -f '{{.State.Running}}' z1)" = true ] || break; sleep 0.1; done
lade kill z1 >/dev/null 2>&1
for _ in $(seq 50); do [ "$(lade inspect -f '{{.State.Status}}' z1)" = exited ] && break; sleep 0.1; done
expect_eq "a killed monitor is noticed" "exited" "$(lade inspect -f '{{.State.Status}}' z1)"
lade rm -f z1 >/dev/null

# the zygote killed: reaped, and the next start spawns a new one
d run -d --name z3 --network none busybox sleep 300 >/dev/null
zy=$(zygote_of "$SERVE_PID")
kill -9 "$zy"
out=$(d run --rm --network none busybox echo again)
expect_eq "a run after the zygote was killed" "again" "$out"
expect_eq "the dead zygote was reaped" "" "$(zombies_of "$SERVE_PID")"
check "a new zygote took its place" test -n "$(zygote_of "$SERVE_PID")" -a "$(zygote_of "$SERVE_PID")" != "$zy"
lade rm -f z3 >/dev/null

# the server killed: its zygote ends, the monitors and containers go on
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
start_serve
d run -d --name z2 --network none busybox sleep 300 >/dev/null
zy=$(zygote_of "$SERVE_PID")
check "a zygote before the kill" test -n "$zy"
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
for _ in $(seq 50); do kill -0 "$zy" 2>/dev/null || break; sleep 0.1; done
check "the zygote ended with the server" test ! -e "/proc/$zy"
expect_eq "the container goes on" "true" "$(lade inspect -f '{{.State.Running}}' z2)"
lade rm -f z2 >/dev/null

# lade build: RUN steps' monitors through the build's zygote, which ends with the build
mkdir -p "$T/ctx"
printf 'FROM busybox\nRUN echo one > /one\nRUN cat /one > /two\n' >"$T/ctx/Dockerfile"
check "a build with RUN steps" lade build -q -t zy:1 --network none "$T/ctx"
expect_eq "its result" "one" "$(lade run --rm --network none zy:1 cat /two)"
left=$(for p in $(pgrep -x lade-zygote); do tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | grep -F -- "$R" ; done)
for _ in $(seq 20); do [ -z "$left" ] && break; sleep 0.1
        left=$(for p in $(pgrep -x lade-zygote); do tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | grep -F -- "$R"; done); done
expect_eq "the build's zygote ended with it" "" "$left"
printf 'FROM busybox\nRUN exit 7\n' >"$T/ctx/Dockerfile"
out=$(lade build -q --network none "$T/ctx" 2>&1)
expect_contains "a failing RUN reports its code" "exit code: 7" "$out"
expect_eq "no container left by the builds" "" "$(lade ps -aq)"
finish
