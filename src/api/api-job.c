/* Background jobs of streaming endpoints (pull, push, save, load, import).
 *
 * What stays true:
 * - A job is reference counted: the worker holds one reference, the request one, and the MHD
 *   response one while it streams; the last unref frees it.
 * - The worker never blocks forever on a client that went away: the response's free callback
 *   closes the read end of the output pipe, so the worker's writes fail with EPIPE (SIGPIPE is
 *   blocked in every server thread), and the handler closes the input when the request ends.
 * - The server counts live workers and waits for them before it exits. */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "api-internal.h"
#include "json-util.h"
#include "log.h"
#include "util.h"

#define JOB_PIPE_SIZE (1 << 20)

struct ApiJob {
        ApiServer *server;
        ApiJobOutput mode;
        ApiJobFn fn;
        void *userdata;
        void (*free_userdata)(void *);
        pthread_mutex_t lock;
        pthread_cond_t cond;
        unsigned refs;
        int in_r, in_w;               /* request body -> worker */
        int out_r, out_w;             /* worker -> response (STREAM modes) */
        int client_fd;                /* the connection, watched for a client that left */
        char *buf;                    /* BUFFER mode output */
        size_t buf_len;
        bool wrote;                   /* some output was produced */
        bool done, cancelled;
        int result;
        LadeError *error;
};

static void job_free(ApiJob *j)
{
        safe_close(j->in_r);
        safe_close(j->in_w);
        safe_close(j->out_r);
        safe_close(j->out_w);
        if (j->free_userdata)
                j->free_userdata(j->userdata);
        lade_error_free(j->error);
        free(j->buf);
        pthread_mutex_destroy(&j->lock);
        pthread_cond_destroy(&j->cond);
        free(j);
}

ApiJob *api_job_unref(ApiJob *j)
{
        if (!j)
                return NULL;
        pthread_mutex_lock(&j->lock);
        bool last = --j->refs == 0;
        pthread_mutex_unlock(&j->lock);
        if (last)
                job_free(j);
        return NULL;
}

static ApiJob *job_ref(ApiJob *j)
{
        pthread_mutex_lock(&j->lock);
        j->refs++;
        pthread_mutex_unlock(&j->lock);
        return j;
}

static int job_write(ApiJob *j, const char *data, size_t len)
{
        if (j->mode == API_JOB_BUFFER_JSON) {
                pthread_mutex_lock(&j->lock);
                j->buf = xrealloc(j->buf, j->buf_len + len + 1);
                memcpy(j->buf + j->buf_len, data, len);
                j->buf_len += len;
                j->wrote = true;
                pthread_mutex_unlock(&j->lock);
                return 0;
        }
        int r = write_all(j->out_w, data, len);
        pthread_mutex_lock(&j->lock);
        if (r == -EPIPE)
                j->cancelled = true;
        else if (r == 0)
                j->wrote = true;
        pthread_mutex_unlock(&j->lock);
        return r;
}

int api_job_write_json(ApiJob *j, json_t *line)
{
        _cleanup_free_ char *s = json_dumps(line, JSON_COMPACT);
        json_decref(line);
        if (!s)
                return -ENOMEM;
        size_t len = strlen(s);
        s = xrealloc(s, len + 3);
        memcpy(s + len, "\r\n", 3);
        return job_write(j, s, len + 2);
}

static void *job_main(void *p)
{
        ApiJob *j = p;
        LadeError *err = NULL;
        int r = j->fn(j, j->userdata, &err);
        /* the worker read what it wanted: a client still sending gets EPIPE, not a hang */
        j->in_r = safe_close(j->in_r);
        pthread_mutex_lock(&j->lock);
        bool wrote = j->wrote;
        pthread_mutex_unlock(&j->lock);
        if (r < 0 && wrote && j->mode != API_JOB_STREAM_RAW) {
                const char *msg = lade_error_message(err);
                (void) api_job_write_json(j, json_pack("{s:{s:s},s:s}", "errorDetail", "message", msg, "error", msg));
        }
        pthread_mutex_lock(&j->lock);
        j->done = true;
        j->result = r;
        j->error = err;
        j->out_w = safe_close(j->out_w);
        pthread_cond_broadcast(&j->cond);
        pthread_mutex_unlock(&j->lock);
        ApiServer *s = j->server;
        api_job_unref(j);
        pthread_mutex_lock(&s->lock);
        s->jobs--;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        return NULL;
}

static int job_pipe(int *r, int *w, LadeError **err)
{
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return lade_error(err, errno, "pipe");
        (void) fcntl(fds[1], F_SETPIPE_SZ, JOB_PIPE_SIZE);
        *r = fds[0];
        *w = fds[1];
        return 0;
}

