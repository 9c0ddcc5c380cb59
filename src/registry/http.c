/* One HTTP exchange with a registry on a libcurl easy handle: options, header capture, bodies in
 * and out, and the words of the errors.
 *
 * What stays true:
 * - Only http and https are spoken, redirects included; at most REGISTRY_REDIRECTS_MAX of them,
 *   and only when the request asks (GET/HEAD). A redirect from https never goes to plain http.
 * - The Authorization header is a custom header, which libcurl drops when a redirect leaves the
 *   host, so a blob redirected to a CDN never carries our token.
 * - Everything the server sends is bounded: REGISTRY_HEADERS_MAX of headers per response,
 *   max_body for a success body, REGISTRY_ERROR_BODY_MAX for an error body. Blob bodies go to a
 *   sink and are bounded by the blob writer's expected size.
 * - Text from the server reaches an error message only through registry_errors_text() or the
 *   reason phrase, both cut short and stripped of control characters. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "json-util.h"
#include "log.h"
#include "registry-internal.h"
#include "util.h"

#define HTTP_CONNECT_TIMEOUT_S 30L
#define HTTP_LOW_SPEED_TIME_S 60L       /* abort a transfer stalled (< 1 byte/s) this long */
#define HTTP_WWW_AUTHENTICATE_MAX 8
#define HTTP_ERROR_TEXT_MAX 200         /* of one registry error message */
#define HTTP_ERRORS_SHOWN 4

static const struct {
        long status;
        const char *reason;
} http_reasons[] = {
        { 400, "Bad Request" },         { 401, "Unauthorized" },
        { 403, "Forbidden" },           { 404, "Not Found" },
        { 405, "Method Not Allowed" },  { 408, "Request Timeout" },
        { 409, "Conflict" },            { 413, "Content Too Large" },
        { 416, "Range Not Satisfiable" }, { 429, "Too Many Requests" },
        { 500, "Internal Server Error" }, { 502, "Bad Gateway" },
        { 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
};

static char *http_free(char *p)
{
        free(p);
        return NULL;
}

static void http_clear_headers(RegistryResponse *r)
{
        r->content_type = http_free(r->content_type);
        r->docker_digest = http_free(r->docker_digest);
        r->location = http_free(r->location);
        r->content_range = http_free(r->content_range);
        r->www_authenticate = strv_free(r->www_authenticate);
        r->reason[0] = '\0';
        r->header_bytes = 0;
}

void registry_response_done(RegistryResponse *r)
{
        http_clear_headers(r);
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
}

/* Copies s (n bytes) for a message: printable ASCII only. */
static void http_copy_printable(char *out, size_t size, const char *s, size_t n)
{
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < size; i++)
                out[k++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
        out[k] = '\0';
}

/* "HTTP/1.1 404 Not Found" (curl's buffer is not NUL-terminated: parse a bounded copy). */
static void http_status_line(RegistryResponse *r, const char *line, size_t n)
{
        char buf[256];
        http_clear_headers(r);
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
                n--;
        if (n >= sizeof(buf))
                n = sizeof(buf) - 1;
        memcpy(buf, line, n);
        buf[n] = '\0';
        char *sp = strchr(buf, ' ');
        if (!sp)
                return;
        r->status = strtol(sp + 1, NULL, 10);
        const char *reason = strchr(sp + 1, ' ');
        if (reason)
                http_copy_printable(r->reason, sizeof(r->reason), reason + 1, strlen(reason + 1));
}

static void http_store_header(RegistryResponse *r, const char *name, size_t name_len,
                              const char *value, size_t n)
{
        static const struct {
                const char *name;
                size_t offset;
        } kept[] = {
                { "content-type", offsetof(RegistryResponse, content_type) },
                { "docker-content-digest", offsetof(RegistryResponse, docker_digest) },
                { "location", offsetof(RegistryResponse, location) },
                { "content-range", offsetof(RegistryResponse, content_range) },
        };
        if (name_len == 16 && strncasecmp(name, "www-authenticate", 16) == 0) {
                _cleanup_free_ char *v = xstrndup(value, n);
                if (strv_length(r->www_authenticate) < HTTP_WWW_AUTHENTICATE_MAX)
                        r->www_authenticate = strv_append(r->www_authenticate, v);
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(kept); i++) {
                if (strlen(kept[i].name) != name_len || strncasecmp(kept[i].name, name, name_len))
                        continue;
                char **slot = (char **) ((char *) r + kept[i].offset);
                free(*slot);
                *slot = xstrndup(value, n);
        }
}

static void http_header_line(RegistryResponse *r, const char *line, size_t n)
{
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n'))
                n--;
        const char *colon = memchr(line, ':', n);
        if (!colon)
                return;
        size_t name_len = (size_t) (colon - line);
        const char *v = colon + 1, *end = line + n;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
                end--;
        http_store_header(r, line, name_len, v, (size_t) (end - v));
}

static size_t http_header_cb(char *buf, size_t size, size_t n, void *userdata)
{
        RegistryResponse *r = userdata;
        size_t len = size * n;
        if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0)
                http_status_line(r, buf, len);
        r->header_bytes += len;
        if (r->header_bytes > REGISTRY_HEADERS_MAX) {
                r->headers_too_large = true;
                return 0;
        }
        http_header_line(r, buf, len);
        return len;
}

