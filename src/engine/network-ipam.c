/* IPv4 address management without state of its own: subnets, Docker's address pools, picking
 * an address given the ones in use, and Docker's MAC derivation. The caller holds the database
 * write lock while it picks, so what "used" says stays true until the endpoint is recorded. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network-internal.h"
#include "util.h"

int net_ip_parse(const char *s, uint32_t *ret)
{
        struct in_addr a;
        /* inet_pton takes only dotted quads: no "10.1", no octal, no hex */
        if (!s || inet_pton(AF_INET, s, &a) != 1)
                return -EINVAL;
        *ret = ntohl(a.s_addr);
        return 0;
}

void net_ip_format(uint32_t ip, char buf[static 16])
{
        snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

uint32_t net_subnet_mask(const NetSubnet *s)
{
        return s->len == 0 ? 0 : 0xffffffffu << (32 - s->len);
}

int net_subnet_parse(const char *s, NetSubnet *ret, LadeError **err)
{
        const char *slash = s ? strchr(s, '/') : NULL;
        /* the prefix length: 1-2 digits, no sign, no leading zero */
        if (!slash || slash == s || !slash[1] || strlen(slash + 1) > 2 ||
            strspn(slash + 1, "0123456789") != strlen(slash + 1) || (slash[1] == '0' && slash[2]))
                return lade_error_msg(err, EINVAL, "invalid CIDR address: %s", s ? s : "");
        _cleanup_free_ char *ip = xstrndup(s, (size_t) (slash - s));
        uint32_t a;
        char *end;
        long len = strtol(slash + 1, &end, 10);
        if (net_ip_parse(ip, &a) < 0 || *end || len < 0 || len > 32)
                return lade_error_msg(err, EINVAL, "invalid CIDR address: %s", s);
        NetSubnet n = { .addr = a, .len = (uint8_t) len };
        if ((a & net_subnet_mask(&n)) != a) {
                n.addr = a & net_subnet_mask(&n);
                _cleanup_free_ char *want = net_subnet_format(&n);
                return lade_error_msg(err, EINVAL, "invalid subnet %s: it should be %s", s, want);
        }
        *ret = n;
        return 0;
}

char *net_subnet_format(const NetSubnet *s)
{
        char b[16];
        net_ip_format(s->addr, b);
        return xasprintf("%s/%u", b, s->len);
}

bool net_subnet_contains(const NetSubnet *s, uint32_t ip)
{
        return (ip & net_subnet_mask(s)) == s->addr;
}

bool net_subnet_overlaps(const NetSubnet *a, const NetSubnet *b)
{
        /* two prefixes overlap exactly when the shorter one contains the other's start */
        return a->len <= b->len ? net_subnet_contains(a, b->addr) : net_subnet_contains(b, a->addr);
}

int net_pools_parse(const char *spec, NetPool **ret, size_t *ret_n, LadeError **err)
{
        _cleanup_free_ char *copy = xstrdup(spec);
        _cleanup_free_ NetPool *pools = NULL;
        size_t n = 0;
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *colon = strchr(tok, ':');
                if (!colon || n >= NET_POOLS_MAX)
                        return lade_error_msg(err, EINVAL, "invalid address pool '%s': expected "
                                              "BASE/LEN:SIZE, at most %d pools", tok, NET_POOLS_MAX);
                *colon = '\0';
                NetPool p;
                char *end;
                long size = strtol(colon + 1, &end, 10);
                int r = net_subnet_parse(tok, &p.base, err);
                if (r < 0)
                        return lade_error_wrap(err, "invalid address pool");
                if (*end || end == colon + 1 || size < p.base.len || size > 30)
                        return lade_error_msg(err, EINVAL, "invalid address pool '%s': size %s must "
                                              "be between %u and 30", tok, colon + 1, p.base.len);
                p.size = (uint8_t) size;
                pools = xreallocarray(pools, n + 1, sizeof(*pools));
                pools[n++] = p;
        }
        if (n == 0)
                return lade_error_msg(err, EINVAL, "no address pool in '%s'", spec);
        *ret = TAKE_PTR(pools);
        *ret_n = n;
        return 0;
}

static bool overlaps_any(const NetSubnet *s, const NetSubnet *taken, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (net_subnet_overlaps(s, &taken[i]))
                        return true;
        return false;
}

