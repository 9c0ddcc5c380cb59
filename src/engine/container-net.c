/* A container's network at each start (in its monitor): the default bridge or a user network is
 * attached with the init's pid once its network namespace exists and before the process starts;
 * `none`, `host` and `container:X` need nothing here (the spec shapes their namespaces). The
 * result is kept as Docker's NetworkSettings in the row. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "containers-internal.h"
#include "image-db.h"
#include "json-util.h"
#include "network.h"
#include "util.h"

const char *ctr_network_mode_of(const char *mode, bool disabled)
{
        if (disabled)
                return "none";
        return !mode || !*mode || streq(mode, "default") ? "bridge" : mode;
}

const char *ctr_network_mode(const Ctr *c)
{
        const char *mode = json_string_value(json_object_get(json_object_get(c->create, "HostConfig"), "NetworkMode"));
        return ctr_network_mode_of(mode, json_is_true(json_object_get(c->create, "NetworkDisabled")));
}

static bool attaches(const char *mode)
{
        return !streq(mode, "none") && !streq(mode, "host") && !startswith(mode, "container:");
}

static json_t *endpoint_in(json_t *eps, const char *mode)
{
        json_t *ep = json_object_get(eps, mode);
        if (!ep && streq(mode, "bridge"))
                ep = json_object_get(eps, "default");
        return ep;
}

static json_t *endpoint_config(const Ctr *c, const char *mode)
{
        return endpoint_in(json_object_get(json_object_get(c->create, "NetworkingConfig"), "EndpointsConfig"), mode);
}

static json_t *exposed_ports(const Ctr *c)
{
        json_t *all = json_object();
        json_t *req = json_object_get(c->create, "ExposedPorts");
        if (json_is_object(req))
                json_object_update(all, req);
        if (c->image && c->image->config)
                for (char **p = c->image->config->exposed_ports; p && *p; p++)
                        json_object_set_new(all, *p, json_object());
        return all;
}

static char *hostname_of(const Ctr *c)
{
        const char *h = json_string_value(json_object_get(c->create, "Hostname"));
        return h && *h ? xstrdup(h) : xstrndup(c->id, 12);
}

/* Docker's own line in /etc/hosts: "<ip>\t<hostname>", appended in place (the file is
 * bind-mounted: the inode must stay). */
static void hosts_add_self(Ctr *c, const char *ip)
{
        _cleanup_free_ char *path = xasprintf("%s/hosts", c->dir), *host = hostname_of(c);
        _cleanup_free_ char *line = xasprintf("%s\t%s\n", ip, host);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd >= 0)
                (void) write_all(fd, line, strlen(line));
}

static json_t *endpoint_json(const NetAttachResult *r, json_t *aliases)
{
        return json_pack("{s:s,s:s,s:s,s:i,s:s,s:O?}", "NetworkID", r->network_id, "IPAddress", r->ipv4, "Gateway",
                         r->gateway, "IPPrefixLen", r->prefix_len, "MacAddress", r->mac, "Aliases", aliases);
}

static json_t *settings_json(const char *mode, const NetAttachResult *r, json_t *aliases)
{
        return json_pack("{s:s,s:s,s:i,s:s,s:s,s:O,s:{s:o}}", "Bridge", r->bridge ? r->bridge : "", "IPAddress",
                         r->ipv4, "IPPrefixLen", r->prefix_len, "Gateway", r->gateway, "MacAddress", r->mac,
                         "Ports", r->ports ? r->ports : json_object(), "Networks", mode, endpoint_json(r, aliases));
}

static char **aliases_of(json_t *ep)
{
        char **aliases = NULL;
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(ep, "Aliases"), i, a)
                if (json_is_string(a))
                        aliases = strv_append(aliases, json_string_value(a));
        return aliases;
}

/* EndpointsConfig[...].MacAddress, else (API < 1.44, the primary network) Config.MacAddress. */
static const char *requested_mac(const Ctr *c, json_t *ep)
{
        const char *mac = json_string_value(json_object_get(ep, "MacAddress"));
        if ((!mac || !*mac) && c)
                mac = json_string_value(json_object_get(c->create, "MacAddress"));
        return mac && *mac ? mac : NULL;
}

