#!/bin/bash
# `lade build` runs independent stages at once: two stages that each sleep 1 s build in clearly
# under 2 s (and one after the other, LADE_BUILD_PARALLEL=1, in over 2 s), with the same image id
# as the sequential build (SOURCE_DATE_EPOCH) and the same cache (and --network for the RUN
# steps); a failing stage cancels the
# others at once and leaves no container, mount, process or temp dir. The live view
# (--progress tty, and auto on a terminal, run under `script`): ANSI redraws, at most ~10 a
# second, the final frame and the image id; a failing step's output shown whole.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
lade() { "$LADE" --root "$T/lade" "$@"; }
lade load -i "$BUSYBOX_IMAGE" >/dev/null
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
nothing_left() {
        check "$1: no containers are left" bash -c "[ -z \"\$(ls '$T/lade/containers' 2>/dev/null)\" ] && [ -z \"\$(\"$LADE\" --root \"$T/lade\" ps -aq)\" ]"
        check "$1: no mounts are left" bash -c "! grep -q '$T/lade' /proc/self/mounts"
        check "$1: no build temp dirs are left" bash -c "[ -z \"\$(ls -d '$T/lade/build/tmp-'* 2>/dev/null)\" ]"
        check "$1: no process runs in a build container" bash -c \
                "! for p in /proc/[0-9]*; do readlink \$p/root; done 2>/dev/null | grep -q '$T/lade'"
}

# ---- two independent stages at once ----
mkdir -p "$T/par"
cat >"$T/par/Dockerfile" <<'EOF'
FROM busybox AS a
RUN sleep 1 && echo from-a > /a
FROM busybox AS b
RUN sleep 1 && echo from-b > /b
FROM busybox
COPY --from=a /a /a
COPY --from=b /b /b
EOF
lade build -q "$T/par" >/dev/null 2>&1 # the first RUN's network setup is not timed
start=$(date +%s%N)
out=$(lade build --progress plain --no-cache -t par:1 "$T/par" 2>&1)
took=$(ms_since "$start")
check "two stages that sleep 1 s each build in clearly under 2 s (${took} ms)" [ "$took" -lt 1800 ]
expect_eq "... and the result has both" "from-a from-b" "$(echo $(lade run --rm --network none par:1 cat /a /b))"
expect_contains "... the steps of a stage are numbered together" "#3 [a 2/2] RUN sleep 1" "$out"
start=$(date +%s%N)
LADE_BUILD_PARALLEL=1 lade build -q --no-cache "$T/par" >/dev/null 2>&1
took=$(ms_since "$start")
check "one after the other (LADE_BUILD_PARALLEL=1) takes over 2 s (${took} ms)" [ "$took" -ge 2000 ]

export SOURCE_DATE_EPOCH=1700000000
seq_id=$(LADE_BUILD_PARALLEL=1 lade build -q --no-cache "$T/par" 2>/dev/null)
par_id=$(lade build -q --no-cache "$T/par" 2>/dev/null)
check "SOURCE_DATE_EPOCH: an image id at all" [ -n "$par_id" ]
expect_eq "parallel and sequential builds give the same image id" "$seq_id" "$par_id"
start=$(date +%s%N)
out=$(lade build --progress plain "$T/par" 2>&1)
took=$(ms_since "$start")
expect_eq "a cached rebuild: every step CACHED" 4 "$(grep -c 'CACHED' <<<"$out")"
expect_contains "... the same image" "writing image $par_id done" "$out"
check "... fast (${took} ms)" [ "$took" -lt 1000 ]
unset SOURCE_DATE_EPOCH
mkdir -p "$T/net"
printf 'FROM busybox\nRUN ls /sys/class/net | tr "\\n" " " > /nets\n' >"$T/net/Dockerfile"
expect_eq "--network none: RUN steps have only lo" "lo " \
        "$(lade build -q --network none -t net:1 "$T/net" >/dev/null && lade run --rm --network none net:1 cat /nets)"
out=$(lade build --network bridge "$T/net" 2>&1)
expect_contains "--network takes default, none or host" 'network mode "bridge" not supported by buildkit' "$out"
nothing_left "after the builds"

