/* caps: owns the capability name table and the order in which the init applies the five sets.
 *
 * What stays true:
 * - Names map to numbers through one static table (CAP_CHOWN = 0 .. CAP_CHECKPOINT_RESTORE = 40);
 *   a kernel may know fewer (caps_last_cap()), and those beyond it are skipped when parsing.
 * - caps_apply() only makes syscalls (capget/capset, prctl) and reads the cached last-cap value,
 *   so it is usable in a forked child; it allocates only to report an error. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "log.h"
#include "util.h"

#define CAPS_TABLE_LAST 40
#define CAPS_MASK_LAST 63 /* CapSets holds 64 bits */

static const char *const cap_names[] = {
        [0] = "CAP_CHOWN",
        [1] = "CAP_DAC_OVERRIDE",
        [2] = "CAP_DAC_READ_SEARCH",
        [3] = "CAP_FOWNER",
        [4] = "CAP_FSETID",
        [5] = "CAP_KILL",
        [6] = "CAP_SETGID",
        [7] = "CAP_SETUID",
        [8] = "CAP_SETPCAP",
        [9] = "CAP_LINUX_IMMUTABLE",
        [10] = "CAP_NET_BIND_SERVICE",
        [11] = "CAP_NET_BROADCAST",
        [12] = "CAP_NET_ADMIN",
        [13] = "CAP_NET_RAW",
        [14] = "CAP_IPC_LOCK",
        [15] = "CAP_IPC_OWNER",
        [16] = "CAP_SYS_MODULE",
        [17] = "CAP_SYS_RAWIO",
        [18] = "CAP_SYS_CHROOT",
        [19] = "CAP_SYS_PTRACE",
        [20] = "CAP_SYS_PACCT",
        [21] = "CAP_SYS_ADMIN",
        [22] = "CAP_SYS_BOOT",
        [23] = "CAP_SYS_NICE",
        [24] = "CAP_SYS_RESOURCE",
        [25] = "CAP_SYS_TIME",
        [26] = "CAP_SYS_TTY_CONFIG",
        [27] = "CAP_MKNOD",
        [28] = "CAP_LEASE",
        [29] = "CAP_AUDIT_WRITE",
        [30] = "CAP_AUDIT_CONTROL",
        [31] = "CAP_SETFCAP",
        [32] = "CAP_MAC_OVERRIDE",
        [33] = "CAP_MAC_ADMIN",
        [34] = "CAP_SYSLOG",
        [35] = "CAP_WAKE_ALARM",
        [36] = "CAP_BLOCK_SUSPEND",
        [37] = "CAP_AUDIT_READ",
        [38] = "CAP_PERFMON",
        [39] = "CAP_BPF",
        [40] = "CAP_CHECKPOINT_RESTORE",
        [CAPS_TABLE_LAST + 1] = NULL,
};

_Static_assert(ELEMENTSOF(cap_names) == CAPS_TABLE_LAST + 2, "capability table has a hole");
_Static_assert(CAP_SYS_ADMIN == 21 && CAP_SETPCAP == 8, "capability numbers");
#ifdef CAP_CHECKPOINT_RESTORE
_Static_assert(CAP_CHECKPOINT_RESTORE == CAPS_TABLE_LAST, "capability table out of date");
#endif

static int cached_last_cap = -1;

const char *caps_name(int cap)
{
        if (cap < 0 || cap > CAPS_TABLE_LAST)
                return NULL;
        return cap_names[cap];
}

int caps_from_name(const char *name)
{
        for (int cap = 0; cap <= CAPS_TABLE_LAST; cap++)
                if (streq(cap_names[cap], name))
                        return cap;
        return -EINVAL;
}

const char *const *caps_all_names(void)
{
        return cap_names;
}

/* No allocation: this may run in a forked child when the cache is cold. */
static int last_cap_from_proc(void)
{
        char buf[16];
        int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read_all(fd, buf, sizeof(buf) - 1);
        safe_close(fd);
        if (n <= 0)
                return n < 0 ? (int) n : -EIO;
        buf[n] = '\0';

        char *end;
        errno = 0;
        long v = strtol(buf, &end, 10);
        if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v < 0)
                return -EIO;
        return (int) v;
}

/* PR_CAPBSET_READ fails with EINVAL for capabilities the kernel doesn't know. */
static int last_cap_from_prctl(void)
{
        int cap = 0;
        while (cap <= CAPS_MASK_LAST && prctl(PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0) >= 0)
                cap++;
        return cap > 0 ? cap - 1 : CAPS_TABLE_LAST;
}

int caps_last_cap(void)
{
        int v = __atomic_load_n(&cached_last_cap, __ATOMIC_RELAXED);
        if (v >= 0)
                return v;
        v = last_cap_from_proc();
        if (v < 0)
                v = last_cap_from_prctl();
        if (v > CAPS_MASK_LAST)
                v = CAPS_MASK_LAST;
        __atomic_store_n(&cached_last_cap, v, __ATOMIC_RELAXED);
        return v;
}

