/* The engine's networking: the default `bridge` network on bridge lade0, user-defined bridge
 * networks, veth pairs into containers' network namespaces, IPAM persisted in lade.db, NAT and
 * published ports in one nftables table, and peers' names in hosts files on user networks.
 * Netlink goes through libmnl and nftables through libnftables; nothing is shelled out.
 * `none`, `host` and `container:X` are the caller's business (they need no attach). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "engine.h"

typedef struct NetAttachRequest {
        const char *container_id, *container_name, *hostname;
        const char *network;     /* "bridge" (default network) or a user network name/id */
        char **aliases;          /* NULL-terminated or NULL: extra DNS names on user networks */
        const char *ipv4;        /* requested address or NULL */
        const char *mac;         /* requested MAC ("02:42:ac:11:00:02") or NULL: from the address */
        json_t *port_bindings;   /* Docker HostConfig.PortBindings, borrowed, may be NULL */
        json_t *exposed_ports;   /* Config.ExposedPorts merged with the image's, for -P */
        bool publish_all;        /* -P */
        pid_t pid;               /* a process inside the container's (already created) netns */
} NetAttachRequest;

typedef struct NetAttachResult {
        char *network_id, *ipv4, *gateway, *mac, *bridge;
        int prefix_len;
        /* Docker's NetworkSettings.Ports: {"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]} */
        json_t *ports;
} NetAttachResult;

void net_attach_result_clear(NetAttachResult *r);

/* A MAC for a container's interface ("02:42:ac:11:00:02"; '-' or "xxxx.xxxx.xxxx" too), not
 * multicast: "invalid MAC address X" otherwise. */
int engine_network_parse_mac(const char *s, uint8_t mac[static 6], LadeError **err);

/* Refuses, before anything is created, invalid bindings and host ports already taken (by
 * anything on the host or by another lade container): "Bind for 0.0.0.0:8080 failed: port is
 * already allocated". */
int engine_network_check_ports(Engine *e, json_t *port_bindings, LadeError **err);

/* Attaches the container whose network namespace req->pid is in: creates the network's bridge
 * and nftables entries if needed, a veth pair (eth0 inside, or the next free ethN when already
 * attached elsewhere), an address from the IPAM, the default route (not on --internal), Docker's
 * MAC, and the published ports; records the endpoint. On failure undoes everything it did. */
int engine_network_attach(Engine *e, const NetAttachRequest *req, NetAttachResult *ret,
                          LadeError **err);
/* Idempotent: removes the container's endpoints on every network (host veth, published ports,
 * the address), and its name from peers' hosts files. For stop, rm and crash recovery. */
int engine_network_detach(Engine *e, const char *container_id, LadeError **err);
/* The same for a monitor reporting an exit: each veth's name is gone when it returns, the rest of
 * the kernel's deletion goes on in a thread until engine_network_settle() (before the process
 * exits or forks). */
int engine_network_detach_nowait(Engine *e, const char *container_id, LadeError **err);
void engine_network_settle(void);

/* `network connect`: attach to one more network (ports are published on the first network
 * only, as Docker does). `network disconnect`: that one endpoint only. */
int engine_network_connect(Engine *e, const NetAttachRequest *req, NetAttachResult *ret,
                           LadeError **err);
int engine_network_disconnect(Engine *e, const char *network, const char *container_id,
                              LadeError **err);

/* `network create`: driver "bridge" (NULL) only; subnet/gateway NULL to pick from the pools.
 * Sets *ret_id to the new network's full ID. */
int engine_network_create(Engine *e, const char *name, const char *driver, const char *subnet,
                          const char *gateway, bool internal, json_t *labels, char **ret_id,
                          LadeError **err);
/* Array of Docker's /networks/{id} objects (with "Containers"), sorted by name. */
int engine_network_list(Engine *e, json_t **ret, LadeError **err);
int engine_network_inspect_json(Engine *e, const char *name_or_id, json_t **ret, LadeError **err);
/* Refuses predefined networks and networks with endpoints; deletes the bridge and its rules. */
int engine_network_remove(Engine *e, const char *name_or_id, LadeError **err);
/* Removes every user network without endpoints (names appended to *ret_names, a JSON array),
 * and takes down the default bridge and the nftables table while nothing uses them (they are
 * made again by the next attach; the default network keeps its subnet). */
int engine_network_prune(Engine *e, json_t **ret_names, LadeError **err);

/* The managed lines of container_id's hosts file: every container (itself included) on the user
 * networks it is on, "<ip>\t<name> <aliases...>"; "" when none. Caller frees. */
int engine_network_hosts_entries(Engine *e, const char *container_id, char **ret,
                                 LadeError **err);
/* Rewrites that block in <root>/containers/<id>/hosts in place (for the start path once the
 * file is written; attach and detach keep peers' files up to date themselves). */
int engine_network_hosts_update(Engine *e, const char *container_id, LadeError **err);
