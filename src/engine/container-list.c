/* Listing containers as dockerd does for GET /containers/json and `docker ps`: Docker's
 * filters (id, name, label, exited, status, ancestor, before, since, network, health, publish,
 * expose, volume), the STATUS text ("Up 5 minutes", "Exited (0) 2 seconds ago"), the summary
 * object, and the rows themselves (one SELECT, reconciled, and one read of container_volumes
 * for every row's Mounts, which are inspect's). Shared by both front ends. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container-spec-internal.h"
#include "containers-internal.h"
#include "engine-filters.h"
#include "image-db.h"
#include "json-util.h"
#include "util.h"
#include "volumes.h"

#define CONTAINER_NAME_PATTERN_MAX 256

/* Go's units.HumanDuration, into buf. */
static void human_duration(int64_t s, char buf[static 32])
{
        int64_t m = s / 60, h = s / 3600, n = s;
        const char *unit = "second", *fixed = NULL;
        if (s < 1)
                fixed = "Less than a second";
        else if (s == 1)
                fixed = "1 second";
        else if (s < 60)
                n = s;
        else if (m == 1)
                fixed = "About a minute";
        else if (m < 60)
                n = m, unit = "minute";
        else if (h == 1)
                fixed = "About an hour";
        else if (h < 48)
                n = h, unit = "hour";
        else if (h < 24 * 7 * 2)
                n = h / 24, unit = "day";
        else if (h < 24 * 30 * 2)
                n = h / 24 / 7, unit = "week";
        else if (h < 24 * 365 * 2)
                n = h / 24 / 30, unit = "month";
        else
                n = h / 24 / 365, unit = "year";
        if (fixed)
                snprintf(buf, 32, "%s", fixed);
        else
                snprintf(buf, 32, "%lld %ss", (long long) n, unit);
}

char *engine_human_duration(int64_t s)
{
        char buf[32];
        human_duration(s, buf);
        return xstrdup(buf);
}

void engine_container_status_format(const ContainerInfo *ci, int64_t now_ns, char buf[static 96])
{
        const char *h = ci->health && *ci->health ? ci->health : NULL;
        char d[32];
        if (streq(ci->state, "running") || streq(ci->state, "paused")) {
                human_duration((now_ns - ci->started_ns) / 1000000000, d);
                const char *hs = !h ? "" : streq(h, "starting") ? " (health: starting)" : streq(h, "healthy") ? " (healthy)"
                                                                                                           : " (unhealthy)";
                snprintf(buf, 96, "Up %s%s%s", d, hs, streq(ci->state, "paused") ? " (Paused)" : "");
        } else if (streq(ci->state, "restarting")) {
                human_duration((now_ns - ci->finished_ns) / 1000000000, d);
                snprintf(buf, 96, "Restarting (%d) %s ago", ci->exit_code, d);
        } else if (streq(ci->state, "exited") && ci->finished_ns > 0) {
                human_duration((now_ns - ci->finished_ns) / 1000000000, d);
                snprintf(buf, 96, "Exited (%d) %s ago", ci->exit_code, d);
        } else
                snprintf(buf, 96, "%s", streq(ci->state, "dead") ? "Dead" : "Created");
}

char *engine_container_status_text(const ContainerInfo *ci)
{
        char buf[96];
        engine_container_status_format(ci, realtime_ns(), buf);
        return xstrdup(buf);
}

static const char *const container_filter_keys[] = { "id", "name", "label", "exited", "status", "ancestor", "before",
                                                     "since", "network", "health", "publish", "expose", "volume",
                                                     NULL };

static bool m_name(const ContainerInfo *ci, const char *v)
{
        /* Docker matches a regular expression against "/name" */
        _cleanup_free_ char *slashed = xasprintf("/%s", ci->name);
        regex_t re;
        /* a long pattern could make the regex engine crawl: a plain substring then */
        if (strlen(v) > CONTAINER_NAME_PATTERN_MAX || regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0)
                return strstr(slashed, v) != NULL;
        bool yes = regexec(&re, slashed, 0, NULL, 0) == 0;
        regfree(&re);
        return yes;
}

