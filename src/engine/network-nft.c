/* lade's nftables table (libnftables; one batch per call, so each change is atomic). The rules
 * are fixed; what varies lives in sets and maps, so a network or a container is added and removed
 * by element, exactly, with no rule handles to look up:
 *   bridges, internal (ifname)   lade bridges; those of --internal networks
 *   masq, subnets (ipv4 ranges)  subnets to masquerade (not --internal); every lade subnet
 *   intra (ifname . ifname)      "br . br": traffic that stays on one bridge
 *   pub_ip, pub_any (maps)       published ports: [host ip .] proto . port -> container ip . port,
 *                                each element commented with the container ID
 * Localhost publishing: DNAT in the output hook rewrites 127.0.0.1:P to the container; the bridge
 * has route_localnet=1 so the kernel routes it there, and post_nat masquerades 127.0.0.0/8
 * sources leaving via a lade bridge so the reply comes back to the gateway address. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <nftables/libnftables.h>

#include "json-util.h"
#include "log.h"
#include "network-internal.h"
#include "util.h"

static const char table_body[] =
        "table ip %s {\n"
        " set bridges { type ifname; }\n"
        " set internal { type ifname; }\n"
        " set masq { type ipv4_addr; flags interval; }\n"
        " set subnets { type ipv4_addr; flags interval; }\n"
        " set intra { type ifname . ifname; }\n"
        " map pub_any { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
        " map pub_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n"
        " chain publish {\n"
        "  dnat ip to ip daddr . meta l4proto . th dport map @pub_ip\n"
        "  dnat ip to meta l4proto . th dport map @pub_any\n"
        " }\n"
        " chain pre_nat { type nat hook prerouting priority dstnat; policy accept;\n"
        "  fib daddr type local jump publish\n"
        " }\n"
        " chain out_nat { type nat hook output priority -100; policy accept;\n"
        "  fib daddr type local jump publish\n"
        " }\n"
        " chain post_nat { type nat hook postrouting priority srcnat; policy accept;\n"
        "  ip saddr @masq oifname != @bridges masquerade\n"
        "  oifname @bridges ip saddr 127.0.0.0/8 masquerade\n"
        "  oifname @bridges ct status dnat ip saddr @subnets masquerade\n"
        " }\n"
        " chain filter_fwd { type filter hook forward priority filter; policy accept;\n"
        "  oifname @bridges ct state established,related accept\n"
        "  iifname . oifname @intra accept\n"
        "  iifname @internal drop\n"
        "  oifname @internal drop\n"
        "  iifname @bridges accept\n"
        "  oifname @bridges ct status dnat accept\n"
        " }\n"
        "}\n";

static void nft_ctx_freep(struct nft_ctx **c)
{
        if (*c)
                nft_ctx_free(*c);
}

/* Runs cmd as one transaction; on failure the error names what and nft's own message. */
static int run(const char *cmd, const char *what, LadeError **err)
{
        __attribute__((cleanup(nft_ctx_freep))) struct nft_ctx *c = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!c)
                return lade_error_msg(err, ENOMEM, "%s: cannot make an nftables context", what);
        (void) nft_ctx_buffer_output(c);
        (void) nft_ctx_buffer_error(c);
        if (nft_run_cmd_from_buffer(c, cmd) == 0)
                return 0;
        const char *msg = nft_ctx_get_error_buffer(c);
        log_debug("nftables: %s failed: %s\n%s", what, msg ? msg : "", cmd);
        _cleanup_free_ char *first = xstrndup(msg ? msg : "", msg ? strcspn(msg, "\n") : 0);
        return lade_error_msg(err, EIO, "%s: nftables: %s", what, *first ? first : "failed");
}

/* What cmd lists, as libnftables' JSON ("nftables" array, rule handles included); NULL when
 * the object does not exist. */
static json_t *list_json(const char *cmd)
{
        __attribute__((cleanup(nft_ctx_freep))) struct nft_ctx *c = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!c)
                return NULL;
        nft_ctx_output_set_flags(c, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
        (void) nft_ctx_buffer_output(c);
        (void) nft_ctx_buffer_error(c);
        if (nft_run_cmd_from_buffer(c, cmd) != 0)
                return NULL;
        const char *out = nft_ctx_get_output_buffer(c);
        json_t *root = out ? json_loads(out, 0, NULL) : NULL;
        json_t *a = json_incref(json_object_get(root, "nftables"));
        json_decref(root);
        return json_is_array(a) ? a : json_decref_null(a);
}

static bool valid_name(const char *s)
{
        /* names go into nft command text: keep them to identifier characters */
        return s && *s && strlen(s) <= 64 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
                       strlen(s);
}

