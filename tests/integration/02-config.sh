#!/bin/bash
# config.json fields applied for real, each checked from inside the container.
. "$(dirname "$0")/lib.sh"
new_bundle

run_out() { rt run --bundle "$BUNDLE" "$(cid "c$RANDOM")" 2>&1; }

cfg '.hostname = "lade-host" | .domainname = "lade.example"'
args sh -c 'echo $(hostname)/$(cat /proc/sys/kernel/domainname)'
expect_eq "hostname and domainname" "lade-host/lade.example" "$(run_out)"

cfg '.process.env = ["PATH=/bin", "A=1", "B=two words"] | .process.cwd = "/tmp"'
args sh -c 'echo "$A|$B|$(pwd)"'
expect_eq "env and cwd" "1|two words|/tmp" "$(run_out)"

cfg '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [2000, 2001], "umask": 63}'
args sh -c 'echo $(id -u) $(id -g) $(id -G) $(umask)'
expect_eq "user, group, additional gids, umask" "1000 1001 1001 2000 2001 0077" "$(run_out)"
cfg '.process.user = {"uid": 0, "gid": 0}'

args sh -c 'echo $$'
expect_eq "new pid namespace: the process is pid 1" 1 "$(run_out)"

cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}, {"type": "RLIMIT_NPROC", "soft": 77, "hard": 88}]'
args sh -c 'echo $(ulimit -n) $(ulimit -Hn) $(ulimit -u)'
expect_eq "rlimits" "512 1024 77" "$(run_out)"

cfg '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0} | .linux.personality = {"domain": "LINUX32"}'
args sh -c 'ionice; uname -m'
expect_eq "ioPriority and personality" "$(printf 'idle\ni686')" "$(run_out)"
cfg 'del(.process.ioPriority) | del(.linux.personality)'

