/* Engine context: the state root and the stores opened from it. */
#include <stdlib.h>
#include <string.h>

#include "engine-events.h"
#include "engine.h"
#include "util.h"

struct Engine {
        char *root;
        ImageStore *images;
        RegistryOptions ropts;
        bool monitor_exec;
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
        }
        /* LADE_MONITOR_EXEC=1: the exec'd monitor path for a single-threaded caller too (tests) */
        const char *me = getenv("LADE_MONITOR_EXEC");
        e->monitor_exec = e->monitor_exec || (me && streq(me, "1"));
        int r = image_store_open(root, &e->images, err);
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
                            .userdata = e->ropts.userdata, .monitor_exec = e->monitor_exec };
        return engine_open(&o, ret, err);
}

Engine *engine_free(Engine *e)
{
        if (!e)
                return NULL;
        image_store_free(e->images);
        free(e->root);
        free(e);
        return NULL;
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
