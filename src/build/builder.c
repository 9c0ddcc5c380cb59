/* The executor: context -> Dockerfile -> plan -> the needed stages in order, each step either
 * found in the cache or run and committed as an image of its own (the parent of the next step),
 * then the target's image tagged. Invariants: a step's image exists before its cache row; a
 * failed build tags nothing and leaves no container, mount or temp dir (the images of the steps
 * that succeeded stay: they are the cache); with SOURCE_DATE_EPOCH every timestamp written is
 * that time and layer mtimes are clamped to it, so equal inputs give equal image ids. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder-internal.h"
#include "containers.h"
#include "build-util.h"
#include "image-db.h"
#include "json-util.h"
#include "layer-pack.h"
#include "reference.h"
#include "shell-lex.h"
#include "util.h"

#define DEFAULT_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void build_emit(Builder *b, BuildEventKind kind, unsigned vertex, const char *name, uint64_t ns,
                const char *error)
{
        if (!b->o->progress)
                return;
        BuildEvent ev = { .kind = kind, .vertex = vertex, .name = name, .duration_ns = ns, .error = error };
        pthread_mutex_lock(&b->sh->lock);
        b->o->progress(&ev, b->o->userdata);
        pthread_mutex_unlock(&b->sh->lock);
}

void build_emit_output(Builder *b, unsigned vertex, int stream, uint64_t elapsed_ns, const char *data,
                       size_t len)
{
        if (!b->o->output)
                return;
        pthread_mutex_lock(&b->sh->lock);
        b->o->output(vertex, stream, elapsed_ns, data, len, b->o->userdata);
        pthread_mutex_unlock(&b->sh->lock);
}

unsigned build_next_vertices(Builder *b, unsigned n)
{
        pthread_mutex_lock(&b->sh->lock);
        unsigned v = b->sh->vertex + 1;
        b->sh->vertex += n;
        pthread_mutex_unlock(&b->sh->lock);
        return v;
}

unsigned build_next_vertex(Builder *b)
{
        return build_next_vertices(b, 1);
}

bool build_cancel(Builder *b)
{
        pthread_mutex_lock(&b->sh->lock);
        bool first = !b->sh->failed;
        b->sh->failed = true;
        pthread_cond_broadcast(&b->sh->cond);
        pthread_mutex_unlock(&b->sh->lock);
        if (first && b->sh->cancel_fd >= 0)
                (void) eventfd_write(b->sh->cancel_fd, 1);
        return first;
}

bool build_canceled(Builder *b)
{
        pthread_mutex_lock(&b->sh->lock);
        bool f = b->sh->failed;
        pthread_mutex_unlock(&b->sh->lock);
        return f;
}

int build_stage_result(Builder *b, size_t k, char **ret_id)
{
        BuildStage *s = &b->stages[k];
        int r = 0;
        pthread_mutex_lock(&b->sh->lock);
        while (s->started && !s->built && !b->sh->failed)
                pthread_cond_wait(&b->sh->cond, &b->sh->lock);
        if (s->built && s->image_id)
                *ret_id = xstrdup(s->image_id);
        else
                r = b->sh->failed ? -ECANCELED : -ENOENT;
        pthread_mutex_unlock(&b->sh->lock);
        return r;
}

json_t *build_stage_config(BuildStage *s)
{
        json_t *c = json_object_get(s->doc, "config");
        if (!json_is_object(c)) {
                c = json_object();
                json_object_set_new(s->doc, "config", c);
        }
        return c;
}

char **build_stage_env(BuildStage *s)
{
        char **env = strv_copy(s->args);
        size_t k;
        json_t *e;
        json_array_foreach(json_object_get(build_stage_config(s), "Env"), k, e)
                if (json_is_string(e))
                        env = strv_append(env, json_string_value(e));
        return env ? env : xmalloc0(sizeof(char *));
}

int build_expand(Builder *b, BuildStage *s, const char *word, char **ret, LadeError **err)
{
        BuildShellOptions so = { .escape = b->df->escape };
        _cleanup_strv_free_ char **env = build_stage_env(s);
        return build_shell_expand(&so, word, build_env_strv_lookup, env, ret, err);
}

/* ---- images ---- */

/* The config document of an image by id: its config blob (the id is its digest), parsed; no
 * rows are read (the caller knows the image exists: a cache row's was checked, a resolved one). */
