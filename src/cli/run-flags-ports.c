/* -p/--publish and --expose: go-connections/nat's ParsePortSpecs and the CLI's --expose loop.
 * ExposedPorts is {"80/tcp": {}}; PortBindings is {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}
 * with one binding per -p naming the port, in command-line order. */
#include <string.h>

#include "json-util.h"
#include "run-flags-internal.h"
#include "util.h"

/* Every -p range expands to one entry per port; stop a command line from asking for millions. */
#define RUN_FLAGS_PORT_ENTRIES_MAX (4 * RUN_FLAGS_PORTS_MAX)

/* nat.SplitProtoPort: ("tcp", "80") from "80", ("udp", "53") from "53/udp". */
static void split_proto_port(const char *raw, char **proto, char **port)
{
        const char *slash = strchr(raw, '/');
        if (!*raw || raw[0] == '/') {
                *proto = xstrdup("");
                *port = xstrdup("");
        } else if (!slash) {
                *proto = xstrdup("tcp");
                *port = xstrdup(raw);
        } else {
                const char *end = strchr(slash + 1, '/');
                size_t n = end ? (size_t) (end - slash - 1) : strlen(slash + 1);
                *proto = n ? xstrndup(slash + 1, n) : xstrdup("tcp");
                *port = xstrndup(raw, (size_t) (slash - raw));
        }
}

/* nat.ParsePortRange: "80" or "8000-9000"; msg is the Go error text. */
static int port_range(const char *s, uint64_t *start, uint64_t *end, char **msg)
{
        const char *dash = strchr(s, '-');
        if (!*s) {
                *msg = xstrdup("empty string specified for ports");
                return -EINVAL;
        }
        if (!dash) {
                int r = go_parse_uint(s, 10, 16, start, msg);
                *end = *start;
                return r;
        }
        _cleanup_free_ char *a = xstrndup(s, (size_t) (dash - s));
        const char *b_end = strchr(dash + 1, '-');
        _cleanup_free_ char *b = b_end ? xstrndup(dash + 1, (size_t) (b_end - dash - 1)) : xstrdup(dash + 1);
        int r = go_parse_uint(a, 10, 16, start, msg);
        if (r >= 0)
                r = go_parse_uint(b, 10, 16, end, msg);
        if (r >= 0 && *end < *start) {
                *msg = xasprintf("invalid range specified for port: %s", s);
                r = -EINVAL;
        }
        return r;
}

/* net.SplitHostPort(ip + ":") for a bracketed host; NULL and msg on failure. */
static char *strip_brackets(const char *ip, char **msg)
{
        _cleanup_free_ char *hp = xasprintf("%s:", ip);
        size_t len = strlen(hp), i = len - 1;
        const char *why = NULL, *end = strchr(hp, ']');
        if (!end)
                why = "missing ']' in address";
        else if ((size_t) (end - hp) + 1 != i)
                why = end[1] == ':' ? "too many colons in address" : "missing port in address";
        else if (strchr(hp + 1, '['))
                why = "unexpected '[' in address";
        else if (strchr(end + 1, ']'))
                why = "unexpected ']' in address";
        if (why) {
                *msg = xasprintf("invalid IP address %s: address %s: %s", ip, hp, why);
                return NULL;
        }
        return xstrndup(hp + 1, (size_t) (end - hp - 1));
}

/* nat's splitParts: [ip:][hostPort:]containerPort, the ip taking every extra colon. */
static void split_parts(const char *raw, char **ip, char **host, char **cont)
{
        const char *last = strrchr(raw, ':'), *prev = NULL;
        for (const char *p = raw; last && p < last; p++)
                if (*p == ':')
                        prev = p;
        *cont = xstrdup(last ? last + 1 : raw);
        *host = !last ? xstrdup("") : xstrndup(prev ? prev + 1 : raw, (size_t) (last - (prev ? prev + 1 : raw)));
        *ip = prev ? xstrndup(raw, (size_t) (prev - raw)) : xstrdup("");
}

typedef struct PortSpec {
        char *ip, *host, *cont, *proto;
        uint64_t start, end, hstart, hend;
} PortSpec;

static void port_spec_done(PortSpec *p)
{
        free(p->ip);
        free(p->host);
        free(p->cont);
        free(p->proto);
}

static int port_spec_ip(PortSpec *p, LadeError **err)
{
        _cleanup_free_ char *msg = NULL;
        if (p->ip[0] == '[') {
                char *stripped = strip_brackets(p->ip, &msg);
                if (!stripped)
                        return lade_error_msg(err, EINVAL, "%s", msg);
                free(p->ip);
                p->ip = stripped;
        }
        if (*p->ip && !go_parse_ip(p->ip, NULL))
                return lade_error_msg(err, EINVAL, "invalid IP address: %s", p->ip);
        return 0;
}

