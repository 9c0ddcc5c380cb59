/* Attaching containers to networks. Invariants:
 *   - an endpoint row exists for every veth and published port we made (the row is written, in
 *     the same write transaction as the address and port choice, before the kernel objects), so
 *     detach, which is idempotent, can always clean up after a crash;
 *   - address and port choices are made under the database write lock (BEGIN IMMEDIATE), so two
 *     parallel attaches never get the same address or host port;
 *   - a failed attach removes what it made, row included. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "image-db.h"
#include "json-util.h"
#include "engine-events.h"
#include "network-internal.h"
#include "util.h"

void net_attach_result_clear(NetAttachResult *r)
{
        free(r->network_id);
        free(r->ipv4);
        free(r->gateway);
        free(r->mac);
        free(r->bridge);
        json_decref(r->ports);
        *r = (NetAttachResult) { 0 };
}

bool net_name_valid(const char *s)
{
        if (!s || !*s || strlen(s) > 255 || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", s[0]))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
               strlen(s);
}

int net_sysctl_set(const char *path, const char *value, LadeError **err)
{
        _cleanup_free_ char *cur = NULL;
        if (read_file_at(AT_FDCWD, path, 64, &cur, NULL, NULL) == 0 &&
            strncmp(cur, value, strlen(value)) == 0 && cur[strlen(value)] == '\n')
                return 0;
        return write_file_at(AT_FDCWD, path, value, err);
}

int net_pick_subnet(const NetConfig *c, sqlite3 *db, NetLink *nl, NetSubnet *ret, LadeError **err)
{
        _cleanup_free_ NetPool *pools = NULL;
        _cleanup_free_ NetSubnet *taken = NULL, *routes = NULL;
        size_t n_pools, n_taken, n_routes;
        int r = net_pools_parse(c->pools, &pools, &n_pools, err);
        if (r < 0 || (r = net_db_subnets(db, &taken, &n_taken, err)) < 0 ||
            (r = nl_routes(nl, &routes, &n_routes, err)) < 0)
                return r;
        taken = xreallocarray(taken, n_taken + n_routes + 1, sizeof(*taken));
        if (n_routes > 0)
                memcpy(taken + n_taken, routes, n_routes * sizeof(*routes));
        if (net_pool_pick(pools, n_pools, taken, n_taken + n_routes, ret) < 0)
                return lade_error_msg(err, ENOSPC, "could not find an available, non-overlapping "
                                      "IPv4 address pool among the defaults to assign to the network");
        return 0;
}

/* The default network gets its subnet the first time it is used, and keeps it. */
static int ensure_subnet(const NetConfig *c, sqlite3 *db, NetLink *nl, NetRow *row,
                         LadeError **err)
{
        if (*row->subnet)
                return 0;
        NetSubnet s;
        int r = net_pick_subnet(c, db, nl, &s, err);
        if (r < 0)
                return r;
        char gw[16];
        net_ip_format(s.addr + 1, gw);
        free(row->subnet);
        free(row->gateway);
        free(row->bridge);
        row->subnet = net_subnet_format(&s);
        row->gateway = xstrdup(gw);
        row->bridge = xstrdup(c->default_bridge);
        return net_db_set_subnet(db, row->id, row->subnet, row->gateway, row->bridge, err);
}

/* The bridge (with the gateway address, up, route_localnet=1 for 127.0.0.1 publishing) and the
 * network's nftables elements; every step tolerates what already exists. */
static int ensure_network(const NetConfig *c, NetLink *nl, const NetRow *row, int *ret_index,
                          LadeError **err)
{
        NetSubnet s;
        uint32_t gw;
        int r = net_subnet_parse(row->subnet, &s, err);
        if (r < 0 || net_ip_parse(row->gateway, &gw) < 0)
                return r < 0 ? r : lade_error_msg(err, EINVAL, "invalid gateway %s", row->gateway);
        int idx = nl_link_index(nl, row->bridge);
        /* the bridge and the table's elements are made together under the lock: when the
         * bridge is there, so is the rest (publish() repairs a table flushed behind our back) */
        if (idx >= 0) {
                *ret_index = idx;
                return 0;
        }
        if (idx != -ENODEV)
                return lade_error(err, -idx, "find bridge %s", row->bridge);
        if ((r = nl_bridge_create(nl, row->bridge, err)) < 0)
                return r;
        if ((idx = nl_link_index(nl, row->bridge)) < 0)
                return lade_error(err, -idx, "find bridge %s", row->bridge);
        _cleanup_free_ char *localnet = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet",
                                                  row->bridge);
        if ((r = nl_addr_add(nl, idx, gw, s.len, err)) < 0 || (r = nl_link_up(nl, idx, err)) < 0 ||
            (r = net_sysctl_set(localnet, "1", err)) < 0 || (r = net_nft_network_setup(c, row, err)) < 0)
                return r;
        *ret_index = idx;
        return 0;
}