static bool m_id(const ContainerInfo *ci, const char *v)
{
        return startswith(ci->id, v);
}

static bool m_status(const ContainerInfo *ci, const char *v)
{
        return streq(ci->state, v);
}

static bool m_exited(const ContainerInfo *ci, const char *v)
{
        return streq(ci->state, "exited") && ci->exit_code == atoi(v);
}

static bool m_ancestor(const ContainerInfo *ci, const char *v)
{
        size_t n = strlen(v);
        return streq(ci->image, v) || streq(ci->image_id, v) || (n >= 4 && startswith(ci->image_id + 7, v)) ||
               (strchr(ci->image, ':') && !strchr(v, ':') && strncmp(ci->image, v, n) == 0 && ci->image[n] == ':');
}

static bool m_network(const ContainerInfo *ci, const char *v)
{
        const char *name;
        json_t *ep;
        json_object_foreach(ci->networks, name, ep) {
                const char *nid = json_string_value(json_object_get(ep, "NetworkID"));
                if (streq(name, v) || (nid && *v && startswith(nid, v)))
                        return true;
        }
        return false;
}

static bool m_health(const ContainerInfo *ci, const char *v)
{
        return streq(ci->health && *ci->health ? ci->health : "none", v);
}

/* "8080", "8080/tcp": a published (host) port, or an exposed (container) port */
static bool port_match(const ContainerInfo *ci, const char *v, bool published)
{
        _cleanup_free_ char *want = strchr(v, '/') ? xstrdup(v) : xasprintf("%s/tcp", v);
        const char *key;
        json_t *binds;
        json_object_foreach(ci->ports, key, binds) {
                if (!published && streq(key, want))
                        return true;
                size_t i;
                json_t *b;
                const char *proto = strchr(key, '/');
                json_array_foreach(binds, i, b) {
                        _cleanup_free_ char *hp = xasprintf("%s%s", json_string_value(json_object_get(b, "HostPort")),
                                                            proto ? proto : "/tcp");
                        if (published && streq(hp, want))
                                return true;
                }
        }
        return false;
}

static bool m_publish(const ContainerInfo *ci, const char *v)
{
        return port_match(ci, v, true);
}

static bool m_expose(const ContainerInfo *ci, const char *v)
{
        return port_match(ci, v, false);
}

/* daemon/list.go: a mount's destination, or its volume name (its source when it has none) */
static bool m_volume(const ContainerInfo *ci, const char *v)
{
        size_t i;
        json_t *m;
        json_array_foreach(ci->mounts, i, m) {
                const char *name = json_string_value(json_object_get(m, "Name"));
                const char *src = json_string_value(json_object_get(m, "Source"));
                if (streq_ptr(json_string_value(json_object_get(m, "Destination")), v) ||
                    streq_ptr(name && *name ? name : src, v))
                        return true;
        }
        return false;
}

/* Does ci match one of key's values (or is there no such filter)? */
static bool any(const EngineFilters *f, const char *key, bool (*fn)(const ContainerInfo *, const char *),
                const ContainerInfo *ci)
{
        _cleanup_strv_free_ char **values = engine_filters_get(f, key);
        if (!values)
                return true;
        for (char **v = values; *v; v++)
                if (fn(ci, *v))
                        return true;
        return false;
}

static int check_values(const EngineFilters *f, LadeError **err)
{
        static const char *const states[] = { "created", "restarting", "running", "removing", "paused", "exited",
                                               "dead", NULL };
        _cleanup_strv_free_ char **status = engine_filters_get(f, "status");
        _cleanup_strv_free_ char **exited = engine_filters_get(f, "exited");
        for (char **v = status; v && *v; v++) {
                bool ok = false;
                for (size_t i = 0; states[i]; i++)
                        ok = ok || streq(*v, states[i]);
                if (!ok)
                        return lade_error_msg(err, EINVAL, "invalid filter 'status=%s'", *v);
        }
        for (char **v = exited; v && *v; v++) {
                int64_t n;
                if (parse_int64(*v, &n) < 0)
                        return lade_error_msg(err, EINVAL, "invalid filter 'exited=%s'", *v);
        }
        return 0;
}

