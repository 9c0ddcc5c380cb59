#!/bin/bash
# lade beside another firewall: dockerd leaves iptables-nft's FORWARD chain (table ip filter)
# with policy drop, a DOCKER-USER chain jumped to first, and br_netfilter on (bridged frames
# pass the forward hook too). Without lade's accept rules there, containers reach neither each
# other nor the outside. The whole host side runs in a network namespace of ours (lade under
# `nsenter --net`): its own filter table, bridge and a peer namespace standing for "outside".
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
for t in nsenter iptables nft busybox; do
        command -v $t >/dev/null || { echo "SKIP: needs $t"; exit 77; }
done
iptables -V 2>/dev/null | grep -q nf_tables || { echo "SKIP: iptables is not iptables-nft"; exit 77; }
NS=lzfw$$ PEER=lzfp$$
HTTPD=
fw_cleanup() {
        [ -n "$HTTPD" ] && kill "$HTTPD" 2>/dev/null
        if [ -e "/run/netns/$NS" ]; then
                ids=$(inns "$LADE" --root "$T/lade" ps -aq --no-trunc 2>/dev/null)
                [ -n "$ids" ] && inns "$LADE" --root "$T/lade" rm -f $ids >/dev/null 2>&1
                inns "$LADE" --root "$T/lade" network prune -f >/dev/null 2>&1
        fi
        ip netns del "$NS" 2>/dev/null
        ip netns del "$PEER" 2>/dev/null
        cleanup
}
trap fw_cleanup EXIT
inns() { nsenter --net="/run/netns/$NS" "$@"; }
lade() { inns "$LADE" --root "$T/lade" "$@"; }

ip netns add "$NS" && ip netns add "$PEER" || { echo "SKIP: cannot make network namespaces"; exit 77; }
inns ip link set lo up
ip link add "fa$$" type veth peer name "fb$$"
ip link set "fa$$" netns "$NS"
ip link set "fb$$" netns "$PEER"
ip -n "$NS" addr add 198.51.100.1/24 dev "fa$$"
ip -n "$NS" link set "fa$$" up
ip -n "$PEER" addr add 198.51.100.2/24 dev "fb$$"
ip -n "$PEER" link set "fb$$" up
ip -n "$PEER" link set lo up
mkdir -p "$T/www"
echo outside >"$T/www/index.html"
ip netns exec "$PEER" busybox httpd -f -p 8080 -h "$T/www" &
HTTPD=$!
# dockerd's shape of the filter table, in our namespace only
inns iptables -N DOCKER-USER
inns iptables -A DOCKER-USER -j RETURN
inns iptables -I FORWARD -j DOCKER-USER
inns iptables -P FORWARD DROP
brnf=0
if inns sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null; then brnf=1; fi

lade load -i "$BUSYBOX_IMAGE" >/dev/null
lade network create fwnet >/dev/null
lade run -d --name srv --network fwnet busybox sh -c 'mkdir /w; echo inside >/w/index.html; exec httpd -f -p 80 -h /w' >/dev/null
wget_from() { lade run --rm --network "$1" busybox timeout 5 wget -qO- "$2" 2>&1; }
for _ in $(seq 50); do [ "$(wget_from fwnet http://srv/)" = inside ] && break; sleep 0.1; done
expect_eq "a peer on the user network answers under FORWARD policy drop (br_netfilter $brnf)" inside "$(wget_from fwnet http://srv/)"
expect_eq "... and the outside is reached through NAT" outside "$(wget_from fwnet http://198.51.100.2:8080/)"
expect_eq "... from the default bridge too" outside "$(wget_from bridge http://198.51.100.2:8080/)"
# the user network's bridge: the only one with the user-bridge prefix in our namespace
bridge=$(inns ip -br link | awk '{print $1}' | grep "^${LADE_BRIDGE_PREFIX}" | head -n1)
rules=$(inns nft list chain ip filter DOCKER-USER)
expect_eq "three accept rules per bridge in DOCKER-USER" 3 "$(grep -c "lade $LADE_NFT_TABLE $bridge\"" <<<"$rules")"
expect_eq "... ahead of its RETURN (both bridges)" 6 "$(awk '/return/ {exit} /lade / {n++} END {print n + 0}' <<<"$rules")"
expect_eq "nothing of lade's in FORWARD itself while DOCKER-USER exists" 0 "$(inns nft list chain ip filter FORWARD | grep -c 'lade ')"

# the rules matter: without them the same request fails (from a running container: a new one's
# attach would put them back)
lade run -d --name cli --network fwnet busybox sleep 1000 >/dev/null
expect_eq "a running container reaches the outside" outside "$(lade exec cli timeout 5 wget -qO- http://198.51.100.2:8080/ 2>&1)"
handles=$(inns nft -a list chain ip filter DOCKER-USER | awk -v b="$bridge" '$0 ~ "lade .* " b "\"" {print $NF}')
for h in $handles; do inns nft delete rule ip filter DOCKER-USER handle "$h"; done
check "without lade's rules it does not (so the check can fail)" \
        test "$(lade exec cli timeout 3 wget -qO- http://198.51.100.2:8080/ 2>&1)" != outside
# ... and the next attach puts them back (dockerd may come up after lade's bridge)
expect_eq "the next container's attach restores them" outside "$(wget_from fwnet http://198.51.100.2:8080/)"
expect_eq "... exactly once" 3 "$(inns nft list chain ip filter DOCKER-USER | grep -c "lade $LADE_NFT_TABLE $bridge\"")"

# without DOCKER-USER, at the head of a FORWARD chain that drops (ufw's shape)
lade rm -f srv cli >/dev/null
lade network rm fwnet >/dev/null
expect_eq "removing the network removes its rules" 0 "$(inns nft list table ip filter | grep -c "lade $LADE_NFT_TABLE $bridge\"")"
inns iptables -D FORWARD -j DOCKER-USER
inns iptables -F DOCKER-USER
inns iptables -X DOCKER-USER
lade network create fwnet2 >/dev/null
expect_eq "FORWARD policy drop without DOCKER-USER: the outside is reached" outside "$(wget_from fwnet2 http://198.51.100.2:8080/)"
check "... through rules at the head of FORWARD" sh -c "nsenter --net=/run/netns/$NS nft list chain ip filter FORWARD | grep -q 'lade $LADE_NFT_TABLE'"
lade network rm fwnet2 >/dev/null
# a FORWARD that accepts needs nothing
inns iptables -P FORWARD ACCEPT
lade network create fwnet3 >/dev/null
expect_eq "FORWARD policy accept: reached" outside "$(wget_from fwnet3 http://198.51.100.2:8080/)"
br3=$(inns ip -br link | awk '{print $1}' | grep "^${LADE_BRIDGE_PREFIX}" | head -n1)
expect_eq "... and no rule added for its bridge" 0 "$(inns nft list table ip filter | grep -c "lade $LADE_NFT_TABLE $br3\"")"
lade network rm fwnet3 >/dev/null
lade network prune -f >/dev/null
finish