int net_nft_network_setup(const NetConfig *c, const NetRow *row, LadeError **err)
{
        NetSubnet s;
        int r = net_subnet_parse(row->subnet, &s, err);
        if (r < 0 || (r = net_nft_ensure(c->table, err)) < 0)
                return r;
        return net_nft_network(c->table, row->bridge, &s, row->internal, true, err);
}

/* ---- one attach ---- */

typedef struct Attach {
        Engine *e;
        const NetAttachRequest *req;
        NetConfig cfg;
        sqlite3 *db;
        NetLink *host, *ns;
        NetRow net;
        NetSubnet subnet;
        uint32_t ip, gw;
        uint8_t mac[6];
        NetEndpoint ep;
        bool recorded, veth_made, ports_made, in_tx;
        int bridge_index, ns_fd;
} Attach;

static void attach_done(Attach *a)
{
        if (a->in_tx)
                image_db_rollback(a->db);
        net_endpoint_done(&a->ep);
        net_row_done(&a->net);
        nl_close(a->host);
        nl_close(a->ns);
        image_db_close(a->db);
        safe_close(a->ns_fd);
        net_config_done(&a->cfg);
}

static int used_ips(Attach *a, uint32_t **ret, size_t *ret_n, LadeError **err)
{
        NetEndpoint *eps = NULL;
        size_t n = 0;
        int r = net_db_endpoints(a->db, NULL, a->net.id, &eps, &n, err);
        if (r < 0)
                return r;
        uint32_t *v = xreallocarray(NULL, n + 1, sizeof(uint32_t));
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (net_ip_parse(eps[i].ipv4, &v[k]) == 0)
                        k++;
        net_endpoints_free(eps, n);
        *ret = v;
        *ret_n = k;
        return 0;
}

static int pick_address(Attach *a, LadeError **err)
{
        _cleanup_free_ uint32_t *used = NULL;
        size_t n;
        int r = net_subnet_parse(a->net.subnet, &a->subnet, err);
        if (r < 0 || (r = used_ips(a, &used, &n, err)) < 0)
                return r;
        if (net_ip_parse(a->net.gateway, &a->gw) < 0)
                return lade_error_msg(err, EINVAL, "invalid gateway %s", a->net.gateway);
        if (a->req->ipv4 && *a->req->ipv4) {
                if (net_ip_parse(a->req->ipv4, &a->ip) < 0)
                        return lade_error_msg(err, EINVAL, "invalid IPv4 address: %s", a->req->ipv4);
                return net_ipam_check(&a->subnet, a->gw, used, n, a->ip, err);
        }
        if (net_ipam_pick(&a->subnet, a->gw, used, n, &a->ip) < 0)
                return lade_error_msg(err, ENOSPC, "no available IPv4 addresses on this network's "
                                      "address pools: %s (%s)", a->net.name, a->net.id);
        return 0;
}

/* Every binding of every endpoint: what other containers hold. */
static int used_ports(sqlite3 *db, NetPort **ret, size_t *ret_n, LadeError **err)
{
        NetEndpoint *eps = NULL;
        size_t n = 0, k = 0;
        int r = net_db_endpoints(db, NULL, NULL, &eps, &n, err);
        if (r < 0)
                return r;
        NetPort *v = NULL;
        for (size_t i = 0; i < n; i++) {
                v = xreallocarray(v, k + eps[i].n_ports + 1, sizeof(*v));
                if (eps[i].n_ports > 0)
                        memcpy(v + k, eps[i].ports, eps[i].n_ports * sizeof(*v));
                k += eps[i].n_ports;
        }
        net_endpoints_free(eps, n);
        *ret = v;
        *ret_n = k;
        return 0;
}

