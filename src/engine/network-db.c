/* Networking state in lade.db, and where names come from (the environment, for tests).
 *   networks(id PK, name UNIQUE, driver, subnet, gateway, bridge, internal, builtin, labels,
 *            created)                       "bridge", "host" and "none" are builtin rows
 *   net_endpoints(container_id, network_id, endpoint_id, name, aliases, ipv4, mac, host_if,
 *            ifname, ports, PK(container_id, network_id), UNIQUE(network_id, ipv4))
 * The unique index is the last word on addresses: two writers can never both record one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "image-db.h"
#include "json-util.h"
#include "network-internal.h"
#include "util.h"

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
        " driver TEXT NOT NULL, subnet TEXT NOT NULL DEFAULT '', gateway TEXT NOT NULL DEFAULT '',"
        " bridge TEXT NOT NULL DEFAULT '', internal INTEGER NOT NULL DEFAULT 0,"
        " builtin INTEGER NOT NULL DEFAULT 0, labels TEXT NOT NULL DEFAULT '{}',"
        " created TEXT NOT NULL);"
        "CREATE TABLE IF NOT EXISTS net_endpoints (container_id TEXT NOT NULL,"
        " network_id TEXT NOT NULL REFERENCES networks(id), endpoint_id TEXT NOT NULL,"
        " name TEXT NOT NULL, aliases TEXT NOT NULL DEFAULT '[]', ipv4 TEXT NOT NULL,"
        " mac TEXT NOT NULL, host_if TEXT NOT NULL, ifname TEXT NOT NULL,"
        " ports TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (container_id, network_id));"
        "CREATE UNIQUE INDEX IF NOT EXISTS net_endpoints_ip ON net_endpoints(network_id, ipv4);";

static char *env_or(const char *name, const char *def)
{
        const char *v = getenv(name);
        return xstrdup(v && *v ? v : def);
}

static uint32_t root_hash(const char *root)
{
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const char *p = root; *p; p++)
                h = (h ^ (uint8_t) *p) * 16777619u;
        return h;
}

static bool default_root(const char *root)
{
        return !root || streq(root, "/var/lib/lade");
}

/* Bridge and veth names are recorded in the database when made; the table name is not, so it is
 * derived from the state root: every process on one root finds the same table, whatever its
 * environment ("lade" for /var/lib/lade, "lade_<hash of the root>" for any other). */
static char *table_name(const char *root)
{
        const char *env = getenv("LADE_NFT_TABLE");
        if (env && *env)
                return xstrdup(env);
        return default_root(root) ? xstrdup("lade") : xasprintf("lade_%08x", root_hash(root));
}

/* The default network's bridge when it is first made: "lade0" for /var/lib/lade, "lade<hash of
 * the root>" for any other, so two state roots never share (and tear down) one bridge. */
static char *default_bridge_name(const char *root)
{
        const char *env = getenv("LADE_BRIDGE_NAME");
        if (env && *env)
                return xstrdup(env);
        return default_root(root) ? xstrdup("lade0") : xasprintf("lade%08x", root_hash(root));
}

void net_config_load(NetConfig *c, Engine *e)
{
        c->default_bridge = default_bridge_name(engine_root(e));
        c->bridge_prefix = env_or("LADE_BRIDGE_PREFIX", "br-");
        c->veth_prefix = env_or("LADE_VETH_PREFIX", "veth");
        c->table = table_name(engine_root(e));
        c->pools = env_or("LADE_NET_POOLS", NET_POOLS_DEFAULT);
}

void net_config_done(NetConfig *c)
{
        free(c->default_bridge);
        free(c->bridge_prefix);
        free(c->veth_prefix);
        free(c->table);
        free(c->pools);
}

void net_random_hex(char *out, size_t n_hex)
{
        uint8_t b[64];
        size_t n = (n_hex + 1) / 2;
        if (n > sizeof(b))
                n = sizeof(b);
        if (getrandom(b, n, 0) != (ssize_t) n)
                for (size_t i = 0; i < n; i++)
                        b[i] = (uint8_t) (now_ns() >> (i % 8 * 8)) ^ (uint8_t) i;
        for (size_t i = 0; i < n_hex && i / 2 < n; i++)
                out[i] = "0123456789abcdef"[i % 2 ? b[i / 2] & 0xf : b[i / 2] >> 4];
        out[n_hex] = '\0';
}

char *net_now_rfc3339(void)
{
        struct timespec ts;
        struct tm tm;
        char buf[32];
        clock_gettime(CLOCK_REALTIME, &ts);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
        return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

static int add_builtins(sqlite3 *db, LadeError **err)
{
        static const char *const rows[][2] = { { "bridge", "bridge" }, { "host", "host" },
                                               { "none", "null" } };
        _cleanup_(image_db_finalizep) sqlite3_stmt *q = NULL;
        int r = image_db_prepare(db, "SELECT count(*) FROM networks WHERE builtin = 1", &q, err,
                                 NULL);
        if (r < 0)
                return r;
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 3)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                char id[65];
                net_random_hex(id, 64);
                _cleanup_free_ char *now = net_now_rfc3339();
                _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
                r = image_db_prepare(db, "INSERT OR IGNORE INTO networks (id, name, driver, builtin,"
                                     " created) VALUES (?1, ?2, ?3, 1, ?4)", &st, err, id, rows[i][0],
                                     rows[i][1], now, NULL);
                if (r < 0)
                        return r;
                int rc = sqlite3_step(st);
                if (rc != SQLITE_DONE)
                        return image_db_error(db, rc, "add the predefined networks", err);
        }
        return 0;
}

