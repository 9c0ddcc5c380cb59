/* `network create/ls/inspect/rm/prune` back ends, in Docker's shapes and wording. A user
 * network's bridge is made by its first attach and removed with the network; rm and prune hold
 * the database write lock while they take kernel objects down, so no attach can race them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image-db.h"
#include "json-util.h"
#include "engine-events.h"
#include "network-internal.h"
#include "util.h"

static json_t *ipam_json(const NetRow *row)
{
        json_t *config = json_array();
        if (*row->subnet)
                json_array_append_new(config, json_pack("{s:s,s:s}", "Subnet", row->subnet,
                                                        "Gateway", row->gateway));
        return json_pack("{s:s,s:o,s:o}", "Driver", "default", "Options",
                         row->builtin ? json_null() : json_object(), "Config", config);
}

static json_t *options_json(const NetConfig *c, const NetRow *row)
{
        if (!row->builtin || !streq(row->driver, "bridge"))
                return json_object();
        /* what dockerd shows for docker0 */
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "com.docker.network.bridge.default_bridge",
                         "true", "com.docker.network.bridge.enable_icc", "true",
                         "com.docker.network.bridge.enable_ip_masquerade", "true",
                         "com.docker.network.bridge.host_binding_ipv4", "0.0.0.0",
                         "com.docker.network.bridge.name", *row->bridge ? row->bridge : c->default_bridge,
                         "com.docker.network.driver.mtu", "1500");
}

static json_t *containers_json(sqlite3 *db, const NetRow *row)
{
        json_t *o = json_object();
        NetEndpoint *eps = NULL;
        size_t n = 0;
        NetSubnet s = { 0 };
        (void) net_subnet_parse(row->subnet, &s, NULL);
        if (net_db_endpoints(db, NULL, row->id, &eps, &n, NULL) < 0)
                return o;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *ip = xasprintf("%s/%u", eps[i].ipv4, s.len);
                json_object_set_new(o, eps[i].container_id,
                                    json_pack("{s:s,s:s,s:s,s:s,s:s}", "Name", eps[i].name,
                                              "EndpointID", eps[i].endpoint_id, "MacAddress",
                                              eps[i].mac, "IPv4Address", ip, "IPv6Address", ""));
        }
        net_endpoints_free(eps, n);
        return o;
}

json_t *net_network_json(sqlite3 *db, const NetConfig *c, const NetRow *row)
{
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:o,s:b,s:b,s:b,s:{s:s},s:b}",
                              "Name", row->name, "Id", row->id, "Created", row->created, "Scope",
                              "local", "Driver", row->driver, "EnableIPv4", true, "EnableIPv6", false,
                              "IPAM", ipam_json(row), "Internal", row->internal, "Attachable", false,
                              "Ingress", false, "ConfigFrom", "Network", "", "ConfigOnly", false);
        json_object_set_new(o, "Containers", containers_json(db, row));
        json_object_set_new(o, "Options", options_json(c, row));
        json_object_set(o, "Labels", row->labels);
        return o;
}