static const char *requested_ipv4(json_t *ep)
{
        const char *ip = json_string_value(json_object_get(json_object_get(ep, "IPAMConfig"), "IPv4Address"));
        return ip && *ip ? ip : NULL;
}

/* The network that NetworkMode means ("default" is the bridge)? */
static bool same_network(Engine *e, const char *mode, const char *network)
{
        if (streq(mode, network) || (streq(mode, "default") && streq(network, "bridge")) ||
            (streq(mode, "bridge") && streq(network, "default")))
                return true;
        /* an id or id prefix of the mode's network */
        json_t *a = NULL, *b = NULL;
        bool same = engine_network_inspect_json(e, mode, &a, NULL) == 0 &&
                    engine_network_inspect_json(e, network, &b, NULL) == 0 &&
                    streq_ptr(json_string_value(json_object_get(a, "Id")), json_string_value(json_object_get(b, "Id")));
        json_decref(a);
        json_decref(b);
        return same;
}

/* A network beyond the NetworkMode's one (`docker network connect` before the start, compose's
 * services on several networks): no published ports there, as with Docker. */
static int attach_extra(Ctr *c, pid_t pid, const char *network, json_t *ep, LadeError **err)
{
        _cleanup_strv_free_ char **aliases = aliases_of(ep);
        _cleanup_free_ char *host = hostname_of(c);
        NetAttachRequest req = { .container_id = c->id, .container_name = c->name, .hostname = host,
                                 .network = network, .aliases = aliases, .ipv4 = requested_ipv4(ep),
                                 .mac = requested_mac(NULL, ep), .pid = pid };
        NetAttachResult res = { 0 };
        int r = engine_network_attach(c->e, &req, &res, err);
        if (r < 0)
                return lade_error_wrap(err, "network %s", network);
        json_object_set_new(json_object_get(c->net, "Networks"), network,
                            endpoint_json(&res, json_object_get(ep, "Aliases")));
        hosts_add_self(c, res.ipv4);
        net_attach_result_clear(&res);
        return 0;
}

int ctr_network_attach(Ctr *c, pid_t pid, LadeError **err)
{
        const char *mode = ctr_network_mode(c);
        c->net = json_decref_null(c->net);
        if (!attaches(mode)) {
                c->net = json_pack("{s:{s:{}}}", "Networks", startswith(mode, "container:") ? "container" : mode);
                return 0;
        }
        json_t *ep = endpoint_config(c, mode);
        _cleanup_strv_free_ char **aliases = aliases_of(ep);
        _cleanup_json_ json_t *exposed = exposed_ports(c);
        _cleanup_free_ char *host = hostname_of(c);
        json_t *hc = json_object_get(c->create, "HostConfig");
        NetAttachRequest req = {
                .container_id = c->id, .container_name = c->name, .hostname = host,
                .network = streq(mode, "default") ? "bridge" : mode, .aliases = aliases,
                .ipv4 = requested_ipv4(ep), .mac = requested_mac(c, ep), .port_bindings = json_object_get(hc, "PortBindings"),
                .exposed_ports = exposed, .publish_all = json_is_true(json_object_get(hc, "PublishAllPorts")),
                .pid = pid,
        };
        NetAttachResult res = { 0 };
        int r = engine_network_attach(c->e, &req, &res, err);
        if (r < 0)
                return r;
        c->net = settings_json(mode, &res, json_object_get(ep, "Aliases"));
        r = ctr_links_hosts(c, err);
        if (r < 0) {
                net_attach_result_clear(&res);
                return r;
        }
        hosts_add_self(c, res.ipv4);
        net_attach_result_clear(&res);
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(json_object_get(c->create, "NetworkingConfig"), "EndpointsConfig"), key, v)
                if (!same_network(c->e, mode, key) && (r = attach_extra(c, pid, key, v, err)) < 0)
                        return r;
        (void) engine_network_hosts_update(c->e, c->id, NULL);
        return 0;
}

