/* A container's sizes as dockerd reports them (ps -s, inspect -s, ?size=1, system df): SizeRw
 * is what its writable layer holds (the overlay upper dir, as moby's directory.Size walks it:
 * no symlink followed, directories and empty files not counted, a file with several links
 * counted once), SizeRootFs that plus the image's unpacked size. */
#include <fts.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "containers-internal.h"
#include "util.h"

typedef struct Inode {
        dev_t dev;
        ino_t ino;
        int64_t size;
} Inode;

static int inode_cmp(const void *a, const void *b)
{
        const Inode *x = a, *y = b;
        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Files with one link are summed at once; those with more are kept and summed once per inode. */
static int64_t sum_links(Inode *v, size_t n)
{
        int64_t total = 0;
        if (n)
                qsort(v, n, sizeof(*v), inode_cmp);
        for (size_t i = 0; i < n; i++)
                if (i == 0 || inode_cmp(&v[i - 1], &v[i]) != 0)
                        total += v[i].size;
        return total;
}

int engine_dir_size(const char *dir, int64_t *ret, LadeError **err)
{
        char *paths[] = { (char *) dir, NULL };
        FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
        if (!fts)
                return lade_error(err, errno, "walk '%s'", dir);
        _cleanup_free_ Inode *links = NULL;
        size_t n = 0, cap = 0;
        int64_t total = 0;
        FTSENT *f;
        while ((f = fts_read(fts))) {
                if (f->fts_info == FTS_D || f->fts_info == FTS_DP || f->fts_info == FTS_DNR ||
                    f->fts_info == FTS_NS || f->fts_info == FTS_ERR || f->fts_info == FTS_DC)
                        continue;
                const struct stat *st = f->fts_statp;
                if (st->st_size <= 0)
                        continue;
                if (st->st_nlink <= 1) {
                        total += st->st_size;
                        continue;
                }
                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        links = xrealloc(links, cap * sizeof(*links));
                }
                links[n++] = (Inode) { st->st_dev, st->st_ino, st->st_size };
        }
        int saved = errno;
        fts_close(fts);
        /* a missing dir (a container being removed) is empty, as for dockerd */
        if (saved != 0 && saved != ENOENT)
                return lade_error(err, saved, "walk '%s'", dir);
        *ret = total + sum_links(links, n);
        return 0;
}

int engine_container_size(Engine *e, const char *name_or_id, int64_t *ret_rw, int64_t *ret_rootfs,
                          LadeError **err)
{
        Ctr c = { .e = e };
        int r = ctr_load(&c, name_or_id, err);
        int64_t rw = 0;
        if (r >= 0) {
                _cleanup_free_ char *upper = xasprintf("%s/upper", c.dir);
                r = engine_dir_size(upper, &rw, err);
        }
        if (r >= 0 && ret_rootfs && image_store_resolve(engine_images(e), c.image_id, &c.image, NULL) < 0)
                c.image = NULL;   /* the image is gone: its part counts as nothing */
        if (r >= 0) {
                *ret_rw = rw;
                if (ret_rootfs)
                        *ret_rootfs = rw + (c.image ? c.image->size : 0);
        }
        ctr_done(&c);
        return r;
}
