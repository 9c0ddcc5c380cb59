#!/bin/bash
# run/create flags the engine used to accept and ignore: --volumes-from (volumes and binds of
# the source at the same place, :ro, in use by both, rm -v keeping the source's volumes, the
# backup recipe, an unknown source refused with nothing made), --mac-address (the interface's
# MAC, inspect, bad ones refused), --link on the default bridge (hosts line; a missing or stopped
# target refused), --cidfile, and the refused ones (--runtime, --isolation, --storage-opt,
# --volume-driver, --gpus, --ip6, --link-local-ip, --link on a user network), none leaving a
# container, volume or file behind.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
R=$T/lade
lade() { "$LADE" --root "$R" "$@"; }
rows() { sqlite3 "$R/lade.db" "$1" 2>/dev/null; }
lade load -i "$BUSYBOX_IMAGE" >/dev/null
count() { lade ps -aq | wc -l; }

# ---- --volumes-from ----
mkdir -p "$T/hostdir" "$T/backup"
echo fromhost >"$T/hostdir/f"
lade run -d --name db -v /dbdata -v named1:/named -v "$T/hostdir:/hb:ro" --tmpfs /tmpfs1 busybox \
        sh -c 'echo secret >/dbdata/x; echo n >/named/y; sleep 300' >/dev/null
sleep 0.3
expect_eq "the anonymous volume is seen at the same place" "secret" \
        "$(lade run --rm --volumes-from db busybox cat /dbdata/x)"
expect_eq "... the named one too" "n" "$(lade run --rm --volumes-from db busybox cat /named/y)"
expect_eq "... and the bind, read-only as in the source" "fromhost ro" \
        "$(lade run --rm --volumes-from db busybox sh -c 'cat /hb/f; touch /hb/g 2>/dev/null && echo rw || echo ro' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "tmpfs mounts are not copied" "no" \
        "$(lade run --rm --volumes-from db busybox sh -c 'grep -q " /tmpfs1 " /proc/mounts && echo yes || echo no')"
expect_eq "read-write by default" "rw" \
        "$(lade run --rm --volumes-from db busybox sh -c 'touch /dbdata/w && echo rw || echo ro')"
expect_eq ":ro makes them read-only" "ro" \
        "$(lade run --rm --volumes-from db:ro busybox sh -c 'touch /dbdata/w2 2>/dev/null && echo rw || echo ro')"
lade run --rm --volumes-from db -v "$T/backup:/backup" busybox tar cf /backup/backup.tar /dbdata 2>/dev/null
expect_eq "the backup recipe works" "dbdata/x" "$(tar tf "$T/backup/backup.tar" | grep x$)"
anon=$(lade inspect db | jq -r '.[0].Mounts[] | select(.Destination == "/dbdata") | .Name')
lade create --name vf --volumes-from db busybox true >/dev/null
vfid=$(lade inspect -f '{{.Id}}' vf)
expect_eq "inspect shows HostConfig.VolumesFrom" '["db"]' "$(lade inspect vf | jq -c '.[0].HostConfig.VolumesFrom')"
expect_eq "inspect's Mounts has the source's volumes and bind" "/dbdata volume true,/hb bind false,/named volume true" \
        "$(lade inspect vf | jq -r '[.[0].Mounts[] | "\(.Destination) \(.Type) \(.RW)"] | sort | join(",")')"
expect_eq "the volumes are in use by the new container too" "1" \
        "$(rows "SELECT count(*) FROM container_volumes WHERE container_id = '$vfid' AND volume = '$anon'")"
lade rm -f db >/dev/null
expect_eq "the source's anonymous volume stays while the new container uses it" "$anon" \
        "$(lade volume ls -q | grep "$anon")"
out=$(lade volume rm "$anon" 2>&1)
expect_contains "volume rm refused while it is in use" "volume is in use - [$vfid]" "$out"
expect_eq "the container keeps its mounts after the source is gone" "secret" "$(lade start -a vf >/dev/null; \
        lade run --rm --volumes-from vf busybox cat /dbdata/x)"
lade rm -v vf >/dev/null
lade run -d --name db2 -v /d2 busybox sleep 300 >/dev/null
anon2=$(lade inspect db2 | jq -r '.[0].Mounts[0].Name')
lade run --name vf2 --volumes-from db2 busybox true
lade rm -v vf2 >/dev/null
expect_eq "rm -v of the new container keeps the source's anonymous volume" "$anon2" "$(lade volume ls -q | grep "$anon2")"
lade rm -f db2 >/dev/null
n=$(count)
out=$(lade run --rm --volumes-from nosuch busybox true 2>&1)
expect_eq "an unknown source: exit 125" 125 $?
expect_contains "... Docker's message" "No such container: nosuch" "$out"
out=$(lade create --volumes-from 'x:shared' busybox true 2>&1)
expect_contains "a propagation mode is refused" "invalid mode: shared" "$out"
expect_eq "... nothing created" "$n" "$(count)"

