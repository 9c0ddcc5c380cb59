/* The config.json that `lade-runtime spec` writes: the same document as `runc spec` (and
 * `runc spec --rootless`), key order included, except that ociVersion is the spec version lade
 * implements. Built with json_pack so the two variants share one description. */
#include <unistd.h>

#include "config.h"
#include "spec.h"
#include "util.h"

static json_t *default_process(void)
{
        return json_pack("{s:b, s:{s:i, s:i}, s:[s], s:[ss], s:s,"
                         " s:{s:[sss], s:[sss], s:[sss], s:[sss]}, s:[{s:s, s:i, s:i}], s:b}",
                         "terminal", 1,
                         "user", "uid", 0, "gid", 0,
                         "args", "sh",
                         "env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                         "TERM=xterm",
                         "cwd", "/",
                         "capabilities",
                         "bounding", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                         "effective", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                         "permitted", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                         "ambient", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
                         "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
                         "noNewPrivileges", 1);
}

static json_t *mount_entry(const char *dest, const char *type, const char *source, json_t *options)
{
        if (!options)
                return json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source",
                                 source);
        return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source",
                         source, "options", options);
}

static json_t *default_mounts(bool rootless)
{
        /* rootless: no gid=5 (group 5 is not mapped) and /sys bind-mounted, since sysfs cannot be
         * mounted without owning the network namespace */
        json_t *devpts = json_pack("[sssss]", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                   "mode=0620");
        json_t *sys;

        if (rootless) {
                sys = mount_entry("/sys", "none", "/sys",
                                  json_pack("[sssss]", "rbind", "nosuid", "noexec", "nodev", "ro"));
        } else {
                json_array_append_new(devpts, json_string("gid=5"));
                sys = mount_entry("/sys", "sysfs", "sysfs",
                                  json_pack("[ssss]", "nosuid", "noexec", "nodev", "ro"));
        }

        return json_pack(
                "[o, o, o, o, o, o, o]",
                mount_entry("/proc", "proc", "proc", NULL),
                mount_entry("/dev", "tmpfs", "tmpfs",
                            json_pack("[ssss]", "nosuid", "strictatime", "mode=755",
                                      "size=65536k")),
                mount_entry("/dev/pts", "devpts", "devpts", devpts),
                mount_entry("/dev/shm", "tmpfs", "shm",
                            json_pack("[sssss]", "nosuid", "noexec", "nodev", "mode=1777",
                                      "size=65536k")),
                mount_entry("/dev/mqueue", "mqueue", "mqueue",
                            json_pack("[sss]", "nosuid", "noexec", "nodev")),
                sys,
                mount_entry("/sys/fs/cgroup", "cgroup", "cgroup",
                            json_pack("[sssss]", "nosuid", "noexec", "nodev", "relatime", "ro")));
}

static json_t *namespaces(const char *const *types)
{
        json_t *a = json_array();
        for (; *types; types++)
                json_array_append_new(a, json_pack("{s:s}", "type", *types));
        return a;
}

static json_t *idmap(uint32_t host_id)
{
        return json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t) host_id,
                         "size", 1);
}

static json_t *default_linux(bool rootless)
{
        static const char *const ns_root[] = { "pid", "network", "ipc", "uts", "mount", NULL };
        static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "user", NULL };
        json_t *masked = json_pack("[ssssssssss]", "/proc/acpi", "/proc/asound", "/proc/kcore",
                                   "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                                   "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                                   "/proc/scsi");
        json_t *ro = json_pack("[sssss]", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                               "/proc/sysrq-trigger");

        /* rootless maps only the caller's own ids, and has no cgroup to put device rules in */
        if (rootless)
                return json_pack("{s:o, s:o, s:o, s:o, s:o}",
                                 "uidMappings", idmap(geteuid()), "gidMappings", idmap(getegid()),
                                 "namespaces", namespaces(ns_rootless),
                                 "maskedPaths", masked, "readonlyPaths", ro);
        return json_pack("{s:{s:[{s:b, s:s}]}, s:o, s:o, s:o}",
                         "resources", "devices", "allow", 0, "access", "rwm",
                         "namespaces", namespaces(ns_root),
                         "maskedPaths", masked, "readonlyPaths", ro);
}

json_t *spec_default_json(bool rootless)
{
        json_t *j = json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}",
                              "ociVersion", LADE_OCI_VERSION,
                              "process", default_process(),
                              "root", "path", "rootfs", "readonly", 1,
                              "hostname", "runc",
                              "mounts", default_mounts(rootless),
                              "linux", default_linux(rootless));
        /* only fails on a format bug or OOM, and xmalloc's policy for OOM is to abort */
        if (!j)
                abort();
        return j;
}
