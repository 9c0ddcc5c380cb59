/* The pure parts of the engine's networking: subnets and overlap, pools, address allocation
 * (reserved addresses never handed out, exhaustion, release), MAC derivation, port-binding
 * parsing and host port allocation (with a fake host), and the hosts-file block splice. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "json-util.h"
#include "network-internal.h"
#include "network.h"
#include "util.h"

static uint32_t ip(const char *s)
{
        uint32_t v = 0;
        assert_int_equal(net_ip_parse(s, &v), 0);
        return v;
}

static NetSubnet subnet(const char *s)
{
        NetSubnet n;
        assert_int_equal(net_subnet_parse(s, &n, NULL), 0);
        return n;
}

static void test_subnet_parse(void **state)
{
        static const char *const bad[] = { "", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0/8",
                                           "10.0.0.0/-1", "10.0.0.0/+8", "x/8", "/8", "10.0.0.0/8x" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                NetSubnet s;
                assert_int_equal(net_subnet_parse(bad[i], &s, &err), -EINVAL);
                assert_non_null(strstr(err->msg, "invalid CIDR address"));
        }
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        NetSubnet s;
        assert_int_equal(net_subnet_parse("10.1.0.5/24", &s, &err), -EINVAL);
        assert_string_equal(err->msg, "invalid subnet 10.1.0.5/24: it should be 10.1.0.0/24");
        s = subnet("172.17.0.0/16");
        _cleanup_free_ char *f = net_subnet_format(&s);
        assert_string_equal(f, "172.17.0.0/16");
        assert_true(net_subnet_contains(&s, ip("172.17.255.255")));
        assert_false(net_subnet_contains(&s, ip("172.18.0.0")));
}

static void test_overlap(void **state)
{
        NetSubnet a = subnet("10.88.0.0/16"), b = subnet("10.88.4.0/24"), c = subnet("10.89.0.0/16");
        NetSubnet all = subnet("0.0.0.0/0");
        assert_true(net_subnet_overlaps(&a, &b));
        assert_true(net_subnet_overlaps(&b, &a));
        assert_false(net_subnet_overlaps(&a, &c));
        assert_true(net_subnet_overlaps(&all, &c));
}

static void test_pools(void **state)
{
        _cleanup_free_ NetPool *pools = NULL;
        size_t n;
        assert_int_equal(net_pools_parse(NET_POOLS_DEFAULT, &pools, &n, NULL), 0);
        assert_int_equal(n, 7);
        /* docker0 and podman's bridge on the host: the first free default is 172.18.0.0/16 */
        NetSubnet routes[] = { subnet("172.17.0.0/16"), subnet("10.88.0.0/16"), subnet("192.0.2.0/24") };
        NetSubnet got;
        assert_int_equal(net_pool_pick(pools, n, routes, ELEMENTSOF(routes), &got), 0);
        _cleanup_free_ char *f = net_subnet_format(&got);
        assert_string_equal(f, "172.18.0.0/16");
        /* every /16 of 172.16.0.0/12 taken: the first /20 of 192.168.0.0/16 */
        NetSubnet big[] = { subnet("172.16.0.0/12"), subnet("192.168.0.0/20") };
        assert_int_equal(net_pool_pick(pools, n, big, 2, &got), 0);
        _cleanup_free_ char *g = net_subnet_format(&got);
        assert_string_equal(g, "192.168.16.0/20");
        NetSubnet everything[] = { subnet("0.0.0.0/0") };
        assert_int_equal(net_pool_pick(pools, n, everything, 1, &got), -ENOSPC);
        _cleanup_free_ NetPool *p2 = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        assert_int_equal(net_pools_parse("10.0.0.0/16:8", &p2, &n, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "size 8 must be between 16 and 30"));
}

