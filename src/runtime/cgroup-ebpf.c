/* The cgroup v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program, assembled by hand from
 * linux.resources.devices (no libbpf, no clang), loaded with bpf(2) and attached to the
 * container's cgroup2 directory with BPF_CGROUP_DEVICE.
 *
 * Semantics are exactly v1's, so a config behaves the same on every host. The rules are first
 * replayed through an emulation of the v1 kernel's exception list (security/device_cgroup.c, as
 * runc's devices emulator does): start from "deny all"; an "a" rule resets the default; a rule
 * agreeing with the default removes access bits from the exception with the same type:major:minor,
 * one disagreeing adds (or merges into) that exception. So "allow c 1:3 rwm" then "deny c 1:3 w"
 * leaves "c 1:3 rm", and a request for rw on 1:3 is refused, as v1 does.
 *
 * The program then checks the final exceptions (order does not matter):
 *     default deny:  allowed if one exception matches type, major, minor and holds ALL the access
 *     default allow: refused if one exception matches type, major, minor and holds ANY of it
 * Layout (registers after the prologue: R2 type, R3 access, R4 major, R5 minor):
 *     prologue        6 instructions reading struct bpf_cgroup_dev_ctx
 *     per exception   type; [major]; [minor]; [access: 3]; r0 = !default; exit
 *     default         r0 = default; exit
 * A failed check jumps to the first instruction after its exception's block. */
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "log.h"
#include "util.h"

#define BPF_MAX_ATTACHED 64 /* BPF_CGROUP_MAX_PROGS: the kernel's limit per cgroup and type */
#define BPF_LOG_SIZE (64u * 1024)

typedef struct Prog {
        struct bpf_insn *insns;
        size_t n;
} Prog;

#define INSN(c, d, s, o, i)                                                           \
        ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), \
                            .imm = (i) })

static void emit(Prog *p, struct bpf_insn insn)
{
        p->insns = xreallocarray(p->insns, p->n + 1, sizeof(*p->insns));
        p->insns[p->n++] = insn;
}

static void emit_ldx_w(Prog *p, int dst, int off)
{
        emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, off, 0));
}

static void emit_prologue(Prog *p)
{
        emit_ldx_w(p, BPF_REG_2, 0); /* access_type = (access << 16) | type */
        emit(p, INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF));
        emit_ldx_w(p, BPF_REG_3, 0);
        emit(p, INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
        emit_ldx_w(p, BPF_REG_4, 4); /* major */
        emit_ldx_w(p, BPF_REG_5, 8); /* minor */
}

static void emit_return(Prog *p, bool allow)
{
        emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, allow ? 1 : 0));
        emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static int access_bits(const char *access)
{
        int bits = 0;
        for (const char *c = access ? access : "rwm"; *c; c++)
                bits |= *c == 'r' ? BPF_DEVCG_ACC_READ
                        : *c == 'w' ? BPF_DEVCG_ACC_WRITE
                                    : BPF_DEVCG_ACC_MKNOD;
        return bits;
}

/* ---- v1 exception list emulation ---- */

typedef struct DevException {
        char type; /* 'b' or 'c' */
        int64_t major, minor; /* -1 = any */
        int access;
} DevException;

typedef struct DevState {
        bool default_allow;
        DevException *ex;
        size_t n;
} DevState;

static DevException *dev_find(DevState *s, const DevException *e)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->ex[i].type == e->type && s->ex[i].major == e->major &&
                    s->ex[i].minor == e->minor)
                        return &s->ex[i];
        return NULL;
}

static void dev_add(DevState *s, const DevException *e)
{
        DevException *x = dev_find(s, e);
        if (x) {
                x->access |= e->access;
                return;
        }
        s->ex = xreallocarray(s->ex, s->n + 1, sizeof(*s->ex));
        s->ex[s->n++] = *e;
}

static void dev_rm(DevState *s, const DevException *e)
{
        DevException *x = dev_find(s, e);
        if (!x)
                return;
        x->access &= ~e->access;
        if (x->access == 0)
                *x = s->ex[--s->n];
}

/* The kernel reads any "a" rule as a reset, so a narrower "a" rule stands for a "c" and a "b" rule
 * (cgroup-v1.c writes it that way too). */
