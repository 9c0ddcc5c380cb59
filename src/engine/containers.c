/* The container lifecycle (see containers.h): create, start (fork the monitor), attach, stop,
 * kill, wait, pause, rename, remove, and the reconciliation that makes `ps` tell the truth when
 * a monitor was killed. A failed create removes everything it made. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container-spec.h"
#include "containers-internal.h"
#include "engine-events.h"
#include "engine-filters.h"
#include "image-db.h"
#include "json-util.h"
#include "network.h"
#include "util.h"
#include "volumes.h"

static void random_id(char out[static 65])
{
        uint8_t b[32];
        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                for (size_t i = 0; i < sizeof(b); i++)
                        b[i] = (uint8_t) (now_ns() >> (i % 8));
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Docker's generated names: adjective_surname (namesgenerator; on a clash Docker retries and
 * then appends a digit, as create() does). */
static char *random_name(void)
{
        static const char *const adj[] = { "admiring", "affectionate", "agitated", "amazing", "angry",
                                           "awesome", "beautiful", "blissful", "bold", "boring", "brave",
                                           "busy", "charming", "clever", "compassionate", "competent",
                                           "condescending", "confident", "cool", "cranky", "crazy",
                                           "dazzling", "determined", "distracted", "dreamy", "eager",
                                           "ecstatic", "elastic", "elated", "elegant", "eloquent", "epic",
                                           "exciting", "fervent", "festive", "flamboyant", "focused",
                                           "friendly", "frosty", "funny", "gallant", "gifted", "goofy",
                                           "gracious", "great", "happy", "hardcore", "heuristic",
                                           "hopeful", "hungry", "infallible", "inspiring", "intelligent",
                                           "interesting", "jolly", "jovial", "keen", "kind", "laughing",
                                           "loving", "lucid", "magical", "modest", "musing", "mystifying",
                                           "naughty", "nervous", "nice", "nifty", "nostalgic", "objective",
                                           "optimistic", "peaceful", "pedantic", "pensive", "practical",
                                           "priceless", "quirky", "quizzical", "recursing", "relaxed",
                                           "reverent", "romantic", "sad", "serene", "sharp", "silly",
                                           "sleepy", "stoic", "strange", "stupefied", "suspicious", "sweet",
                                           "tender", "thirsty", "trusting", "unruffled", "upbeat",
                                           "vibrant", "vigilant", "vigorous", "wizardly", "wonderful",
                                           "xenodochial", "youthful", "zealous", "zen" };
        static const char *const who[] = { "agnesi", "albattani", "allen", "archimedes", "babbage",
                                           "bardeen", "bartik", "bell", "bhabha", "blackwell", "bohr",
                                           "booth", "borg", "bose", "brahmagupta", "brattain", "brown",
                                           "carson", "cerf", "chandrasekhar", "chatelet", "clarke",
                                           "cohen", "curie", "darwin", "davinci", "dijkstra", "dubinsky",
                                           "easley", "edison", "einstein", "elion", "engelbart", "euclid",
                                           "euler", "faraday", "fermat", "fermi", "feynman", "franklin",
                                           "galileo", "gates", "goldberg", "goldstine", "goodall", "haibt",
                                           "hamilton", "hawking", "heisenberg", "hermann", "hodgkin",
                                           "hofstadter", "hopper", "hugle", "hypatia", "jackson", "jang",
                                           "jennings", "jepsen", "johnson", "joliot", "jones", "kalam",
                                           "kapitsa", "keldysh", "kepler", "khorana", "kilby", "kirch",
                                           "knuth", "lalande", "lamarr", "lamport", "leakey", "leavitt",
                                           "lewin", "liskov", "lovelace", "lumiere", "mahavira", "mayer",
                                           "mccarthy", "mcclintock", "mclean", "meitner", "mendel",
                                           "mestorf", "minsky", "mirzakhani", "morse", "napier", "nash",
                                           "neumann", "newton", "nobel", "noether", "northcutt", "noyce",
                                           "pascal", "pasteur", "payne", "perlman", "pike", "poincare",
                                           "ptolemy", "raman", "ramanujan", "ride", "ritchie", "robinson",
                                           "rosalind", "saha", "sammet", "shannon", "shaw", "shirley",
                                           "shockley", "sinoussi", "snyder", "spence", "stallman",
                                           "stonebraker", "swanson", "swartz", "swirles", "tesla",
                                           "thompson", "torvalds", "turing", "varahamihira", "visvesvaraya",
                                           "volhard", "wescoff", "wiles", "williams", "wilson", "wing",
                                           "wozniak", "wright", "wu", "yalow", "yonath", "zhukovsky" };
        uint32_t r;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
                r = (uint32_t) now_ns();
        return xasprintf("%s_%s", adj[r % ELEMENTSOF(adj)], who[(r / 256) % ELEMENTSOF(who)]);
}

static bool name_valid(const char *n)
{
        /* Docker: [a-zA-Z0-9][a-zA-Z0-9_.-]+ */
        if (n && n[0] == '/')
                n++;
        if (!n || strlen(n) < 2 || !((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z') ||
                                     (n[0] >= '0' && n[0] <= '9')))
                return false;
        for (const char *c = n; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '_' || *c == '.' || *c == '-'))
                        return false;
        return true;
}

static int name_conflict(sqlite3 *db, const char *name, LadeError **err)
{
        _cleanup_free_ char *other = NULL;
        sqlite3_stmt *q;
        if (image_db_prepare(db, "SELECT id FROM containers WHERE name = ?1", &q, NULL, name, NULL) == 0) {
                if (sqlite3_step(q) == SQLITE_ROW)
                        other = xstrdup((const char *) sqlite3_column_text(q, 0));
                sqlite3_finalize(q);
        }
        return lade_error_msg(err, EEXIST,
                              "Conflict. The container name \"/%s\" is already in use by container \"%s\"."
                              " You have to remove (or rename) that container to be able to reuse that name.",
                              name, other ? other : "?");
}

static int insert_row(Ctr *c, LadeError **err)
{
        _cleanup_free_ char *body = json_dump_compact(c->create);
        _cleanup_free_ char *now = xasprintf("%lld", (long long) time(NULL));
        sqlite3_stmt *st;
        int r = image_db_prepare(c->db, "INSERT INTO containers (id, name, image, image_id, created, state,"
                                 " create_json) VALUES (?1, ?2, ?3, ?4, CAST(?5 AS INTEGER), 'created', ?6)",
                                 &st, err, c->id, c->name, c->image_ref, c->image_id, now, body, NULL);
        if (r < 0)
                return r;
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_CONSTRAINT)
                return name_conflict(c->db, c->name, err);
        if (rc != SQLITE_DONE)
                return image_db_error(c->db, rc, "create container", err);
        c->row = true;
        return 0;
}

