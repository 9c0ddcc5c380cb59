/* Published ports: Docker's HostConfig.PortBindings (as the CLI builds it from -p, ranges already
 * expanded one entry per container port) and -P over ExposedPorts, turned into NetPort entries,
 * then host ports allocated against other containers' bindings and the host's sockets. Nothing
 * here touches the kernel but the probe (a bind(2) that is closed again). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "json-util.h"
#include "network-internal.h"
#include "util.h"

static const char *const proto_names[_NET_PROTO_MAX] = {
        [NET_PROTO_TCP] = "tcp",
        [NET_PROTO_UDP] = "udp",
        [NET_PROTO_SCTP] = "sctp",
};

const char *net_proto_name(NetProto p)
{
        return p >= 0 && p < _NET_PROTO_MAX ? proto_names[p] : "?";
}

NetProto net_proto_from_name(const char *s)
{
        for (int i = 0; i < _NET_PROTO_MAX; i++)
                if (streq(s, proto_names[i]))
                        return (NetProto) i;
        return _NET_PROTO_INVALID;
}

/* "N" (1..65535, or 0 when zero_ok) into *ret. */
static int parse_port(const char *s, bool zero_ok, uint16_t *ret)
{
        uint64_t v;
        if (!s || !*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s) ||
            parse_uint64(s, &v) < 0 || v > 65535 || (v == 0 && !zero_ok))
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* "80/tcp" (or "80", tcp). */
static int parse_key(const char *key, NetProto *proto, uint16_t *port, LadeError **err)
{
        const char *slash = strchr(key, '/');
        _cleanup_free_ char *num = slash ? xstrndup(key, (size_t) (slash - key)) : xstrdup(key);
        *proto = slash ? net_proto_from_name(slash + 1) : NET_PROTO_TCP;
        if (*proto < 0)
                return lade_error_msg(err, EINVAL, "invalid proto: %s", slash + 1);
        if (parse_port(num, false, port) < 0)
                return lade_error_msg(err, EINVAL, "invalid port specification: \"%s\"", key);
        return 0;
}

/* HostPort: "" (random), "8080", "8000-8010" (one of them). */
static int parse_host_port(const char *s, NetPort *p, LadeError **err)
{
        if (!s || !*s)
                return 0;
        const char *dash = strchr(s, '-');
        _cleanup_free_ char *lo = dash ? xstrndup(s, (size_t) (dash - s)) : xstrdup(s);
        if (parse_port(lo, true, &p->host_lo) < 0 ||
            parse_port(dash ? dash + 1 : lo, true, &p->host_hi) < 0 || p->host_hi < p->host_lo)
                return lade_error_msg(err, EINVAL, "invalid hostPort: %s", s);
        if (p->host_lo == 0 && p->host_hi != 0)
                return lade_error_msg(err, EINVAL, "invalid hostPort: %s", s);
        return 0;
}

static int parse_binding(json_t *b, NetPort *p, LadeError **err)
{
        if (!json_is_object(b))
                return lade_error_msg(err, EINVAL, "invalid port binding: expected an object, got %s",
                                      json_type_name(b));
        json_t *ip = json_member(b, "HostIp"), *port = json_member(b, "HostPort");
        if ((ip && !json_is_string(ip)) || (port && !json_is_string(port)))
                return lade_error_msg(err, EINVAL, "invalid port binding: HostIp and HostPort "
                                      "must be strings");
        const char *ips = ip ? json_string_value(ip) : "";
        if (*ips && strchr(ips, ':'))
                return lade_error_msg(err, EINVAL, "invalid host IP %s: IPv6 port bindings are not "
                                      "supported", ips);
        if (*ips && net_ip_parse(ips, &p->host_ip) < 0)
                return lade_error_msg(err, EINVAL, "invalid host IP address: %s", ips);
        return parse_host_port(port ? json_string_value(port) : "", p, err);
}

static void push(NetPort **v, size_t *n, const NetPort *p)
{
        *v = xreallocarray(*v, *n + 1, sizeof(**v));
        (*v)[(*n)++] = *p;
}