bool engine_container_filter_match(const EngineFilters *f, const ContainerInfo *ci)
{
        _cleanup_strv_free_ char **labels = engine_filters_get(f, "label");
        if (!engine_labels_match(ci->labels, labels, false))
                return false;
        return any(f, "id", m_id, ci) && any(f, "name", m_name, ci) && any(f, "status", m_status, ci) &&
               any(f, "exited", m_exited, ci) && any(f, "ancestor", m_ancestor, ci) &&
               any(f, "network", m_network, ci) && any(f, "health", m_health, ci) &&
               any(f, "publish", m_publish, ci) && any(f, "expose", m_expose, ci) &&
               any(f, "volume", m_volume, ci);
}

/* before/since name a container: its creation time */
static int created_of(Engine *e, const EngineFilters *f, const char *key, int64_t *ret, LadeError **err)
{
        _cleanup_strv_free_ char **v = engine_filters_get(f, key);
        *ret = 0;
        if (!v || !*v)
                return 0;
        Ctr c = { .e = e };
        int r = ctr_borrow_db(&c, err);
        if (r >= 0)
                r = ctr_load(&c, *v, err);
        if (r >= 0)
                *ret = c.created;
        ctr_done(&c);
        return r;
}

int ctr_list_query_prepare(Engine *e, bool all, const EngineFilters *f, CtrListQuery *ret, LadeError **err)
{
        CtrListQuery q = { .f = f, .all = all };
        int r = 0;
        if (f && ((r = engine_filters_validate(f, container_filter_keys, err)) < 0 || (r = check_values(f, err)) < 0 ||
                  (r = created_of(e, f, "before", &q.before, err)) < 0 ||
                  (r = created_of(e, f, "since", &q.since, err)) < 0))
                return r;
        /* Docker: status/exited filters (and before/since) look at stopped containers too */
        if (f && (engine_filters_has(f, "status") || engine_filters_has(f, "exited")))
                q.all = true;
        *ret = q;
        return 0;
}

bool ctr_list_query_match(const CtrListQuery *q, const ContainerInfo *ci)
{
        if (!q->all && !ctr_info_active(ci))
                return false;
        if (q->before && ci->created >= q->before)
                return false;
        if (q->since && ci->created <= q->since)
                return false;
        return !q->f || engine_container_filter_match(q->f, ci);
}

int engine_container_list_filtered(Engine *e, bool all, const EngineFilters *f, ContainerInfo ***ret,
                                   size_t *ret_n, LadeError **err)
{
        CtrListQuery q;
        int r = ctr_list_query_prepare(e, all, f, &q, err);
        if (r < 0)
                return r;
        ContainerInfo **l = NULL;
        size_t n = 0, k = 0;
        if ((r = engine_container_list(e, q.all, &l, &n, err)) < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (ctr_list_query_match(&q, l[i]))
                        l[k++] = l[i];
                else
                        container_info_free(l[i]);
        }
        l[k] = NULL;
        *ret = l;
        *ret_n = k;
        return 0;
}

static json_t *ports_json(const ContainerInfo *ci)
{
        json_t *a = json_array();
        const char *key;
        json_t *binds;
        json_object_foreach(ci->ports, key, binds) {
                int port = atoi(key);
                const char *proto = strchr(key, '/') ? strchr(key, '/') + 1 : "tcp";
                if (json_array_size(binds) == 0)
                        json_array_append_new(a, json_pack("{s:i,s:s}", "PrivatePort", port, "Type", proto));
                size_t i;
                json_t *b;
                json_array_foreach(binds, i, b) {
                        const char *ip = json_string_value(json_object_get(b, "HostIp"));
                        const char *hp = json_string_value(json_object_get(b, "HostPort"));
                        json_array_append_new(a, json_pack("{s:s,s:i,s:i,s:s}", "IP", ip && *ip ? ip : "0.0.0.0",
                                                           "PrivatePort", port, "PublicPort", hp ? atoi(hp) : 0,
                                                           "Type", proto));
                }
        }
        return a;
}

