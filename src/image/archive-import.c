/* `import`: a rootfs tarball read from an fd becomes a one-layer image.
 *
 * The layer blob: a plain tar, or a gzip- or zstd-compressed one, is stored byte for byte as
 * it came (the tee in import_read() feeds every byte libarchive reads, and the rest after the
 * stream, to the blob writer). Any other compression (xz, bzip2, ...) is stored decompressed as
 * a plain tar: layer unpacking reads only gzip and zstd, and a plain tar loses nothing (its
 * digest is then its diff_id). The diff_id is the sha256 of the decompressed stream, as
 * layer_unpack_fd() computes it, which verifies it again when the image is committed.
 *
 * The config is Docker's for `docker import`: architecture/os (host or --platform), created now
 * (RFC 3339, UTC, nanoseconds), one history entry, rootfs.diff_ids, and "config" built from the
 * --change instructions (archive-change.c). */
#include <archive_entry.h>
#include <string.h>
#include <time.h>

#include "archive-internal.h"
#include "blob-store.h"
#include "digest.h"
#include "json-util.h"
#include "util.h"
#include "archive-dl.h"

typedef struct ImportSource {
        int fd;
        BlobWriter *raw;                /* the input as read, while it may be kept */
        LadeError *error;               /* the raw writer's failure, reported instead */
        char *buf;
} ImportSource;

typedef struct ImportLayer {
        char digest[72];
        char diff_id[72];
        int64_t size;
        const char *media_type;
} ImportLayer;

static la_ssize_t import_read(struct archive *a, void *userdata, const void **ret)
{
        ImportSource *src = userdata;
        ssize_t n;
        do
                n = read(src->fd, src->buf, ARCHIVE_IO_BLOCK);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                archive_set_error(a, errno, "read: %s", strerror(errno));
                return -1;
        }
        if (n > 0 && src->raw && blob_writer_write(src->raw, src->buf, (size_t) n, &src->error) < 0) {
                archive_set_error(a, EIO, "%s", lade_error_message(src->error));
                return -1;
        }
        *ret = src->buf;
        return n;
}

static int import_open(ImportSource *src, struct archive **ret, LadeError **err)
{
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();
        if (!a)
                return lade_error(err, ENOMEM, "import: allocate reader");
        (void) archive_read_support_filter_all(a);
        if (archive_read_support_format_raw(a) != ARCHIVE_OK ||
            archive_read_open(a, src, NULL, import_read, NULL) != ARCHIVE_OK)
                return lade_error_msg(err, EINVAL, "import: %s", archive_err(a));
        struct archive_entry *e;
        if (archive_read_next_header(a, &e) != ARCHIVE_OK)
                return lade_error_msg(err, EINVAL, "import: %s", archive_err(a));
        *ret = TAKE_PTR(a);
        return 0;
}

static void import_source_done(ImportSource *src)
{
        src->raw = blob_writer_abort(src->raw);
        src->error = lade_error_free(src->error);
}

/* Which bytes become the blob: the input itself, or (for other compressions) the plain tar. */
static int import_choose(BlobStore *b, struct archive *a, ImportSource *src, BlobWriter **ret_plain,
                         ImportLayer *l, LadeError **err)
{
        switch (archive_filter_code(a, 0)) {
        case ARCHIVE_FILTER_NONE:
                l->media_type = MEDIA_OCI_LAYER;
                return 0;
        case ARCHIVE_FILTER_GZIP:
                l->media_type = MEDIA_OCI_LAYER_GZIP;
                return 0;
        case ARCHIVE_FILTER_ZSTD:
                l->media_type = MEDIA_OCI_LAYER_ZSTD;
                return 0;
        default:
                src->raw = blob_writer_abort(src->raw);
                l->media_type = MEDIA_OCI_LAYER;
                return blob_writer_begin(b, NULL, -1, ret_plain, err);
        }
}

/* The decompressed stream: hashed for the diff_id, and kept when it is the blob. */
static int import_stream(struct archive *a, Sha256 *h, BlobWriter *plain, LadeError **err)
{
        uint64_t total = 0;
        for (;;) {
                const void *buf;
                size_t len;
                la_int64_t off;
                int ar = archive_read_data_block(a, &buf, &len, &off);
                if (ar == ARCHIVE_EOF)
                        break;
                if (ar < ARCHIVE_WARN)
                        return lade_error_msg(err, EINVAL, "import: %s", archive_err(a));
                total += len;
                if (total > LAYER_DEFAULT_MAX_BYTES)
                        return lade_error_msg(err, EFBIG, "import: more than %llu bytes of tar",
                                              (unsigned long long) LAYER_DEFAULT_MAX_BYTES);
                sha256_update(h, buf, len);
                if (plain && blob_writer_write(plain, buf, len, err) < 0)
                        return lade_error_wrap(err, "import");
        }
        if (total == 0)
                return lade_error_msg(err, EINVAL, "import: the input is empty");
        return 0;
}

/* What libarchive did not read (a compressor's trailer padding) still belongs to the blob. */
static int import_drain(ImportSource *src, LadeError **err)
{
        while (src->raw) {
                ssize_t n = read(src->fd, src->buf, ARCHIVE_IO_BLOCK);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return lade_error(err, errno, "import: read");
                if (n == 0)
                        break;
                if (blob_writer_write(src->raw, src->buf, (size_t) n, err) < 0)
                        return lade_error_wrap(err, "import");
        }
        return 0;
}

