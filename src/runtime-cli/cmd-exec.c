/* exec: a process from --process FILE, or the container's own process with runc's overrides. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json-util.h"
#include "spec.h"
#include "util.h"

typedef struct ExecArgs {
        ExecOptions o;
        const char *process_file, *cwd, *user, *apparmor, *label;
        char **env, **caps, **gids;
        bool tty, nnp;
} ExecArgs;

static int parse_exec(int argc, char **argv, ExecArgs *a)
{
        enum { O_CONSOLE = 256, O_PIDFILE, O_CWD, O_APPARMOR, O_LABEL, O_NNP, O_PRESERVE, O_IGNORED };
        static const struct option opts[] = {
                { "console-socket", required_argument, NULL, O_CONSOLE },
                { "pid-file", required_argument, NULL, O_PIDFILE },
                { "cwd", required_argument, NULL, O_CWD },
                { "env", required_argument, NULL, 'e' },
                { "tty", no_argument, NULL, 't' },
                { "user", required_argument, NULL, 'u' },
                { "additional-gids", required_argument, NULL, 'g' },
                { "process", required_argument, NULL, 'p' },
                { "detach", no_argument, NULL, 'd' },
                { "apparmor", required_argument, NULL, O_APPARMOR },
                { "process-label", required_argument, NULL, O_LABEL },
                { "no-new-privs", no_argument, NULL, O_NNP },
                { "cap", required_argument, NULL, 'c' },
                { "preserve-fds", required_argument, NULL, O_PRESERVE },
                { "ignore-paused", no_argument, NULL, O_IGNORED },
                { "cgroup", required_argument, NULL, O_IGNORED },
                { NULL, 0, NULL, 0 },
        };
        int c;
        int64_t n;
        while ((c = getopt_long_only(argc, argv, "+e:tu:g:p:dc:", opts, NULL)) != -1) {
                switch (c) {
                case O_CONSOLE: a->o.console_socket = optarg; break;
                case O_PIDFILE: a->o.pid_file = optarg; break;
                case O_CWD: a->cwd = optarg; break;
                case 'e': a->env = strv_append(a->env, optarg); break;
                case 't': a->tty = true; break;
                case 'u': a->user = optarg; break;
                case 'g': a->gids = strv_append(a->gids, optarg); break;
                case 'p': a->process_file = optarg; break;
                case 'd': a->o.detach = true; break;
                case O_APPARMOR: a->apparmor = optarg; break;
                case O_LABEL: a->label = optarg; break;
                case O_NNP: a->nnp = true; break;
                case 'c': a->caps = strv_append(a->caps, optarg); break;
                case O_PRESERVE:
                        if (parse_int64(optarg, &n) < 0 || n < 0 || n > 65536)
                                return cli_usage_error("--preserve-fds: invalid number '%s'", optarg);
                        a->o.preserve_fds = (int) n;
                        break;
                case O_IGNORED: break;
                default: return 1;
                }
        }
        if (argc - optind < 1 || (!a->process_file && argc - optind < 2))
                return cli_usage_error("exec: usage: exec [options] <container-id> <command> [args...] "
                                       "(or --process FILE)");
        return 0;
}

/* Replaces or appends "KEY=..." in env. */
static void env_set(json_t *env, const char *kv)
{
        const char *eq = strchr(kv, '=');
        size_t klen = eq ? (size_t) (eq - kv) : strlen(kv);
        size_t i;
        json_t *v;
        json_array_foreach(env, i, v) {
                const char *s = json_string_value(v);
                if (s && strncmp(s, kv, klen) == 0 && (s[klen] == '=' || s[klen] == '\0')) {
                        json_array_set_new(env, i, json_string(kv));
                        return;
                }
        }
        json_array_append_new(env, json_string(kv));
}

