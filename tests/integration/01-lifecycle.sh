#!/bin/bash
# create/start/state/kill/delete, run, exec, ps, list, pause/resume: runc's contract.
. "$(dirname "$0")/lib.sh"
new_bundle

args echo hello-from-lade
out=$(rt run --bundle "$BUNDLE" "$(cid run1)" 2>&1)
expect_eq "run prints the container's output" "hello-from-lade" "$out"
check "run --rm style: state is gone after run" no_leftovers "t$$-run1"

args sh -c 'exit 7'
rt run --bundle "$BUNDLE" "$(cid run2)" >/dev/null 2>&1
expect_eq "run returns the container's exit status" 7 $?

args sleep 100
id=$(cid run3)
( for _ in $(seq 100); do [ "$(rt state "$id" 2>/dev/null | jq -r .status)" = running ] && break; sleep 0.05; done
  rt kill "$id" KILL ) &
rt run --bundle "$BUNDLE" "$id" >/dev/null 2>&1
expect_eq "a signal death is reported as 128+signal" 137 $?
wait

# create -> created, start -> running, kill -> stopped, delete -> gone
args sleep 1000
id=$(cid life)
rt create --bundle "$BUNDLE" --pid-file "$T/pid" "$id"
expect_eq "create exits 0" 0 $?
st=$(rt state "$id")
expect_eq "state after create" created "$(jq -r .status <<<"$st")"
expect_eq "state id" "$id" "$(jq -r .id <<<"$st")"
expect_eq "state bundle" "$BUNDLE" "$(jq -r .bundle <<<"$st")"
pid=$(jq -r .pid <<<"$st")
expect_eq "pid file matches state pid" "$pid" "$(cat "$T/pid")"
check "the init exists while created" kill -0 "$pid"
expect_contains "the created init runs from a sealed memfd copy" "memfd:lade-runtime" "$(readlink /proc/$pid/exe)"
rt start "$id"
expect_eq "state after start" running "$(rt state "$id" | jq -r .status)"
expect_eq "the started process is sleep" "sleep" "$(cat /proc/$pid/comm)"
out=$(rt start "$id" 2>&1)
expect_eq "start of a running container fails" 1 $?
expect_contains "... with runc's message" "already running" "$out"
expect_eq "list -q shows it" "$id" "$(rt list -q)"
expect_eq "list --format json" running "$(rt list --format json | jq -r '.[0].status')"
expect_eq "ps --format json has the init pid" "$pid" "$(rt ps --format json "$id" | jq -r '.[0]')"

out=$(rt exec "$id" sh -c 'echo exec-out; echo $$ >/dev/null')
expect_eq "exec runs in the container" "exec-out" "$out"
expect_eq "exec sees the container's hostname" "$(jq -r .hostname "$BUNDLE/config.json")" "$(rt exec "$id" hostname)"
rt exec "$id" sh -c 'exit 5'
expect_eq "exec returns the process status" 5 $?
expect_eq "exec -e sets env" "bar" "$(rt exec -e FOO=bar "$id" sh -c 'echo $FOO')"
expect_eq "exec --cwd" "/tmp" "$(rt exec --cwd /tmp "$id" pwd)"
expect_eq "exec --user" "1000:1001" "$(rt exec --user 1000:1001 "$id" sh -c 'echo $(id -u):$(id -g)')"
expect_eq "exec shares the pid namespace" "1" "$(rt exec "$id" sh -c 'pidof sleep')"
rt exec -d --pid-file "$T/execpid" "$id" sleep 300
epid=$(cat "$T/execpid")
check "exec -d leaves the process running" kill -0 "$epid"
expect_eq "ps lists both processes" 2 "$(rt ps --format json "$id" | jq length)"

rt pause "$id"
expect_eq "state after pause" paused "$(rt state "$id" | jq -r .status)"
rt resume "$id"
expect_eq "state after resume" running "$(rt state "$id" | jq -r .status)"

out=$(rt delete "$id" 2>&1)
expect_eq "delete of a running container fails without --force" 1 $?
expect_contains "... and says why" "not stopped" "$out"
rt kill "$id" KILL
for _ in $(seq 100); do [ "$(rt state "$id" | jq -r .status)" = stopped ] && break; sleep 0.05; done
expect_eq "state after kill" stopped "$(rt state "$id" | jq -r .status)"
rt kill --all "$id" KILL 2>/dev/null
rt delete "$id"
expect_eq "delete of a stopped container" 0 $?
check "delete leaves nothing" no_leftovers "$id"
check "the exec'd process died with the container" bash -c "! kill -0 $epid 2>/dev/null"

out=$(rt state nosuch 2>&1)
expect_eq "state of an unknown container fails" 1 $?
expect_contains "... naming it" "nosuch" "$out"
rt delete -f nosuch
expect_eq "delete -f of an unknown container succeeds" 0 $?

id=$(cid dup)
rt create --bundle "$BUNDLE" "$id"
out=$(rt create --bundle "$BUNDLE" "$id" 2>&1)
expect_eq "a duplicate id is refused" 1 $?
expect_contains "... with runc's wording" "container with id exists" "$out"
rt delete "$id"
expect_eq "a created (never started) container can be deleted" 0 $?
check "... leaving nothing" no_leftovers "$id"

args sleep 100
id=$(cid det)
rt run -d --bundle "$BUNDLE" "$id"
expect_eq "run --detach returns at once" running "$(rt state "$id" | jq -r .status)"
rt delete -f "$id"
check "delete --force stops and removes it" no_leftovers "$id"
finish