static int make_dirs(Ctr *c, LadeError **err)
{
        ctr_paths(c);
        /* the upper dir's mode is the container's "/" (0755 as Docker's, else a non-root USER
         * reaches nothing); the container dir itself stays closed to others */
        static const struct { const char *sub; mode_t mode; } dirs[] = {
                { "", 0711 }, { "/rootfs", 0755 }, { "/upper", 0755 }, { "/work", 0700 },
        };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = xasprintf("%s%s", c->dir, dirs[i].sub);
                int r = mkdir_p(p, dirs[i].mode);
                if (r >= 0 && chmod(p, dirs[i].mode) < 0)
                        r = -errno;
                if (r < 0)
                        return lade_error(err, -r, "create '%s'", p);
        }
        return 0;
}

int engine_start_failure_code(const LadeError *err)
{
        const char *m = lade_error_message(err);
        if (strstr(m, "executable file not found") || strstr(m, "no such file or directory") ||
            strstr(m, "No such file or directory"))
                return 127;
        if (strstr(m, "ermission denied") || strstr(m, "is a directory"))
                return 126;
        return 125;
}

static int resolve_image(Ctr *c, const RunRequest *req, const char *image, LadeError **err)
{
        ImageStore *s = engine_images(c->e);
        bool always = req->pull && streq(req->pull, "always");
        if (!always && image_store_resolve(s, image, &c->image, NULL) == 0)
                return 0;
        if (req->pull && streq(req->pull, "never"))
                return lade_error_msg(err, ENOENT, "No such image: %s", image);
        char id[72];
        int r = engine_image_pull(c->e, image, req->platform, id, err);
        if (r < 0)
                return lade_error_wrap(err, "Unable to find image '%s' locally", image);
        return image_store_resolve(s, id, &c->image, err);
}

static int create(Ctr *c, const RunRequest *req, LadeError **err)
{
        const char *image = json_string_value(json_object_get(req->create, "Image"));
        if (!image || !*image)
                return lade_error_msg(err, EINVAL, "No image specified");
        if (req->name && !name_valid(req->name))
                return lade_error_msg(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                                      req->name);
        random_id(c->id);
        c->name = req->name ? xstrdup(req->name[0] == '/' ? req->name + 1 : req->name) : random_name();
        c->create = json_incref(req->create);
        c->image_ref = xstrdup(image);
        c->state = xstrdup("created");
        int r = resolve_image(c, req, image, err);
        if (r < 0)
                return r;
        c->image_id = xstrdup(c->image->id);
        /* the sources of VolumesFrom and the targets of Links exist, before anything is made */
        _cleanup_json_ json_t *volumes_from = NULL;
        if ((r = ctr_check_unsupported(c, err)) < 0 ||
            (r = engine_volumes_from_resolve(c->e, c->create, &volumes_from, err)) < 0 ||
            (r = ctr_links_check(c, err)) < 0)
                return r;
        if ((r = ctr_check_ports(c, err)) < 0)
                return r;
        if ((r = ctr_borrow_db(c, err)) < 0)
                return r;
        /* a generated name that is taken: another one, then with a digit (Docker's retries) */
        for (int attempt = 0; !req->name && attempt < 10; attempt++) {
                LadeError *e = NULL;
                if ((r = insert_row(c, &e)) != -EEXIST) {
                        if (r < 0 && err && !*err)
                                *err = TAKE_PTR(e);
                        lade_error_free(e);
                        break;
                }
                lade_error_free(e);
                char *n = random_name(), *m = attempt < 5 ? n : xasprintf("%s%d", n, attempt);
                if (m != n)
                        free(n);
                free(c->name);
                c->name = m;
        }
        if ((req->name && (r = insert_row(c, err)) < 0) || r < 0 || (r = make_dirs(c, err)) < 0 ||
            (r = ctr_mount_rootfs(c, err)) < 0 ||
            (r = engine_volumes_from_save(c->e, c->id, volumes_from, err)) < 0)
                return r;
        /* the spec is built at every start; building it now refuses bad requests at create */
        r = ctr_build_spec(c, err);
        if (r < 0 || (r = ctr_save(c, err)) < 0)
                return r;
        ctr_event(c, "create", NULL);
        return 0;
}

int engine_container_create(Engine *e, const RunRequest *req, char ret_id[static 65], LadeError **err)
{
        Ctr c = { .e = e };
        /* a start follows soon (build's RUN, the API's create + start): a zygote primes the
         * cgroup lock now, and the start's primer then finds it ready and prolongs that */
        (void) monitor_zygote_prime();
        int r = create(&c, req, err);
        if (r < 0) {
                /* a failed create takes the anonymous volumes it made with it, as Docker's does */
                (void) engine_volumes_release(e, c.id, true, NULL);
                ctr_destroy(&c);
        } else
                memcpy(ret_id, c.id, 65);
        ctr_done(&c);
        return r;
}

static bool state_is(const Ctr *c, const char *s)
{
        return c->state && streq(c->state, s);
}

static bool active(const Ctr *c)
{
        return state_is(c, "running") || state_is(c, "paused") || state_is(c, "restarting");
}

/* A monitor that died (kill -9, a reboot) left its row "running": tell the truth. A container
 * whose process still runs stays running (stop/kill/rm reach it through the runtime). */
static int open_attach_socket(Ctr *c, LadeError **err);

/* A monitor (full or idle) listens on the attach socket as long as it lives. */
static bool monitor_listening(Ctr *c)
{
        _cleanup_close_ int fd = open_attach_socket(c, NULL);
        return fd >= 0;
}

void ctr_reconcile(Ctr *c)
{
        if (!active(c) || pid_alive(c->monitor_pid) || monitor_listening(c))
                return;
        if (c->pid > 0 && pid_alive(c->pid))
                return;
        if (ctr_claim_orphan(c, "container monitor exited unexpectedly", NULL) <= 0)
                return;
        (void) container_delete(&c->rt, c->id, true, NULL);
        (void) engine_network_detach(c->e, c->id, NULL);
        engine_volumes_unmount_events(c->e, c->id, c->create);
        ctr_event(c, "die", json_pack("{s:s}", "exitCode", "255"));
}

static int load(Engine *e, Ctr *c, const char *name_or_id, LadeError **err)
{
        *c = (Ctr) { .e = e };
        int r = ctr_load(c, name_or_id, err);
        if (r < 0)
                return r;
        ctr_reconcile(c);
        return 0;
}

/* load() on the Engine's connection (ctr_borrow_db): for reads that start no monitor. */
static int load_borrowed(Engine *e, Ctr *c, const char *name_or_id, LadeError **err)
{
        *c = (Ctr) { .e = e };
        int r = ctr_borrow_db(c, err);
        if (r >= 0)
                r = ctr_load(c, name_or_id, err);
        if (r < 0)
                return r;
        ctr_reconcile(c);
        return 0;
}

/* ---- starting: the monitor ---- */