static void test_ipam(void **state)
{
        NetSubnet s = subnet("10.9.0.0/29"); /* .1 gateway, .2-.6 usable, .7 broadcast */
        uint32_t gw = ip("10.9.0.1"), got;
        uint32_t used[8];
        size_t n = 0;
        while (net_ipam_pick(&s, gw, used, n, &got) == 0) {
                assert_true(got != s.addr && got != gw && got != ip("10.9.0.7"));
                for (size_t k = 0; k < n; k++)
                        assert_true(used[k] != got);
                used[n++] = got;
        }
        assert_int_equal(n, 5);
        assert_int_equal(net_ipam_pick(&s, gw, used, n, &got), -ENOSPC);
        /* release .4: it is the one handed out next */
        used[2] = used[--n];
        assert_int_equal(net_ipam_pick(&s, gw, used, n, &got), 0);
        assert_int_equal(got, ip("10.9.0.4"));
        /* the gateway anywhere in the subnet is skipped */
        assert_int_equal(net_ipam_pick(&s, ip("10.9.0.2"), NULL, 0, &got), 0);
        assert_int_equal(got, ip("10.9.0.1"));
        _cleanup_(lade_error_freep) LadeError *e1 = NULL, *e2 = NULL, *e3 = NULL;
        assert_int_equal(net_ipam_check(&s, gw, used, n, ip("10.9.1.2"), &e1), -EINVAL);
        assert_int_equal(net_ipam_check(&s, gw, used, n, ip("10.9.0.7"), &e2), -EINVAL);
        assert_int_equal(net_ipam_check(&s, gw, used, n, used[0], &e3), -EEXIST);
        assert_string_equal(e3->msg, "Address already in use");
        assert_int_equal(net_ipam_check(&s, gw, used, n, ip("10.9.0.4"), NULL), 0);
        NetSubnet tiny = subnet("10.9.0.0/31");
        assert_int_equal(net_ipam_pick(&tiny, 0, NULL, 0, &got), -ENOSPC);
}

static void test_mac(void **state)
{
        uint8_t mac[6];
        char buf[18];
        net_mac_from_ip(ip("172.17.0.2"), mac);
        net_mac_format(mac, buf);
        assert_string_equal(buf, "02:42:ac:11:00:02");
        net_mac_from_ip(ip("10.255.1.254"), mac);
        net_mac_format(mac, buf);
        assert_string_equal(buf, "02:42:0a:ff:01:fe");
        /* --mac-address: the 6-byte forms of Go's net.ParseMAC, no group address */
        static const char *const good[][2] = {
                { "92:d0:c6:0a:29:33", "92:d0:c6:0a:29:33" }, { "92-D0-C6-0A-29-33", "92:d0:c6:0a:29:33" },
                { "92d0.c60a.2933", "92:d0:c6:0a:29:33" },
        };
        static const char *const bad[] = { "", "92:d0:c6:0a:29", "92:d0:c6:0a:29:3", "92:d0-c6:0a:29:33",
                                           "92:d0:c6:0a:29:3g", "92d0c60a2933", "92:d0:c6:0a:29:33:44",
                                           "92.d0.c6.0a.29.33", "92d0:c60a:2933", "01:00:5e:00:00:01" };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                assert_int_equal(engine_network_parse_mac(good[i][0], mac, NULL), 0);
                net_mac_format(mac, buf);
                assert_string_equal(buf, good[i][1]);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                LadeError *err = NULL;
                assert_int_equal(engine_network_parse_mac(bad[i], mac, &err), -EINVAL);
                assert_non_null(strstr(lade_error_message(err), "invalid MAC address"));
                lade_error_free(err);
        }
}

static json_t *J(const char *s)
{
        json_t *j = json_loads(s, 0, NULL);
        assert_non_null(j);
        return j;
}

