/* config.json "linux" object -> SpecLinux, and linux.resources -> SpecResources (also parsed
 * alone for `update -r`). Uses the field readers of spec.c, so the same rules hold: errors name
 * the full field path, null is absent, unknown keys (intelRdt, resources.rdma, netDevices, ...)
 * are ignored, wrong types are errors, and values are range-checked here once. */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "spec.h"
#include "util.h"

/* ---- resources ---- */

static void device_rule_done(void *elem)
{
        free(((SpecDeviceRule *) elem)->access);
}

/* A one-character string from `allowed` ("c", "b", ...) into *ret; `dflt` when absent. */
static int parse_type_char(json_t *o, const char *where, const char *allowed, char dflt,
                           char *ret, LadeError **err)
{
        _cleanup_free_ char *t = NULL;
        int r = spec_get_string(o, where, "type", dflt == 0, &t, err);
        if (r < 0)
                return r;
        if (!t) {
                *ret = dflt;
                return 0;
        }
        if (strlen(t) != 1 || !strchr(allowed, t[0]))
                return spec_field_error(err, where, "type", "unknown device type '%.100s'", t);
        *ret = t[0];
        return 0;
}

static int device_rule_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "allow", SPEC_FIELD_BOOL, offsetof(SpecDeviceRule, allow), true },
                { "major", SPEC_FIELD_OPT_I64, offsetof(SpecDeviceRule, major), SPEC_RANGE_MINUS1 },
                { "minor", SPEC_FIELD_OPT_I64, offsetof(SpecDeviceRule, minor), SPEC_RANGE_MINUS1 },
                { "access", SPEC_FIELD_STRING, offsetof(SpecDeviceRule, access) },
        };
        SpecDeviceRule *d = elem;
        int r = spec_read_table(o, where, fields, d, err);
        if (r < 0)
                return r;
        r = parse_type_char(o, where, "acb", 'a', &d->type, err);
        if (r < 0)
                return r;
        if (d->access && d->access[strspn(d->access, "rwm")] != '\0')
                return spec_field_error(err, where, "access",
                                        "expected a subset of 'rwm', got '%.100s'", d->access);
        return 0;
}

static const SpecElemType device_rule_type = { sizeof(SpecDeviceRule), device_rule_parse,
                                               device_rule_done };

static void nothing_done(void *elem)
{
}

static int weight_device_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "major", SPEC_FIELD_I64, offsetof(SpecWeightDevice, major), true,
                  SPEC_RANGE_NONNEG },
                { "minor", SPEC_FIELD_I64, offsetof(SpecWeightDevice, minor), true,
                  SPEC_RANGE_NONNEG },
                { "weight", SPEC_FIELD_OPT_U64, offsetof(SpecWeightDevice, weight),
                  SPEC_RANGE_U16 },
                { "leafWeight", SPEC_FIELD_OPT_U64, offsetof(SpecWeightDevice, leaf_weight),
                  SPEC_RANGE_U16 },
        };
        SpecWeightDevice *w = elem;
        int r = spec_read_table(o, where, fields, w, err);
        if (r < 0)
                return r;
        if (!w->weight.set && !w->leaf_weight.set)
                return spec_field_error(err, where, NULL, "weight or leafWeight required");
        return 0;
}

static const SpecElemType weight_device_type = { sizeof(SpecWeightDevice), weight_device_parse,
                                                 nothing_done };

static int throttle_device_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "major", SPEC_FIELD_I64, offsetof(SpecThrottleDevice, major), true,
                  SPEC_RANGE_NONNEG },
                { "minor", SPEC_FIELD_I64, offsetof(SpecThrottleDevice, minor), true,
                  SPEC_RANGE_NONNEG },
                { "rate", SPEC_FIELD_U64, offsetof(SpecThrottleDevice, rate), true },
        };
        return spec_read_table(o, where, fields, elem, err);
}

static const SpecElemType throttle_device_type = { sizeof(SpecThrottleDevice),
                                                   throttle_device_parse, nothing_done };

static void hugepage_done(void *elem)
{
        free(((SpecHugepageLimit *) elem)->page_size);
}

static int hugepage_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "pageSize", SPEC_FIELD_STRING, offsetof(SpecHugepageLimit, page_size), true },
                { "limit", SPEC_FIELD_U64, offsetof(SpecHugepageLimit, limit), true },
        };
        return spec_read_table(o, where, fields, elem, err);
}