/* A host address to publish on must be one of ours (Docker: the proxy's bind fails). */
static int check_host_ips(const NetPort *p, size_t n, LadeError **err)
{
        for (size_t i = 0; i < n; i++) {
                if (p[i].host_ip == 0 || (i > 0 && p[i].host_ip == p[i - 1].host_ip))
                        continue;
                _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(p[i].host_ip) };
                if (fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 &&
                    errno == EADDRNOTAVAIL) {
                        char ip[16];
                        net_ip_format(p[i].host_ip, ip);
                        return lade_error_msg(err, EADDRNOTAVAIL, "listen %s4 %s:%u: bind: cannot "
                                              "assign requested address", net_proto_name(p[i].proto),
                                              ip, p[i].host_lo);
                }
        }
        return 0;
}

static int assign_ports(sqlite3 *db, NetPort *p, size_t n, LadeError **err)
{
        _cleanup_free_ NetPort *used = NULL;
        size_t n_used;
        uint16_t lo, hi;
        int r = check_host_ips(p, n, err);
        if (r < 0 || (r = used_ports(db, &used, &n_used, err)) < 0)
                return r;
        net_ports_ephemeral(&lo, &hi);
        return net_ports_assign(p, n, used, n_used, lo, hi, net_port_probe_host, NULL, err);
}

int engine_network_check_ports(Engine *e, json_t *port_bindings, LadeError **err)
{
        _cleanup_free_ NetPort *p = NULL;
        size_t n;
        int r = net_ports_parse(port_bindings, NULL, false, &p, &n, err);
        if (r < 0 || n == 0)
                return r;
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        if ((r = net_db_open(e, &db, err)) < 0)
                return r;
        return assign_ports(db, p, n, err);
}

static int validate_request(const NetAttachRequest *req, LadeError **err)
{
        if (!req->container_id || !net_name_valid(req->container_id) || strlen(req->container_id) > 64)
                return lade_error_msg(err, EINVAL, "invalid container ID '%s'",
                                      req->container_id ? req->container_id : "");
        if (!req->container_name || !*req->container_name)
                return lade_error_msg(err, EINVAL, "container %s has no name", req->container_id);
        if (req->pid <= 0)
                return lade_error_msg(err, EINVAL, "no process in the container's network namespace");
        for (char **al = req->aliases; al && *al; al++)
                if (!**al || strlen(*al) > 255 || strpbrk(*al, " \t\n#"))
                        return lade_error_msg(err, EINVAL, "invalid network alias '%s'", *al);
        return 0;
}

static int check_network(Attach *a, LadeError **err)
{
        if (!streq(a->net.driver, "bridge"))
                return lade_error_msg(err, EINVAL, "container cannot be attached to the %s network "
                                      "this way: it is configured by the caller", a->net.name);
        bool user = !a->net.builtin;
        if (!user && a->req->aliases && a->req->aliases[0])
                return lade_error_msg(err, EINVAL, "network-scoped alias is supported only for "
                                      "containers in user defined networks");
        if (!user && a->req->ipv4 && *a->req->ipv4)
                return lade_error_msg(err, EINVAL, "user specified IP address is supported on user "
                                      "defined networks only");
        NetEndpoint *eps = NULL;
        size_t n = 0;
        int r = net_db_endpoints(a->db, a->req->container_id, a->net.id, &eps, &n, err);
        net_endpoints_free(eps, n);
        if (r < 0)
                return r;
        if (n > 0)
                return lade_error_msg(err, EEXIST, "endpoint with name %s already exists in network %s",
                                      a->req->container_name, a->net.name);
        return 0;
}

/* Ports are published on the container's first network only (Docker's rule). */
static int plan_ports(Attach *a, LadeError **err)
{
        NetEndpoint *eps = NULL;
        size_t n = 0;
        int r = net_db_endpoints(a->db, a->req->container_id, NULL, &eps, &n, err);
        net_endpoints_free(eps, n);
        if (r < 0 || n > 0 || a->net.internal)
                return r;
        r = net_ports_parse(a->req->port_bindings, a->req->exposed_ports, a->req->publish_all,
                            &a->ep.ports, &a->ep.n_ports, err);
        return r < 0 ? r : assign_ports(a->db, a->ep.ports, a->ep.n_ports, err);
}

/* eth0, or the next free ethN when the container is on other networks already. */
static int pick_ifname(Attach *a, LadeError **err)
{
        for (int k = 0; k < 1000; k++) {
                char name[16];
                snprintf(name, sizeof(name), "eth%d", k);
                int r = nl_link_index(a->ns, name);
                if (r == -ENODEV) {
                        a->ep.ifname = xstrdup(name);
                        return 0;
                }
                if (r < 0)
                        return lade_error(err, -r, "look up %s in the container", name);
        }
        return lade_error_msg(err, ENOSPC, "no free interface name in the container");
}

