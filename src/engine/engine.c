/* Engine context: the state root and the stores opened from it; the pool of idle Engines a
 * server reuses across requests (an Engine from a pool holds a reference on it, so the pool
 * lives until its owner and every Engine out of it are done). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "containers-internal.h"
#include "engine-events.h"
#include "engine.h"
#include "util.h"

struct Engine {
        char *root;
        ImageStore *images;
        RegistryOptions ropts;
        bool monitor_exec;
        bool no_stale_cleanup;
        bool db_migrated;       /* engine_db() checked the containers table */
        EnginePool *pool;       /* engine_free() gives it back there */
};

struct EnginePool {
        pthread_mutex_t lock;
        EngineOptions opts;
        char *root;
        Engine **idle;
        unsigned n_idle, max_idle;
        unsigned refs;          /* the owner's (until engine_pool_free) + one per Engine out */
        bool closed;
        CtrListCache *list_cache;       /* GET /containers/json (container-list-cache.c) */
};

bool engine_monitor_exec(Engine *e)
{
        return e->monitor_exec;
}

int engine_open(const EngineOptions *o, Engine **ret, LadeError **err)
{
        const char *root = o && o->root ? o->root : getenv("LADE_ROOT");
        if (!root || !*root)
                root = "/var/lib/lade";
        Engine *e = xmalloc0(sizeof(*e));
        e->root = xstrdup(root);
        if (o) {
                e->ropts.insecure = o->insecure_registries;
                e->ropts.credentials = o->credentials;
                e->ropts.progress = o->progress;
                e->ropts.userdata = o->userdata;
                e->monitor_exec = o->monitor_exec;
                e->no_stale_cleanup = o->no_stale_cleanup;
        }
        /* LADE_MONITOR_EXEC=1: the exec'd monitor path for a single-threaded caller too (tests) */
        const char *me = getenv("LADE_MONITOR_EXEC");
        e->monitor_exec = e->monitor_exec || (me && streq(me, "1"));
        int r = image_store_open_flags(root, e->no_stale_cleanup ? IMAGE_STORE_NO_STALE_CLEANUP : 0,
                                       &e->images, err);
        if (r < 0) {
                engine_free(e);
                return r;
        }
        *ret = e;
        return 0;
}

int engine_open_sibling(Engine *e, Engine **ret, LadeError **err)
{
        EngineOptions o = { .root = e->root, .insecure_registries = e->ropts.insecure,
                            .credentials = e->ropts.credentials, .progress = e->ropts.progress,
                            .userdata = e->ropts.userdata, .monitor_exec = e->monitor_exec,
                            .no_stale_cleanup = e->no_stale_cleanup };
        return engine_open(&o, ret, err);
}

static void pool_unref_locked(EnginePool *p)
{
        if (--p->refs > 0) {
                pthread_mutex_unlock(&p->lock);
                return;
        }
        pthread_mutex_unlock(&p->lock);
        pthread_mutex_destroy(&p->lock);
        ctr_list_cache_free(p->list_cache);
        free(p->idle);
        free(p->root);
        free(p);
}

EnginePool *engine_pool_new(const EngineOptions *o, unsigned max_idle)
{
        EnginePool *p = xmalloc0(sizeof(*p));
        pthread_mutex_init(&p->lock, NULL);
        p->opts = *o;
        p->root = o->root ? xstrdup(o->root) : NULL;
        p->opts.root = p->root;
        p->opts.no_stale_cleanup = true;
        p->max_idle = max_idle;
        p->idle = xmalloc0((max_idle + 1) * sizeof(*p->idle));
        p->refs = 1;
        p->list_cache = ctr_list_cache_new();
        return p;
}

int engine_pool_get(EnginePool *p, Engine **ret, LadeError **err)
{
        Engine *e = NULL;
        pthread_mutex_lock(&p->lock);
        if (p->n_idle > 0)
                e = p->idle[--p->n_idle];
        else
                p->refs++;      /* the new Engine's, taken now: the owner may free the pool meanwhile */
        pthread_mutex_unlock(&p->lock);
        if (e) {
                *ret = e;
                return 0;
        }
        int r = engine_open(&p->opts, &e, err);
        if (r < 0) {
                pthread_mutex_lock(&p->lock);
                pool_unref_locked(p);
                return r;
        }
        e->pool = p;
        *ret = e;
        return 0;
}

