/* /_ping, /version, /info, /system/df, /events, /auth. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "api-internal.h"
#include "config.h"
#include "containers.h"
#include "engine-events.h"
#include "engine-filters.h"
#include "json-util.h"
#include "manifest.h"
#include "util.h"

#define CGROUP2_MAGIC 0x63677270

int api_ping(ApiRequest *req, LadeError **err)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *) "OK", MHD_RESPMEM_PERSISTENT);
        if (!resp)
                return lade_error_msg(err, ENOMEM, "ping");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
        MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
        MHD_add_response_header(resp, "Pragma", "no-cache");
        /* the classic builder: POST /build with a tar context */
        MHD_add_response_header(resp, "Builder-Version", "1");
        return api_respond(req, 200, resp);
}

static char *host_arch(void)
{
        Platform p = { 0 };
        platform_host(&p);
        char *a = xstrdup(p.architecture ? p.architecture : "unknown");
        platform_done(&p);
        return a;
}

static char *build_time(void)
{
        return xstrdup(__DATE__ " " __TIME__);
}

int api_version(ApiRequest *req, LadeError **err)
{
        struct utsname u;
        (void) uname(&u);
        _cleanup_free_ char *arch = host_arch(), *bt = build_time();
        json_t *details = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ApiVersion", API_VERSION_MAX_STR,
                                    "Arch", arch, "BuildTime", bt, "Experimental", "false", "GitCommit", LADE_COMMIT,
                                    "GoVersion", "", "KernelVersion", u.release, "MinAPIVersion", API_VERSION_MIN_STR,
                                    "Os", "linux");
        json_t *v = json_pack("{s:{s:s},s:[{s:s,s:s,s:o}],s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
                              "Platform", "Name", "lade", "Components", "Name", "Engine", "Version", LADE_VERSION,
                              "Details", details, "Version", LADE_VERSION, "ApiVersion", API_VERSION_MAX_STR,
                              "MinAPIVersion", API_VERSION_MIN_STR, "GitCommit", LADE_COMMIT, "GoVersion", "",
                              "Os", "linux", "Arch", arch, "KernelVersion", u.release, "BuildTime", bt);
        return api_respond_json(req, 200, v);
}

/* /etc/os-release's KEY, unquoted. */
static char *os_release(const char *key)
{
        _cleanup_free_ char *text = NULL;
        if (read_file_at(AT_FDCWD, "/etc/os-release", 64 * 1024, &text, NULL, NULL) < 0)
                return xstrdup("");
        size_t kl = strlen(key);
        for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (strncmp(line, key, kl) != 0 || line[kl] != '=')
                        continue;
                char *v = line + kl + 1;
                size_t n = strcspn(v, "\n");
                if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
                        return xstrndup(v + 1, n - 2);
                return xstrndup(v, n);
        }
        return xstrdup("");
}

static const char *fs_name(const char *path)
{
        struct statfs sf;
        if (statfs(path, &sf) < 0)
                return "unknown";
        switch ((unsigned long) sf.f_type) {
        case 0xEF53: return "extfs";
        case 0x58465342: return "xfs";
        case 0x9123683E: return "btrfs";
        case 0x01021994: return "tmpfs";
        case 0x794c7630: return "overlayfs";
        case 0x2fc12fc1: return "zfs";
        default: return "unknown";
        }
}

static const char *cgroup_version(void)
{
        struct statfs sf;
        return statfs("/sys/fs/cgroup", &sf) == 0 && (unsigned long) sf.f_type == CGROUP2_MAGIC ? "2" : "1";
}

/* A stable ID for this state root, made on first use. */
static char *engine_id(ApiServer *s)
{
        _cleanup_free_ char *path = xasprintf("%s/engine-id", s->root), *id = NULL;
        if (read_file_at(AT_FDCWD, path, 128, &id, NULL, NULL) == 0 && *id) {
                id[strcspn(id, "\n")] = '\0';
                return TAKE_PTR(id);
        }
        free(id);
        id = NULL;
        if (read_file_at(AT_FDCWD, "/proc/sys/kernel/random/uuid", 128, &id, NULL, NULL) < 0)
                return xstrdup("");
        id[strcspn(id, "\n")] = '\0';
        (void) write_file_atomic_at(AT_FDCWD, path, id, strlen(id), 0644, NULL);
        return TAKE_PTR(id);
}

