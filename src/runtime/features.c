/* The `features` document (runtime-spec features.md, runc's shape): what this build supports. */
#include "caps.h"
#include "config.h"
#include "runtime.h"
#include "seccomp-program.h"
#include "util.h"

static json_t *strv_json(const char *const *v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

json_t *runtime_features(void)
{
        static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
                                             "startContainer", "poststart", "poststop", NULL };
        static const char *const mount_opts[] = {
                "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "lazytime",
                "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "nolazytime", "nomand",
                "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "rbind", "rdev",
                "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev", "rnodiratime",
                "rnoexec", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw",
                "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw",
                "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync", "unbindable",
                NULL };
        static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid",
                                                  "time", "user", "uts", NULL };
        json_t *seccomp = json_pack("{s:b,s:o,s:o,s:o,s:o,s:o}", "enabled", 1,
                                    "actions", strv_json(seccomp_known_actions()),
                                    "operators", strv_json(seccomp_known_operators()),
                                    "archs", strv_json(seccomp_known_archs()),
                                    "knownFlags", strv_json(seccomp_known_flags()),
                                    "supportedFlags", strv_json(seccomp_supported_flags()));
        json_t *cgroup = json_pack("{s:b,s:b,s:b,s:b,s:b}", "v1", 1, "v2", 1, "systemd", 0,
                                   "systemdUser", 0, "rdma", 0);
        json_t *linux_ = json_pack("{s:o,s:o,s:o,s:o,s:{s:b},s:{s:b},s:{s:b},s:{s:b}}",
                                   "namespaces", strv_json(namespaces),
                                   "capabilities", strv_json(caps_all_names()),
                                   "cgroup", cgroup, "seccomp", seccomp,
                                   "apparmor", "enabled", 1, "selinux", "enabled", 1,
                                   "intelRdt", "enabled", 0, "mountExtensions", "idmap", 0);
        return json_pack("{s:s,s:s,s:o,s:o,s:o,s:{s:s,s:s}}", "ociVersionMin", "1.0.0",
                         "ociVersionMax", LADE_OCI_VERSION, "hooks", strv_json(hooks),
                         "mountOptions", strv_json(mount_opts), "linux", linux_, "annotations",
                         "org.lade.runtime.version", LADE_VERSION, "org.lade.runtime.commit", LADE_COMMIT);
}
