/* Internals of the engine's networking, shared by the network*.c files:
 *   network-ipam.c     subnets, address pools, address allocation, MAC derivation (pure)
 *   network-ports.c    PortBindings/ExposedPorts -> NetPort list, host port allocation (pure
 *                      but for the host probe)
 *   network-netlink.c  bridge, veth, addresses and routes over rtnetlink (libmnl)
 *   network-nft.c      the lade nftables table (libnftables)
 *   network-db.c       the networks and net_endpoints tables of lade.db
 *   network-hosts.c    peers' names in the hosts files of containers on user networks
 *   network.c          attach/detach/check_ports, network-manage.c create/ls/inspect/rm/prune */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <sqlite3.h>

#include "err.h"
#include "network.h"

/* ---- IPAM (network-ipam.c) ---- */

/* An IPv4 subnet; addresses are in host byte order. */
typedef struct NetSubnet {
        uint32_t addr;   /* the network address (host bits zero) */
        uint8_t len;     /* prefix length 0..32 */
} NetSubnet;

/* Docker's default-address-pools entry: `base` carved into subnets of prefix `size`. */
typedef struct NetPool {
        NetSubnet base;
        uint8_t size;
} NetPool;

#define NET_POOLS_MAX 64
/* Docker's defaults: 172.17.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/16 in /20 steps. */
#define NET_POOLS_DEFAULT                                                                     \
        "172.17.0.0/16:16,172.18.0.0/16:16,172.19.0.0/16:16,172.20.0.0/14:16,"                  \
        "172.24.0.0/14:16,172.28.0.0/14:16,192.168.0.0/16:20"

int net_ip_parse(const char *s, uint32_t *ret);
void net_ip_format(uint32_t ip, char buf[static 16]);
/* "10.1.0.0/24": refuses host bits set ("10.1.0.5/24"), as Docker does for --subnet. */
int net_subnet_parse(const char *s, NetSubnet *ret, LadeError **err);
char *net_subnet_format(const NetSubnet *s);
uint32_t net_subnet_mask(const NetSubnet *s);
bool net_subnet_contains(const NetSubnet *s, uint32_t ip);
bool net_subnet_overlaps(const NetSubnet *a, const NetSubnet *b);
/* "BASE/LEN:SIZE,..." (LADE_NET_POOLS' syntax); at most NET_POOLS_MAX entries. */
int net_pools_parse(const char *spec, NetPool **ret, size_t *ret_n, LadeError **err);
/* The first subnet of the pools that overlaps none of `taken` (other networks and host routes).
 * -ENOSPC when every candidate is taken. */
int net_pool_pick(const NetPool *pools, size_t n, const NetSubnet *taken, size_t n_taken,
                  NetSubnet *ret);
/* The lowest address of s that is not the network address, the broadcast address, the gateway
 * or one of `used` (any order). -ENOSPC when the subnet is full. */
int net_ipam_pick(const NetSubnet *s, uint32_t gateway, const uint32_t *used, size_t n_used,
                  uint32_t *ret);
/* A requested address: inside s, not reserved, not used. Docker's messages. */
int net_ipam_check(const NetSubnet *s, uint32_t gateway, const uint32_t *used, size_t n_used,
                   uint32_t want, LadeError **err);
/* Docker's MAC for an address: 02:42 followed by the four bytes of the IPv4 address. */
void net_mac_from_ip(uint32_t ip, uint8_t mac[static 6]);
void net_mac_format(const uint8_t mac[static 6], char buf[static 18]);

/* ---- published ports (network-ports.c) ---- */

typedef enum NetProto {
        NET_PROTO_TCP,
        NET_PROTO_UDP,
        NET_PROTO_SCTP,
        _NET_PROTO_MAX,
        _NET_PROTO_INVALID = -EINVAL,
} NetProto;

typedef struct NetPort {
        NetProto proto;
        uint32_t host_ip;        /* 0: every address (0.0.0.0) */
        uint16_t host_lo, host_hi; /* allowed host ports; 0/0: the ephemeral range */
        uint16_t host_port;      /* the allocated one (0 until allocated) */
        uint16_t container_port;
} NetPort;

/* Bounds what one request may publish (each entry is one rule and one host port). */
#define NET_PORTS_MAX 4096