static const SpecElemType hugepage_type = { sizeof(SpecHugepageLimit), hugepage_parse,
                                            hugepage_done };

static void kv_done(void *elem)
{
        SpecKV *kv = elem;
        free(kv->key);
        free(kv->value);
}

/* {name, priority} -> SpecKV{name, "priority"} */
static int net_priority_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "name", SPEC_FIELD_STRING, offsetof(SpecKV, key), true },
                { "priority", SPEC_FIELD_U32, 0, true },
        };
        SpecKV *kv = elem;
        uint32_t prio = 0;
        int r = spec_read_fields(o, where, &fields[0], 1, kv, err);
        if (r < 0)
                return r;
        r = spec_read_fields(o, where, &fields[1], 1, &prio, err);
        if (r < 0)
                return r;
        kv->value = xasprintf("%" PRIu32, prio);
        return 0;
}

static const SpecElemType net_priority_type = { sizeof(SpecKV), net_priority_parse, kv_done };

#define RES(member) offsetof(SpecResources, member)
static const SpecField memory_fields[] = {
        { "limit", SPEC_FIELD_OPT_I64, RES(memory.limit), SPEC_RANGE_MINUS1 },
        { "reservation", SPEC_FIELD_OPT_I64, RES(memory.reservation), SPEC_RANGE_MINUS1 },
        { "swap", SPEC_FIELD_OPT_I64, RES(memory.swap), SPEC_RANGE_MINUS1 },
        { "kernel", SPEC_FIELD_OPT_I64, RES(memory.kernel), SPEC_RANGE_MINUS1 },
        { "kernelTCP", SPEC_FIELD_OPT_I64, RES(memory.kernel_tcp), SPEC_RANGE_MINUS1 },
        { "swappiness", SPEC_FIELD_OPT_U64, RES(memory.swappiness) },
        { "disableOOMKiller", SPEC_FIELD_OPT_BOOL, RES(memory.disable_oom_killer) },
        { "useHierarchy", SPEC_FIELD_OPT_BOOL, RES(memory.use_hierarchy) },
        { "checkBeforeUpdate", SPEC_FIELD_OPT_BOOL, RES(memory.check_before_update) },
};
static const SpecField cpu_fields[] = {
        { "shares", SPEC_FIELD_OPT_U64, RES(cpu.shares) },
        { "quota", SPEC_FIELD_OPT_I64, RES(cpu.quota), SPEC_RANGE_MINUS1 },
        { "burst", SPEC_FIELD_OPT_U64, RES(cpu.burst) },
        { "period", SPEC_FIELD_OPT_U64, RES(cpu.period) },
        { "realtimeRuntime", SPEC_FIELD_OPT_I64, RES(cpu.realtime_runtime), SPEC_RANGE_MINUS1 },
        { "realtimePeriod", SPEC_FIELD_OPT_U64, RES(cpu.realtime_period) },
        { "cpus", SPEC_FIELD_STRING, RES(cpu.cpus) },
        { "mems", SPEC_FIELD_STRING, RES(cpu.mems) },
        { "idle", SPEC_FIELD_OPT_I64, RES(cpu.idle), SPEC_RANGE(0, 1) },
};
static const SpecField pids_fields[] = {
        { "limit", SPEC_FIELD_OPT_I64, RES(pids.limit), true, SPEC_RANGE_MINUS1 },
};
static const SpecField block_io_fields[] = {
        { "weight", SPEC_FIELD_OPT_U64, RES(block_io.weight), SPEC_RANGE_U16 },
        { "leafWeight", SPEC_FIELD_OPT_U64, RES(block_io.leaf_weight), SPEC_RANGE_U16 },
};
static const SpecField network_fields[] = {
        { "classID", SPEC_FIELD_OPT_U64, RES(network.class_id), SPEC_RANGE_U32 },
};
#undef RES

/* Reads obj[key] with `fields`; *ret_o is the sub-object (NULL when absent), *ret_w its path. */
static int read_sub(json_t *obj, const char *where, const char *key, const SpecField *fields,
                    size_t n_fields, void *base, json_t **ret_o, char **ret_w, LadeError **err)
{
        json_t *o;
        int r = spec_get_object(obj, where, key, &o, err);
        if (r < 0 || !o) {
                *ret_o = NULL;
                return r;
        }
        _cleanup_free_ char *w = spec_path(where, key);
        r = spec_read_fields(o, w, fields, n_fields, base, err);
        if (r < 0)
                return r;
        *ret_o = o;
        *ret_w = TAKE_PTR(w);
        return 0;
}

