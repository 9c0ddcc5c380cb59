#!/bin/bash
# Networking through the engine library ($NET_TOOL drives engine_network_attach/detach with the
# pid of a process we start in a new network namespace) and the lade CLI's network verbs.
# Everything global gets our own names: bridge, bridge prefix, veth prefix, nftables table and a
# random 10.x.0.0/16 pool that no host route uses; all of it is removed at the end, pass or fail.
source "$(dirname "$0")/lib.sh"
NET_TOOL=${NET_TOOL:?set NET_TOOL to the net-tool binary}
LADE=${LADE:?set LADE to the lade binary}
command -v unshare >/dev/null && command -v nsenter >/dev/null && command -v nft >/dev/null ||
        { echo "SKIP: needs unshare, nsenter, nft"; exit 77; }

TAG=$(printf '%04x' $((RANDOM % 65536)))
export LADE_BRIDGE_NAME="ltb$TAG" LADE_BRIDGE_PREFIX="ltu$TAG-" LADE_VETH_PREFIX="ltv$TAG"
export LADE_NFT_TABLE="lade_t$TAG"
for _ in $(seq 50); do
        X=$((100 + RANDOM % 150))
        ip -4 route | grep "^10\.$X\." >/dev/null || break
done
export LADE_NET_POOLS="10.$X.0.0/17:24"
USER_SUBNET="10.$X.200.0/24"
INT_SUBNET="10.$X.201.0/24"
mkdir -p "$ROOT"
PIDS=()
SRV=()

nt() { "$NET_TOOL" "$ROOT" "$@"; }
lade() { "$LADE" --root "$ROOT" "$@"; }

net_cleanup() {
        for p in "${SRV[@]}" "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
        for c in $(sqlite3 "$ROOT/lade.db" 'SELECT DISTINCT container_id FROM net_endpoints' 2>/dev/null); do
                nt detach "$c" >/dev/null 2>&1
        done
        lade network rm tnet inet >/dev/null 2>&1
        nt prune >/dev/null 2>&1
        nft delete table ip "$LADE_NFT_TABLE" 2>/dev/null
        for l in $(ip -br link | awk '{print $1}' | sed 's/@.*//' | grep -E "^(ltb|ltu|ltv)$TAG"); do
                ip link del "$l" 2>/dev/null
        done
}
trap 'net_cleanup; cleanup' EXIT

# sleeper: a process in a new network namespace, as a container's init would be; sets LAST
sleeper() {
        unshare -n sleep 1000 >/dev/null 2>&1 &
        LAST=$!
        PIDS+=("$LAST")
}
in_ns() { local p=$1; shift; nsenter -t "$p" -n "$@"; }
jget() { jq -r "$1" <<<"$2"; }
pings() { local p=$1; shift; if [ "$p" = host ]; then busybox ping -c1 -W2 "$1"; else in_ns "$p" busybox ping -c1 -W2 "$1"; fi >/dev/null 2>&1; }

sleeper; PA=$LAST
sleeper; PB=$LAST
sleep 0.2
P80=$((20000 + RANDOM % 10000))
P81=$((P80 + 1))
PR=$((P80 + 2))

# ---- the default network: addresses, routes, MAC, reachability ----
RA=$(nt attach ca"$TAG" web "$PA" --ports "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$P80\"},{\"HostIp\":\"\",\"HostPort\":\"$P81\"}]}") ||
        fail "attach A"
RB=$(nt attach cb"$TAG" db "$PB" --ports "{\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"$PR\"}],\"90/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}" \
        --exposed '{"7000/tcp":{},"7001/udp":{}}' -P) || fail "attach B"
IPA=$(jget .IPAddress "$RA")
IPB=$(jget .IPAddress "$RB")
GW=$(jget .Gateway "$RA")
expect_eq "bridge name from LADE_BRIDGE_NAME" "$LADE_BRIDGE_NAME" "$(jget .Bridge "$RA")"
expect_eq "first address after the gateway" "10.$X.0.2" "$IPA"
expect_eq "gateway is .1" "10.$X.0.1" "$GW"
expect_eq "second container, next address" "10.$X.0.3" "$IPB"
expect_eq "prefix length of the pool" "24" "$(jget .IPPrefixLen "$RA")"
expect_eq "Docker's MAC (02:42 + IP)" "02:42:0a:$(printf %02x "$X"):00:02" "$(jget .MacAddress "$RA")"
expect_contains "MAC on eth0 in the container" "link/ether 02:42:0a:$(printf %02x "$X"):00:02" \
        "$(in_ns "$PA" ip link show eth0)"
