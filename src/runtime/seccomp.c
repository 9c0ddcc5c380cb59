/* seccomp: owns the translation of linux.seccomp into one classic-BPF program.
 *
 * What stays true:
 * - All validation happens in seccomp_program_compile(), in the runtime process, so a bad profile
 *   fails before anything is created; every error names its field ("linux.seccomp.flags[1]: ...").
 * - A SeccompProgram is plain memory (the sock_filter array and the seccomp(2) flags), so
 *   seccomp_program_load() in the forked init is one syscall, with no libseccomp and no allocation
 *   on success.
 * - Unknown syscall names only ever make a filter stricter: a name is skipped only when its rule
 *   would have allowed (or logged) the call and the default action is more restrictive; any other
 *   unknown name is an error.
 *
 * Semantics shared with runc: rules whose action equals the default action are skipped (libseccomp
 * rejects them); several comparisons on the same argument index in one rule become one rule per
 * comparison (a logical OR), otherwise the comparisons of a rule are ANDed; SCMP_ACT_NOTIFY may not
 * be the default action nor be used on write(2) (runc's rule) or sendmsg(2), which the init needs
 * after loading the filter to hand the listener fd on. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <seccomp.h>

#include "config.h"
#include "json-util.h"
#include "log.h"
#include "seccomp-program.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* seccomp_api_get() levels (see seccomp_api_get(3)). */
#define API_LOG_KILL_PROCESS 3
#define API_NOTIFY 5

#define ERRNO_RET_MAX 0xffffu /* SECCOMP_RET_DATA */
#define FIELD_MAX 96

struct SeccompProgram {
        struct sock_filter *insns;
        size_t n_insns;
        unsigned int flags; /* SECCOMP_FILTER_FLAG_*, as passed to seccomp(2) */
        bool notify;
};

typedef struct ActionInfo {
        const char *name;
        uint32_t action;
        bool takes_errno; /* the value carries errnoRet (ERRNO) or the trace message (TRACE) */
        unsigned int api;
} ActionInfo;

/* name, value, takes_errno, minimum API level */
#define SECCOMP_ACTIONS(X)                                                       \
        X("SCMP_ACT_KILL", SCMP_ACT_KILL, false, 1)                              \
        X("SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false, API_LOG_KILL_PROCESS) \
        X("SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false, 1)                \
        X("SCMP_ACT_TRAP", SCMP_ACT_TRAP, false, 1)                              \
        X("SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true, 1)                          \
        X("SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true, 1)                          \
        X("SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false, 1)                            \
        X("SCMP_ACT_LOG", SCMP_ACT_LOG, false, API_LOG_KILL_PROCESS)             \
        X("SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false, API_NOTIFY)

