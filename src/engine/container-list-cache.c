/* The server's cache of the container list (GET /containers/json, `docker ps`): every
 * container's row, reconciled, with its summary rendered to JSON except the Status text, which
 * follows the clock and is rendered per request. One per EnginePool, shared by the request
 * threads under its lock; a request holds a reference on the rows it answers from, so the lock
 * is held only to check or rebuild them.
 *
 * What stays true: a request is answered from cached rows only when nothing a summary shows can
 * have changed since they were read:
 *  - lade.db: `PRAGMA data_version` on the cache's own connection (which never writes) changes
 *    with every commit of any other connection, in this process or another. It is read before
 *    the rows are, and again at every request;
 *  - the liveness of each running container's monitor: a pidfd per monitor, opened when the
 *    rows were read and polled at every request (one poll() for all, no /proc read; a pidfd is
 *    readable once its process is gone, and a reused pid cannot fool it). A monitor killed -9
 *    makes the next list read the rows again, which reconciles its row (exited 255) as an
 *    uncached list does.
 * Rows with an active container whose monitor cannot be watched (gone, yet the row was not
 * reconciled because the container or the monitor's socket still lives) are not kept: that
 * request is answered from them, the next one reads again. An Engine from no pool (the CLI)
 * reads the rows for each call. */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "containers-internal.h"
#include "engine-filters.h"
#include "image-db.h"
#include "json-util.h"
#include "util.h"

typedef struct ListRow {
        ContainerInfo *ci;
        char *head, *tail;          /* the summary's JSON up to `"Status":"`, and from its `",` */
        size_t head_len, tail_len;
} ListRow;

typedef struct ListRows {
        unsigned refs;              /* under the cache's lock when the cache holds them */
        ListRow *rows;
        size_t n;
        struct pollfd *monitors;    /* a pidfd per active row's monitor */
        size_t n_monitors;
        bool watchable;             /* every active row's monitor has its pidfd */
} ListRows;

struct CtrListCache {
        pthread_mutex_t lock;
        sqlite3 *db;                /* ours, only for data_version */
        sqlite3_stmt *version_st;
        int64_t version;            /* data_version when rows were read */
        ListRows *rows;
};

static ListRows *rows_free(ListRows *l)
{
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n; i++) {
                container_info_free(l->rows[i].ci);
                free(l->rows[i].head);
                free(l->rows[i].tail);
        }
        for (size_t i = 0; i < l->n_monitors; i++)
                (void) close(l->monitors[i].fd);
        free(l->rows);
        free(l->monitors);
        free(l);
        return NULL;
}

static void rows_unref(CtrListCache *lc, ListRows *l)
{
        if (lc)
                pthread_mutex_lock(&lc->lock);
        bool last = --l->refs == 0;
        if (lc)
                pthread_mutex_unlock(&lc->lock);
        if (last)
                rows_free(l);
}

/* The summary as two pieces around the Status text. */
static void render(ListRow *row)
{
        _cleanup_json_ json_t *head = engine_container_summary_head(row->ci);
        _cleanup_json_ json_t *tail = engine_container_summary_tail(row->ci);
        _cleanup_free_ char *h = json_dumps(head, JSON_COMPACT);
        _cleanup_free_ char *t = json_dumps(tail, JSON_COMPACT);
        if (!h || !t)
                abort();        /* only allocation fails here: xmalloc's policy */
        /* both objects have members: "{…}" each, the head's "}" and the tail's "{" dropped */
        row->head = xasprintf("%.*s,\"Status\":\"", (int) (strlen(h) - 1), h);
        row->tail = xasprintf("\",%s", t + 1);
        row->head_len = strlen(row->head);
        row->tail_len = strlen(row->tail);
}

static void watch_monitor(ListRows *l, pid_t pid)
{
        int fd = pid > 0 ? (int) syscall(SYS_pidfd_open, pid, 0) : -1;  /* O_CLOEXEC always */
        if (fd < 0) {
                l->watchable = false;
                return;
        }
        l->monitors[l->n_monitors++] = (struct pollfd) { .fd = fd, .events = POLLIN };
}

/* Every row (reconciled by engine_container_list), rendered; with watch, pidfds on monitors. */
static int rows_read(Engine *e, bool watch, ListRows **ret, LadeError **err)
{
        ContainerInfo **l = NULL;
        size_t n = 0;
        int r = engine_container_list(e, true, &l, &n, err);
        if (r < 0)
                return r;
        ListRows *rows = xmalloc0(sizeof(*rows));
        rows->refs = 1;
        rows->n = n;
        rows->rows = xmalloc0((n + 1) * sizeof(*rows->rows));
        rows->monitors = xmalloc0((n + 1) * sizeof(*rows->monitors));
        rows->watchable = watch;
        for (size_t i = 0; i < n; i++) {
                rows->rows[i].ci = l[i];
                render(&rows->rows[i]);
                if (watch && ctr_info_active(l[i]))
                        watch_monitor(rows, l[i]->monitor_pid);
        }
        free(l);        /* the infos are the rows' now */
        *ret = rows;
        return 0;
}

