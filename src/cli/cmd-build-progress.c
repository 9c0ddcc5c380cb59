/* `lade build`'s progress: a record per vertex (name, state, times, its output lines), fed by
 * build_run()'s callbacks (one at a time, from the build's threads) and drawn either as BuildKit's
 * plain lines as events come, or as a live view that a ticker thread redraws in place at most
 * every 100 ms (ANSI cursor up, erase line; lines cut to the terminal's width so none wraps).
 * Output lines are kept per vertex (the last PROGRESS_KEEP_LINES) so that a failing step's output
 * can be shown whole at the end. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cmd-build-progress.h"
#include "util.h"

#define PROGRESS_TAIL_PLAIN 10       /* lines of a failing step in plain mode's box (BuildKit) */
#define PROGRESS_TAIL_LIVE 6         /* lines of a running step in the live view */
#define PROGRESS_KEEP_LINES 10000u   /* lines kept per step */
#define PROGRESS_LINE_MAX 4096u      /* a longer output line is cut */
#define PROGRESS_TICK_NS 100000000   /* 10 redraws a second at most */

typedef enum VertexState {
        VERTEX_QUEUED,
        VERTEX_RUNNING,
        VERTEX_CACHED,
        VERTEX_DONE,
        VERTEX_ERROR,
        VERTEX_CANCELED,
} VertexState;

typedef struct Vertex {
        unsigned id;
        char *name;
        VertexState state;
        uint64_t start_ns, duration_ns;
        char *partial[2];          /* an unfinished line per stream */
        size_t partial_len[2];
        char **lines;              /* lines[first..n) are kept */
        size_t first, n;
} Vertex;

struct BuildProgress {
        BuildProgressMode mode;
        FILE *f;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        pthread_t ticker;
        bool ticking, stop, dirty;
        Vertex *v;
        size_t n_v;
        unsigned failed;           /* the vertex that failed first, 0 none */
        char **warnings;           /* tty: shown at the end */
        size_t drawn;              /* lines of the last frame */
        uint64_t start_ns;
};

BuildProgressMode build_progress_mode(const char *name, FILE *f)
{
        if (!name || streq(name, "auto")) {
                const char *term = getenv("TERM");
                return isatty(fileno(f)) && !(term && streq(term, "dumb")) ? BUILD_PROGRESS_TTY
                                                                         : BUILD_PROGRESS_PLAIN;
        }
        if (streq(name, "tty"))
                return BUILD_PROGRESS_TTY;
        if (streq(name, "quiet"))
                return BUILD_PROGRESS_QUIET;
        return BUILD_PROGRESS_PLAIN;
}

/* The vertices are kept sorted by number: a stage's steps have consecutive numbers, so the live
 * view shows each stage's steps together. The pointer is valid until the next call. */
static Vertex *vertex_get(BuildProgress *p, unsigned id, const char *name)
{
        size_t k = 0;
        while (k < p->n_v && p->v[k].id < id)
                k++;
        if (k < p->n_v && p->v[k].id == id)
                return &p->v[k];
        p->v = xreallocarray(p->v, p->n_v + 1, sizeof(Vertex));
        memmove(p->v + k + 1, p->v + k, (p->n_v - k) * sizeof(Vertex));
        p->n_v++;
        p->v[k] = (Vertex) { .id = id, .name = xstrdup(name ? name : "") };
        return &p->v[k];
}

static void vertex_add_line(Vertex *x, const char *line, size_t len)
{
        if (x->n - x->first == PROGRESS_KEEP_LINES) {
                free(x->lines[x->first]);
                x->lines[x->first++] = NULL;
        }
        if (x->first > 0 && x->first * 2 >= x->n) {
                memmove(x->lines, x->lines + x->first, (x->n - x->first) * sizeof(char *));
                x->n -= x->first;
                x->first = 0;
        }
        x->lines = xrealloc(x->lines, (x->n + 1) * sizeof(char *));
        x->lines[x->n++] = xstrndup(line, len);
}