int api_job_start(ApiServer *s, ApiJobOutput mode, bool with_input, ApiJobFn fn, void *userdata,
                  void (*free_userdata)(void *), ApiJob **ret, LadeError **err)
{
        ApiJob *j = xmalloc0(sizeof(*j));
        *j = (ApiJob){ .server = s, .mode = mode, .fn = fn, .userdata = userdata, .free_userdata = free_userdata,
                       .refs = 2, .in_r = -EBADF, .in_w = -EBADF, .out_r = -EBADF, .out_w = -EBADF,
                       .client_fd = -EBADF };
        pthread_mutex_init(&j->lock, NULL);
        pthread_cond_init(&j->cond, NULL);
        int r = 0;
        if (with_input)
                r = job_pipe(&j->in_r, &j->in_w, err);
        if (r == 0 && mode != API_JOB_BUFFER_JSON)
                r = job_pipe(&j->out_r, &j->out_w, err);
        pthread_attr_t attr;
        pthread_t t;
        if (r == 0) {
                pthread_attr_init(&attr);
                pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                pthread_mutex_lock(&s->lock);
                s->jobs++;
                pthread_mutex_unlock(&s->lock);
                int e = pthread_create(&t, &attr, job_main, j);
                pthread_attr_destroy(&attr);
                if (e != 0) {
                        pthread_mutex_lock(&s->lock);
                        s->jobs--;
                        pthread_mutex_unlock(&s->lock);
                        r = lade_error(err, e, "start a worker thread");
                }
        }
        if (r < 0) {
                j->refs = 1;
                job_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

int api_job_input_fd(ApiJob *j)
{
        return j->in_r;
}

int api_job_output_fd(ApiJob *j)
{
        return j->out_w;
}

bool api_job_cancelled(ApiJob *j)
{
        pthread_mutex_lock(&j->lock);
        bool c = j->cancelled;
        pthread_mutex_unlock(&j->lock);
        return c;
}

int api_job_feed(ApiJob *j, const char *data, size_t len)
{
        if (j->in_w < 0)
                return -EPIPE;
        int r = write_all(j->in_w, data, len);
        if (r < 0)
                j->in_w = safe_close(j->in_w);
        return r;
}

void api_job_end_input(ApiJob *j)
{
        j->in_w = safe_close(j->in_w);
}

/* Waits until out_r is readable; false when the client hung up first (a silent stream — logs
 * -f, attach, wait — must notice a client that left, or its worker would wait forever). */
static bool job_poll(ApiJob *j)
{
        for (;;) {
                struct pollfd p[2] = { { .fd = j->out_r, .events = POLLIN },
                                       { .fd = j->client_fd, .events = POLLRDHUP } };
                int n = poll(p, j->client_fd >= 0 ? 2 : 1, -1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return false;
                if (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
                        return false;
                if (p[0].revents)
                        return true;
        }
}

static ssize_t job_read(void *cls, uint64_t pos, char *buf, size_t max)
{
        ApiJob *j = cls;
        ssize_t n;
        if (!job_poll(j))
                return MHD_CONTENT_READER_END_WITH_ERROR;
        do
                n = read(j->out_r, buf, max);
        while (n < 0 && errno == EINTR);
        if (n > 0)
                return n;
        if (n == 0) {
                pthread_mutex_lock(&j->lock);
                bool failed = j->done && j->result < 0;
                pthread_mutex_unlock(&j->lock);
                /* a raw stream (a tar) that failed must not look complete */
                return failed && j->mode == API_JOB_STREAM_RAW ? MHD_CONTENT_READER_END_WITH_ERROR
                                                                 : MHD_CONTENT_READER_END_OF_STREAM;
        }
        return MHD_CONTENT_READER_END_WITH_ERROR;
}

static void job_response_free(void *cls)
{
        ApiJob *j = cls;
        /* the client is gone or got everything: the worker's next write fails */
        j->out_r = safe_close(j->out_r);
        api_job_unref(j);
}

/* Waits until the job has output to send or has ended. */
static void job_wait_first(ApiJob *j)
{
        if (j->mode == API_JOB_BUFFER_JSON) {
                pthread_mutex_lock(&j->lock);
                while (!j->done)
                        pthread_cond_wait(&j->cond, &j->lock);
                pthread_mutex_unlock(&j->lock);
                return;
        }
        (void) job_poll(j);
}

int api_job_respond_headers(ApiRequest *req, ApiJob *j, const char *content_type, const char *const *headers)
{
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        j->client_fd = ci ? ci->connect_fd : -EBADF;
        job_wait_first(j);
        int avail = 0;
        if (j->mode != API_JOB_BUFFER_JSON && ioctl(j->out_r, FIONREAD, &avail) < 0)
                avail = 0;
        pthread_mutex_lock(&j->lock);
        /* poll saw EOF (no data): the worker is done, its error becomes the status */
        bool failed_early = j->done && j->result < 0 && (j->mode == API_JOB_BUFFER_JSON ? !j->wrote : avail == 0);
        pthread_mutex_unlock(&j->lock);
        if (failed_early)
                return api_respond_lade_error(req, j->error);
        struct MHD_Response *resp;
        if (j->mode == API_JOB_BUFFER_JSON)
                resp = MHD_create_response_from_buffer(j->buf_len, j->buf ? j->buf : (char *) "",
                                                       MHD_RESPMEM_MUST_COPY);
        else {
                resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, job_read, job_ref(j),
                                                         job_response_free);
                if (!resp)
                        api_job_unref(j);
                /* a stream may stay silent for long (a big layer unpacking): no idle timeout */
                (void) MHD_set_connection_option(req->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
        }
        if (!resp)
                return api_respond_error(req, 500, "cannot create a response");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        for (size_t k = 0; headers && headers[k] && headers[k + 1]; k += 2)
                MHD_add_response_header(resp, headers[k], headers[k + 1]);
        return api_respond(req, 200, resp);
}

int api_job_respond(ApiRequest *req, ApiJob *j, const char *content_type)
{
        return api_job_respond_headers(req, j, content_type, NULL);
}