static int import_layer(ImageStore *s, int fd, ImportLayer *l, LadeError **err)
{
        BlobStore *b = image_store_blobs(s);
        _cleanup_free_ char *buf = xmalloc(ARCHIVE_IO_BLOCK);
        _cleanup_(import_source_done) ImportSource src = { .fd = fd, .buf = buf };
        _cleanup_(blob_writer_abortp) BlobWriter *plain = NULL;
        _cleanup_(sha256_freep) Sha256 *h = sha256_new();
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        int r = blob_writer_begin(b, NULL, -1, &src.raw, err);
        if (r == 0)
                r = import_open(&src, &a, err);
        if (r == 0)
                r = import_choose(b, a, &src, &plain, l, err);
        if (r == 0)
                r = import_stream(a, h, plain, err);
        if (r == 0)
                r = import_drain(&src, err);
        if (r < 0)
                return r;
        BlobWriter *keep = plain ? TAKE_PTR(plain) : TAKE_PTR(src.raw);
        l->size = (int64_t) blob_writer_offset(keep);
        if ((r = blob_writer_commit(keep, l->digest, err)) < 0)
                return lade_error_wrap(err, "import: store layer");
        sha256_final_string(h, l->diff_id);
        return 0;
}

/* Go's time.RFC3339Nano in UTC, as Docker writes "created": trailing zeros of the fraction
 * dropped. */
static char *import_now(void)
{
        struct timespec ts;
        struct tm tm;
        (void) clock_gettime(CLOCK_REALTIME, &ts);
        (void) gmtime_r(&ts.tv_sec, &tm);
        char base[32], frac[24] = "";
        (void) strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        if (ts.tv_nsec > 0) {
                snprintf(frac, sizeof(frac), ".%09ld", (long) (ts.tv_nsec % 1000000000));
                for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
                        frac[n - 1] = '\0';
        }
        return xasprintf("%s%sZ", base, frac);
}

static int import_platform(const ImportOptions *o, Platform *ret, LadeError **err)
{
        if (!o->platform) {
                platform_host(ret);
                return 0;
        }
        int r = platform_parse(o->platform, ret, err);
        return r < 0 ? lade_error_wrap(err, "import: --platform") : 0;
}

/* The image config JSON; `config` (the --change result) is stolen. */
static char *import_config_text(const ImportOptions *o, const Platform *p, json_t *config,
                                const char *diff_id)
{
        _cleanup_free_ char *created = import_now();
        _cleanup_json_ json_t *doc = json_object();
        json_object_set_new(doc, "architecture", json_string(p->architecture));
        if (p->variant)
                json_object_set_new(doc, "variant", json_string(p->variant));
        json_object_set_new(doc, "os", json_string(p->os));
        json_object_set_new(doc, "config", config);
        json_object_set_new(doc, "created", json_string(created));
        json_t *h = json_object();
        json_object_set_new(h, "created", json_string(created));
        json_object_set_new(h, "created_by", json_string(""));
        json_object_set_new(h, "comment", json_string(o->message && *o->message ? o->message
                                                                                : "Imported from -"));
        json_object_set_new(doc, "history", json_pack("[o]", h));
        json_object_set_new(doc, "rootfs", json_pack("{s:s, s:[s]}", "type", "layers", "diff_ids", diff_id));
        return json_dump_compact(doc);
}

static int import_ref(const ImportOptions *o, ImageRef **ret, LadeError **err)
{
        *ret = NULL;
        if (!o->ref)
                return 0;
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        int r = image_ref_parse(o->ref, &ref, err);
        if (r < 0)
                return lade_error_wrap(err, "import");
        if (!ref->tag || ref->digest)
                return lade_error_msg(err, EINVAL, "import: '%s' is not a tag reference", o->ref);
        *ret = TAKE_PTR(ref);
        return 0;
}

static int import_commit(ImageStore *s, const char *config_text, const ImportLayer *l,
                         const ImageRef *ref, char ret_id[static 72], LadeError **err)
{
        BlobStore *b = image_store_blobs(s);
        char cdigest[72], mdigest[72];
        size_t clen = strlen(config_text);
        int r = blob_store_put(b, config_text, clen, cdigest, err);
        if (r < 0)
                return lade_error_wrap(err, "import: store config");
        json_t *layers = json_pack("[o]", archive_descriptor_json(l->media_type, l->digest, l->size));
        r = archive_put_manifest(b, archive_descriptor_json(MEDIA_OCI_CONFIG, cdigest, (int64_t) clen),
                                 layers, mdigest, NULL, NULL, err);
        if (r == 0)
                r = image_store_commit_manifest(s, mdigest, NULL, ref, false, ret_id, err);
        return r < 0 ? lade_error_wrap(err, "import") : 0;
}

int image_archive_import(ImageStore *s, int fd, const ImportOptions *o, char ret_id[static 72],
                         LadeError **err)
{
        static const ImportOptions defaults = { 0 };
        _cleanup_(image_ref_freep) ImageRef *ref = NULL;
        _cleanup_json_ json_t *config = json_object();
        Platform p = { 0 };
        ImportLayer l = { 0 };
        if (!o)
                o = &defaults;
        /* options first: a bad --change must fail before the input is consumed */
        int r = import_ref(o, &ref, err);
        if (r == 0 && (r = archive_apply_changes(config, o->changes, err)) < 0)
                (void) lade_error_wrap(err, "import");
        if (r == 0)
                r = import_platform(o, &p, err);
        if (r == 0)
                r = import_layer(s, fd, &l, err);
        if (r == 0) {
                _cleanup_free_ char *text = import_config_text(o, &p, TAKE_PTR(config), l.diff_id);
                r = import_commit(s, text, &l, ref, ret_id, err);
        }
        platform_done(&p);
        return r;
}