/* The summary's members before Status (Id … State) and after it (HostConfig, NetworkSettings,
 * Mounts): the list cache (container-list-cache.c) keeps both rendered and puts the Status text,
 * the one member that changes with the clock, between them. */
json_t *engine_container_summary_head(const ContainerInfo *ci)
{
        _cleanup_free_ char *cmd = xstrdup("");
        for (char **a = ci->command; a && *a; a++) {
                char *t = xasprintf("%s%s%s", cmd, *cmd ? " " : "", *a);
                free(cmd);
                cmd = t;
        }
        _cleanup_free_ char *name = xasprintf("/%s", ci->name);
        return json_pack("{s:s,s:[s],s:s,s:s,s:s,s:I,s:o,s:O,s:s}", "Id", ci->id, "Names", name, "Image",
                         ci->image, "ImageID", ci->image_id, "Command", cmd, "Created", (json_int_t) ci->created,
                         "Ports", ports_json(ci), "Labels", ci->labels, "State", ci->state);
}

json_t *engine_container_summary_tail(const ContainerInfo *ci)
{
        _cleanup_json_ json_t *nets = ci->networks ? json_incref(ci->networks) : json_object();
        _cleanup_json_ json_t *mounts = ci->mounts ? json_incref(ci->mounts) : json_array();
        return json_pack("{s:{s:s},s:{s:O},s:O}", "HostConfig", "NetworkMode",
                         ci->network_mode ? ci->network_mode : "bridge", "NetworkSettings", "Networks", nets,
                         "Mounts", mounts);
}

json_t *engine_container_summary_json(const ContainerInfo *ci)
{
        json_t *s = engine_container_summary_head(ci);
        _cleanup_json_ json_t *tail = engine_container_summary_tail(ci);
        _cleanup_free_ char *status = engine_container_status_text(ci);
        json_object_set_new(s, "Status", json_string(status));
        json_object_update(s, tail);
        return s;
}

/* ---- reading the rows (reconciled: a row whose monitor is gone gets the truth) ---- */

void container_info_free(ContainerInfo *ci)
{
        if (!ci)
                return;
        free(ci->id);
        free(ci->name);
        free(ci->image);
        free(ci->image_id);
        free(ci->state);
        free(ci->created_at);
        free(ci->health);
        free(ci->network_mode);
        strv_free(ci->command);
        json_decref(ci->labels);
        json_decref(ci->ports);
        json_decref(ci->mounts);
        json_decref(ci->networks);
        free(ci);
}

void container_info_list_free(ContainerInfo **l, size_t n)
{
        for (size_t i = 0; i < n; i++)
                container_info_free(l[i]);
        free(l);
}

static char **command_of(const char *json)
{
        _cleanup_json_ json_t *a = NULL;
        if (json)
                (void) json_parse_text(json, strlen(json), "command", &a, NULL);
        return json_strv(a);
}

static ContainerInfo *info_of(Ctr *c, const char *command)
{
        ContainerInfo *ci = xmalloc0(sizeof(*ci));
        ci->id = xstrdup(c->id);
        ci->name = xstrdup(c->name);
        ci->image = xstrdup(c->image_ref);
        ci->image_id = xstrdup(c->image_id);
        ci->state = xstrdup(c->state);
        ci->exit_code = c->exit_code;
        ci->created = c->created;
        ci->started_ns = c->started_ns;
        ci->finished_ns = c->finished_ns;
        ci->pid = c->pid;
        ci->monitor_pid = c->monitor_pid;
        ci->restart_count = c->restart_count;
        ci->health = xstrdup(c->health ? c->health : "");
        ci->command = command_of(command);
        json_t *labels = json_object_get(c->create, "Labels");
        ci->labels = json_is_object(labels) ? json_incref(labels) : json_object();
        ci->ports = json_incref(json_object_get(c->net, "Ports"));
        ci->networks = json_incref(json_object_get(c->net, "Networks"));
        ci->network_mode = xstrdup(ctr_network_mode(c));
        return ci;
}

