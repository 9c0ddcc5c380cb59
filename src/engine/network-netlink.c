/* rtnetlink over libmnl: links (bridge, veth), addresses and routes. A socket belongs to the
 * network namespace it was created in, so to work inside a container's namespace we enter it
 * just long enough to open the socket (this thread only), then return. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "network-internal.h"
#include "util.h"

struct NetLink {
        struct mnl_socket *sock;
        uint32_t seq, portid;
        char buf[8192];
        char rbuf[32768]; /* MNL_SOCKET_DUMP_SIZE: a dump message never exceeds it */
};

static int open_here(NetLink **ret)
{
        NetLink *nl = xmalloc0(sizeof(*nl));
        nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                nl_close(nl);
                return r;
        }
        nl->portid = mnl_socket_get_portid(nl->sock);
        nl->seq = (uint32_t) time(NULL);
        *ret = nl;
        return 0;
}

int nl_open(pid_t pid, NetLink **ret, LadeError **err)
{
        if (pid <= 0) {
                int r = open_here(ret);
                return r < 0 ? lade_error(err, -r, "open a netlink socket") : 0;
        }
        _cleanup_free_ char *path = xasprintf("/proc/%d/ns/net", (int) pid);
        _cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
        if (target < 0)
                return lade_error(err, errno, "open the network namespace of pid %d", (int) pid);
        _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return lade_error(err, errno, "open our network namespace");
        if (setns(target, CLONE_NEWNET) < 0)
                return lade_error(err, errno, "enter the network namespace of pid %d", (int) pid);
        int r = open_here(ret);
        /* failing to come back would leave every later socket in the container: give up */
        if (setns(self, CLONE_NEWNET) < 0)
                abort();
        return r < 0 ? lade_error(err, -r, "open a netlink socket in the namespace of pid %d",
                                  (int) pid) : 0;
}

NetLink *nl_close(NetLink *nl)
{
        if (nl) {
                if (nl->sock)
                        mnl_socket_close(nl->sock);
                free(nl);
        }
        return NULL;
}

static struct nlmsghdr *msg_new(NetLink *nl, uint16_t type, uint16_t flags)
{
        struct nlmsghdr *h = mnl_nlmsg_put_header(nl->buf);
        h->nlmsg_type = type;
        h->nlmsg_flags = NLM_F_REQUEST | flags;
        h->nlmsg_seq = ++nl->seq;
        return h;
}

/* Sends h and reads replies until the ack (or the end of a dump); cb sees each message. */
static int transact(NetLink *nl, struct nlmsghdr *h, mnl_cb_t cb, void *data)
{
        if (mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0)
                return -errno;
        uint32_t seq = h->nlmsg_seq;
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl->sock, nl->rbuf, sizeof(nl->rbuf));
                if (n < 0)
                        return -errno;
                int r = mnl_cb_run(nl->rbuf, (size_t) n, seq, nl->portid, cb, data);
                if (r < 0)
                        return -errno;
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

static struct ifinfomsg *link_msg(NetLink *nl, uint16_t type, uint16_t flags)
{
        struct nlmsghdr *h = msg_new(nl, type, flags);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        return ifi;
}

static struct nlmsghdr *hdr(NetLink *nl)
{
        return (struct nlmsghdr *) nl->buf;
}

static int link_cb(const struct nlmsghdr *h, void *data)
{
        if (h->nlmsg_type == RTM_NEWLINK) {
                const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
                *(int *) data = ifi->ifi_index;
        }
        return MNL_CB_OK;
}

int nl_link_index(NetLink *nl, const char *name)
{
        if (strlen(name) >= IFNAMSIZ)
                return -ENODEV;
        (void) link_msg(nl, RTM_GETLINK, NLM_F_ACK);
        mnl_attr_put_strz(hdr(nl), IFLA_IFNAME, name);
        int index = -ENODEV;
        int r = transact(nl, hdr(nl), link_cb, &index);
        return r < 0 ? r : index;
}