static int record_endpoint(Attach *a, LadeError **err)
{
        char ip[16], mac[18], hex[16];
        net_ip_format(a->ip, ip);
        if (a->req->mac) {
                int r = engine_network_parse_mac(a->req->mac, a->mac, err);
                if (r < 0)
                        return r;
        } else
                net_mac_from_ip(a->ip, a->mac);
        net_mac_format(a->mac, mac);
        size_t room = 15 - strlen(a->cfg.veth_prefix) > 7 ? 7 : 15 - strlen(a->cfg.veth_prefix);
        net_random_hex(hex, room);
        a->ep.container_id = xstrdup(a->req->container_id);
        a->ep.network_id = xstrdup(a->net.id);
        char eid[65];
        net_random_hex(eid, 64);
        a->ep.endpoint_id = xstrdup(eid);
        a->ep.name = xstrdup(a->req->container_name);
        a->ep.aliases = strv_copy(a->req->aliases);
        a->ep.ipv4 = xstrdup(ip);
        a->ep.mac = xstrdup(mac);
        a->ep.host_if = xasprintf("%s%s", a->cfg.veth_prefix, hex);
        int r = net_db_endpoint_insert(a->db, &a->ep, err);
        if (r == 0)
                a->recorded = true;
        return r;
}

/* Under the write lock: the network's subnet and kernel side, an address, ports, the row. */
static int plan(Attach *a, LadeError **err)
{
        const char *network = a->req->network && *a->req->network ? a->req->network : "bridge";
        int r;
        if ((r = net_db_open(a->e, &a->db, err)) < 0 || (r = nl_open(0, &a->host, err)) < 0 ||
            (r = nl_open(a->req->pid, &a->ns, err)) < 0 || (r = image_db_begin(a->db, err)) < 0)
                return r;
        a->in_tx = true;
        if ((r = net_db_find(a->db, network, &a->net, err)) < 0 || (r = check_network(a, err)) < 0 ||
            (r = ensure_subnet(&a->cfg, a->db, a->host, &a->net, err)) < 0 ||
            (r = ensure_network(&a->cfg, a->host, &a->net, &a->bridge_index, err)) < 0 ||
            (r = pick_address(a, err)) < 0 || (r = plan_ports(a, err)) < 0 ||
            (r = pick_ifname(a, err)) < 0 || (r = record_endpoint(a, err)) < 0)
                return r;
        if (!a->net.builtin && (r = net_hosts_refresh(a->e, a->db, a->net.id, a->req->container_id, err)) < 0)
                return r;
        a->in_tx = false;
        return image_db_commit(a->db, err);
}

/* The container's published ports; when the table is gone (a firewall reload flushed the
 * ruleset), the network's part is made again and the ports retried once. */
static int publish(Attach *a, LadeError **err)
{
        if (a->ep.n_ports == 0)
                return 0;
        if (net_nft_ports(a->cfg.table, a->req->container_id, a->ip, a->ep.ports, a->ep.n_ports,
                          true, NULL) == 0)
                return 0;
        int r = net_nft_network_setup(&a->cfg, &a->net, err);
        if (r < 0)
                return r;
        return net_nft_ports(a->cfg.table, a->req->container_id, a->ip, a->ep.ports, a->ep.n_ports,
                             true, err);
}

int net_network_teardown(const NetConfig *c, NetLink *nl, const NetRow *row, LadeError **err)
{
        NetSubnet s;
        if (!*row->subnet || !*row->bridge || net_subnet_parse(row->subnet, &s, NULL) < 0)
                return 0;
        (void) net_nft_network(c->table, row->bridge, &s, row->internal, false, NULL);
        return nl_link_delete(nl, row->bridge, err);
}

int net_table_gc(const NetConfig *c, sqlite3 *db, NetLink *nl, LadeError **err)
{
        NetRow *rows = NULL;
        size_t n = 0;
        int r = net_db_list(db, &rows, &n, err);
        if (r < 0)
                return r;
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
                any = *rows[i].bridge && nl_link_index(nl, rows[i].bridge) >= 0;
        net_rows_free(rows, n);
        return any ? 0 : net_nft_delete_table(c->table, err);
}