/* Every column the summary shows, in one SELECT: of the create body only the labels, the
 * network mode, the four HostConfig members the Mounts come from (Binds, Mounts, VolumesFrom,
 * Tmpfs) and, for a container never started, the networks it is to join, extracted by SQLite (a json_t of the whole body per row was most of a list's cost;
 * for the members, "[null,null,null,null]" in most rows: nothing to parse). The members are
 * looked up in Docker's spelling, as the labels and network mode are (json_each to match keys of
 * any case as inspect does cost 80 us a row). json_valid keeps one bad row from failing the
 * statement. */
#define LIST_SQL                                                                                          \
        "SELECT id, name, image, image_id, state, created, exit_code, pid, monitor_pid, started_ns,"     \
        " finished_ns, restart_count, health, command, net_json,"                                        \
        " CASE WHEN json_valid(create_json) THEN json_extract(create_json, '$.Labels') END,"             \
        " CASE WHEN json_valid(create_json) THEN json_extract(create_json, '$.HostConfig.NetworkMode') END," \
        " CASE WHEN json_valid(create_json) THEN json_extract(create_json, '$.NetworkDisabled') END,"    \
        " CASE WHEN json_valid(create_json) THEN json_extract(create_json, '$.HostConfig.Binds',"        \
        "  '$.HostConfig.Mounts', '$.HostConfig.VolumesFrom', '$.HostConfig.Tmpfs') END,"                \
        " CASE WHEN json_valid(create_json) AND coalesce(net_json, '') = '' THEN"                        \
        "  json_extract(create_json, '$.NetworkingConfig.EndpointsConfig') END"                          \
        " FROM containers ORDER BY created DESC, rowid DESC"

static const char *col(sqlite3_stmt *st, int i)
{
        const char *t = (const char *) sqlite3_column_text(st, i);
        return t ? t : "";
}

static json_t *col_object(sqlite3_stmt *st, int i, const char *what)
{
        const char *t = col(st, i);
        json_t *j = NULL;
        if (*t && json_parse_text(t, strlen(t), what, &j, NULL) == 0 && json_is_object(j))
                return j;
        json_decref(j);
        return NULL;
}

/* The members the Mounts come from, as an object, from the SELECT's array of their values;
 * NULL when there are none. */
static json_t *mount_members(const char *values)
{
        static const char *const keys[] = { "Binds", "Mounts", "VolumesFrom", "Tmpfs" };
        _cleanup_json_ json_t *a = NULL;
        if (!*values || streq(values, "[null,null,null,null]") ||
            json_parse_text(values, strlen(values), "container mounts", &a, NULL) < 0)
                return NULL;
        json_t *host = json_object();
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_t *v = json_array_get(a, i);
                if (v && !json_is_null(v))
                        json_object_set(host, keys[i], v);
        }
        return host;
}