static int open_attach_socket(Ctr *c, LadeError **err)
{
        _cleanup_close_ int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return lade_error(err, errno, "open '%s'", c->dir);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        mon_socket_path(dirfd, sa.sun_path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return lade_error(err, errno, "connect to the monitor of container %.12s", c->id);
        return TAKE_FD(fd);
}

/* A forked child of a multi-threaded process may only exec: locks other threads held at the
 * fork (malloc's, the sanitizers') stay locked in it. */
bool ctr_multi_threaded(void)
{
        _cleanup_closedir_ DIR *d = opendir("/proc/self/task");
        size_t n = 0;
        for (struct dirent *de; d && (de = readdir(d));)
                if (de->d_name[0] != '.')
                        n++;
        return n > 1;
}

/* The exec'd monitor of a multi-threaded caller (the API server), started with posix_spawn:
 * glibc's shares our memory until the exec (CLONE_VM | CLONE_VFORK), so no copy of the server's
 * page tables is made (fork's dup_mmap), and our SQLite connections stay open: the child runs
 * no code of ours, its copies of their fds close at the exec, and closing them in another
 * process releases none of our POSIX locks. The child gets /dev/null as stdio, the control
 * socket on fd 3 and nothing else, its own session (POSIX_SPAWN_SETSID), our signal mask.
 * It is our child, and stays so only briefly: `lade __monitor` forks once more at its start and
 * that first process exits at once (cli/main.c), which we reap here, so the monitor is nobody's
 * child but init's (or the subreaper's), as after the fork path's double fork, and no zombie of
 * ours is left behind whatever happens later. */
static int spawn_monitor_exec(Ctr *c, bool attach, int sock, pid_t *ret_first, LadeError **err)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        char *argv[] = { (char *) "lade", (char *) "__monitor", (char *) engine_root(c->e), c->id,
                         (char *) (attach ? "attach" : "detached"), NULL };
        pid_t p;
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        /* the socket first: it may itself be on 0-2 (dup2 onto the same fd clears FD_CLOEXEC) */
        int r = posix_spawn_file_actions_adddup2(&fa, sock, 3);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, 0, 1);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, 0, 2);
        if (r == 0)
                r = posix_spawn_file_actions_addclosefrom_np(&fa, 4);
        if (r == 0)
                r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
        if (r == 0)
                r = posix_spawn(&p, "/proc/self/exe", &fa, &attr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return lade_error(err, r, "start the monitor");
        *ret_first = p;
        return 0;
}

/* Reaps the exec'd monitor's first process (after the attach is sent: the monitor needs that,
 * not this); 0 for none. */
static int reap_first(pid_t p, LadeError **err)
{
        int status = 0;
        if (p <= 0)
                return 0;
        while (waitpid(p, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return lade_error_msg(err, EIO, "start the monitor: its first process ended with status %#x",
                                      (unsigned) status);
        return 0;
}

/* fork, setsid, fork: the monitor is nobody's child but init's (or the subreaper's). Only for a
 * single-threaded caller: the child runs the monitor without an exec. */
static int spawn_monitor_fork(Ctr *c, bool attach, int sock, LadeError **err)
{
        /* no SQLite connection may be open across the fork (their locks are per process); a
         * borrowed one is the image store's, released with it */
        bool borrowed = c->db_borrowed;
        c->db = borrowed ? NULL : image_db_close(c->db);
        c->db_borrowed = false;
        image_store_release_db(engine_images(c->e));
        pid_t p = fork();
        if (p < 0) {
                (void) image_store_reopen_db(engine_images(c->e), NULL);
                (void) (borrowed ? ctr_borrow_db(c, NULL) : ctr_open_db(c->e, &c->db, NULL));
                return lade_error(err, errno, "fork the monitor");
        }
        if (p == 0) {
                (void) setsid();
                pid_t q = fork();
                if (q != 0)
                        _exit(q < 0);
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                for (int fd = 0; fd < 3; fd++)
                        (void) dup2(null, fd);
                /* only the control socket survives; the parent's database fds are not ours */
                (void) dup3(sock, 3, O_CLOEXEC);
                (void) close_range(4, ~0U, 0);
                MonitorArgs a = { .c = c, .ctl = 3, .attach = attach };
                monitor_main(&a);
        }
        int status;
        (void) waitpid(p, &status, 0);
        int r = image_store_reopen_db(engine_images(c->e), err);
        if (r >= 0)
                r = borrowed ? ctr_borrow_db(c, err) : ctr_open_db(c->e, &c->db, err);
        return r;
}

/* *ret_first: a process to reap_first() once the attach is sent (0: none). */
static int spawn_monitor(Ctr *c, bool attach, int *ret_sock, pid_t *ret_first, LadeError **err)
{
        bool exec_monitor = engine_monitor_exec(c->e) || ctr_multi_threaded();
        int sv[2];
        *ret_first = 0;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return lade_error(err, errno, "socketpair for the monitor");
        int r = -ENOENT;
        /* a threaded caller's zygote forks it without an exec; else exec'd, or forked here */
        if (exec_monitor)
                r = monitor_zygote_spawn(engine_root(c->e), c->id, attach, sv[1]);
        if (r == -ENOENT)
                r = exec_monitor ? spawn_monitor_exec(c, attach, sv[1], ret_first, err) :
                                   spawn_monitor_fork(c, attach, sv[1], err);
        else if (r < 0)
                r = lade_error(err, -r, "start the monitor");
        safe_close(sv[1]);
        if (r < 0) {
                safe_close(sv[0]);
                return r;
        }
        *ret_sock = sv[0];
        return 0;
}

static int send_attach(int sock, const AttachStdio *io, bool tty, bool open_stdin)
{
        MonMsg m = { .type = MON_ATTACH };
        int fds[3] = { io->in >= 0 && open_stdin ? io->in : -1, io->out, io->err };
        int send[3], n = 0;
        uint32_t bits[3] = { MON_F_STDIN, MON_F_STDOUT, MON_F_STDERR };
        /* the fd slots are positional: a missing one is sent as /dev/null */
        _cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int i = 0; i < 3; i++) {
                if (fds[i] >= 0)
                        m.flags |= bits[i];
                send[n++] = fds[i] >= 0 ? fds[i] : null;
        }
        if (tty && io->err < 0)
                m.flags &= ~(uint32_t) MON_F_STDERR;
        if (io->detach_keys) {
                m.flags |= MON_F_KEYS;
                snprintf(m.text, sizeof(m.text), "%s", io->detach_keys);
        }
        struct winsize ws;
        if (tty && io->out >= 0 && ioctl(io->out, TIOCGWINSZ, &ws) == 0) {
                m.rows = ws.ws_row;
                m.cols = ws.ws_col;
        }
        return mon_send(sock, &m, send, (size_t) n);
}

/* The attached client's side: raw tty, SIGWINCH -> resize, signals -> the container, until
 * MON_EXIT or MON_DETACHED. */
static int session(Engine *e, const char *id, int sock, const AttachStdio *io, int *ret_status, LadeError **err)
{
        struct termios saved;
        bool raw = io->tty_raw && io->in >= 0 && tcgetattr(io->in, &saved) == 0;
        if (raw) {
                struct termios t = saved;
                cfmakeraw(&t);
                t.c_oflag |= OPOST;
                (void) tcsetattr(io->in, TCSANOW, &t);
        }
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGWINCH);
        if (io->sig_proxy)
                for (int s = 1; s < 32; s++)
                        if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD && s != SIGWINCH && s != SIGPIPE &&
                            s != SIGTSTP && s != SIGTTIN && s != SIGTTOU && s != SIGURG)
                                sigaddset(&set, s);
        sigprocmask(SIG_BLOCK, &set, &old);
        _cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
        int status = -2;
        while (status == -2) {
                struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                if (poll(p, 2, -1) < 0 && errno != EINTR)
                        break;
                if (p[1].revents) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                                MonMsg m = { .type = si.ssi_signo == SIGWINCH ? MON_RESIZE : MON_SIGNAL,
                                             .value = (int32_t) si.ssi_signo };
                                struct winsize ws;
                                if (si.ssi_signo == SIGWINCH && io->out >= 0 && ioctl(io->out, TIOCGWINSZ, &ws) == 0) {
                                        m.rows = ws.ws_row;
                                        m.cols = ws.ws_col;
                                }
                                (void) mon_send(sock, &m, NULL, 0);
                        }
                }
                if (p[0].revents) {
                        MonMsg m;
                        int fds[3];
                        int r = mon_recv(sock, &m, fds);
                        for (int k = 0; k < 3; k++)
                                safe_close(fds[k]);
                        if (r < 0 || m.type == 0)
                                status = -3;
                        else if (m.type == MON_EXIT)
                                status = m.value;
                        else if (m.type == MON_DETACHED)
                                status = -1;
                }
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (raw)
                (void) tcsetattr(io->in, TCSANOW, &saved);
        if (status == -3) {
                /* the monitor went away without a word: what does the database say? */
                Ctr c;
                int r = load(e, &c, id, NULL);
                status = r == 0 && !active(&c) ? c.exit_code : -3;
                ctr_done(&c);
                if (status == -3)
                        return lade_error_msg(err, EIO, "lost the connection to the container's monitor");
        }
        *ret_status = status;
        return 0;
}