static int apply_user(json_t *proc, const char *user)
{
        char *colon = strchr(user, ':');
        _cleanup_free_ char *uid_s = colon ? xstrndup(user, (size_t) (colon - user)) : xstrdup(user);
        uint64_t uid, gid = 0;
        if (parse_uint64(uid_s, &uid) < 0 || uid > UINT32_MAX || (colon && (parse_uint64(colon + 1, &gid) < 0 || gid > UINT32_MAX)))
                return cli_usage_error("--user: expected uid[:gid] as numbers, got '%s'", user);
        json_t *u = json_object();
        json_object_set_new(u, "uid", json_integer((json_int_t) uid));
        json_object_set_new(u, "gid", json_integer((json_int_t) gid));
        json_object_set_new(proc, "user", u);
        return 0;
}

static void add_caps(json_t *proc, char **caps)
{
        json_t *c = json_object_get(proc, "capabilities");
        if (!c) {
                c = json_object();
                json_object_set_new(proc, "capabilities", c);
        }
        static const char *const sets[] = { "bounding", "effective", "permitted", "ambient" };
        for (size_t s = 0; s < ELEMENTSOF(sets); s++) {
                json_t *arr = json_object_get(c, sets[s]);
                if (!arr) {
                        arr = json_array();
                        json_object_set_new(c, sets[s], arr);
                }
                for (char **i = caps; i && *i; i++)
                        json_array_append_new(arr, json_string(*i));
        }
}

static int build_process(CliGlobal *g, ExecArgs *a, const char *id, char **cmd, json_t **ret)
{
        LadeError *err = NULL;
        if (a->process_file) {
                if (json_load_path(a->process_file, SPEC_MAX_BYTES, ret, &err) < 0)
                        return cli_fail(err);
                return 0;
        }
        _cleanup_json_ json_t *cfg = NULL;
        if (container_config(&g->rt, id, &cfg, &err) < 0)
                return cli_fail(err);
        json_t *proc = json_deep_copy(json_object_get(cfg, "process"));
        if (!proc)
                proc = json_object();
        json_t *args = json_array();
        for (char **c = cmd; *c; c++)
                json_array_append_new(args, json_string(*c));
        json_object_set_new(proc, "args", args);
        json_object_set_new(proc, "terminal", json_boolean(a->tty));
        json_t *env = json_object_get(proc, "env");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(proc, "env", env);
        }
        for (char **e = a->env; e && *e; e++)
                env_set(env, *e);
        if (a->cwd)
                json_object_set_new(proc, "cwd", json_string(a->cwd));
        if (a->user && apply_user(proc, a->user)) {
                json_decref(proc);
                return 1;
        }
        if (a->gids) {
                json_t *u = json_object_get(proc, "user"), *arr = json_array();
                for (char **i = a->gids; *i; i++) {
                        uint64_t gid;
                        if (parse_uint64(*i, &gid) < 0 || gid > UINT32_MAX) {
                                json_decref(arr);
                                json_decref(proc);
                                return cli_usage_error("--additional-gids: invalid gid '%s'", *i);
                        }
                        json_array_append_new(arr, json_integer((json_int_t) gid));
                }
                json_object_set_new(u, "additionalGids", arr);
        }
        if (a->nnp)
                json_object_set_new(proc, "noNewPrivileges", json_true());
        if (a->apparmor)
                json_object_set_new(proc, "apparmorProfile", json_string(a->apparmor));
        if (a->label)
                json_object_set_new(proc, "selinuxLabel", json_string(a->label));
        add_caps(proc, a->caps);
        *ret = proc;
        return 0;
}

int verb_exec(CliGlobal *g, int argc, char **argv)
{
        ExecArgs a = { 0 };
        _cleanup_strv_free_ char **env = NULL, **caps = NULL, **gids = NULL;
        int rc = parse_exec(argc, argv, &a);
        env = a.env, caps = a.caps, gids = a.gids;
        if (rc)
                return rc;
        const char *id = argv[optind];
        _cleanup_json_ json_t *pj = NULL;
        if ((rc = build_process(g, &a, id, argv + optind + 1, &pj)))
                return rc;
        LadeError *err = NULL;
        _cleanup_(spec_process_freep) SpecProcess *proc = NULL;
        if (spec_parse_process(pj, "process", &proc, &err) < 0)
                return cli_fail(err);
        a.o.process = proc;
        int status = 0;
        if (container_exec(&g->rt, id, &a.o, &status, &err) < 0)
                return cli_fail(err);
        return status;
}