#define SECCOMP_OPERATORS(X)                                                     \
        X("SCMP_CMP_NE", SCMP_CMP_NE)                                            \
        X("SCMP_CMP_LT", SCMP_CMP_LT)                                            \
        X("SCMP_CMP_LE", SCMP_CMP_LE)                                            \
        X("SCMP_CMP_EQ", SCMP_CMP_EQ)                                            \
        X("SCMP_CMP_GE", SCMP_CMP_GE)                                            \
        X("SCMP_CMP_GT", SCMP_CMP_GT)                                            \
        X("SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ)

/* Architectures newer libseccomp versions add; empty when the installed one lacks them. */
#ifdef SCMP_ARCH_LOONGARCH64
#define ARCH_LOONGARCH64(X) X("SCMP_ARCH_LOONGARCH64", SCMP_ARCH_LOONGARCH64)
#else
#define ARCH_LOONGARCH64(X)
#endif
#ifdef SCMP_ARCH_M68K
#define ARCH_M68K(X) X("SCMP_ARCH_M68K", SCMP_ARCH_M68K)
#else
#define ARCH_M68K(X)
#endif
#ifdef SCMP_ARCH_SH
#define ARCH_SH(X) X("SCMP_ARCH_SH", SCMP_ARCH_SH) X("SCMP_ARCH_SHEB", SCMP_ARCH_SHEB)
#else
#define ARCH_SH(X)
#endif

#define SECCOMP_ARCHS(X)                                                         \
        X("SCMP_ARCH_X86", SCMP_ARCH_X86)                                        \
        X("SCMP_ARCH_X86_64", SCMP_ARCH_X86_64)                                  \
        X("SCMP_ARCH_X32", SCMP_ARCH_X32)                                        \
        X("SCMP_ARCH_ARM", SCMP_ARCH_ARM)                                        \
        X("SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64)                                \
        X("SCMP_ARCH_MIPS", SCMP_ARCH_MIPS)                                      \
        X("SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64)                                  \
        X("SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32)                            \
        X("SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL)                                  \
        X("SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64)                              \
        X("SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32)                        \
        X("SCMP_ARCH_PPC", SCMP_ARCH_PPC)                                        \
        X("SCMP_ARCH_PPC64", SCMP_ARCH_PPC64)                                    \
        X("SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE)                                \
        X("SCMP_ARCH_S390", SCMP_ARCH_S390)                                      \
        X("SCMP_ARCH_S390X", SCMP_ARCH_S390X)                                    \
        X("SCMP_ARCH_PARISC", SCMP_ARCH_PARISC)                                  \
        X("SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64)                              \
        X("SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64)                                \
        ARCH_LOONGARCH64(X) ARCH_M68K(X) ARCH_SH(X)

/* name, seccomp(2) flag, libseccomp attribute (0 = none in this libseccomp) */
#define SECCOMP_FLAGS(X)                                                         \
        X("SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, SCMP_FLTATR_CTL_TSYNC) \
        X("SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, SCMP_FLTATR_CTL_LOG) \
        X("SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, SCMP_FLTATR_CTL_SSB) \
        X("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 0)

typedef struct NameValue {
        const char *name;
        uint32_t value;
} NameValue;

typedef struct FlagInfo {
        const char *name;
        unsigned int flag;
        int attr; /* enum scmp_filter_attr, 0 when libseccomp has none */
} FlagInfo;

#define ACTION_ENTRY(n, v, e, a) { n, v, e, a },
#define PAIR_ENTRY(n, v) { n, v },
#define FLAG_ENTRY(n, f, a) { n, f, a },
#define NAME2(n, ...) n,

static const ActionInfo action_table[] = { SECCOMP_ACTIONS(ACTION_ENTRY) };
static const NameValue op_table[] = { SECCOMP_OPERATORS(PAIR_ENTRY) };
static const NameValue arch_table[] = { SECCOMP_ARCHS(PAIR_ENTRY) };
static const FlagInfo flag_table[] = { SECCOMP_FLAGS(FLAG_ENTRY) };

static const char *const action_names[] = { SECCOMP_ACTIONS(NAME2) NULL };
static const char *const op_names[] = { SECCOMP_OPERATORS(NAME2) NULL };
static const char *const arch_names[] = { SECCOMP_ARCHS(NAME2) NULL };
static const char *const flag_names[] = { SECCOMP_FLAGS(NAME2) NULL };

static inline scmp_filter_ctx seccomp_ctx_free(scmp_filter_ctx ctx)
{
        if (ctx)
                seccomp_release(ctx);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(scmp_filter_ctx, seccomp_ctx_free)

static const NameValue *name_value_find(const NameValue *t, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(t[i].name, name))
                        return &t[i];
        return NULL;
}

static const ActionInfo *action_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(action_table); i++)
                if (streq(action_table[i].name, name))
                        return &action_table[i];
        return NULL;
}

/* The kernel validates seccomp(2) flags before it reads the (here NULL) program, so EFAULT means
 * the flags are known; libseccomp probes the same way. Installs nothing. */
static bool kernel_supports_flags(unsigned int flags)
{
        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);
        return r < 0 && errno == EFAULT;
}

