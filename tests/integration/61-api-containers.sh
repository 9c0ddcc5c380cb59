#!/bin/bash
# `lade serve`: the container, exec, network and events endpoints driven by real clients — the
# docker CLI (run -d/--rm/-i/-it through a pty/-p/-e/-v, exec, logs -f, ps, inspect, stop, kill,
# wait, pause, restart, rename, top, stats, network, events), docker-compose (a two-service app
# talking by service name, with a published port) and the Python SDK; state shared with the
# lade CLI; the authorization policy; clients that leave mid-stream leak nothing.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
for t in curl docker jq script nft ip; do
        command -v $t >/dev/null || { echo "SKIP: $t is needed"; exit 77; }
done
export DOCKER_CONFIG=$T/docker-config
TAG=$(printf '%04x' $((RANDOM % 65536)))   # the compose project name
R=$T/api
SOCK=$T/sock/lade.sock
export DOCKER_HOST=unix://$SOCK
SERVE_PID=
lade() { "$LADE" --root "$R" "$@"; }
d() { timeout -s KILL 60 docker "$@"; }

stop_all() {
        for c in $(lade ps -aq 2>/dev/null); do lade rm -f "$c" >/dev/null 2>&1; done
        [ -n "$SERVE_PID" ] && { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
        lade network prune -f >/dev/null 2>&1
        cleanup   # lib.sh: the test's own nftables table, bridge and veths (lade_isolate)
}
trap stop_all EXIT
chmod 711 "$T"
mkdir -p "$R" "$T/sock"
lade load -i "$BUSYBOX_IMAGE" >/dev/null
cat >"$T/authz.json" <<EOF2
{"rules": [{"users": ["root"], "access": "full", "deny": ["privileged"]}]}
EOF2
"$LADE" --root "$R" serve -H "unix://$SOCK" -G "" --authz "$T/authz.json" 2>"$T/serve.log" &
SERVE_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
check "the server listens" test -S "$SOCK"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---- run ----
out=$(d run --rm -e GREETING=hello busybox sh -c 'echo $GREETING; echo to-stderr >&2; exit 3' 2>"$T/err")
expect_eq "run --rm: the container's stdout" "hello" "$out"
d run --rm busybox sh -c 'exit 3' >/dev/null 2>&1
expect_eq "run --rm: the container's exit code" 3 "$?"
expect_eq "run --rm: its stderr on stderr" "to-stderr" "$(cat "$T/err")"
expect_eq "run --rm: nothing left" "" "$(lade ps -aq)"
# the CLI starts the container as soon as its attach is answered: no output may be lost
n=0
for i in $(seq 15); do [ "$(d run --rm busybox echo "n$i")" = "n$i" ] && n=$((n + 1)); done
expect_eq "run --rm: the whole output, every time" 15 "$n"
expect_eq "run -i: stdin goes in" "piped-in" "$(echo piped-in | d run --rm -i busybox cat)"
out=$(timeout -s KILL 60 script -eqc "docker run --rm -it busybox sh -c 'tty; exit 4'" /dev/null </dev/null)
expect_eq "run -it through a pty: its exit code" 4 "$?"
expect_contains "run -it: a tty inside" "/dev/pts/0" "$out"
mkdir -p "$T/bind"
echo from-host >"$T/bind/f"
expect_eq "run -v: a bind mount" "from-host" "$(d run --rm -v "$T/bind:/mnt:ro" busybox cat /mnt/f)"
PORT=$(free_port)
web=$(d run -d --name web -p "127.0.0.1:$PORT:80" busybox sh -c 'mkdir /www; echo served >/www/index.html; httpd -f -p 80 -h /www')
check "run -d: prints the id" test ${#web} = 64
got=
for _ in $(seq 50); do got=$(curl -s "http://127.0.0.1:$PORT/") && [ -n "$got" ] && break; sleep 0.1; done
expect_eq "run -p: the published port answers on 127.0.0.1" "served" "$got"

# ---- ps, inspect, lade <-> docker ----
expect_contains "docker ps lists it" "web" "$(d ps --format '{{.Names}} {{.Status}}')"
expect_contains "... with its port" "127.0.0.1:$PORT->80/tcp" "$(d ps --format '{{.Ports}}')"
expect_eq "docker inspect" "running true" "$(d inspect -f '{{.State.Status}} {{.State.Running}}' web)"
lade run -d --name from-lade busybox sleep 300 >/dev/null
expect_contains "a container of lade run is in docker ps" "from-lade" "$(d ps --format '{{.Names}}')"
expect_contains "a container of docker run is in lade ps" "web" "$(lade ps)"
expect_eq "ps --filter name" "from-lade" "$(d ps --filter name=from- --format '{{.Names}}')"
expect_eq "ps --filter bad status: 400" "1" "$(d ps --filter status=bogus >/dev/null 2>&1; echo $?)"

# ---- the list's Mounts: inspect's, in GET /containers/json, docker ps and lade ps ----
mkdir -p "$T/mnt-src"
VOL=mntvol$TAG
d create --name mnt -v "$VOL:/data" -v "$T/mnt-src:/src:ro" --mount type=tmpfs,dst=/scratch busybox true >/dev/null
list_mounts() {
        curl -s -G --unix-socket "$SOCK" http://x/containers/json --data-urlencode all=1 \
                --data-urlencode "filters={\"name\":[\"^/$1\$\"]}" | jq -c '.[0].Mounts'
}
expect_eq "the list's Mounts are inspect's" "$(d inspect -f '{{json .Mounts}}' mnt | jq -c .)" "$(list_mounts mnt)"
# (the docker CLI puts -v's into Binds in a Go map's order: the order differs from run to run)
expect_eq "... a volume, a bind and a tmpfs" "bind::/src:false tmpfs::/scratch:true volume:$VOL:/data:true" \
        "$(list_mounts mnt | jq -r 'map("\(.Type):\(.Name // ""):\(.Destination):\(.RW)") | sort | join(" ")')"
SRC=$T/mnt-src
# the comma-separated names, sorted (a tmpfs has no name: an empty item)
csv_sorted() { awk -F, '{ for (i = 1; i <= NF; i++) print "[" $i "]" }' | sort | paste -sd, -; }
expect_eq "docker ps --format {{.Mounts}}: names and sources, cut to 15 columns" \
        "$(printf '%s,%s,' "$VOL" "${SRC:0:14}…" | csv_sorted)" \
        "$(d ps -a --filter name=^/mnt\$ --format '{{.Mounts}}' | csv_sorted)"
expect_eq "... whole with --no-trunc" "$(printf '%s,%s,' "$VOL" "$SRC" | csv_sorted)" \
        "$(d ps -a --no-trunc --filter name=^/mnt\$ --format '{{.Mounts}}' | csv_sorted)"
expect_eq "lade ps --format {{.Mounts}}" "$(printf '%s,%s,' "$VOL" "${SRC:0:14}…" | csv_sorted)" \
        "$(lade ps -a --filter name=^/mnt\$ --format '{{.Mounts}}' | csv_sorted)"
expect_eq "... and {{.LocalVolumes}}" "1" "$(lade ps -a --filter name=^/mnt\$ --format '{{.LocalVolumes}}')"
expect_eq "... whole with --no-trunc" "$(printf '%s,%s,' "$VOL" "$SRC" | csv_sorted)" \
        "$(lade ps -a --no-trunc --filter name=^/mnt\$ --format '{{.Mounts}}' | csv_sorted)"
for v in "$VOL" /data "$SRC" /scratch; do
        expect_eq "docker ps --filter volume=$v" "mnt" "$(d ps -a --filter "volume=$v" --format '{{.Names}}')"
        expect_eq "lade ps --filter volume=$v" "mnt" "$(lade ps -a --filter "volume=$v" --format '{{.Names}}')"
done
expect_eq "ps --filter volume: no match" "" "$(d ps -a --filter volume=/nowhere --format '{{.Names}}')"
# the server's cached list sees a container another process made with the volume
lade create --name mnt2 -v "$VOL:/other" busybox true >/dev/null
expect_eq "ps --filter volume after a lade create" "mnt2 mnt" \
        "$(d ps -a --filter "volume=$VOL" --format '{{.Names}}' | tr '\n' ' ' | sed 's/ $//')"
d rm mnt mnt2 >/dev/null
d volume rm "$VOL" >/dev/null
expect_eq "... and gone with them" "" "$(d ps -a --filter "volume=$VOL" --format '{{.Names}}')"

# ---- exec ----
expect_eq "exec" "in-web" "$(d exec web sh -c 'echo in-web')"
d exec web sh -c 'exit 7'
expect_eq "exec: the exit code" 7 "$?"
expect_eq "exec -i: stdin" "exec-stdin" "$(echo exec-stdin | d exec -i web cat)"
out=$(timeout -s KILL 60 script -eqc "docker exec -it web sh -c 'tty; exit 5'" /dev/null </dev/null)
expect_eq "exec -it through a pty: its exit code" 5 "$?"
expect_contains "exec -it: a tty" "/dev/pts" "$out"
d exec web /no/such/binary >/dev/null 2>&1
expect_eq "exec of a missing binary: 126/127" "true" "$([ $? -ge 126 ] && echo true)"
d exec -d web sh -c 'echo detached >/tmp/d'
sleep 0.3
expect_eq "exec -d" "detached" "$(d exec web cat /tmp/d)"

# ---- logs, top, stats ----
d run -d --name ticker busybox sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done' >/dev/null
sleep 0.5
expect_eq "logs -f follows" "tick 0 tick 1 tick 2" "$(timeout 5 docker logs -f ticker | head -3 | tr '\n' ' ' | sed 's/ $//')"
expect_contains "logs --tail -t" "Z tick" "$(d logs --tail 1 -t ticker)"
expect_contains "top" "sleep" "$(d top ticker)$(d top web)"
# the columns of ps -ef on the host, for the container's init: the same as ps shows for its pid
tpid=$(d inspect -f '{{.State.Pid}}' ticker)
want=$(ps -o user=,pid=,ppid=,stime=,tty=,time= -p "$tpid" | awk '{print $1, $2, $3, $4, $5, $6}')
expect_eq "top: UID PID PPID STIME TTY TIME as ps -ef has them" "$want" \
        "$(d top ticker | awk -v p="$tpid" '$2 == p {print $1, $2, $3, $5, $6, $7}')"
expect_eq "... and lade top alike" "$want" \
        "$(lade top ticker | awk -v p="$tpid" '$2 == p {print $1, $2, $3, $5, $6, $7}')"
expect_contains "top with ps options lade cannot honour: a clear error" "ps options are not supported (aux)" \
        "$(d top ticker aux 2>&1)"
out=$(d stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' web)
expect_contains "stats --no-stream" "web " "$out"
check "stats: memory used" bash -c "[[ '$out' =~ [0-9.]+(Ki|Mi)B\ / ]]"

# ---- lifecycle ----
d pause ticker >/dev/null
expect_contains "pause" "(Paused)" "$(d ps --filter name=ticker --format '{{.Status}}')"
d unpause ticker >/dev/null
d rename ticker tocker
expect_eq "rename" "tocker" "$(d ps --filter name=tocker --format '{{.Names}}')"
d restart -t 1 tocker >/dev/null
expect_eq "restart" "running" "$(d inspect -f '{{.State.Status}}' tocker)"
d kill tocker >/dev/null
expect_eq "kill, then wait: 137" "137" "$(d wait tocker)"
d stop -t 1 web >/dev/null
expect_eq "stop" "exited" "$(d inspect -f '{{.State.Status}}' web)"
expect_contains "ps -a shows it exited" "Exited" "$(d ps -a --filter name=web --format '{{.Status}}')"
d rm web tocker >/dev/null
expect_eq "rm" "" "$(d ps -aq --filter name=web)"
expect_contains "rm of a running one without -f: refused" "stop the container before removing" "$(d rm from-lade 2>&1)"

# ---- networks ----
d network create apinet >/dev/null
expect_contains "network ls" "apinet" "$(d network ls --format '{{.Name}}')"
d run -d --name srv --network apinet busybox sleep 300 >/dev/null
expect_contains "names resolve on a user network" "1 packets received" \
        "$(d run --rm --network apinet busybox ping -c1 -W2 srv 2>&1)"
expect_contains "network inspect: the container" "srv" "$(d network inspect -f '{{range .Containers}}{{.Name}}{{end}}' apinet)"
d rm -f srv >/dev/null
d network rm apinet >/dev/null
expect_eq "network rm" "" "$(d network ls -q --filter name=apinet)"

# ---- events ----
since=$(date +%s)
d run --rm --name evt busybox true
out=$(d events --since "$since" --until "$(($(date +%s) + 1))" --filter container=evt --format '{{.Action}}')
expect_eq "events: the lifecycle of a container" "create start die destroy" "$(echo $out)"

# ---- authorization ----
n0=$(lade ps -aq | wc -l)
out=$(d run --rm --privileged busybox true 2>&1)
expect_contains "a privileged create is denied" "authorization denied by policy" "$out"
expect_eq "... and nothing was created" "$n0" "$(lade ps -aq | wc -l)"

# ---- clients leaving mid-stream ----
d run -d --name quiet busybox sleep 300 >/dev/null
# the monitor (posix_spawn'd by the server, then detached by its own fork): not our child, no
# zombie left with the server, only /dev/null as stdio
qid=$(d inspect -f '{{.Id}}' quiet)
mon=$(pgrep -f -- "$qid" | head -n1)
check "the monitor runs" test -n "$mon"
check "the monitor is not the server's child" test "$(ps -o ppid= -p "$mon" | tr -d ' ')" != "$SERVE_PID"
expect_eq "the monitor's stdio is /dev/null" "/dev/null /dev/null /dev/null" \
        "$(readlink /proc/$mon/fd/0) $(readlink /proc/$mon/fd/1) $(readlink /proc/$mon/fd/2)"
d run --rm busybox true
expect_eq "no zombie child of the server after runs" "" "$(ps -o pid=,stat= --ppid "$SERVE_PID" | grep Z)"
# (the database's fds are counted apart: the server keeps idle Engines — connections, blob store
# dirs — between requests, and frees them all a second or two after the last one)
fds() { ls -l /proc/$SERVE_PID/fd | grep -vc 'lade\.db'; }
db_fds() { ls -l /proc/$SERVE_PID/fd | grep -c 'lade\.db'; }
trimmed() {
        for _ in $(seq 50); do [ "$(db_fds)" = 0 ] && return 0; sleep 0.2; done
        return 1
}
tasks() { ls /proc/$SERVE_PID/task | wc -l; }
sleep 1.5   # requests before this one have wound down
trimmed     # (and the idle Engines, with their blob store fds, are freed)
f0=$(fds) t0=$(tasks)
for _ in 1 2 3; do
        timeout -s KILL 1 docker logs -f quiet >/dev/null 2>&1
        timeout -s KILL 1 docker attach quiet >/dev/null 2>&1
        timeout -s KILL 1 docker wait quiet >/dev/null 2>&1
        timeout -s KILL 1 docker events >/dev/null 2>&1
done
sleep 1.5
check "idle, the server closes every database connection" trimmed
f1=$(fds) t1=$(tasks)
check "no fd leaked by clients that left ($f0 before, $f1 after)" test "$f1" -le "$f0"
check "no thread leaked by clients that left ($t0 before, $t1 after)" test "$t1" -le "$t0"
d rm -f quiet from-lade >/dev/null

# ---- docker-compose ----
if command -v docker-compose >/dev/null; then
        mkdir -p "$T/app"
        PORT=$(free_port)
        cat >"$T/app/docker-compose.yml" <<EOF2
version: "3"
services:
  web:
    image: busybox
    command: sh -c 'echo compose-ok > /www/index.html && httpd -f -p 80 -h /www'
    ports:
      - "127.0.0.1:$PORT:80"
    volumes:
      - site:/www
    networks:
      - default
      - back
  client:
    image: busybox
    command: sh -c 'for i in \$\$(seq 20); do wget -qO- http://web/ && break; sleep 0.3; done; sleep 300'
    depends_on:
      - web
    networks:
      - back
volumes:
  site:
networks:
  back:
EOF2
        dc() { (cd "$T/app" && timeout -s KILL 120 docker-compose -p lat$TAG "$@"); }
        dc up -d >/dev/null 2>&1
        expect_eq "compose up -d: both services up" "2" "$(dc ps | grep -c ' Up ')"
        got=
        for _ in $(seq 50); do got=$(curl -s "http://127.0.0.1:$PORT/") && [ -n "$got" ] && break; sleep 0.1; done
        expect_eq "compose: the published port" "compose-ok" "$got"
        for _ in $(seq 30); do dc logs client 2>/dev/null | grep -q compose-ok && break; sleep 0.2; done
        expect_contains "compose: the client reached web by its service name" "compose-ok" "$(dc logs client 2>&1)"
        expect_eq "compose exec" "compose-ok" "$(dc exec -T web cat /www/index.html)"
        expect_eq "compose: web is on both of its networks" "3" "$(dc exec -T web ip -4 addr | grep -c inet)"
        expect_eq "compose: the named volume" "lat${TAG}_site" \
                "$(d volume ls -q --filter name=lat${TAG}_site)"
        dc down -v >/dev/null 2>&1
        expect_eq "compose down -v: the volume gone" "" "$(d volume ls -q --filter name=lat${TAG}_site)"
        expect_eq "compose down: no container left" "" "$(lade ps -aq)"
        expect_eq "compose down: its network gone" "" "$(d network ls -q --filter name=lat$TAG)"
else
        echo "skip - docker-compose is not installed"
fi

# ---- the Python SDK ----
if /usr/bin/python3 -c 'import docker' 2>/dev/null; then
        out=$(timeout -s KILL 120 /usr/bin/python3 "$SRCDIR/tests/integration/api-sdk.py" "unix://$SOCK" 2>&1)
        expect_eq "the Python SDK: containers, images, networks, exec" "sdk ok" "$(tail -n1 <<<"$out")"
else
        echo "skip - python3-docker is not installed"
fi

check "the server reported no sanitizer error" bash -c "! grep -q -e 'runtime error' -e 'Sanitizer' '$T/serve.log'"
finish
