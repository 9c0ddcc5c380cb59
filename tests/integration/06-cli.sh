#!/bin/bash
# The rest of runc's command line: spec, features, update, --log/--log-format, -t, --systemd-cgroup.
. "$(dirname "$0")/lib.sh"
new_bundle

mkdir -p "$T/spec" "$T/spec-rootless"
(cd "$T/spec" && rt spec)
expect_eq "spec writes runc's default config" '["sh"]' "$(jq -c .process.args "$T/spec/config.json")"
expect_eq "spec: default namespaces" "pid network ipc uts mount" "$(jq -r '[.linux.namespaces[].type] | join(" ")' "$T/spec/config.json")"
out=$(cd "$T/spec" && rt spec 2>&1)
expect_eq "spec refuses to overwrite" 1 $?
rt spec --rootless --bundle "$T/spec-rootless"
expect_eq "spec --rootless adds a user namespace" "user" "$(jq -r '.linux.namespaces[] | select(.type == "user") | .type' "$T/spec-rootless/config.json")"

f=$(rt features)
expect_eq "features: hooks" 6 "$(jq '.hooks | length' <<<"$f")"
expect_eq "features: seccomp enabled" true "$(jq .linux.seccomp.enabled <<<"$f")"
check "features: namespaces include time" bash -c "jq -e '.linux.namespaces | index(\"time\")' <<<'$f' >/dev/null"
expect_contains "--version" "lade-runtime version" "$(rt --version)"

args sleep 1000
id=$(cid upd)
rt run -d --bundle "$BUNDLE" "$id"
cg=/sys/fs/cgroup/memory/$id
rt update --memory 96m --pids-limit 33 "$id"
expect_eq "update --memory" 100663296 "$(cat $cg/memory.limit_in_bytes)"
expect_eq "update --pids-limit" 33 "$(cat /sys/fs/cgroup/pids/$id/pids.max)"
echo '{"memory": {"limit": 50331648}, "cpu": {"shares": 256}}' >"$T/res.json"
rt update -r "$T/res.json" "$id"
expect_eq "update -r FILE" "50331648 256" "$(cat $cg/memory.limit_in_bytes) $(cat /sys/fs/cgroup/cpu/$id/cpu.shares)"
out=$(rt update --memory lots "$id" 2>&1)
expect_eq "update with a bad value fails" 1 $?
expect_contains "... naming the flag" "--memory" "$out"
rt delete -f "$id"

rt --log "$T/log.json" --log-format json state nosuch 2>/dev/null
expect_eq "--log-format json writes the error as JSON" error "$(jq -r .level "$T/log.json" 2>/dev/null | head -1)"
expect_contains "... with the message" "nosuch" "$(jq -r .msg "$T/log.json" 2>/dev/null)"

out=$(rt --systemd-cgroup run --bundle "$BUNDLE" "$(cid sd)" 2>&1)
if [ -d /run/systemd/system ]; then ok "systemd present: --systemd-cgroup not checked"; else
        expect_contains "--systemd-cgroup without systemd is a clear error" "systemd is not running" "$out"
fi

cfg '.process.terminal = true | .process.args = ["sh", "-c", "tty; stty size"] | .process.consoleSize = {"height": 30, "width": 100}'
out=$(script -qec "$LADE_RUNTIME --root $ROOT run --bundle $BUNDLE $(cid tty)" /dev/null | tr -d '\r')
expect_contains "run with a terminal gets a pty" "/dev/pts/0" "$out"
out=$(rt run -d --bundle "$BUNDLE" "$(cid tty2)" 2>&1)
expect_eq "a terminal without --console-socket when detached is refused" 1 $?
expect_contains "... with a clear message" "console-socket" "$out"
cfg '.process.terminal = false | .process.args = ["sleep", "1000"]'
id=$(cid ttyexec)
rt run -d --bundle "$BUNDLE" "$id"
out=$(script -qec "$LADE_RUNTIME --root $ROOT exec -t $id tty" /dev/null | tr -d '\r')
expect_contains "exec -t without a console socket proxies a new pty" "/dev/pts/" "$out"
rt delete -f "$id"
finish