expect_contains "address on eth0" "inet $IPA/24" "$(in_ns "$PA" ip -4 addr show eth0)"
expect_contains "default route via the gateway" "default via $GW dev eth0" "$(in_ns "$PA" ip route)"
check "A pings B" pings "$PA" "$IPB"
check "B pings the gateway" pings "$PB" "$GW"
check "the host pings A" pings host "$IPA"
expect_eq "ip_forward on" "1" "$(cat /proc/sys/net/ipv4/ip_forward)"
expect_eq "route_localnet on the bridge only" "1" "$(cat /proc/sys/net/ipv4/conf/$LADE_BRIDGE_NAME/route_localnet)"
expect_eq "Ports: two bindings of 80/tcp" "127.0.0.1:$P80 0.0.0.0:$P81" \
        "$(jq -r '.Ports["80/tcp"] | map(.HostIp + ":" + .HostPort) | join(" ")' <<<"$RA")"
expect_eq "udp binding" "$PR" "$(jq -r '.Ports["53/udp"][0].HostPort' <<<"$RB")"
read -r LO HI </proc/sys/net/ipv4/ip_local_port_range
for k in 90/tcp 7000/tcp 7001/udp; do
        hp=$(jq -r --arg k "$k" '.Ports[$k][0].HostPort' <<<"$RB")
        check "random host port for $k in the ephemeral range ($hp)" test "$hp" -ge "$LO" -a "$hp" -le "$HI"
done

# ---- published ports: busybox httpd in A, fetched from the host ----
mkdir -p "$T/www" && echo "hello from $TAG" >"$T/www/index.html"
# nsenter (not a shell function) in the background, so $! is the process to kill
nsenter -t "$PA" -n busybox httpd -f -p 80 -h "$T/www" </dev/null >/dev/null 2>&1 &
SRV+=($!)
sleep 0.3
HOSTIP=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v "^10\.$X\." | head -1)
expect_eq "published on 127.0.0.1" "hello from $TAG" "$(curl -s -m 5 "http://127.0.0.1:$P80/")"
expect_eq "published on 0.0.0.0, via 127.0.0.1" "hello from $TAG" "$(curl -s -m 5 "http://127.0.0.1:$P81/")"
expect_eq "published on 0.0.0.0, via the host IP $HOSTIP" "hello from $TAG" "$(curl -s -m 5 "http://$HOSTIP:$P81/")"
check "127.0.0.1-only binding not on the host IP" test -z "$(curl -s -m 2 "http://$HOSTIP:$P80/")"

# ---- port conflicts: an error before anything is made ----
out=$(nt check-ports "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"$P80\"}]}" 2>&1)
expect_contains "port taken by another container" "Bind for 0.0.0.0:$P80 failed: port is already allocated" "$out"
busybox nc -l -p $((P80 + 3)) </dev/null >/dev/null 2>&1 &
SRV+=($!)
sleep 0.2
out=$(nt check-ports "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"$((P80 + 3))\"}]}" 2>&1)
expect_contains "port taken by a host socket" "port is already allocated" "$out"
out=$(nt check-ports '{"80/tcp":[{"HostIp":"","HostPort":"99999"}]}' 2>&1)
expect_contains "invalid host port" "invalid hostPort: 99999" "$out"
sleeper; PC=$LAST
sleep 0.1
links_before=$(ip -br link | grep -c "^ltv$TAG")
out=$(nt attach cc"$TAG" dup "$PC" --ports "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$P80\"}]}" 2>&1)
expect_contains "attach with a taken port fails" "port is already allocated" "$out"
expect_eq "nothing left by the failed attach (veths)" "$links_before" "$(ip -br link | grep -c "^ltv$TAG")"
expect_eq "nothing left by the failed attach (rows)" "0" \
        "$(sqlite3 "$ROOT/lade.db" "SELECT count(*) FROM net_endpoints WHERE container_id = 'cc$TAG'")"