static long count_fds(void)
{
        _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
        long n = 0;
        for (struct dirent *de; d && (de = readdir(d));)
                n += de->d_name[0] != '.';
        return n;
}

/* As dockerd: insecure registries given by name are index configs with Secure false. The
 * AllowNondistributableArtifacts lists are gone from API 1.49. */
static json_t *info_registry_config(ApiServer *s, unsigned minor)
{
        json_t *indexes = json_pack("{s:{s:s,s:[],s:b,s:b}}", "docker.io", "Name", "docker.io", "Mirrors", "Secure", 1,
                                    "Official", 1);
        for (char **i = s->insecure; i && *i; i++)
                json_object_set_new(indexes, *i, json_pack("{s:s,s:[],s:b,s:b}", "Name", *i, "Mirrors", "Secure", 0,
                                                           "Official", 0));
        json_t *rc = json_pack("{s:[s,s],s:o,s:[]}", "InsecureRegistryCIDRs", "127.0.0.0/8", "::1/128",
                               "IndexConfigs", indexes, "Mirrors");
        if (minor < 49) {
                json_object_set_new(rc, "AllowNondistributableArtifactsCIDRs", json_array());
                json_object_set_new(rc, "AllowNondistributableArtifactsHostnames", json_array());
        }
        return rc;
}

/* What /info shows only in some API versions, as dockerd 28 gates it. DiscoveredDevices (1.50)
 * is never shown: lade discovers no devices, and dockerd omits an empty list. */
static void info_versioned(json_t *info, unsigned minor)
{
        /* the firewall lade programs: its nftables table (network-nft.c), nothing else */
        if (minor >= 49)
                json_object_set_new(info, "FirewallBackend", json_pack("{s:s}", "Driver", "nftables"));
        /* the commits' Expected (deprecated in 1.48) equal their ID, as in dockerd */
        static const char *const commits[] = { "ContainerdCommit", "RuncCommit", "InitCommit" };
        for (size_t i = 0; minor < 49 && i < ELEMENTSOF(commits); i++) {
                json_t *c = json_object_get(info, commits[i]);
                json_object_set(c, "Expected", json_object_get(c, "ID"));
        }
        /* always false since dockerd loads br_netfilter on demand; gone from 1.50 */
        if (minor < 50) {
                json_object_set_new(info, "BridgeNfIptables", json_false());
                json_object_set_new(info, "BridgeNfIp6tables", json_false());
        }
}

static json_t *info_system(ApiServer *s)
{
        struct utsname u;
        struct sysinfo si;
        char host[256] = "";
        (void) uname(&u);
        (void) sysinfo(&si);
        (void) gethostname(host, sizeof(host) - 1);
        _cleanup_free_ char *pretty = os_release("PRETTY_NAME"), *ver = os_release("VERSION_ID");
        _cleanup_free_ char *arch = host_arch();
        char when[64];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        const char *hp = getenv("HTTP_PROXY"), *hsp = getenv("HTTPS_PROXY"), *np = getenv("NO_PROXY");
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "KernelVersion", u.release,
                         "OperatingSystem", pretty, "OSVersion", ver, "OSType", "linux", "Architecture", u.machine,
                         "NCPU", (json_int_t) sysconf(_SC_NPROCESSORS_ONLN),
                         "MemTotal", (json_int_t) si.totalram * (json_int_t) si.mem_unit, "DockerRootDir", s->root,
                         "HttpProxy", hp ? hp : "", "HttpsProxy", hsp ? hsp : "", "NoProxy", np ? np : "",
                         "Name", host, "SystemTime", when, "CgroupVersion", cgroup_version(),
                         "NFd", (json_int_t) count_fds());
}

static void json_merge(json_t *into, json_t *from)
{
        json_object_update(into, from);
        json_decref(from);
}