static void dev_apply(DevState *s, const SpecDeviceRule *d)
{
        if (cgroup_device_rule_is_all(d)) {
                s->default_allow = d->allow;
                s->n = 0;
                return;
        }
        DevException e = {
                .major = d->major.set && d->major.v >= 0 ? d->major.v : -1,
                .minor = d->minor.set && d->minor.v >= 0 ? d->minor.v : -1,
                .access = access_bits(d->access),
        };
        for (const char *t = d->type == 'a' ? "cb" : d->type == 'b' ? "b" : "c"; *t; t++) {
                e.type = *t;
                if (d->allow == s->default_allow)
                        dev_rm(s, &e);
                else
                        dev_add(s, &e);
        }
}

/* ---- code generation ---- */

static void emit_exception(Prog *p, const DevException *e, bool default_allow)
{
        const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
        bool has_major = e->major >= 0, has_minor = e->minor >= 0, has_acc = e->access != all;
        int len = 1 + has_major + has_minor + 3 * has_acc + 2;
        int i = 0; /* index inside the block of the instruction being emitted */
        emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, len - 1 - i++,
                     e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
        if (has_major)
                emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, len - 1 - i++,
                             (int32_t) e->major));
        if (has_minor)
                emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, len - 1 - i++,
                             (int32_t) e->minor));
        if (has_acc) {
                /* R1 = R3 & access; allow list: all requested bits held (R1 == R3);
                 * deny list: any requested bit held (R1 != 0) */
                emit(p, INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
                emit(p, INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, e->access));
                i += 2;
                if (default_allow)
                        emit(p, INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, len - 1 - i++, 0));
                else
                        emit(p, INSN(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3,
                                     len - 1 - i++, 0));
        }
        emit_return(p, !default_allow);
}

int cgroup_ebpf_build(const SpecDeviceRule *rules, size_t n, struct bpf_insn **ret,
                      size_t *ret_n, LadeError **err)
{
        DevState s = { .default_allow = false };
        Prog p = { NULL, 0 };
        for (size_t i = 0; i < n; i++) {
                int r = cgroup_device_rule_check(&rules[i], i, err);
                if (r < 0) {
                        free(s.ex);
                        return r;
                }
                dev_apply(&s, &rules[i]);
        }
        emit_prologue(&p);
        for (size_t i = 0; i < s.n; i++)
                emit_exception(&p, &s.ex[i], s.default_allow);
        emit_return(&p, s.default_allow);
        free(s.ex);
        *ret = p.insns;
        *ret_n = p.n;
        return 0;
}

/* ---- bpf(2) ---- */

static int sys_bpf(int cmd, union bpf_attr *attr)
{
        return (int) syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load_once(const struct bpf_insn *insns, size_t n, char *log, size_t log_size)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = (uint64_t) (uintptr_t) insns;
        attr.insn_cnt = (uint32_t) n;
        attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
        attr.log_buf = (uint64_t) (uintptr_t) log;
        attr.log_size = (uint32_t) log_size;
        attr.log_level = log ? 1 : 0;
        return sys_bpf(BPF_PROG_LOAD, &attr); /* bpf fds are always O_CLOEXEC */
}

static int prog_load(const struct bpf_insn *insns, size_t n, LadeError **err)
{
        int fd = prog_load_once(insns, n, NULL, 0);
        if (fd < 0 && errno == EPERM) {
                /* kernels before 5.11 charge programs to RLIMIT_MEMLOCK */
                struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
                (void) setrlimit(RLIMIT_MEMLOCK, &rl);
                fd = prog_load_once(insns, n, NULL, 0);
        }
        if (fd >= 0)
                return fd;
        int saved = errno;
        _cleanup_free_ char *log = xmalloc0(BPF_LOG_SIZE);
        (void) prog_load_once(insns, n, log, BPF_LOG_SIZE); /* again, for the verifier's text */
        return lade_error(err, saved, CGROUP_RES "devices: load the eBPF device filter%s%.512s",
                          *log ? ": " : "", log);
}