static int parse_block_io(json_t *obj, const char *where, SpecResources *res, LadeError **err)
{
        const SpecElemType *t = &throttle_device_type;
        _cleanup_free_ char *w = NULL;
        json_t *o;
        int r = read_sub(obj, where, "blockIO", block_io_fields, ELEMENTSOF(block_io_fields), res,
                         &o, &w, err);
        if (r < 0 || !o)
                return r;
        r = spec_get_objects(o, w, "weightDevice", &weight_device_type,
                             (void **) &res->block_io.weight_device, &res->block_io.n_weight_device,
                             err);
        if (r >= 0)
                r = spec_get_objects(o, w, "throttleReadBpsDevice", t,
                                     (void **) &res->block_io.throttle_read_bps,
                                     &res->block_io.n_throttle_read_bps, err);
        if (r >= 0)
                r = spec_get_objects(o, w, "throttleWriteBpsDevice", t,
                                     (void **) &res->block_io.throttle_write_bps,
                                     &res->block_io.n_throttle_write_bps, err);
        if (r >= 0)
                r = spec_get_objects(o, w, "throttleReadIOPSDevice", t,
                                     (void **) &res->block_io.throttle_read_iops,
                                     &res->block_io.n_throttle_read_iops, err);
        if (r >= 0)
                r = spec_get_objects(o, w, "throttleWriteIOPSDevice", t,
                                     (void **) &res->block_io.throttle_write_iops,
                                     &res->block_io.n_throttle_write_iops, err);
        return r;
}

static int parse_network(json_t *obj, const char *where, SpecResources *res, LadeError **err)
{
        _cleanup_free_ char *w = NULL;
        json_t *o;
        int r = read_sub(obj, where, "network", network_fields, ELEMENTSOF(network_fields), res,
                         &o, &w, err);
        if (r < 0 || !o)
                return r;
        return spec_get_objects(o, w, "priorities", &net_priority_type,
                                (void **) &res->network.priorities, &res->network.n_priorities,
                                err);
}