int net_nft_ensure(const char *table, LadeError **err)
{
        if (!valid_name(table))
                return lade_error_msg(err, EINVAL, "invalid nftables table name '%s'", table);
        _cleanup_free_ char *body = xasprintf(table_body, table);
        _cleanup_free_ char *cmd = xasprintf("create table ip %s\n%s", table, body);
        /* create fails (and nothing of the batch applies) when the table is already there */
        if (run(cmd, "create the lade table", NULL) == 0)
                return 0;
        _cleanup_free_ char *list = xasprintf("list table ip %s", table);
        if (run(list, "list the lade table", NULL) == 0)
                return 0;
        return run(cmd, "create the lade table", err);
}

int net_nft_network(const char *table, const char *bridge, const NetSubnet *subnet, bool internal,
                    bool add, LadeError **err)
{
        if (!valid_name(table) || !valid_name(bridge))
                return lade_error_msg(err, EINVAL, "invalid nftables table or bridge name");
        _cleanup_free_ char *sub = net_subnet_format(subnet);
        const char *verb = add ? "add" : "delete";
        char *cmds[] = {
                xasprintf("%s element ip %s bridges { \"%s\" }", verb, table, bridge),
                xasprintf("%s element ip %s subnets { %s }", verb, table, sub),
                xasprintf("%s element ip %s intra { \"%s\" . \"%s\" }", verb, table, bridge, bridge),
                internal ? xasprintf("%s element ip %s internal { \"%s\" }", verb, table, bridge)
                         : xasprintf("%s element ip %s masq { %s }", verb, table, sub),
        };
        int r = 0;
        if (add) {
                _cleanup_free_ char *all = xasprintf("%s\n%s\n%s\n%s\n", cmds[0], cmds[1], cmds[2],
                                                     cmds[3]);
                r = run(all, "add the network's nftables elements", err);
        } else {
                /* one by one: what is already gone must not keep the rest */
                for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
                        (void) run(cmds[i], "remove the network's nftables elements", NULL);
                (void) net_nft_foreign_allow(table, bridge, false, NULL);
        }
        for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
                free(cmds[i]);
        return r;
}

static char *port_element(const char *table, const char *cid, uint32_t ip, const NetPort *p,
                          bool add)
{
        char hip[16], cip[16];
        net_ip_format(p->host_ip, hip);
        net_ip_format(ip, cip);
        const char *proto = net_proto_name(p->proto);
        _cleanup_free_ char *key = p->host_ip ? xasprintf("%s . %s . %u", hip, proto, p->host_port)
                                              : xasprintf("%s . %u", proto, p->host_port);
        const char *map = p->host_ip ? "pub_ip" : "pub_any";
        if (!add)
                return xasprintf("delete element ip %s %s { %s }\n", table, map, key);
        return xasprintf("add element ip %s %s { %s comment \"c:%.64s\" : %s . %u }\n", table, map,
                         key, cid, cip, p->container_port);
}

int net_nft_ports(const char *table, const char *cid, uint32_t ip, const NetPort *p, size_t n,
                  bool add, LadeError **err)
{
        if (n == 0)
                return 0;
        if (!valid_name(table) || !valid_name(cid))
                return lade_error_msg(err, EINVAL, "invalid nftables table or container name");
        _cleanup_free_ char *all = xstrdup("");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *el = port_element(table, cid, ip, &p[i], add);
                char *t = xasprintf("%s%s", all, el);
                free(all);
                all = t;
        }
        if (add)
                return run(all, "publish ports", err);
        if (run(all, "unpublish ports", NULL) == 0)
                return 0;
        /* some were gone already (a detach run twice): remove the rest one by one */
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *el = port_element(table, cid, ip, &p[i], false);
                (void) run(el, "unpublish port", NULL);
        }
        return 0;
}

int net_nft_delete_table(const char *table, LadeError **err)
{
        if (!valid_name(table))
                return lade_error_msg(err, EINVAL, "invalid nftables table name '%s'", table);
        net_nft_foreign_clear(table);
        _cleanup_free_ char *list = xasprintf("list table ip %s", table);
        if (run(list, "list the lade table", NULL) < 0)
                return 0;
        _cleanup_free_ char *cmd = xasprintf("delete table ip %s", table);
        return run(cmd, "delete the lade table", err);
}

