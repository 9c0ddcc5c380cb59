#!/bin/bash
# Waiting without polling: `lade wait` (and every waiter of the events table) sleeps on an
# inotify watch of <root>/events.tick, which each event's writer (here the container's monitor,
# another process) touches. Checks the mechanism — the waiter holds an inotify fd watching the
# tick file, and no other fd leaks into the container — and the effect: over several exits, the
# median delay from the container's FinishedAt to `lade wait` returning is a few milliseconds
# (the old 100 ms poll gave ~50 ms).
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
lade() { "$LADE" --root "$T/lade" "$@"; }
lade load -i "$BUSYBOX_IMAGE" >/dev/null
ns() { date +%s%N; }

# the mechanism: a waiter on a running container watches the tick file
id=$(lade run -d --network none busybox sleep 30)
"$LADE" --root "$T/lade" wait "$id" >"$T/wait.out" &   # not the function: $! is lade
wpid=$!
ino=
watches_tick() {
        # an inotify fd of the waiter has a watch on the tick file's inode ("inotify wd:1 ino:HEX …")
        local f
        ino=$(stat -c %i "$T/lade/events.tick" 2>/dev/null) || return 1
        for f in /proc/$wpid/fdinfo/*; do
                grep -q "^inotify wd:.* ino:$(printf '%x' "$ino") " "$f" 2>/dev/null && return 0
        done
        return 1
}
watched=no
for _ in $(seq 50); do watches_tick && { watched=yes; break; }; sleep 0.05; done
check "events.tick exists in the state root" test -n "$ino"
expect_eq "lade wait watches events.tick with inotify" yes "$watched"
lade kill "$id" >/dev/null
wait "$wpid"
expect_eq "lade wait prints the exit code of the kill" 137 "$(cat "$T/wait.out")"
cpid_fds=$(lade run --rm --network none busybox ls /proc/self/fd | sort -n | tr '\n' ' ')
expect_eq "no fd leaks into the container" "0 1 2 3 " "$cpid_fds"

# the effect: FinishedAt (recorded by the monitor) to the return of `lade wait`
delays=()
# (the sleeps step by 1/7 of the old poll period, so a poll's phase cannot line up with them all)
for ms in 300 314 328 343 357 371 386; do
        id=$(lade run -d --network none busybox sleep "0.$ms")
        # (a sanitizer build's leak check at exit would be timed too: off for these waits only)
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" lade wait "$id" >/dev/null
        end=$(ns)
        fin=$(lade inspect -f '{{.State.FinishedAt}}' "$id")
        delays+=($(( (end - $(date -d "$fin" +%s%N)) / 1000000 )))
        lade rm "$id" >/dev/null
done
median=$(printf '%s\n' "${delays[@]}" | sort -n | sed -n 4p)
echo "# exit -> wait returned (ms): ${delays[*]}; median $median"
# the old poll's median is ~50 ms plus the waiter's own work; a sanitizer build's work is slower
limit=35
[[ "$(ldd "$LADE" 2>/dev/null)" == *libasan* ]] && limit=60
check "the median wake-up delay is well under the old 100 ms poll ($median ms < $limit)" test "$median" -lt "$limit"

# the same through `lade run` of a short container whose exit another waiter sees
id=$(lade run -d --network none busybox true)
t0=$(ns)
lade wait "$id" >/dev/null
check "wait on an exited container returns at once" test $(( ($(ns) - t0) / 1000000 )) -lt 1000
finish