static int wait_started(int sock, int *ret_code, LadeError **err)
{
        MonMsg m;
        int fds[3];
        for (;;) {
                int r = mon_recv(sock, &m, fds);
                for (int k = 0; k < 3; k++)
                        safe_close(fds[k]);
                if (r < 0 || m.type == 0)
                        return lade_error_msg(err, EIO, "the container's monitor exited before starting it");
                if (m.type == MON_STARTED)
                        return 0;
                if (m.type == MON_ERROR) {
                        if (ret_code)
                                *ret_code = m.value;
                        return lade_error_msg(err, EIO, "%s", m.text);
                }
        }
}

/* cgroup_prime_attach() (see docs/engine.md, "Speed"): a process with a monitor zygote asks it
 * (a fork of a small process, reaped there) rather than fork itself; else our child, to
 * primer_reap(). */
static pid_t prime(void)
{
        return monitor_zygote_prime() == 0 ? 0 : cgroup_prime_attach();
}

/* cgroup_prime_attach's child, done long before a start returns */
static void primer_reap(pid_t primer)
{
        if (primer > 0)
                (void) waitpid(primer, NULL, 0);
}

/* With ret_sock, the monitor connection is returned once the container runs (an attach handle)
 * instead of being served here. */
static int start_loaded(Ctr *c, const AttachStdio *io, int *ret_status, int *ret_sock, LadeError **err)
{
        if (state_is(c, "paused"))
                return lade_error_msg(err, EBUSY, "cannot start a paused container, try unpause instead");
        if (active(c)) {
                if (io || ret_sock)
                        return lade_error_msg(err, EBUSY, "container %s is already running", c->name);
                return 0;
        }
        int r = ctr_mount_rootfs(c, err);
        if (r < 0)
                return r;
        if (!c->image && (r = image_store_resolve(engine_images(c->e), c->image_id, &c->image, err)) < 0)
                return lade_error_wrap(err, "image of container %s", c->name);
        if ((r = ctr_check_ports(c, err)) < 0 || (r = ctr_set_stop_requested(c, false, err)) < 0)
                return r;
        _cleanup_close_ int sock = -EBADF;
        pid_t first;
        if ((r = spawn_monitor(c, io != NULL, &sock, &first, err)) < 0)
                return r;
        bool tty = json_is_true(json_object_get(c->create, "Tty"));
        bool open_stdin = json_is_true(json_object_get(c->create, "OpenStdin"));
        if (io && send_attach(sock, io, tty, open_stdin) < 0) {
                r = lade_error(err, errno, "attach to the container's monitor");
                (void) reap_first(first, NULL);
                return r;
        }
        if ((r = reap_first(first, err)) < 0)
                return r;
        int code = 125;
        if ((r = wait_started(sock, &code, err)) < 0) {
                if (ret_status)
                        *ret_status = code;
                return r;
        }
        if (ret_sock) {
                *ret_sock = TAKE_FD(sock);
                return 0;
        }
        if (!io)
                return 0;
        return session(c->e, c->id, sock, io, ret_status, err);
}

int engine_monitor_resume(Engine *e, const char *id, int status, int listen_fd, char **clients, LadeError **err)
{
        Ctr *c = xmalloc0(sizeof(*c));
        *c = (Ctr) { .e = e };
        int r = ctr_load(c, id, err);
        if (r >= 0)
                /* for a restart's spec; a missing image only matters then */
                (void) image_store_resolve(engine_images(e), c->image_id, &c->image, NULL);
        if (r < 0) {
                ctr_done(c);
                free(c);
                return r;
        }
        c->db = image_db_close(c->db);
        image_store_release_db(engine_images(e));
        MonitorArgs a = { .c = c, .ctl = -1, .resume = true, .status = status, .listen_fd = listen_fd,
                          .clients = clients };
        monitor_main(&a);
}

int engine_monitor_main(Engine *e, const char *id, int ctl, bool attach, LadeError **err)
{
        Ctr *c = xmalloc0(sizeof(*c));
        *c = (Ctr) { .e = e };
        /* one connection for the monitor's life: the Engine's (rows, images, volumes, events) */
        int r = ctr_borrow_db(c, err);
        if (r >= 0)
                r = ctr_load(c, id, err);
        if (r >= 0 && (r = image_store_resolve(engine_images(e), c->image_id, &c->image, err)) < 0)
                r = lade_error_wrap(err, "image of container %s", c->name);
        if (r < 0) {
                MonMsg m = { .type = MON_ERROR, .value = 125 };
                snprintf(m.text, sizeof(m.text), "%s", lade_error_message(*err));
                (void) mon_send(ctl, &m, NULL, 0);
                ctr_done(c);
                free(c);
                return r;
        }
        /* c->db stays open for the monitor: an exec'd or a zygote's, nothing forks it from here
         * (the container's init is cloned by the runtime and execs) */
        MonitorArgs a = { .c = c, .ctl = ctl, .attach = attach };
        monitor_main(&a);
}

