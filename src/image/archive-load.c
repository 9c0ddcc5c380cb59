/* `load`: an image archive (docker-archive of any Docker version, or an OCI layout) read from an
 * fd into the store.
 *
 * Four steps, in this order:
 *   1. read: every regular file is streamed into the blob store (digest computed on the way and,
 *      for blobs/sha256/<hex>, verified against the name); links are remembered by name;
 *   2. plan: manifest.json (archive-docker.c) or index.json (archive-layout.c) says which images
 *      there are; each is checked (files present, config sane) before anything is committed;
 *   3. commit: every image untagged (layers unpacked, one transaction each); if one fails, the
 *      images this load added are removed again;
 *   4. tag, then report each image through the callback.
 * So a broken archive leaves no image and no tag; only content-addressed blobs may stay, and
 * the GC takes those. Entry names are untrusted: they are cleaned, never used as host paths, and
 * entry count and total size are bounded. */
#include <archive_entry.h>
#include <string.h>

#include "archive-internal.h"
#include "blob-store.h"
#include "log.h"
#include "util.h"
#include "archive-dl.h"

typedef struct LoadReader {
        BlobStore *blobs;
        struct archive *a;
        ArchiveFiles *files;
        uint64_t bytes;
        char *buf;
} LoadReader;

static int load_open(int fd, struct archive **ret, LadeError **err)
{
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        if (!a)
                return lade_error(err, ENOMEM, "archive: allocate reader");
        /* ARCHIVE_WARN only means an external program would be used; the format is what matters */
        (void) archive_read_support_filter_gzip(a);
        (void) archive_read_support_filter_zstd(a);
        (void) archive_read_support_filter_xz(a);
        (void) archive_read_support_filter_bzip2(a);
        if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
            archive_read_open_fd(a, fd, ARCHIVE_IO_BLOCK) != ARCHIVE_OK)
                return lade_error_msg(err, EINVAL, "archive: %s", archive_err(a));
        *ret = TAKE_PTR(a);
        return 0;
}

/* The entry with this name, made empty (a later entry of a tar replaces an earlier one). */
static ArchiveFile *files_put(ArchiveFiles *f, char *path)
{
        for (size_t i = 0; i < f->n; i++)
                if (streq(f->v[i].path, path)) {
                        free(path);
                        free(f->v[i].link);
                        f->v[i].link = NULL;
                        f->v[i].digest[0] = '\0';
                        return &f->v[i];
                }
        f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
        f->v[f->n] = (ArchiveFile) { .path = path };
        return &f->v[f->n++];
}

/* Reads the current entry's content, counting it against the archive's limit. */
static ssize_t load_data(LoadReader *l, const char *path, LadeError **err)
{
        la_ssize_t n = archive_read_data(l->a, l->buf, ARCHIVE_IO_BLOCK);
        if (n < 0)
                return lade_error_msg(err, EINVAL, "archive: read '%s': %s", path, archive_err(l->a));
        l->bytes += (uint64_t) n;
        if (l->bytes > ARCHIVE_MAX_BYTES)
                return lade_error_msg(err, EFBIG, "archive: more than %llu bytes of content",
                                      (unsigned long long) ARCHIVE_MAX_BYTES);
        return n;
}

/* manifest.json / index.json stay in memory: they are read once and are no image's blob. */
static int load_metadata(LoadReader *l, const char *path, char **ret, size_t *ret_len, LadeError **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        for (;;) {
                ssize_t n = load_data(l, path, err);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                if (len + (size_t) n > MANIFEST_MAX_BYTES)
                        return lade_error_msg(err, EFBIG, "archive: %s is larger than %u bytes", path,
                                              MANIFEST_MAX_BYTES);
                data = xrealloc(data, len + (size_t) n + 1);
                memcpy(data + len, l->buf, (size_t) n);
                len += (size_t) n;
        }
        free(*ret);
        *ret = data ? TAKE_PTR(data) : xstrdup("");
        *ret_len = len;
        return 0;
}

static int load_blob(LoadReader *l, const char *path, int64_t size, char digest[static 72],
                     int64_t *ret_size, LadeError **err)
{
        _cleanup_free_ char *expected = NULL;
        if (startswith(path, "blobs/sha256/")) {
                expected = xasprintf("sha256:%s", path + strlen("blobs/sha256/"));
                if (!image_digest_valid(expected)) {
                        free(expected);
                        expected = NULL;
                }
        }
        _cleanup_(blob_writer_abortp) BlobWriter *w = NULL;
        int r = blob_writer_begin(l->blobs, expected, size, &w, err);
        if (r < 0)
                return lade_error_wrap(err, "archive: '%s'", path);
        for (;;) {
                ssize_t n = load_data(l, path, err);
                if (n < 0)
                        return (int) n;
                if (n == 0)
                        break;
                if ((r = blob_writer_write(w, l->buf, (size_t) n, err)) < 0)
                        return lade_error_wrap(err, "archive: '%s'", path);
        }
        *ret_size = (int64_t) blob_writer_offset(w);
        if ((r = blob_writer_commit(TAKE_PTR(w), digest, err)) < 0)
                return lade_error_wrap(err, "archive: '%s'", path);
        return 0;
}

