/* A container's filesystem over the API: GET /containers/{id}/changes, /export, HEAD/GET/PUT
 * /containers/{id}/archive, POST /commit — thin wrappers of engine/container-fs.c.
 *
 * What stays true: tar bodies and answers are streamed through an ApiJob (api-job.c), never
 * held in memory; a GET archive answers its errors (404 for a missing path) with a status,
 * since the path is stat'ed before the tar stream starts; a tar that fails midway is cut
 * short, so the client never takes it for complete. */
#include <string.h>

#include <openssl/evp.h>

#include "api-internal.h"
#include "containers.h"
#include "json-util.h"
#include "util.h"

/* ---- changes ---- */

int api_container_changes(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        ContainerChange *v = NULL;
        size_t n = 0;
        int r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_diff(e, req->name, &v, &n, err);
        if (r < 0)
                return r;
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_pack("{s:s,s:i}", "Path", v[i].path, "Kind", (int) v[i].kind));
        container_changes_free(v, n);
        return api_respond_json(req, 200, a);
}

/* ---- export and archive ---- */

typedef struct FsJob {
        ApiServer *server;
        char *name, *path;
        bool export, no_overwrite_dir_non_dir, copy_uidgid;
} FsJob;

static void fs_job_free(void *p)
{
        FsJob *f = p;
        free(f->name);
        free(f->path);
        free(f);
}

static FsJob *fs_job_new(ApiRequest *req, const char *path)
{
        FsJob *f = xmalloc0(sizeof(*f));
        f->server = req->server;
        f->name = xstrdup(req->name);
        f->path = path ? xstrdup(path) : NULL;
        return f;
}

static int fs_read_worker(ApiJob *j, void *ud, LadeError **err)
{
        FsJob *f = ud;
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine_open(f->server, NULL, NULL, NULL, &e, err);
        if (r < 0)
                return r;
        if (f->export)
                return engine_container_export(e, f->name, api_job_output_fd(j), err);
        return engine_container_archive_get(e, f->name, f->path, api_job_output_fd(j), NULL, err);
}

int api_container_export(ApiRequest *req, LadeError **err)
{
        _cleanup_(api_job_unrefp) ApiJob *j = NULL;
        FsJob *f = fs_job_new(req, NULL);
        f->export = true;
        int r = api_job_start(req->server, API_JOB_STREAM_RAW, false, fs_read_worker, f, fs_job_free, &j, err);
        return r < 0 ? r : api_job_respond(req, j, "application/x-tar");
}

/* Docker's httputils.ArchiveFormValues. */
static int archive_path(ApiRequest *req, const char **ret, LadeError **err)
{
        const char *path = api_query(req, "path");
        if (!path || !*path)
                return lade_error_msg(err, EINVAL, "bad parameter: path cannot be empty");
        *ret = path;
        return 0;
}

/* X-Docker-Container-Path-Stat: the stat document as JSON, in standard base64. */
static char *stat_header(json_t *st)
{
        _cleanup_free_ char *s = json_dumps(st, JSON_COMPACT);
        if (!s)
                return NULL;
        size_t n = strlen(s);
        char *out = xmalloc(4 * ((n + 2) / 3) + 1);
        (void) EVP_EncodeBlock((unsigned char *) out, (const unsigned char *) s, (int) n);
        return out;
}

