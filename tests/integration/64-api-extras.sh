#!/bin/bash
# `lade serve` and the lade CLI: container update (resources into the cgroup and the row, the
# restart policy, Docker's errors), container sizes (ps -s, inspect -s, ?size=1, system df),
# events of networks, volumes, images and execs (an attached exec whose client goes away: its
# exit recorded at once), attach with logs=1, logs streamed from the file, HTTP edge cases, slow
# clients, and the changes of API 1.49-1.51. Driven by the docker CLI, curl and lade.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
for t in curl docker jq nft ip python3; do
        command -v $t >/dev/null || { echo "SKIP: $t is needed"; exit 77; }
done
export DOCKER_CONFIG=$T/docker-config
R=$T/api
SOCK=$T/sock/lade.sock
export DOCKER_HOST=unix://$SOCK
SERVE_PID= SLOW_PID=
lade() { "$LADE" --root "$R" "$@"; }
d() { timeout -s KILL 120 docker "$@"; }
# api [curl args…] URL-PATH: prints the body, then the status on the last line
api() { curl -s --unix-socket "$SOCK" -w '\n%{http_code}' "${@:1:$#-1}" "http://lade${!#}"; }
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }

stop_all() {
        for c in $(lade ps -aq 2>/dev/null); do lade rm -f "$c" >/dev/null 2>&1; done
        [ -n "$SERVE_PID" ] && { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
        [ -n "$SLOW_PID" ] && { kill "$SLOW_PID" 2>/dev/null; wait "$SLOW_PID" 2>/dev/null; }
        lade network prune -f >/dev/null 2>&1
        cleanup
}
trap stop_all EXIT
lade_isolate   # lib.sh: our own bridge, veth prefix, nftables table and address pool
mkdir -p "$R" "$T/sock"
lade load -i "$BUSYBOX_IMAGE" >/dev/null
"$LADE" --root "$R" serve -H "unix://$SOCK" -G "" 2>"$T/serve.log" &
SERVE_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
check "the server listens" test -S "$SOCK"

# cgroup FILE of container ID in hierarchy CTRL (v1) or the unified tree (v2)
cg() {
        local f
        f=$(find /sys/fs/cgroup -maxdepth 4 -path "*$1*" -name "$2" 2>/dev/null | head -n1)
        [ -n "$f" ] && cat "$f"
}

# ---- update ----
d run -d --name up1 -m 32m busybox sleep 1000 >/dev/null
id=$(d inspect -f '{{.Id}}' up1)
expect_eq "docker update prints the name" "up1" "$(d update --memory 64m --restart always up1)"
expect_eq "inspect shows the new memory and policy" "67108864 always" \
        "$(d inspect -f '{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}' up1)"
if [ -d /sys/fs/cgroup/memory ]; then
        expect_eq "the cgroup has the new limit" "67108864" "$(cg "$id" memory.limit_in_bytes)"
else
        expect_eq "the cgroup has the new limit" "67108864" "$(cg "$id" memory.max)"
fi
expect_eq "lade update, several resources" "up1" \
        "$(lade update --cpus 0.5 --pids-limit 40 --cpu-shares 512 --memory 96m --memory-swap 192m up1)"
expect_eq "... inspect" "500000000 40 512 100663296 201326592" \
        "$(lade inspect -f '{{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpuShares}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' up1)"
if [ -d /sys/fs/cgroup/pids ]; then
        expect_eq "... pids.max" "40" "$(cg "$id" pids.max)"
        expect_eq "... cfs quota" "50000" "$(cg "$id" cpu.cfs_quota_us)"
fi
lade restart -t 0 up1 >/dev/null
if [ -d /sys/fs/cgroup/pids ]; then
        expect_eq "a restart keeps the updated limits" "40 100663296" \
                "$(cg "$id" pids.max) $(cg "$id" memory.limit_in_bytes)"
fi
out=$(d update -m 1m up1 2>&1)
check "memory below 6MB refused (exit 1)" test $? = 1
expect_eq "... with dockerd's words" "Error response from daemon: Minimum memory limit allowed is 6MB" "$out"
out=$(d update -m 300m up1 2>&1)
expect_contains "memory above the swap limit refused" "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time" "$out"
out=$(d update --memory 64m --memory-swap 32m up1 2>&1)
expect_contains "swap below memory refused" "Minimum memoryswap limit should be larger than memory limit" "$out"
out=$(d update --cpu-period 100000 up1 2>&1)
expect_contains "cpu period over NanoCpus refused" "Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set" "$out"
out=$(d update -m 64m nope 2>&1)
expect_eq "unknown container" "Error response from daemon: No such container: nope" "$out"
out=$(lade update --restart bogus up1 2>&1)
expect_contains "unknown restart policy" "invalid restart policy: unknown policy 'bogus'" "$out"
out=$(lade update up1 2>&1)
expect_eq "no flags" "you must provide one or more flags when using this command" "$out"
r=$(api -XPOST -H 'Content-Type: application/json' -d '{"Memory":"x"}' /containers/up1/update)
expect_eq "a string for Memory is 400" "400" "$(status "$r")"
r=$(api -XPOST -H 'Content-Type: application/json' -d '{"CpuShares":256}' /containers/up1/update)
expect_eq "POST update answers Warnings" '200 {"Warnings":[]}' "$(status "$r") $(body "$r")"
d run -d --rm --name up2 busybox sleep 1000 >/dev/null
out=$(d update --restart always up2 2>&1)
expect_contains "no restart policy with --rm" "Restart policy cannot be updated because AutoRemove is enabled for the container" "$out"
# the monitor reads the policy at the exit: a killed process comes back
LADE_NO_IDLE_MONITOR=1 lade run -d --name up3 busybox sleep 1000 >/dev/null
lade update --restart always up3 >/dev/null
kill -9 "$(lade inspect -f '{{.State.Pid}}' up3)"
for _ in $(seq 50); do [ "$(lade inspect -f '{{.RestartCount}}' up3)" = 1 ] && break; sleep 0.1; done
expect_eq "the updated policy restarts it" "1" "$(lade inspect -f '{{.RestartCount}}' up3)"
d rm -f up1 up2 up3 >/dev/null

# ---- sizes ----
lade run --name sz1 busybox sh -c 'head -c 1500 /dev/zero >/f; ln /f /g; ln -s /f /l; mkdir /d' >/dev/null
img=$(lade images --format '{{.ID}}' busybox)
isize=$(d image inspect -f '{{.Size}}' busybox)
expect_eq "inspect -s: SizeRw (a hardlink once, a symlink by its own size)" "1502 $((isize + 1502))" \
        "$(lade inspect -s -f '{{.SizeRw}} {{.SizeRootFs}}' sz1)"
expect_eq "docker inspect -s" "1502 $((isize + 1502))" "$(d inspect -s -f '{{.SizeRw}} {{.SizeRootFs}}' sz1)"
expect_eq "no sizes unless asked" "null null" \
        "$(body "$(api /containers/sz1/json)" | jq -c '[.SizeRw, .SizeRootFs]' | tr -d '[]' | tr ',' ' ')"
r=$(api '/containers/json?all=1&size=1')
expect_eq "list with size=1" "1502 $((isize + 1502))" \
        "$(body "$r" | jq -r '.[] | select(.Names[0] == "/sz1") | "\(.SizeRw) \(.SizeRootFs)"')"
expect_eq "list without size: no fields" "false" "$(body "$(api '/containers/json?all=1')" | jq '.[0] | has("SizeRw")')"
virt=$(python3 -c "
s=float($isize+1502); u=['B','kB','MB','GB']; i=0
while s>=1000 and i<3: s/=1000; i+=1
print('%.3g%s' % (s,u[i]))")
expect_eq "docker ps -s: Docker's SIZE" "1.5kB (virtual $virt)" "$(d ps -a -s --filter name=sz1 --format '{{.Size}}')"
expect_eq "lade ps -s" "1.5kB (virtual $virt)" "$(lade ps -a -s --filter name=sz1 --format '{{.Size}}')"
expect_contains "lade ps -s table has SIZE" "SIZE" "$(lade ps -a -s | head -n1)"
expect_eq "system df: the container's SizeRw" "1502" \
        "$(body "$(api /system/df)" | jq -r '.Containers[] | select(.Names[0] == "/sz1") | .SizeRw')"
expect_contains "docker system df counts it" "1.502kB" "$(d system df | grep '^Containers')"
lade rm sz1 >/dev/null
# SharedSize: the layers another image has too (an image built FROM busybox shares all of its)
printf 'FROM busybox\nRUN echo more > /more\n' | lade build -q -t shared:1 - >/dev/null
bbsize=$(lade image inspect -f '{{.Size}}' busybox)
expect_eq "system df: SharedSize of busybox and of an image built on it" "$bbsize $bbsize" \
        "$(body "$(api /system/df)" | jq -r '[.Images[] | select(.RepoTags | index("busybox:latest") or index("shared:1")) | .SharedSize] | sort | join(" ")')"
lade rmi shared:1 >/dev/null

# ---- events of networks, volumes, images and execs ----
sleep 1; since=$(date +%s)
d network create evnet >/dev/null
d volume create evvol >/dev/null
d run -d --name ev1 --network evnet -v evvol:/data busybox sleep 100 >/dev/null
ev1id=$(d inspect -f '{{.Id}}' ev1)
d exec ev1 sh -c 'exit 3'
lade exec ev1 true
# detached execs: nobody waits for them, their exec_die comes all the same
d exec -d ev1 sh -c 'exit 7'
sleep 0.3
lade exec -d ev1 sh -c 'exit 6'
d tag busybox evimg:1
d rmi evimg:1 >/dev/null
d save busybox -o "$T/bb.tar" && d load -i "$T/bb.tar" >/dev/null
# a dangling image (a commit without a name), then image prune: its delete, and the prune
dangling=$(d commit ev1)
d image prune -f >/dev/null
# anonymous volumes go with their container (--rm, rm -v), each with its destroy
d run --rm -v /anon busybox true
d run -d --name ev2 -v /anon2 busybox sleep 100 >/dev/null
anon2=$(d inspect -f '{{range .Mounts}}{{.Name}}{{end}}' ev2)
d rm -fv ev2 >/dev/null
d rm -f ev1 >/dev/null
d network rm evnet >/dev/null
d volume rm evvol >/dev/null
sleep 0.5
until=$(date +%s)
ev() { d events --since "$since" --until "$until" "$@"; }
fmt='{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'
expect_eq "network events (type=network)" "network create evnet
network connect evnet
network disconnect evnet
network destroy evnet" "$(ev --filter type=network --filter network=evnet --format "$fmt")"
expect_contains "... container attribute" '"container":"' "$(ev --filter event=connect --format '{{json .Actor.Attributes}}')"
expect_eq "volume events (volume=evvol)" "volume create local
volume mount /data true
volume unmount local
volume destroy local" "$(ev --filter volume=evvol --format '{{.Type}} {{.Action}} {{if eq .Action "mount"}}{{index .Actor.Attributes "destination"}} {{index .Actor.Attributes "read/write"}}{{else}}{{.Actor.Attributes.driver}}{{end}}')"
expect_eq "volume unmount names the container" "$ev1id" \
        "$(ev --filter volume=evvol --filter event=unmount --format '{{.Actor.Attributes.container}}')"
expect_eq "an anonymous volume of --rm: create, mount, unmount, destroy" "create mount unmount destroy" \
        "$(ev --filter type=volume --format '{{.Action}} {{.Actor.ID}}' | grep -v -e evvol -e "$anon2" | awk '{print $1}' | xargs)"
expect_eq "rm -v: the anonymous volume's destroy" "1" \
        "$(ev --filter volume="$anon2" --filter event=destroy --format '{{.Actor.Attributes.driver}}' | grep -c '^local$')"
expect_eq "image events (type=image)" "image tag evimg:1
image untag sha256:
image save sha256:
image load sha256:
image delete sha256:" "$(ev --filter type=image --filter event=tag --filter event=untag --filter event=save \
        --filter event=load --filter event=delete --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}' | sed 's/sha256:.*/sha256:/')"
expect_eq "image prune: the dangling image's delete" "$dangling" \
        "$(ev --filter type=image --filter event=delete --format '{{.Actor.ID}}' | tail -n1)"
expect_contains "... and the prune, with the bytes reclaimed" "prune reclaimed=" \
        "$(ev --filter type=image --filter event=prune --format '{{.Action}} {{range $k, $v := .Actor.Attributes}}{{$k}}={{$v}}{{end}}')"
expect_eq "image= filter" "tag" "$(ev --filter image=evimg --format '{{.Action}}')"
expect_eq "exec events" "exec_create: sh -c exit 3
exec_start: sh -c exit 3
exec_die 3
exec_create: true 
exec_start: true 
exec_die 0
exec_create: sh -c exit 7
exec_start: sh -c exit 7
exec_die 7
exec_create: sh -c exit 6
exec_start: sh -c exit 6
exec_die 6" "$(ev --filter event=exec_create --filter event=exec_start --filter event=exec_die --format '{{.Action}}{{if eq .Action "exec_die"}} {{.Actor.Attributes.exitCode}}{{end}}')"
n=$(ev --filter type=container --filter event=exec_die --format '{{.Actor.Attributes.execID}}' | sort -u | wc -l)
expect_eq "each exec has its own execID" "4" "$n"

# ---- attached execs whose client goes away (dockerd: the process runs on, its stdin closed and
# its output dropped; its exit and exec_die are recorded when it ends, whoever is there) ----
d run -d --name xd1 busybox sleep 1000 >/dev/null
# (the database's fds apart: idle Engines are freed a second or two after the last request)
sfds() { ls -l /proc/$SERVE_PID/fd | grep -vc 'lade\.db'; }
stasks() { ls /proc/$SERVE_PID/task | wc -l; }
strimmed() { for _ in $(seq 50); do ls -l /proc/$SERVE_PID/fd | grep -q 'lade\.db' || return 0; sleep 0.2; done; }
sleep 1.5; strimmed
f0=$(sfds) t0=$(stasks)
xsince=$(date +%s)
# (the CLIs are killed by their pids; the fifo keeps exec -i's stdin open until then)
mkfifo "$T/xd-in"
docker exec xd1 sh -c 'sleep 2; exit 7' & cli1=$!
docker exec xd1 sh -c 'sleep 1; head -c 3000000 /dev/zero; echo gone >&2; exit 5' >/dev/null 2>&1 & cli2=$!
docker exec -t xd1 sh -c 'sleep 1; head -c 300000 /dev/zero; exit 6' >/dev/null 2>&1 & cli3=$!
docker exec -i xd1 sh -c 'cat >/dev/null; exit 4' <"$T/xd-in" >/dev/null 2>&1 & cli4=$!
exec 9>"$T/xd-in"
sleep 0.5
kill -9 $cli1 $cli2 $cli3 $cli4
wait $cli1 $cli2 $cli3 $cli4 2>/dev/null
exec 9>&-
# the exec events so far, "ACTION|EXECID|EXITCODE|TIMENANO" (through /events: nothing inspects
# the execs)
xev() { d events --since "$xsince" --until "$(($(date +%s) + 1))" --filter type=container \
                --format '{{.Action}}|{{.Actor.Attributes.execID}}|{{.Actor.Attributes.exitCode}}|{{.TimeNano}}' |
                grep '^exec_'; }
# FIELD (2 id, 3 code, 4 time) of the event ACTION of the exec whose exec_create is CREATE
xfield() { local id; id=$(awk -F'|' -v a="exec_create: $1" '$1 == a {print $2}' <<<"$ev")
           awk -F'|' -v a="$2" -v id="$id" -v f="$3" '$1 == a && $2 == id {print $f}' <<<"$ev"; }
for _ in $(seq 6); do ev=$(xev); [ "$(grep -c '^exec_die|' <<<"$ev")" -ge 4 ] && break; done
c1="sh -c sleep 2; exit 7"
id1=$(xfield "$c1" "exec_start: $c1" 2)
check "the exec's id from its events" test "${#id1}" = 64
expect_eq "client killed: exactly one exec_die, exitCode 7, before anyone inspects" "7" "$(xfield "$c1" exec_die 3)"
ms=$(( ($(xfield "$c1" exec_die 4) - $(xfield "$c1" "exec_start: $c1" 4)) / 1000000 ))
check "... recorded at the process's end, 2 s after its start (${ms} ms)" test "$ms" -ge 1900 -a "$ms" -lt 6000
expect_eq "a gone client's output dropped (no SIGPIPE, no full pipe): exitCode 5" "5" \
        "$(xfield "sh -c sleep 1; head -c 3000000 /dev/zero; echo gone >&2; exit 5" exec_die 3)"
expect_eq "... and its pty's (exec -t): exitCode 6" "6" \
        "$(xfield "sh -c sleep 1; head -c 300000 /dev/zero; exit 6" exec_die 3)"
expect_eq "exec -i: the process's stdin closed when its client left: exitCode 4" "4" \
        "$(xfield "sh -c cat >/dev/null; exit 4" exec_die 3)"
sleep 1.5; strimmed   # (and the server's tick has collected the exits)
f1=$(sfds) t1=$(stasks)
check "no fd left in the server by the orphaned execs ($f0 before, $f1 after)" test "$f1" -le "$f0"
check "no thread left in the server ($t0 before, $t1 after)" test "$t1" -le "$t0"
r=$(api "/exec/$id1/json")
expect_eq "GET /exec/{id}/json: not running, ExitCode 7" "200 false 7" \
        "$(status "$r") $(body "$r" | jq -r '"\(.Running) \(.ExitCode)"')"
# a client that stays: exactly one exec_die, after the exec_start
xsince=$(date +%s)
d exec xd1 sh -c 'exit 3'
expect_eq "an exec whose client stays: its exit code" "3" "$?"
ev=$(xev)
expect_eq "... exactly one exec_die, exitCode 3, after its exec_start" "exec_start: sh -c exit 3
exec_die 3" "$(id=$(xfield "sh -c exit 3" "exec_start: sh -c exit 3" 2)
        awk -F'|' -v id="$id" '$2 == id && $1 !~ /^exec_create/ {print $1 ($1 == "exec_die" ? " " $3 : "")}' <<<"$ev")"
# one that cannot start: its exec_start all the same, and no exec_die (dockerd's events)
xsince=$(date +%s)
d exec xd1 /no/such >/dev/null 2>&1
check "an exec that cannot start: 126/127" test $? -ge 126
ev=$(xev)
expect_eq "... exec_create and exec_start, no exec_die" "exec_create: /no/such |exec_start: /no/such |" \
        "$(id=$(xfield "/no/such " "exec_create: /no/such " 2); awk -F'|' -v id="$id" '$2 == id {print $1}' <<<"$ev" | tr '\n' '|')"
d rm -f xd1 >/dev/null

# ---- the list's cache in the server: never stale ----
d run -d --name lc1 -l lc=1 busybox sleep 1000 >/dev/null
d run -d --name lc2 -l lc=2 busybox sleep 1000 >/dev/null
lcl() { body "$(api "/containers/json?${1:-}")" | jq -r '.[] | select(.Names[0] | startswith("/lc")) | "\(.Names[0]) \(.State)"' | xargs; }
expect_eq "the list" "/lc2 running /lc1 running" "$(lcl)"
expect_eq "the list again (from the cache)" "/lc2 running /lc1 running" "$(lcl)"
lade stop -t 1 lc1 >/dev/null
expect_eq "a stop by another process shows at once" "/lc2 running" "$(lcl)"
expect_eq "... all=1" "/lc2 running /lc1 exited" "$(lcl all=1)"
expect_eq "... filters on cached rows" "/lc1 exited" "$(lcl 'all=1&filters=%7B%22label%22%3A%5B%22lc%3D1%22%5D%7D')"
expect_eq "... limit" "1" "$(body "$(api '/containers/json?limit=1')" | jq length)"
s1=$(body "$(api /containers/json)" | jq -r '.[] | select(.Names[0] == "/lc2") | .Status')
sleep 2.1
s2=$(body "$(api /containers/json)" | jq -r '.[] | select(.Names[0] == "/lc2") | .Status')
check "the Status text follows the clock, not the cache ($s1, then $s2)" test "$s1" != "$s2"
# a monitor killed -9 (and then its container): the next list says exited (255), as uncached
cpid=$(lade inspect -f '{{.State.Pid}}' lc2)
mon=$(ps -o ppid= -p "$cpid" | tr -d ' ')
expect_eq "... the monitor runs" "running" "$(lcl | awk '{print $2}')"
kill -9 "$mon" "$cpid"
for _ in $(seq 100); do [ -d "/proc/$cpid" ] || [ -d "/proc/$mon" ] || break; sleep 0.02; done
expect_eq "a killed monitor and container: exited at the next list" "" "$(lcl)"
expect_eq "... Exited (255)" "Exited (255)" \
        "$(body "$(api '/containers/json?all=1')" | jq -r '.[] | select(.Names[0] == "/lc2") | .Status' | cut -c1-12)"
lade rm -f lc1 lc2 >/dev/null

# ---- attach with logs=1, logs streamed ----
d run -d --name at1 busybox sh -c 'echo one; echo two >&2; sleep 100' >/dev/null
for _ in $(seq 50); do [ -n "$(lade logs at1 2>&1)" ] && [ "$(lade logs at1 2>&1 | wc -l)" = 2 ] && break; sleep 0.1; done
curl -s --unix-socket "$SOCK" -XPOST -H 'Connection: Upgrade' -H 'Upgrade: tcp' --max-time 5 -o "$T/at.out" \
        'http://lade/containers/at1/attach?logs=1&stream=0&stdout=1&stderr=1'
expect_eq "attach logs=1 stream=0 replays the log in frames" \
        "0100000000000004 6f6e650a 0200000000000004 74776f0a" \
        "$(od -An -tx1 -v "$T/at.out" | tr -d ' \n' | sed -E 's/^(.{16})(.{8})(.{16})(.{8})$/\1 \2 \3 \4/')"
curl -s --unix-socket "$SOCK" -XPOST -H 'Connection: Upgrade' -H 'Upgrade: tcp' --max-time 5 -o "$T/at2.out" \
        'http://lade/containers/at1/attach?logs=1&stream=0&stderr=1'
expect_eq "... only the streams asked for" "0200000000000004 74776f0a" \
        "$(od -An -tx1 -v "$T/at2.out" | tr -d ' \n' | sed -E 's/^(.{16})(.{8})$/\1 \2/')"
d run -d --name at2 busybox sh -c 'echo early; sleep 1; while true; do echo tick; sleep 0.2; done' >/dev/null
sleep 1.5
out=$(timeout -s KILL 2 docker attach --no-stdin at2 2>/dev/null)
expect_contains "docker attach after output gets the live output" "tick" "$out"
d rm -f at1 at2 >/dev/null
# a 50 MB log (written in the json-file format directly) read with bounded memory
d create --name lg1 busybox true >/dev/null
lid=$(lade inspect -f '{{.Id}}' lg1)
python3 - "$R/containers/$lid/$lid-json.log" <<'PY'
import sys
line = '{"log":"%s\\n","stream":"stdout","time":"2026-11-29T12:00:00.000000000Z"}\n' % ("x" * 99)
with open(sys.argv[1], "w") as f:
    f.write(line * 300000)
PY
rss=$( { /usr/bin/time -f '%M' "$LADE" --root "$R" logs lg1 | wc -c >"$T/lg.count"; } 2>&1 | tail -n1)
expect_eq "lade logs of a 30 MB log: every byte" "30000000" "$(cat "$T/lg.count")"
# (under ASan freed memory sits in its quarantine: the bound means nothing there)
if [[ "$(ldd "$LADE" 2>/dev/null)" == *libasan* ]]; then
        ok "... memory not measured under ASan (${rss} KiB peak)"
else
        check "... in bounded memory (${rss} KiB peak)" test "$rss" -lt 32768
fi
expect_eq "GET logs streams it all" "$((300000 * 108))" \
        "$(curl -s --unix-socket "$SOCK" 'http://lade/containers/lg1/logs?stdout=1' | wc -c)"
expect_eq "--tail 2 keeps only two lines" "2" "$(lade logs --tail 2 lg1 | wc -l)"
d rm lg1 >/dev/null

# ---- slow clients: a deadline per request head, a cap per local user ----
# a second server on the same root, its head deadline lowered to 2 s (LADE_API_HEAD_TIMEOUT, for
# tests; 120 s otherwise)
SLOW=$T/sock/slow.sock
LADE_API_HEAD_TIMEOUT=2 "$LADE" --root "$R" serve -H "unix://$SLOW" -G "" 2>"$T/slow.log" &
SLOW_PID=$!
for _ in $(seq 100); do [ -S "$SLOW" ] && break; sleep 0.05; done
chmod 0666 "$SLOW"   # for the other user below (no request of theirs gets past the policy)
out=$(python3 - "$SLOW" <<'PY'
import socket, sys, time
path = sys.argv[1]
def conn():
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        return s
def closed_after(s, limit):
        """seconds until the server ends the connection (None: still open after limit)"""
        t0 = time.time()
        s.settimeout(limit)
        try:
                while s.recv(4096):
                        pass
                return time.time() - t0
        except socket.timeout:
                return None
        except OSError:
                return time.time() - t0
# a slowloris: one byte of a request head every 0.3 s, forever
s, t0, cut = conn(), time.time(), None
head = b"GET /_ping HTTP/1.1\r\nHost: lade\r\nX-Slow: "
ping_ok = False
for i in range(40):
        try:
                s.send(head[i:i + 1] if i < len(head) else b"a")
        except OSError:
                cut = time.time() - t0
                break
        if i == 3:
                # meanwhile, another client is served at once
                p = conn()
                p.sendall(b"GET /_ping HTTP/1.1\r\nHost: lade\r\nConnection: close\r\n\r\n")
                ping_ok = p.recv(64).startswith(b"HTTP/1.1 200")
                p.close()
        s.settimeout(0.3)
        try:
                if s.recv(4096) == b"":
                        cut = time.time() - t0
                        break
        except socket.timeout:
                pass
        except OSError:
                cut = time.time() - t0
                break
print("slowloris-cut", cut is not None and 1.5 <= cut <= 5)
print("others-served", ping_ok)
# a connection that never sends a byte
print("idle-cut", (closed_after(conn(), 6) or 99) <= 5)
# keep-alive: requests 1 s apart on one connection are all answered
k, answers = conn(), 0
for i in range(3):
        k.sendall(b"GET /_ping HTTP/1.1\r\nHost: lade\r\n\r\n")
        k.settimeout(3)
        if k.recv(4096).startswith(b"HTTP/1.1 200"):
                answers += 1
        time.sleep(1.2)
print("keepalive-served", answers == 3)
PY
)
expect_contains "a slowloris (a byte every 0.3 s) is cut at the head deadline" "slowloris-cut True" "$out"
expect_contains "... while others are served" "others-served True" "$out"
expect_contains "a connection that sends nothing is cut too" "idle-cut True" "$out"
expect_contains "keep-alive requests within the deadline are answered" "keepalive-served True" "$out"
out=$(DOCKER_HOST=unix://$SLOW d run --rm --network none busybox sh -c 'sleep 4; echo attached-4s' 2>&1)
expect_eq "a hijacked attach outlives the deadline" "attached-4s" "$out"
lade run -d --name slow-wait --network none busybox sh -c 'sleep 4; exit 3' >/dev/null
out=$(DOCKER_HOST=unix://$SLOW d wait slow-wait 2>&1)
expect_eq "... and so does a request being answered (a 4 s wait)" "3" "$out"
lade rm slow-wait >/dev/null
# one local user other than root: 64 connections, no more (on the first server: its deadline is
# the real one, so only the cap can end a connection here)
chmod o+x "$T" "$T/sock"
chmod 0666 "$SOCK"
out=$(setpriv --reuid=23456 --regid=65534 --clear-groups /usr/bin/python3 - "$SOCK" <<'PY'
import socket, sys, time
socks = []
for i in range(70):
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        socks.append(s)
time.sleep(1)
cut = 0
for s in socks:
        s.settimeout(0.05)
        try:
                if s.recv(1) == b"":
                        cut += 1
        except socket.timeout:
                pass
        except OSError:
                cut += 1
print("cut", cut)
PY
)
expect_eq "a user's 65th to 70th connections are refused" "cut 6" "$out"
expect_eq "... root is not capped (a ping meanwhile)" "OK" "$(curl -s --unix-socket "$SOCK" http://lade/_ping)"
chmod 0660 "$SOCK"
kill "$SLOW_PID"
wait "$SLOW_PID"
expect_eq "the slow-client server stops cleanly" 0 $?
SLOW_PID=
check "it reported no sanitizer error" bash -c "! grep -q 'Sanitizer' '$T/slow.log'"

# ---- API 1.49, 1.50, 1.51: what changed, gated by the version asked for ----
info() { body "$(api "/v1.$1/info")"; }
expect_eq "/v1.48/info: BridgeNf*, AllowNondistributable*, Expected; no FirewallBackend" "false false [] true false" \
        "$(info 48 | jq -r '[.BridgeNfIptables, .BridgeNfIp6tables, .RegistryConfig.AllowNondistributableArtifactsCIDRs,
                              (.RuncCommit.Expected == .RuncCommit.ID), has("FirewallBackend")] | map(tojson) | join(" ")')"
expect_eq "/v1.49/info: FirewallBackend nftables; no AllowNondistributable*, no Expected" "nftables false false true" \
        "$(info 49 | jq -r '[.FirewallBackend.Driver, (.RegistryConfig | has("AllowNondistributableArtifactsHostnames")),
                              (.ContainerdCommit | has("Expected")), has("BridgeNfIptables")] | join(" ")')"
for v in 50 51; do
        expect_eq "/v1.$v/info: no BridgeNf*, no (empty) DiscoveredDevices" "false false false nftables" \
                "$(info $v | jq -r '[has("BridgeNfIptables"), has("BridgeNfIp6tables"), has("DiscoveredDevices"),
                                     .FirewallBackend.Driver] | join(" ")')"
done
arch=$(lade image inspect -f '{{.Architecture}}' busybox)
other=arm64; [ "$arch" = arm64 ] && other=amd64
plat() { jq -rn --arg a "$1" '{os:"linux",architecture:$a} | @uri'; }
out=$(api "/v1.49/images/busybox/json?platform=$(plat "$arch")")
expect_eq "/v1.49 image inspect, its own platform: 200" "200 $arch" "$(status "$out") $(body "$out" | jq -r .Architecture)"
out=$(api "/v1.49/images/busybox/json?platform=$(plat "$other")")
expect_eq "... another platform: 404 with dockerd's message" "404 image with reference busybox was found but its platform (linux/$arch) does not match the specified platform (linux/$other)" \
        "$(status "$out") $(body "$out" | jq -r .message)"
expect_eq "... ignored by /v1.48" 200 "$(status "$(api "/v1.48/images/busybox/json?platform=$(plat "$other")")")"
out=$(api "/v1.49/images/busybox/json?manifests=1&platform=$(plat "$arch")")
expect_eq "... with manifests=1: 400" "400 conflicting options: manifests and platform options cannot both be set" \
        "$(status "$out") $(body "$out" | jq -r .message)"
out=$(api "/v1.49/images/busybox/json?platform=linux%2Famd64")
expect_eq "... a platform that is no JSON: 400" "400 failed to parse platform" "$(status "$out") $(body "$out" | jq -r .message | cut -d: -f1)"
out=$(api "/v1.49/images/busybox/json?platform=%7B%22os%22%3A%22linux%22%7D")
expect_eq "... without architecture: 400" "400 both OS and Architecture must be provided" "$(status "$out") $(body "$out" | jq -r .message)"
expect_eq "/v1.49 image Config still has the container keys, empty" '"" "" false false' \
        "$(body "$(api /v1.49/images/busybox/json)" | jq -r '.Config | [(.Hostname|tojson), (.Image|tojson), .Tty, .AttachStdin] | join(" ")')"
expect_eq "/v1.50 image Config: without them, with Cmd" 'false false false ["sh"]' \
        "$(body "$(api /v1.50/images/busybox/json)" | jq -r '.Config | [has("Hostname"), has("Tty"), has("AttachStdin"), (.Cmd|tojson)] | join(" ")')"
expect_eq "lade image inspect shows the 1.50 shape" "false" "$(lade image inspect busybox | jq '.[0].Config | has("Hostname")')"
lade tag busybox plat:1
lade tag busybox plat:2
out=$(api -X DELETE "/v1.50/images/plat:1?platforms=$(plat "$other")")
expect_eq "/v1.50 DELETE, platforms without the image's: 404" "404 image with reference plat:1 was found but its platform (linux/$arch) does not match the specified platform (linux/$other)" \
        "$(status "$out") $(body "$out" | jq -r .message)"
check "... and the tag stays" bash -c "\"$LADE\" --root \"$R\" image inspect plat:1 >/dev/null"
out=$(api -X DELETE "/v1.50/images/plat:1?platforms=$(plat "$arch")&platforms=$(plat "$other")")
expect_eq "... two platforms: 400" "400 multiple platforms are not supported" "$(status "$out") $(body "$out" | jq -r .message)"
out=$(api -X DELETE "/v1.50/images/plat:1?platforms=%5B")
expect_eq "... invalid JSON: 400" "400 failed to parse platform" "$(status "$out") $(body "$out" | jq -r .message | cut -d: -f1)"
out=$(api -X DELETE "/v1.50/images/plat:1?platforms=$(plat "$arch")")
expect_eq "... the image's platform: untagged" '200 [{"Untagged":"plat:1"}]' "$(status "$out") $(body "$out" | jq -c .)"
out=$(api -X DELETE "/v1.49/images/plat:2?platforms=$(plat "$other")")
expect_eq "... ignored by /v1.49" '200 [{"Untagged":"plat:2"}]' "$(status "$out") $(body "$out" | jq -c .)"
for c in $(lade ps -aq); do lade rm -f "$c" >/dev/null; done
lade create --name v51a busybox true >/dev/null
lade run --name v51b busybox true >/dev/null
cnt() { body "$(api "$1/images/json")" | jq -r '.[] | select(.RepoTags | index("busybox:latest")) | .Containers'; }
expect_eq "/v1.51 images list: Containers counts created and exited ones" 2 "$(cnt /v1.51)"
expect_eq "... unversioned (1.51) too" 2 "$(cnt "")"
expect_eq "... -1 below 1.51" -1 "$(cnt /v1.50)"
lade rm -f v51a v51b >/dev/null

check "the server reported no sanitizer error" bash -c "! grep -q 'Sanitizer' '$T/serve.log'"

finish