static int create_checks(const char *name, const char *driver, LadeError **err)
{
        if (!net_name_valid(name))
                return lade_error_msg(err, EINVAL, "invalid network name \"%s\": only "
                                      "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name ? name : "");
        if (driver && (streq(driver, "host") || streq(driver, "null")))
                return lade_error_msg(err, EPERM, "only one instance of \"%s\" network is allowed",
                                      driver);
        if (driver && *driver && !streq(driver, "bridge"))
                return lade_error_msg(err, ENOENT, "plugin \"%s\" not found", driver);
        return 0;
}

static bool labels_valid(json_t *labels)
{
        const char *k;
        json_t *v;
        if (!labels)
                return true;
        if (!json_is_object(labels))
                return false;
        json_object_foreach(labels, k, v)
                if (!json_is_string(v))
                        return false;
        return true;
}

/* --subnet/--gateway given: valid, gateway inside, no overlap with another network. */
static int user_subnet(sqlite3 *db, const char *subnet, const char *gateway, NetSubnet *s,
                       uint32_t *gw, LadeError **err)
{
        int r = net_subnet_parse(subnet, s, err);
        if (r < 0)
                return r;
        if (s->len > 30)
                return lade_error_msg(err, EINVAL, "invalid subnet %s: no room for addresses", subnet);
        if (gateway && (net_ip_parse(gateway, gw) < 0 || !net_subnet_contains(s, *gw)))
                return lade_error_msg(err, EINVAL, "no matching subnet for gateway %s", gateway);
        if (gateway && (*gw == s->addr || *gw == (s->addr | ~net_subnet_mask(s))))
                return lade_error_msg(err, EINVAL, "invalid gateway %s: it is the network or "
                                      "broadcast address of %s", gateway, subnet);
        _cleanup_free_ NetSubnet *taken = NULL;
        size_t n;
        if ((r = net_db_subnets(db, &taken, &n, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (net_subnet_overlaps(s, &taken[i]))
                        return lade_error_msg(err, EEXIST, "invalid pool request: Pool overlaps "
                                              "with other one on this address space");
        return 0;
}

static int choose_subnet(const NetConfig *c, sqlite3 *db, const char *subnet, const char *gateway,
                         NetRow *row, LadeError **err)
{
        NetSubnet s;
        uint32_t gw = 0;
        int r;
        if (!subnet && gateway)
                return lade_error_msg(err, EINVAL, "every ip-range or gateway must have a "
                                      "corresponding subnet");
        if (subnet)
                r = user_subnet(db, subnet, gateway, &s, &gw, err);
        else {
                _cleanup_(nl_closep) NetLink *nl = NULL;
                r = nl_open(0, &nl, err);
                if (r == 0)
                        r = net_pick_subnet(c, db, nl, &s, err);
        }
        if (r < 0)
                return r;
        if (!gateway)
                gw = s.addr + 1;
        char b[16];
        net_ip_format(gw, b);
        row->subnet = net_subnet_format(&s);
        row->gateway = xstrdup(b);
        return 0;
}

int engine_network_create(Engine *e, const char *name, const char *driver, const char *subnet,
                          const char *gateway, bool internal, json_t *labels, char **ret_id,
                          LadeError **err)
{
        int r = create_checks(name, driver, err);
        if (r < 0)
                return r;
        if (!labels_valid(labels))
                return lade_error_msg(err, EINVAL, "invalid labels: expected an object of strings");
        NetConfig c;
        net_config_load(&c, e);
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        char id[65];
        net_random_hex(id, 64);
        size_t room = strlen(c.bridge_prefix) < 14 ? 15 - strlen(c.bridge_prefix) : 1;
        NetRow row = { .id = xstrdup(id), .name = xstrdup(name), .driver = xstrdup("bridge"),
                       .bridge = xasprintf("%s%.*s", c.bridge_prefix, (int) room, id),
                       .internal = internal, .created = net_now_rfc3339(),
                       .labels = labels ? json_incref(labels) : json_object() };
        if ((r = net_db_open(e, &db, err)) == 0 && (r = image_db_begin(db, err)) == 0) {
                r = choose_subnet(&c, db, subnet, gateway, &row, err);
                if (r == 0)
                        r = net_db_insert(db, &row, err);
                if (r == 0)
                        r = image_db_commit(db, err);
                else
                        image_db_rollback(db);
        }
        if (r == 0) {
                *ret_id = xstrdup(id);
                engine_network_event(e, id, name, "bridge", "create", NULL);
        }
        net_row_done(&row);
        net_config_done(&c);
        return r;
}

int engine_network_list(Engine *e, json_t **ret, LadeError **err)
{
        NetConfig c;
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        NetRow *rows = NULL;
        size_t n = 0;
        int r = net_db_open(e, &db, err);
        if (r < 0 || (r = net_db_list(db, &rows, &n, err)) < 0)
                return r;
        net_config_load(&c, e);
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, net_network_json(db, &c, &rows[i]));
        net_rows_free(rows, n);
        net_config_done(&c);
        *ret = a;
        return 0;
}

int engine_network_inspect_json(Engine *e, const char *name_or_id, json_t **ret, LadeError **err)
{
        NetConfig c;
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        NetRow row = { 0 };
        int r = net_db_open(e, &db, err);
        if (r < 0 || (r = net_db_find(db, name_or_id, &row, err)) < 0)
                return r;
        net_config_load(&c, e);
        *ret = net_network_json(db, &c, &row);
        net_row_done(&row);
        net_config_done(&c);
        return 0;
}

static int endpoint_count(sqlite3 *db, const char *network_id, LadeError **err)
{
        NetEndpoint *eps = NULL;
        size_t n = 0;
        int r = net_db_endpoints(db, NULL, network_id, &eps, &n, err);
        net_endpoints_free(eps, n);
        return r < 0 ? r : (int) n;
}

/* Under the write lock: refuse, or delete the row and take the kernel side down. */
static int remove_locked(const NetConfig *c, sqlite3 *db, NetLink *nl, const char *name_or_id,
                         NetRow *ret_gone, LadeError **err)
{
        NetRow row = { 0 };
        int r = net_db_find(db, name_or_id, &row, err);
        if (r < 0)
                return r;
        if (row.builtin)
                r = lade_error_msg(err, EPERM, "%s is a pre-defined network and cannot be removed",
                                   row.name);
        else if ((r = endpoint_count(db, row.id, err)) > 0)
                r = lade_error_msg(err, EBUSY, "error while removing network: network %s id %s has "
                                   "active endpoints", row.name, row.id);
        if (r == 0 && (r = net_db_delete(db, row.id, err)) == 0 &&
            (r = net_network_teardown(c, nl, &row, err)) == 0)
                r = net_table_gc(c, db, nl, err);
        if (r == 0)
                *ret_gone = row;
        else
                net_row_done(&row);
        return r;
}

int engine_network_remove(Engine *e, const char *name_or_id, LadeError **err)
{
        NetConfig c;
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        _cleanup_(nl_closep) NetLink *nl = NULL;
        int r = net_db_open(e, &db, err);
        if (r < 0 || (r = nl_open(0, &nl, err)) < 0 || (r = image_db_begin(db, err)) < 0)
                return r;
        net_config_load(&c, e);
        NetRow gone = { 0 };
        r = remove_locked(&c, db, nl, name_or_id, &gone, err);
        if (r < 0)
                image_db_rollback(db);
        else
                r = image_db_commit(db, err);
        if (r == 0)
                engine_network_event(e, gone.id, gone.name, gone.driver, "destroy", NULL);
        net_row_done(&gone);
        net_config_done(&c);
        return r;
}

static int prune_locked(const NetConfig *c, sqlite3 *db, NetLink *nl, json_t *names,
                        LadeError **err)
{
        NetRow *rows = NULL;
        size_t n = 0;
        int r = net_db_list(db, &rows, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++) {
                int used = endpoint_count(db, rows[i].id, err);
                if (used != 0) {
                        r = used < 0 ? used : 0;
                        continue;
                }
                /* the default bridge stays in the database (and keeps its subnet) */
                if (!rows[i].builtin && (r = net_db_delete(db, rows[i].id, err)) < 0)
                        break;
                if ((r = net_network_teardown(c, nl, &rows[i], err)) < 0)
                        break;
                if (!rows[i].builtin)
                        json_array_append_new(names, json_pack("{s:s,s:s,s:s}", "id", rows[i].id, "name",
                                                               rows[i].name, "driver", rows[i].driver));
        }
        net_rows_free(rows, n);
        return r < 0 ? r : net_table_gc(c, db, nl, err);
}

int engine_network_prune(Engine *e, json_t **ret_names, LadeError **err)
{
        NetConfig c;
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        _cleanup_(nl_closep) NetLink *nl = NULL;
        int r = net_db_open(e, &db, err);
        if (r < 0 || (r = nl_open(0, &nl, err)) < 0 || (r = image_db_begin(db, err)) < 0)
                return r;
        net_config_load(&c, e);
        json_t *names = json_array();
        r = prune_locked(&c, db, nl, names, err);
        if (r < 0)
                image_db_rollback(db);
        else
                r = image_db_commit(db, err);
        net_config_done(&c);
        if (r < 0) {
                json_decref(names);
                return r;
        }
        /* the events once the transaction is over; the caller gets the names */
        json_t *out = json_array(), *n;
        size_t i;
        json_array_foreach(names, i, n) {
                const char *name = json_string_value(json_object_get(n, "name"));
                engine_network_event(e, json_string_value(json_object_get(n, "id")), name,
                                     json_string_value(json_object_get(n, "driver")), "destroy", NULL);
                json_array_append_new(out, json_string(name));
        }
        json_decref(names);
        /* dockerd's prune event (networks reclaim no bytes) */
        engine_event_emit(e, "network", "prune", "", json_pack("{s:s}", "reclaimed", "0"));
        *ret_names = out;
        return 0;
}
