#!/bin/bash
# Bad input: a clear error naming the field, exit status 1, and nothing left behind.
. "$(dirname "$0")/lib.sh"
new_bundle
args true
cp "$BUNDLE/config.json" "$T/good.json"

bad() {
        # bad DESCRIPTION EXPECTED-SUBSTRING JQ-FILTER|@raw:TEXT
        local d=$1 want=$2 edit=$3 id out rc
        cp "$T/good.json" "$BUNDLE/config.json"
        if [[ "$edit" == @raw:* ]]; then printf '%s' "${edit#@raw:}" >"$BUNDLE/config.json"; else cfg "$edit"; fi
        id=$(cid "bad$RANDOM")
        out=$(rt create --bundle "$BUNDLE" "$id" 2>&1)
        rc=$?
        expect_eq "$d: exit status" 1 "$rc"
        expect_contains "$d: message" "$want" "$out"
        check "$d: nothing left behind" no_leftovers "$id"
}

bad "truncated JSON" "config.json" '@raw:{"ociVersion": "1.0.2", "process": {'
bad "not an object" "config.json" '@raw:[1,2,3]'
bad "wrong type" "process.args" '.process.args = "sh"'
bad "wrong nested type" "linux.resources.memory.limit" '.linux.resources = {"memory": {"limit": "lots"}}'
bad "negative uid" "process.user.uid" '.process.user.uid = -1'
bad "missing rootfs" "root.path" '.root.path = "does-not-exist"'
bad "unknown namespace" "linux.namespaces" '.linux.namespaces += [{"type": "bogus"}]'
bad "mappings without a user namespace" "uidMappings" '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
bad "user namespace without mappings" "uidMappings" '.linux.namespaces += [{"type": "user"}]'
bad "cgroup path escaping the hierarchy" "cgroupsPath" '.linux.cgroupsPath = "../../../../etc/lade-escape"'
bad "unknown rlimit" "process.rlimits" '.process.rlimits = [{"type": "RLIMIT_BOGUS", "hard": 1, "soft": 1}]'
bad "unknown capability" "process.capabilities.bounding" '.process.capabilities.bounding += ["CAP_BOGUS"]'
bad "unknown seccomp syscall" "no_such_syscall" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}]}'
bad "unknown seccomp action" "linux.seccomp.defaultAction" '.linux.seccomp = {"defaultAction": "SCMP_ACT_BOGUS"}'
bad "executable not found" "executable file not found" '.process.args = ["no-such-binary"]'
bad "relative cwd" "process.cwd" '.process.cwd = "relative"'
bad "non-namespaced sysctl" "linux.sysctl" '.linux.sysctl = {"kernel.panic": "1"}'
bad "failing createRuntime hook" "createRuntime" '.hooks = {"createRuntime": [{"path": "/bin/false"}]}'

check "no stray mounts under the temp dir" bash -c "! grep -q ' $T' /proc/self/mounts"
# ours only: other lade processes may run on this machine
stray() {
        for p in /proc/[0-9]*; do
                readlink "$p/exe" 2>/dev/null | grep -q 'memfd:lade-runtime' && tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "$T" && echo "$p"
        done | wc -l
}
expect_eq "no stray runtime processes" 0 "$(stray)"
finish