int net_db_open(Engine *e, sqlite3 **ret, LadeError **err)
{
        _cleanup_free_ char *path = xasprintf("%s/lade.db", engine_root(e));
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = mkdir_p(engine_root(e), 0700);
        if (r < 0)
                return lade_error(err, -r, "create '%s'", engine_root(e));
        if ((r = image_db_open(path, &db, err)) < 0 ||
            (r = image_db_exec(db, schema, "create the network tables", err)) < 0 ||
            (r = add_builtins(db, err)) < 0)
                return r;
        *ret = TAKE_PTR(db);
        return 0;
}

void net_row_done(NetRow *r)
{
        free(r->id);
        free(r->name);
        free(r->driver);
        free(r->subnet);
        free(r->gateway);
        free(r->bridge);
        free(r->created);
        json_decref(r->labels);
        *r = (NetRow) { 0 };
}

void net_rows_free(NetRow *rows, size_t n)
{
        for (size_t i = 0; i < n; i++)
                net_row_done(&rows[i]);
        free(rows);
}

#define NET_COLUMNS "id, name, driver, subnet, gateway, bridge, internal, builtin, labels, created"

static char *col(sqlite3_stmt *st, int i)
{
        const char *s = (const char *) sqlite3_column_text(st, i);
        return xstrdup(s ? s : "");
}

static void read_row(sqlite3_stmt *st, NetRow *r)
{
        r->id = col(st, 0);
        r->name = col(st, 1);
        r->driver = col(st, 2);
        r->subnet = col(st, 3);
        r->gateway = col(st, 4);
        r->bridge = col(st, 5);
        r->internal = sqlite3_column_int(st, 6) != 0;
        r->builtin = sqlite3_column_int(st, 7) != 0;
        const char *labels = (const char *) sqlite3_column_text(st, 8);
        r->labels = labels ? json_loads(labels, 0, NULL) : NULL;
        if (!json_is_object(r->labels)) {
                json_decref(r->labels);
                r->labels = json_object();
        }
        r->created = col(st, 9);
}

int net_db_find(sqlite3 *db, const char *name_or_id, NetRow *ret, LadeError **err)
{
        /* Docker's order: full ID, exact name, then a unique ID prefix */
        static const char *const queries[] = {
                "SELECT " NET_COLUMNS " FROM networks WHERE id = ?1",
                "SELECT " NET_COLUMNS " FROM networks WHERE name = ?1",
                "SELECT " NET_COLUMNS " FROM networks WHERE substr(id, 1, length(?1)) = ?1",
        };
        if (!name_or_id || !*name_or_id)
                return lade_error_msg(err, ENOENT, "network %s not found", name_or_id ? name_or_id : "");
        for (size_t i = 0; i < ELEMENTSOF(queries); i++) {
                _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
                int r = image_db_prepare(db, queries[i], &st, err, name_or_id, NULL);
                if (r < 0)
                        return r;
                if (sqlite3_step(st) != SQLITE_ROW)
                        continue;
                NetRow row = { 0 };
                read_row(st, &row);
                if (sqlite3_step(st) == SQLITE_ROW) {
                        net_row_done(&row);
                        return lade_error_msg(err, EINVAL, "network %s is ambiguous", name_or_id);
                }
                *ret = row;
                return 0;
        }
        return lade_error_msg(err, ENOENT, "network %s not found", name_or_id);
}

int net_db_list(sqlite3 *db, NetRow **ret, size_t *ret_n, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "SELECT " NET_COLUMNS " FROM networks ORDER BY name", &st, err,
                                 NULL);
        if (r < 0)
                return r;
        NetRow *v = NULL;
        size_t n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                v = xreallocarray(v, n + 1, sizeof(*v));
                v[n] = (NetRow) { 0 };
                read_row(st, &v[n++]);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static int step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, LadeError **err)
{
        int rc = sqlite3_step(st);
        return rc == SQLITE_DONE ? 0 : image_db_error(db, rc, what, err);
}

int net_db_insert(sqlite3 *db, const NetRow *r, LadeError **err)
{
        _cleanup_free_ char *labels = json_dump_compact(r->labels ? r->labels : json_object());
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int ret = image_db_prepare(db, "INSERT INTO networks (id, name, driver, subnet, gateway, bridge,"
                                   " internal, labels, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                                   " CAST(?7 AS INTEGER), ?8, ?9)", &st, err, r->id, r->name,
                                   r->driver, r->subnet, r->gateway, r->bridge,
                                   r->internal ? "1" : "0", labels, r->created, NULL);
        if (ret < 0)
                return ret;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_CONSTRAINT)
                return lade_error_msg(err, EEXIST, "network with name %s already exists", r->name);
        return rc == SQLITE_DONE ? 0 : image_db_error(db, rc, "create network", err);
}