/* Parses `name` (with its errnoRet) at field `where` into a libseccomp action value. */
static int action_parse(const char *where, const char *name, const OptU64 *errno_ret,
                        const char *errno_field, uint32_t *ret, LadeError **err)
{
        if (!name)
                return lade_error_msg(err, EINVAL, "%s: missing", where);
        const ActionInfo *a = action_find(name);
        if (!a)
                return lade_error_msg(err, EINVAL, "%s: unknown action '%s'", where, name);
        if (errno_ret->set && !a->takes_errno)
                return lade_error_msg(err, EINVAL, "%s: not valid with %s", errno_field, name);
        if (errno_ret->set && errno_ret->v > ERRNO_RET_MAX)
                return lade_error_msg(err, EINVAL, "%s: %" PRIu64 " is out of range (0-%u)",
                                      errno_field, errno_ret->v, ERRNO_RET_MAX);
        unsigned int api = seccomp_api_get();
        if (api < a->api)
                return lade_error_msg(err, EOPNOTSUPP,
                                      "%s: %s is not supported by the running kernel "
                                      "(libseccomp API level %u, needs %u)",
                                      where, name, api, a->api);
        if (!a->takes_errno)
                *ret = a->action;
        else
                *ret = a->action | (uint32_t) (errno_ret->set ? errno_ret->v : EPERM);
        return 0;
}

/* How much an action lets through: ALLOW < LOG < everything else. */
static int action_rank(uint32_t action)
{
        return action == SCMP_ACT_ALLOW ? 0 : action == SCMP_ACT_LOG ? 1 : 2;
}

static bool profile_uses_notify(const SpecSeccomp *s)
{
        for (size_t i = 0; i < s->n_syscalls; i++)
                if (streq(s->syscalls[i].action, "SCMP_ACT_NOTIFY"))
                        return true;
        return false;
}

static int add_archs(scmp_filter_ctx ctx, const SpecSeccomp *s, LadeError **err)
{
        for (size_t i = 0; s->architectures && s->architectures[i]; i++) {
                const char *name = s->architectures[i];
                const NameValue *a = name_value_find(arch_table, ELEMENTSOF(arch_table), name);
                if (!a)
                        return lade_error_msg(err, EINVAL, "linux.seccomp.architectures[%zu]: "
                                              "unknown architecture '%s'", i, name);
                int r = seccomp_arch_add(ctx, a->value);
                /* the native architecture is always in the filter already */
                if (r < 0 && r != -EEXIST)
                        return lade_error(err, -r, "linux.seccomp.architectures[%zu]: adding %s", i,
                                          name);
        }
        return 0;
}

static const FlagInfo *flag_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(flag_table); i++)
                if (streq(flag_table[i].name, name))
                        return &flag_table[i];
        return NULL;
}

/* One entry of linux.seccomp.flags: its seccomp(2) flag in *flags, and the libseccomp attribute
 * where there is one (so libseccomp checks its own support too). */
static int parse_flag(scmp_filter_ctx ctx, size_t i, const char *name, bool notify,
                      unsigned int *flags, LadeError **err)
{
        const FlagInfo *f = flag_find(name);
        if (!f)
                return lade_error_msg(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag '%s'", i,
                                      name);

        unsigned int probe = f->flag;
        if (f->flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
                /* It only changes how a notifying syscall waits, and the kernel refuses it
                 * without a listener. */
                if (!notify) {
                        log_debug("linux.seccomp.flags[%zu]: %s has no effect without "
                                  "SCMP_ACT_NOTIFY, ignoring", i, name);
                        return 0;
                }
                probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        }
        if (!kernel_supports_flags(probe))
                return lade_error_msg(err, EOPNOTSUPP, "linux.seccomp.flags[%zu]: %s is not "
                                      "supported by the running kernel", i, name);
        if (f->attr != 0) {
                int r = seccomp_attr_set(ctx, (enum scmp_filter_attr) f->attr, 1);
                if (r < 0)
                        return lade_error(err, -r, "linux.seccomp.flags[%zu]: %s", i, name);
        }
        *flags |= f->flag;
        return 0;
}

/* The seccomp(2) flags for loading: linux.seccomp.flags, plus NEW_LISTENER when the profile
 * notifies. */