int build_image_doc(Builder *b, const char *id, json_t **ret, LadeError **err)
{
        _cleanup_(image_config_freep) ImageConfig *cfg = NULL;
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = blob_store_read(image_store_blobs(engine_images(b->e)), id, CONFIG_MAX_BYTES, &data, &len, err);
        if (r >= 0)
                r = image_config_parse(data, len, &cfg, err);
        if (r < 0)
                return r;
        *ret = json_incref(cfg->raw);
        return 0;
}

int build_image_get(Builder *b, const char *name, bool pull, char **ret_id, json_t **ret_doc,
                    LadeError **err)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        char id[72];
        if (!pull && image_store_resolve(engine_images(b->e), name, &info, NULL) == 0) {
                if (ret_doc)
                        *ret_doc = json_incref(info->config->raw);
                *ret_id = xstrdup(info->id);
                return 0;
        }
        int r = engine_image_pull(b->e, name, b->o->platform, id, err);
        if (r < 0)
                return lade_error_wrap(err, "failed to resolve source metadata for %s", name);
        if (ret_doc && (r = build_image_doc(b, id, ret_doc, err)) < 0)
                return r;
        *ret_id = xstrdup(id);
        return 0;
}

static ssize_t stage_named(Builder *b, const char *name, size_t before)
{
        int64_t idx;
        if (parse_int64(name, &idx) == 0)
                return idx >= 0 && (size_t) idx < before ? (ssize_t) idx : -1;
        for (size_t k = 0; k < before; k++)
                if (b->stages[k].plan->stage->name && build_strcaseeq(b->stages[k].plan->stage->name, name))
                        return (ssize_t) k;
        return -1;
}

int build_source_image(Builder *b, BuildStage *s, const char *from, char **ret_id, LadeError **err)
{
        ssize_t k = stage_named(b, from, s->index);
        if (k >= 0) {
                /* the plan made it a dependency (started, maybe not done yet), unless an image's
                 * ONBUILD trigger named it */
                int r = build_stage_result(b, (size_t) k, ret_id);
                if (r == -ECANCELED)
                        return lade_error_msg(err, ECANCELED, "canceled");
                if (r < 0)
                        return lade_error_msg(err, EINVAL, "stage %s has not been built", from);
                return 0;
        }
        return build_image_get(b, from, false, ret_id, NULL, err);
}

/* ---- commits ---- */