static bool http_is_success(long status)
{
        return status >= 200 && status < 300;
}

static size_t http_body_cb(char *data, size_t size, size_t n, void *userdata)
{
        RegistryResponse *r = userdata;
        size_t len = size * n;
        bool ok = http_is_success(r->status);
        if (ok && r->sink)
                return r->sink(r->sink_userdata, data, len);
        size_t max = ok && r->max_body ? r->max_body : REGISTRY_ERROR_BODY_MAX;
        if (r->body_len > max || len > max - r->body_len) {
                if (ok)
                        r->body_too_large = true;
                else
                        r->error_body_cut = true;
                return 0;
        }
        r->body = xrealloc(r->body, r->body_len + len + 1);
        memcpy(r->body + r->body_len, data, len);
        r->body_len += len;
        r->body[r->body_len] = '\0';
        return len;
}

static size_t http_read_cb(char *buf, size_t size, size_t n, void *userdata)
{
        RegistryBody *b = userdata;
        if (!b)
                return 0;
        size_t want = size * n;
        if (want > b->len - b->pos)
                want = (size_t) (b->len - b->pos);
        if (want == 0)
                return 0;
        if (b->data) {
                memcpy(buf, b->data + b->offset + b->pos, want);
        } else {
                ssize_t k;
                do
                        k = pread(b->fd, buf, want, (off_t) (b->offset + b->pos));
                while (k < 0 && errno == EINTR);
                /* A blob file shorter than its size means the store changed under us. */
                if (k <= 0)
                        return CURL_READFUNC_ABORT;
                want = (size_t) k;
        }
        b->pos += want;
        return want;
}

/* Rewinds for a resend (a redirect or an authentication round). */
static int http_seek_cb(void *userdata, curl_off_t offset, int origin)
{
        RegistryBody *b = userdata;
        if (!b || origin != SEEK_SET || offset < 0 || (uint64_t) offset > b->len)
                return CURL_SEEKFUNC_CANTSEEK;
        b->pos = (uint64_t) offset;
        return CURL_SEEKFUNC_OK;
}

/* Records the first failing option: libcurl fails here only for options it lacks, or OOM. */
static void http_set(CURLcode r, CURLcode *first)
{
        if (r != CURLE_OK && *first == CURLE_OK)
                *first = r;
}