int engine_container_start(Engine *e, const char *name_or_id, const AttachStdio *io, int *ret_status,
                           LadeError **err)
{
        pid_t primer = prime();
        Ctr c;
        int r = load_borrowed(e, &c, name_or_id, err);
        if (r >= 0)
                r = start_loaded(&c, io, ret_status, NULL, err);
        ctr_done(&c);
        primer_reap(primer);
        return r;
}

int engine_container_run(Engine *e, const RunRequest *req, const AttachStdio *io, char ret_id[static 65],
                         int *ret_status, LadeError **err)
{
        *ret_status = 125;
        pid_t primer = prime();
        Ctr c = { .e = e };
        int r = create(&c, req, err);
        if (r < 0) {
                (void) engine_volumes_release(e, c.id, true, NULL);
                ctr_destroy(&c);
                ctr_done(&c);
                primer_reap(primer);
                return r;
        }
        memcpy(ret_id, c.id, 65);
        if (req->created)
                req->created(c.id, req->userdata);
        r = start_loaded(&c, io, ret_status, NULL, err);
        if (r < 0 && json_is_true(json_object_get(json_object_get(c.create, "HostConfig"), "AutoRemove"))) {
                Ctr again;
                if (load(e, &again, c.id, NULL) == 0 && !active(&again))
                        ctr_destroy(&again);
                ctr_done(&again);
        }
        if (r == 0 && !io)
                *ret_status = 0;
        ctr_done(&c);
        primer_reap(primer);
        return r;
}

/* Connects io to the monitor of a running container: the connection. */
static int attach_running(Engine *e, const char *name_or_id, const AttachStdio *io, char ret_id[static 65],
                          LadeError **err)
{
        Ctr c;
        int r = load(e, &c, name_or_id, err);
        if (r >= 0 && state_is(&c, "paused"))
                r = lade_error_msg(err, EBUSY, "You cannot attach to a paused container, unpause it first");
        else if (r >= 0 && !active(&c))
                r = lade_error_msg(err, EBUSY, "You cannot attach to a stopped container, start it first");
        _cleanup_close_ int sock = r < 0 ? -EBADF : open_attach_socket(&c, err);
        if (r >= 0 && sock < 0)
                r = sock;
        bool tty = json_is_true(json_object_get(c.create, "Tty"));
        bool open_stdin = json_is_true(json_object_get(c.create, "OpenStdin"));
        if (r >= 0 && send_attach(sock, io, tty, open_stdin) < 0)
                r = lade_error(err, errno, "attach to the container's monitor");
        if (r >= 0)
                memcpy(ret_id, c.id, 65);
        ctr_done(&c);
        return r < 0 ? r : TAKE_FD(sock);
}

int engine_container_attach(Engine *e, const char *name_or_id, const AttachStdio *io, int *ret_status,
                            LadeError **err)
{
        char id[65];
        _cleanup_close_ int sock = attach_running(e, name_or_id, io, id, err);
        if (sock < 0)
                return sock;
        return session(e, id, sock, io, ret_status, err);
}

/* ---- attach handles (the API server's own loops) ---- */

struct EngineAttach {
        int sock;
        char id[65];
};

static EngineAttach *attach_new(int sock, const char *id)
{
        EngineAttach *a = xmalloc0(sizeof(*a));
        a->sock = sock;
        snprintf(a->id, sizeof(a->id), "%s", id);
        return a;
}

int engine_container_attach_open(Engine *e, const char *name_or_id, const AttachStdio *io, EngineAttach **ret,
                                 LadeError **err)
{
        char id[65];
        int sock = attach_running(e, name_or_id, io, id, err);
        if (sock < 0)
                return sock;
        *ret = attach_new(sock, id);
        return 0;
}

int engine_container_start_attach(Engine *e, const char *name_or_id, const AttachStdio *io, EngineAttach **ret,
                                  int *ret_code, LadeError **err)
{
        pid_t primer = prime();
        Ctr c;
        int sock = -EBADF;
        int r = load_borrowed(e, &c, name_or_id, err);
        if (r >= 0)
                r = start_loaded(&c, io, ret_code, &sock, err);
        if (r >= 0)
                *ret = attach_new(sock, c.id);
        ctr_done(&c);
        primer_reap(primer);
        return r;
}

int engine_attach_fd(const EngineAttach *a)
{
        return a->sock;
}

int engine_attach_process(Engine *e, EngineAttach *a, int *ret_status, LadeError **err)
{
        MonMsg m;
        int fds[3];
        int r = mon_recv(a->sock, &m, fds);
        for (int k = 0; k < 3; k++)
                safe_close(fds[k]);
        if (r == -EAGAIN || r == -EINTR)
                return 0;
        if (r >= 0 && m.type == MON_EXIT) {
                *ret_status = m.value;
                return 1;
        }
        if (r >= 0 && m.type == MON_DETACHED) {
                *ret_status = -1;
                return 1;
        }
        if (r >= 0 && m.type != 0)
                return 0;
        /* the monitor went away without a word (it dropped us, or died): what does the row say? */
        Ctr c;
        r = load(e, &c, a->id, NULL);
        int status = r == 0 && !active(&c) ? c.exit_code : -3;
        ctr_done(&c);
        if (r < 0)
                status = 0;
        if (status == -3)
                return lade_error_msg(err, EIO, "lost the connection to the container's monitor");
        *ret_status = status;
        return 1;
}

static int send_resize(int sock, unsigned rows, unsigned cols)
{
        MonMsg m = { .type = MON_RESIZE, .rows = (uint16_t) rows, .cols = (uint16_t) cols };
        return mon_send(sock, &m, NULL, 0);
}

int engine_attach_resize(EngineAttach *a, unsigned rows, unsigned cols)
{
        return send_resize(a->sock, rows, cols);
}

EngineAttach *engine_attach_free(EngineAttach *a)
{
        if (!a)
                return NULL;
        safe_close(a->sock);
        free(a);
        return NULL;
}

int engine_container_resize(Engine *e, const char *name_or_id, unsigned rows, unsigned cols, LadeError **err)
{
        Ctr c;
        int r = load(e, &c, name_or_id, err);
        if (r >= 0 && !state_is(&c, "running") && !state_is(&c, "paused"))
                r = lade_error_msg(err, EBUSY, "Container %s is not running", c.id);
        if (r >= 0 && (rows > UINT16_MAX || cols > UINT16_MAX))
                r = lade_error_msg(err, EINVAL, "invalid terminal size %ux%u", rows, cols);
        if (r >= 0) {
                _cleanup_close_ int sock = open_attach_socket(&c, err);
                if (sock < 0)
                        r = sock;
                else if (send_resize(sock, rows, cols) < 0)
                        r = lade_error(err, errno, "resize the tty of container %.12s", c.id);
        }
        ctr_done(&c);
        return r;
}

