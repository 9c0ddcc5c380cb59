#!/bin/bash
# The container lifecycle with monitors: run -d, logs, exec, stop/start/restart/kill/wait,
# pause, rename, restart policies, --rm, published ports on the default bridge, a killed CLI or
# monitor, 20 containers in parallel, and nothing left behind (mounts, veths, cgroups, processes).
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
lade() { "$LADE" --root "$T/lade" "$@"; }
lade load -i "$BUSYBOX_IMAGE" >/dev/null
state() { lade inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
wait_for() {
        # wait_for SECONDS COMMAND...: retries until the command succeeds
        local n=$(($1 * 10))
        shift
        while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
        return 1
}

# run -d, logs, exec, inspect
id=$(lade run -d --name web busybox sh -c 'trap "exit 0" TERM; echo to-out; echo to-err >&2; while :; do sleep 0.1; done')
expect_eq "run -d prints the full id" 64 "${#id}"
expect_eq "the container runs" running "$(state web)"
check "logs has both streams" wait_for 5 sh -c "[ \"\$('$LADE' --root '$T/lade' logs web 2>&1 | sort | tr '\n' ' ')\" = 'to-err to-out ' ]"
expect_eq "logs keeps stdout and stderr apart" "to-out" "$(lade logs web 2>/dev/null)"
expect_contains "json-file log in Docker's format" '"stream":"stderr"' "$(cat "$T/lade/containers/$id/$id-json.log")"
expect_eq "exec runs in the container" "1 sh" "$(lade exec web ps -o pid,comm | awk '$1 == 1 {print $1, $2}')"
lade exec web sh -c 'exit 7'
expect_eq "exec's exit status" 7 $?
expect_eq "exec -e -w -u" "v /tmp 65534" "$(lade exec -e V=v -w /tmp -u nobody web sh -c 'echo $V $(pwd) $(id -u)')"
lade exec web no-such-cmd 2>/dev/null
expect_eq "exec of a missing command exits 127" 127 $?
pid=$(lade inspect -f '{{.State.Pid}}' web)
check "State.Pid is the container's init on the host" test -d "/proc/$pid"
mon=$(ps -o ppid= -p "$pid" | tr -d ' ')
expect_eq "a detached container's monitor is the idle monitor" lade-monitor "$(cat /proc/$mon/comm)"
if file -L "$(dirname "$LADE")/lade-monitor" | grep -q 'statically linked'; then
        rss=$(awk '/^VmRSS/ {print $2}' /proc/$mon/status)
        check "the idle monitor's RSS is under 1 MiB ($rss KiB)" test "$rss" -lt 1024
fi
expect_eq "ps shows it" "web" "$(lade ps --format '{{.Names}}')"
expect_eq "top lists its processes" 1 "$(lade top web | grep -c 'while :')"
out=$(lade stats --no-stream --format '{{.Name}} {{.MemUsage}}' web)
expect_contains "stats --no-stream samples it" "web " "$out"
check "... with a memory usage and limit" sh -c "echo '$out' | grep -Eq 'B / [0-9.]+[KMGT]?i?B'"

# pause/unpause, rename
lade pause web >/dev/null
expect_eq "pause" paused "$(state web)"
expect_contains "ps shows (Paused)" "(Paused)" "$(lade ps --format '{{.Status}}')"
lade unpause web >/dev/null
expect_eq "unpause" running "$(state web)"
lade rename web web2
expect_eq "rename" "web2" "$(lade ps --format '{{.Names}}')"
out=$(lade rename web2 web2 2>&1)
check "rename to the same name fails" test $? -ne 0

# stop (the trap ends it on SIGTERM), start again, kill, wait
lade stop -t 5 web2 >/dev/null
expect_eq "stop" exited "$(state web2)"
expect_eq "stopped by SIGTERM, which the container handled" 0 "$(lade inspect -f '{{.State.ExitCode}}' web2)"
lade start web2 >/dev/null
expect_eq "start again" running "$(state web2)"
lade kill web2 >/dev/null
expect_eq "wait prints the exit code after kill" 137 "$(lade wait web2)"
out=$(lade kill web2 2>&1)
expect_contains "kill of a stopped container fails" "is not running" "$out"
lade rm web2 >/dev/null
expect_eq "rm" "" "$(lade ps -aq)"

# sh as pid 1 ignores SIGTERM: stop -t 1 falls back to SIGKILL
lade run -d --name stubborn busybox sh -c 'while true; do sleep 1; done' >/dev/null
start=$(date +%s%N)
lade stop -t 1 stubborn >/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "SIGKILL after the timeout" 137 "$(lade inspect -f '{{.State.ExitCode}}' stubborn)"
check "stop waited about the timeout ($ms ms)" test "$ms" -ge 900 -a "$ms" -lt 5000
lade rm stubborn >/dev/null

# restart policies
lade run -d --name flaky --restart on-failure:2 busybox sh -c 'exit 3' >/dev/null
check "on-failure:2 restarts twice, then stops" wait_for 10 sh -c "[ \"\$('$LADE' --root '$T/lade' inspect -f '{{.RestartCount}} {{.State.Status}}' flaky)\" = '2 exited' ]"
expect_eq "... with the last exit code" 3 "$(lade inspect -f '{{.State.ExitCode}}' flaky)"
cat "$T/lade/containers/$(lade inspect -f '{{.Id}}' flaky)/monitor.log" 2>/dev/null
lade run -d --name always --restart always busybox sh -c 'sleep 0.2; exit 0' >/dev/null
check "always restarts after exit 0" wait_for 10 sh -c "[ \$('$LADE' --root '$T/lade' inspect -f '{{.RestartCount}}' always) -ge 1 ]"
lade stop -t 1 always >/dev/null
n=$(lade inspect -f '{{.RestartCount}}' always)
sleep 1
expect_eq "stop ends the restarts" "$n exited" "$(lade inspect -f '{{.RestartCount}} {{.State.Status}}' always)"
lade rm flaky always >/dev/null

# --rm: gone after exit, also when detached
lade run -d --rm --name gone busybox true >/dev/null
check "--rm -d removes the container after it exits" wait_for 5 sh -c "[ -z \"\$('$LADE' --root '$T/lade' ps -aq)\" ]"
check "... and its directory" test -z "$(ls "$T/lade/containers" | grep -v '^\.trash$')"

# the CLI killed mid-run: the container keeps running; its monitor records the exit
lade run --name orphan busybox sh -c 'sleep 1; echo done' >/dev/null &
cli=$!
check "foreground run started" wait_for 5 sh -c "[ \"\$('$LADE' --root '$T/lade' inspect -f '{{.State.Status}}' orphan 2>/dev/null)\" = running ]"
kill -9 $cli
wait $cli 2>/dev/null
expect_eq "killing the CLI does not kill the container" running "$(state orphan)"
check "the monitor records the exit" wait_for 5 sh -c "[ \"\$('$LADE' --root '$T/lade' inspect -f '{{.State.Status}}' orphan)\" = exited ]"
expect_eq "its output is in the log" "done" "$(lade logs orphan)"
lade rm orphan >/dev/null

# a monitor killed with SIGKILL: ps tells the truth once the container is gone
lade run -d --name nomon busybox sleep 1000 >/dev/null
cpid=$(lade inspect -f '{{.State.Pid}}' nomon)
mon=$(ps -o ppid= -p "$cpid" | tr -d ' ')
kill -9 "$mon"
expect_eq "container still running without its monitor" running "$(state nomon)"
kill -9 "$cpid"
check "then reported exited" wait_for 5 sh -c "[ \"\$('$LADE' --root '$T/lade' inspect -f '{{.State.Status}}' nomon)\" = exited ]"
lade rm nomon >/dev/null
expect_eq "rm cleans it up" "" "$(lade ps -aq)"

# published port on the default bridge, reachable on 127.0.0.1, released at stop
port=$((20000 + RANDOM % 20000))
lade run -d --name httpd -p "127.0.0.1:$port:80" busybox sh -c 'mkdir /w && echo served >/w/index.html && exec httpd -f -p 80 -h /w' >/dev/null
check "published port serves" wait_for 5 sh -c "curl -fs -m 2 http://127.0.0.1:$port/ | grep -q served"
expect_eq "port" "80/tcp -> 127.0.0.1:$port" "$(lade port httpd)"
ip=$(lade inspect -f '{{.NetworkSettings.IPAddress}}' httpd)
expect_contains "hosts has the container's own address" "$ip" "$(lade exec httpd cat /etc/hosts)"
out=$(lade run -d -p "127.0.0.1:$port:80" busybox true 2>&1)
check "a port in use is refused" test $? -ne 0
expect_contains "... with Docker's words" "port is already allocated" "$out"
expect_eq "... and nothing was created" 1 "$(lade ps -aq | wc -l)"
lade stop -t 1 httpd >/dev/null
check "the port is released at stop" sh -c "! curl -fs -m 1 http://127.0.0.1:$port/ >/dev/null"
lade rm httpd >/dev/null
expect_eq "no veth left" "" "$(ip -br link | grep "^$LADE_VETH_PREFIX" || true)"

# a terminal (-t through script's pty), logs -f, attach with the detach keys
out=$(script -qec "$LADE --root $T/lade run --rm -t busybox tty" /dev/null </dev/null | tr -d '\r')
expect_eq "run -t gives the container a pty" /dev/pts/0 "$out"
lade run -d --name lf busybox sh -c 'for i in 1 2 3; do echo line$i; sleep 0.2; done' >/dev/null
expect_eq "logs -f follows until the container exits" "line1 line2 line3" "$(timeout 10 "$LADE" --root "$T/lade" logs -f lf | tr '\n' ' ' | sed 's/ $//')"
lade rm -f lf >/dev/null
lade run -d -it --name at busybox sh >/dev/null
out=$( (sleep 0.5; printf 'echo attached-$((6*7))\n'; sleep 0.5; printf '\020\021') |
        script -qec "$LADE --root $T/lade attach at" /dev/null | tr -d '\r')
expect_contains "attach reaches the container's shell" "attached-42" "$out"
expect_eq "ctrl-p ctrl-q detaches and leaves it running" running "$(state at)"
lade rm -f at >/dev/null

# user-defined network: names and aliases resolve; container: and host modes
lade network create tnet >/dev/null
lade run -d --name srv --network tnet --network-alias web busybox sh -c 'mkdir /w; echo by-name >/w/index.html; exec httpd -f -p 80 -h /w' >/dev/null
check "served by srv" wait_for 5 sh -c "'$LADE' --root '$T/lade' exec srv wget -qO- http://127.0.0.1/ >/dev/null 2>&1"
expect_eq "a peer on the user network resolves the name and the alias" "by-name by-name" \
        "$(lade run --rm --network tnet busybox sh -c 'echo $(wget -qO- http://srv/) $(wget -qO- http://web/)')"
expect_eq "--network container:srv shares its network namespace" by-name \
        "$(lade run --rm --network container:srv busybox wget -qO- http://127.0.0.1/)"
hostdev=$(ip route show default 2>/dev/null | awk '{print $5; exit}')
hostdev=${hostdev:-lo}
expect_eq "--network host sees the host's interfaces ($hostdev, same ifindex)" "$(cat /sys/class/net/$hostdev/ifindex)" \
        "$(lade run --rm --network host busybox cat /sys/class/net/$hostdev/ifindex)"
lade run -d --name late busybox sleep 1000 >/dev/null
lade network connect --alias later tnet late
expect_eq "network connect gives a running container a second interface" 3 "$(lade exec late ip -4 addr | grep -c inet)"
expect_eq "... on which it resolves its peers" by-name "$(lade exec late wget -qO- http://web/)"
expect_eq "inspect lists both networks of the running container" '["bridge","tnet"]' \
        "$(lade inspect -f '{{json .NetworkSettings.Networks}}' late | jq -c keys)"
lade network disconnect tnet late
expect_eq "network disconnect takes it away" 2 "$(lade exec late ip -4 addr | grep -c inet)"
expect_eq "... and from inspect" '["bridge"]' "$(lade inspect -f '{{json .NetworkSettings.Networks}}' late | jq -c keys)"
lade rm -f late >/dev/null
# connect before the start (docker-compose does that for services on several networks): both
# networks at the start, and again after a restart
lade create --name two busybox sleep 1000 >/dev/null
lade network connect --alias second tnet two || fail "connect a created container"
expect_eq "a created container lists both networks" '["bridge","tnet"]' \
        "$(lade inspect -f '{{json .NetworkSettings.Networks}}' two | jq -c keys)"
expect_eq "... and so does ps (the list's summary)" "bridge,tnet" \
        "$(lade ps -a --filter name=^/two\$ --format '{{.Networks}}' | tr ',' '\n' | sort | paste -sd, -)"
lade create --name nonet --network none busybox true >/dev/null
expect_eq "a created --network none container: none, as dockerd shows it" "none none" \
        "$(lade ps -a --filter name=^/nonet\$ --format '{{.Networks}}') $(lade inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' nonet)"
lade rm nonet >/dev/null
out=$(lade network connect tnet two 2>&1)
expect_eq "connecting it twice fails" 1 $?
expect_contains "... as Docker says it" "endpoint with name two already exists in network tnet" "$out"
out=$(lade network connect nosuchnet two 2>&1)
check "an unknown network is refused" test $? -ne 0
expect_contains "... naming it" "nosuchnet" "$out"
out=$(lade start two 2>&1) || fail "start of a container connected before its start: $out"
n=$(lade exec two ip -4 addr 2>&1 | tee "$T/two-addr" | grep -c inet)
expect_eq "started on both networks" 3 "$n"
[ "$n" = 3 ] || { cat "$T/two-addr"; lade inspect two; }
expect_eq "peers on tnet resolve its alias" by-name "$(lade exec two wget -qO- http://web/)"
check "and it is reachable by its alias there" lade run --rm --network tnet busybox ping -c1 -W2 second
lade restart -t 1 two >/dev/null
expect_eq "still on both networks after a restart" 3 "$(lade exec two ip -4 addr | grep -c inet)"
lade rm -f two >/dev/null
out=$(lade create --name nonet --network none busybox true >/dev/null; lade network connect tnet nonet 2>&1)
check "a --network none container cannot be connected" test $? -ne 0
expect_contains "... with Docker's reason" "private (none) mode" "$out"
lade rm -f nonet >/dev/null
out=$(lade network rm tnet 2>&1)
check "a network in use cannot be removed" test $? -ne 0
lade rm -f srv >/dev/null
lade network rm tnet >/dev/null
expect_eq "the network is gone" "" "$(lade network ls -q --filter name=tnet)"

# health checks: starting, unhealthy after the retries, healthy once the probe passes
lade run -d --name hc --health-cmd 'test -f /tmp/ok' --health-interval 200ms --health-retries 2 busybox sleep 1000 >/dev/null
expect_eq "health starts as starting" starting "$(lade inspect -f '{{.State.Health.Status}}' hc)"
check "unhealthy after 2 failed probes" wait_for 5 sh -c "[ \"\$('$LADE' --root '$T/lade' inspect -f '{{.State.Health.Status}}' hc)\" = unhealthy ]"
lade exec hc touch /tmp/ok
check "healthy once the probe passes" wait_for 5 sh -c "[ \"\$('$LADE' --root '$T/lade' inspect -f '{{.State.Health.Status}}' hc)\" = healthy ]"
expect_contains "ps shows (healthy)" "(healthy)" "$(lade ps --format '{{.Status}}')"
lade rm -f hc >/dev/null

# after a "reboot" (monitor and container killed): system boot restarts restart=always only
lade run -d --name boot-always --restart always busybox sleep 1000 >/dev/null
lade run -d --name boot-no busybox sleep 1000 >/dev/null
for n in boot-always boot-no; do
        cpid=$(lade inspect -f '{{.State.Pid}}' $n)
        kill -9 "$(ps -o ppid= -p "$cpid" | tr -d ' ')" "$cpid"
done
sleep 0.2
expect_eq "system boot starts the restart=always container" "boot-always" "$(lade system boot)"
expect_eq "... which runs again" running "$(state boot-always)"
expect_eq "... and not the other" exited "$(state boot-no)"
lade rm -f boot-always boot-no >/dev/null

# 20 in parallel, then 20 removals in parallel
pids=()
for i in $(seq 20); do lade run -d --name "p$i" busybox sleep 1000 >/dev/null & pids+=($!); done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_eq "20 parallel run -d succeed" 0 "$fails"
expect_eq "20 running" 20 "$(lade ps -q | wc -l)"
expect_eq "20 distinct addresses" 20 "$(for i in $(seq 20); do lade inspect -f '{{.NetworkSettings.IPAddress}}' p$i; done | sort -u | wc -l)"
ids=$(lade ps -q --no-trunc)
pids=()
for i in $(seq 20); do lade rm -f "p$i" >/dev/null & pids+=($!); done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_eq "20 parallel rm -f succeed" 0 "$fails"
expect_eq "none left" "" "$(lade ps -aq)"
expect_eq "no mounts left" "" "$(grep " $T/lade" /proc/self/mounts || true)"
expect_eq "no veth left after the parallel run" "" "$(ip -br link | grep "^$LADE_VETH_PREFIX" || true)"
left=""
for i in $ids; do left="$left$(ls -d /sys/fs/cgroup/*/lade/$i 2>/dev/null)"; done
expect_eq "no cgroups left" "" "$left"
expect_eq "no monitor left" "" "$(pgrep -f "lade --root $T/lade" || true)"
finish