static void http_setup_tls(const RegistryHost *h, CURL *e, CURLcode *bad)
{
        if (h->skip_verify) {
                http_set(curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L), bad);
                http_set(curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L), bad);
        }
        if (h->ca_blob) {
                struct curl_blob blob = {
                        .data = h->ca_blob, .len = h->ca_blob_len, .flags = CURL_BLOB_COPY,
                };
                http_set(curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob), bad);
        }
        if (h->client_cert) {
                http_set(curl_easy_setopt(e, CURLOPT_SSLCERT, h->client_cert), bad);
                http_set(curl_easy_setopt(e, CURLOPT_SSLKEY, h->client_key), bad);
        }
}

static void http_setup_method(CURL *e, const RegistryRequest *req, CURLcode *bad)
{
        curl_off_t len = req->body ? (curl_off_t) req->body->len : 0;
        if (streq(req->method, "HEAD")) {
                http_set(curl_easy_setopt(e, CURLOPT_NOBODY, 1L), bad);
                return;
        }
        if (streq(req->method, "GET"))
                return;
        /* Always our own read function: without one, libcurl would upload stdin. */
        http_set(curl_easy_setopt(e, CURLOPT_READFUNCTION, http_read_cb), bad);
        http_set(curl_easy_setopt(e, CURLOPT_READDATA, req->body), bad);
        http_set(curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, http_seek_cb), bad);
        http_set(curl_easy_setopt(e, CURLOPT_SEEKDATA, req->body), bad);
        if (streq(req->method, "POST")) {
                http_set(curl_easy_setopt(e, CURLOPT_POST, 1L), bad);
                http_set(curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, len), bad);
                return;
        }
        http_set(curl_easy_setopt(e, CURLOPT_UPLOAD, 1L), bad);
        http_set(curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, len), bad);
        if (!streq(req->method, "PUT"))
                http_set(curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method), bad);
}

static struct curl_slist *http_add(struct curl_slist *l, const char *name, const char *value)
{
        _cleanup_free_ char *line = xasprintf("%s: %s", name, value);
        struct curl_slist *n = curl_slist_append(l, line);
        if (!n)
                abort();
        return n;
}

static struct curl_slist *http_headers(const RegistryRequest *req)
{
        struct curl_slist *l = NULL;
        if (req->authorization)
                l = http_add(l, "Authorization", req->authorization);
        if (req->accept)
                l = http_add(l, "Accept", req->accept);
        if (req->content_type)
                l = http_add(l, "Content-Type", req->content_type);
        if (req->content_range)
                l = http_add(l, "Content-Range", req->content_range);
        if (req->range_from > 0) {
                char range[48];
                snprintf(range, sizeof(range), "bytes=%" PRId64 "-", req->range_from);
                l = http_add(l, "Range", range);
        }
        /* No "Expect: 100-continue" round trip before bodies. */
        struct curl_slist *n = curl_slist_append(l, "Expect:");
        if (!n)
                abort();
        return n;
}

static void http_setup_common(RegistryClient *c, CURL *e, RegistryResponse *resp, char *errbuf,
                              CURLcode *bad)
{
        http_set(curl_easy_setopt(e, CURLOPT_SHARE, c->share), bad);
        http_set(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L), bad);
        http_set(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"), bad);
        http_set(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf), bad);
        http_set(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb), bad);
        http_set(curl_easy_setopt(e, CURLOPT_HEADERDATA, resp), bad);
        http_set(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_body_cb), bad);
        http_set(curl_easy_setopt(e, CURLOPT_WRITEDATA, resp), bad);
        http_set(curl_easy_setopt(e, CURLOPT_USERAGENT, "lade/" LADE_VERSION), bad);
        http_set(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT_S), bad);
        http_set(curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L), bad);
        http_set(curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, HTTP_LOW_SPEED_TIME_S), bad);
}

