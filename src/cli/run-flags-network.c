/* --network and its companions (--network-alias, --link, --ip, --ip6, --mac-address,
 * --link-local-ip): opts.NetworkOpt for the value, parseNetworkOpts() of the docker CLI for
 * NetworkingConfig.EndpointsConfig. The first network takes the companion flags; a single
 * network without endpoint settings is left out, as docker leaves it out. */
#include <ctype.h>
#include <string.h>

#include "json-util.h"
#include "run-flags-internal.h"
#include "util.h"

/* The long syntax is chosen when the value contains \w=\w anywhere (an unanchored regexp). */
static bool net_long_syntax(const char *v)
{
        for (const char *p = strchr(v, '='); p; p = strchr(p + 1, '='))
                if (p > v && (isalnum((unsigned char) p[-1]) || p[-1] == '_') &&
                    (isalnum((unsigned char) p[1]) || p[1] == '_'))
                        return true;
        return false;
}

static char *lower_trim(const char *s)
{
        _cleanup_free_ char *l = xstrdup(s);
        for (char *p = l; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return go_trim_space(l);
}

static void replace_str(char **dst, const char *v)
{
        free(*dst);
        *dst = xstrdup(v);
}

void run_net_attach_done(NetAttach *n)
{
        free(n->target);
        strv_free(n->aliases);
        json_decref(n->driver_opts);
        strv_free(n->links);
        free(n->ipv4);
        free(n->ipv6);
        free(n->mac);
        strv_free(n->link_local_ips);
        *n = (NetAttach) {};
}

static int net_driver_opt(NetAttach *n, const char *val, LadeError **err)
{
        const char *eq = strchr(val, '=');
        if (!eq || eq == val)
                return lade_error_msg(err, EINVAL, "invalid key value pair format in driver options");
        _cleanup_free_ char *raw = xstrndup(val, (size_t) (eq - val));
        _cleanup_free_ char *k = lower_trim(raw), *v = lower_trim(eq + 1);
        if (!n->driver_opts)
                n->driver_opts = json_object();
        json_object_set_new(n->driver_opts, k, json_string(v));
        return 0;
}

static int net_field(NetAttach *n, const char *key, const char *val, LadeError **err)
{
        const char *reason;
        if (streq(key, "name"))
                replace_str(&n->target, val);
        else if (streq(key, "alias"))
                n->aliases = strv_append(n->aliases, val);
        else if (streq(key, "ip"))
                replace_str(&n->ipv4, val);
        else if (streq(key, "ip6"))
                replace_str(&n->ipv6, val);
        else if (streq(key, "mac-address"))
                replace_str(&n->mac, val);
        else if (streq(key, "link-local-ip"))
                n->link_local_ips = strv_append(n->link_local_ips, val);
        else if (streq(key, "driver-opt"))
                return net_driver_opt(n, val, err);
        else if (streq(key, "gw-priority")) {
                if (go_atoi(val, &n->gw_priority, &reason) < 0)
                        return lade_error_msg(err, EINVAL, "invalid gw-priority (%s): %s", val, reason);
        } else
                return lade_error_msg(err, EINVAL, "invalid field key %s", key);
        return 0;
}

static int net_parse_long(NetAttach *n, const char *value, LadeError **err)
{
        _cleanup_strv_free_ char **fields = NULL;
        _cleanup_free_ char *msg = NULL;
        if (go_csv_record(value, &fields, &msg) < 0)
                return lade_error_msg(err, EINVAL, "%s", msg);
        for (char **f = fields; *f; f++) {
                _cleanup_free_ char *low = xstrdup(*f);
                for (char *p = low; *p; p++)
                        *p = (char) tolower((unsigned char) *p);
                char *eq = strchr(low, '=');
                if (!eq || eq == low)
                        return lade_error_msg(err, EINVAL, "invalid field %s", *f);
                *eq = '\0';
                _cleanup_free_ char *k = go_trim_space(low), *v = go_trim_space(eq + 1);
                int r = net_field(n, k, v, err);
                if (r < 0)
                        return r;
        }
        if (!n->target || !*n->target)
                return lade_error_msg(err, EINVAL, "network name/id is not specified");
        return 0;
}

int run_set_network(RunOpts *o, RunOpt opt, const char *value, LadeError **err)
{
        NetAttach n = {};
        int r = 0;
        if (net_long_syntax(value))
                r = net_parse_long(&n, value, err);
        else
                n.target = xstrdup(value);
        if (r < 0) {
                run_net_attach_done(&n);
                return r;
        }
        o->nets = xreallocarray(o->nets, o->n_nets + 1, sizeof(NetAttach));
        o->nets[o->n_nets++] = n;
        return 0;
}

static bool net_user_defined(const char *t)
{
        return !streq(t, "default") && !streq(t, "bridge") && !streq(t, "host") &&
               !streq(t, "none") && !startswith(t, "container:");
}

static int conflict(const char *what, LadeError **err)
{
        return lade_error_msg(err, EINVAL, "conflicting options: cannot specify both %s", what);
}

/* applyContainerOptions: the companion flags apply to the first network. */
static int net_apply_flags(NetAttach *n, const RunOpts *o, LadeError **err)
{
        char **aliases = o->v[OPT_NETWORK_ALIAS].list, **links = o->v[OPT_LINK].list;
        char **llips = o->v[OPT_LINK_LOCAL_IP].list;
        const char *ip = o->v[OPT_IP].s, *ip6 = o->v[OPT_IP6].s, *mac = o->v[OPT_MAC_ADDRESS].s;
        if (n->aliases && *n->aliases && aliases)
                return conflict("--network-alias and per-network alias", err);
        if (n->links && *n->links && links)
                return conflict("--link and per-network links", err);
        if (n->ipv4 && *n->ipv4 && ip && *ip)
                return conflict("--ip and per-network IPv4 address", err);
        if (n->ipv6 && *n->ipv6 && ip6 && *ip6)
                return conflict("--ip6 and per-network IPv6 address", err);
        if (n->mac && *n->mac && mac && *mac)
                return conflict("--mac-address and per-network MAC address", err);
        if (n->link_local_ips && *n->link_local_ips && llips)
                return conflict("--link-local-ip and per-network link-local IP addresses", err);
        if (aliases) {
                strv_free(n->aliases);
                n->aliases = strv_copy(aliases);
        }
        if (net_user_defined(n->target) && links) {
                strv_free(n->links);
                n->links = strv_copy(links);
        }
        if (ip && *ip)
                replace_str(&n->ipv4, ip);
        if (ip6 && *ip6)
                replace_str(&n->ipv6, ip6);
        if (mac && *mac)
                replace_str(&n->mac, mac);
        if (llips) {
                strv_free(n->link_local_ips);
                n->link_local_ips = strv_copy(llips);
        }
        return 0;
}

static json_t *strv_json(char **v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static bool nonempty(const char *s)
{
        return s && *s;
}

static json_t *endpoint_ipam(const NetAttach *n)
{
        if (!nonempty(n->ipv4) && !nonempty(n->ipv6) && strv_length(n->link_local_ips) == 0)
                return json_null();
        json_t *ipam = json_object();
        if (nonempty(n->ipv4))
                json_object_set_new(ipam, "IPv4Address", json_string(n->ipv4));
        if (nonempty(n->ipv6))
                json_object_set_new(ipam, "IPv6Address", json_string(n->ipv6));
        if (strv_length(n->link_local_ips) > 0)
                json_object_set_new(ipam, "LinkLocalIPs", strv_json(n->link_local_ips));
        return ipam;
}

/* parseNetworkAttachmentOpt -> a network.EndpointSettings; *zero says it has no settings. */
static int endpoint_settings(const NetAttach *n, json_t **ret, bool *zero, LadeError **err)
{
        _cleanup_free_ char *t = go_trim_space(n->target);
        if (!*t)
                return lade_error_msg(err, EINVAL, "no name set for network");
        bool has_aliases = strv_length(n->aliases) > 0, has_links = strv_length(n->links) > 0;
        if (!net_user_defined(n->target) && has_aliases)
                return lade_error_msg(err, EINVAL, "network-scoped aliases are only supported for "
                                      "user-defined networks");
        if (!net_user_defined(n->target) && has_links)
                return lade_error_msg(err, EINVAL, "links are only supported for user-defined networks");
        if (nonempty(n->mac) && !go_parse_mac(n->mac))
                return lade_error_msg(err, EINVAL, "%s is not a valid mac address", n->mac);
        bool has_opts = n->driver_opts && json_object_size(n->driver_opts) > 0;
        json_t *ipam = endpoint_ipam(n);
        *zero = !has_aliases && !has_links && !has_opts && json_is_null(ipam) &&
                !nonempty(n->mac) && n->gw_priority == 0;
        *ret = json_pack("{s:o,s:o,s:o,s:s,s:o,s:I,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:n}",
                         "IPAMConfig", ipam,
                         "Links", has_links ? strv_json(n->links) : json_null(),
                         "Aliases", has_aliases ? strv_json(n->aliases) : json_null(),
                         "MacAddress", n->mac ?: "",
                         "DriverOpts", has_opts ? json_incref(n->driver_opts) : json_null(),
                         "GwPriority", (json_int_t) n->gw_priority, "NetworkID", "",
                         "EndpointID", "", "Gateway", "", "IPAddress", "", "IPPrefixLen", 0,
                         "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
                         "DNSNames");
        return 0;
}

static int net_add(json_t *eps, NetAttach *n, bool skip_empty, LadeError **err)
{
        json_t *ep = NULL;
        bool zero = false;
        int r = endpoint_settings(n, &ep, &zero, err);
        if (r < 0)
                return r;
        if (json_object_get(eps, n->target)) {
                json_decref(ep);
                _cleanup_free_ char *q = go_quote(n->target);
                return lade_error_msg(err, EINVAL, "network %s is specified multiple times", q);
        }
        if (skip_empty && zero)
                json_decref(ep);
        else
                json_object_set_new(eps, n->target, ep);
        return 0;
}

int run_build_networks(RunOpts *o, json_t **ret, LadeError **err)
{
        _cleanup_json_ json_t *eps = json_object();
        bool user = false, other = false;
        int r;
        if (o->n_nets == 0) {
                NetAttach n = { .target = xstrdup("default") };
                r = net_apply_flags(&n, o, err);
                if (r >= 0)
                        r = net_add(eps, &n, false, err);
                run_net_attach_done(&n);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < o->n_nets; i++) {
                NetAttach *n = &o->nets[i];
                bool ud = net_user_defined(n->target);
                user = user || ud;
                other = other || !ud;
                r = i == 0 ? net_apply_flags(n, o, err) : 0;
                if (r >= 0)
                        r = net_add(eps, n, i == 0 && o->n_nets == 1, err);
                if (r < 0)
                        return r;
        }
        if (user && other)
                return lade_error_msg(err, EINVAL, "conflicting options: cannot attach both "
                                      "user-defined and non-user-defined network-modes");
        *ret = TAKE_PTR(eps);
        return 0;
}