/* ---- stopping ---- */

/* Waits until the monitor says the container exited (or is gone); timeout_ms < 0: forever.
 * Returns 1 when it stopped, 0 on timeout. */
static int wait_monitor(Ctr *c, int timeout_ms)
{
        _cleanup_close_ int sock = open_attach_socket(c, NULL);
        if (sock < 0)
                return !pid_alive(c->pid) || !pid_alive(c->monitor_pid);
        MonMsg w = { .type = MON_WAIT };
        (void) mon_send(sock, &w, NULL, 0);
        int64_t end = (int64_t) (now_ns() / 1000000) + timeout_ms;
        for (;;) {
                int left = timeout_ms < 0 ? -1 : (int) (end - (int64_t) (now_ns() / 1000000));
                if (timeout_ms >= 0 && left <= 0)
                        return 0;
                struct pollfd p = { .fd = sock, .events = POLLIN };
                int n = poll(&p, 1, left);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return 0;
                MonMsg m;
                int fds[3];
                int r = mon_recv(sock, &m, fds);
                for (int k = 0; k < 3; k++)
                        safe_close(fds[k]);
                if (r < 0 || m.type == 0 || m.type == MON_EXIT)
                        return 1;
        }
}

/* Nudges a monitor waiting to restart so it re-reads stop_requested. */
static void wake_monitor(Ctr *c)
{
        _cleanup_close_ int sock = open_attach_socket(c, NULL);
        MonMsg m = { .type = MON_SIGNAL, .value = 0 };
        if (sock >= 0)
                (void) mon_send(sock, &m, NULL, 0);
}

static int kill_init(Ctr *c, int sig, LadeError **err)
{
        return container_kill(&c->rt, c->id, sig, false, err);
}

static int stop_signal(Ctr *c)
{
        const char *s = json_string_value(json_object_get(c->create, "StopSignal"));
        if ((!s || !*s) && c->image && c->image->config)
                s = c->image->config->stop_signal;
        int sig = s && *s ? runtime_parse_signal(s) : SIGTERM;
        return sig > 0 ? sig : SIGTERM;
}

static int stop_loaded(Ctr *c, int timeout, int sig, LadeError **err)
{
        if (!active(c))
                return 0;
        int r = ctr_set_stop_requested(c, true, err);
        if (r < 0)
                return r;
        if (timeout < 0) {
                json_t *t = json_object_get(c->create, "StopTimeout");
                timeout = json_is_integer(t) ? (int) json_integer_value(t) : 10;
        }
        if (state_is(c, "paused")) {
                (void) container_resume(&c->rt, c->id, NULL);
        }
        if (state_is(c, "restarting"))
                wake_monitor(c);
        else if (timeout != 0 && !c->image)
                (void) image_store_resolve(engine_images(c->e), c->image_id, &c->image, NULL);
        if (!state_is(c, "restarting") && timeout != 0 && kill_init(c, sig > 0 ? sig : stop_signal(c), NULL) == 0 &&
            wait_monitor(c, timeout < 0 ? -1 : timeout * 1000) == 1)
                return 0;
        (void) kill_init(c, SIGKILL, NULL);
        if (wait_monitor(c, 30000) == 1)
                return 0;
        return lade_error_msg(err, ETIMEDOUT, "cannot stop container: %s: the container did not exit", c->name);
}

int engine_container_stop(Engine *e, const char *name_or_id, int timeout, LadeError **err)
{
        return engine_container_stop_signal(e, name_or_id, timeout, 0, err);
}

int engine_container_stop_signal(Engine *e, const char *name_or_id, int timeout, int sig, LadeError **err)
{
        Ctr c;
        int r = load(e, &c, name_or_id, err);
        if (r >= 0 && (r = stop_loaded(&c, timeout, sig, err)) >= 0)
                ctr_event(&c, "stop", NULL);
        ctr_done(&c);
        if (r >= 0) {
                /* an orphan (no monitor) has nobody to record its end */
                Ctr again;
                if (load(e, &again, name_or_id, NULL) == 0)
                        ctr_reconcile(&again);
                ctr_done(&again);
        }
        return r;
}

int engine_container_restart(Engine *e, const char *name_or_id, int timeout, LadeError **err)
{
        int r = engine_container_stop(e, name_or_id, timeout, err);
        if (r < 0 || (r = engine_container_start(e, name_or_id, NULL, NULL, err)) < 0)
                return r;
        Ctr c;
        if (load(e, &c, name_or_id, NULL) == 0)
                ctr_event(&c, "restart", NULL);
        ctr_done(&c);
        return 0;
}

int engine_container_kill(Engine *e, const char *name_or_id, int sig, LadeError **err)
{
        Ctr c;
        int r = load(e, &c, name_or_id, err);
        if (r < 0)
                goto out;
        if (!state_is(&c, "running") && !state_is(&c, "paused")) {
                r = lade_error_msg(err, EBUSY, "Cannot kill container: %s: Container %s is not running", name_or_id,
                                   c.id);
                goto out;
        }
        if (sig == SIGKILL || sig == stop_signal(&c)) {
                /* as Docker: a kill with the stop signal is a stop; no restart follows */
                (void) ctr_set_stop_requested(&c, true, NULL);
        }
        r = kill_init(&c, sig, err);
        if (r >= 0) {
                _cleanup_free_ char *signal = xasprintf("%d", sig);
                ctr_event(&c, "kill", json_pack("{s:s}", "signal", signal));
        }
out:
        ctr_done(&c);
        return r;
}

/* The exit code of id's newest "die" event after seq (any when after is 0); -1 when none. */
static int last_die(Engine *e, const char *id, int64_t after, bool want_destroy, bool *ret_destroyed)
{
        int code = -1;
        for (;;) {
                EngineEvent *l = NULL;
                size_t n = 0;
                if (engine_events_read(e, after, 1024, &l, &n, NULL) < 0 || n == 0)
                        break;
                for (size_t i = 0; i < n; i++) {
                        if (!streq(l[i].actor_id, id) || !streq(l[i].type, "container"))
                                continue;
                        const char *ec = json_string_value(json_object_get(l[i].attributes, "exitCode"));
                        if (streq(l[i].action, "die") && ec)
                                code = atoi(ec);
                        if (streq(l[i].action, "destroy") && want_destroy)
                                *ret_destroyed = true;
                }
                after = l[n - 1].seq;
                engine_event_list_free(l, n);
        }
        return code;
}