static int read_version(CtrListCache *lc, Engine *e, int64_t *ret)
{
        if (!lc->db && ctr_open_db(e, &lc->db, NULL) < 0)
                return -EIO;
        if (!lc->version_st && sqlite3_prepare_v2(lc->db, "PRAGMA data_version", -1, &lc->version_st, NULL) != SQLITE_OK)
                return -EIO;
        int rc = sqlite3_step(lc->version_st);
        int64_t v = sqlite3_column_int64(lc->version_st, 0);
        /* reset: an open statement would hold a read transaction, and the version with it */
        sqlite3_reset(lc->version_st);
        if (rc != SQLITE_ROW)
                return -EIO;
        *ret = v;
        return 0;
}

static bool monitors_gone(const ListRows *l)
{
        return l->n_monitors > 0 && poll(l->monitors, l->n_monitors, 0) != 0;
}

/* The rows to answer from (a reference the caller drops with rows_unref). */
static int rows_get(CtrListCache *lc, Engine *e, ListRows **ret, LadeError **err)
{
        if (!lc)
                return rows_read(e, false, ret, err);
        pthread_mutex_lock(&lc->lock);
        int64_t v = 0;
        bool versioned = read_version(lc, e, &v) == 0;
        if (lc->rows && versioned && v == lc->version && !monitors_gone(lc->rows)) {
                lc->rows->refs++;
                *ret = lc->rows;
                pthread_mutex_unlock(&lc->lock);
                return 0;
        }
        if (lc->rows && --lc->rows->refs == 0)
                rows_free(lc->rows);
        lc->rows = NULL;
        /* read under the lock: concurrent lists after a change wait for one read, not each do it */
        ListRows *rows = NULL;
        int r = rows_read(e, versioned, &rows, err);
        if (r == 0 && versioned && rows->watchable) {
                rows->refs++;
                lc->rows = rows;
                lc->version = v;
        }
        pthread_mutex_unlock(&lc->lock);
        if (r == 0)
                *ret = rows;
        return r;
}

/* "[" summary "," … "]\n" of the rows q matches, at most limit (> 0) of them. */
static char *body_of(const ListRows *l, const CtrListQuery *q, int64_t limit, size_t *ret_len)
{
        typedef char Status[96];
        _cleanup_free_ Status *status = xmalloc((l->n + 1) * sizeof(*status));
        _cleanup_free_ bool *pick = xmalloc0((l->n + 1) * sizeof(*pick));
        int64_t now = realtime_ns();
        size_t len = 3, k = 0;
        for (size_t i = 0; i < l->n && (limit <= 0 || (int64_t) k < limit); i++) {
                if (!ctr_list_query_match(q, l->rows[i].ci))
                        continue;
                /* plain ASCII (no quote, no backslash): "Up 5 minutes (healthy)", "Exited (0) …" */
                engine_container_status_format(l->rows[i].ci, now, status[i]);
                pick[i] = true;
                len += l->rows[i].head_len + strlen(status[i]) + l->rows[i].tail_len + (k > 0);
                k++;
        }
        char *body = xmalloc(len + 1), *p = body;
        *p++ = '[';
        for (size_t i = 0, j = 0; i < l->n; i++) {
                if (!pick[i])
                        continue;
                if (j++ > 0)
                        *p++ = ',';
                p = mempcpy(p, l->rows[i].head, l->rows[i].head_len);
                p = stpcpy(p, status[i]);
                p = mempcpy(p, l->rows[i].tail, l->rows[i].tail_len);
        }
        p = stpcpy(p, "]\n");
        *ret_len = (size_t) (p - body);
        return body;
}

int engine_container_list_body(Engine *e, bool all, const EngineFilters *f, int64_t limit, char **ret,
                               size_t *ret_len, LadeError **err)
{
        CtrListQuery q;
        int r = ctr_list_query_prepare(e, all, f, &q, err);
        if (r < 0)
                return r;
        CtrListCache *lc = engine_list_cache(e);
        ListRows *rows = NULL;
        if ((r = rows_get(lc, e, &rows, err)) < 0)
                return r;
        *ret = body_of(rows, &q, limit, ret_len);
        rows_unref(lc, rows);
        return 0;
}

CtrListCache *ctr_list_cache_new(void)
{
        CtrListCache *lc = xmalloc0(sizeof(*lc));
        pthread_mutex_init(&lc->lock, NULL);
        return lc;
}

void ctr_list_cache_drop(CtrListCache *lc)
{
        if (!lc)
                return;
        pthread_mutex_lock(&lc->lock);
        ListRows *rows = lc->rows && --lc->rows->refs == 0 ? lc->rows : NULL;
        lc->rows = NULL;
        lc->version_st = image_db_finalize(lc->version_st);
        lc->db = image_db_close(lc->db);
        pthread_mutex_unlock(&lc->lock);
        rows_free(rows);
}

CtrListCache *ctr_list_cache_free(CtrListCache *lc)
{
        if (!lc)
                return NULL;
        ctr_list_cache_drop(lc);
        pthread_mutex_destroy(&lc->lock);
        free(lc);
        return NULL;
}
