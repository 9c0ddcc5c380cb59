/* `docker update`: a container's resources and restart policy changed after create, as dockerd
 * does it (daemon/update.go, Container.UpdateContainer, toContainerdResources). The request's
 * non-zero fields replace the container's in its stored create body (so inspect shows them and
 * every later start uses them); a running or paused container also gets them applied to its
 * cgroup through the runtime library. The row is changed under the database write lock and only
 * once the cgroup took the values, so a failure leaves the container as it was. The monitor
 * reads the restart policy from the row when the container exits (monitor.c). */
#include <stdio.h>
#include <string.h>

#include "container-spec-internal.h"
#include "container-spec.h"
#include "containers-internal.h"
#include "image-db.h"
#include "json-util.h"
#include "util.h"

/* The integer fields dockerd copies when non-zero (Memory is handled apart). */
static const char *const update_ints[] = {
        "BlkioWeight", "CpuShares", "NanoCpus", "CpuPeriod", "CpuQuota", "MemorySwap",
        "MemoryReservation", "CpuRealtimePeriod", "CpuRealtimeRuntime",
};

static int64_t host_int(json_t *host, const char *key)
{
        return json_integer_value(cspec_member(host, key));
}

/* container.ValidateRestartPolicy */
static int validate_restart(json_t *pol, LadeError **err)
{
        const char *name;
        int64_t count = 0;
        int r = cspec_string(pol, "RestartPolicy", "Name", &name, err);
        if (r >= 0)
                r = cspec_int(pol, "RestartPolicy", "MaximumRetryCount", &count, err);
        if (r < 0 || !name || !*name || streq(name, "on-failure")) {
                if (r >= 0 && count < 0)
                        return lade_error_msg(err, EINVAL, "invalid restart policy: maximum retry count "
                                              "cannot be negative");
                return r;
        }
        if (!streq(name, "no") && !streq(name, "always") && !streq(name, "unless-stopped"))
                return lade_error_msg(err, EINVAL, "invalid restart policy: unknown policy '%s'; use one "
                                      "of 'no', 'always', 'on-failure', or 'unless-stopped'", name);
        if (count != 0)
                return lade_error_msg(err, EINVAL, "invalid restart policy: maximum retry count can only "
                                      "be used with 'on-failure'%s", count < 0 ? " and cannot be negative" : "");
        return 0;
}

/* The type of every field we read is checked before anything is looked up. */
static int validate_body(json_t *u, LadeError **err)
{
        json_t *pol = NULL;
        const char *s;
        int64_t v;
        bool set;
        if (!json_is_object(u))
                return lade_error_msg(err, EINVAL, "the update body must be a JSON object");
        int r = container_spec_validate_update(u, err);
        if (r >= 0)
                r = cspec_opt_int(u, "UpdateConfig", "PidsLimit", &v, &set, err);
        if (r >= 0)
                r = cspec_string(u, "UpdateConfig", "CpusetCpus", &s, err);
        if (r >= 0)
                r = cspec_string(u, "UpdateConfig", "CpusetMems", &s, err);
        if (r >= 0)
                r = cspec_object(u, "UpdateConfig", "RestartPolicy", &pol, err);
        if (r >= 0 && pol)
                r = validate_restart(pol, err);
        return r;
}

static int conflict(LadeError **err, const char *id, const char *msg)
{
        return lade_error_msg(err, EBUSY, "Cannot update container %s: %s", id, msg);
}