int net_db_set_subnet(sqlite3 *db, const char *id, const char *subnet, const char *gateway,
                      const char *bridge, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "UPDATE networks SET subnet = ?2, gateway = ?3, bridge = ?4"
                                 " WHERE id = ?1", &st, err, id, subnet, gateway, bridge, NULL);
        return r < 0 ? r : step_done(db, st, "record the network's subnet", err);
}

int net_db_delete(sqlite3 *db, const char *id, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "DELETE FROM networks WHERE id = ?1", &st, err, id, NULL);
        return r < 0 ? r : step_done(db, st, "remove network", err);
}

int net_db_subnets(sqlite3 *db, NetSubnet **ret, size_t *ret_n, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "SELECT subnet FROM networks WHERE subnet != ''", &st, err, NULL);
        if (r < 0)
                return r;
        NetSubnet *v = NULL;
        size_t n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                NetSubnet s;
                if (net_subnet_parse((const char *) sqlite3_column_text(st, 0), &s, NULL) < 0)
                        continue;
                v = xreallocarray(v, n + 1, sizeof(*v));
                v[n++] = s;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

void net_endpoint_done(NetEndpoint *ep)
{
        free(ep->container_id);
        free(ep->network_id);
        free(ep->endpoint_id);
        free(ep->name);
        free(ep->ipv4);
        free(ep->mac);
        free(ep->host_if);
        free(ep->ifname);
        strv_free(ep->aliases);
        free(ep->ports);
        *ep = (NetEndpoint) { 0 };
}

void net_endpoints_free(NetEndpoint *eps, size_t n)
{
        for (size_t i = 0; i < n; i++)
                net_endpoint_done(&eps[i]);
        free(eps);
}

int net_db_endpoint_insert(sqlite3 *db, const NetEndpoint *ep, LadeError **err)
{
        json_t *a = json_array();
        for (char **s = ep->aliases; s && *s; s++)
                json_array_append_new(a, json_string(*s));
        _cleanup_free_ char *aliases = json_dump_compact(a);
        json_decref(a);
        json_t *p = net_ports_to_json(ep->ports, ep->n_ports);
        _cleanup_free_ char *ports = json_dump_compact(p);
        json_decref(p);
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "INSERT INTO net_endpoints (container_id, network_id, endpoint_id,"
                                 " name, aliases, ipv4, mac, host_if, ifname, ports) VALUES (?1, ?2,"
                                 " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", &st, err, ep->container_id,
                                 ep->network_id, ep->endpoint_id, ep->name, aliases, ep->ipv4,
                                 ep->mac, ep->host_if, ep->ifname, ports, NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_CONSTRAINT)
                return lade_error_msg(err, EEXIST, "endpoint with name %s already exists in network",
                                      ep->name);
        return rc == SQLITE_DONE ? 0 : image_db_error(db, rc, "record the endpoint", err);
}

int net_db_endpoint_delete(sqlite3 *db, const char *container_id, const char *network_id,
                           LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "DELETE FROM net_endpoints WHERE container_id = ?1 AND"
                                 " network_id = ?2", &st, err, container_id, network_id, NULL);
        return r < 0 ? r : step_done(db, st, "remove the endpoint", err);
}

static char **aliases_of(const char *text)
{
        _cleanup_json_ json_t *a = text ? json_loads(text, 0, NULL) : NULL;
        return json_strv(a);
}

static void read_endpoint(sqlite3_stmt *st, NetEndpoint *ep)
{
        ep->container_id = col(st, 0);
        ep->network_id = col(st, 1);
        ep->endpoint_id = col(st, 2);
        ep->name = col(st, 3);
        ep->aliases = aliases_of((const char *) sqlite3_column_text(st, 4));
        ep->ipv4 = col(st, 5);
        ep->mac = col(st, 6);
        ep->host_if = col(st, 7);
        ep->ifname = col(st, 8);
        const char *ports = (const char *) sqlite3_column_text(st, 9);
        _cleanup_json_ json_t *p = ports ? json_loads(ports, 0, NULL) : NULL;
        if (net_ports_from_json(p, &ep->ports, &ep->n_ports) < 0) {
                ep->ports = NULL;
                ep->n_ports = 0;
        }
}

int net_db_endpoints(sqlite3 *db, const char *container_id, const char *network_id,
                     NetEndpoint **ret, size_t *ret_n, LadeError **err)
{
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(db, "SELECT container_id, network_id, endpoint_id, name, aliases,"
                                 " ipv4, mac, host_if, ifname, ports FROM net_endpoints"
                                 " WHERE (?1 = '' OR container_id = ?1) AND (?2 = '' OR network_id = ?2)"
                                 " ORDER BY rowid", &st, err, container_id ? container_id : "",
                                 network_id ? network_id : "", NULL);
        if (r < 0)
                return r;
        NetEndpoint *v = NULL;
        size_t n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                v = xreallocarray(v, n + 1, sizeof(*v));
                v[n] = (NetEndpoint) { 0 };
                read_endpoint(st, &v[n++]);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}