/* nat.ParsePortSpec up to the expansion: the parts, checked. */
static int port_spec_parse(const char *raw, PortSpec *p, LadeError **err)
{
        _cleanup_free_ char *cport = NULL, *msg = NULL;
        split_parts(raw, &p->ip, &p->host, &cport);
        split_proto_port(cport, &p->proto, &p->cont);
        int r = port_spec_ip(p, err);
        if (r < 0)
                return r;
        if (!*p->cont)
                return lade_error_msg(err, EINVAL, "no port specified: %s<empty>", raw);
        if (port_range(p->cont, &p->start, &p->end, &msg) < 0)
                return lade_error_msg(err, EINVAL, "invalid containerPort: %s", p->cont);
        if (*p->host && port_range(p->host, &p->hstart, &p->hend, &msg) < 0)
                return lade_error_msg(err, EINVAL, "invalid hostPort: %s", p->host);
        if (*p->host && p->end - p->start != p->hend - p->hstart && p->end != p->start)
                return lade_error_msg(err, EINVAL, "invalid ranges specified for container and host Ports: "
                                      "%s and %s", p->cont, p->host);
        char *low = xstrdup(p->proto);
        for (char *c = low; *c; c++)
                *c = (char) (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        if (!streq(low, "tcp") && !streq(low, "udp") && !streq(low, "sctp")) {
                free(low);
                return lade_error_msg(err, EINVAL, "invalid proto: %s", p->proto);
        }
        free(p->proto);
        p->proto = low;
        return 0;
}

typedef struct PortMaps {
        json_t *exposed;     /* {port: {}} */
        json_t *bindings;    /* {port: [binding]} */
        size_t entries;
} PortMaps;

static int port_add_binding(PortMaps *m, const char *port, const char *ip, const char *host,
                            LadeError **err)
{
        json_t *list = json_object_get(m->bindings, port);
        if (++m->entries > RUN_FLAGS_PORT_ENTRIES_MAX)
                return lade_error_msg(err, EINVAL, "too many published ports (more than %d)",
                                      RUN_FLAGS_PORT_ENTRIES_MAX);
        if (!json_object_get(m->exposed, port))
                json_object_set_new(m->exposed, port, json_object());
        if (!list) {
                list = json_array();
                json_object_set_new(m->bindings, port, list);
        }
        json_array_append_new(list, json_pack("{s:s,s:s}", "HostIp", ip, "HostPort", host));
        return 0;
}

/* nat.ParsePortSpec's expansion: one mapping per container port. */
static int port_spec_expand(PortMaps *m, const PortSpec *p, LadeError **err)
{
        for (uint64_t i = 0; i <= p->end - p->start; i++) {
                _cleanup_free_ char *port = xasprintf("%llu/%s", (unsigned long long) (p->start + i), p->proto);
                _cleanup_free_ char *host = NULL;
                if (!*p->host)
                        host = xstrdup("");
                else if (p->start == p->end && p->hstart != p->hend)
                        host = xasprintf("%llu-%llu", (unsigned long long) (p->hstart + i),
                                         (unsigned long long) p->hend);
                else
                        host = xasprintf("%llu", (unsigned long long) (p->hstart + i));
                int r = port_add_binding(m, port, p->ip, host, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* convertToStandardNotation: "published=80,target=8080[,protocol=udp]" -> "80:8080/udp". */
static int publish_standard(const char *spec, char **ret, LadeError **err)
{
        _cleanup_strv_free_ char **params = NULL;
        _cleanup_free_ char *copy = xstrdup(spec);
        const char *published = "", *target = "", *protocol = "tcp";
        if (!strchr(spec, '=')) {
                *ret = xstrdup(spec);
                return 0;
        }
        for (char *p = copy, *next; p; p = next) {
                next = strchr(p, ',');
                if (next)
                        *next++ = '\0';
                char *eq = strchr(p, '=');
                if (!eq || eq == p)
                        return lade_error_msg(err, EINVAL, "invalid publish opts format (should be "
                                              "name=value but got '%s')", p);
                *eq = '\0';
                if (streq(p, "published"))
                        published = eq + 1;
                else if (streq(p, "target"))
                        target = eq + 1;
                else if (streq(p, "protocol"))
                        protocol = eq + 1;
        }
        *ret = xasprintf("%s:%s/%s", published, target, protocol);
        return 0;
}

static int publish_all(const RunOpts *o, PortMaps *m, LadeError **err)
{
        char **specs = o->v[OPT_PUBLISH].list;
        _cleanup_strv_free_ char **std = NULL;
        for (size_t i = 0; specs && specs[i]; i++) {
                char *s = NULL;
                int r = publish_standard(specs[i], &s, err);
                if (r < 0)
                        return r;
                std = strv_append(std, s);
                free(s);
        }
        for (size_t i = 0; std && std[i]; i++) {
                PortSpec p = {};
                int r = port_spec_parse(std[i], &p, err);
                if (r >= 0)
                        r = port_spec_expand(m, &p, err);
                port_spec_done(&p);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int expose_one(const char *e, PortMaps *m, LadeError **err)
{
        _cleanup_free_ char *proto = NULL, *port = NULL, *msg = NULL;
        uint64_t start, end;
        if (strchr(e, ':'))
                return lade_error_msg(err, EINVAL, "invalid port format for --expose: %s", e);
        split_proto_port(e, &proto, &port);
        if (port_range(port, &start, &end, &msg) < 0)
                return lade_error_msg(err, EINVAL, "invalid range format for --expose: %s, error: %s",
                                      e, msg);
        for (uint64_t i = start; i <= end; i++) {
                _cleanup_free_ char *key = xasprintf("%llu/%s", (unsigned long long) i, proto);
                if (++m->entries > RUN_FLAGS_PORT_ENTRIES_MAX)
                        return lade_error_msg(err, EINVAL, "too many exposed ports (more than %d)",
                                              RUN_FLAGS_PORT_ENTRIES_MAX);
                if (!json_object_get(m->exposed, key))
                        json_object_set_new(m->exposed, key, json_object());
        }
        return 0;
}

int run_build_ports(RunOpts *o, json_t *config, json_t *host, LadeError **err)
{
        PortMaps m = { .exposed = json_object(), .bindings = json_object() };
        int r = publish_all(o, &m, err);
        for (char **e = o->v[OPT_EXPOSE].list; r >= 0 && e && *e; e++)
                r = expose_one(*e, &m, err);
        if (r >= 0 && json_object_size(m.exposed) > 0)
                json_object_set(config, "ExposedPorts", m.exposed);
        if (r >= 0)
                json_object_set(host, "PortBindings", m.bindings);
        json_decref(m.exposed);
        json_decref(m.bindings);
        return r;
}