/* NanoCPUs replaces CPUPeriod/CPUQuota: neither may be updated over the other. */
static int check_cpu_conflicts(json_t *u, json_t *host, const char *id, LadeError **err)
{
        bool nano = host_int(u, "NanoCpus") > 0, nano_set = host_int(host, "NanoCpus") > 0;
        if (nano && host_int(host, "CpuPeriod") > 0)
                return conflict(err, id, "Conflicting options: Nano CPUs cannot be updated as CPU Period "
                                "has already been set");
        if (nano && host_int(host, "CpuQuota") > 0)
                return conflict(err, id, "Conflicting options: Nano CPUs cannot be updated as CPU Quota "
                                "has already been set");
        if (host_int(u, "CpuPeriod") > 0 && nano_set)
                return conflict(err, id, "Conflicting options: CPU Period cannot be updated as NanoCPUs has "
                                "already been set");
        if (host_int(u, "CpuQuota") > 0 && nano_set)
                return conflict(err, id, "Conflicting options: CPU Quota cannot be updated as NanoCPUs has "
                                "already been set");
        return 0;
}

/* Container.UpdateContainer: the request's non-zero fields into host (the stored HostConfig). */
static int merge_update(json_t *u, json_t *host, const char *id, LadeError **err)
{
        int r = check_cpu_conflicts(u, host, id, err);
        if (r < 0)
                return r;
        int64_t mem = host_int(u, "Memory"), cur_mem = host_int(host, "Memory");
        /* adaptContainerSettings stored twice the memory as the swap limit when none was given */
        int64_t cur_swap = host_int(host, "MemorySwap");
        if (cur_mem > 0 && cur_swap == 0)
                cur_swap = cur_mem * 2;
        if (mem != 0 && mem > cur_swap && host_int(u, "MemorySwap") == 0)
                return conflict(err, id, "Memory limit should be smaller than already set memoryswap limit, "
                                "update the memoryswap at the same time");
        if (cur_mem > 0 && host_int(host, "MemorySwap") == 0)
                json_object_set_new(host, "MemorySwap", json_integer(cur_swap));
        if (mem != 0)
                json_object_set_new(host, "Memory", json_integer(mem));
        for (size_t i = 0; i < ELEMENTSOF(update_ints); i++) {
                int64_t v = host_int(u, update_ints[i]);
                if (v != 0)
                        json_object_set_new(host, update_ints[i], json_integer(v));
        }
        static const char *const strs[] = { "CpusetCpus", "CpusetMems" };
        for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
                const char *s = json_string_value(cspec_member(u, strs[i]));
                if (s && *s)
                        json_object_set_new(host, strs[i], json_string(s));
        }
        json_t *pids = cspec_member(u, "PidsLimit");
        if (json_is_integer(pids))
                json_object_set_new(host, "PidsLimit", json_integer(json_integer_value(pids) <= 0 ? 0 :
                                                                    json_integer_value(pids)));
        json_t *pol = cspec_member(u, "RestartPolicy");
        const char *name = json_string_value(cspec_member(pol, "Name"));
        if (!name || !*name)
                return 0;
        if (json_is_true(json_object_get(host, "AutoRemove")) && !streq(name, "no"))
                return conflict(err, id, "Restart policy cannot be updated because AutoRemove is enabled "
                                "for the container");
        json_object_set_new(host, "RestartPolicy",
                            json_pack("{s:s,s:I}", "Name", name, "MaximumRetryCount",
                                      json_integer_value(cspec_member(pol, "MaximumRetryCount"))));
        return 0;
}

static void set_if(json_t *obj, const char *key, int64_t v)
{
        if (v != 0)
                json_object_set_new(obj, key, json_integer(v));
}