# ---- a failing stage stops the others ----
mkdir -p "$T/fail"
cat >"$T/fail/Dockerfile" <<'EOF'
FROM busybox AS slow
RUN echo slow-started; sleep 30; echo never > /x
RUN echo never-reached
FROM busybox AS bad
RUN sleep 0.3; for i in $(seq 15); do echo bad-line-$i; done; exit 7
FROM busybox
COPY --from=slow /x /x
COPY --from=bad /y /y
EOF
start=$(date +%s%N)
out=$(lade build --progress plain -t fail:1 "$T/fail" 2>&1)
rc=$?
took=$(ms_since "$start")
expect_eq "a failing stage fails the build" 1 "$rc"
check "... at once: the other stage's RUN is killed (${took} ms)" [ "$took" -lt 10000 ]
expect_contains "... the error is the failing step's" 'ERROR: failed to solve: process "/bin/sh -c sleep 0.3; for i in $(seq 15); do echo bad-line-$i; done; exit 7" did not complete successfully: exit code: 7' "$out"
slow=$(grep -o '^#[0-9]* \[slow 2/3\]' <<<"$out" | cut -c2- | cut -d' ' -f1)
expect_contains "... the running step is canceled" "#$slow CANCELED" "$out"
expect_contains "... and so is the step after it" "#$((slow + 1)) CANCELED" "$out"
check "... the final stage never starts" bash -c '! grep -q stage-2' <<<"$out"
check "... nothing is tagged" bash -c "! \"$LADE\" --root \"$T/lade\" image inspect fail:1 >/dev/null 2>&1"
expect_eq "plain: the box holds the failing step's last 10 lines" "bad-line-6 bad-line-15" \
        "$(sed -n '/^ > \[bad 2\/2\]/,/^------/p' <<<"$out" | sed -n '2p;11p' | tr '\n' ' ' | sed 's/ $//')"
nothing_left "after a failed parallel build"

# ---- the live view ----
if command -v script >/dev/null; then
        mkdir -p "$T/tty"
        cat >"$T/tty/Dockerfile" <<'EOF'
FROM busybox AS a
RUN for i in 1 2 3 4 5 6 7 8 9 10; do echo tick-$i; sleep 0.15; done; echo a > /a
FROM busybox
COPY --from=a /a /a
RUN echo done > /done
EOF
        start=$(date +%s%N)
        script -qec "'$LADE' --root '$T/lade' build --progress tty --no-cache -t tty:1 '$T/tty'" /dev/null >"$T/tty.out" 2>&1
        rc=$?
        took=$(ms_since "$start")
        expect_eq "tty: the build succeeds" 0 "$rc"
        check "tty: lines are erased and redrawn in place (ESC[2K, ESC[nA)" \
                bash -c "grep -q \$'\\x1b\\[2K' '$T/tty.out' && grep -qE \$'\\x1b\\[[0-9]+A' '$T/tty.out'"
        frames=$(grep -o 'Building [0-9.]*s' "$T/tty.out" | wc -l)
        check "tty: at most ~10 redraws a second ($frames frames in $took ms)" [ "$frames" -le $((took / 100 + 3)) ]
        check "tty: several frames while the step runs" [ "$frames" -ge 3 ]
        check "tty: a running step shows its elapsed time and its last output lines" \
                bash -c "grep -q 'RUN for i in.*running [0-9.]*s' '$T/tty.out' && grep -q ' => => # tick-' '$T/tty.out'"
        clean=$(sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\r//g' "$T/tty.out")
        last=$(awk '/\[\+\] Building/ {frame=""} {frame=frame $0 "\n"} END {printf "%s", frame}' <<<"$clean")
        expect_contains "tty: the final frame says FINISHED" "FINISHED" "$(head -1 <<<"$last")"
        expect_eq "tty: ... with every step DONE" "7 0" \
                "$(grep -c ' DONE [0-9.]*s$' <<<"$last") $(grep -cE ' (running [0-9.]+s|waiting)$' <<<"$last")"
        id=$(lade image inspect -f '{{.Id}}' tty:1)
        expect_contains "tty: then the image id" "writing image $id done" "$(tail -2 <<<"$last")"
        expect_eq "tty: and the tag, last" "naming to tty:1 done" "$(tail -1 <<<"$clean")"
        check "tty: the cursor is shown again" grep -q $'\x1b\[?25h' "$T/tty.out"
        script -qec "'$LADE' --root '$T/lade' build -t tty:2 '$T/tty'" /dev/null >"$T/auto.out" 2>&1
        check "auto on a terminal is the live view" grep -q 'FINISHED' "$T/auto.out"
        out=$(lade build "$T/tty" 2>&1)
        expect_eq "auto elsewhere is plain" "0 yes" \
                "$(grep -c $'\x1b' <<<"$out") $(grep -q '^#[0-9]* CACHED' <<<"$out" && echo yes)"

        printf 'FROM busybox\nRUN for i in $(seq 25); do echo out-$i; done; exit 3\n' >"$T/tty/Dockerfile"
        script -qec "'$LADE' --root '$T/lade' build --progress tty '$T/tty'" /dev/null >"$T/fail.out" 2>&1
        clean=$(sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\r//g' "$T/fail.out")
        box=$(sed -n '/^ > \[2\/2\] RUN/,/^------/p' <<<"$clean")
        expect_eq "tty: a failing step's output is shown whole" "25 out-1 out-25" \
                "$(grep -c '^out-' <<<"$box") $(grep '^out-' <<<"$box" | head -1) $(grep '^out-' <<<"$box" | tail -1)"
        check "tty: ... its line says ERROR" grep -q ' => \[2/2\] RUN for i.* ERROR [0-9.]*s' <<<"$clean"
        expect_contains "tty: ... and the error comes last" "ERROR: failed to solve: process" "$(tail -1 <<<"$clean")"
        nothing_left "after the tty builds"
fi
finish
