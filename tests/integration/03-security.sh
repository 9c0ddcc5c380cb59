#!/bin/bash
# Adversarial: the defences of issue #2 must hold against a hostile bundle or container.
. "$(dirname "$0")/lib.sh"
new_bundle
run_out() { rt run --bundle "$BUNDLE" "$(cid "s$RANDOM")" 2>&1; }

# 1. Leaky Vessels: fds the caller opened (beyond --preserve-fds) and the runtime's own fds never
#    reach the container; a cwd through /proc/self/fd/N cannot leave the rootfs.
args sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
out=$(rt run --bundle "$BUNDLE" "$(cid fd)" 7</etc/hostname 8<"$T" 2>&1)
expect_eq "no host fd leaks into the container (only stdio + ls's own)" "0 1 2 3 " "$out"
out=$(rt run --preserve-fds 1 --bundle "$BUNDLE" "$(cid fd2)" 3</etc/hostname 2>&1)
expect_eq "--preserve-fds passes exactly the fds asked for" "0 1 2 3 4 " "$out"
for n in 3 4 5 6 7 8 9 10; do
        cfg ".process.cwd = \"/proc/self/fd/$n\""
        args sh -c 'pwd; ls / | head -3'
        out=$(rt run --bundle "$BUNDLE" "$(cid cwd$n)" 8<"$T" 9</ 2>&1)
        if [[ "$out" == *"$T"* ]] || [[ "$out" == *"/proc/self/fd/"*"/"* && "$out" != *"outside"* && "$out" != *"chdir"* ]]; then
                fail "cwd /proc/self/fd/$n escaped: $out"
        else
                ok "cwd /proc/self/fd/$n does not escape"
        fi
done
cfg '.process.cwd = "/"'

# 2. /proc/self/exe: while the runtime is inside the container it runs from a sealed memfd,
#    so writing to it through /proc fails and the host binary is unchanged.
sum_before=$(sha256sum "$LADE_RUNTIME" | cut -d' ' -f1)
args sleep 1000
id=$(cid exe)
rt create --bundle "$BUNDLE" "$id"
pid=$(rt state "$id" | jq -r .pid)
expect_contains "the init's exe is the sealed copy" "memfd:lade-runtime" "$(readlink /proc/$pid/exe)"
if (echo overwrite >"/proc/$pid/exe") 2>/dev/null; then fail "writing /proc/<init>/exe succeeded"; else ok "writing /proc/<init>/exe is refused"; fi
rt start "$id"
# from inside: a process that races every exec'd runtime and tries to write its exe
rt exec -d "$id" sh -c 'while :; do for p in /proc/[0-9]*; do (echo pwn >"$p/exe") 2>/dev/null && echo WROTE >>/tmp/wrote; done; done'
for _ in $(seq 20); do rt exec "$id" true; done
cp "$BUNDLE/rootfs/bin/busybox" "$T/busybox.bak"
printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/bin/evil" && chmod +x "$BUNDLE/rootfs/bin/evil"
rt exec "$id" /bin/evil >/dev/null 2>&1
expect_eq "the host runtime binary is unchanged" "$sum_before" "$(sha256sum "$LADE_RUNTIME" | cut -d' ' -f1)"
check "no write to any exe succeeded inside" bash -c "[ ! -s '$BUNDLE/rootfs/tmp/wrote' ]"
rt delete -f "$id"

# 3. Symlinks in the rootfs cannot redirect mounts (or created mount points) onto the host.
mkdir -p "$T/victim"
ln -s "$T/victim" "$BUNDLE/rootfs/escape-abs"
ln -s ../../../../../../../.."$T"/victim "$BUNDLE/rootfs/escape-rel"
cfg '.mounts += [{"destination": "/escape-abs/m1", "type": "tmpfs", "source": "tmpfs"}, {"destination": "/escape-rel/m2/deeper", "type": "tmpfs", "source": "tmpfs"}]'
args sh -c 'grep -c " /.*m[12]" /proc/mounts'
out=$(run_out)
check "mount points through symlinks were created inside the rootfs, not the host" bash -c "[ -z \"\$(ls -A '$T/victim')\" ]"
check "... and the mounts landed inside the container" bash -c "[ -d '$BUNDLE/rootfs$T/victim/m1' ] || [ -d '$BUNDLE/rootfs$T/victim/m2' ]"
# a /proc destination that is a symlink (CVE-2019-19921 class) must not mount procfs elsewhere
rm -f "$BUNDLE/config.json"; new_bundle
rm -rf "$BUNDLE/rootfs/proc" && ln -s "$T/victim" "$BUNDLE/rootfs/proc"
args sh -c 'true'
run_out >/dev/null
check "procfs never mounted on the host through a /proc symlink" bash -c "[ -z \"\$(ls -A '$T/victim')\" ] && ! grep -q ' $T/victim ' /proc/self/mounts"
rm -f "$BUNDLE/rootfs/proc" && mkdir "$BUNDLE/rootfs/proc"

# 3b. the same with a symlink swapped in and out while containers are being set up (a race)
rm -f "$BUNDLE/config.json"; new_bundle
mkdir -p "$T/victim2"
cfg '.mounts += [{"destination": "/swap/m", "type": "tmpfs", "source": "tmpfs"}]'
args true
( while [ -e "$T/swapping" ]; do
        rm -rf "$BUNDLE/rootfs/swap"; mkdir -p "$BUNDLE/rootfs/swap"
        rm -rf "$BUNDLE/rootfs/swap"; ln -s "$T/victim2" "$BUNDLE/rootfs/swap"
  done ) &
swapper=$!
touch "$T/swapping"
for i in $(seq 30); do rt run --bundle "$BUNDLE" "$(cid swap$i)" >/dev/null 2>&1; done
rm -f "$T/swapping"
wait "$swapper"
check "a symlink swapped during setup never sends a mount outside the rootfs" \
        bash -c "[ -z \"\$(ls -A '$T/victim2')\" ] && ! grep -q ' $T/victim2' /proc/self/mounts"
rm -rf "$BUNDLE/rootfs/swap"

# 4. masked and read-only paths really are
args sh -c 'cat /proc/timer_list 2>/dev/null | wc -c; ls /sys/firmware | wc -l; (echo 1 >/proc/sys/vm/drop_caches) 2>/dev/null && echo WROTE-SYS; (echo 1 >/proc/irq/default_smp_affinity) 2>/dev/null && echo WROTE-IRQ; echo done'
expect_eq "maskedPaths read as empty, readonlyPaths refuse writes" "$(printf '0\n0\ndone')" "$(run_out)"

# 5. the default spec drops capabilities: no CAP_SYS_ADMIN, so no mount inside
args sh -c 'mount -t tmpfs tmpfs /mnt 2>/dev/null && echo MOUNTED || echo denied'
expect_eq "the default capability set cannot mount" denied "$(run_out)"
finish