int api_info(ApiRequest *req, LadeError **err)
{
        ApiServer *s = req->server;
        _cleanup_(engine_freep) Engine *e = NULL;
        ImageInfo **l = NULL;
        size_t n = 0;
        int r = api_engine_open(s, NULL, NULL, NULL, &e, err);
        if (r == 0)
                r = image_store_list(engine_images(e), &l, &n, err);
        if (r < 0)
                return r;
        size_t listed = 0;
        for (size_t i = 0; i < n; i++)
                listed += !l[i]->intermediate;
        image_info_list_free(l, n);
        n = listed;
        ContainerInfo **cl = NULL;
        size_t cn = 0;
        int running = 0, paused = 0;
        if ((r = engine_container_list(e, true, &cl, &cn, err)) < 0)
                return r;
        for (size_t i = 0; i < cn; i++) {
                running += streq(cl[i]->state, "running") || streq(cl[i]->state, "restarting");
                paused += streq(cl[i]->state, "paused");
        }
        container_info_list_free(cl, cn);
        _cleanup_free_ char *id = engine_id(s);
        bool v2 = streq(cgroup_version(), "2");
        json_t *info = json_pack("{s:s,s:i,s:i,s:i,s:i,s:I,s:s,s:[[s,s],[s,s],[s,s],[s,s]],s:[],"
                                 "s:{s:[s],s:[s,s,s],s:n,s:[s]},s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b}",
                                 "ID", id, "Containers", (int) cn, "ContainersRunning", running, "ContainersPaused",
                                 paused, "ContainersStopped", (int) cn - running - paused, "Images", (json_int_t) n, "Driver", "overlay2",
                                 "DriverStatus", "Backing Filesystem", fs_name(s->root), "Supports d_type", "true",
                                 "Using metacopy", "false", "Native Overlay Diff", "true", "SystemStatus",
                                 "Plugins", "Volume", "local", "Network", "bridge", "host", "none", "Authorization",
                                 "Log", "json-file", "MemoryLimit", 1, "SwapLimit", 1, "KernelMemoryTCP", 0,
                                 "CpuCfsPeriod", 1, "CpuCfsQuota", 1, "CPUShares", 1, "CPUSet", 1, "PidsLimit", 1,
                                 "IPv4Forwarding", 1, "Debug", 0);
        json_merge(info, json_pack("{s:b,s:s,s:s,s:s,s:i,s:s,s:o,s:n,s:[],s:b,s:s,s:{s:{s:s}},s:s}",
                                   "OomKillDisable", 0, "LoggingDriver", "json-file", "CgroupDriver", "cgroupfs",
                                   "IndexServerAddress", "https://index.docker.io/v1/", "NEventsListener",
                                   (int) s->event_listeners, "ServerVersion", LADE_VERSION,
                                   "RegistryConfig", info_registry_config(s, req->api_minor), "GenericResources", "Labels",
                                   "ExperimentalBuild", 0, "DefaultRuntime", "lade", "Runtimes", "lade", "path",
                                   "lade-runtime", "Isolation", ""));
        json_merge(info, json_pack("{s:{s:s,s:s,s:s,s:b,s:s,s:n},s:b,s:s,s:{s:s},s:{s:s},s:{s:s},s:o,s:[],s:s}",
                                   "Swarm", "NodeID", "", "NodeAddr", "", "LocalNodeState", "inactive",
                                   "ControlAvailable", 0, "Error", "", "RemoteManagers", "LiveRestoreEnabled", 0,
                                   "InitBinary", "", "ContainerdCommit", "ID", "", "RuncCommit", "ID", LADE_COMMIT,
                                   "InitCommit", "ID", "",
                                   "SecurityOptions", v2 ? json_pack("[s,s]", "name=seccomp,profile=builtin", "name=cgroupns")
                                                         : json_pack("[s]", "name=seccomp,profile=builtin"),
                                   "Warnings", "ProductLicense", "Apache-2.0"));
        json_merge(info, info_system(s));
        info_versioned(info, req->api_minor);
        return api_respond_json(req, 200, info);
}