unsigned engine_pool_n_idle(EnginePool *p)
{
        pthread_mutex_lock(&p->lock);
        unsigned n = p->n_idle;
        pthread_mutex_unlock(&p->lock);
        return n;
}

void engine_pool_trim(EnginePool *p)
{
        Engine *idle[p->max_idle + 1];
        pthread_mutex_lock(&p->lock);
        unsigned n = p->n_idle;
        memcpy(idle, p->idle, n * sizeof(*idle));
        p->n_idle = 0;
        for (unsigned i = 0; i < n; i++)
                idle[i]->pool = NULL;
        p->refs -= n;   /* never the last reference: the owner calls this */
        pthread_mutex_unlock(&p->lock);
        for (unsigned i = 0; i < n; i++)
                engine_free(idle[i]);
        /* its connection and pidfds too: the fds of an idle server are the ones it listens on */
        ctr_list_cache_drop(p->list_cache);
}

CtrListCache *engine_list_cache(Engine *e)
{
        return e->pool ? e->pool->list_cache : NULL;
}

/* Back into its pool when it may be reused (true), or detached from it, to be freed. */
static bool pool_put(Engine *e)
{
        EnginePool *p = e->pool;
        /* a connection released around a fork and not reopened gets another chance here */
        bool clean = (image_store_reopen_db(e->images, NULL) >= 0) && image_store_idle(e->images);
        pthread_mutex_lock(&p->lock);
        if (clean && !p->closed && p->n_idle < p->max_idle) {
                p->idle[p->n_idle++] = e;
                pthread_mutex_unlock(&p->lock);
                return true;
        }
        e->pool = NULL;
        pool_unref_locked(p);
        return false;
}

EnginePool *engine_pool_free(EnginePool *p)
{
        if (!p)
                return NULL;
        pthread_mutex_lock(&p->lock);
        p->closed = true;
        Engine **idle = p->idle;
        unsigned n = p->n_idle;
        p->idle = xmalloc0(sizeof(*p->idle));
        p->n_idle = 0;
        pthread_mutex_unlock(&p->lock);
        for (unsigned i = 0; i < n; i++)
                engine_free(idle[i]);   /* closed: each is freed and drops its reference */
        free(idle);
        pthread_mutex_lock(&p->lock);
        pool_unref_locked(p);
        return NULL;
}

Engine *engine_free(Engine *e)
{
        if (!e)
                return NULL;
        if (e->pool && pool_put(e))
                return NULL;
        image_store_free(e->images);
        free(e->root);
        free(e);
        return NULL;
}

int engine_db(Engine *e, sqlite3 **ret, LadeError **err)
{
        int r = image_store_reopen_db(e->images, err);
        if (r < 0)
                return r;
        sqlite3 *db = image_store_db(e->images);
        if (!e->db_migrated && ((r = ctr_migrate_db(db, err)) < 0 || (r = engine_events_migrate(db, err)) < 0))
                return r;
        e->db_migrated = true;
        *ret = db;
        return 0;
}

ImageStore *engine_images(Engine *e)
{
        return e->images;
}

const char *engine_root(Engine *e)
{
        return e->root;
}

typedef struct PullPrep {
        ImageStore *images;
        ImageLayerPrep *prep;
} PullPrep;

static int client(Engine *e, RegistryClient **ret, LadeError **err)
{
        return registry_client_new(&e->ropts, ret, err);
}

/* Layers unpack (image/layer-prep.c) as their blobs arrive verified, while the others still
 * download; the commit waits for them and publishes everything only when the whole image is
 * there. A failed pull frees the prep, which removes what it unpacked. */
static int pull_hook_image(void *userdata, const Manifest *m, const ImageConfig *cfg,
                           LadeError **err)
{
        PullPrep *x = userdata;
        x->prep = image_layer_prep_free(x->prep);
        return image_store_prep_layers(x->images, m, cfg, &x->prep, err);
}