static int parse_bindings(json_t *bindings, NetPort **v, size_t *n, LadeError **err)
{
        const char *key;
        json_t *arr;
        json_object_foreach(bindings, key, arr) {
                NetPort base = { 0 };
                int r = parse_key(key, &base.proto, &base.container_port, err);
                if (r < 0)
                        return r;
                if (json_is_null(arr))
                        continue;
                if (!json_is_array(arr))
                        return lade_error_msg(err, EINVAL, "invalid port bindings of %s: expected "
                                              "an array, got %s", key, json_type_name(arr));
                size_t i;
                json_t *b;
                json_array_foreach(arr, i, b) {
                        NetPort p = base;
                        if ((r = parse_binding(b, &p, err)) < 0)
                                return r;
                        if (*n >= NET_PORTS_MAX)
                                return lade_error_msg(err, E2BIG, "too many published ports "
                                                      "(at most %d)", NET_PORTS_MAX);
                        push(v, n, &p);
                }
        }
        return 0;
}

int net_ports_parse(json_t *bindings, json_t *exposed, bool publish_all, NetPort **ret,
                    size_t *ret_n, LadeError **err)
{
        _cleanup_free_ NetPort *v = NULL;
        size_t n = 0;
        int r;
        if (bindings && !json_is_null(bindings) && !json_is_object(bindings))
                return lade_error_msg(err, EINVAL, "invalid PortBindings: expected an object, got %s",
                                      json_type_name(bindings));
        if (json_is_object(bindings) && (r = parse_bindings(bindings, &v, &n, err)) < 0)
                return r;
        if (publish_all && json_is_object(exposed)) {
                const char *key;
                json_t *val;
                json_object_foreach(exposed, key, val) {
                        NetPort p = { 0 };
                        if ((r = parse_key(key, &p.proto, &p.container_port, err)) < 0)
                                return r;
                        /* -P leaves alone what -p already binds (Docker's rule) */
                        if (json_is_object(bindings) && json_object_get(bindings, key))
                                continue;
                        if (n >= NET_PORTS_MAX)
                                return lade_error_msg(err, E2BIG, "too many published ports "
                                                      "(at most %d)", NET_PORTS_MAX);
                        push(&v, &n, &p);
                }
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

bool net_port_probe_host(NetProto proto, uint32_t ip, uint16_t port, void *userdata)
{
        int type = proto == NET_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
        int ipproto = proto == NET_PROTO_SCTP ? IPPROTO_SCTP : 0;
        _cleanup_close_ int fd = socket(AF_INET, type | SOCK_CLOEXEC, ipproto);
        if (fd < 0)
                return true; /* no such protocol here: nothing can hold the port either */
        /* TCP: a connection in TIME_WAIT does not make a port taken */
        int one = 1;
        if (type == SOCK_STREAM)
                (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(ip) };
        return bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 || errno != EADDRINUSE;
}

static bool conflicts(const NetPort *a, NetProto proto, uint32_t ip, uint16_t port)
{
        return a->proto == proto && a->host_port == port &&
               (a->host_ip == 0 || ip == 0 || a->host_ip == ip);
}

static bool port_free(const NetPort *p, size_t i, uint16_t port, const NetPort *used,
                      size_t n_used, NetPortProbe probe, void *userdata)
{
        for (size_t k = 0; k < n_used; k++)
                if (conflicts(&used[k], p[i].proto, p[i].host_ip, port))
                        return false;
        for (size_t k = 0; k < i; k++)
                if (conflicts(&p[k], p[i].proto, p[i].host_ip, port))
                        return false;
        return !probe || probe(p[i].proto, p[i].host_ip, port, userdata);
}

int net_ports_assign(NetPort *p, size_t n, const NetPort *used, size_t n_used, uint16_t eph_lo,
                     uint16_t eph_hi, NetPortProbe probe, void *userdata, LadeError **err)
{
        for (size_t i = 0; i < n; i++) {
                bool random = p[i].host_lo == 0 && p[i].host_hi == 0;
                uint32_t lo = random ? eph_lo : p[i].host_lo, hi = random ? eph_hi : p[i].host_hi;
                p[i].host_port = 0;
                for (uint32_t port = lo; port <= hi && port > 0; port++)
                        if (port_free(p, i, (uint16_t) port, used, n_used, probe, userdata)) {
                                p[i].host_port = (uint16_t) port;
                                break;
                        }
                if (p[i].host_port)
                        continue;
                char ip[16];
                net_ip_format(p[i].host_ip, ip);
                if (random)
                        return lade_error_msg(err, EBUSY, "all ports are allocated");
                if (lo == hi)
                        return lade_error_msg(err, EBUSY, "Bind for %s:%u failed: port is already "
                                              "allocated", ip, lo);
                return lade_error_msg(err, EBUSY, "Bind for %s:%u-%u failed: port is already "
                                      "allocated", ip, lo, hi);
        }
        return 0;
}

void net_ports_ephemeral(uint16_t *lo, uint16_t *hi)
{
        _cleanup_free_ char *text = NULL;
        unsigned a, b;
        *lo = 32768;
        *hi = 60999;
        if (read_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_local_port_range", 64, &text, NULL,
                         NULL) == 0 && sscanf(text, "%u %u", &a, &b) == 2 && a > 0 && a <= b &&
            b <= 65535) {
                *lo = (uint16_t) a;
                *hi = (uint16_t) b;
        }
}

static void settings_add_key(json_t *o, const char *key)
{
        NetProto proto;
        uint16_t port;
        if (parse_key(key, &proto, &port, NULL) < 0)
                return;
        _cleanup_free_ char *k = xasprintf("%u/%s", port, net_proto_name(proto));
        if (!json_object_get(o, k))
                json_object_set_new(o, k, json_null());
}

json_t *net_ports_settings_json(const NetPort *p, size_t n, json_t *bindings, json_t *exposed)
{
        json_t *o = json_object(), *v;
        const char *key;
        if (json_is_object(exposed))
                json_object_foreach(exposed, key, v)
                        settings_add_key(o, key);
        if (json_is_object(bindings))
                json_object_foreach(bindings, key, v)
                        settings_add_key(o, key);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *k = xasprintf("%u/%s", p[i].container_port,
                                                   net_proto_name(p[i].proto));
                json_t *arr = json_object_get(o, k);
                if (!json_is_array(arr)) {
                        arr = json_array();
                        json_object_set_new(o, k, arr);
                }
                char ip[16], port[8];
                net_ip_format(p[i].host_ip, ip);
                snprintf(port, sizeof(port), "%u", p[i].host_port);
                json_array_append_new(arr, json_pack("{s:s,s:s}", "HostIp", ip, "HostPort", port));
        }
        return o;
}

json_t *net_ports_to_json(const NetPort *p, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
                char ip[16];
                net_ip_format(p[i].host_ip, ip);
                json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:i}", "p", net_proto_name(p[i].proto),
                                                   "ip", ip, "h", p[i].host_port, "c",
                                                   p[i].container_port));
        }
        return a;
}

int net_ports_from_json(json_t *j, NetPort **ret, size_t *ret_n)
{
        _cleanup_free_ NetPort *v = NULL;
        size_t n = 0, i;
        json_t *x;
        json_array_foreach(j, i, x) {
                NetPort p = { 0 };
                json_int_t h = json_integer_value(json_object_get(x, "h"));
                json_int_t c = json_integer_value(json_object_get(x, "c"));
                p.proto = net_proto_from_name(json_string_value(json_object_get(x, "p")));
                if (p.proto < 0 || h <= 0 || h > 65535 || c <= 0 || c > 65535 ||
                    net_ip_parse(json_string_value(json_object_get(x, "ip")), &p.host_ip) < 0)
                        return -EINVAL;
                p.host_port = p.host_lo = p.host_hi = (uint16_t) h;
                p.container_port = (uint16_t) c;
                push(&v, &n, &p);
        }
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}