static int configure(Attach *a, LadeError **err)
{
        _cleanup_free_ char *nspath = xasprintf("/proc/%d/ns/net", (int) a->req->pid);
        a->ns_fd = open(nspath, O_RDONLY | O_CLOEXEC);
        if (a->ns_fd < 0)
                return lade_error(err, errno, "open %s", nspath);
        int r = nl_veth_create(a->host, a->ep.host_if, a->bridge_index, a->ep.ifname, a->ns_fd,
                               a->mac, err);
        if (r < 0)
                return r;
        a->veth_made = true;
        int idx = nl_link_index(a->ns, a->ep.ifname);
        if (idx < 0)
                return lade_error(err, -idx, "find %s in the container", a->ep.ifname);
        if ((r = nl_addr_add(a->ns, idx, a->ip, a->subnet.len, err)) < 0 ||
            (r = nl_link_up(a->ns, idx, err)) < 0)
                return r;
        /* an --internal network has no way out: no default route through it */
        if (!a->net.internal) {
                if ((r = nl_has_default_route(a->ns, err)) < 0)
                        return r;
                if (r == 0 && (r = nl_route_default(a->ns, a->gw, idx, err)) < 0)
                        return r;
        }
        if ((r = net_sysctl_set("/proc/sys/net/ipv4/ip_forward", "1", err)) < 0 ||
            (r = net_nft_foreign_allow(a->cfg.table, a->net.bridge, true, err)) < 0)
                return r;
        a->ports_made = true;
        return publish(a, err);
}

static void undo(Attach *a)
{
        if (a->ports_made)
                (void) net_nft_ports(a->cfg.table, a->ep.container_id, a->ip, a->ep.ports,
                                     a->ep.n_ports, false, NULL);
        if (a->veth_made && a->host)
                (void) nl_link_delete(a->host, a->ep.host_if, NULL);
        if (!a->recorded || a->in_tx)
                return;
        if (image_db_begin(a->db, NULL) < 0)
                return;
        (void) net_db_endpoint_delete(a->db, a->ep.container_id, a->ep.network_id, NULL);
        if (!a->net.builtin)
                (void) net_hosts_refresh(a->e, a->db, a->net.id, a->ep.container_id, NULL);
        (void) image_db_commit(a->db, NULL);
}

static void fill_result(Attach *a, NetAttachResult *ret)
{
        *ret = (NetAttachResult) { 0 };
        ret->network_id = xstrdup(a->net.id);
        ret->ipv4 = xstrdup(a->ep.ipv4);
        ret->gateway = xstrdup(a->net.gateway);
        ret->mac = xstrdup(a->ep.mac);
        ret->bridge = xstrdup(a->net.bridge);
        ret->prefix_len = a->subnet.len;
        ret->ports = net_ports_settings_json(a->ep.ports, a->ep.n_ports, a->req->port_bindings,
                                             a->req->exposed_ports);
}

int engine_network_attach(Engine *e, const NetAttachRequest *req, NetAttachResult *ret,
                          LadeError **err)
{
        Attach a = { .e = e, .req = req, .ns_fd = -EBADF };
        int r = validate_request(req, err);
        if (r < 0)
                return r;
        net_config_load(&a.cfg, e);
        r = plan(&a, err);
        if (r == 0)
                r = configure(&a, err);
        if (r < 0)
                undo(&a);
        else
                fill_result(&a, ret);
        if (r == 0)
                engine_network_event(e, a.net.id, a.net.name, a.net.driver, "connect", req->container_id);
        attach_done(&a);
        return r;
}

int engine_network_connect(Engine *e, const NetAttachRequest *req, NetAttachResult *ret,
                           LadeError **err)
{
        return engine_network_attach(e, req, ret, err);
}

/* ---- detach ---- */

/* Deleting a veth costs the kernel ~25 ms of RCU grace periods, spent in the deleting
 * process's sendmsg after the name is already gone from the namespace. A monitor reporting an
 * exit need not wait for that part: it deletes in a thread, waits only until the name is
 * unlisted (a few ms), and joins the threads later (engine_network_settle). */
typedef struct PendingDelete {
        pthread_t thread;
        char ifname[IFNAMSIZ];
        struct PendingDelete *next;
} PendingDelete;

static PendingDelete *pending;