const char *net_proto_name(NetProto p);
NetProto net_proto_from_name(const char *s);
/* HostConfig.PortBindings ({"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}) plus, with
 * publish_all (-P), every key of exposed ({"80/tcp": {}}) not bound yet, to a random port.
 * Bindings and exposed may be NULL. */
int net_ports_parse(json_t *bindings, json_t *exposed, bool publish_all, NetPort **ret,
                    size_t *ret_n, LadeError **err);
/* true when a host binding proto/ip/port is free on the host (nothing bound there). */
typedef bool (*NetPortProbe)(NetProto proto, uint32_t ip, uint16_t port, void *userdata);
bool net_port_probe_host(NetProto proto, uint32_t ip, uint16_t port, void *userdata);
/* Sets host_port of each entry: fixed ports must be free of `used` (other containers' bindings),
 * of the entries before it and of the host (probe); ranges and random ports take the first free
 * port. Docker's "Bind for IP:PORT failed: port is already allocated". */
int net_ports_assign(NetPort *p, size_t n, const NetPort *used, size_t n_used, uint16_t eph_lo,
                     uint16_t eph_hi, NetPortProbe probe, void *userdata, LadeError **err);
/* /proc/sys/net/ipv4/ip_local_port_range, 32768-60999 when unreadable. */
void net_ports_ephemeral(uint16_t *lo, uint16_t *hi);
/* Docker's NetworkSettings.Ports: every exposed or bound key, null when not published. */
json_t *net_ports_settings_json(const NetPort *p, size_t n, json_t *bindings, json_t *exposed);
/* Persisted form: [{"p":"tcp","ip":"0.0.0.0","h":8080,"c":80}, ...] */
json_t *net_ports_to_json(const NetPort *p, size_t n);
int net_ports_from_json(json_t *j, NetPort **ret, size_t *ret_n);

/* ---- configuration from the environment (network-db.c) ---- */

typedef struct NetConfig {
        char *default_bridge;    /* LADE_BRIDGE_NAME, "lade0" */
        char *bridge_prefix;     /* LADE_BRIDGE_PREFIX, "br-": user networks' bridges */
        char *veth_prefix;       /* LADE_VETH_PREFIX, "veth" */
        char *table;             /* LADE_NFT_TABLE, else derived from the state root */
        char *pools;             /* LADE_NET_POOLS, NET_POOLS_DEFAULT */
} NetConfig;

void net_config_load(NetConfig *c, Engine *e);
void net_config_done(NetConfig *c);

/* ---- state (network-db.c) ---- */

typedef struct NetRow {
        char *id, *name, *driver, *subnet, *gateway, *bridge, *created;
        json_t *labels;
        bool internal, builtin;
} NetRow;

void net_row_done(NetRow *r);
void net_rows_free(NetRow *rows, size_t n);

int net_db_open(Engine *e, sqlite3 **ret, LadeError **err);
void net_random_hex(char *out, size_t n_hex);
/* By exact name, full id, or unique id prefix; Docker's "network X not found". */
int net_db_find(sqlite3 *db, const char *name_or_id, NetRow *ret, LadeError **err);
int net_db_list(sqlite3 *db, NetRow **ret, size_t *ret_n, LadeError **err);
int net_db_insert(sqlite3 *db, const NetRow *r, LadeError **err);
int net_db_set_subnet(sqlite3 *db, const char *id, const char *subnet, const char *gateway,
                      const char *bridge, LadeError **err);
int net_db_delete(sqlite3 *db, const char *id, LadeError **err);
/* Subnets of every network that has one. */
int net_db_subnets(sqlite3 *db, NetSubnet **ret, size_t *ret_n, LadeError **err);

typedef struct NetEndpoint {
        char *container_id, *network_id, *endpoint_id, *name, *ipv4, *mac, *host_if, *ifname;
        char **aliases;
        NetPort *ports;
        size_t n_ports;
} NetEndpoint;

void net_endpoint_done(NetEndpoint *ep);
void net_endpoints_free(NetEndpoint *eps, size_t n);
int net_db_endpoint_insert(sqlite3 *db, const NetEndpoint *ep, LadeError **err);
int net_db_endpoint_delete(sqlite3 *db, const char *container_id, const char *network_id,
                           LadeError **err);
/* Either filter may be NULL (all). */
int net_db_endpoints(sqlite3 *db, const char *container_id, const char *network_id,
                     NetEndpoint **ret, size_t *ret_n, LadeError **err);