static int parse_cgroup_objects(json_t *obj, const char *where, SpecResources *res,
                                LadeError **err)
{
        static const struct {
                const char *key;
                const SpecField *fields;
                size_t n;
        } subs[] = {
                { "memory", memory_fields, ELEMENTSOF(memory_fields) },
                { "cpu", cpu_fields, ELEMENTSOF(cpu_fields) },
                { "pids", pids_fields, ELEMENTSOF(pids_fields) },
        };
        for (size_t i = 0; i < ELEMENTSOF(subs); i++) {
                _cleanup_free_ char *w = NULL;
                json_t *o;
                int r = read_sub(obj, where, subs[i].key, subs[i].fields, subs[i].n, res, &o, &w,
                                 err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_resources_fields(json_t *obj, const char *where, SpecResources *res,
                                  LadeError **err)
{
        /* "rdma" is accepted and ignored: no cgroup code here drives it */
        res->has_devices = spec_member(obj, "devices") != NULL;
        int r = spec_get_objects(obj, where, "devices", &device_rule_type, (void **) &res->devices,
                                 &res->n_devices, err);
        if (r >= 0)
                r = parse_cgroup_objects(obj, where, res, err);
        if (r >= 0)
                r = parse_block_io(obj, where, res, err);
        if (r >= 0)
                r = spec_get_objects(obj, where, "hugepageLimits", &hugepage_type,
                                     (void **) &res->hugepage_limits, &res->n_hugepage_limits, err);
        if (r >= 0)
                r = parse_network(obj, where, res, err);
        if (r >= 0)
                r = spec_get_kv(obj, where, "unified", &res->unified, &res->n_unified, err);
        return r;
}

int spec_parse_resources(json_t *obj, const char *where, SpecResources **ret, LadeError **err)
{
        where = where ? where : "";
        if (!json_is_object(obj))
                return spec_type_error(err, where, NULL, "an object", obj);

        _cleanup_(spec_resources_freep) SpecResources *res = xmalloc0(sizeof(*res));
        int r = parse_resources_fields(obj, where, res, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(res);
        return 0;
}

SpecResources *spec_resources_free(SpecResources *r)
{
        if (!r)
                return NULL;
        spec_objects_free(r->devices, r->n_devices, &device_rule_type);
        free(r->cpu.cpus);
        free(r->cpu.mems);
        free(r->block_io.weight_device);
        free(r->block_io.throttle_read_bps);
        free(r->block_io.throttle_write_bps);
        free(r->block_io.throttle_read_iops);
        free(r->block_io.throttle_write_iops);
        spec_objects_free(r->hugepage_limits, r->n_hugepage_limits, &hugepage_type);
        spec_kv_free(r->network.priorities, r->network.n_priorities);
        spec_kv_free(r->unified, r->n_unified);
        free(r);
        return NULL;
}

/* ---- seccomp ---- */

static void seccomp_arg_done(void *elem)
{
        free(((SpecSeccompArg *) elem)->op);
}

static int seccomp_arg_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        /* the kernel passes six syscall arguments */
        static const SpecField fields[] = {
                { "index", SPEC_FIELD_U32, offsetof(SpecSeccompArg, index), true, SPEC_RANGE(0,
                  5) },
                { "value", SPEC_FIELD_U64, offsetof(SpecSeccompArg, value), true },
                { "valueTwo", SPEC_FIELD_U64, offsetof(SpecSeccompArg, value_two) },
                { "op", SPEC_FIELD_STRING, offsetof(SpecSeccompArg, op), true },
        };
        return spec_read_table(o, where, fields, elem, err);
}

static const SpecElemType seccomp_arg_type = { sizeof(SpecSeccompArg), seccomp_arg_parse,
                                               seccomp_arg_done };

static void seccomp_rule_done(void *elem)
{
        SpecSeccompRule *rule = elem;
        strv_free(rule->names);
        free(rule->action);
        spec_objects_free(rule->args, rule->n_args, &seccomp_arg_type);
}

static int seccomp_rule_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "names", SPEC_FIELD_STRV, offsetof(SpecSeccompRule, names), true },
                { "action", SPEC_FIELD_STRING, offsetof(SpecSeccompRule, action), true },
                { "errnoRet", SPEC_FIELD_OPT_U64, offsetof(SpecSeccompRule, errno_ret),
                  SPEC_RANGE_U32 },
        };
        SpecSeccompRule *rule = elem;
        int r = spec_read_table(o, where, fields, rule, err);
        if (r < 0)
                return r;
        if (!rule->names[0])
                return spec_field_error(err, where, "names", "must not be empty");
        return spec_get_objects(o, where, "args", &seccomp_arg_type, (void **) &rule->args,
                                &rule->n_args, err);
}

static const SpecElemType seccomp_rule_type = { sizeof(SpecSeccompRule), seccomp_rule_parse,
                                                seccomp_rule_done };