static bool load_is_v1_metadata(const char *path)
{
        const char *slash = strchr(path, '/');
        return slash && !strchr(slash + 1, '/') &&
               (streq(slash + 1, "json") || streq(slash + 1, "VERSION"));
}

static int load_regular(LoadReader *l, char *path, struct archive_entry *e, LadeError **err)
{
        _cleanup_free_ char *p = path;
        ArchiveFiles *f = l->files;
        if (streq(p, "manifest.json"))
                return load_metadata(l, p, &f->manifest_json, &f->manifest_json_len, err);
        if (streq(p, "index.json"))
                return load_metadata(l, p, &f->index_json, &f->index_json_len, err);
        if (streq(p, "oci-layout") || streq(p, "repositories") || load_is_v1_metadata(p)) {
                /* read and dropped: oci-layout only marks the format; legacy Docker's
                 * "repositories" and <v1 id>/{json,VERSION} describe v1 ids nothing uses */
                _cleanup_free_ char *data = NULL;
                size_t len;
                f->oci_layout = f->oci_layout || streq(p, "oci-layout");
                return load_metadata(l, p, &data, &len, err);
        }
        int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
        if (size > (int64_t) ARCHIVE_MAX_BYTES)
                return lade_error_msg(err, EFBIG, "archive: '%s' is too large", p);
        char digest[72];
        int r = load_blob(l, p, size, digest, &size, err);
        if (r < 0)
                return r;
        ArchiveFile *file = files_put(f, TAKE_PTR(p));
        memcpy(file->digest, digest, sizeof(digest));
        file->size = size;
        return 0;
}

/* Resolves ".." textually inside the archive; false when it climbs above the root. */
static bool path_resolve(const char *joined, char *out)
{
        size_t o = 0;
        for (const char *p = joined; *p;) {
                size_t n = strcspn(p, "/");
                if (n == 2 && p[0] == '.' && p[1] == '.') {
                        if (o == 0)
                                return false;
                        char *slash = memrchr(out, '/', o);
                        o = slash ? (size_t) (slash - out) : 0;
                } else if (n > 0 && !(n == 1 && p[0] == '.')) {
                        if (o > 0)
                                out[o++] = '/';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p += n;
                p += *p == '/';
        }
        out[o] = '\0';
        return true;
}

/* A symlink's target relative to its directory, as an archive name (legacy Docker archives
 * link "<id>/layer.tar" to "../<other id>/layer.tar"); a hardlink names an archive path. */
static int load_link_target(const char *path, const char *target, bool hard, char **ret,
                            LadeError **err)
{
        if (hard)
                return archive_path_clean(target, ret, err);
        if (target[0] == '/' || strlen(target) > LAYER_PATH_MAX)
                return lade_error_msg(err, EINVAL, "archive: symlink '%s' points outside the archive",
                                      path);
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *joined = slash ? xasprintf("%.*s/%s", (int) (slash - path), path, target)
                                            : xstrdup(target);
        _cleanup_free_ char *out = xmalloc(strlen(joined) + 1);
        if (!path_resolve(joined, out))
                return lade_error_msg(err, EINVAL, "archive: symlink '%s' points outside the archive", path);
        /* and the checks every name gets (control characters, length) */
        return archive_path_clean(out, ret, err);
}

static int load_entry(LoadReader *l, struct archive_entry *e, LadeError **err)
{
        const char *raw = archive_entry_pathname(e);
        if (!raw)
                return lade_error_msg(err, EINVAL, "archive: entry without a name");
        _cleanup_free_ char *path = NULL;
        int r = archive_path_clean(raw, &path, err);
        if (r < 0)
                return r;
        const char *hard = archive_entry_hardlink(e);
        mode_t type = archive_entry_filetype(e);
        if (!*path || (!hard && type != AE_IFLNK && type != AE_IFREG))
                return 0; /* directories, devices, fifos: nothing an image refers to */
        if (!hard && type == AE_IFREG)
                return load_regular(l, TAKE_PTR(path), e, err);
        const char *target = hard ? hard : archive_entry_symlink(e);
        _cleanup_free_ char *link = NULL;
        if (!target || (r = load_link_target(path, target, hard != NULL, &link, err)) < 0)
                return target ? r : lade_error_msg(err, EINVAL, "archive: link '%s' has no target", path);
        ArchiveFile *file = files_put(l->files, TAKE_PTR(path));
        file->link = TAKE_PTR(link);
        return 0;
}

static int load_read(BlobStore *b, int fd, ArchiveFiles *f, LadeError **err)
{
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        int r = load_open(fd, &a, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *buf = xmalloc(ARCHIVE_IO_BLOCK);
        LoadReader l = { .blobs = b, .a = a, .files = f, .buf = buf };
        for (unsigned n = 0;; n++) {
                struct archive_entry *e;
                int ar = archive_read_next_header(a, &e);
                if (ar == ARCHIVE_EOF)
                        return 0;
                if (ar < ARCHIVE_WARN)
                        return lade_error_msg(err, EINVAL, "archive: %s", archive_err(a));
                if (n >= ARCHIVE_MAX_ENTRIES)
                        return lade_error_msg(err, E2BIG, "archive: more than %u entries",
                                              ARCHIVE_MAX_ENTRIES);
                if ((r = load_entry(&l, e, err)) < 0)
                        return r;
        }
}

static int load_plan(ImageStore *s, const ArchiveFiles *f, ArchivePlan *plan, LadeError **err)
{
        int r;
        if (f->manifest_json)
                r = archive_docker_plan(s, f, plan, err);
        else if (f->index_json && f->oci_layout)
                r = archive_layout_plan(s, f, plan, err);
        else if (f->index_json)
                return lade_error_msg(err, EINVAL, "archive has index.json but no oci-layout");
        else
                return lade_error_msg(err, EINVAL, "archive has neither manifest.json nor index.json");
        if (r < 0)
                return r;
        if (plan->n == 0)
                return lade_error_msg(err, EINVAL, "archive holds no image");
        for (size_t i = 0; i < plan->n; i++)
                if ((r = archive_plan_check(s, f, &plan->v[i], err)) < 0)
                        return r;
        return 0;
}

static bool load_image_exists(ImageStore *s, const char *id)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        return image_store_resolve(s, id, &info, NULL) == 0;
}

static void load_removed(void *userdata, const char *what, const char *name)
{
        log_debug("load: undo: %s %s", what, name);
}

/* Removes what a failed load added: the images that were not in the store before it. */
static void load_undo(ImageStore *s, const ArchivePlan *plan, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!plan->v[i].existed && load_image_exists(s, plan->v[i].id))
                        (void) image_store_remove(s, plan->v[i].id, true, load_removed, NULL, NULL);
}

