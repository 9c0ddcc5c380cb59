/* Docker's GET /containers/{id}/json document, built from the row, the create body, the image's
 * config and the spec the container last ran with. */
#include <stdio.h>
#include <string.h>

#include "containers-internal.h"
#include "json-util.h"
#include "util.h"
#include "volumes.h"

static json_t *strv_json(char *const *v)
{
        if (!v)
                return json_null();
        json_t *a = json_array();
        for (; *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

static json_t *state_json(Ctr *c)
{
        char *started = format_rfc3339_ns(c->started_ns), *finished = format_rfc3339_ns(c->finished_ns);
        const char *s = c->state;
        json_t *st = json_pack("{s:s,s:b,s:b,s:b,s:b,s:b,s:i,s:i,s:s,s:s,s:s}", "Status",
                               streq(s, "paused") ? "paused" : s, "Running",
                               streq(s, "running") || streq(s, "paused"), "Paused", streq(s, "paused"),
                               "Restarting", streq(s, "restarting"), "OOMKilled", 0, "Dead", streq(s, "dead"),
                               "Pid", (int) c->pid, "ExitCode", c->exit_code, "Error", c->error ? c->error : "",
                               "StartedAt", started, "FinishedAt", finished);
        if (c->health && *c->health)
                json_object_set_new(st, "Health", json_pack("{s:s,s:i,s:[]}", "Status", c->health,
                                                            "FailingStreak", 0, "Log"));
        free(started);
        free(finished);
        return st;
}

/* Config: the request's fields with the image's defaults applied, as dockerd merges them. */
static json_t *config_json(Ctr *c)
{
        json_t *req = c->create, *cfg = json_object();
        static const char *const copy[] = { "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout",
                                            "AttachStderr", "ExposedPorts", "Tty", "OpenStdin", "StdinOnce",
                                            "Env", "Cmd", "Healthcheck", "Image", "Volumes", "WorkingDir",
                                            "Entrypoint", "OnBuild", "Labels", "StopSignal", "StopTimeout" };
        for (size_t i = 0; i < ELEMENTSOF(copy); i++) {
                json_t *v = json_object_get(req, copy[i]);
                if (v && !json_is_null(v))
                        json_object_set(cfg, copy[i], v);
        }
        json_t *proc = json_object_get(c->spec, "process");
        if (json_object_get(proc, "env"))
                json_object_set(cfg, "Env", json_object_get(proc, "env"));
        const ImageConfig *ic = c->image ? c->image->config : NULL;
        if (ic) {
                if (!json_object_get(cfg, "Cmd") && !json_object_get(cfg, "Entrypoint"))
                        json_object_set_new(cfg, "Cmd", strv_json(ic->cmd));
                if (!json_object_get(cfg, "Entrypoint"))
                        json_object_set_new(cfg, "Entrypoint", strv_json(ic->entrypoint));
                if (!json_object_get(cfg, "WorkingDir") && ic->working_dir)
                        json_object_set_new(cfg, "WorkingDir", json_string(ic->working_dir));
                if (!json_object_get(cfg, "User") && ic->user)
                        json_object_set_new(cfg, "User", json_string(ic->user));
                if (ic->labels) {
                        json_t *l = json_deep_copy(ic->labels);
                        json_object_update(l, json_object_get(cfg, "Labels"));
                        json_object_set_new(cfg, "Labels", l);
                }
        }
        static const char *const defaults[] = { "Hostname", "Domainname", "User", "WorkingDir" };
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++)
                if (!json_object_get(cfg, defaults[i]))
                        json_object_set_new(cfg, defaults[i], json_string(""));
        if (streq(json_string_value(json_object_get(cfg, "Hostname")), ""))
                json_object_set_new(cfg, "Hostname", json_sprintf("%.12s", c->id));
        if (!json_object_get(cfg, "Labels"))
                json_object_set_new(cfg, "Labels", json_object());
        json_object_set_new(cfg, "Image", json_string(c->image_ref));
        return cfg;
}

static json_t *network_settings(Ctr *c)
{
        json_t *n = c->net ? json_deep_copy(c->net) : json_object();
        static const char *const str_keys[] = { "Bridge", "SandboxID", "SandboxKey", "EndpointID", "Gateway",
                                                "GlobalIPv6Address", "IPAddress", "IPv6Gateway", "MacAddress" };
        for (size_t i = 0; i < ELEMENTSOF(str_keys); i++)
                if (!json_object_get(n, str_keys[i]))
                        json_object_set_new(n, str_keys[i], json_string(""));
        if (!json_object_get(n, "Ports"))
                json_object_set_new(n, "Ports", json_object());
        if (!json_object_get(n, "Networks"))
                json_object_set_new(n, "Networks", c->net ? json_object() : ctr_configured_networks(c));
        if (!json_object_get(n, "IPPrefixLen"))
                json_object_set_new(n, "IPPrefixLen", json_integer(0));
        return n;
}

static json_t *graph_driver(Ctr *c)
{
        _cleanup_strv_free_ char **layers = NULL;
        _cleanup_free_ char *lower = xstrdup("");
        if (image_store_layer_dirs(engine_images(c->e), c->image_id, &layers, NULL) == 0)
                for (size_t i = strv_length(layers); i-- > 0;) {
                        char *t = xasprintf("%s%s%s", lower, *lower ? ":" : "", layers[i]);
                        free(lower);
                        lower = t;
                }
        return json_pack("{s:{s:s,s:s,s:o,s:o},s:s}", "Data", "LowerDir", lower, "MergedDir", c->rootfs,
                         "UpperDir", json_sprintf("%s/upper", c->dir), "WorkDir", json_sprintf("%s/work", c->dir),
                         "Name", "overlay2");
}

int engine_container_inspect(Engine *e, const char *name_or_id, json_t **ret, LadeError **err)
{
        Ctr c = { .e = e };
        int r = ctr_borrow_db(&c, err);
        if (r >= 0)
                r = ctr_load(&c, name_or_id, err);
        if (r < 0) {
                ctr_done(&c);
                return r;
        }
        ctr_reconcile(&c);
        (void) image_store_resolve(engine_images(e), c.image_id, &c.image, NULL);
        _cleanup_free_ char *spec_path = xasprintf("%s/config.json", c.dir);
        (void) json_load_path(spec_path, 16u << 20, &c.spec, NULL);
        json_t *args = json_object_get(json_object_get(c.spec, "process"), "args");
        const char *path = json_string_value(json_array_get(args, 0));
        json_t *rest = json_array();
        for (size_t i = 1; i < json_array_size(args); i++)
                json_array_append(rest, json_array_get(args, i));
        _cleanup_free_ char *created = format_rfc3339_ns(c.created * 1000000000LL);
        json_t *host = json_object_get(c.create, "HostConfig");
        host = json_is_object(host) ? json_deep_copy(host) : json_object();
        /* dockerd fills the defaults clients read back (the Python SDK needs LogConfig.Type) */
        json_t *lc = json_object_get(host, "LogConfig");
        if (!json_is_object(lc))
                json_object_set_new(host, "LogConfig", lc = json_object());
        const char *lt = json_string_value(json_object_get(lc, "Type"));
        if (!lt || !*lt)
                json_object_set_new(lc, "Type", json_string("json-file"));
        if (!json_is_object(json_object_get(lc, "Config")))
                json_object_set_new(lc, "Config", json_object());
        if (!json_is_string(json_object_get(host, "NetworkMode")))
                json_object_set_new(host, "NetworkMode", json_string(ctr_network_mode(&c)));
        json_t *doc = json_pack("{s:s,s:s,s:s?,s:o,s:o,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:n,s:o,s:o,s:o,s:o,s:o}",
                                "Id", c.id, "Created", created, "Path", path ? path : "", "Args", rest,
                                "State", state_json(&c), "Image", c.image_id,
                                "ResolvConfPath", "",
                                "HostnamePath", "", "HostsPath", "", "LogPath", "", "Name", "",
                                "RestartCount", c.restart_count, "Driver", "overlay2", "Platform", "linux",
                                "MountLabel", "", "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs",
                                "HostConfig", host, "GraphDriver", graph_driver(&c),
                                "Mounts", engine_volumes_mounts_json(e, c.id, c.create), "Config", config_json(&c),
                                "NetworkSettings", network_settings(&c));
        json_object_set_new(doc, "ResolvConfPath", json_sprintf("%s/resolv.conf", c.dir));
        json_object_set_new(doc, "HostnamePath", json_sprintf("%s/hostname", c.dir));
        json_object_set_new(doc, "HostsPath", json_sprintf("%s/hosts", c.dir));
        json_object_set_new(doc, "LogPath", json_sprintf("%s/%s-json.log", c.dir, c.id));
        json_object_set_new(doc, "Name", json_sprintf("/%s", c.name));
        *ret = doc;
        ctr_done(&c);
        return 0;
}