cfg '.linux.rootfsPropagation = "rprivate" | .linux.cgroupsPath = "lade-rel-'$$'/c1"'
args sh -c 'grep " / / " /proc/self/mountinfo | grep -c shared; cat /proc/self/cgroup | grep memory | cut -d: -f3'
expect_eq "rootfsPropagation and a relative cgroupsPath" "$(printf '0\n/lade-rel-'$$'/c1')" "$(run_out)"
rmdir /sys/fs/cgroup/*/lade-rel-$$ 2>/dev/null
cfg 'del(.linux.rootfsPropagation) | del(.linux.cgroupsPath)'

args sh -c 'ls /bin/busybox && echo $$'
out=$(rt run --no-pivot --bundle "$BUNDLE" "$(cid nopivot)" 2>&1)
expect_eq "--no-pivot runs the container (MS_MOVE + chroot)" "$(printf '/bin/busybox\n1')" "$out"

# Docker sends unlimited rlimits as UINT64_MAX, which does not fit jansson's int64
args sh -c 'ulimit -c; ulimit -Hc'
cfg '.process.rlimits = [{"type": "RLIMIT_CORE", "soft": 4242, "hard": 4242}]'
sed -i 's/4242/18446744073709551615/g' "$BUNDLE/config.json"
expect_eq "rlimits of UINT64_MAX mean unlimited" "$(printf 'unlimited\nunlimited')" "$(run_out)"
cfg 'del(.process.rlimits)'

cfg '.process.noNewPrivileges = true | .process.oomScoreAdj = 123'
args sh -c 'grep NoNewPrivs /proc/self/status | tr -d "\t "; cat /proc/self/oom_score_adj'
expect_eq "noNewPrivileges and oomScoreAdj" "$(printf 'NoNewPrivs:1\n123')" "$(run_out)"

# as root, execve makes effective = permitted; a non-root user keeps exactly the ambient set
cfg '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN", "CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}'
args sh -c 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status | tr -d "\t" | tr "\n" " "'
expect_eq "capability sets (root)" "CapInh:0000000000000020 CapPrm:0000000000000021 CapEff:0000000000000021 CapBnd:0000000000000021 CapAmb:0000000000000020 " "$(run_out)"
cfg '.process.user = {"uid": 1000, "gid": 1000}'
expect_eq "capability sets (non-root keeps the ambient set)" "CapInh:0000000000000020 CapPrm:0000000000000020 CapEff:0000000000000020 CapBnd:0000000000000021 CapAmb:0000000000000020 " "$(run_out)"
rm -f "$BUNDLE/config.json"; new_bundle

mkdir -p "$T/hostdir" && echo host-data >"$T/hostdir/file"
cfg ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$T/hostdir\", \"options\": [\"rbind\", \"ro\"]},
                 {\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=1m\", \"mode=700\"]},
                 {\"destination\": \"/new/deep/file.txt\", \"type\": \"bind\", \"source\": \"$T/hostdir/file\", \"options\": [\"bind\"]}]"
args sh -c 'cat /data/file; touch /data/x 2>/dev/null && echo WRITABLE; stat -c %a /scratch; cat /new/deep/file.txt; grep " /scratch " /proc/mounts | cut -d" " -f3'
expect_eq "bind ro, tmpfs with options, file bind at a new path" "$(printf 'host-data\n700\nhost-data\ntmpfs')" "$(run_out)"

cfg '.root.readonly = true'
args sh -c 'touch /x 2>/dev/null && echo WRITABLE || echo readonly'
expect_eq "readonly root" "readonly" "$(run_out)"
cfg '.root.readonly = false'

cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456"}'
args sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax'
expect_eq "namespaced sysctls" "$(printf '1\n123456')" "$(run_out)"
cfg 'del(.linux.sysctl)'

args sh -c 'cat /proc/timer_list 2>/dev/null | wc -c; (echo x >/proc/sys/kernel/hostname) 2>/dev/null || echo ro-sys; ls /sys/firmware | wc -l'
expect_eq "maskedPaths and readonlyPaths" "$(printf '0\nro-sys\n0')" "$(run_out)"

cfg '.linux.devices = [{"path": "/dev/lade-null", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 0, "gid": 0}]'
args sh -c 'stat -c "%t:%T %a" /dev/lade-null; echo hi >/dev/lade-null && echo written; ls /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | wc -l; readlink /dev/ptmx'
expect_eq "linux.devices and the default device set" "$(printf '1:3 666\nwritten\n6\npts/ptmx')" "$(run_out)"
cfg 'del(.linux.devices)'

cfg '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 42}, "cpu": {"shares": 512}} | .linux.cgroupsPath = "/lade-it-'$$'"'
args sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'
cfg '.mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro", "nosuid", "noexec", "nodev"]}]'
expect_eq "cgroup limits visible inside" "$(printf '67108864\n42')" "$(run_out)"
check "the cgroup is gone after the run" bash -c "[ ! -e /sys/fs/cgroup/memory/lade-it-$$ ]"
rm -f "$BUNDLE/config.json"; new_bundle

cfg '.linux.namespaces += [{"type": "user"}, {"type": "cgroup"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
chmod 755 "$T"
chown -R 200000:200000 "$BUNDLE/rootfs"
args sh -c 'cat /proc/self/uid_map | tr -s " "; id -u'
expect_eq "user namespace with mappings" "$(printf ' 0 200000 65536\n0')" "$(run_out)"
chown -R 0:0 "$BUNDLE/rootfs"
rm -f "$BUNDLE/config.json"; new_bundle

cfg '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}, "monotonic": {"secs": 86400, "nanosecs": 0}}'
args cat /proc/uptime
up=$(run_out | cut -d. -f1)
check "time namespace offsets (uptime > 1 day)" test "${up:-0}" -gt 86400
rm -f "$BUNDLE/config.json"; new_bundle

cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
args sh -c 'mkdir /tmp/x 2>&1; echo rc=$?'
out=$(run_out)
expect_contains "seccomp denies mkdir with EPERM" "Operation not permitted" "$out"
cfg 'del(.linux.seccomp)'

# hooks: each kind appends its name and the state's status to a log on the host
cat >"$T/hook.sh" <<HOOK
#!/bin/sh
st=\$(cat)
echo "\$1 \$(echo "\$st" | jq -r .status)" >>$T/hooks.log
HOOK
chmod +x "$T/hook.sh"
h() { echo "{\"path\": \"$T/hook.sh\", \"args\": [\"hook.sh\", \"$1\"], \"timeout\": 5}"; }
# startContainer runs inside the container after pivot_root: its path is the container's
sc='{"path": "/bin/sh", "args": ["sh", "-c", "cat >/dev/shm/start-state; echo startContainer >/dev/shm/started"]}'
cfg ".hooks = {\"prestart\": [$(h prestart)], \"createRuntime\": [$(h createRuntime)], \"createContainer\": [$(h createContainer)], \"startContainer\": [$sc], \"poststart\": [$(h poststart)], \"poststop\": [$(h poststop)]}"
args sh -c 'cat /dev/shm/started; grep -c "\"pid\"" /dev/shm/start-state'
out=$(run_out)
expect_eq "hooks ran in order with state on stdin" "$(printf 'prestart creating\ncreateRuntime creating\ncreateContainer creating\npoststart running\npoststop stopped')" "$(cat "$T/hooks.log" 2>/dev/null)"
expect_eq "startContainer ran in the container with the state" "$(printf 'startContainer\n1')" "$out"
cfg ".hooks = {\"createRuntime\": [{\"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"10\"], \"timeout\": 1}]}"
out=$(run_out)
expect_contains "a hook past its timeout is killed and fails the create" "timed out" "$out"
finish