int api_system_df(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        ImageInfo **l = NULL;
        size_t n = 0;
        int r = api_engine_open(req->server, NULL, NULL, NULL, &e, err);
        if (r == 0)
                r = image_store_list(engine_images(e), &l, &n, err);
        if (r < 0)
                return r;
        ContainerInfo **cl = NULL;
        size_t cn = 0;
        if ((r = engine_container_list(e, true, &cl, &cn, err)) < 0) {
                image_info_list_free(l, n);
                return r;
        }
        json_t *images = json_array(), *seen = json_object(), *containers = json_array(), *refs = json_object();
        int64_t layers = 0;
        /* SharedSize, as dockerd's df: the size of an image's layers that another image (any,
         * build steps' too) also has */
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; l[i]->chain_ids && l[i]->chain_ids[k]; k++)
                        json_object_set_new(refs, l[i]->chain_ids[k],
                                            json_integer(json_integer_value(json_object_get(refs, l[i]->chain_ids[k])) + 1));
        for (size_t i = 0; i < cn; i++) {
                json_t *sum = engine_container_summary_json(cl[i]);
                api_container_sizes(e, cl[i]->id, sum);
                json_array_append_new(containers, sum);
        }
        for (size_t i = 0; i < n; i++) {
                if (l[i]->intermediate)
                        continue;
                json_t *sum = api_image_summary_json(l[i], req->api_minor);
                int users = 0;
                for (size_t k = 0; k < cn; k++)
                        users += streq(cl[k]->image_id, l[i]->id);
                json_object_set_new(sum, "Containers", json_integer(users));
                int64_t shared = 0;
                for (size_t k = 0; l[i]->chain_ids && l[i]->chain_ids[k]; k++) {
                        if (json_integer_value(json_object_get(refs, l[i]->chain_ids[k])) > 1)
                                shared += l[i]->layer_sizes[k];
                        if (!json_object_get(seen, l[i]->chain_ids[k])) {
                                json_object_set_new(seen, l[i]->chain_ids[k], json_true());
                                layers += l[i]->layer_sizes[k];
                        }
                }
                json_object_set_new(sum, "SharedSize", json_integer(shared));
                json_array_append_new(images, sum);
        }
        json_decref(seen);
        json_decref(refs);
        image_info_list_free(l, n);
        container_info_list_free(cl, cn);
        return api_respond_json(req, 200, json_pack("{s:I,s:o,s:o,s:[],s:[],s:I}", "LayersSize", (json_int_t) layers,
                                                    "Images", images, "Containers", containers, "Volumes", "BuildCache",
                                                    "BuilderSize", (json_int_t) 0));
}

/* ---- events ---- */

/* The stream reads the engine's events table (engine-events.h) every 200 ms after the newest
 * sequence it has sent; with `since`, it starts with the stored events from that time. */
typedef struct EventsStream {
        ApiServer *server;
        Engine *engine;
        EngineEventsWatch *watch;  /* made with engine, before the first read of the table */
        EngineFilters *filters;
        int client_fd;
        bool started;
        bool has_until;
        int64_t since, until;      /* seconds */
        int64_t seq;               /* the newest event looked at */
        char *buf;                 /* formatted, not sent yet */
        size_t len, off;
} EventsStream;

static bool event_matches(const EventsStream *es, const EngineEvent *ev)
{
        int64_t t = ev->time_ns / 1000000000;
        if ((es->since && t < es->since) || (es->has_until && t > es->until))
                return false;
        return engine_event_matches(es->filters, ev);
}

/* Formats the next matching events into es->buf; false when there were none. */
static bool events_fetch(EventsStream *es)
{
        EngineEvent *l = NULL;
        size_t n = 0;
        if (engine_events_read(es->engine, es->seq, 256, &l, &n, NULL) < 0 || n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                es->seq = l[i].seq;
                if (!event_matches(es, &l[i]))
                        continue;
                json_t *j = engine_event_json(&l[i]);
                _cleanup_free_ char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
                json_decref(j);
                if (!line)
                        continue;
                size_t ll = strlen(line);
                es->buf = xrealloc(es->buf, es->len + ll + 2);
                memcpy(es->buf + es->len, line, ll);
                es->buf[es->len + ll] = '\n';
                es->len += ll + 1;
        }
        engine_event_list_free(l, n);
        return true;
}

static ssize_t events_copy(EventsStream *es, char *buf, size_t max)
{
        size_t n = es->len - es->off < max ? es->len - es->off : max;
        memcpy(buf, es->buf + es->off, n);
        es->off += n;
        if (es->off == es->len)
                es->off = es->len = 0;
        return (ssize_t) n;
}