static void test_ports_parse(void **state)
{
        _cleanup_json_ json_t *b = J("{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"},"
                                     "{\"HostIp\":\"\",\"HostPort\":\"8000-8010\"}],"
                                     "\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],\"9/sctp\":null}");
        _cleanup_json_ json_t *x = J("{\"80/tcp\":{},\"443/tcp\":{},\"7\":{}}");
        _cleanup_free_ NetPort *p = NULL;
        size_t n;
        assert_int_equal(net_ports_parse(b, x, true, &p, &n, NULL), 0);
        /* 3 bindings + -P for 443/tcp and 7 (tcp); 80/tcp was bound by -p already */
        assert_int_equal(n, 5);
        assert_int_equal(p[0].host_ip, ip("127.0.0.1"));
        assert_int_equal(p[0].host_lo, 8080);
        assert_int_equal(p[0].host_hi, 8080);
        assert_int_equal(p[1].host_lo, 8000);
        assert_int_equal(p[1].host_hi, 8010);
        assert_int_equal(p[2].proto, NET_PROTO_UDP);
        assert_int_equal(p[2].host_lo, 0);
        assert_int_equal(p[3].container_port, 443);
        assert_int_equal(p[4].container_port, 7);
        assert_int_equal(p[4].proto, NET_PROTO_TCP);
        static const struct {
                const char *json, *msg;
        } bad[] = {
                { "{\"x/tcp\":[]}", "invalid port specification: \"x/tcp\"" },
                { "{\"0/tcp\":[]}", "invalid port specification" },
                { "{\"80/icmp\":[]}", "invalid proto: icmp" },
                { "{\"80/tcp\":[{\"HostPort\":\"70000\"}]}", "invalid hostPort: 70000" },
                { "{\"80/tcp\":[{\"HostPort\":\"90-80\"}]}", "invalid hostPort: 90-80" },
                { "{\"80/tcp\":[{\"HostIp\":\"1.2.3\"}]}", "invalid host IP address: 1.2.3" },
                { "{\"80/tcp\":[{\"HostIp\":\"::1\"}]}", "IPv6 port bindings are not supported" },
                { "{\"80/tcp\":{}}", "expected an array" },
                { "[]", "invalid PortBindings" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_json_ json_t *j = J(bad[i].json);
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                _cleanup_free_ NetPort *q = NULL;
                assert_int_equal(net_ports_parse(j, NULL, false, &q, &n, &err), -EINVAL);
                if (!strstr(err->msg, bad[i].msg))
                        fail_msg("%s: %s", bad[i].json, err->msg);
        }
}

static bool fake_host(NetProto proto, uint32_t a, uint16_t port, void *userdata)
{
        /* the host has something on tcp 8080 and tcp 40000 */
        return !(proto == NET_PROTO_TCP && (port == 8080 || port == 40000));
}

static void test_ports_assign(void **state)
{
        NetPort used[] = { { .proto = NET_PROTO_TCP, .host_ip = 0, .host_port = 9000 },
                           { .proto = NET_PROTO_UDP, .host_ip = ip("127.0.0.1"), .host_port = 5353 } };
        NetPort p[] = {
                { .proto = NET_PROTO_TCP, .host_lo = 9000, .host_hi = 9002, .container_port = 80 },
                { .proto = NET_PROTO_TCP, .container_port = 81 },                      /* random */
                { .proto = NET_PROTO_TCP, .container_port = 82 },                      /* random */
                { .proto = NET_PROTO_UDP, .host_ip = ip("10.0.0.1"), .host_lo = 5353, .host_hi = 5353,
                  .container_port = 53 },   /* other address than the used 127.0.0.1: fine */
        };
        assert_int_equal(net_ports_assign(p, ELEMENTSOF(p), used, 2, 40000, 40010, fake_host, NULL, NULL), 0);
        assert_int_equal(p[0].host_port, 9001);
        assert_int_equal(p[1].host_port, 40001);
        assert_int_equal(p[2].host_port, 40002);
        assert_int_equal(p[3].host_port, 5353);

        _cleanup_(lade_error_freep) LadeError *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        NetPort taken = { .proto = NET_PROTO_TCP, .host_ip = ip("127.0.0.1"), .host_lo = 9000, .host_hi = 9000 };
        assert_int_equal(net_ports_assign(&taken, 1, used, 2, 40000, 40010, fake_host, NULL, &e1), -EBUSY);
        assert_string_equal(e1->msg, "Bind for 127.0.0.1:9000 failed: port is already allocated");
        NetPort host = { .proto = NET_PROTO_TCP, .host_lo = 8080, .host_hi = 8080 };
        assert_int_equal(net_ports_assign(&host, 1, NULL, 0, 40000, 40010, fake_host, NULL, &e2), -EBUSY);
        assert_string_equal(e2->msg, "Bind for 0.0.0.0:8080 failed: port is already allocated");
        NetPort twice[] = { { .proto = NET_PROTO_UDP, .host_lo = 7000, .host_hi = 7000 },
                            { .proto = NET_PROTO_UDP, .host_ip = ip("127.0.0.1"), .host_lo = 7000, .host_hi = 7000 } };
        assert_int_equal(net_ports_assign(twice, 2, NULL, 0, 40000, 40010, fake_host, NULL, &e3), -EBUSY);
        NetPort full = { .proto = NET_PROTO_TCP };
        assert_int_equal(net_ports_assign(&full, 1, NULL, 0, 40000, 40000, fake_host, NULL, &e4), -EBUSY);
        assert_string_equal(e4->msg, "all ports are allocated");
        /* tcp and udp on one port number do not conflict */
        NetPort mix[] = { { .proto = NET_PROTO_UDP, .host_lo = 9000, .host_hi = 9000 } };
        assert_int_equal(net_ports_assign(mix, 1, used, 2, 40000, 40010, fake_host, NULL, NULL), 0);
}