int net_pool_pick(const NetPool *pools, size_t n, const NetSubnet *taken, size_t n_taken,
                  NetSubnet *ret)
{
        for (size_t i = 0; i < n; i++) {
                uint64_t count = 1ull << (pools[i].size - pools[i].base.len);
                uint64_t step = 1ull << (32 - pools[i].size);
                for (uint64_t k = 0; k < count; k++) {
                        NetSubnet s = { (uint32_t) (pools[i].base.addr + k * step), pools[i].size };
                        if (!overlaps_any(&s, taken, n_taken)) {
                                *ret = s;
                                return 0;
                        }
                }
        }
        return -ENOSPC;
}

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

static bool reserved(const NetSubnet *s, uint32_t gateway, uint32_t ip)
{
        uint32_t bcast = s->addr | ~net_subnet_mask(s);
        /* /31 and /32 have no network/broadcast addresses to spare: Docker refuses them too */
        return ip == s->addr || ip == bcast || ip == gateway;
}

int net_ipam_pick(const NetSubnet *s, uint32_t gateway, const uint32_t *used, size_t n_used,
                  uint32_t *ret)
{
        if (s->len > 30)
                return -ENOSPC;
        _cleanup_free_ uint32_t *sorted = xreallocarray(NULL, n_used + 1, sizeof(uint32_t));
        if (n_used > 0)
                memcpy(sorted, used, n_used * sizeof(uint32_t));
        qsort(sorted, n_used, sizeof(uint32_t), cmp_u32);
        uint32_t last = s->addr | ~net_subnet_mask(s);
        size_t k = 0;
        for (uint64_t ip = s->addr + 1; ip < last; ip++) {
                while (k < n_used && sorted[k] < ip)
                        k++;
                if (k < n_used && sorted[k] == ip)
                        continue;
                if (reserved(s, gateway, (uint32_t) ip))
                        continue;
                *ret = (uint32_t) ip;
                return 0;
        }
        return -ENOSPC;
}

int net_ipam_check(const NetSubnet *s, uint32_t gateway, const uint32_t *used, size_t n_used,
                   uint32_t want, LadeError **err)
{
        char b[16];
        net_ip_format(want, b);
        if (!net_subnet_contains(s, want)) {
                _cleanup_free_ char *sub = net_subnet_format(s);
                return lade_error_msg(err, EINVAL, "invalid address %s: it does not belong to the "
                                      "network's subnet %s", b, sub);
        }
        if (reserved(s, gateway, want))
                return lade_error_msg(err, EINVAL, "invalid address %s: it is the network, "
                                      "broadcast or gateway address", b);
        for (size_t i = 0; i < n_used; i++)
                if (used[i] == want)
                        return lade_error_msg(err, EEXIST, "Address already in use");
        return 0;
}

void net_mac_from_ip(uint32_t ip, uint8_t mac[static 6])
{
        mac[0] = 0x02;
        mac[1] = 0x42;
        mac[2] = (uint8_t) (ip >> 24);
        mac[3] = (uint8_t) (ip >> 16);
        mac[4] = (uint8_t) (ip >> 8);
        mac[5] = (uint8_t) ip;
}

void net_mac_format(const uint8_t mac[static 6], char buf[static 18])
{
        snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                 mac[5]);
}

static int hex_digit(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Go's net.ParseMAC for the 6-byte forms an Ethernet interface takes ("02:42:ac:11:00:02",
 * "02-42-...", "0242.ac11.0002"); a group (multicast) address is refused, as the kernel would. */
int engine_network_parse_mac(const char *s, uint8_t mac[static 6], LadeError **err)
{
        size_t len = strlen(s);
        bool dotted = len == 14, ok = len == 17 || dotted;
        char sep = dotted ? '.' : len == 17 ? s[2] : 0;
        ok = ok && (dotted || sep == ':' || sep == '-');
        for (size_t k = 0; ok && k < 6; k++) {
                size_t at = dotted ? k / 2 * 5 + k % 2 * 2 : k * 3;
                bool sep_before = dotted ? k % 2 == 0 : true;
                if (k > 0 && sep_before && s[at - 1] != sep)
                        ok = false;
                int hi = ok ? hex_digit(s[at]) : -1, lo = ok ? hex_digit(s[at + 1]) : -1;
                ok = hi >= 0 && lo >= 0;
                if (ok)
                        mac[k] = (uint8_t) (hi << 4 | lo);
        }
        if (!ok)
                return lade_error_msg(err, EINVAL, "invalid MAC address %s", s);
        if (mac[0] & 1)
                return lade_error_msg(err, EINVAL, "invalid MAC address %s: a multicast address", s);
        return 0;
}