int registry_http_setup(RegistryClient *c, const RegistryHost *h, CURL *e,
                        const RegistryRequest *req, RegistryResponse *resp,
                        struct curl_slist **headers, char *errbuf, LadeError **err)
{
        CURLcode bad = CURLE_OK;
        resp->max_body = req->max_body;
        errbuf[0] = '\0';
        http_set(curl_easy_setopt(e, CURLOPT_URL, req->url), &bad);
        http_setup_common(c, e, resp, errbuf, &bad);
        http_setup_tls(h, e, &bad);
        http_setup_method(e, req, &bad);
        if (req->follow) {
                bool https = startswith(req->url, "https://");
                http_set(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L), &bad);
                http_set(curl_easy_setopt(e, CURLOPT_MAXREDIRS, REGISTRY_REDIRECTS_MAX), &bad);
                http_set(curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR,
                                          https ? "https" : "http,https"), &bad);
        }
        *headers = http_headers(req);
        http_set(curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers), &bad);
        if (bad != CURLE_OK)
                return lade_error_msg(err, EINVAL, "%s %s: cannot configure libcurl: %s",
                                      req->method, req->url, curl_easy_strerror(bad));
        return 0;
}

static int http_errno(CURLcode cc)
{
        switch (cc) {
        case CURLE_COULDNT_CONNECT:
                return ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT:
                return ETIMEDOUT;
        case CURLE_TOO_MANY_REDIRECTS:
                return ELOOP;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CACERT_BADFILE:
                return EPROTO;
        default:
                return EIO;
        }
}

int registry_http_result(const RegistryRequest *req, CURLcode cc, const RegistryResponse *resp,
                         const char *errbuf, LadeError **err)
{
        if (resp->headers_too_large)
                return lade_error_msg(err, EPROTO, "%s %s: response headers larger than %u bytes",
                                      req->method, req->url, REGISTRY_HEADERS_MAX);
        size_t max = req->max_body ? req->max_body : (size_t) REGISTRY_ERROR_BODY_MAX;
        if (resp->body_too_large)
                return lade_error_msg(err, EFBIG, "%s %s: response larger than %zu bytes",
                                      req->method, req->url, max);
        if (cc == CURLE_WRITE_ERROR && resp->error_body_cut)
                return 0;
        if (cc != CURLE_OK)
                return lade_error_msg(err, http_errno(cc), "%s %s: %s", req->method, req->url,
                                      errbuf && errbuf[0] ? errbuf : curl_easy_strerror(cc));
        return 0;
}