static void test_ports_json(void **state)
{
        NetPort p[] = { { .proto = NET_PROTO_TCP, .host_ip = 0, .host_port = 8080, .container_port = 80 },
                        { .proto = NET_PROTO_UDP, .host_ip = ip("127.0.0.1"), .host_port = 53, .container_port = 53 } };
        _cleanup_json_ json_t *x = J("{\"80/tcp\":{},\"443/tcp\":{}}");
        _cleanup_json_ json_t *s = net_ports_settings_json(p, 2, NULL, x);
        _cleanup_free_ char *text = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(text, "{\"443/tcp\":null,\"53/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"53\"}],"
                                  "\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}]}");
        _cleanup_json_ json_t *persisted = net_ports_to_json(p, 2);
        _cleanup_free_ NetPort *back = NULL;
        size_t n;
        assert_int_equal(net_ports_from_json(persisted, &back, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(back[1].host_ip, ip("127.0.0.1"));
        assert_int_equal(back[1].proto, NET_PROTO_UDP);
        assert_int_equal(back[0].host_port, 8080);
}

static void test_hosts_splice(void **state)
{
        const char *base = "127.0.0.1\tlocalhost\n10.0.0.2\tweb\n";
        _cleanup_free_ char *a = net_hosts_splice(base, "10.1.0.2\tweb\n10.1.0.3\tdb\n");
        assert_string_equal(a, "127.0.0.1\tlocalhost\n10.0.0.2\tweb\n" NET_HOSTS_MARKER
                               "10.1.0.2\tweb\n10.1.0.3\tdb\n");
        _cleanup_free_ char *b = net_hosts_splice(a, "10.1.0.2\tweb\n");
        assert_string_equal(b, "127.0.0.1\tlocalhost\n10.0.0.2\tweb\n" NET_HOSTS_MARKER "10.1.0.2\tweb\n");
        _cleanup_free_ char *c = net_hosts_splice(b, "");
        assert_string_equal(c, base);
        _cleanup_free_ char *d = net_hosts_splice("no newline", "1.2.3.4\tx\n");
        assert_string_equal(d, "no newline\n" NET_HOSTS_MARKER "1.2.3.4\tx\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_subnet_parse), cmocka_unit_test(test_overlap),
                cmocka_unit_test(test_pools),        cmocka_unit_test(test_ipam),
                cmocka_unit_test(test_mac),          cmocka_unit_test(test_ports_parse),
                cmocka_unit_test(test_ports_assign), cmocka_unit_test(test_ports_json),
                cmocka_unit_test(test_hosts_splice),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