/* ---- rtnetlink (network-netlink.c) ---- */

typedef struct NetLink NetLink;

/* A socket in our network namespace, or in the one of pid. */
int nl_open(pid_t pid, NetLink **ret, LadeError **err);
NetLink *nl_close(NetLink *nl);
DEFINE_TRIVIAL_CLEANUP_FUNC(NetLink *, nl_close)
/* ifindex, or -ENODEV. */
int nl_link_index(NetLink *nl, const char *name);
int nl_bridge_create(NetLink *nl, const char *name, LadeError **err);
int nl_link_up(NetLink *nl, int ifindex, LadeError **err);
int nl_link_delete(NetLink *nl, const char *name, LadeError **err);
int nl_addr_add(NetLink *nl, int ifindex, uint32_t ip, uint8_t prefix_len, LadeError **err);
/* A veth pair: host_name enslaved to master and up, the peer created in the network namespace
 * of ns_fd as peer_name with the given MAC. */
int nl_veth_create(NetLink *nl, const char *host_name, int master, const char *peer_name,
                   int ns_fd, const uint8_t mac[static 6], LadeError **err);
int nl_route_default(NetLink *nl, uint32_t gateway, int ifindex, LadeError **err);
/* 1 when the namespace has a default route, 0 when not. */
int nl_has_default_route(NetLink *nl, LadeError **err);
/* Destinations of the main table's IPv4 routes (the default route left out). */
int nl_routes(NetLink *nl, NetSubnet **ret, size_t *ret_n, LadeError **err);

/* ---- nftables (network-nft.c) ---- */

/* Makes the table and its fixed chains, sets and maps if missing. */
int net_nft_ensure(const char *table, LadeError **err);
/* Adds (add=true) or removes a network's bridge and subnet to/from the sets. */
int net_nft_network(const char *table, const char *bridge, const NetSubnet *subnet, bool internal,
                    bool add, LadeError **err);
/* Adds or removes a container's DNAT map entries (removal tolerates missing ones). */
int net_nft_ports(const char *table, const char *cid, uint32_t ip, const NetPort *p, size_t n,
                  bool add, LadeError **err);
int net_nft_delete_table(const char *table, LadeError **err);
/* Accepts (add) or stops accepting the bridge's forwarded traffic in table ip filter's
 * DOCKER-USER chain, or its FORWARD chain when that one drops by default (dockerd, ufw with
 * iptables-nft); nothing when neither exists. Idempotent. */
int net_nft_foreign_allow(const char *table, const char *bridge, bool add, LadeError **err);
/* Removes every such rule of the table's bridges. */
void net_nft_foreign_clear(const char *table);

/* ---- hosts (network-hosts.c) ---- */

/* Rewrites the managed block of each hosts file of the containers on network_id (NULL: on every
 * user network container_id is on, and container_id's own). In place (O_TRUNC), never renamed. */
int net_hosts_refresh(Engine *e, sqlite3 *db, const char *network_id, const char *container_id,
                      LadeError **err);
/* Replaces the block after NET_HOSTS_MARKER in text with block (NULL: none). */
char *net_hosts_splice(const char *text, const char *block);
#define NET_HOSTS_MARKER "# lade: containers on the same user-defined networks\n"

/* ---- shared by network.c and network-manage.c ---- */

/* Docker's Created: RFC 3339 with nanoseconds, UTC. */
char *net_now_rfc3339(void);
int net_sysctl_set(const char *path, const char *value, LadeError **err);
/* A subnet from the pools overlapping no other network and no host route. */
int net_pick_subnet(const NetConfig *c, sqlite3 *db, NetLink *nl, NetSubnet *ret, LadeError **err);
/* The table (if missing) and the network's elements in it. */
int net_nft_network_setup(const NetConfig *c, const NetRow *row, LadeError **err);
/* Removes the network's bridge and its nftables elements (both may be gone already). */
int net_network_teardown(const NetConfig *c, NetLink *nl, const NetRow *row, LadeError **err);
/* Deletes the nftables table when no lade bridge of this state root exists any more. */
int net_table_gc(const NetConfig *c, sqlite3 *db, NetLink *nl, LadeError **err);
/* Docker's /networks/{id} object, "Containers" from the endpoints. */
json_t *net_network_json(sqlite3 *db, const NetConfig *c, const NetRow *row);
/* Docker's object names: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool net_name_valid(const char *s);
