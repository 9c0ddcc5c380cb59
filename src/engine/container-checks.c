/* Create-body fields lade does not implement are refused at create, with Docker's words where
 * dockerd has them, never accepted and then ignored: Runtime other than lade's own, Isolation
 * other than "default", StorageOpt (no quota on lade's overlay store), a VolumeDriver other than
 * "local", DeviceRequests (--gpus: no device drivers), Cgroup, and the endpoint settings the
 * networking does not have (IPv6 and link-local addresses, driver options, gateway priority).
 * The MAC addresses asked for are checked here too (container-net.c applies them). */
#include <string.h>
#include <strings.h>

#include "containers-internal.h"
#include "json-util.h"
#include "network.h"
#include "util.h"

static const char *host_str(const Ctr *c, const char *key)
{
        const char *s = json_string_value(json_object_get(json_object_get(c->create, "HostConfig"), key));
        return s ? s : "";
}

/* "could not select device driver "" with capabilities: [[gpu]]" */
static int device_requests(const Ctr *c, LadeError **err)
{
        json_t *reqs = json_object_get(json_object_get(c->create, "HostConfig"), "DeviceRequests");
        if (json_array_size(reqs) == 0)
                return 0;
        json_t *req = json_array_get(reqs, 0), *set, *cap;
        const char *driver = json_string_value(json_object_get(req, "Driver"));
        _cleanup_free_ char *caps = xstrdup("[");
        size_t i, j;
        json_array_foreach(json_object_get(req, "Capabilities"), i, set) {
                char *t = xasprintf("%s%s[", caps, i ? " " : "");
                free(caps);
                caps = t;
                json_array_foreach(set, j, cap) {
                        t = xasprintf("%s%s%s", caps, j ? " " : "", json_string_value(cap) ?: "");
                        free(caps);
                        caps = t;
                }
                t = xasprintf("%s]", caps);
                free(caps);
                caps = t;
        }
        return lade_error_msg(err, EINVAL, "could not select device driver \"%s\" with capabilities: %s]",
                              driver ? driver : "", caps);
}

static int endpoint(const char *net, json_t *ep, LadeError **err)
{
        json_t *ipam = json_object_get(ep, "IPAMConfig");
        const char *ip6 = json_string_value(json_object_get(ipam, "IPv6Address"));
        const char *mac = json_string_value(json_object_get(ep, "MacAddress"));
        uint8_t m[6];
        if (mac && *mac && engine_network_parse_mac(mac, m, err) < 0)
                return -EINVAL;
        if (ip6 && *ip6)
                return lade_error_msg(err, ENOTSUP, "network %s: IPv6 addresses (--ip6 %s) are not supported by "
                                      "lade", net, ip6);
        if (json_array_size(json_object_get(ipam, "LinkLocalIPs")) > 0)
                return lade_error_msg(err, ENOTSUP, "network %s: link-local addresses (--link-local-ip) are not "
                                      "supported by lade", net);
        if (json_object_size(json_object_get(ep, "DriverOpts")) > 0)
                return lade_error_msg(err, ENOTSUP, "network %s: endpoint driver options (driver-opt) are not "
                                      "supported by lade", net);
        if (json_integer_value(json_object_get(ep, "GwPriority")) != 0)
                return lade_error_msg(err, ENOTSUP, "network %s: gateway priority (gw-priority) is not supported "
                                      "by lade", net);
        return 0;
}

static int endpoints(const Ctr *c, LadeError **err)
{
        const char *mac = json_string_value(json_object_get(c->create, "MacAddress"));
        const char *mode = ctr_network_mode(c), *k;
        uint8_t m[6];
        json_t *ep;
        if (mac && *mac) {
                if (startswith(mode, "container:") || streq(mode, "host") || streq(mode, "none"))
                        return lade_error_msg(err, EINVAL, "conflicting options: mac-address and the network mode");
                if (engine_network_parse_mac(mac, m, err) < 0)
                        return -EINVAL;
        }
        json_object_foreach(json_object_get(json_object_get(c->create, "NetworkingConfig"), "EndpointsConfig"), k, ep) {
                int r = endpoint(k, ep, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int ctr_check_unsupported(const Ctr *c, LadeError **err)
{
        const char *runtime = host_str(c, "Runtime"), *isolation = host_str(c, "Isolation");
        const char *driver = host_str(c, "VolumeDriver");
        if (*runtime && !streq(runtime, "lade"))
                return lade_error_msg(err, EINVAL, "unknown or invalid runtime name: %s", runtime);
        if (*isolation && strcasecmp(isolation, "default") != 0)
                return lade_error_msg(err, EINVAL, "invalid isolation: \"%s\" - linux only supports 'default'",
                                      isolation);
        if (json_object_size(json_object_get(json_object_get(c->create, "HostConfig"), "StorageOpt")) > 0)
                return lade_error_msg(err, EINVAL, "--storage-opt is supported only for overlay over xfs with "
                                      "'pquota' mount option");
        if (*driver && !streq(driver, "local"))
                return lade_error_msg(err, ENOENT, "error looking up volume plugin %s: plugin \"%s\" not found",
                                      driver, driver);
        if (*host_str(c, "Cgroup"))
                return lade_error_msg(err, ENOTSUP, "HostConfig.Cgroup (%s) is not supported by lade",
                                      host_str(c, "Cgroup"));
        int r = device_requests(c, err);
        return r < 0 ? r : endpoints(c, err);
}