int nl_bridge_create(NetLink *nl, const char *name, LadeError **err)
{
        struct ifinfomsg *ifi = link_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
        ifi->ifi_flags = ifi->ifi_change = IFF_UP;
        mnl_attr_put_strz(hdr(nl), IFLA_IFNAME, name);
        struct nlattr *info = mnl_attr_nest_start(hdr(nl), IFLA_LINKINFO);
        mnl_attr_put_strz(hdr(nl), IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(hdr(nl), info);
        int r = transact(nl, hdr(nl), NULL, NULL);
        /* another lade process made it first: fine, it is the same bridge */
        if (r < 0 && r != -EEXIST)
                return lade_error(err, -r, "create bridge %s", name);
        return 0;
}

int nl_link_up(NetLink *nl, int ifindex, LadeError **err)
{
        struct ifinfomsg *ifi = link_msg(nl, RTM_NEWLINK, NLM_F_ACK);
        ifi->ifi_index = ifindex;
        ifi->ifi_flags = ifi->ifi_change = IFF_UP;
        int r = transact(nl, hdr(nl), NULL, NULL);
        return r < 0 ? lade_error(err, -r, "set link %d up", ifindex) : 0;
}

int nl_link_delete(NetLink *nl, const char *name, LadeError **err)
{
        if (strlen(name) >= IFNAMSIZ)
                return 0;
        (void) link_msg(nl, RTM_DELLINK, NLM_F_ACK);
        mnl_attr_put_strz(hdr(nl), IFLA_IFNAME, name);
        int r = transact(nl, hdr(nl), NULL, NULL);
        if (r < 0 && r != -ENODEV)
                return lade_error(err, -r, "delete link %s", name);
        return 0;
}

int nl_addr_add(NetLink *nl, int ifindex, uint32_t ip, uint8_t prefix_len, LadeError **err)
{
        struct nlmsghdr *h = msg_new(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = prefix_len;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (uint32_t) ifindex;
        uint32_t be = htonl(ip);
        mnl_attr_put_u32(h, IFA_LOCAL, be);
        mnl_attr_put_u32(h, IFA_ADDRESS, be);
        if (prefix_len < 31) {
                NetSubnet s = { ip, prefix_len };
                mnl_attr_put_u32(h, IFA_BROADCAST, htonl(ip | ~net_subnet_mask(&s)));
        }
        int r = transact(nl, h, NULL, NULL);
        if (r < 0 && r != -EEXIST) {
                char b[16];
                net_ip_format(ip, b);
                return lade_error(err, -r, "add address %s/%u", b, prefix_len);
        }
        return 0;
}

int nl_veth_create(NetLink *nl, const char *host_name, int master, const char *peer_name,
                   int ns_fd, const uint8_t mac[static 6], LadeError **err)
{
        struct ifinfomsg *ifi = link_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
        ifi->ifi_flags = ifi->ifi_change = IFF_UP;
        struct nlmsghdr *h = hdr(nl);
        mnl_attr_put_strz(h, IFLA_IFNAME, host_name);
        mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t) master);
        struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
        mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
        struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
        struct nlattr *peer = mnl_attr_nest_start(h, VETH_INFO_PEER);
        /* the peer's ifinfomsg, then its attributes: made directly inside the container */
        struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(h, sizeof(*pifi));
        memset(pifi, 0, sizeof(*pifi));
        pifi->ifi_family = AF_UNSPEC;
        mnl_attr_put_strz(h, IFLA_IFNAME, peer_name);
        mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t) ns_fd);
        mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
        mnl_attr_nest_end(h, peer);
        mnl_attr_nest_end(h, data);
        mnl_attr_nest_end(h, info);
        int r = transact(nl, h, NULL, NULL);
        return r < 0 ? lade_error(err, -r, "create veth pair %s/%s", host_name, peer_name) : 0;
}

int nl_route_default(NetLink *nl, uint32_t gateway, int ifindex, LadeError **err)
{
        struct nlmsghdr *h = msg_new(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
        rtm->rtm_family = AF_INET;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_BOOT;
        rtm->rtm_scope = RT_SCOPE_UNIVERSE;
        rtm->rtm_type = RTN_UNICAST;
        mnl_attr_put_u32(h, RTA_GATEWAY, htonl(gateway));
        mnl_attr_put_u32(h, RTA_OIF, (uint32_t) ifindex);
        int r = transact(nl, h, NULL, NULL);
        return r < 0 ? lade_error(err, -r, "add the default route") : 0;
}

typedef struct RouteDump {
        NetSubnet *v;
        size_t n;
        bool has_default;
} RouteDump;

static int route_attr_cb(const struct nlattr *a, void *data)
{
        if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == 4)
                *(uint32_t *) data = ntohl(mnl_attr_get_u32(a));
        if (mnl_attr_get_type(a) == RTA_TABLE && mnl_attr_get_payload_len(a) == 4 &&
            mnl_attr_get_u32(a) != RT_TABLE_MAIN)
                *(uint32_t *) data = UINT32_MAX; /* not ours to look at */
        return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *h, void *data)
{
        RouteDump *d = data;
        const struct rtmsg *rtm = mnl_nlmsg_get_payload(h);
        if (h->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET ||
            rtm->rtm_table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
                return MNL_CB_OK;
        uint32_t dst = 0;
        (void) mnl_attr_parse(h, sizeof(*rtm), route_attr_cb, &dst);
        if (rtm->rtm_dst_len == 0) {
                d->has_default = true;
                return MNL_CB_OK;
        }
        if (dst == UINT32_MAX)
                return MNL_CB_OK;
        d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
        d->v[d->n++] = (NetSubnet) { dst, rtm->rtm_dst_len };
        return MNL_CB_OK;
}

static int dump_routes(NetLink *nl, RouteDump *d, LadeError **err)
{
        struct nlmsghdr *h = msg_new(nl, RTM_GETROUTE, NLM_F_DUMP);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
        rtm->rtm_family = AF_INET;
        int r = transact(nl, h, route_cb, d);
        return r < 0 ? lade_error(err, -r, "list routes") : 0;
}

int nl_has_default_route(NetLink *nl, LadeError **err)
{
        RouteDump d = { 0 };
        int r = dump_routes(nl, &d, err);
        free(d.v);
        return r < 0 ? r : d.has_default;
}

int nl_routes(NetLink *nl, NetSubnet **ret, size_t *ret_n, LadeError **err)
{
        RouteDump d = { 0 };
        int r = dump_routes(nl, &d, err);
        if (r < 0) {
                free(d.v);
                return r;
        }
        *ret = d.v;
        *ret_n = d.n;
        return 0;
}