static int parse_flags(scmp_filter_ctx ctx, const SpecSeccomp *s, bool notify,
                       unsigned int *ret_flags, LadeError **err)
{
        unsigned int flags = 0;
        int r;

        for (size_t i = 0; s->flags && s->flags[i]; i++) {
                r = parse_flag(ctx, i, s->flags[i], notify, &flags, err);
                if (r < 0)
                        return r;
        }
        if (notify) {
                flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                /* TSYNC's error return (a thread id) would be ambiguous with the listener fd */
                if (flags & SECCOMP_FILTER_FLAG_TSYNC)
                        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
        if (!kernel_supports_flags(flags))
                return lade_error_msg(err, EOPNOTSUPP, "linux.seccomp.flags: the running kernel "
                                      "does not support this combination (seccomp(2) flags 0x%x)",
                                      flags);
        *ret_flags = flags;
        return 0;
}

/* Fills cmps from rule->args; *ret_split tells whether an index repeats (then OR, as runc). */
static int args_parse(const SpecSeccompRule *rule, const char *where, struct scmp_arg_cmp *cmps,
                      bool *ret_split, LadeError **err)
{
        unsigned int seen = 0;
        bool split = false;

        for (size_t k = 0; k < rule->n_args; k++) {
                const SpecSeccompArg *a = &rule->args[k];
                if (a->index >= 6)
                        return lade_error_msg(err, EINVAL, "%s.args[%zu].index: %" PRIu32
                                              " is out of range (0-5)", where, k, a->index);
                const NameValue *op = name_value_find(op_table, ELEMENTSOF(op_table), a->op);
                if (!op)
                        return lade_error_msg(err, EINVAL, "%s.args[%zu].op: unknown operator '%s'",
                                              where, k, a->op ? a->op : "");
                if (seen & (1u << a->index))
                        split = true;
                seen |= 1u << a->index;
                /* For SCMP_CMP_MASKED_EQ libseccomp wants the mask in datum_a and the datum in
                 * datum_b, which is the order of value and valueTwo. */
                cmps[k] = (struct scmp_arg_cmp) {
                        .arg = a->index,
                        .op = (enum scmp_compare) op->value,
                        .datum_a = a->value,
                        .datum_b = a->value_two,
                };
        }
        *ret_split = split;
        return 0;
}

static int add_name(scmp_filter_ctx ctx, const char *where, size_t j, const char *name,
                    uint32_t action, uint32_t def, const struct scmp_arg_cmp *cmps, size_t n_cmps,
                    bool split, LadeError **err)
{
        /* After loading the filter the init still needs these to hand the listener fd over;
         * notifying them would wait for an agent that can't have the fd yet. */
        if (action == SCMP_ACT_NOTIFY && (streq(name, "write") || streq(name, "sendmsg")))
                return lade_error_msg(err, EINVAL, "%s.names[%zu]: SCMP_ACT_NOTIFY cannot be used "
                                      "for the %s syscall", where, j, name);
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) {
                /* Leaving out an allow rule the default would deny anyway only narrows the
                 * filter; leaving out any other rule would widen it. */
                if (action_rank(action) <= 1 && action_rank(def) > action_rank(action)) {
                        log_debug("%s.names[%zu]: unknown syscall '%s', skipping", where, j, name);
                        return 0;
                }
                return lade_error_msg(err, EINVAL, "%s.names[%zu]: unknown syscall '%s'", where, j,
                                      name);
        }

        int r = 0;
        if (split) {
                for (size_t k = 0; k < n_cmps && r >= 0; k++)
                        r = seccomp_rule_add_array(ctx, action, nr, 1, &cmps[k]);
        } else
                r = seccomp_rule_add_array(ctx, action, nr, (unsigned int) n_cmps, cmps);
        if (r < 0)
                return lade_error(err, -r, "%s.names[%zu]: adding a rule for '%s'", where, j, name);
        return 0;
}