int ctr_check_ports(Ctr *c, LadeError **err)
{
        if (!attaches(ctr_network_mode(c)))
                return 0;
        json_t *pb = json_object_get(json_object_get(c->create, "HostConfig"), "PortBindings");
        if (!json_is_object(pb) || json_object_size(pb) == 0)
                return 0;
        return engine_network_check_ports(c->e, pb, err);
}

/* The network's name (keys of EndpointsConfig and Networks are names, as Docker keeps them). */
static int network_name(Engine *e, const char *network, char **ret, LadeError **err)
{
        _cleanup_json_ json_t *n = NULL;
        int r = engine_network_inspect_json(e, network, &n, err);
        if (r < 0)
                return r;
        *ret = xstrdup(json_string_value(json_object_get(n, "Name")));
        return 0;
}

static json_t *endpoints_config(Ctr *c)
{
        json_t *nc = json_object_get(c->create, "NetworkingConfig");
        if (!json_is_object(nc))
                json_object_set_new(c->create, "NetworkingConfig", nc = json_object());
        json_t *eps = json_object_get(nc, "EndpointsConfig");
        if (!json_is_object(eps))
                json_object_set_new(nc, "EndpointsConfig", eps = json_object());
        return eps;
}

/* A container that is not running: the endpoint is remembered (endpoint) or forgotten (NULL)
 * in its create document, for its next start. */
int engine_container_network_configure(Engine *e, const char *name_or_id, const char *network, json_t *endpoint,
                                       LadeError **err)
{
        Ctr c = { .e = e };
        _cleanup_free_ char *name = NULL;
        int r = ctr_load(&c, name_or_id, err);
        if (r < 0 || (r = network_name(e, network, &name, err)) < 0)
                goto out;
        const char *mode = ctr_network_mode(&c);
        if (!attaches(mode)) {
                r = lade_error_msg(err, EOPNOTSUPP, streq(mode, "none")
                                   ? "container cannot be connected to multiple networks with one of the networks in private (none) mode"
                                   : "container sharing network namespace with another container or host cannot be connected to any other network");
                goto out;
        }
        json_t *eps = endpoints_config(&c);
        bool primary = same_network(e, mode, name);
        if (!endpoint && !primary && !json_object_get(eps, name)) {
                r = lade_error_msg(err, ENOENT, "container %s is not connected to network %s", c.name, network);
                goto out;
        }
        if (endpoint && !primary && json_object_get(eps, name)) {
                r = lade_error_msg(err, EEXIST, "endpoint with name %s already exists in network %s", c.name, name);
                goto out;
        }
        json_object_del(eps, name);
        if (primary) {
                json_object_del(eps, mode);
                if (streq(mode, "bridge"))
                        json_object_del(eps, "default");
        }
        if (endpoint)
                json_object_set(eps, primary ? mode : name, endpoint);
        r = ctr_save_networks(&c, err);
out:
        ctr_done(&c);
        return r;
}

json_t *ctr_configured_networks(const Ctr *c)
{
        return engine_configured_networks(ctr_network_mode(c),
                                          json_object_get(json_object_get(c->create, "NetworkingConfig"),
                                                          "EndpointsConfig"));
}

json_t *engine_configured_networks(const char *mode, json_t *endpoints)
{
        json_t *nets = json_object();
        if (startswith(mode, "container:"))
                return nets;
        if (!attaches(mode)) {
                /* none, host: dockerd shows the mode as the one network */
                json_object_set_new(nets, mode, json_pack("{s:n}", "Aliases"));
                return nets;
        }
        const char *key;
        json_t *ep;
        json_object_foreach(endpoints, key, ep)
                if (!streq(key, mode) && !(streq(mode, "bridge") && streq(key, "default"))) {
                        json_t *v = json_is_object(ep) ? json_deep_copy(ep) : json_object();
                        if (!json_object_get(v, "Aliases"))
                                json_object_set_new(v, "Aliases", json_null());
                        json_object_set_new(nets, key, v);
                }
        ep = endpoint_in(endpoints, mode);
        json_t *v = json_is_object(ep) ? json_deep_copy(ep) : json_object();
        if (!json_object_get(v, "Aliases"))
                json_object_set_new(v, "Aliases", json_null());
        json_object_set_new(nets, streq(mode, "default") ? "bridge" : mode, v);
        return nets;
}