int api_container_archive(ApiRequest *req, LadeError **err)
{
        _cleanup_(engine_freep) Engine *e = NULL;
        _cleanup_json_ json_t *st = NULL;
        const char *path = NULL;
        int r = archive_path(req, &path, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        /* stat first: a missing path is a 404 before any byte of tar */
        if (r == 0)
                r = engine_container_archive_get(e, req->name, path, -1, &st, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *hdr = stat_header(st);
        if (!hdr)
                return lade_error_msg(err, ENOMEM, "cannot encode the path's stat");
        const char *const headers[] = { "X-Docker-Container-Path-Stat", hdr, NULL };
        if (streq(req->method, "HEAD")) {
                struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
                if (!resp)
                        return -ENOMEM;
                MHD_add_response_header(resp, headers[0], headers[1]);
                return api_respond(req, 200, resp);
        }
        e = engine_free(e);
        _cleanup_(api_job_unrefp) ApiJob *j = NULL;
        r = api_job_start(req->server, API_JOB_STREAM_RAW, false, fs_read_worker, fs_job_new(req, path), fs_job_free,
                          &j, err);
        return r < 0 ? r : api_job_respond_headers(req, j, "application/x-tar", headers);
}

static int fs_put_worker(ApiJob *j, void *ud, LadeError **err)
{
        FsJob *f = ud;
        _cleanup_(engine_freep) Engine *e = NULL;
        int r = api_engine_open(f->server, NULL, NULL, NULL, &e, err);
        if (r < 0)
                return r;
        return engine_container_archive_put(e, f->name, f->path, api_job_input_fd(j), f->no_overwrite_dir_non_dir,
                                            f->copy_uidgid, err);
}

/* PUT archive: the job that reads the tar body starts with the request. */
int api_container_archive_put_begin(ApiRequest *req, LadeError **err)
{
        const char *path = NULL;
        int r = archive_path(req, &path, err);
        if (r < 0)
                return r;
        FsJob *f = fs_job_new(req, path);
        f->no_overwrite_dir_non_dir = api_query_bool(req, "noOverwriteDirNonDir");
        f->copy_uidgid = api_query_bool(req, "copyUIDGID");
        return api_job_start(req->server, API_JOB_BUFFER_JSON, true, fs_put_worker, f, fs_job_free, &req->job, err);
}

int api_container_archive_put(ApiRequest *req, LadeError **err)
{
        return api_job_respond(req, req->job, "application/json");
}

/* ---- commit ---- */

/* The body may carry a container config to merge; lade takes changes only, and refuses a
 * config rather than drop it. Empty, null and {} are fine (what clients send without one). */
static int commit_body(ApiRequest *req, LadeError **err)
{
        _cleanup_json_ json_t *body = NULL;
        if (!req->body || req->body_len == 0)
                return 0;
        if (json_parse_text(req->body, req->body_len, "request body", &body, err) < 0)
                return -EINVAL;
        if (json_is_null(body) || (json_is_object(body) && json_object_size(body) == 0))
                return 0;
        if (!json_is_object(body))
                return lade_error_msg(err, EINVAL, "request body: expected a JSON object, got %s",
                                      json_type_name(body));
        return lade_error_msg(err, EINVAL, "commit: a container config in the body is not supported "
                                           "(use the changes parameter)");
}

int api_commit(ApiRequest *req, LadeError **err)
{
        const char *ctr = api_query(req, "container"), *repo = api_query(req, "repo"), *tag = api_query(req, "tag");
        const char *pause = api_query(req, "pause");
        _cleanup_strv_free_ char **changes = api_query_all(req, "changes");
        _cleanup_free_ char *ref = NULL;
        _cleanup_(engine_freep) Engine *e = NULL;
        char id[72];
        if (!ctr || !*ctr)
                return lade_error_msg(err, EINVAL, "bad parameter: container cannot be empty");
        /* a tag without a repository is ignored, as by dockerd */
        if (repo && *repo)
                ref = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
        CommitOptions co = { .ref = ref, .author = api_query(req, "author"), .message = api_query(req, "comment"),
                             .changes = changes, .pause = !pause || !*pause || api_query_bool(req, "pause") };
        int r = commit_body(req, err);
        if (r == 0)
                r = api_engine(req, &e, err);
        if (r == 0)
                r = engine_container_commit(e, ctr, &co, id, err);
        if (r < 0)
                return r;
        return api_respond_json(req, 201, json_pack("{s:s}", "Id", id));
}