check "no eth0 in the failed container" test -z "$(in_ns "$PC" ip -br link show eth0 2>/dev/null)"
out=$(nt attach cc"$TAG" dup "$PC" --network nosuchnet 2>&1)
expect_contains "unknown network" "network nosuchnet not found" "$out"
out=$(nt attach cc"$TAG" dup "$PC" --alias x 2>&1)
expect_contains "alias refused on the default network" "network-scoped alias is supported only" "$out"

# ---- user-defined network: CLI, names in hosts files ----
NID=$(lade network create --subnet "$USER_SUBNET" --label t=$TAG tnet) || fail "network create"
expect_eq "ls shows it" "tnet bridge local" "$(lade network ls --filter name=tnet --format '{{.Name}} {{.Driver}} {{.Scope}}')"
expect_eq "ls -q --filter id" "${NID:0:12}" "$(lade network ls -q --filter id="${NID:0:8}")"
expect_contains "ls table header" "NETWORK ID     NAME" "$(lade network ls)"
out=$(lade network create tnet 2>&1)
expect_contains "duplicate name" "network with name tnet already exists" "$out"
for c in cc dd; do
        mkdir -p "$ROOT/containers/$c$TAG"
        printf '127.0.0.1\tlocalhost\n' >"$ROOT/containers/$c$TAG/hosts"
done
INODE=$(stat -c %i "$ROOT/containers/cc$TAG/hosts")
sleeper; PD=$LAST
sleep 0.1
RC=$(nt attach cc"$TAG" cname "$PC" --network tnet --alias calias) || fail "attach C to tnet"
RD=$(nt attach dd"$TAG" dname "$PD" --network tnet --ip "${USER_SUBNET%.0/24}.77") || fail "attach D to tnet"
IPD=$(jget .IPAddress "$RD")
expect_eq "requested address" "${USER_SUBNET%.0/24}.77" "$IPD"
HC=$(cat "$ROOT/containers/cc$TAG/hosts")
expect_contains "C's hosts: D by name" "$IPD	dname" "$HC"
expect_contains "C's hosts: itself with its alias" "$(jget .IPAddress "$RC")	cname calias" "$HC"
expect_contains "C's hosts: original lines kept" "127.0.0.1	localhost" "$HC"
expect_contains "D's hosts: C and alias" "cname calias" "$(cat "$ROOT/containers/dd$TAG/hosts")"
expect_eq "hosts rewritten in place (same inode)" "$INODE" "$(stat -c %i "$ROOT/containers/cc$TAG/hosts")"
expect_contains "hosts entries API" "dname" "$(nt hosts cc"$TAG")"
check "C pings D" pings "$PC" "$IPD"
out=$(nt attach ee"$TAG" x "$PD" --network tnet --ip "$IPD" 2>&1)
expect_contains "requested address in use" "Address already in use" "$out"
expect_eq "inspect Containers" "cname dname" \
        "$(lade network inspect tnet | jq -r '[.[0].Containers[].Name] | sort | join(" ")')"
expect_eq "inspect -f" "$USER_SUBNET" "$(lade network inspect -f '{{json .IPAM.Config}}' tnet | jq -r '.[0].Subnet')"
out=$(lade network rm tnet 2>&1)
expect_contains "rm refused while in use" "error while removing network: network tnet id $NID has active endpoints" "$out"
nt disconnect tnet dd"$TAG" || fail "disconnect D"
check "D gone from C's hosts" test -z "$(grep dname "$ROOT/containers/cc$TAG/hosts")"
check "D's own block emptied" test -z "$(grep cname "$ROOT/containers/dd$TAG/hosts")"
nt detach cc"$TAG" || fail "detach C"
BR="$(lade network inspect -f '{{.Id}}' tnet | cut -c1-$((15 - ${#LADE_BRIDGE_PREFIX})))"
check "tnet's bridge exists while the network does" test -n "$(ip -br link show "${LADE_BRIDGE_PREFIX}$BR" 2>/dev/null)"
expect_eq "rm prints the name" "tnet" "$(lade network rm tnet)"
check "tnet's bridge removed with it" test -z "$(ip -br link show "${LADE_BRIDGE_PREFIX}$BR" 2>/dev/null)"
out=$(lade network rm bridge 2>&1)
expect_contains "predefined network" "bridge is a pre-defined network and cannot be removed" "$out"