/* A running container's endpoint in its row, added (res: the attach's result) or removed (res
 * NULL): in Networks for inspect, in EndpointsConfig for its restarts (the monitor reads both
 * back before it uses them). */
static int keep_endpoint(Engine *e, const char *id, const char *network, json_t *endpoint,
                         const NetAttachResult *res, LadeError **err)
{
        Ctr c = { .e = e };
        _cleanup_free_ char *name = NULL;
        int r = ctr_load(&c, id, err);
        if (r < 0 || (r = network_name(e, network, &name, err)) < 0)
                goto out;
        if (!json_is_object(c.net))
                c.net = json_object();
        json_t *nets = json_object_get(c.net, "Networks");
        if (!json_is_object(nets))
                json_object_set_new(c.net, "Networks", nets = json_object());
        if (res) {
                json_object_set_new(endpoints_config(&c), name,
                                    json_is_object(endpoint) ? json_deep_copy(endpoint) : json_object());
                json_object_set_new(nets, name, endpoint_json(res, json_object_get(endpoint, "Aliases")));
        } else {
                json_object_del(endpoints_config(&c), name);
                json_object_del(nets, name);
                const char *mode = ctr_network_mode(&c);
                if (same_network(e, mode, name)) {
                        json_object_del(endpoints_config(&c), mode);
                        static const char *const keys[] = { "IPAddress", "Gateway", "MacAddress" };
                        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                                json_object_set_new(c.net, keys[i], json_string(""));
                }
        }
        r = ctr_save_networks(&c, err);
out:
        ctr_done(&c);
        return r;
}

int engine_container_network_connect(Engine *e, const char *name_or_id, const char *network, json_t *endpoint,
                                     LadeError **err)
{
        _cleanup_json_ json_t *doc = NULL;
        int r = engine_container_inspect(e, name_or_id, &doc, err);
        if (r < 0)
                return r;
        const char *id = json_string_value(json_object_get(doc, "Id"));
        int pid = (int) json_integer_value(json_object_get(json_object_get(doc, "State"), "Pid"));
        /* not running (docker-compose connects created containers): remembered for the start */
        if (pid <= 0) {
                _cleanup_json_ json_t *cfg = json_is_object(endpoint) ? json_incref(endpoint) : json_object();
                return engine_container_network_configure(e, id, network, cfg, err);
        }
        _cleanup_strv_free_ char **aliases = NULL;
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(endpoint, "Aliases"), i, a)
                if (json_is_string(a))
                        aliases = strv_append(aliases, json_string_value(a));
        const char *name = json_string_value(json_object_get(doc, "Name"));
        const char *ip = json_string_value(json_object_get(json_object_get(endpoint, "IPAMConfig"), "IPv4Address"));
        NetAttachRequest nr = { .container_id = id, .container_name = name && *name == '/' ? name + 1 : name,
                                .hostname = json_string_value(json_object_get(json_object_get(doc, "Config"), "Hostname")),
                                .network = network, .aliases = aliases, .ipv4 = ip && *ip ? ip : NULL,
                                .pid = (pid_t) pid };
        NetAttachResult res = { 0 };
        r = engine_network_connect(e, &nr, &res, err);
        if (r == 0)
                r = keep_endpoint(e, id, network, endpoint, &res, err);
        net_attach_result_clear(&res);
        return r;
}

int engine_container_network_disconnect(Engine *e, const char *name_or_id, const char *network, LadeError **err)
{
        _cleanup_json_ json_t *doc = NULL;
        int r = engine_container_inspect(e, name_or_id, &doc, err);
        if (r < 0)
                return r;
        const char *id = json_string_value(json_object_get(doc, "Id"));
        if (json_integer_value(json_object_get(json_object_get(doc, "State"), "Pid")) <= 0)
                return engine_container_network_configure(e, id, network, NULL, err);
        r = engine_network_disconnect(e, network, id, err);
        return r < 0 ? r : keep_endpoint(e, id, network, NULL, NULL, err);
}