static void pull_hook_layer(void *userdata, const char *digest, int fd)
{
        PullPrep *x = userdata;
        image_layer_prep_add(x->prep, digest, fd);
}

/* pull and push: the Actor is the familiar reference, "name" its repository (as dockerd's
 * distribution code logs them), with the image's labels */
static void ref_event(Engine *e, const ImageRef *ref, const char *id, const char *action)
{
        _cleanup_free_ char *familiar = image_ref_familiar(ref);
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        json_t *a = json_object();
        if (image_store_resolve(e->images, id, &info, NULL) == 0 && info->config &&
            json_is_object(info->config->labels))
                json_object_update(a, info->config->labels);
        _cleanup_free_ char *repo = xstrdup(familiar);
        char *at = strchr(repo, '@'), *slash = strrchr(repo, '/'), *colon = strrchr(repo, ':');
        if (at)
                *at = 0;
        else if (colon && (!slash || colon > slash))
                *colon = 0;
        engine_image_event_attrs(e, familiar, repo, action, a);
}

int engine_image_pull(Engine *e, const char *name, const char *platform, char ret_id[static 72],
                      LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        int r = image_ref_parse(name, &ref, err);
        if (r < 0)
                return r;
        Platform want = { 0 }, *p = NULL;
        if (platform) {
                if ((r = platform_parse(platform, &want, err)) < 0)
                        return r;
                p = &want;
        }
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;
        PullPrep x = { .images = e->images };
        RegistryPullHooks hooks = {
                .image = pull_hook_image, .layer = pull_hook_layer, .userdata = &x,
        };
        PullResult res = { { 0 } };
        r = client(e, &c, err);
        if (r == 0)
                r = registry_pull_hooked(c, ref, p, image_store_blobs(e->images), &hooks, &res, err);
        if (r == 0)
                r = image_store_commit_prepared(e->images, x.prep, res.manifest_digest,
                                                *res.index_digest ? res.index_digest : NULL, ref, true,
                                                ret_id, err);
        image_layer_prep_free(x.prep);
        platform_done(&want);
        if (r == 0)
                ref_event(e, ref, ret_id, "pull");
        return r;
}

int engine_image_push(Engine *e, const char *name, LadeError **err)
{
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        int r = image_ref_parse(name, &ref, err);
        if (r == 0)
                r = image_store_resolve(e->images, name, &info, err);
        if (r < 0)
                return r;
        if (!*info->manifest_digest)
                return lade_error_msg(err, EINVAL, "push %s: image has no manifest", name);
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;
        r = client(e, &c, err);
        if (r == 0)
                r = registry_push(c, ref, image_store_blobs(e->images), info->manifest_digest, err);
        if (r == 0)
                ref_event(e, ref, info->id, "push");
        return r;
}

int engine_login(Engine *e, const char *server, const char *user, const char *password, LadeError **err)
{
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;
        int r = client(e, &c, err);
        return r < 0 ? r : registry_login(c, server, user, password, err);
}

int engine_login_check(Engine *e, const char *server, const char *user, const char *password,
                       LadeError **err)
{
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;
        int r = client(e, &c, err);
        return r < 0 ? r : registry_login_check(c, server, user, password, err);
}

int engine_logout(Engine *e, const char *server, LadeError **err)
{
        return registry_logout(&e->ropts, server, err);
}

int engine_image_tag(Engine *e, const char *source, const char *target, LadeError **err)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        int r = image_store_resolve(e->images, source, &info, err);
        if (r == 0)
                r = image_ref_parse(target, &ref, err);
        if (r == 0 && ref->digest)
                r = lade_error_msg(err, EINVAL, "refusing to create a tag with a digest reference");
        if (r == 0)
                r = image_store_tag(e->images, info->id, ref, err);
        if (r == 0) {
                _cleanup_free_ char *familiar = image_ref_familiar(ref);
                engine_image_event(e, info->id, familiar, "tag");
        }
        return r;
}