static int load_commit(ImageStore *s, ArchivePlan *plan, LadeError **err)
{
        for (size_t i = 0; i < plan->n; i++)
                plan->v[i].existed = load_image_exists(s, plan->v[i].id);
        for (size_t i = 0; i < plan->n; i++) {
                const ArchivePlanImage *img = &plan->v[i];
                char id[72];
                int r = image_store_commit_manifest(s, img->manifest_digest, img->index_digest, NULL,
                                                    false, id, err);
                if (r < 0) {
                        load_undo(s, plan, i + 1);
                        return lade_error_wrap(err, "load image %s", img->id);
                }
        }
        return 0;
}

static int load_tag(ImageStore *s, const ArchivePlan *plan, LadeError **err)
{
        for (size_t i = 0; i < plan->n; i++)
                for (ImageRef **ref = plan->v[i].refs; *ref; ref++) {
                        int r = image_store_tag(s, plan->v[i].id, *ref, err);
                        if (r < 0) {
                                load_undo(s, plan, plan->n);
                                return lade_error_wrap(err, "tag image %s", plan->v[i].id);
                        }
                }
        return 0;
}

static void load_report(const ArchivePlan *plan, ImageLoadedFn fn, void *userdata)
{
        for (size_t i = 0; fn && i < plan->n; i++) {
                if (!plan->v[i].refs[0])
                        fn(userdata, NULL, plan->v[i].id);
                for (ImageRef **ref = plan->v[i].refs; *ref; ref++) {
                        _cleanup_free_ char *name = image_ref_familiar(*ref);
                        fn(userdata, name, plan->v[i].id);
                }
        }
}

int image_archive_load(ImageStore *s, int fd, ImageLoadedFn fn, void *userdata, LadeError **err)
{
        _cleanup_(archive_files_done) ArchiveFiles f = { 0 };
        _cleanup_(archive_plan_done) ArchivePlan plan = { 0 };
        int r = load_read(image_store_blobs(s), fd, &f, err);
        if (r == 0)
                r = load_plan(s, &f, &plan, err);
        if (r == 0)
                r = load_commit(s, &plan, err);
        if (r == 0)
                r = load_tag(s, &plan, err);
        if (r < 0)
                return r;
        load_report(&plan, fn, userdata);
        return 0;
}