/* toContainerdResources: only what the request sets reaches the cgroup. */
static json_t *oci_resources(json_t *u)
{
        json_t *res = json_object(), *cpu = json_object(), *mem = json_object();
        if (host_int(u, "BlkioWeight") != 0)
                json_object_set_new(res, "blockIO", json_pack("{s:I}", "weight", host_int(u, "BlkioWeight")));
        const char *cpus = json_string_value(cspec_member(u, "CpusetCpus"));
        const char *mems = json_string_value(cspec_member(u, "CpusetMems"));
        if (cpus && *cpus)
                json_object_set_new(cpu, "cpus", json_string(cpus));
        if (mems && *mems)
                json_object_set_new(cpu, "mems", json_string(mems));
        set_if(cpu, "shares", host_int(u, "CpuShares"));
        int64_t nano = host_int(u, "NanoCpus"), period = 0, quota = 0;
        if (nano != 0) {
                period = 100000;
                quota = nano * period / 1000000000;
        }
        if (quota == 0)
                quota = host_int(u, "CpuQuota");
        if (period == 0)
                period = host_int(u, "CpuPeriod");
        set_if(cpu, "period", period);
        set_if(cpu, "quota", quota);
        set_if(mem, "limit", host_int(u, "Memory"));
        set_if(mem, "reservation", host_int(u, "MemoryReservation"));
        if (host_int(u, "MemorySwap") > 0)
                json_object_set_new(mem, "swap", json_integer(host_int(u, "MemorySwap")));
        json_object_set_new(res, "cpu", cpu);
        json_object_set_new(res, "memory", mem);
        json_t *pids = cspec_member(u, "PidsLimit");
        if (json_is_integer(pids))
                json_object_set_new(res, "pids", json_pack("{s:I}", "limit", json_integer_value(pids) <= 0 ? -1 :
                                                           json_integer_value(pids)));
        return res;
}

static int apply_running(Ctr *c, json_t *u, LadeError **err)
{
        bool running = c->state && (streq(c->state, "running") || streq(c->state, "paused"));
        if (!running || !pid_alive(c->pid))
                return 0;
        _cleanup_json_ json_t *res = oci_resources(u);
        _cleanup_(spec_resources_freep) SpecResources *sr = NULL;
        int r = spec_parse_resources(res, "resources", &sr, err);
        if (r >= 0)
                r = container_update(&c->rt, c->id, sr, err);
        if (r < 0) {
                /* a cgroup that refused is the daemon's failure (500), whatever its errno */
                _cleanup_free_ char *msg = xstrdup(lade_error_message(*err));
                *err = lade_error_free(*err);
                return lade_error_msg(err, EIO, "Cannot update container %s: %s", c->id, msg);
        }
        return 0;
}

static int save_create(Ctr *c, LadeError **err)
{
        _cleanup_free_ char *text = json_dump_compact(c->create);
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        int r = image_db_prepare(c->db, "UPDATE containers SET create_json = ?2 WHERE id = ?1", &st, err, c->id,
                                 text, NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        return rc == SQLITE_DONE ? 0 : image_db_error(c->db, rc, "update container", err);
}

static int update_locked(Ctr *c, const char *name_or_id, json_t *u, LadeError **err)
{
        int r = ctr_load(c, name_or_id, err);
        if (r < 0)
                return r;
        if (streq(c->state, "dead") || streq(c->state, "removing"))
                return lade_error_msg(err, EBUSY, "Cannot update container %s: container is marked for "
                                      "removal and cannot be \"update\"", c->id);
        json_t *host = json_object_get(c->create, "HostConfig");
        if (!json_is_object(host))
                json_object_set_new(c->create, "HostConfig", host = json_object());
        r = merge_update(u, host, c->id, err);
        if (r >= 0)
                r = apply_running(c, u, err);
        return r < 0 ? r : save_create(c, err);
}

int engine_container_update(Engine *e, const char *name_or_id, json_t *update, LadeError **err)
{
        Ctr c = { .e = e };
        int r = validate_body(update, err);
        if (r >= 0)
                r = ctr_open_db(e, &c.db, err);
        if (r >= 0)
                r = image_db_begin(c.db, err);
        if (r < 0) {
                ctr_done(&c);
                return r;
        }
        r = update_locked(&c, name_or_id, update, err);
        if (r >= 0)
                r = image_db_commit(c.db, err);
        else
                image_db_rollback(c.db);
        if (r >= 0)
                ctr_event(&c, "update", NULL);
        ctr_done(&c);
        return r;
}