static int prog_query(int cgfd, uint32_t *ids, size_t *ret_n, LadeError **err)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.query.target_fd = (uint32_t) cgfd;
        attr.query.attach_type = BPF_CGROUP_DEVICE;
        attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
        attr.query.prog_cnt = BPF_MAX_ATTACHED;
        if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
                return lade_error(err, errno, "query the device programs of the cgroup");
        *ret_n = attr.query.prog_cnt;
        return 0;
}

static int prog_attach(int cgfd, int progfd, int replace_fd)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t) cgfd;
        attr.attach_bpf_fd = (uint32_t) progfd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = BPF_F_ALLOW_MULTI;
        if (replace_fd >= 0) {
                attr.attach_flags |= BPF_F_REPLACE;
                attr.replace_bpf_fd = (uint32_t) replace_fd;
        }
        return sys_bpf(BPF_PROG_ATTACH, &attr) < 0 ? -errno : 0;
}

/* An fd for an attached program; -errno when it cannot be had (e.g. an LSM hides it). */
static int prog_fd_by_id(uint32_t id)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.prog_id = id;
        int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        return fd < 0 ? -errno : fd;
}

static int prog_detach(int cgfd, int progfd)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t) cgfd;
        attr.attach_bpf_fd = (uint32_t) progfd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        return sys_bpf(BPF_PROG_DETACH, &attr) < 0 ? -errno : 0;
}

/* Detaches the programs that were there before ours. Programs we may not open (runc: LSM
 * policies) are left alone: another filter can only deny more. */
static int detach_old(int cgfd, const uint32_t *ids, size_t n, LadeError **err)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = prog_fd_by_id(ids[i]);
                if (fd == -EPERM || fd == -EACCES || fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return lade_error(err, -fd, "open device program %u", ids[i]);
                int r = prog_detach(cgfd, fd);
                if (r < 0 && r != -ENOENT)
                        return lade_error(err, -r, "detach the old device program %u", ids[i]);
        }
        return 0;
}

/* One old program: replace it atomically (BPF_F_REPLACE, kernel >= 5.6). Otherwise attach the
 * new one next to the old ones, then detach those: never a moment without a filter. */
static int attach_replacing(int cgfd, int progfd, const uint32_t *old, size_t n_old,
                            LadeError **err)
{
        if (n_old == 1) {
                _cleanup_close_ int oldfd = prog_fd_by_id(old[0]);
                if (oldfd >= 0 && prog_attach(cgfd, progfd, oldfd) == 0)
                        return 0;
        }
        int r = prog_attach(cgfd, progfd, -1);
        if (r < 0)
                return lade_error(err, -r, CGROUP_RES "devices: attach the eBPF device filter "
                                           "(BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)");
        return detach_old(cgfd, old, n_old, err);
}

static int open_cgroup(const char *dir, LadeError **err)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "open cgroup '%s'", dir);
        return fd;
}

int cgroup_ebpf_apply(const char *dir, const SpecDeviceRule *rules, size_t n, LadeError **err)
{
        _cleanup_free_ struct bpf_insn *insns = NULL;
        size_t n_insns = 0, n_old = 0;
        uint32_t old[BPF_MAX_ATTACHED];
        int r = cgroup_ebpf_build(rules, n, &insns, &n_insns, err);
        if (r < 0)
                return r;
        _cleanup_close_ int cgfd = open_cgroup(dir, err);
        if (cgfd < 0)
                return cgfd;
        r = prog_query(cgfd, old, &n_old, err);
        if (r < 0)
                return lade_error_wrap(err, CGROUP_RES "devices");
        _cleanup_close_ int progfd = prog_load(insns, n_insns, err);
        if (progfd < 0)
                return progfd;
        log_debug("cgroup %s: device filter of %zu instructions replaces %zu program(s)", dir,
                  n_insns, n_old);
        return attach_replacing(cgfd, progfd, old, n_old, err);
}

int cgroup_ebpf_count_attached(const char *dir, size_t *ret, LadeError **err)
{
        uint32_t ids[BPF_MAX_ATTACHED];
        _cleanup_close_ int cgfd = open_cgroup(dir, err);
        if (cgfd < 0)
                return cgfd;
        return prog_query(cgfd, ids, ret, err);
}