int engine_container_wait_cancellable(Engine *e, const char *name_or_id, const char *condition, int cancel_fd,
                                      int *ret_status, LadeError **err)
{
        bool removed = condition && streq(condition, "removed");
        bool next = condition && streq(condition, "next-exit");
        if (condition && *condition && !removed && !next && !streq(condition, "not-running"))
                return lade_error_msg(err, EINVAL, "invalid condition: \"%s\"", condition);
        /* the watch before the cursor, the cursor before the row: a monitor saves the exit to
         * the row before it emits "die", so an exit is either in the row we load or in an event
         * after seq0, whose tick the watch has queued */
        _cleanup_(engine_events_watch_freep) EngineEventsWatch *w = engine_events_watch_new(e);
        Ctr c = { 0 };
        int64_t seq0 = 0;
        int r = engine_events_last_seq(e, &seq0, err);
        if (r >= 0)
                r = load_borrowed(e, &c, name_or_id, err);
        if (r < 0) {
                ctr_done(&c);
                return r;
        }
        char id[65];
        memcpy(id, c.id, sizeof(id));
        int code = c.exit_code;
        bool done = !removed && !next && !active(&c);
        ctr_done(&c);
        /* the events tell what happened even when it was quick: a --rm container's exit code
         * lives on in its "die" event after the row is gone */
        while (!done) {
                bool destroyed = false;
                int die = last_die(e, id, seq0, removed, &destroyed);
                if (die >= 0)
                        code = die;
                if (removed ? destroyed : die >= 0)
                        break;
                Ctr again;
                bool gone = load_borrowed(e, &again, id, NULL) < 0;
                /* an exit in the row whose event is missing (it could not be written) */
                bool exited = !gone && !removed && !next && !active(&again);
                if (exited)
                        code = again.exit_code;
                ctr_done(&again);
                if (exited)
                        break;
                if (gone) {
                        /* removed without events (an old table): the newest exit we know */
                        die = last_die(e, id, 0, false, &destroyed);
                        code = die >= 0 ? die : code;
                        break;
                }
                if (engine_events_watch_wait(w, cancel_fd, ENGINE_EVENTS_WATCH_TIMEOUT_MS) == -ECANCELED)
                        return lade_error_msg(err, ECANCELED, "wait for container %.12s: cancelled", id);
        }
        *ret_status = code;
        return 0;
}

int engine_container_wait(Engine *e, const char *name_or_id, const char *condition, int *ret_status,
                          LadeError **err)
{
        return engine_container_wait_cancellable(e, name_or_id, condition, -1, ret_status, err);
}

static int set_paused(Engine *e, const char *name_or_id, bool pause, LadeError **err)
{
        Ctr c;
        int r = load(e, &c, name_or_id, err);
        if (r < 0)
                goto out;
        if (pause ? !state_is(&c, "running") : !state_is(&c, "paused")) {
                r = pause ? lade_error_msg(err, EBUSY, "Container %s is not running", c.id)
                          : lade_error_msg(err, EBUSY, "Container %s is not paused", c.id);
                goto out;
        }
        r = pause ? container_pause(&c.rt, c.id, err) : container_resume(&c.rt, c.id, err);
        if (r >= 0) {
                free(c.state);
                c.state = xstrdup(pause ? "paused" : "running");
                if ((r = ctr_save(&c, err)) >= 0)
                        ctr_event(&c, pause ? "pause" : "unpause", NULL);
        }
out:
        ctr_done(&c);
        return r;
}

int engine_container_pause(Engine *e, const char *name_or_id, LadeError **err)
{
        return set_paused(e, name_or_id, true, err);
}

int engine_container_unpause(Engine *e, const char *name_or_id, LadeError **err)
{
        return set_paused(e, name_or_id, false, err);
}

int engine_container_rename(Engine *e, const char *name_or_id, const char *new_name, LadeError **err)
{
        Ctr c;
        int r = load(e, &c, name_or_id, err);
        if (r < 0)
                goto out;
        const char *n = new_name && new_name[0] == '/' ? new_name + 1 : new_name;
        if (!name_valid(n)) {
                r = lade_error_msg(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                                   new_name ? new_name : "");
                goto out;
        }
        if (streq(n, c.name)) {
                r = lade_error_msg(err, EINVAL, "Renaming a container with the same name as its current name");
                goto out;
        }
        sqlite3_stmt *st;
        r = image_db_prepare(c.db, "UPDATE containers SET name = ?2 WHERE id = ?1", &st, err, c.id, n, NULL);
        if (r >= 0) {
                int rc = sqlite3_step(st);
                sqlite3_finalize(st);
                if (rc == SQLITE_CONSTRAINT)
                        r = name_conflict(c.db, n, err);
                else if (rc != SQLITE_DONE)
                        r = image_db_error(c.db, rc, "rename container", err);
        }
        if (r >= 0) {
                _cleanup_free_ char *old = c.name;
                c.name = xstrdup(n);
                ctr_event(&c, "rename", json_pack("{s:s}", "oldName", old));
        }
out:
        ctr_done(&c);
        return r;
}

int engine_container_remove(Engine *e, const char *name_or_id, bool force, bool volumes, LadeError **err)
{
        Ctr c;
        int r = load(e, &c, name_or_id, err);
        if (r < 0)
                goto out;
        if (active(&c) && !force) {
                r = lade_error_msg(err, EBUSY,
                                   "cannot remove container \"/%s\": container is %s: stop the container before removing or force remove",
                                   c.name, state_is(&c, "paused") ? "paused" : "running");
                goto out;
        }
        if (active(&c)) {
                (void) ctr_set_stop_requested(&c, true, NULL);
                if (state_is(&c, "restarting"))
                        wake_monitor(&c);
                (void) kill_init(&c, SIGKILL, NULL);
                if (state_is(&c, "paused")) {
                        (void) container_resume(&c.rt, c.id, NULL);
                }
                (void) wait_monitor(&c, 30000);
        }
        (void) container_delete(&c.rt, c.id, true, NULL);
        (void) engine_network_detach(e, c.id, NULL);
        /* -v: its anonymous volumes go too (ctr_destroy then finds nothing left to release) */
        (void) engine_volumes_release(e, c.id, volumes, NULL);
        ctr_destroy(&c);
        ctr_purge_trash(e);
out:
        ctr_done(&c);
        return r;
}

int engine_container_lookup(Engine *e, const char *name_or_id, char ret_id[static 65], LadeError **err)
{
        Ctr c = { .e = e };
        int r = ctr_borrow_db(&c, err);
        if (r >= 0)
                r = ctr_load(&c, name_or_id, err);
        if (r >= 0)
                memcpy(ret_id, c.id, 65);
        ctr_done(&c);
        return r;
}

int engine_container_state(Engine *e, const char *name_or_id, char ret_id[static 65], char **ret_state,
                           bool *ret_tty, LadeError **err)
{
        Ctr c;
        int r = load_borrowed(e, &c, name_or_id, err);
        if (r >= 0) {
                memcpy(ret_id, c.id, 65);
                *ret_state = xstrdup(c.state ? c.state : "");
                if (ret_tty)
                        *ret_tty = json_is_true(json_object_get(c.create, "Tty"));
        }
        ctr_done(&c);
        return r;
}