static void *delete_link_thread(void *arg)
{
        PendingDelete *p = arg;
        _cleanup_(nl_closep) NetLink *nl = NULL;
        if (nl_open(0, &nl, NULL) == 0)
                (void) nl_link_delete(nl, p->ifname, NULL);
        return NULL;
}

static int delete_link_nowait(const char *ifname, LadeError **err)
{
        if (strlen(ifname) >= IFNAMSIZ || if_nametoindex(ifname) == 0)
                return 0;
        PendingDelete *p = xmalloc0(sizeof(*p));
        memcpy(p->ifname, ifname, strlen(ifname) + 1);
        int r = pthread_create(&p->thread, NULL, delete_link_thread, p);
        if (r != 0) {
                free(p);
                return lade_error(err, r, "start deleting link %s", ifname);
        }
        p->next = pending;
        pending = p;
        /* the name goes at the start of the kernel's work; give up waiting after ~2 s */
        for (int i = 0; i < 8000 && if_nametoindex(ifname) != 0; i++)
                (void) usleep(250);
        return 0;
}

void engine_network_settle(void)
{
        while (pending) {
                PendingDelete *p = pending;
                pending = p->next;
                (void) pthread_join(p->thread, NULL);
                free(p);
        }
}

/* The kernel side first, the row last: if we die in between, the next detach finds the row. */
static int detach_one(Engine *e, const NetConfig *c, sqlite3 *db, NetLink *nl,
                      const NetEndpoint *ep, bool nowait, LadeError **err)
{
        uint32_t ip = 0;
        (void) net_ip_parse(ep->ipv4, &ip);
        int r = nowait ? delete_link_nowait(ep->host_if, err) : nl_link_delete(nl, ep->host_if, err);
        if (r < 0)
                return r;
        (void) net_nft_ports(c->table, ep->container_id, ip, ep->ports, ep->n_ports, false, NULL);
        if ((r = image_db_begin(db, err)) < 0)
                return r;
        NetRow row = { 0 };
        bool user = net_db_find(db, ep->network_id, &row, NULL) == 0 && !row.builtin;
        r = net_db_endpoint_delete(db, ep->container_id, ep->network_id, err);
        if (r == 0 && user)
                r = net_hosts_refresh(e, db, ep->network_id, ep->container_id, err);
        if (r < 0)
                image_db_rollback(db);
        else
                r = image_db_commit(db, err);
        if (r == 0)
                engine_network_event(e, ep->network_id, row.name, row.driver, "disconnect", ep->container_id);
        net_row_done(&row);
        return r;
}

static int detach_matching(Engine *e, const char *container_id, const char *network_id,
                           bool nowait, LadeError **err)
{
        NetConfig c;
        net_config_load(&c, e);
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        _cleanup_(nl_closep) NetLink *nl = NULL;
        NetEndpoint *eps = NULL;
        size_t n = 0;
        int r = net_db_open(e, &db, err);
        if (r == 0)
                r = nl_open(0, &nl, err);
        if (r == 0)
                r = net_db_endpoints(db, container_id, network_id, &eps, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = detach_one(e, &c, db, nl, &eps[i], nowait, err);
        net_endpoints_free(eps, n);
        net_config_done(&c);
        return r;
}

int engine_network_detach(Engine *e, const char *container_id, LadeError **err)
{
        if (!container_id || !*container_id)
                return lade_error_msg(err, EINVAL, "no container ID");
        return detach_matching(e, container_id, NULL, false, err);
}

int engine_network_detach_nowait(Engine *e, const char *container_id, LadeError **err)
{
        if (!container_id || !*container_id)
                return lade_error_msg(err, EINVAL, "no container ID");
        return detach_matching(e, container_id, NULL, true, err);
}

int engine_network_disconnect(Engine *e, const char *network, const char *container_id,
                              LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        NetRow row = { 0 };
        int r = net_db_open(e, &db, err);
        if (r < 0 || (r = net_db_find(db, network, &row, err)) < 0)
                return r;
        NetEndpoint *eps = NULL;
        size_t n = 0;
        r = net_db_endpoints(db, container_id, row.id, &eps, &n, err);
        net_endpoints_free(eps, n);
        if (r == 0 && n == 0)
                r = lade_error_msg(err, ENOENT, "container %s is not connected to network %s",
                                   container_id, network);
        if (r == 0)
                r = detach_matching(e, container_id, row.id, false, err);
        net_row_done(&row);
        return r;
}