# ---- --mac-address ----
lade run -d --name mac1 --mac-address 92:d0:c6:0a:29:33 busybox sleep 300 >/dev/null
expect_eq "the interface has the MAC asked for" "92:d0:c6:0a:29:33" \
        "$(lade exec mac1 cat /sys/class/net/eth0/address)"
expect_eq "inspect shows it" "92:d0:c6:0a:29:33" \
        "$(lade inspect -f '{{.NetworkSettings.MacAddress}}' mac1)"
lade rm -f mac1 >/dev/null
n=$(count)
out=$(lade run --rm --mac-address 92:d0:c6:0a:29 busybox true 2>&1)
expect_eq "a bad MAC: exit 125" 125 $?
expect_contains "... Docker's message" "92:d0:c6:0a:29 is not a valid mac address" "$out"
out=$(lade run --rm --mac-address 01:00:5e:00:00:01 busybox true 2>&1)
expect_contains "a multicast MAC is refused" "invalid MAC address 01:00:5e:00:00:01" "$out"
expect_eq "... nothing created" "$n" "$(count)"

# ---- --link ----
lade run -d --name target busybox sleep 300 >/dev/null
tip=$(lade inspect -f '{{.NetworkSettings.IPAddress}}' target)
tid=$(lade inspect -f '{{.Id}}' target)
expect_eq "a link adds the alias, hostname and name to /etc/hosts" "$tip	tg ${tid:0:12} target" \
        "$(lade run --rm --link target:tg busybox grep -w tg /etc/hosts)"
expect_eq "a link without alias" "$tip	target ${tid:0:12}" \
        "$(lade run --rm --link target busybox grep -w target /etc/hosts)"
expect_eq "the name resolves" "ok" "$(lade run --rm --link target:tg busybox sh -c 'ping -c1 -W2 tg >/dev/null && echo ok')"
n=$(count)
out=$(lade run --rm --link nosuch:x busybox true 2>&1)
expect_contains "a missing target is refused" "could not get container for nosuch: No such container: nosuch" "$out"
expect_eq "... nothing created" "$n" "$(count)"
lade stop -t 0 target >/dev/null
out=$(lade run --name linked --link target:tg busybox true 2>&1)
expect_eq "a stopped target: exit 125" 125 $?
expect_contains "... Docker's message" "Cannot link to a non running container: /target AS /linked/tg" "$out"
lade rm -f linked target >/dev/null 2>&1
expect_eq "... no veth left by the failed start" "0" \
        "$(ip -br link | awk '{print $1}' | grep -c "^$LADE_VETH_PREFIX")"
lade network create ltnet >/dev/null
out=$(lade run --rm --network ltnet --link x:y busybox true 2>&1)
expect_contains "a link on a user network is refused" "links on a user-defined network" "$out"
lade network rm ltnet >/dev/null

# ---- --cidfile ----
cid=$(lade create --cidfile "$T/cid" busybox true)
expect_eq "create --cidfile writes the ID" "$cid" "$(cat "$T/cid")"
out=$(lade create --cidfile "$T/cid" busybox true 2>&1)
expect_contains "an existing cidfile is refused" "container ID file found" "$out"
lade rm "$cid" >/dev/null
expect_eq "run --cidfile" "hi" "$(lade run --rm --cidfile "$T/cid2" busybox echo hi)"
check "... the file has the ID" grep -qE '^[0-9a-f]{64}$' "$T/cid2"
lade run --rm --cidfile "$T/cid3" --volumes-from nosuch busybox true 2>/dev/null
check "a failed create removes the cidfile" test ! -e "$T/cid3"

# ---- refused, never ignored ----
n=$(count)
refused() {
        local what=$1 msg=$2 out
        shift 2
        out=$(lade run --rm "$@" busybox true 2>&1)
        expect_eq "$what: exit 125" 125 $?
        expect_contains "$what: the message" "$msg" "$out"
}
refused "--runtime" "unknown or invalid runtime name: crun" --runtime crun
refused "--isolation" "invalid isolation: \"hyperv\" - linux only supports 'default'" --isolation hyperv
refused "--storage-opt" "--storage-opt is supported only for overlay over xfs" --storage-opt size=1G
refused "--volume-driver" 'error looking up volume plugin foo: plugin "foo" not found' --volume-driver foo
refused "--gpus" 'could not select device driver "" with capabilities: [[gpu]]' --gpus all
refused "--ip6" "IPv6 addresses (--ip6 2001:db8::5) are not supported" --ip6 2001:db8::5
refused "--link-local-ip" "link-local addresses" --link-local-ip 169.254.1.1
expect_eq "--runtime lade is lade's own" "ok" "$(lade run --rm --runtime lade --isolation default busybox echo ok)"
expect_eq "nothing was created by the refused ones" "$n" "$(count)"
expect_eq "no volume left" "" "$(lade volume ls -q | grep -v "$anon" | grep -v "$anon2" | grep -v named1)"
finish
