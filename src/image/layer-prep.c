/* Layers of one image unpacked ahead of its commit, on worker threads: during a pull each layer
 * blob is handed over as soon as it is verified (from the writer's temp file, before the store
 * publishes anything), so unpacking overlaps the download of the other layers, and layers that
 * are all local unpack side by side on the CPUs there are.
 *
 * What stays true:
 * - Each layer unpacks into its own layers/tmp-<pid>-<random>/diff. The dir is made under a
 *   "new-" name, flock'ed, then renamed to "tmp-", so every tmp-* dir is locked for as long as
 *   its owner lives; image_store_open() removes tmp-* dirs nobody holds (a killed pull's).
 * - Nothing is renamed to layers/<chain hex> before image_layer_prep_publish(), which the commit
 *   calls only after every blob of the image is in the store and every layer unpacked with the
 *   diff_id its config names. A failure, or freeing the prep unpublished, stops the workers and
 *   removes every temp dir: the store gains no layer dir.
 * - The queue, the results and the first error are under one mutex; a worker touches only the
 *   layer it took. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "layer.h"
#include "log.h"
#include "util.h"

#include "image-store-internal.h"

#define PREP_THREADS_MAX 4

typedef struct PrepLayer {
        char *digest;                 /* the layer blob */
        char *diff_id;
        char *chain;
        bool missing;                 /* layers/<chain hex> was absent when the prep began */
        bool queued, started, done;
        int fd;                       /* the blob to read, until a worker takes it */
        char *tmp;                    /* layers/tmp-..., once made */
        int tmp_fd;                   /* holds the flock on tmp */
        uint64_t size;                /* unpacked bytes */
} PrepLayer;

struct ImageLayerPrep {
        ImageStore *s;
        PrepLayer *layers;
        size_t n;
        pthread_mutex_t lock;
        pthread_cond_t cond;          /* a layer queued or done, or stopping */
        pthread_t threads[PREP_THREADS_MAX];
        size_t n_threads, max_threads;
        size_t queued, finished;
        atomic_bool cancel;
        bool stopping;
        LadeError *error;             /* the first failure */
        int error_r;
};

char *image_chain_id(const char *parent, const char *diff_id)
{
        if (!parent)
                return xstrdup(diff_id);
        _cleanup_free_ char *s = xasprintf("%s %s", parent, diff_id);
        return sha256_digest_of(s, strlen(s));
}

const char *image_digest_hex(const char *digest)
{
        const char *c = strchr(digest, ':');
        return c ? c + 1 : digest;
}