int engine_container_paths(Engine *e, const char *name_or_id, char **ret_dir, char **ret_rootfs,
                           LadeError **err)
{
        Ctr c = { .e = e };
        int r = ctr_load(&c, name_or_id, err);
        if (r >= 0) {
                if (ret_dir)
                        *ret_dir = xstrdup(c.dir);
                if (ret_rootfs)
                        *ret_rootfs = xstrdup(c.rootfs);
        }
        ctr_done(&c);
        return r;
}

int engine_container_pids(Engine *e, const char *name_or_id, pid_t **ret, size_t *ret_n, LadeError **err)
{
        Ctr c;
        int r = load(e, &c, name_or_id, err);
        if (r >= 0 && !state_is(&c, "running") && !state_is(&c, "paused"))
                r = lade_error_msg(err, EBUSY, "container %s is not running", c.id);
        if (r >= 0) {
                r = container_pids(&c.rt, c.id, ret, ret_n, err);
        }
        ctr_done(&c);
        return r;
}

int engine_container_prune(Engine *e, const EngineFilters *f, char ***ret_ids, uint64_t *ret_reclaimed,
                           LadeError **err)
{
        static const char *const known[] = { "label", "label!", "until", NULL };
        _cleanup_strv_free_ char **until_v = NULL, **labels = NULL, **not_labels = NULL;
        int64_t until = 0;
        int r = f ? engine_filters_validate(f, known, err) : 0;
        if (r < 0)
                return r;
        if (f) {
                until_v = engine_filters_get(f, "until");
                labels = engine_filters_get(f, "label");
                not_labels = engine_filters_get(f, "label!");
        }
        if (until_v && *until_v && (r = engine_parse_timestamp(*until_v, (int64_t) time(NULL), &until, err)) < 0)
                return r;
        ContainerInfo **l = NULL;
        size_t n = 0;
        if ((r = engine_container_list(e, true, &l, &n, err)) < 0)
                return r;
        char **ids = xmalloc0(sizeof(char *));
        uint64_t reclaimed = 0;
        for (size_t i = 0; i < n; i++) {
                const ContainerInfo *ci = l[i];
                bool keep = !streq(ci->state, "exited") && !streq(ci->state, "created") && !streq(ci->state, "dead");
                keep = keep || (until && ci->created >= until);
                keep = keep || !engine_labels_match(ci->labels, labels, false) ||
                       !engine_labels_match(ci->labels, not_labels, true);
                if (keep)
                        continue;
                int64_t rw = 0;
                (void) engine_container_size(e, ci->id, &rw, NULL, NULL);
                if (engine_container_remove(e, ci->id, false, false, NULL) == 0) {
                        ids = strv_append(ids, ci->id);
                        reclaimed += rw > 0 ? (uint64_t) rw : 0;
                }
        }
        container_info_list_free(l, n);
        /* dockerd's prune event: no Actor ID, the bytes reclaimed */
        _cleanup_free_ char *rec = xasprintf("%llu", (unsigned long long) reclaimed);
        engine_event_emit(e, "container", "prune", "", json_pack("{s:s}", "reclaimed", rec));
        *ret_ids = ids;
        if (ret_reclaimed)
                *ret_reclaimed = reclaimed;
        return 0;
}

/* ---- after a reboot ---- */

/* Docker's daemon start: containers whose restart policy says so come back (always,
 * unless-stopped; on-failure when they were running when the host went down), unless a user
 * stopped them. */
int engine_containers_boot(Engine *e, char ***ret_started, LadeError **err)
{
        ContainerInfo **l = NULL;
        size_t n = 0;
        int r = engine_container_list(e, true, &l, &n, err); /* reconciles every row */
        if (r < 0)
                return r;
        char **started = xmalloc0(sizeof(char *));
        for (size_t i = 0; i < n; i++) {
                Ctr c;
                if (load(e, &c, l[i]->id, NULL) < 0 || active(&c) || c.stop_requested) {
                        ctr_done(&c);
                        continue;
                }
                json_t *pol = json_object_get(json_object_get(c.create, "HostConfig"), "RestartPolicy");
                const char *name = json_string_value(json_object_get(pol, "Name"));
                bool crashed = c.error && streq(c.error, "container monitor exited unexpectedly");
                bool want = name && (streq(name, "always") || streq(name, "unless-stopped") ||
                                     (streq(name, "on-failure") && crashed));
                if (want && start_loaded(&c, NULL, NULL, NULL, NULL) == 0)
                        started = strv_append(started, c.name);
                ctr_done(&c);
        }
        container_info_list_free(l, n);
        *ret_started = started;
        return 0;
}

/* ---- images in use ---- */

int engine_image_in_use(Engine *e, const char *image_id)
{
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        if (ctr_open_db(e, &db, NULL) < 0 ||
            image_db_prepare(db, "SELECT 1 FROM containers WHERE image_id = ?1", &st, NULL, image_id, NULL) < 0)
                return -EIO;
        return sqlite3_step(st) == SQLITE_ROW;
}

int engine_image_remove(Engine *e, const char *name, bool force, ImageRemoveFn fn, void *ud, LadeError **err)
{
        _cleanup_(image_info_freep) ImageInfo *info = NULL;
        int r = image_store_resolve(engine_images(e), name, &info, err);
        if (r < 0)
                return r;
        /* a reference of an image with other tags is only untagged: containers do not matter */
        if (strv_length(info->repo_tags) > 1 && !startswith(info->id, name) && !startswith(info->id + 7, name))
                return engine_image_remove_logged(e, info, name, force, fn, ud, err);
        _cleanup_(image_db_closep) sqlite3 *db = NULL;
        if ((r = ctr_open_db(e, &db, err)) < 0)
                return r;
        _cleanup_(image_db_finalizep) sqlite3_stmt *st = NULL;
        r = image_db_prepare(db, "SELECT id, state FROM containers WHERE image_id = ?1 ORDER BY state = 'running' DESC",
                             &st, err, info->id, NULL);
        if (r < 0)
                return r;
        if (sqlite3_step(st) == SQLITE_ROW) {
                const char *cid = (const char *) sqlite3_column_text(st, 0);
                bool running = streq((const char *) sqlite3_column_text(st, 1), "running");
                /* Docker: a stopped container's image goes only with -f; a running one's never */
                if (running || !force)
                        return lade_error_msg(err, EBUSY,
                                              "conflict: unable to delete %.12s (%s) - image is being used by %s container %.12s",
                                              info->id + 7, running ? "cannot be forced" : "must be forced",
                                              running ? "running" : "stopped", cid);
        }
        return engine_image_remove_logged(e, info, name, force, fn, ud, err);
}
