/* `events` (`system events`): the engine's events table as the docker CLI prints /events — from
 * now on (or from --since), until --until or ^C; each line "TIME TYPE ACTION ID (k=v, …)" with
 * the time in RFC 3339 with nanoseconds, or per --format (a Go template on Docker's event
 * message, or "json"). */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "engine-events.h"
#include "engine-filters.h"
#include "format.h"
#include "json-util.h"
#include "util.h"

/* jsonmessage.RFC3339NanoFixed in the local zone: 2026-11-29T19:47:03.642688160Z / +01:00 */
static void print_time(int64_t ns)
{
        time_t s = (time_t) (ns / 1000000000);
        struct tm tm;
        localtime_r(&s, &tm);
        char date[32], zone[24];
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        long off = tm.tm_gmtoff;
        if (off == 0)
                snprintf(zone, sizeof(zone), "Z");
        else
                snprintf(zone, sizeof(zone), "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600, labs(off) % 3600 / 60);
        printf("%s.%09lld%s ", date, (long long) (ns % 1000000000), zone);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void print_plain(const EngineEvent *ev)
{
        print_time(ev->time_ns);
        printf("%s %s %s", ev->type, ev->action, ev->actor_id ? ev->actor_id : "");
        size_t n = json_object_size(ev->attributes);
        if (n > 0) {
                const char **keys = xmalloc0(n * sizeof(*keys));
                size_t k = 0;
                const char *key;
                json_t *v;
                json_object_foreach(ev->attributes, key, v)
                        keys[k++] = key;
                qsort(keys, k, sizeof(*keys), cmp_str);
                printf(" (");
                for (size_t i = 0; i < k; i++) {
                        json_t *val = json_object_get(ev->attributes, keys[i]);
                        printf("%s%s=%s", i ? ", " : "", keys[i], json_is_string(val) ? json_string_value(val) : "");
                }
                printf(")");
                free(keys);
        }
        printf("\n");
}

/* What a template sees: Go's events.Message, its fields by their Go names (the JSON has
 * status, id, from, scope, time, timeNano, and leaves out the empty legacy ones, which a
 * struct still has: "" there). */
static json_t *template_view(json_t *j)
{
        static const char *const names[][2] = { { "status", "Status" }, { "id", "ID" }, { "from", "From" },
                                                { "scope", "Scope" }, { "time", "Time" },
                                                { "timeNano", "TimeNano" } };
        json_t *v = json_copy(j);
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                json_t *x = json_object_get(v, names[i][0]);
                json_object_set_new(v, names[i][1], x ? json_incref(x) : i < 4 ? json_string("") : json_integer(0));
                json_object_del(v, names[i][0]);
        }
        return v;
}

/* One event per --format; false when the template fails (the error is printed). */
static bool print_event(const EngineEvent *ev, const char *format)
{
        if (!format) {
                print_plain(ev);
                return true;
        }
        _cleanup_json_ json_t *j = engine_event_json(ev), *_view = NULL;
        _cleanup_free_ char *line = NULL;
        LadeError *err = NULL;
        if (streq(format, "json")) {
                line = json_dumps(j, JSON_COMPACT);
        } else if (format_template(format, _view = template_view(j), &line, &err) < 0) {
                fprintf(stderr, "template parsing error: %s\n", lade_error_message(err));
                lade_error_free(err);
                return false;
        }
        printf("%s\n", line ? line : "");
        return true;
}

int cmd_events(Cli *c, int argc, char **argv)
{
        static const struct option opts[] = {
                { "filter", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
                { "since", required_argument, NULL, 's' }, { "until", required_argument, NULL, 'u' },
                { NULL, 0, NULL, 0 },
        };
        _cleanup_(engine_filters_freep) EngineFilters *filters = engine_filters_new();
        const char *format = NULL, *since = NULL, *until = NULL;
        LadeError *err = NULL;
        int o;
        while ((o = getopt_long(argc, argv, "f:", opts, NULL)) != -1) {
                switch (o) {
                case 'f':
                        if (engine_filters_add_arg(filters, optarg, &err) < 0)
                                return cli_fail(err);
                        break;
                case 'F': format = *optarg ? optarg : NULL; break;
                case 's': since = optarg; break;
                case 'u': until = optarg; break;
                default: return 125;
                }
        }
        if (optind < argc)
                return cli_usage("\"events\" accepts no arguments.");
        int64_t now = (int64_t) time(NULL), t_since = 0, t_until = 0, seq = 0;
        if (engine_filters_validate(filters, engine_event_filter_keys, &err) < 0 ||
            (since && *since && engine_parse_timestamp(since, now, &t_since, &err) < 0) ||
            (until && *until && engine_parse_timestamp(until, now, &t_until, &err) < 0))
                return cli_fail(err);
        bool has_until = until && *until;
        Engine *e = cli_engine(c);
        /* the watch before the cursor: an event between the two is heard */
        _cleanup_(engine_events_watch_freep) EngineEventsWatch *w = engine_events_watch_new(e);
        /* without --since: only what happens from now on */
        if (!(since && *since) && engine_events_last_seq(e, &seq, &err) < 0)
                return cli_fail(err);
        for (;;) {
                EngineEvent *l = NULL;
                size_t n = 0;
                if (engine_events_read(e, seq, 256, &l, &n, &err) < 0)
                        return cli_fail(err);
                bool ok = true;
                for (size_t i = 0; i < n && ok; i++) {
                        seq = l[i].seq;
                        int64_t t = l[i].time_ns / 1000000000;
                        if ((t_since && t < t_since) || (has_until && t > t_until) ||
                            !engine_event_matches(filters, &l[i]))
                                continue;
                        ok = print_event(&l[i], format);
                }
                engine_event_list_free(l, n);
                fflush(stdout);
                if (!ok)
                        return 1;
                if (n == 256)
                        continue;       /* more stored ones */
                if (has_until && (int64_t) time(NULL) > t_until)
                        return 0;
                (void) engine_events_watch_wait(w, -1, has_until ? 200 : ENGINE_EVENTS_WATCH_TIMEOUT_MS);
        }
}