static CURL *http_easy_free(CURL *e)
{
        if (e)
                curl_easy_cleanup(e);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(CURL *, http_easy_free)

static struct curl_slist *http_slist_free(struct curl_slist *l)
{
        curl_slist_free_all(l);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct curl_slist *, http_slist_free)

int registry_http_perform(RegistryClient *c, const RegistryHost *h, const RegistryRequest *req,
                          RegistryResponse *resp, LadeError **err)
{
        _cleanup_(http_easy_freep) CURL *e = curl_easy_init();
        _cleanup_(http_slist_freep) struct curl_slist *headers = NULL;
        char errbuf[CURL_ERROR_SIZE];
        if (!e)
                return lade_error_msg(err, ENOMEM, "cannot create a libcurl handle");
        int r = registry_http_setup(c, h, e, req, resp, &headers, errbuf, err);
        if (r < 0)
                return r;
        registry_stats_count(c, req->method);
        log_debug("registry: %s %s", req->method, req->url);
        CURLcode cc = curl_easy_perform(e);
        r = registry_http_result(req, cc, resp, errbuf, err);
        if (r >= 0)
                log_debug("registry: %s %s: %ld", req->method, req->url, resp->status);
        return r;
}

/* "MANIFEST_UNKNOWN" + "manifest unknown" -> "manifest unknown" (Docker prints both). */
static char *http_error_item(const json_t *e)
{
        const char *code = json_string_value(json_object_get(e, "code"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        char c[64] = "", m[HTTP_ERROR_TEXT_MAX + 1] = "";
        if (code)
                http_copy_printable(c, sizeof(c), code, strlen(code));
        if (msg)
                http_copy_printable(m, sizeof(m), msg, strlen(msg));
        for (char *p = c; *p; p++)
                *p = *p == '_' ? ' ' : (char) (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        if (!c[0] && !m[0])
                return NULL;
        if (!c[0] || !m[0] || streq(c, m))
                return xstrdup(c[0] ? c : m);
        return xasprintf("%s: %s", c, m);
}

char *registry_errors_text(const char *body, size_t len)
{
        _cleanup_json_ json_t *j = NULL;
        if (!body || len == 0 || json_parse_text(body, len, "errors", &j, NULL) < 0)
                return NULL;
        json_t *errors = json_object_get(j, "errors");
        char *out = NULL;
        for (size_t i = 0; i < json_array_size(errors) && i < HTTP_ERRORS_SHOWN; i++) {
                _cleanup_free_ char *item = http_error_item(json_array_get(errors, i));
                if (!item)
                        continue;
                char *joined = out ? xasprintf("%s; %s", out, item) : TAKE_PTR(item);
                free(out);
                out = joined;
        }
        return out;
}

static int http_status_errno(long status)
{
        if (status == 429)
                return EBUSY;
        return status >= 500 ? EIO : EPROTO;
}

static const char *http_reason(const RegistryResponse *resp)
{
        if (resp->reason[0])
                return resp->reason;
        for (size_t i = 0; i < ELEMENTSOF(http_reasons); i++)
                if (http_reasons[i].status == resp->status)
                        return http_reasons[i].reason;
        return "";
}

int registry_http_error(const RegistryResponse *resp, LadeError **err)
{
        _cleanup_free_ char *text = registry_errors_text(resp->body, resp->body_len);
        switch (resp->status) {
        case 401:
                return lade_error_msg(err, EACCES, "%s",
                                      text ? text : "unauthorized: authentication required");
        case 403:
                return lade_error_msg(err, EPERM, "%s", text ? text : "denied: requested access "
                                      "to the resource is denied");
        case 404:
                return lade_error_msg(err, ENOENT, "%s", text ? text : "not found");
        default:
                return lade_error_msg(err, http_status_errno(resp->status),
                                      "registry answered %ld %s%s%s", resp->status, http_reason(resp),
                                      text ? ": " : "", text ? text : "");
        }
}

char *registry_url_resolve(const char *base, const char *location)
{
        CURLU *u = curl_url();
        char *out = NULL, *scheme = NULL;
        if (!u)
                abort();
        if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
            curl_url_set(u, CURLUPART_URL, location, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
            (streq(scheme, "https") || streq(scheme, "http")) &&
            curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK) {
                char *copy = xstrdup(out);
                curl_free(out);
                out = copy;
        } else
                out = NULL;
        curl_free(scheme);
        curl_url_cleanup(u);
        return out;
}

char *registry_url_add_query(const char *url, const char *name, const char *value)
{
        char *escaped = curl_easy_escape(NULL, value, 0);
        if (!escaped)
                abort();
        char *out = xasprintf("%s%c%s=%s", url, strchr(url, '?') ? '&' : '?', name, escaped);
        curl_free(escaped);
        return out;
}

/* "scheme://host:port" of url, ports made explicit; NULL if it does not parse. */
static char *http_origin(const char *url)
{
        CURLU *u = curl_url();
        char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
        if (!u)
                abort();
        if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
                out = xasprintf("%s://%s:%s", scheme, host, port);
        curl_free(scheme);
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return out;
}

bool registry_url_same_origin(const RegistryHost *h, const char *url)
{
        if (!h->base)
                return false;
        _cleanup_free_ char *a = http_origin(h->base), *b = http_origin(url);
        return a && b && strcasecmp(a, b) == 0;
}

void registry_stats_count(RegistryClient *c, const char *method)
{
        if (streq(method, "GET"))
                c->stats.get++;
        else if (streq(method, "HEAD"))
                c->stats.head++;
        else if (streq(method, "POST"))
                c->stats.post++;
        else if (streq(method, "PUT"))
                c->stats.put++;
        else if (streq(method, "PATCH"))
                c->stats.patch++;
}