static ssize_t events_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        EventsStream *es = cls;
        /* MHD holds the headers back until the first body bytes: an endless stream opens with a
         * newline (JSON decoders skip whitespace) so the client sees it answered at once */
        if (!es->started && !es->has_until && max > 0) {
                es->started = true;
                buf[0] = '\n';
                return 1;
        }
        if (!es->engine) {
                if (api_engine_open(es->server, NULL, NULL, NULL, &es->engine, NULL) < 0)
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                es->watch = engine_events_watch_new(es->engine);
        }
        for (;;) {
                if (es->len > es->off)
                        return events_copy(es, buf, max);
                if (events_fetch(es))
                        continue;
                if (es->has_until && (int64_t) time(NULL) > es->until)
                        return MHD_CONTENT_READER_END_OF_STREAM;
                /* woken by the tick of the next event; the timeout only bounds `until` and a
                 * watch that could not be made */
                int wfd = engine_events_watch_fd(es->watch);
                int timeout = wfd < 0 || es->has_until ? 200 : ENGINE_EVENTS_WATCH_TIMEOUT_MS;
                struct pollfd p[3] = { { .fd = es->client_fd, .events = POLLRDHUP },
                                       { .fd = es->server->stop_fd, .events = POLLIN },
                                       { .fd = wfd, .events = POLLIN } };
                int r = poll(p, 3, timeout);
                if (r < 0 && errno != EINTR)
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                if (p[1].revents)
                        return MHD_CONTENT_READER_END_OF_STREAM;
                if (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                if (p[2].revents)
                        (void) engine_events_watch_drain(es->watch);
        }
}

static void events_free(void *cls)
{
        EventsStream *es = cls;
        pthread_mutex_lock(&es->server->lock);
        es->server->event_listeners--;
        pthread_mutex_unlock(&es->server->lock);
        engine_events_watch_free(es->watch);
        engine_free(es->engine);
        engine_filters_free(es->filters);
        free(es->buf);
        free(es);
}

int api_events(ApiRequest *req, LadeError **err)
{
        const char *fs = api_query(req, "filters"), *since = api_query(req, "since"), *until = api_query(req, "until");
        _cleanup_(engine_filters_freep) EngineFilters *f = NULL;
        _cleanup_(engine_freep) Engine *e = NULL;
        int64_t now = (int64_t) time(NULL), t_since = 0, t_until = 0, seq = 0;
        int r = engine_filters_parse(fs, fs ? strlen(fs) : 0, &f, err);
        if (r == 0)
                r = engine_filters_validate(f, engine_event_filter_keys, err);
        if (r == 0 && since && *since)
                r = engine_parse_timestamp(since, now, &t_since, err);
        if (r == 0 && until && *until)
                r = engine_parse_timestamp(until, now, &t_until, err);
        /* without since: only what happens from now on */
        if (r == 0 && !(since && *since) && (r = api_engine(req, &e, err)) == 0)
                r = engine_events_last_seq(e, &seq, err);
        if (r < 0)
                return r;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        EventsStream *es = xmalloc0(sizeof(*es));
        *es = (EventsStream){ .server = req->server, .client_fd = ci ? ci->connect_fd : -1, .filters = TAKE_PTR(f),
                              .has_until = until && *until, .since = t_since, .until = t_until, .seq = seq };
        pthread_mutex_lock(&req->server->lock);
        req->server->event_listeners++;
        pthread_mutex_unlock(&req->server->lock);
        struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, events_read, es,
                                                                      events_free);
        if (!resp) {
                events_free(es);
                return lade_error_msg(err, ENOMEM, "events");
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        /* the stream is silent between events: no idle timeout (it ends with the client) */
        (void) MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
        return api_respond(req, 200, resp);
}

/* ---- auth ---- */

int api_auth(ApiRequest *req, LadeError **err)
{
        json_t *body;
        int r = api_body_json(req, &body, err);
        if (r < 0)
                return r;
        json_t *u = json_member(body, "username"), *p = json_member(body, "password");
        json_t *srv = json_member(body, "serveraddress");
        if ((u && !json_is_string(u)) || (p && !json_is_string(p)) || (srv && !json_is_string(srv)))
                return lade_error_msg(err, EINVAL, "auth: username, password and serveraddress must be strings");
        _cleanup_(engine_freep) Engine *e = NULL;
        if ((r = api_engine_open(req->server, NULL, NULL, NULL, &e, err)) < 0)
                return r;
        const char *server = srv && *json_string_value(srv) ? json_string_value(srv) : NULL;
        r = engine_login_check(e, server, json_string_value(u), json_string_value(p), err);
        if (r == -EACCES)
                /* Docker answers a refused login with 401 */
                return api_respond_error(req, 401, "%s", lade_error_message(*err));
        if (r < 0)
                return r;
        return api_respond_json(req, 200, json_pack("{s:s,s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
}