/* Appends output to the vertex's lines (plain mode prints each complete line as it comes). */
static void vertex_feed(BuildProgress *p, Vertex *x, int s, uint64_t elapsed_ns, const char *data, size_t len)
{
        for (size_t k = 0; k < len; k++) {
                bool end = data[k] == '\n';
                if (!end && x->partial_len[s] < PROGRESS_LINE_MAX) {
                        if (!x->partial[s])
                                x->partial[s] = xmalloc(PROGRESS_LINE_MAX + 1);
                        x->partial[s][x->partial_len[s]++] = data[k];
                }
                if (!end)
                        continue;
                const char *l = x->partial[s] ? x->partial[s] : "";
                vertex_add_line(x, l, x->partial_len[s]);
                if (p->mode == BUILD_PROGRESS_PLAIN)
                        fprintf(p->f, "#%u %.3f %.*s\n", x->id, (double) elapsed_ns / 1e9, (int) x->partial_len[s], l);
                x->partial_len[s] = 0;
        }
}

static void vertex_flush(BuildProgress *p, Vertex *x)
{
        for (int s = 0; s < 2; s++)
                if (x->partial_len[s] > 0)
                        vertex_feed(p, x, s, p->mode == BUILD_PROGRESS_PLAIN ? now_ns() - x->start_ns : 0, "\n", 1);
}

static void on_output(unsigned vertex, int stream, uint64_t elapsed_ns, const char *data, size_t len,
                      void *userdata)
{
        BuildProgress *p = userdata;
        pthread_mutex_lock(&p->lock);
        vertex_feed(p, vertex_get(p, vertex, NULL), stream == 2 ? 1 : 0, elapsed_ns, data, len);
        p->dirty = true;
        if (p->mode == BUILD_PROGRESS_PLAIN)
                fflush(p->f);
        pthread_mutex_unlock(&p->lock);
}

static void plain_event(BuildProgress *p, const BuildEvent *ev)
{
        switch (ev->kind) {
        case BUILD_EVENT_START: fprintf(p->f, "#%u %s\n", ev->vertex, ev->name); break;
        case BUILD_EVENT_CACHED: fprintf(p->f, "#%u CACHED\n\n", ev->vertex); break;
        case BUILD_EVENT_DONE: fprintf(p->f, "#%u DONE %.1fs\n\n", ev->vertex, (double) ev->duration_ns / 1e9); break;
        case BUILD_EVENT_ERROR: fprintf(p->f, "#%u ERROR: %s\n", ev->vertex, ev->error ? ev->error : ""); break;
        case BUILD_EVENT_CANCELED: fprintf(p->f, "#%u CANCELED\n\n", ev->vertex); break;
        case BUILD_EVENT_WARNING: fprintf(p->f, "%s\n", ev->error); break;
        default: break;
        }
        fflush(p->f);
}

static void on_event(const BuildEvent *ev, void *userdata)
{
        BuildProgress *p = userdata;
        pthread_mutex_lock(&p->lock);
        if (ev->kind == BUILD_EVENT_WARNING) {
                if (p->mode == BUILD_PROGRESS_TTY)
                        p->warnings = strv_append(p->warnings, ev->error ? ev->error : "");
        } else {
                Vertex *x = vertex_get(p, ev->vertex, ev->name);
                if (ev->kind != BUILD_EVENT_QUEUED && ev->kind != BUILD_EVENT_START)
                        vertex_flush(p, x);
                switch (ev->kind) {
                case BUILD_EVENT_QUEUED: x->state = VERTEX_QUEUED; break;
                case BUILD_EVENT_START: x->state = VERTEX_RUNNING; x->start_ns = now_ns(); break;
                case BUILD_EVENT_CACHED: x->state = VERTEX_CACHED; break;
                case BUILD_EVENT_DONE: x->state = VERTEX_DONE; break;
                case BUILD_EVENT_ERROR: x->state = VERTEX_ERROR; break;
                case BUILD_EVENT_CANCELED: x->state = VERTEX_CANCELED; break;
                default: break;
                }
                x->duration_ns = ev->duration_ns;
                if (ev->kind == BUILD_EVENT_ERROR && !p->failed)
                        p->failed = ev->vertex;
        }
        if (p->mode == BUILD_PROGRESS_PLAIN)
                plain_event(p, ev);
        p->dirty = true;
        pthread_mutex_unlock(&p->lock);
}

/* ---- the live view ---- */

typedef struct Frame {
        char **lines;
        bool *finished;            /* the line belongs to a finished step (dropped first) */
        size_t n;
} Frame;

static void frame_add(Frame *fr, char *line, bool finished)
{
        fr->lines = xrealloc(fr->lines, (fr->n + 1) * sizeof(char *));
        fr->finished = xrealloc(fr->finished, (fr->n + 1) * sizeof(bool));
        fr->lines[fr->n] = line;
        fr->finished[fr->n++] = finished;
}

