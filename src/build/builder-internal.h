/* Shared by the builder's files (builder*.c); not a public header. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include "build-plan.h"
#include "build-statcache.h"
#include "build.h"
#include "digest.h"
#include "dockerfile.h"
#include "dockerignore.h"
#include "shell-lex.h"

/* Limits on what a build may bring in. */
#define BUILD_CONTEXT_ENTRIES_MAX 1000000u
#define BUILD_SOURCES_MAX 100000u          /* paths one COPY may name after wildcards */
#define BUILD_URL_SIZE_MAX (UINT64_C(8) << 30)

/* ---- the context ---- */
typedef struct BuildContext {
        char *dir;              /* the directory (the caller's, or an extracted tar) */
        char *tmp;              /* set when the context was extracted here (removed at free) */
        int dirfd;
        DockerIgnore *ignore;   /* NULL: no ignore file */
        BuildStatCache *stats;  /* the content digests memo of a directory context, or NULL */
} BuildContext;

/* A tar context is extracted below tmp_parent; a directory context's digest memo lives in
 * stats_dir (NULL: none). */
int build_context_open(const BuildOptions *o, const char *tmp_parent, const char *stats_dir,
                       BuildContext **ret, LadeError **err);
BuildContext *build_context_free(BuildContext *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(BuildContext *, build_context_free)
/* Reads a file of the context (the Dockerfile, the ignore file) at most max bytes. */
int build_context_read(BuildContext *c, const char *path, size_t max, char **ret, size_t *ret_len,
                       LadeError **err);
/* Opens a path inside the context (cleaned; never leaving it, even through symlinks): -EXDEV
 * with Docker's "forbidden path outside the build context". */
int build_context_open_path(BuildContext *c, const char *path, int flags, LadeError **err);
/* Expands a COPY/ADD source (wildcards) to context paths (cleaned, relative, sorted); excluded
 * paths are not seen. -ENOENT names the source when nothing matches. */
int build_context_glob(BuildContext *c, const char *pattern, char ***ret, LadeError **err);

/* ---- the cache and history strings (pure, see test-build-cache.c) ---- */
/* sha256 of the step: parent image (or "scratch:<platform>"), the step's description after
 * substitution, the build args it uses ("K=V", sorted here), the content digest of its sources,
 * and SOURCE_DATE_EPOCH (-1 none). "sha256:…" into ret. */
void build_cache_key(const char *parent, const char *desc, char *const *args, const char *content,
                     int64_t epoch, char ret[static 72]);
/* Adds one file of a tree to a content digest: path, type, mode, owner, content digest or link
 * target — never the mtime. */
void build_digest_add(Sha256 *h, const char *path, const struct stat *st, const char *content,
                      const char *link);
/* Go's fmt %q of a []string: ["a" "b c"]. */
char *build_go_strv(char *const *v);
/* History created_by strings as BuildKit writes them:
 *   RUN |2 A=1 B=2 /bin/sh -c make # buildkit   (args: the build args in use)
 *   COPY file:<hex> in /dst                      (what: file:, dir: or multi:) */
char *build_created_by_run(char *const *argv, char *const *args);
char *build_created_by_copy(const char *keyword, const char *what, const char *content_digest,
                            const char *dest);

/* The cache table in lade.db: created on a connection (init), or a connection of its own. */
int build_cache_init(sqlite3 *db, LadeError **err);
int build_cache_open(const char *root, sqlite3 **ret, LadeError **err);
/* 1 and the image id when key is cached (and the image still exists), 0 when not. */
int build_cache_get(sqlite3 *db, const char *key, char **ret_id, LadeError **err);
int build_cache_put(sqlite3 *db, const char *key, const char *image_id, LadeError **err);

/* ---- a build ---- */
typedef struct BuildStage {
        const BuildPlanStage *plan;
        size_t index;
        json_t *doc;            /* the image config document as it stands */
        char *image_id;         /* the image so far; NULL while a scratch stage has no step */
        char **args;            /* ARGs in scope with a value: "KEY=VALUE" */
        char **declared;        /* ARG names declared in the stage */
        unsigned step, n_steps; /* for "[name k/n]" */
        bool cmd_set;           /* a CMD of this stage (ENTRYPOINT keeps it) */
        bool started, built;    /* scheduler state, under BuildShared.lock */
} BuildStage;

/* What the workers of one build share. Everything else they read is set before they start (the
 * context, the Dockerfile, the plan, the options) or belongs to the stage a worker runs; a stage
 * is read by others only once `built`, which is set under the lock. */
typedef struct BuildShared {
        pthread_mutex_t lock;   /* the callbacks, the vertex counter, the stages' scheduler state */
        pthread_cond_t cond;    /* a stage finished, or the build failed */
        unsigned vertex;
        int cancel_fd;          /* an eventfd, readable once the build failed */
        bool failed;
        bool working;           /* a step missed the cache: temp dir made, workers started */
        struct BuildSched *sched;
} BuildShared;

/* One per worker thread (a copy of the main one with its own engine handle); the pointers
 * other than e are shared and read-only while stages run. */
typedef struct Builder {
        BuildShared *sh;
        Engine *e;
        const BuildOptions *o;
        BuildContext *ctx;
        Dockerfile *df;
        BuildPlan *plan;
        BuildStage *stages;
        size_t n_stages;
        char *tmp;              /* <root>/build/tmp-<random>: layers, downloads, image views;
                                 * made when the first step misses the cache (build_work_begin) */
        int tmp_lock;           /* flock'd tmp/.lock: a build's tmp dir without it is stale */
        char *root;
        char *platform;         /* the target platform "os/arch[/variant]" */
        bool multi;             /* more than one stage is built: step names carry the stage */
        int64_t epoch;
} Builder;

/* A writable view of an image (builder-run.c): an overlay mount of its layers with an upper dir
 * of our own under `dir`, or (scratch, no layers) the empty upper dir itself; changes land in
 * `upper`. A RUN step's is its container's rootfs instead (`id` set, no `dir`). */
typedef struct BuildRootfs {
        char id[65];            /* the RUN container, "" for a view */
        char *dir;              /* the view's temp dir: upper/, work/, rootfs/ */
        char *rootfs, *upper;
        int rootfd;
        bool mounted;           /* rootfs is our overlay mount */
        bool overlay;           /* upper is (was) an overlay's upper dir: whiteouts, opaque dirs */
} BuildRootfs;

int build_rootfs_open(Builder *b, const char *image_id, BuildRootfs *ret, LadeError **err);
/* Closes rootfd and unmounts a view (upper stays, for the commit). */
int build_rootfs_unmount(BuildRootfs *r, LadeError **err);
/* Removes the container, or unmounts and removes the view's dir. */
void build_rootfs_close(Builder *b, BuildRootfs *r);

/* Expands a word with the stage's environment (its ARGs, then its Env). */
int build_expand(Builder *b, BuildStage *s, const char *word, char **ret, LadeError **err);
/* The environment a RUN sees and substitution uses: ARGs in scope, then the config's Env. */
char **build_stage_env(BuildStage *s);
/* The stage's config section (created when missing). */
json_t *build_stage_config(BuildStage *s);

/* Steps: each one either finds its result in the cache or runs and commits an image. */
typedef struct BuildStep {
        const DockerfileInstruction *i;
        char *desc;             /* what identifies the step for the cache */
        char *created_by;       /* its history entry */
        char **args;            /* build args it uses (RUN) */
        char content[72];       /* COPY/ADD sources' digest, "" none */
        unsigned vertex;
        uint64_t start_ns;
        bool layer;             /* changes the filesystem */
        /* COPY/ADD, after substitution */
        char **srcs;            /* context paths (or, with from_id, paths in that image) */
        char **urls;            /* ADD sources that are URLs */
        char *dest, *chown, *from_id;
        int64_t mode;           /* --chmod, -1 none */
        char **inline_names;    /* heredoc sources: names and expanded bodies */
        char **inline_bodies;
        char **argv;            /* RUN: the command (shell prepended for the shell form) */
} BuildStep;

void build_step_done(BuildStep *st);

/* Commits the stage's doc (created, history entry) on top of its image, with the packed upper
 * dir of r as a layer (r NULL: metadata only); updates s->image_id. */
int build_commit(Builder *b, BuildStage *s, BuildStep *st, BuildRootfs *r, LadeError **err);
/* The metadata instructions: change s->doc and set st->created_by. */
int build_dispatch_meta(Builder *b, BuildStage *s, BuildStep *st, LadeError **err);
/* RUN: a container from the stage's image; its output to the callback. */
int build_dispatch_run(Builder *b, BuildStage *s, BuildStep *st, LadeError **err);
int build_prepare_run(Builder *b, BuildStage *s, BuildStep *st, LadeError **err);
/* COPY/ADD and WORKDIR: prepare computes the description and content digest (cheap, for the
 * cache), dispatch does the work. */
int build_prepare_copy(Builder *b, BuildStage *s, BuildStep *st, LadeError **err);
int build_dispatch_copy(Builder *b, BuildStage *s, BuildStep *st, LadeError **err);
int build_dispatch_workdir(Builder *b, BuildStage *s, BuildStep *st, LadeError **err);
/* The image a COPY --from / --mount from= names: a stage's result or an image (pulled if
 * missing). */
int build_source_image(Builder *b, BuildStage *s, const char *from, char **ret_id, LadeError **err);
/* Pulls or finds an image by name; its config document (ours alone) too when ret_doc is set. */
int build_image_get(Builder *b, const char *name, bool pull, char **ret_id, json_t **ret_doc,
                    LadeError **err);
/* Loads the config document (ours alone) of an image that exists, by id. */
int build_image_doc(Builder *b, const char *id, json_t **ret, LadeError **err);

/* Copies the tree at src (an fd of a file or dir, with its stat) into the directory dst_dirfd
 * under name; uid/gid < 0 keep the source's, mode < 0 keeps it. ctx_prefix non-NULL: the source
 * is in the context at that path and ignored paths are skipped. */
typedef struct BuildCopyOptions {
        int64_t uid, gid;
        int64_t mode;
        BuildContext *ctx;
        const char *ctx_path;
} BuildCopyOptions;
int build_copy_tree(int src_dirfd, const char *src_name, int dst_dirfd, const char *dst_name,
                    const BuildCopyOptions *o, LadeError **err);

/* One regular file (fd open for reading) to dst_dirfd/name. */
int build_copy_file(int in, const struct stat *st, int dst_dirfd, const char *name,
                    const BuildCopyOptions *o, LadeError **err);

/* The progress callback, one call at a time. */
void build_emit(Builder *b, BuildEventKind kind, unsigned vertex, const char *name, uint64_t ns,
                const char *error);
/* The output callback, one call at a time. */
void build_emit_output(Builder *b, unsigned vertex, int stream, uint64_t elapsed_ns, const char *data,
                       size_t len);
/* n consecutive vertex numbers; the first is returned. */
unsigned build_next_vertices(Builder *b, unsigned n);
unsigned build_next_vertex(Builder *b);
/* Marks the build failed (the other workers stop: steps not started are canceled, running RUN
 * containers killed); true when this call did it, false when it had already failed. */
bool build_cancel(Builder *b);
bool build_canceled(Builder *b);

/* Before the first step that is not in the cache (and so before anything needs b->tmp): makes
 * the temp dir and starts the other workers. A fully cached build does neither. */
int build_work_begin(Builder *b, LadeError **err);
/* The other workers (builder-sched.c), from the calling thread, once. */
void build_sched_spawn(Builder *b);

/* A needed stage, from its FROM to its last step (builder.c). */
int build_stage_run(Builder *b, BuildStage *s, LadeError **err);
/* Runs the needed stages, each once the stages it needs are built, on up to o->parallel
 * workers (builder-sched.c). The first failure is the result. */
int build_run_stages(Builder *b, LadeError **err);
/* A stage's image id (a copy), once it is built: waits while it runs on another worker.
 * -ENOENT when it was not started (not needed), -ECANCELED when the build failed meanwhile. */
int build_stage_result(Builder *b, size_t k, char **ret_id);