static int parse_set(char *const *names, const char *set, int last, uint64_t *ret, LadeError **err)
{
        uint64_t mask = 0;

        for (size_t i = 0; names && names[i]; i++) {
                int cap = caps_from_name(names[i]);
                if (cap < 0)
                        return lade_error_msg(err, EINVAL, "process.capabilities.%s[%zu]: "
                                              "unknown capability '%s'", set, i, names[i]);
                if (cap > last) {
                        log_debug("process.capabilities.%s[%zu]: %s is unknown to the running "
                                  "kernel (cap_last_cap %d), skipping", set, i, names[i], last);
                        continue;
                }
                mask |= UINT64_C(1) << cap;
        }
        *ret = mask;
        return 0;
}

int caps_parse(const SpecCaps *c, CapSets *ret, LadeError **err)
{
        CapSets s = {};
        int last = caps_last_cap();
        int r;

        if (!c) {
                *ret = s;
                return 0;
        }
        r = parse_set(c->bounding, "bounding", last, &s.bounding, err);
        if (r < 0)
                return r;
        r = parse_set(c->effective, "effective", last, &s.effective, err);
        if (r < 0)
                return r;
        r = parse_set(c->inheritable, "inheritable", last, &s.inheritable, err);
        if (r < 0)
                return r;
        r = parse_set(c->permitted, "permitted", last, &s.permitted, err);
        if (r < 0)
                return r;
        r = parse_set(c->ambient, "ambient", last, &s.ambient, err);
        if (r < 0)
                return r;

        uint64_t extra = s.effective & ~s.permitted;
        if (extra != 0)
                return lade_error_msg(err, EINVAL,
                                      "process.capabilities.effective: %s is not in "
                                      "process.capabilities.permitted",
                                      caps_name(__builtin_ctzll(extra)));
        *ret = s;
        return 0;
}

static int capget_self(struct __user_cap_data_struct data[static _LINUX_CAPABILITY_U32S_3],
                       LadeError **err)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        if (syscall(SYS_capget, &h, data) < 0)
                return lade_error(err, errno, "capget");
        return 0;
}

static int capset_self(struct __user_cap_data_struct data[static _LINUX_CAPABILITY_U32S_3],
                       LadeError **err)
{
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
        if (syscall(SYS_capset, &h, data) < 0)
                return lade_error(err, errno, "capset");
        return 0;
}

/* setresuid() to a non-root user clears the effective set even with PR_SET_KEEPCAPS; bring back
 * what is still permitted so PR_CAPBSET_DROP (which needs CAP_SETPCAP) works. */
static int raise_effective(LadeError **err)
{
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
        int r;

        r = capget_self(data, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(data); i++)
                data[i].effective = data[i].permitted;
        return capset_self(data, err);
}

static int drop_bounding(uint64_t keep, LadeError **err)
{
        int last = caps_last_cap();

        for (int cap = 0; cap <= last; cap++) {
                if (keep & (UINT64_C(1) << cap))
                        continue;
                /* Skip what is already gone: dropping needs CAP_SETPCAP even when it's a no-op. */
                int in = prctl(PR_CAPBSET_READ, (unsigned long) cap, 0, 0, 0);
                if (in == 0)
                        continue;
                if (in < 0 || prctl(PR_CAPBSET_DROP, (unsigned long) cap, 0, 0, 0) < 0)
                        return lade_error(err, errno, "dropping capability %d (%s) from the "
                                          "bounding set", cap,
                                          caps_name(cap) ? caps_name(cap) : "unnamed");
        }
        return 0;
}

static int set_eip(const CapSets *c, LadeError **err)
{
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

        for (size_t i = 0; i < ELEMENTSOF(data); i++) {
                data[i].effective = (uint32_t) (c->effective >> (32 * i));
                data[i].permitted = (uint32_t) (c->permitted >> (32 * i));
                data[i].inheritable = (uint32_t) (c->inheritable >> (32 * i));
        }
        int r = capset_self(data, err);
        if (r < 0)
                return lade_error_wrap(err, "setting the effective, permitted and inheritable "
                                       "sets (effective must be within permitted, permitted "
                                       "within the current permitted set, inheritable within "
                                       "the bounding set)");
        return 0;
}

static int set_ambient(uint64_t ambient, LadeError **err)
{
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
                if (errno == EINVAL && ambient == 0)
                        return 0; /* kernel without ambient capabilities (< 4.3) */
                return lade_error(err, errno, "clearing the ambient capability set");
        }
        for (int cap = 0; cap <= CAPS_MASK_LAST; cap++) {
                if (!(ambient & (UINT64_C(1) << cap)))
                        continue;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long) cap, 0, 0) >= 0)
                        continue;
                /* As runc and crun: a capability that isn't both permitted and inheritable can't
                 * be ambient; carrying on only leaves the process with less. */
                if (errno == EPERM || errno == EINVAL) {
                        log_debug("raising ambient capability %d failed: %s, ignoring", cap,
                                  strerror(errno));
                        continue;
                }
                return lade_error(err, errno, "raising ambient capability %d", cap);
        }
        return 0;
}

int caps_apply(const CapSets *c, LadeError **err)
{
        int r;

        r = raise_effective(err);
        if (r < 0)
                return r;
        r = drop_bounding(c->bounding, err);
        if (r < 0)
                return r;
        r = set_eip(c, err);
        if (r < 0)
                return r;
        return set_ambient(c->ambient, err);
}