static SpecSeccomp *seccomp_free(SpecSeccomp *s)
{
        if (!s)
                return NULL;
        free(s->default_action);
        strv_free(s->architectures);
        strv_free(s->flags);
        free(s->listener_path);
        free(s->listener_metadata);
        spec_objects_free(s->syscalls, s->n_syscalls, &seccomp_rule_type);
        free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(SpecSeccomp *, seccomp_free)

static int parse_seccomp(json_t *linux_obj, const char *where, SpecLinux *l, LadeError **err)
{
        static const SpecField fields[] = {
                { "defaultAction", SPEC_FIELD_STRING, offsetof(SpecSeccomp, default_action), true },
                { "defaultErrnoRet", SPEC_FIELD_OPT_U64, offsetof(SpecSeccomp, default_errno_ret),
                  SPEC_RANGE_U32 },
                { "architectures", SPEC_FIELD_STRV, offsetof(SpecSeccomp, architectures) },
                { "flags", SPEC_FIELD_STRV, offsetof(SpecSeccomp, flags) },
                { "listenerPath", SPEC_FIELD_STRING, offsetof(SpecSeccomp, listener_path) },
                { "listenerMetadata", SPEC_FIELD_STRING, offsetof(SpecSeccomp, listener_metadata) },
        };
        json_t *o;
        int r = spec_get_object(linux_obj, where, "seccomp", &o, err);
        if (r < 0 || !o)
                return r;

        _cleanup_free_ char *w = spec_path(where, "seccomp");
        _cleanup_(seccomp_freep) SpecSeccomp *s = xmalloc0(sizeof(*s));
        r = spec_read_table(o, w, fields, s, err);
        if (r < 0)
                return r;
        if (s->listener_metadata && !s->listener_path)
                return spec_field_error(err, w, "listenerMetadata", "set without listenerPath");
        r = spec_get_objects(o, w, "syscalls", &seccomp_rule_type, (void **) &s->syscalls,
                             &s->n_syscalls, err);
        if (r < 0)
                return r;
        l->seccomp = TAKE_PTR(s);
        return 0;
}

/* ---- linux ---- */

static int parse_namespace(json_t *o, const char *where, void *userdata, LadeError **err)
{
        static const SpecField fields[] = {
                { "path", SPEC_FIELD_PATH, offsetof(SpecNamespace, path) },
        };
        SpecLinux *l = userdata;
        SpecNamespace ns = {};
        _cleanup_free_ char *type = NULL;

        int r = spec_get_string(o, where, "type", true, &type, err);
        if (r < 0)
                return r;
        SpecNamespaceType t = spec_namespace_type_from_string(type);
        if (t < 0)
                return spec_field_error(err, where, "type", "unknown namespace type '%.100s'",
                                        type);
        if (l->namespaces[t].present)
                return spec_field_error(err, where, "type", "duplicate namespace type '%s'", type);
        r = spec_read_table(o, where, fields, &ns, err);
        if (r < 0)
                return r;
        l->namespaces[t] = (SpecNamespace) { .present = true, .path = ns.path };
        return 0;
}

static void device_done(void *elem)
{
        free(((SpecDevice *) elem)->path);
}

static int device_parse(json_t *o, const char *where, void *elem, LadeError **err)
{
        static const SpecField fields[] = {
                { "path", SPEC_FIELD_PATH, offsetof(SpecDevice, path), true },
                { "major", SPEC_FIELD_I64, offsetof(SpecDevice, major), SPEC_RANGE_U32 },
                { "minor", SPEC_FIELD_I64, offsetof(SpecDevice, minor), SPEC_RANGE_U32 },
                { "fileMode", SPEC_FIELD_OPT_U64, offsetof(SpecDevice, file_mode), SPEC_RANGE_U32 },
                { "uid", SPEC_FIELD_OPT_U64, offsetof(SpecDevice, uid), SPEC_RANGE_U32 },
                { "gid", SPEC_FIELD_OPT_U64, offsetof(SpecDevice, gid), SPEC_RANGE_U32 },
        };
        SpecDevice *d = elem;
        int r = parse_type_char(o, where, "cbup", 0, &d->type, err);
        if (r < 0)
                return r;
        r = spec_read_table(o, where, fields, d, err);
        if (r < 0)
                return r;
        /* a FIFO has no device number; everything else needs both */
        if (d->type != 'p' && !spec_member(o, "major"))
                return spec_field_error(err, where, "major", "required for type '%c'", d->type);
        if (d->type != 'p' && !spec_member(o, "minor"))
                return spec_field_error(err, where, "minor", "required for type '%c'", d->type);
        return 0;
}

static const SpecElemType device_type = { sizeof(SpecDevice), device_parse, device_done };

static int parse_time_offsets(json_t *linux_obj, const char *where, SpecLinux *l,
                              LadeError **err)
{
        static const SpecField fields[] = {
                { "secs", SPEC_FIELD_I64, offsetof(SpecTimeOffset, secs) },
                { "nanosecs", SPEC_FIELD_U32, offsetof(SpecTimeOffset, nanosecs), SPEC_RANGE(0,
                  999999999) },
        };
        json_t *o, *v;
        const char *clock;
        int r = spec_get_object(linux_obj, where, "timeOffsets", &o, err);
        if (r < 0 || !o)
                return r;

        _cleanup_free_ char *w = spec_path(where, "timeOffsets");
        json_object_foreach(o, clock, v) {
                SpecTimeOffset *t = streq(clock, "monotonic") ? &l->time_monotonic :
                                    streq(clock, "boottime")  ? &l->time_boottime : NULL;
                if (!t)
                        return spec_field_error(err, w, NULL, "unknown clock '%.100s'", clock);
                json_t *c;
                r = spec_get_object(o, w, clock, &c, err);
                if (r < 0)
                        return r;
                if (!c)
                        continue;
                _cleanup_free_ char *cw = spec_path(w, clock);
                r = spec_read_table(c, cw, fields, t, err);
                if (r < 0)
                        return r;
                t->set = true;
        }
        return 0;
}

static int parse_personality(json_t *linux_obj, const char *where, SpecLinux *l,
                             LadeError **err)
{
        static const SpecField fields[] = {
                { "domain", SPEC_FIELD_STRING, offsetof(SpecLinux, personality_domain), true },
                { "flags", SPEC_FIELD_STRV, offsetof(SpecLinux, personality_flags) },
        };
        json_t *o;
        int r = spec_get_object(linux_obj, where, "personality", &o, err);
        if (r < 0 || !o)
                return r;
        _cleanup_free_ char *w = spec_path(where, "personality");
        r = spec_read_table(o, w, fields, l, err);
        if (r < 0)
                return r;
        if (!streq(l->personality_domain, "LINUX") && !streq(l->personality_domain, "LINUX32"))
                return spec_field_error(err, w, "domain", "unknown domain '%.100s'",
                                        l->personality_domain);
        l->has_personality = true;
        return 0;
}

static int parse_linux_resources(json_t *linux_obj, const char *where, SpecLinux *l,
                                 LadeError **err)
{
        json_t *o;
        int r = spec_get_object(linux_obj, where, "resources", &o, err);
        if (r < 0 || !o)
                return r;
        _cleanup_free_ char *w = spec_path(where, "resources");
        return spec_parse_resources(o, w, &l->resources, err);
}

static int check_propagation(const SpecLinux *l, const char *where, LadeError **err)
{
        static const char *const modes[] = { "shared", "slave", "private", "unbindable",
                "rshared", "rslave", "rprivate", "runbindable" };
        if (!l->rootfs_propagation)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (streq(l->rootfs_propagation, modes[i]))
                        return 0;
        return spec_field_error(err, where, "rootfsPropagation", "unknown propagation '%.100s'",
                                l->rootfs_propagation);
}

static const SpecField linux_fields[] = {
        { "cgroupsPath", SPEC_FIELD_STRING, offsetof(SpecLinux, cgroups_path) },
        { "rootfsPropagation", SPEC_FIELD_STRING, offsetof(SpecLinux, rootfs_propagation) },
        { "maskedPaths", SPEC_FIELD_PATHV, offsetof(SpecLinux, masked_paths) },
        { "readonlyPaths", SPEC_FIELD_PATHV, offsetof(SpecLinux, readonly_paths) },
        { "mountLabel", SPEC_FIELD_STRING, offsetof(SpecLinux, mount_label) },
};

static int parse_linux_arrays(json_t *obj, const char *where, SpecLinux *l, LadeError **err)
{
        int r = spec_foreach_object(obj, where, "namespaces", parse_namespace, l, err);
        if (r >= 0)
                r = spec_get_objects(obj, where, "uidMappings", &spec_idmap_type,
                                     (void **) &l->uid_mappings, &l->n_uid_mappings, err);
        if (r >= 0)
                r = spec_get_objects(obj, where, "gidMappings", &spec_idmap_type,
                                     (void **) &l->gid_mappings, &l->n_gid_mappings, err);
        if (r >= 0)
                r = spec_get_objects(obj, where, "devices", &device_type, (void **) &l->devices,
                                     &l->n_devices, err);
        return r;
}

int spec_parse_linux(json_t *obj, const char *where, SpecLinux *l, LadeError **err)
{
        int r = spec_read_table(obj, where, linux_fields, l, err);
        if (r >= 0)
                r = check_propagation(l, where, err);
        if (r >= 0)
                r = parse_linux_arrays(obj, where, l, err);
        if (r >= 0)
                r = parse_time_offsets(obj, where, l, err);
        if (r >= 0)
                r = parse_linux_resources(obj, where, l, err);
        if (r >= 0)
                r = parse_seccomp(obj, where, l, err);
        if (r >= 0)
                r = spec_get_kv(obj, where, "sysctl", &l->sysctl, &l->n_sysctl, err);
        if (r >= 0)
                r = parse_personality(obj, where, l, err);
        return r;
}

void spec_linux_done(SpecLinux *l)
{
        for (int t = 0; t < _SPEC_NS_MAX; t++)
                free(l->namespaces[t].path);
        free(l->uid_mappings);
        free(l->gid_mappings);
        spec_objects_free(l->devices, l->n_devices, &device_type);
        free(l->cgroups_path);
        spec_resources_free(l->resources);
        free(l->rootfs_propagation);
        seccomp_free(l->seccomp);
        spec_kv_free(l->sysctl, l->n_sysctl);
        strv_free(l->masked_paths);
        strv_free(l->readonly_paths);
        free(l->mount_label);
        free(l->personality_domain);
        strv_free(l->personality_flags);
        *l = (SpecLinux) {};
}