static ContainerInfo *info_of_row(sqlite3_stmt *st, json_t **ret_host)
{
        ContainerInfo *ci = xmalloc0(sizeof(*ci));
        ci->id = xstrdup(col(st, 0));
        ci->name = xstrdup(col(st, 1));
        ci->image = xstrdup(col(st, 2));
        ci->image_id = xstrdup(col(st, 3));
        ci->state = xstrdup(col(st, 4));
        ci->created = sqlite3_column_int64(st, 5);
        ci->exit_code = sqlite3_column_int(st, 6);
        ci->pid = (pid_t) sqlite3_column_int(st, 7);
        ci->monitor_pid = (pid_t) sqlite3_column_int(st, 8);
        ci->started_ns = sqlite3_column_int64(st, 9);
        ci->finished_ns = sqlite3_column_int64(st, 10);
        ci->restart_count = sqlite3_column_int(st, 11);
        ci->health = xstrdup(col(st, 12));
        ci->command = command_of(col(st, 13));
        _cleanup_json_ json_t *net = col_object(st, 14, "container network");
        ci->ports = json_incref(json_object_get(net, "Ports"));
        ci->networks = json_incref(json_object_get(net, "Networks"));
        ci->labels = col_object(st, 15, "container labels") ?: json_object();
        const char *mode = (const char *) sqlite3_column_text(st, 16);
        ci->network_mode = xstrdup(ctr_network_mode_of(mode, sqlite3_column_int(st, 17) != 0));
        *ret_host = mount_members(col(st, 18));
        if (!net) {
                /* never started: the networks it is to join, as inspect and dockerd show them */
                _cleanup_json_ json_t *eps = col_object(st, 19, "container endpoints");
                ci->networks = engine_configured_networks(ci->network_mode, eps);
        }
        return ci;
}

bool ctr_info_active(const ContainerInfo *ci)
{
        return streq(ci->state, "running") || streq(ci->state, "paused") || streq(ci->state, "restarting");
}

/* A row whose monitor is gone is loaded in full and reconciled (rare: kill -9, a reboot). */
static ContainerInfo *info_reconciled(Engine *e, sqlite3 *db, ContainerInfo *ci)
{
        Ctr c = { .e = e, .db = db, .db_borrowed = true };
        if (ctr_load(&c, ci->id, NULL) == 0) {
                ctr_reconcile(&c);
                ContainerInfo *n = info_of(&c, NULL);
                strv_free(n->command);
                n->command = TAKE_PTR(ci->command);
                container_info_free(ci);
                ci = n;
        }
        ctr_done(&c);
        return ci;
}

/* What a row needs once the SELECT is done: whether to reconcile it, where its Mounts come from. */
typedef struct RowExtra {
        bool orphan;
        json_t *host;   /* the HostConfig members of the Mounts (owned, NULL when none) */
} RowExtra;

int engine_container_list(Engine *e, bool all, ContainerInfo ***ret, size_t *ret_n, LadeError **err)
{
        /* the Engine's connection: in a server, pooled with its parsed schema (no open per list) */
        sqlite3 *db;
        int r = engine_db(e, &db, err);
        if (r < 0)
                return r;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        if ((r = image_db_prepare(db, LIST_SQL, &st, err, NULL)) < 0)
                return r;
        ContainerInfo **l = xmalloc0(sizeof(*l));
        size_t n = 0;
        _cleanup_free_ RowExtra *x = NULL;
        while (sqlite3_step(st) == SQLITE_ROW) {
                l = xreallocarray(l, n + 2, sizeof(*l));
                x = xreallocarray(x, n + 1, sizeof(*x));
                l[n] = info_of_row(st, &x[n].host);
                x[n].orphan = ctr_info_active(l[n]) && !pid_alive(l[n]->monitor_pid);
                l[++n] = NULL;
        }
        /* a reconcile's UPDATE must not run under our open SELECT */
        st = image_db_finalize(st);
        /* every row's container_volumes in one read: no query per row */
        _cleanup_(engine_volumes_mounts_index_freep) VolumeMountsIndex *ix = NULL;
        if (n > 0)
                ix = engine_volumes_mounts_index(e);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (x[i].orphan)
                        l[i] = info_reconciled(e, db, l[i]);
                if (!all && !ctr_info_active(l[i]))
                        container_info_free(l[i]);
                else {
                        l[i]->mounts = engine_volumes_mounts_json_indexed(e, ix, l[i]->id, x[i].host);
                        l[k++] = l[i];
                }
                json_decref(x[i].host);
        }
        l[k] = NULL;
        *ret = l;
        *ret_n = k;
        return 0;
}