static void frame_done(Frame *fr)
{
        for (size_t k = 0; k < fr->n; k++)
                free(fr->lines[k]);
        free(fr->lines);
        free(fr->finished);
}

/* What the terminal shows of an output line: after its last \r, control characters as spaces. */
static char *printable(const char *s, size_t max)
{
        const char *cr = strrchr(s, '\r');
        if (cr)
                s = cr + 1;
        char *r = xstrndup(s, max);
        for (char *c = r; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = ' ';
        return r;
}

/* At most `cols` columns (UTF-8 continuation bytes take none); cut at a character boundary. */
static size_t fit(const char *s, size_t cols)
{
        size_t n = 0, used = 0;
        for (; s[n]; n++) {
                if (((unsigned char) s[n] & 0xc0) == 0x80)
                        continue;
                if (used == cols)
                        break;
                used++;
        }
        return n;
}

static char *status_text(const Vertex *x, uint64_t now)
{
        double d = (double) x->duration_ns / 1e9;
        switch (x->state) {
        case VERTEX_QUEUED: return xstrdup("waiting");
        case VERTEX_RUNNING: return xasprintf("running %.1fs", (double) (now - x->start_ns) / 1e9);
        case VERTEX_CACHED: return xstrdup("CACHED");
        case VERTEX_DONE: return xasprintf("DONE %.1fs", d);
        case VERTEX_ERROR: return xasprintf("ERROR %.1fs", d);
        default: return xstrdup("CANCELED");
        }
}

static char *step_line(const Vertex *x, size_t cols, uint64_t now)
{
        _cleanup_free_ char *status = status_text(x, now);
        _cleanup_free_ char *name = printable(x->name, PROGRESS_LINE_MAX);
        size_t room = cols > strlen(status) + 6 ? cols - strlen(status) - 6 : 0;
        size_t n = fit(name, room), shown = 0;
        for (size_t k = 0; k < n; k++)
                shown += ((unsigned char) name[k] & 0xc0) != 0x80;
        return xasprintf(" => %.*s%*s %s", (int) n, name, (int) (room - shown), "", status);
}

static void frame_build(BuildProgress *p, Frame *fr, size_t cols, bool final)
{
        uint64_t now = now_ns();
        size_t finished = 0;
        for (size_t k = 0; k < p->n_v; k++)
                finished += p->v[k].state >= VERTEX_CACHED;
        bool ok = final && !p->failed;
        frame_add(fr, xasprintf("[+] Building %.1fs (%zu/%zu)%s", (double) (now - p->start_ns) / 1e9,
                                finished, p->n_v, ok ? " FINISHED" : ""), false);
        for (size_t k = 0; k < p->n_v; k++) {
                const Vertex *x = &p->v[k];
                frame_add(fr, step_line(x, cols, now), x->state >= VERTEX_CACHED);
                if (x->state != VERTEX_RUNNING)
                        continue;
                size_t from = x->n - x->first > PROGRESS_TAIL_LIVE ? x->n - PROGRESS_TAIL_LIVE : x->first;
                for (size_t l = from; l < x->n; l++) {
                        _cleanup_free_ char *t = printable(x->lines[l], PROGRESS_LINE_MAX);
                        size_t room = cols > 10 ? cols - 10 : 0;
                        frame_add(fr, xasprintf(" => => # %.*s", (int) fit(t, room), t), false);
                }
        }
}

/* Drops lines of finished steps (oldest first), then any, until the frame fits in rows. */
static void frame_fit(Frame *fr, size_t rows)
{
        for (size_t k = 1; fr->n > rows && k < fr->n;) {
                if (!fr->finished[k]) {
                        k++;
                        continue;
                }
                free(fr->lines[k]);
                memmove(fr->lines + k, fr->lines + k + 1, (fr->n - k - 1) * sizeof(char *));
                memmove(fr->finished + k, fr->finished + k + 1, (fr->n - k - 1) * sizeof(bool));
                fr->n--;
        }
        while (fr->n > rows && fr->n > 1) {
                free(fr->lines[fr->n - 1]);
                fr->n--;
        }
}

static void draw(BuildProgress *p, bool final)
{
        struct winsize ws = { 0 };
        size_t cols = 80, rows = 24;
        if (ioctl(fileno(p->f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
                cols = ws.ws_col;
                rows = ws.ws_row > 0 ? ws.ws_row : rows;
        }
        _cleanup_(frame_done) Frame fr = { 0 };
        frame_build(p, &fr, cols, final);
        if (!final)
                frame_fit(&fr, rows > 2 ? rows - 1 : 1);
        if (p->drawn > 0)
                fprintf(p->f, "\x1b[%zuA", p->drawn);
        for (size_t k = 0; k < fr.n; k++)
                fprintf(p->f, "\r\x1b[2K%s\n", fr.lines[k]);
        fputs("\x1b[J", p->f);
        fflush(p->f);
        p->drawn = fr.n;
        p->dirty = false;
}

static bool any_running(BuildProgress *p)
{
        for (size_t k = 0; k < p->n_v; k++)
                if (p->v[k].state == VERTEX_RUNNING)
                        return true;
        return false;
}

static void *ticker_main(void *userdata)
{
        BuildProgress *p = userdata;
        pthread_mutex_lock(&p->lock);
        while (!p->stop) {
                if (p->dirty || any_running(p))
                        draw(p, false);
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += PROGRESS_TICK_NS;
                if (ts.tv_nsec >= 1000000000) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000;
                }
                (void) pthread_cond_timedwait(&p->cond, &p->lock, &ts);
        }
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

BuildProgress *build_progress_new(BuildProgressMode mode, FILE *f, BuildOptions *o)
{
        BuildProgress *p = xmalloc0(sizeof(*p));
        *p = (BuildProgress) { .mode = mode, .f = f, .lock = PTHREAD_MUTEX_INITIALIZER,
                               .cond = PTHREAD_COND_INITIALIZER, .start_ns = now_ns() };
        o->progress = on_event;
        o->output = on_output;
        o->userdata = p;
        if (mode == BUILD_PROGRESS_TTY) {
                fputs("\x1b[?25l", f);      /* the cursor hidden while the view is redrawn */
                p->ticking = pthread_create(&p->ticker, NULL, ticker_main, p) == 0;
        }
        return p;
}

static void print_failure(BuildProgress *p, const LadeError *err)
{
        const Vertex *x = NULL;
        for (size_t k = 0; k < p->n_v && p->failed; k++)
                if (p->v[k].id == p->failed)
                        x = &p->v[k];
        if (x) {
                size_t tail = p->mode == BUILD_PROGRESS_TTY ? PROGRESS_KEEP_LINES : PROGRESS_TAIL_PLAIN;
                size_t from = x->n - x->first > tail ? x->n - tail : x->first;
                fprintf(p->f, "------\n > %s:\n", x->name);
                if (x->first > 0 && p->mode == BUILD_PROGRESS_TTY)
                        fprintf(p->f, "(%zu earlier lines not kept)\n", x->first);
                for (size_t k = from; k < x->n; k++)
                        fprintf(p->f, "%s\n", x->lines[k]);
                fprintf(p->f, "------\n");
        }
        fprintf(p->f, "ERROR: failed to solve: %s\n", lade_error_message(err));
}

void build_progress_finish(BuildProgress *p, const char *id, char *const *tags, const LadeError *err)
{
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        if (p->ticking)
                pthread_join(p->ticker, NULL);
        p->ticking = false;
        if (p->mode == BUILD_PROGRESS_TTY) {
                draw(p, true);
                fputs("\x1b[?25h", p->f);
                for (char **w = p->warnings; w && *w; w++)
                        fprintf(p->f, "%s\n", *w);
        }
        if (err)
                print_failure(p, err);
        else if (p->mode != BUILD_PROGRESS_QUIET) {
                fprintf(p->f, "writing image %s done\n", id);
                for (char *const *t = tags; t && *t; t++)
                        fprintf(p->f, "naming to %s done\n", *t);
        }
        fflush(p->f);
}

BuildProgress *build_progress_free(BuildProgress *p)
{
        if (!p)
                return NULL;
        if (p->ticking) {
                pthread_mutex_lock(&p->lock);
                p->stop = true;
                pthread_cond_broadcast(&p->cond);
                pthread_mutex_unlock(&p->lock);
                pthread_join(p->ticker, NULL);
        }
        for (size_t k = 0; k < p->n_v; k++) {
                Vertex *x = &p->v[k];
                free(x->name);
                free(x->partial[0]);
                free(x->partial[1]);
                for (size_t l = x->first; l < x->n; l++)
                        free(x->lines[l]);
                free(x->lines);
        }
        free(p->v);
        strv_free(p->warnings);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->cond);
        free(p);
        return NULL;
}