bool image_layer_present(ImageStore *s, const char *chain)
{
        _cleanup_free_ char *p = xasprintf("%s/layers/%s/diff", s->root, image_digest_hex(chain));
        struct stat st;
        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* layers/new-X made, locked and renamed to layers/tmp-X: never an unlocked tmp-* of ours. */
static int prep_make_tmp(ImageLayerPrep *p, PrepLayer *l, LadeError **err)
{
        uint64_t rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                return lade_error(err, errno, "getrandom");
        _cleanup_free_ char *fresh = xasprintf("%s/layers/new-%d-%016llx", p->s->root,
                                               (int) getpid(), (unsigned long long) rnd);
        char *tmp = xasprintf("%s/layers/tmp-%d-%016llx", p->s->root, (int) getpid(),
                              (unsigned long long) rnd);
        if (mkdir(fresh, 0700) < 0) {
                free(tmp);
                return lade_error(err, errno, "create '%s'", fresh);
        }
        l->tmp_fd = open(fresh, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (l->tmp_fd < 0 || flock(l->tmp_fd, LOCK_EX) < 0 || rename(fresh, tmp) < 0) {
                int r = lade_error(err, errno, "create '%s'", tmp);
                (void) rm_rf_at(AT_FDCWD, fresh);
                free(tmp);
                return r;
        }
        l->tmp = tmp;
        return 0;
}

/* Unpacks one layer into its temp dir and checks its diff_id (a worker, without the lock). */
static int prep_unpack(ImageLayerPrep *p, PrepLayer *l, int fd, LadeError **err)
{
        int r = prep_make_tmp(p, l, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *diff = xasprintf("%s/diff", l->tmp);
        LayerStats st = {};
        LayerUnpackOptions o = { .cancel = &p->cancel };
        r = layer_unpack_fd(fd, diff, &o, &st, err);
        if (r < 0)
                return lade_error_wrap(err, "layer %s", l->digest);
        if (!streq(st.diff_id, l->diff_id))
                return lade_error_msg(err, EINVAL, "layer %s: diff_id mismatch: config says %s, "
                                      "content is %s", l->digest, l->diff_id, st.diff_id);
        l->size = st.bytes;
        return 0;
}

static PrepLayer *prep_next_task(ImageLayerPrep *p)
{
        for (size_t i = 0; i < p->n; i++)
                if (p->layers[i].queued && !p->layers[i].started)
                        return &p->layers[i];
        return NULL;
}

static void *prep_worker(void *userdata)
{
        ImageLayerPrep *p = userdata;
        pthread_mutex_lock(&p->lock);
        for (;;) {
                PrepLayer *l = prep_next_task(p);
                if (!l && p->stopping)
                        break;
                if (!l) {
                        pthread_cond_wait(&p->cond, &p->lock);
                        continue;
                }
                l->started = true;
                int fd = TAKE_FD(l->fd);
                pthread_mutex_unlock(&p->lock);
                LadeError *e = NULL;
                int r = atomic_load(&p->cancel) ? -ECANCELED : prep_unpack(p, l, fd, &e);
                safe_close(fd);
                pthread_mutex_lock(&p->lock);
                l->done = true;
                p->finished++;
                if (r < 0 && !p->error && r != -ECANCELED) {
                        p->error = TAKE_PTR(e);
                        p->error_r = r;
                        atomic_store(&p->cancel, true);
                }
                lade_error_free(e);
                pthread_cond_broadcast(&p->cond);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

static size_t prep_max_threads(void)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
                return 1;
        return n > PREP_THREADS_MAX ? PREP_THREADS_MAX : (size_t) n;
}

int image_store_prep_layers(ImageStore *s, const Manifest *m, const ImageConfig *cfg,
                            ImageLayerPrep **ret, LadeError **err)
{
        size_t n = m->n_layers;
        if (strv_length(cfg->diff_ids) != n)
                return lade_error_msg(err, EINVAL, "image config has %zu diff_ids but the manifest "
                                      "%zu layers", strv_length(cfg->diff_ids), n);
        ImageLayerPrep *p = xmalloc0(sizeof(*p));
        p->s = s;
        p->n = n;
        p->layers = xmalloc0((n ? n : 1) * sizeof(*p->layers));
        p->max_threads = prep_max_threads();
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
        for (size_t i = 0; i < n; i++) {
                PrepLayer *l = &p->layers[i];
                l->fd = l->tmp_fd = -EBADF;
                l->digest = xstrdup(m->layers[i].digest);
                l->diff_id = xstrdup(cfg->diff_ids[i]);
                l->chain = image_chain_id(i ? p->layers[i - 1].chain : NULL, l->diff_id);
                l->missing = !image_layer_present(s, l->chain);
        }
        *ret = p;
        return 0;
}

/* Queues l with fd (taken); starts a worker when there are fewer than queued layers. */
static void prep_queue(ImageLayerPrep *p, PrepLayer *l, int fd)
{
        pthread_mutex_lock(&p->lock);
        l->fd = fd;
        l->queued = true;
        p->queued++;
        if (p->n_threads < p->max_threads && p->n_threads < p->queued - p->finished) {
                int r = pthread_create(&p->threads[p->n_threads], NULL, prep_worker, p);
                if (r == 0)
                        p->n_threads++;
                else if (p->n_threads == 0) {
                        /* Nobody to do it: the layer fails, and with it the commit. */
                        l->started = l->done = true;
                        p->finished++;
                        if (!p->error) {
                                p->error_r = lade_error(&p->error, r, "start an unpack thread");
                                atomic_store(&p->cancel, true);
                        }
                }
        }
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
}

void image_layer_prep_add(ImageLayerPrep *p, const char *digest, int fd)
{
        for (size_t i = 0; p && i < p->n; i++) {
                PrepLayer *l = &p->layers[i];
                if (l->missing && !l->queued && streq(l->digest, digest)) {
                        prep_queue(p, l, fd);
                        return;
                }
        }
        safe_close(fd);
}

int image_layer_prep_adopt(ImageLayerPrep *p, const char *digest, const char *dir,
                           uint64_t bytes, LadeError **err)
{
        PrepLayer *l = NULL;
        for (size_t i = 0; !l && i < p->n; i++)
                if (p->layers[i].missing && !p->layers[i].queued && streq(p->layers[i].digest, digest))
                        l = &p->layers[i];
        if (!l)
                return 0;
        int r = prep_make_tmp(p, l, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *diff = xasprintf("%s/diff", l->tmp);
        if (rename(dir, diff) < 0) {
                if (errno != EXDEV)
                        return lade_error(err, errno, "move '%s' into the layer store", dir);
                /* another filesystem: no temp dir, the blob is unpacked as usual */
                (void) rm_rf_at(AT_FDCWD, l->tmp);
                free(l->tmp);
                l->tmp = NULL;
                l->tmp_fd = safe_close(l->tmp_fd);
                return 0;
        }
        pthread_mutex_lock(&p->lock);
        l->queued = l->started = l->done = true;
        l->size = bytes;
        p->queued++;
        p->finished++;
        pthread_mutex_unlock(&p->lock);
        return 1;
}

/* Queues every missing layer not queued yet, from the store's blob. */
static int prep_queue_rest(ImageLayerPrep *p, LadeError **err)
{
        for (size_t i = 0; i < p->n; i++) {
                PrepLayer *l = &p->layers[i];
                if (!l->missing || l->queued)
                        continue;
                int fd = blob_store_open_blob(p->s->blobs, l->digest, err);
                if (fd < 0)
                        return fd;
                prep_queue(p, l, fd);
        }
        return 0;
}

/* Waits for every queued layer; the first failure, if any. */
static int prep_wait(ImageLayerPrep *p, LadeError **err)
{
        pthread_mutex_lock(&p->lock);
        while (p->finished < p->queued)
                pthread_cond_wait(&p->cond, &p->lock);
        int r = 0;
        if (p->error) {
                r = p->error_r;
                if (err && !*err)
                        *err = TAKE_PTR(p->error);
        }
        pthread_mutex_unlock(&p->lock);
        return r;
}

/* Renames each unpacked layer into place; one another process published first stands (same
 * chain, same content) and ours goes. */
static int prep_rename(ImageLayerPrep *p, PrepLayer *l, LadeError **err)
{
        _cleanup_free_ char *dest = xasprintf("%s/layers/%s", p->s->root,
                                              image_digest_hex(l->chain));
        if (rename(l->tmp, dest) < 0) {
                if (errno != EEXIST && errno != ENOTEMPTY)
                        return lade_error(err, errno, "publish layer %s", l->chain);
                (void) rm_rf_at(AT_FDCWD, l->tmp);
        }
        free(l->tmp);
        l->tmp = NULL;
        return 0;
}

int image_layer_prep_publish(ImageLayerPrep *p, const Manifest *m, char ***ret_chains,
                             uint64_t **ret_sizes, LadeError **err)
{
        bool same = m->n_layers == p->n;
        for (size_t i = 0; same && i < p->n; i++)
                same = streq(m->layers[i].digest, p->layers[i].digest);
        if (!same)
                return lade_error_msg(err, EINVAL, "layers were prepared for another image");
        int r = prep_queue_rest(p, err);
        if (r >= 0)
                r = prep_wait(p, err);
        for (size_t i = 0; r >= 0 && i < p->n; i++)
                if (p->layers[i].tmp)
                        r = prep_rename(p, &p->layers[i], err);
        if (r < 0)
                return r;
        char **chains = xmalloc0((p->n + 1) * sizeof(char *));
        uint64_t *sizes = xmalloc0((p->n + 1) * sizeof(uint64_t));
        for (size_t i = 0; i < p->n; i++) {
                chains[i] = xstrdup(p->layers[i].chain);
                sizes[i] = p->layers[i].missing ? p->layers[i].size : (uint64_t) -1;
        }
        *ret_chains = chains;
        *ret_sizes = sizes;
        return 0;
}

ImageLayerPrep *image_layer_prep_free(ImageLayerPrep *p)
{
        if (!p)
                return NULL;
        pthread_mutex_lock(&p->lock);
        p->stopping = true;
        atomic_store(&p->cancel, true);
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        for (size_t i = 0; i < p->n_threads; i++)
                pthread_join(p->threads[i], NULL);
        for (size_t i = 0; i < p->n; i++) {
                PrepLayer *l = &p->layers[i];
                if (l->tmp && rm_rf_at(AT_FDCWD, l->tmp) < 0)
                        log_debug("remove '%s': %m, ignoring", l->tmp);
                safe_close(l->fd);
                safe_close(l->tmp_fd);
                free(l->tmp);
                free(l->digest);
                free(l->diff_id);
                free(l->chain);
        }
        free(p->layers);
        lade_error_free(p->error);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->cond);
        free(p);
        return NULL;
}

/* A tmp-* dir that nobody holds locked is a killed unpack's: removed (best effort). */
void image_layers_clean_stale(const char *root)
{
        _cleanup_free_ char *layers = xasprintf("%s/layers", root);
        int dfd = open(layers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return;
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (!d) {
                safe_close(dfd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!startswith(de->d_name, "tmp-"))
                        continue;
                _cleanup_close_ int fd = openat(dfd, de->d_name,
                                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
                        continue;
                if (rm_rf_at(dfd, de->d_name) < 0)
                        log_debug("remove stale layer dir '%s': %m, ignoring", de->d_name);
        }
}