static int add_rule(scmp_filter_ctx ctx, const SpecSeccomp *s, size_t i, uint32_t def,
                    LadeError **err)
{
        const SpecSeccompRule *rule = &s->syscalls[i];
        char where[64], action_field[FIELD_MAX], errno_field[FIELD_MAX];
        uint32_t action;
        bool split = false;
        int r;

        snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", i);
        snprintf(action_field, sizeof(action_field), "%s.action", where);
        snprintf(errno_field, sizeof(errno_field), "%s.errnoRet", where);

        r = action_parse(action_field, rule->action, &rule->errno_ret, errno_field, &action, err);
        if (r < 0)
                return r;
        if (action == SCMP_ACT_NOTIFY && !s->listener_path)
                return lade_error_msg(err, EINVAL,
                                      "%s: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath",
                                      action_field);
        _cleanup_free_ struct scmp_arg_cmp *cmps = xreallocarray(NULL, rule->n_args + 1,
                                                                 sizeof(*cmps));
        r = args_parse(rule, where, cmps, &split, err);
        if (r < 0)
                return r;
        if (!rule->names || !rule->names[0])
                return lade_error_msg(err, EINVAL, "%s.names: must contain at least one entry",
                                      where);
        if (action == def) {
                log_debug("%s: action is the default action, skipping", where);
                return 0;
        }

        for (size_t j = 0; rule->names[j]; j++) {
                r = add_name(ctx, where, j, rule->names[j], action, def, cmps, rule->n_args, split,
                             err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* seccomp_export_bpf() only writes to an fd: export into a memfd and read it back. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_n,
                      LadeError **err)
{
        _cleanup_close_ int fd = memfd_create("lade-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "linux.seccomp: memfd_create");
        int r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return lade_error(err, -r, "linux.seccomp: exporting the BPF program");
        off_t size = lseek(fd, 0, SEEK_END);
        if (size < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return lade_error(err, errno, "linux.seccomp: seeking in the BPF program");

        size_t n = (size_t) size / sizeof(struct sock_filter);
        if (n == 0 || (size_t) size % sizeof(struct sock_filter) != 0)
                return lade_error_msg(err, EIO, "linux.seccomp: libseccomp exported %jd bytes, "
                                      "not a BPF program", (intmax_t) size);
        if (n > BPF_MAXINSNS)
                return lade_error_msg(err, E2BIG, "linux.seccomp: the filter compiles to %zu BPF "
                                      "instructions, more than the kernel's limit of %d",
                                      n, BPF_MAXINSNS);
        _cleanup_free_ struct sock_filter *insns = xreallocarray(NULL, n, sizeof(*insns));
        ssize_t got = read_all(fd, insns, (size_t) size);
        if (got < 0)
                return lade_error(err, (int) -got, "linux.seccomp: reading the BPF program");
        if ((size_t) got != (size_t) size)
                return lade_error_msg(err, EIO, "linux.seccomp: short read of the BPF program");
        *ret = TAKE_PTR(insns);
        *ret_n = n;
        return 0;
}

int seccomp_program_compile(const SpecSeccomp *s, SeccompProgram **ret, LadeError **err)
{
        _cleanup_(seccomp_ctx_freep) scmp_filter_ctx ctx = NULL;
        _cleanup_free_ struct sock_filter *insns = NULL;
        size_t n_insns = 0;
        unsigned int flags = 0;
        uint32_t def;
        int r;

        r = action_parse("linux.seccomp.defaultAction", s->default_action, &s->default_errno_ret,
                         "linux.seccomp.defaultErrnoRet", &def, err);
        if (r < 0)
                return r;
        if (def == SCMP_ACT_NOTIFY)
                return lade_error_msg(err, EINVAL, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY "
                                      "cannot be the default action");
        bool notify = profile_uses_notify(s);

        ctx = seccomp_init(def);
        if (!ctx)
                return lade_error_msg(err, EINVAL,
                                      "linux.seccomp.defaultAction: libseccomp rejected %s",
                                      s->default_action);
        r = add_archs(ctx, s, err);
        if (r < 0)
                return r;
        r = parse_flags(ctx, s, notify, &flags, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_syscalls; i++) {
                r = add_rule(ctx, s, i, def, err);
                if (r < 0)
                        return r;
        }
        r = export_bpf(ctx, &insns, &n_insns, err);
        if (r < 0)
                return r;

        SeccompProgram *p = xmalloc0(sizeof(*p));
        p->insns = TAKE_PTR(insns);
        p->n_insns = n_insns;
        p->flags = flags;
        p->notify = notify;
        *ret = p;
        return 0;
}

int seccomp_program_load(const SeccompProgram *p, int *ret_notify_fd, LadeError **err)
{
        struct sock_fprog prog = {
                .len = (unsigned short) p->n_insns,
                .filter = (struct sock_filter *) p->insns,
        };

        long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags, &prog);
        if (r < 0 && errno == ENOSYS && p->flags == 0)
                r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
        if (r < 0) {
                if (errno == EACCES)
                        return lade_error(err, errno, "loading the seccomp filter "
                                          "(needs noNewPrivileges or CAP_SYS_ADMIN)");
                return lade_error(err, errno, "loading the seccomp filter");
        }

        /* The kernel creates the listener with O_CLOEXEC. */
        int notify_fd = p->notify ? (int) r : -1;
        if (ret_notify_fd)
                *ret_notify_fd = notify_fd;
        else
                safe_close(notify_fd);
        return 0;
}

bool seccomp_program_wants_notify(const SeccompProgram *p)
{
        return p && p->notify;
}

SeccompProgram *seccomp_program_free(SeccompProgram *p)
{
        if (p) {
                free(p->insns);
                free(p);
        }
        return NULL;
}

/* Builds the "containerProcessState" object from the runtime's state document. */
static int build_process_state(const char *metadata, const char *state_json, char **ret,
                               LadeError **err)
{
        _cleanup_json_ json_t *state = NULL;
        _cleanup_json_ json_t *o = NULL;
        int r;

        r = json_parse_text(state_json, strlen(state_json), "container state", &state, err);
        if (r < 0)
                return r;
        json_t *pid = json_object_get(state, "pid");
        if (!json_is_integer(pid) || json_integer_value(pid) <= 0)
                return lade_error_msg(err, EINVAL,
                                      "container state: pid: expected a positive integer");

        o = json_pack("{s:s, s:[s], s:O, s:O}", "ociVersion", LADE_OCI_VERSION, "fds", "seccompFd",
                      "pid", pid, "state", state);
        if (!o)
                return lade_error_msg(err, ENOMEM, "building the seccomp container process state");
        if (metadata && json_object_set_new(o, "metadata", json_string(metadata)) < 0)
                return lade_error_msg(err, EINVAL,
                                      "linux.seccomp.listenerMetadata: not valid UTF-8");
        *ret = json_dump_compact(o);
        return 0;
}

static int listener_connect(const char *path, LadeError **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        if (strlen(path) >= sizeof(sa.sun_path))
                return lade_error_msg(err, ENAMETOOLONG, "linux.seccomp.listenerPath: '%s' is too "
                                      "long for a unix socket", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return lade_error(err, errno, "seccomp listener: socket");
        if (connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0)
                return lade_error(err, errno, "seccomp listener: connect to '%s'", path);
        return TAKE_FD(fd);
}

/* The spec allows several sendmsg(2) calls as long as the fds go with the first one. Only
 * sendmsg(2) is used, since NOTIFY on it is refused (see add_name()). */
static int send_with_fd(int sock, const char *buf, size_t len, int fd, LadeError **err)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = control.buf,
                .msg_controllen = sizeof(control.buf),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));

        while (iov.iov_len > 0) {
                ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return lade_error(err, errno, "seccomp listener: sendmsg");
                iov.iov_base = (char *) iov.iov_base + n;
                iov.iov_len -= (size_t) n;
                mh.msg_control = NULL;
                mh.msg_controllen = 0;
        }
        return 0;
}

int seccomp_send_listener_fd(int sock, const char *metadata, const char *state_json, int notify_fd,
                             LadeError **err)
{
        _cleanup_free_ char *msg = NULL;
        int r;

        r = build_process_state(metadata, state_json, &msg, err);
        if (r < 0)
                return r;
        return send_with_fd(sock, msg, strlen(msg), notify_fd, err);
}

int seccomp_send_listener(const char *listener_path, const char *metadata, const char *state_json,
                          int notify_fd, LadeError **err)
{
        _cleanup_close_ int sock = -EBADF;
        int r;

        /* build first: a bad state is an error whether or not an agent listens */
        _cleanup_free_ char *msg = NULL;
        r = build_process_state(metadata, state_json, &msg, err);
        if (r < 0)
                return r;
        sock = listener_connect(listener_path, err);
        if (sock < 0)
                return sock;
        /* one state per connection, then close (cleanup) */
        return send_with_fd(sock, msg, strlen(msg), notify_fd, err);
}

const char *const *seccomp_known_actions(void)
{
        return action_names;
}

const char *const *seccomp_known_operators(void)
{
        return op_names;
}

const char *const *seccomp_known_archs(void)
{
        return arch_names;
}

const char *const *seccomp_known_flags(void)
{
        return flag_names;
}

const char *const *seccomp_supported_flags(void)
{
        static const char *supported[ELEMENTSOF(flag_table) + 1];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(flag_table); i++) {
                unsigned int probe = flag_table[i].flag;
                if (probe == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
                        probe |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
                if (kernel_supports_flags(probe))
                        supported[n++] = flag_table[i].name;
        }
        supported[n] = NULL;
        return supported;
}

const char *seccomp_library_version(void)
{
        static char buf[3 * 11];
        const struct scmp_version *v = seccomp_version();

        if (!v)
                return "unknown";
        snprintf(buf, sizeof(buf), "%u.%u.%u", v->major, v->minor, v->micro);
        return buf;
}

/* ---- compiled-program cache ----
 * Compiling a large profile (Docker's default) with libseccomp costs ~10 ms per container, yet
 * the result depends only on the profile, the libseccomp version and the kernel. So programs are
 * cached as files keyed by exactly that text; a cache entry is used only when its stored key is
 * byte-for-byte the current one, so a hash collision or a stale entry can never apply a wrong
 * filter. The cache lives under the runtime's (root-only) state root. */


static uint64_t fnv1a64(const char *s, size_t n)
{
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char) s[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static char *cache_key(const char *profile_json)
{
        struct utsname u;
        if (uname(&u) < 0)
                return NULL;
        return xasprintf("lade-seccomp-v1\n%s\n%s %s %s\n%s", seccomp_library_version(), u.sysname,
                         u.release, u.machine, profile_json);
}

static int cache_read(const char *path, const char *key, SeccompProgram **ret)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (read_file_at(AT_FDCWD, path, 64u << 20, &data, &len, NULL) < 0)
                return -ENOENT;
        size_t klen = strlen(key);
        uint32_t flags, n;
        size_t head = klen + 1 + 2 * sizeof(uint32_t) + 1;
        if (len < head || memcmp(data, key, klen + 1) != 0)
                return -ENOENT;
        memcpy(&flags, data + klen + 1, sizeof(flags));
        memcpy(&n, data + klen + 1 + sizeof(flags), sizeof(n));
        bool notify = data[klen + 1 + 2 * sizeof(uint32_t)] != 0;
        if (n == 0 || n > BPF_MAXINSNS || len != head + (size_t) n * sizeof(struct sock_filter))
                return -ENOENT;
        SeccompProgram *p = xmalloc0(sizeof(*p));
        p->insns = xmalloc((size_t) n * sizeof(struct sock_filter));
        memcpy(p->insns, data + head, (size_t) n * sizeof(struct sock_filter));
        p->n_insns = n;
        p->flags = flags;
        p->notify = notify;
        *ret = p;
        return 0;
}

static void cache_write(const char *dir, const char *path, const char *key, const SeccompProgram *p)
{
        size_t klen = strlen(key), isz = p->n_insns * sizeof(struct sock_filter);
        size_t len = klen + 1 + 2 * sizeof(uint32_t) + 1 + isz;
        _cleanup_free_ char *buf = xmalloc(len);
        uint32_t flags = p->flags, n = (uint32_t) p->n_insns;
        memcpy(buf, key, klen + 1);
        memcpy(buf + klen + 1, &flags, sizeof(flags));
        memcpy(buf + klen + 1 + sizeof(flags), &n, sizeof(n));
        buf[klen + 1 + 2 * sizeof(uint32_t)] = p->notify ? 1 : 0;
        memcpy(buf + klen + 1 + 2 * sizeof(uint32_t) + 1, p->insns, isz);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return;
        (void) write_file_atomic_at(AT_FDCWD, path, buf, len, 0600, NULL);
}

int seccomp_program_compile_cached(const SpecSeccomp *s, const char *profile_json, const char *cache_dir,
                                   SeccompProgram **ret, LadeError **err)
{
        _cleanup_free_ char *key = cache_dir && profile_json ? cache_key(profile_json) : NULL;
        if (!key)
                return seccomp_program_compile(s, ret, err);
        _cleanup_free_ char *path = xasprintf("%s/%016llx", cache_dir,
                                              (unsigned long long) fnv1a64(key, strlen(key)));
        if (cache_read(path, key, ret) == 0)
                return 0;
        int r = seccomp_program_compile(s, ret, err);
        if (r == 0)
                cache_write(cache_dir, path, key, *ret);
        return r;
}