# ---- --internal: no masquerade, no route out ----
lade network create --internal --subnet "$INT_SUBNET" inet >/dev/null || fail "create internal"
sleeper; PE=$LAST
sleep 0.1
nt attach ee"$TAG" ename "$PE" --network inet --ports '{"80/tcp":[{"HostIp":"","HostPort":""}]}' >/dev/null || fail "attach E"
check "no default route on an internal network" test -z "$(in_ns "$PE" ip route show default)"
MASQ=$(nft list set ip "$LADE_NFT_TABLE" masq)
check "internal subnet not masqueraded" test -z "$(grep "${INT_SUBNET%/24}" <<<"$MASQ")"
expect_contains "default subnet masqueraded" "10.$X.0.0/24" "$MASQ"
expect_contains "internal bridge in the internal set" "\"" "$(nft list set ip "$LADE_NFT_TABLE" internal | grep elements)"
nt detach ee"$TAG"
lade network rm inet >/dev/null || fail "rm inet"

# ---- parallel attaches get distinct addresses ----
PP=()
for i in $(seq 8); do sleeper; PP+=("$LAST"); done
sleep 0.2
JOBS=()
for i in $(seq 8); do
        nt attach "cp$i$TAG" "par$i" "${PP[$((i - 1))]}" >"$T/par$i.json" 2>"$T/par$i.err" &
        JOBS+=($!)
done
wait "${JOBS[@]}"
ADDRS=$(cat "$T"/par*.json | jq -r .IPAddress 2>/dev/null | sort)
expect_eq "8 parallel attaches succeed" "8" "$(grep -c . <<<"$ADDRS")"
[ "$(grep -c . <<<"$ADDRS")" = 8 ] || cat "$T"/par*.err
expect_eq "8 distinct addresses" "8" "$(sort -u <<<"$ADDRS" | grep -c .)"
for i in $(seq 8); do nt detach "cp$i$TAG" || fail "detach cp$i"; done

# ---- detach: veth, ports, allocation gone ----
nt detach ca"$TAG" || fail "detach A"
nt detach ca"$TAG" || fail "detach twice is fine"
nt detach cb"$TAG" || fail "detach B"
check "A's eth0 gone" test -z "$(in_ns "$PA" ip -br link show eth0 2>/dev/null)"
check "published port released" test -z "$(curl -s -m 2 "http://127.0.0.1:$P80/")"
expect_eq "no published-port elements left" "0" \
        "$(nft list table ip "$LADE_NFT_TABLE" | grep -c 'comment "c:')"
nt check-ports "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"$P80\"}]}" || fail "port free again after detach"
RA2=$(nt attach ca"$TAG" web "$PA") || fail "re-attach A"
expect_eq "address reused after release" "10.$X.0.2" "$(jget .IPAddress "$RA2")"
nt detach ca"$TAG"

# ---- nothing left ----
nt prune >/dev/null || fail "prune"
expect_eq "no endpoints in the DB" "0" "$(sqlite3 "$ROOT/lade.db" 'SELECT count(*) FROM net_endpoints')"
check "no veths or bridges left" test -z "$(ip -br link | grep -E "^(ltb|ltu|ltv)$TAG")"
check "no nftables table left" test -z "$(nft list tables | grep "$LADE_NFT_TABLE")"
for p in "${SRV[@]}"; do kill "$p" 2>/dev/null; done
sleep 0.2
check "no test server left" test -z "$(pgrep -f "httpd -f -p 80 -h $T/www")"
expect_eq "default network keeps its subnet" "10.$X.0.0/24" \
        "$(lade network inspect -f '{{json .IPAM.Config}}' bridge | jq -r '.[0].Subnet')"
finish