/* ---- another firewall's forward chain ----
 * iptables-nft keeps dockerd's rules (and ufw's) in the table "ip filter". A packet is
 * forwarded only if every base chain on the forward hook accepts it: under dockerd's FORWARD
 * policy drop — with br_netfilter, which dockerd loads, even frames between two containers on
 * one bridge pass that hook — lade's containers would reach neither each other nor the outside.
 * As podman's netavark does, lade then accepts its bridges' traffic there too: in DOCKER-USER
 * (the chain dockerd leaves to its users, jumped to first) when it exists, else at the head of
 * a FORWARD chain whose policy is drop; nothing when neither is there. The rules mirror
 * filter_fwd (out of the bridge; replies and published ports into it), carry the comment
 * "lade TABLE BRIDGE" and go with the network. iptables-legacy's tables are out of reach of
 * nftables: docs/networking.md. */

/* One look at table ip filter: the chain lade's rules belong in, and the rules already there
 * whose comment is `comment` (or starts with it, with prefix). */
typedef struct Foreign {
        const char *chain;      /* "DOCKER-USER", "FORWARD" or NULL */
        char *deletes;          /* "delete rule …" lines for every matching rule */
        size_t matching, in_chain;
} Foreign;

static void foreign_scan(const char *comment, bool prefix, Foreign *f)
{
        *f = (Foreign) { 0 };
        _cleanup_json_ json_t *all = list_json("list table ip filter");
        bool user = false, fwd_drop = false;
        size_t in_user = 0, in_fwd = 0, i;
        json_t *o;
        json_array_foreach(all, i, o) {
                json_t *ch = json_object_get(o, "chain");
                const char *name = json_string_value(json_object_get(ch, "name"));
                if (streq_ptr(name, "DOCKER-USER"))
                        user = true;
                if (streq_ptr(name, "FORWARD") &&
                    streq_ptr(json_string_value(json_object_get(ch, "policy")), "drop"))
                        fwd_drop = true;
                json_t *rule = json_object_get(o, "rule");
                const char *com = json_string_value(json_object_get(rule, "comment"));
                const char *chain = json_string_value(json_object_get(rule, "chain"));
                json_t *handle = json_object_get(rule, "handle");
                if (!com || !chain || !json_is_integer(handle) || !valid_name(chain) ||
                    (prefix ? !startswith(com, comment) : !streq(com, comment)))
                        continue;
                char *line = xasprintf("%sdelete rule ip filter %s handle %" JSON_INTEGER_FORMAT "\n",
                                       f->deletes ? f->deletes : "", chain, json_integer_value(handle));
                free(f->deletes);
                f->deletes = line;
                f->matching++;
                in_user += streq(chain, "DOCKER-USER");
                in_fwd += streq(chain, "FORWARD");
        }
        f->chain = user ? "DOCKER-USER" : fwd_drop ? "FORWARD" : NULL;
        f->in_chain = user ? in_user : fwd_drop ? in_fwd : 0;
}

#define FOREIGN_RULES 3

int net_nft_foreign_allow(const char *table, const char *bridge, bool add, LadeError **err)
{
        if (!valid_name(table) || !valid_name(bridge))
                return lade_error_msg(err, EINVAL, "invalid nftables table or bridge name");
        _cleanup_free_ char *comment = xasprintf("lade %s %s", table, bridge);
        Foreign f;
        foreign_scan(comment, false, &f);
        _cleanup_free_ char *old = f.deletes;
        if (!add || !f.chain) {
                if (old)
                        (void) run(old, "remove lade's rules from the ip filter table", NULL);
                return 0;
        }
        /* already in place (each attach checks: dockerd may have come up since the bridge) */
        if (f.matching == FOREIGN_RULES && f.in_chain == FOREIGN_RULES)
                return 0;
        /* inserted in reverse: the chain then starts with them in this order */
        _cleanup_free_ char *cmd = xasprintf(
                "%s"
                "insert rule ip filter %s oifname \"%s\" ct status dnat accept comment \"%s\"\n"
                "insert rule ip filter %s oifname \"%s\" ct state established,related accept comment \"%s\"\n"
                "insert rule ip filter %s iifname \"%s\" accept comment \"%s\"\n",
                old ? old : "", f.chain, bridge, comment, f.chain, bridge, comment, f.chain, bridge, comment);
        return run(cmd, "accept the network's traffic in the ip filter table's forward chain", err);
}

void net_nft_foreign_clear(const char *table)
{
        if (!valid_name(table))
                return;
        _cleanup_free_ char *prefix = xasprintf("lade %s ", table);
        Foreign f;
        foreign_scan(prefix, true, &f);
        if (f.deletes)
                (void) run(f.deletes, "remove lade's rules from the ip filter table", NULL);
        free(f.deletes);
}