static char *format_time(int64_t epoch)
{
        struct timespec ts;
        struct tm tm;
        char buf[64];
        if (epoch >= 0)
                ts = (struct timespec) { .tv_sec = epoch };
        else
                clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        if (ts.tv_nsec == 0)
                return xasprintf("%sZ", buf);
        return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

/* A RUN container's rootfs unmounted (its process has exited, its mount namespace is gone): its
 * upper dir can then be normalized and moved into the store as a view's is. false: it stays
 * mounted and is only packed. The engine's removal later finds it unmounted. */
static bool run_unmount(BuildRootfs *r)
{
        r->rootfd = safe_close(r->rootfd);
        return r->rootfs && umount2(r->rootfs, MNT_DETACH) == 0;
}

/* The layer file of r's upper dir. A view, or a RUN container's rootfs, is unmounted first and
 * normalized while packed: when that makes it what unpacking the layer gives, it is handed to the
 * store as the unpacked layer (ret_dir). */
static int pack(Builder *b, BuildRootfs *r, char **ret_path, LayerPackResult *ret, bool *ret_dir,
                LadeError **err)
{
        bool view = r->dir != NULL, adopt = view;
        int k = view ? build_rootfs_unmount(r, err) : 0;
        if (k < 0)
                return k;
        if (!view && r->id[0])
                adopt = run_unmount(r);
        _cleanup_free_ char *path = xasprintf("%s/layer-XXXXXX", b->tmp);
        _cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0)
                return lade_error(err, errno, "create a layer file");
        _cleanup_close_ int up = open(r->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (up < 0) {
                (void) unlink(path);
                return lade_error(err, errno, "open '%s'", r->upper);
        }
        LayerPackOptions po = { .overlay_upper = r->id[0] != '\0' || r->overlay,
                                .clamp_mtime = b->epoch > 0 ? b->epoch : 0, .normalize = adopt };
        k = layer_pack(up, &po, fd, ret, err);
        if (k < 0) {
                (void) unlink(path);
                return lade_error_wrap(err, "pack the layer");
        }
        *ret_dir = adopt && ret->identical;
        *ret_path = TAKE_PTR(path);
        return 0;
}

int build_commit(Builder *b, BuildStage *s, BuildStep *st, BuildRootfs *r, LadeError **err)
{
        _cleanup_free_ char *layer = NULL, *created = format_time(b->epoch);
        LayerPackResult res = { 0 };
        bool dir = false;
        char id[72];
        int k = r ? pack(b, r, &layer, &res, &dir, err) : 0;
        if (k < 0)
                return k;
        bool empty = res.entries == 0;
        json_t *hist = json_object_get(s->doc, "history");
        if (!json_is_array(hist)) {
                hist = json_array();
                json_object_set_new(s->doc, "history", hist);
        }
        json_t *h = json_pack("{s:s, s:s, s:s}", "created", created, "created_by",
                              st->created_by ? st->created_by : "", "comment", "buildkit.dockerfile.v0");
        if (empty)
                json_object_set_new(h, "empty_layer", json_true());
        json_array_append_new(hist, h);
        json_object_set_new(s->doc, "created", json_string(created));
        ImageCommit c = { .parent_id = s->image_id, .layer_path = empty ? NULL : layer, .config = s->doc,
                          .layer_dir = dir ? r->upper : NULL, .layer_dir_bytes = res.file_bytes };
        k = image_store_commit(engine_images(b->e), &c, id, err);
        if (layer)
                (void) unlink(layer);
        if (k < 0)
                return k;
        (void) image_store_set_intermediate(engine_images(b->e), id, true, NULL);
        free(s->image_id);
        s->image_id = xstrdup(id);
        return 0;
}

/* ---- the cache connection ----
 * The engine's own connection to lade.db (its image store's), which the engine closes and
 * reopens around the forks of container monitors: no second connection, no second read of the
 * schema. */

static int cache_db(Builder *b, sqlite3 **ret, LadeError **err)
{
        int r = image_store_reopen_db(engine_images(b->e), err);
        if (r < 0)
                return r;
        *ret = image_store_db(engine_images(b->e));
        return 0;
}

static int cache_get(Builder *b, const char *key, char **ret_id, LadeError **err)
{
        sqlite3 *db;
        int r = cache_db(b, &db, err);
        return r < 0 ? r : build_cache_get(db, key, ret_id, err);
}

static int cache_put(Builder *b, const char *key, const char *id, LadeError **err)
{
        sqlite3 *db;
        int r = cache_db(b, &db, err);
        return r < 0 ? r : build_cache_put(db, key, id, err);
}

/* ---- steps ---- */

static bool is_fs_step(DockerfileKind k)
{
        return k == DOCKERFILE_RUN || k == DOCKERFILE_COPY || k == DOCKERFILE_ADD || k == DOCKERFILE_WORKDIR;
}

static char *step_name(Builder *b, BuildStage *s, const char *text)
{
        if (b->multi)
                return xasprintf("[%s %u/%u] %s", s->plan->display_name, s->step, s->n_steps, text);
        return xasprintf("[%u/%u] %s", s->step, s->n_steps, text);
}

static int prepare(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        switch (st->i->kind) {
        case DOCKERFILE_RUN: return build_prepare_run(b, s, st, err);
        case DOCKERFILE_COPY:
        case DOCKERFILE_ADD: return build_prepare_copy(b, s, st, err);
        default:
                if (build_dispatch_meta(b, s, st, err) < 0)
                        return -EINVAL;
                st->desc = xstrdup(st->created_by);
                return 0;
        }
}

static int dispatch(Builder *b, BuildStage *s, BuildStep *st, LadeError **err)
{
        switch (st->i->kind) {
        case DOCKERFILE_RUN: return build_dispatch_run(b, s, st, err);
        case DOCKERFILE_COPY:
        case DOCKERFILE_ADD: return build_dispatch_copy(b, s, st, err);
        case DOCKERFILE_WORKDIR: return build_dispatch_workdir(b, s, st, err);
        default: return build_commit(b, s, st, NULL, err);
        }
}

/* A step of a stage: its instruction, and for a step that changes the filesystem its vertex and
 * name (metadata steps have none). */
typedef struct StepSlot {
        const DockerfileInstruction *i;
        unsigned vertex;
        char *name;
} StepSlot;

/* A step that fails once the build is failing was stopped by that failure: it is canceled, and
 * its own error (a killed container's exit code) is not the build's. */
static int step_failed(Builder *b, const StepSlot *t, uint64_t start_ns, int r, LadeError **err)
{
        if (!build_cancel(b)) {
                if (t->vertex)
                        build_emit(b, BUILD_EVENT_CANCELED, t->vertex, t->name, now_ns() - start_ns, NULL);
                if (err)
                        *err = lade_error_free(*err);
                return lade_error_msg(err, ECANCELED, "canceled");
        }
        if (t->vertex)
                build_emit(b, BUILD_EVENT_ERROR, t->vertex, t->name, now_ns() - start_ns,
                           lade_error_message(err ? *err : NULL));
        return r;
}

/* One instruction: its key from the parent and what it does; a hit adopts the cached image. */
static int run_step(Builder *b, BuildStage *s, const StepSlot *t, LadeError **err)
{
        _cleanup_(build_step_done) BuildStep st = { .i = t->i, .mode = -1, .vertex = t->vertex };
        _cleanup_free_ char *cached = NULL;
        char key[72];
        if (build_canceled(b))
                return lade_error_msg(err, ECANCELED, "canceled");
        if (t->vertex) {
                s->step++;
                st.start_ns = now_ns();
                build_emit(b, BUILD_EVENT_START, t->vertex, t->name, 0, NULL);
        }
        int r = prepare(b, s, &st, err);
        if (r >= 0) {
                build_cache_key(s->image_id ? s->image_id : "scratch", st.desc, st.args, st.content, b->epoch, key);
                r = b->o->no_cache ? 0 : cache_get(b, key, &cached, err);
        }
        if (r > 0) {
                free(s->image_id);
                s->image_id = TAKE_PTR(cached);
                json_decref(s->doc);
                s->doc = NULL;
                r = build_image_doc(b, s->image_id, &s->doc, err);
                if (r < 0)
                        return step_failed(b, t, st.start_ns, r, err);
                if (t->vertex)
                        build_emit(b, BUILD_EVENT_CACHED, t->vertex, t->name, 0, NULL);
                return 0;
        }
        if (r >= 0)
                r = build_work_begin(b, err);
        if (r >= 0)
                r = dispatch(b, s, &st, err);
        if (r >= 0)
                r = cache_put(b, key, s->image_id, err);
        if (r < 0)
                return step_failed(b, t, st.start_ns, r, err);
        if (t->vertex)
                build_emit(b, BUILD_EVENT_DONE, t->vertex, t->name, now_ns() - st.start_ns, NULL);
        return 0;
}

/* ---- stages ---- */

static json_t *scratch_doc(Builder *b)
{
        _cleanup_free_ char *os = NULL, *arch = NULL, *variant = NULL;
        (void) build_platform_parse(b->platform, &os, &arch, &variant, NULL);
        /* BuildKit's emptyImage: the default PATH and WorkingDir "/" */
        json_t *d = json_pack("{s:s, s:s, s:{s:[s], s:s}, s:{s:s, s:[]}, s:[]}",
                              "architecture", arch ? arch : "amd64", "os", os ? os : "linux",
                              "config", "Env", DEFAULT_PATH_ENV, "WorkingDir", "/",
                              "rootfs", "type", "layers", "diff_ids", "history");
        if (variant)
                json_object_set_new(d, "variant", json_string(variant));
        return d;
}

static int stage_from(Builder *b, BuildStage *s, LadeError **err)
{
        const BuildPlanStage *p = s->plan;
        if (p->base_stage >= 0) {
                /* a dependency: built before this stage started, and no longer changing */
                BuildStage *base = &b->stages[p->base_stage];
                s->image_id = xstrdup(base->image_id);
                s->doc = json_deep_copy(base->doc);
                return 0;
        }
        if (p->scratch) {
                s->doc = scratch_doc(b);
                return 0;
        }
        int r = build_image_get(b, p->base, b->o->pull, &s->image_id, &s->doc, err);
        if (r < 0)
                return r;
        /* what BuildKit does not carry over from a base */
        json_object_del(s->doc, "container");
        json_object_del(s->doc, "container_config");
        json_object_del(s->doc, "docker_version");
        json_object_del(s->doc, "parent");
        json_t *cfg = build_stage_config(s);
        if (!json_is_array(json_object_get(cfg, "Env")))
                json_object_set_new(cfg, "Env", json_pack("[s]", DEFAULT_PATH_ENV));
        return 0;
}

static char *from_name(const BuildPlanStage *p)
{
        if (p->scratch)
                return xstrdup("FROM scratch");
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        _cleanup_free_ char *s = NULL;
        if (p->base_stage < 0 && image_ref_parse(p->base, &ref, NULL) == 0)
                s = image_ref_string(ref);
        return xasprintf("FROM %s", s ? s : p->base);
}

/* The steps of a stage once its base is known: the base's ONBUILD triggers first (then dropped
 * from the config), then the stage's instructions. Each filesystem step gets its vertex now and
 * is announced as queued, so a live view shows what the stage still has to do. */
typedef struct StageSteps {
        DockerfileInstruction **triggers;
        size_t n_triggers;
        StepSlot *slots;
        size_t n;
} StageSteps;

static void stage_steps_done(StageSteps *x)
{
        for (size_t k = 0; k < x->n_triggers; k++)
                dockerfile_instruction_free(x->triggers[k]);
        free(x->triggers);
        for (size_t k = 0; k < x->n; k++)
                free(x->slots[k].name);
        free(x->slots);
}

static int parse_triggers(Builder *b, BuildStage *s, StageSteps *x, LadeError **err)
{
        json_t *cfg = build_stage_config(s);
        json_t *triggers = json_object_get(cfg, "OnBuild");
        size_t k;
        json_t *t;
        x->triggers = xmalloc0((json_array_size(triggers) + 1) * sizeof(DockerfileInstruction *));
        json_array_foreach(triggers, k, t) {
                DockerfileInstruction *i = NULL;
                const char *expr = json_string_value(t);
                int r = dockerfile_parse_instruction(expr ? expr : "", b->df->escape, &i, err);
                if (r < 0)
                        return lade_error_wrap(err, "failed to process onbuild trigger");
                x->triggers[x->n_triggers++] = i;
                if (i->kind == DOCKERFILE_ONBUILD || i->kind == DOCKERFILE_FROM || i->kind == DOCKERFILE_MAINTAINER)
                        return lade_error_msg(err, EINVAL, "%s isn't allowed as an ONBUILD trigger", i->keyword);
        }
        if (json_array_size(triggers) > 0)
                json_object_set_new(cfg, "OnBuild", json_null());
        return 0;
}

/* The stage's own steps have the vertices after its FROM's (reserved with it: a stage's vertices
 * are consecutive, whatever runs beside it); its base's triggers get theirs now. */
static void plan_steps(Builder *b, BuildStage *s, StageSteps *x, unsigned first)
{
        const DockerfileStage *ds = s->plan->stage;
        x->slots = xmalloc0((x->n_triggers + ds->n_instructions + 1) * sizeof(StepSlot));
        for (size_t k = 0; k < x->n_triggers; k++)
                x->slots[x->n++].i = x->triggers[k];
        for (size_t k = 0; k < ds->n_instructions; k++)
                x->slots[x->n++].i = ds->instructions[k];
        for (size_t k = 0; k < x->n; k++)
                s->n_steps += is_fs_step(x->slots[k].i->kind);
        unsigned step = s->step;
        for (size_t k = 0; k < x->n; k++) {
                StepSlot *t = &x->slots[k];
                if (!is_fs_step(t->i->kind))
                        continue;
                t->vertex = k < x->n_triggers ? build_next_vertex(b) : first++;
                s->step = ++step;
                t->name = step_name(b, s, t->i->original);
                build_emit(b, BUILD_EVENT_QUEUED, t->vertex, t->name, 0, NULL);
        }
        s->step = 1;
}

static int run_steps(Builder *b, BuildStage *s, StageSteps *x, LadeError **err)
{
        for (size_t k = 0; k < x->n; k++) {
                int r = run_step(b, s, &x->slots[k], err);
                if (r >= 0)
                        continue;
                /* what this stage did not get to */
                for (size_t q = k + 1; q < x->n; q++)
                        if (x->slots[q].vertex)
                                build_emit(b, BUILD_EVENT_CANCELED, x->slots[q].vertex, x->slots[q].name, 0, NULL);
                return r;
        }
        return 0;
}

/* A scratch stage without steps is still an image (with no layers). */
static int commit_empty(Builder *b, BuildStage *s, LadeError **err)
{
        char id[72];
        ImageCommit c = { .config = s->doc };
        _cleanup_free_ char *created = format_time(b->epoch);
        json_object_set_new(s->doc, "created", json_string(created));
        int r = image_store_commit(engine_images(b->e), &c, id, err);
        if (r < 0)
                return r;
        (void) image_store_set_intermediate(engine_images(b->e), id, true, NULL);
        s->image_id = xstrdup(id);
        return 0;
}

int build_stage_run(Builder *b, BuildStage *s, LadeError **err)
{
        _cleanup_free_ char *fname = from_name(s->plan);
        _cleanup_(stage_steps_done) StageSteps x = { 0 };
        uint64_t t0 = now_ns();
        s->step = 1;
        s->n_steps = 1;
        for (size_t k = 0; k < s->plan->stage->n_instructions; k++)
                s->n_steps += is_fs_step(s->plan->stage->instructions[k]->kind);
        unsigned v = build_next_vertices(b, s->n_steps);
        _cleanup_free_ char *name = step_name(b, s, fname);
        build_emit(b, BUILD_EVENT_START, v, name, 0, NULL);
        int r = stage_from(b, s, err);
        if (r >= 0)
                r = parse_triggers(b, s, &x, err);
        if (r < 0) {
                StepSlot t = { .vertex = v, .name = name };
                return step_failed(b, &t, t0, r, err);
        }
        s->n_steps = 1;
        plan_steps(b, s, &x, v + 1);
        build_emit(b, BUILD_EVENT_DONE, v, name, now_ns() - t0, NULL);
        r = run_steps(b, s, &x, err);
        if (r >= 0 && !s->image_id)
                r = commit_empty(b, s, err);
        return r;
}

/* --label: added to the final image's config (no history entry, as BuildKit). */
static int apply_labels(Builder *b, BuildStage *s, LadeError **err)
{
        if (!b->o->labels)
                return 0;
        json_t *cfg = build_stage_config(s);
        json_t *l = json_object_get(cfg, "Labels");
        if (!json_is_object(l)) {
                l = json_object();
                json_object_set_new(cfg, "Labels", l);
        }
        _cleanup_free_ char *desc = xstrdup("labels");
        for (char **kv = b->o->labels; *kv; kv++) {
                const char *eq = strchr(*kv, '=');
                _cleanup_free_ char *k = eq ? xstrndup(*kv, (size_t) (eq - *kv)) : xstrdup(*kv);
                json_object_set_new(l, k, json_string(eq ? eq + 1 : ""));
                char *n = xasprintf("%s %s", desc, *kv);
                free(desc);
                desc = n;
        }
        char key[72], id[72];
        _cleanup_free_ char *cached = NULL;
        build_cache_key(s->image_id, desc, NULL, NULL, b->epoch, key);
        int r = b->o->no_cache ? 0 : cache_get(b, key, &cached, err);
        if (r > 0) {
                free(s->image_id);
                s->image_id = TAKE_PTR(cached);
                return 0;
        }
        _cleanup_free_ char *created = format_time(b->epoch);
        json_object_set_new(s->doc, "created", json_string(created));
        ImageCommit c = { .parent_id = s->image_id, .config = s->doc };
        if (r >= 0)
                r = image_store_commit(engine_images(b->e), &c, id, err);
        if (r >= 0)
                (void) image_store_set_intermediate(engine_images(b->e), id, true, NULL);
        if (r >= 0)
                r = cache_put(b, key, id, err);
        if (r < 0)
                return r;
        free(s->image_id);
        s->image_id = xstrdup(id);
        return 0;
}

static int load_dockerfile(Builder *b, LadeError **err)
{
        const BuildOptions *o = b->o;
        const char *name = o->dockerfile ? o->dockerfile : "Dockerfile";
        _cleanup_free_ char *data = NULL, *title = xasprintf("[internal] load build definition from %s", name);
        size_t len = o->dockerfile_len;
        unsigned v = build_next_vertex(b), line = 0;
        uint64_t t0 = now_ns();
        int r = 0;
        build_emit(b, BUILD_EVENT_START, v, title, 0, NULL);
        if (!o->dockerfile_data) {
                r = build_context_read(b->ctx, name, DOCKERFILE_SIZE_MAX, &data, &len, err);
                if (r < 0)
                        r = lade_error_wrap(err, "failed to read dockerfile");
        }
        if (r >= 0) {
                r = dockerfile_parse(o->dockerfile_data ? o->dockerfile_data : data, len, &b->df, &line, err);
                if (r < 0)
                        r = lade_error_wrap(err, "%s:%u", name, line);
        }
        if (r < 0) {
                build_emit(b, BUILD_EVENT_ERROR, v, title, now_ns() - t0, lade_error_message(err ? *err : NULL));
                return r;
        }
        build_emit(b, BUILD_EVENT_DONE, v, title, now_ns() - t0, NULL);
        for (char **w = b->df->warnings; w && *w; w++)
                build_emit(b, BUILD_EVENT_WARNING, 0, NULL, 0, *w);
        return 0;
}

static int make_plan(Builder *b, LadeError **err)
{
        BuildPlanOptions po = { .target = b->o->target, .build_args = b->o->build_args,
                                .target_platform = b->o->platform };
        unsigned line = 0;
        int r = build_plan_new(b->df, &po, &b->plan, &line, err);
        if (r < 0)
                return line ? lade_error_wrap(err, "Dockerfile:%u", line) : r;
        for (char **a = b->plan->unused_build_args; a && *a; a++) {
                _cleanup_free_ char *w = xasprintf("[Warning] One or more build-args [%s] were not consumed", *a);
                build_emit(b, BUILD_EVENT_WARNING, 0, NULL, 0, w);
        }
        b->n_stages = b->plan->n_stages;
        b->stages = xmalloc0(b->n_stages * sizeof(BuildStage));
        for (size_t k = 0; k < b->n_stages; k++) {
                b->stages[k].plan = &b->plan->stages[k];
                b->stages[k].index = k;
        }
        b->multi = b->plan->n_order > 1;
        return 0;
}

static int tag_all(Builder *b, const char *id, LadeError **err)
{
        for (char **t = b->o->tags; t && *t; t++) {
                _cleanup_(image_ref_freep) ImageRef *ref = NULL;
                int r = image_ref_parse(*t, &ref, err);
                if (r < 0)
                        return lade_error_wrap(err, "invalid tag \"%s\"", *t);
                r = image_store_tag(engine_images(b->e), id, ref, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_tags(Builder *b, LadeError **err)
{
        for (char **t = b->o->tags; t && *t; t++) {
                _cleanup_(image_ref_freep) ImageRef *ref = NULL;
                int r = image_ref_parse(*t, &ref, err);
                if (r < 0)
                        return lade_error_wrap(err, "invalid tag \"%s\"", *t);
                if (ref->digest)
                        return lade_error_msg(err, EINVAL, "invalid tag \"%s\": a tag cannot have a digest", *t);
        }
        return 0;
}

static void builder_done(Builder *b)
{
        for (size_t k = 0; k < b->n_stages; k++) {
                json_decref(b->stages[k].doc);
                free(b->stages[k].image_id);
                strv_free(b->stages[k].args);
                strv_free(b->stages[k].declared);
        }
        free(b->stages);
        build_plan_free(b->plan);
        dockerfile_free(b->df);
        build_context_free(b->ctx);
        if (b->tmp)
                (void) rm_rf_at(AT_FDCWD, b->tmp);
        safe_close(b->tmp_lock);
        free(b->tmp);
        free(b->root);
        free(b->platform);
        safe_close(b->sh->cancel_fd);
        pthread_mutex_destroy(&b->sh->lock);
        pthread_cond_destroy(&b->sh->cond);
}

/* Unmounts whatever is mounted under dir (image views of a killed build), deepest first. */
static void unmount_under(const char *dir)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        _cleanup_strv_free_ char **points = NULL;
        size_t len = strlen(dir);
        char line[8192];
        while (f && fgets(line, sizeof(line), f)) {
                char point[4096];
                /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..." (no spaces in our paths: they are ours) */
                if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 && strncmp(point, dir, len) == 0 &&
                    point[len] == '/')
                        points = strv_append(points, point);
        }
        for (size_t i = strv_length(points); i-- > 0;)
                (void) umount2(points[i], MNT_DETACH);
}

/* The tmp dirs of builds that died (kill -9): nobody holds their lock. A dir too young to have
 * its lock yet is left alone. */
static void clean_stale_tmp(const char *parent)
{
        _cleanup_closedir_ DIR *d = opendir(parent);
        for (struct dirent *de; d && (de = readdir(d));) {
                if (!startswith(de->d_name, "tmp-"))
                        continue;
                _cleanup_free_ char *dir = xasprintf("%s/%s", parent, de->d_name);
                _cleanup_free_ char *lock = xasprintf("%s/.lock", dir);
                _cleanup_close_ int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                struct stat st;
                if (fd < 0 && (lstat(dir, &st) < 0 || time(NULL) - st.st_mtime < 60))
                        continue;
                if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue;
                unmount_under(dir);
                (void) rm_rf_at(AT_FDCWD, dir);
        }
}

static int make_tmp(Builder *b, LadeError **err)
{
        _cleanup_free_ char *parent = xasprintf("%s/build", b->root);
        int r = mkdir_p(parent, 0700);
        if (r < 0)
                return lade_error(err, -r, "create '%s'", parent);
        clean_stale_tmp(parent);
        b->tmp = xasprintf("%s/tmp-XXXXXX", parent);
        if (!mkdtemp(b->tmp)) {
                r = lade_error(err, errno, "create a build directory");
                free(b->tmp);
                b->tmp = NULL;
                return r;
        }
        _cleanup_free_ char *lock = xasprintf("%s/.lock", b->tmp);
        b->tmp_lock = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (b->tmp_lock < 0 || flock(b->tmp_lock, LOCK_EX) < 0)
                return lade_error(err, errno, "lock '%s'", lock);
        return 0;
}

int build_work_begin(Builder *b, LadeError **err)
{
        pthread_mutex_lock(&b->sh->lock);
        bool first = !b->sh->working;
        b->sh->working = true;
        pthread_mutex_unlock(&b->sh->lock);
        /* until the first call returns only the calling thread runs, and b is its Builder, the
         * one the workers copy */
        if (first && !b->tmp) {
                int r = make_tmp(b, err);
                if (r < 0)
                        return r;
        }
        if (first)
                build_sched_spawn(b);
        if (!b->tmp)
                return lade_error_msg(err, EIO, "no build directory");
        return 0;
}

static int setup(Builder *b, LadeError **err)
{
        b->platform = b->o->platform ? xstrdup(b->o->platform) : build_host_platform();
        int r = check_tags(b, err);
        sqlite3 *db;
        if (r >= 0)
                r = cache_db(b, &db, err);
        if (r >= 0)
                r = build_cache_init(db, err);
        /* a tar context is extracted into the temp dir: made now */
        if (r >= 0 && b->o->context_tar_fd >= 0 && !b->o->context_dir)
                r = make_tmp(b, err);
        _cleanup_free_ char *stats = xasprintf("%s/build/digests", b->root);
        if (r >= 0)
                r = build_context_open(b->o, b->tmp, stats, &b->ctx, err);
        return r;
}

int build_run(Engine *e, const BuildOptions *o, char ret_id[static 72], LadeError **err)
{
        BuildShared sh = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
                           .cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
        Builder b = { .sh = &sh, .e = e, .o = o, .root = xstrdup(engine_root(e)), .epoch = o->source_date_epoch,
                      .tmp_lock = -EBADF };
        if (sh.cancel_fd < 0) {
                free(b.root);
                return lade_error(err, errno, "eventfd");
        }
        int r = setup(&b, err);
        if (r >= 0)
                r = load_dockerfile(&b, err);
        if (r >= 0)
                r = make_plan(&b, err);
        if (r >= 0)
                r = build_run_stages(&b, err);
        BuildStage *target = r >= 0 ? &b.stages[b.plan->target] : NULL;
        if (r >= 0)
                r = apply_labels(&b, target, err);
        if (r >= 0) {
                unsigned v = build_next_vertex(&b);
                uint64_t t0 = now_ns();
                build_emit(&b, BUILD_EVENT_START, v, "exporting to image", 0, NULL);
                /* the result is an image to list; the steps' images stay build cache */
                r = image_store_set_intermediate(engine_images(b.e), target->image_id, false, err);
                if (r >= 0)
                        r = tag_all(&b, target->image_id, err);
                if (r >= 0) {
                        snprintf(ret_id, 72, "%s", target->image_id);
                        build_emit(&b, BUILD_EVENT_DONE, v, "exporting to image", now_ns() - t0, NULL);
                }
        }
        builder_done(&b);
        return r;
}

int build_cache_prune(Engine *e, bool dirs, uint64_t *ret_rows, LadeError **err)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        int r = build_cache_open(engine_root(e), &db, err);
        if (r < 0)
                return r;
        r = image_db_exec(db, "DELETE FROM build_cache", "prune the build cache", err);
        if (r < 0)
                return r;
        if (ret_rows)
                *ret_rows = (uint64_t) sqlite3_changes(db);
        /* the steps' images go with the cache, except those a container was created from */
        ImageInfo **l = NULL;
        size_t n = 0;
        if (image_store_list(engine_images(e), &l, &n, NULL) == 0) {
                for (size_t i = 0; i < n; i++)
                        if (l[i]->intermediate && engine_image_in_use(e, l[i]->id) == 0)
                                (void) image_store_remove(engine_images(e), l[i]->id, true, NULL, NULL, NULL);
                image_info_list_free(l, n);
                (void) image_store_gc(engine_images(e), NULL, NULL);
        }
        if (dirs) {
                _cleanup_free_ char *p = xasprintf("%s/build/cache-mounts", engine_root(e));
                _cleanup_free_ char *d = xasprintf("%s/build/digests", engine_root(e));
                (void) rm_rf_at(AT_FDCWD, p);
                (void) rm_rf_at(AT_FDCWD, d);
        }
        return 0;
}
