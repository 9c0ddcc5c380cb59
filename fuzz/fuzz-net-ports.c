/* The networking parsers on arbitrary bytes: the input as HostConfig.PortBindings (and as
 * ExposedPorts with -P) either fails with -EINVAL/-E2BIG and a message, or gives entries whose
 * ports and ranges are valid, which allocate (fake host: everything free) to ports inside their
 * range and survive the persisted form; the input as a CIDR and as a pool list either fails with a
 * message or gives a canonical subnet that formats back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "network-internal.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ports(const NetPort *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i].proto < 0 || p[i].proto >= _NET_PROTO_MAX || p[i].container_port == 0 ||
                    p[i].host_hi < p[i].host_lo || (p[i].host_lo == 0 && p[i].host_hi != 0))
                        abort();
        _cleanup_free_ NetPort *copy = xmalloc(sizeof(NetPort) * (n + 1));
        memcpy(copy, p, sizeof(NetPort) * n);
        /* bounded work: the allocator is quadratic in the entries */
        if (n <= 64 && net_ports_assign(copy, n, NULL, 0, 40000, 40100, NULL, NULL, NULL) == 0) {
                for (size_t i = 0; i < n; i++) {
                        uint16_t lo = copy[i].host_lo ? copy[i].host_lo : 40000;
                        uint16_t hi = copy[i].host_lo ? copy[i].host_hi : 40100;
                        if (copy[i].host_port < lo || copy[i].host_port > hi)
                                abort();
                }
                _cleanup_json_ json_t *j = net_ports_to_json(copy, n);
                _cleanup_free_ NetPort *back = NULL;
                size_t m;
                if (net_ports_from_json(j, &back, &m) < 0 || m != n)
                        abort();
                for (size_t i = 0; i < n; i++)
                        if (back[i].host_port != copy[i].host_port || back[i].host_ip != copy[i].host_ip ||
                            back[i].proto != copy[i].proto)
                                abort();
        }
}

static void fuzz_ports(json_t *j, bool all)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_free_ NetPort *p = NULL;
        size_t n = 0;
        int r = net_ports_parse(j, j, all, &p, &n, &err);
        if (r < 0) {
                if ((r != -EINVAL && r != -E2BIG) || !err || !err->msg || p)
                        abort();
                return;
        }
        check_ports(p, n);
        _cleanup_json_ json_t *s = net_ports_settings_json(p, n, j, j);
        if (!json_is_object(s))
                abort();
}

static void fuzz_cidr(const char *text)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        NetSubnet s;
        if (net_subnet_parse(text, &s, &err) < 0) {
                if (!err || !err->msg)
                        abort();
        } else {
                _cleanup_free_ char *f = net_subnet_format(&s);
                if (!streq(f, text) || (s.addr & net_subnet_mask(&s)) != s.addr)
                        abort();
        }
        _cleanup_(lade_error_freep) LadeError *perr = NULL;
        _cleanup_free_ NetPool *pools = NULL;
        size_t n;
        if (net_pools_parse(text, &pools, &n, &perr) < 0) {
                if (!perr || !perr->msg)
                        abort();
                return;
        }
        for (size_t i = 0; i < n; i++)
                if (pools[i].size < pools[i].base.len || pools[i].size > 30)
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 64 * 1024)
                return 0;
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        _cleanup_json_ json_t *j = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);
        if (j) {
                fuzz_ports(j, false);
                fuzz_ports(j, true);
        }
        if (size < 256)
                fuzz_cidr(text);
        return 0;
}
