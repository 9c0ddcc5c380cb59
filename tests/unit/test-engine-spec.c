/* engine container spec: Docker's create body + an image config -> the OCI spec dockerd would
 * write, checked field by field against moby v28's behaviour (entrypoint/cmd merge, env order,
 * users from a fake rootfs's /etc/passwd and /etc/group, capabilities, privileged, mounts and
 * their order, binds, tmpfs, devices, resources, namespaces, seccomp, the generated network
 * files). Every spec that builds is also dumped and fed to the runtime's own spec_parse().
 * JSON is written with ' for " (see dq()). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "container-spec.h"
#include "json-util.h"
#include "manifest.h"
#include "spec.h"
#include "util.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char tmp[64], rootfs[128], state_dir[128], outside[128];
static const char *ip_address;

/* ' -> " so that JSON documents fit in C strings without escapes */
static char *dq(const char *s)
{
        char *r = xstrdup(s);
        for (char *p = r; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return r;
}

static void write_file(const char *path, const char *text)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        assert_int_equal(write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0644, &err), 0);
}

__attribute__((noinline)) static char *read_text(const char *path)
{
        char *text = NULL;
        assert_int_equal(read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, NULL), 0);
        return text;
}

static int setup(void **unused)
{
        strcpy(tmp, "/tmp/lade-spec-test-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmp);
        snprintf(state_dir, sizeof(state_dir), "%s/state", tmp);
        snprintf(outside, sizeof(outside), "%s/outside", tmp);
        _cleanup_free_ char *etc = xasprintf("%s/etc", rootfs),
                            *evil = xasprintf("%s/evil/etc", tmp);
        assert_int_equal(mkdir_p(etc, 0755), 0);
        assert_int_equal(mkdir_p(evil, 0755), 0);
        assert_int_equal(mkdir_p(outside, 0755), 0);
        _cleanup_free_ char *pw = xasprintf("%s/passwd", etc), *gr = xasprintf("%s/group", etc);
        write_file(pw, "root:x:0:0:root:/root:/bin/sh\n"
                       "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                       "  alice:x:1000:1000:Alice:/home/alice:/bin/sh  \n"
                       "\n"
                       "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        write_file(gr, "root:x:0:\n# a comment\ndaemon:x:1:\nvideo:x:44:alice\n"
                       "audio:x:29:alice,daemon\nalice:x:1000:\nnogroup:x:65534:\n");
        /* a rootfs whose /etc/passwd points out of it: it must resolve inside */
        _cleanup_free_ char *evil_pw = xasprintf("%s/passwd", evil),
                            *host_pw = xasprintf("%s/passwd", tmp);
        write_file(host_pw, "hostonly:x:4242:4242::/:/bin/sh\n");
        assert_int_equal(symlink("../../../../../../../../passwd", evil_pw), 0);
        return 0;
}

static int teardown(void **unused)
{
        (void) rm_rf_at(AT_FDCWD, tmp);
        return 0;
}

/* ---- building ---- */

static ImageConfig *image(const char *config)
{
        _cleanup_free_ char *doc = dq(config ? config : "{}");
        _cleanup_free_ char *text = xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\","
                                              "\"config\":%s,\"rootfs\":{\"type\":\"layers\","
                                              "\"diff_ids\":[]}}", doc);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        ImageConfig *c = NULL;
        if (image_config_parse(text, strlen(text), &c, &err) < 0)
                fail_msg("image config: %s", lade_error_message(err));
        return c;
}

static int build_in(const char *root, const char *create, const char *img, json_t **ret,
                    LadeError **err)
{
        _cleanup_free_ char *body = dq(create);
        _cleanup_json_ json_t *c = json_loads(body, 0, NULL);
        if (!c)
                fail_msg("bad test JSON: %s", create);
        _cleanup_(image_config_freep) ImageConfig *ic = image(img);
        SpecInputs in = { .create = c, .image = ic, .rootfs = root, .id = ID, .name = "test",
                          .state_dir = state_dir, .ip_address = ip_address };
        return container_spec_build(&in, ret, err);
}

/* The runtime must accept every spec we build. */
static void runtime_accepts(json_t *spec)
{
        _cleanup_free_ char *text = container_spec_dump(spec, JSON_INDENT(2));
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(spec_freep) Spec *s = NULL;
        if (spec_parse(text, strlen(text), &s, &err) < 0)
                fail_msg("runtime spec_parse: %s\n%s", lade_error_message(err), text);
}

static json_t *build_ok(const char *create, const char *img)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        json_t *spec = NULL;
        if (build_in(rootfs, create, img, &spec, &err) < 0)
                fail_msg("unexpected error: %s\nfor: %s", lade_error_message(err), create);
        runtime_accepts(spec);
        return spec;
}

static void build_fails(const char *create, const char *img, const char *msg)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_json_ json_t *spec = NULL;
        if (build_in(rootfs, create, img, &spec, &err) >= 0)
                fail_msg("built, but should have failed: %s", create);
        if (!strstr(err->msg, msg))
                fail_msg("error '%s' does not contain '%s'", err->msg, msg);
}

/* "a.b[2].c" */
static json_t *at(json_t *j, const char *path)
{
        _cleanup_free_ char *p = xstrdup(path);
        char *save = NULL;
        for (char *tok = strtok_r(p, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save)) {
                char *br = strchr(tok, '[');
                if (br)
                        *br = '\0';
                if (*tok)
                        j = json_object_get(j, tok);
                while (br && j) {
                        j = json_array_get(j, (size_t) atoi(br + 1));
                        br = strchr(br + 1, '[');
                }
        }
        return j;
}

static void assert_json(json_t *got, const char *expected)
{
        _cleanup_free_ char *e = dq(expected);
        _cleanup_json_ json_t *want = json_loads(e, JSON_DECODE_ANY, NULL);
        assert_non_null(want);
        if (!json_equal(got, want)) {
                _cleanup_free_ char *g =
                        got ? json_dumps(got, JSON_ENCODE_ANY) : xstrdup("(absent)");
                fail_msg("got %s, want %s", g, e);
        }
}

static void assert_at(json_t *spec, const char *path, const char *expected)
{
        json_t *v = at(spec, path);
        if (!v)
                fail_msg("%s: absent, want %s", path, expected);
        assert_json(v, expected);
}

static json_t *mount_at(json_t *spec, const char *dest)
{
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(spec, "mounts"), i, m)
                if (streq(json_string_value(json_object_get(m, "destination")), dest))
                        return m;
        return NULL;
}

static bool has_string(json_t *a, const char *s)
{
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v)
                if (streq(json_string_value(v), s))
                        return true;
        return false;
}

static bool kernel_at_least(unsigned want_k, unsigned want_m)
{
        struct utsname u;
        unsigned k = 0, m = 0;
        assert_int_equal(uname(&u), 0);
        assert_int_equal(sscanf(u.release, "%u.%u", &k, &m), 2);
        return k > want_k || (k == want_k && m >= want_m);
}

/* ---- process ---- */

typedef struct ArgsCase {
        const char *create, *image, *args; /* args NULL: fails with "no command specified" */
} ArgsCase;

static void test_args(void **unused)
{
        static const ArgsCase cases[] = {
                { "{}", "{'Entrypoint':['/ep'],'Cmd':['a']}", "['/ep','a']" },
                { "{'Cmd':['b','c']}", "{'Entrypoint':['/ep'],'Cmd':['a']}", "['/ep','b','c']" },
                { "{'Entrypoint':['/x']}", "{'Entrypoint':['/ep'],'Cmd':['a']}", "['/x']" },
                { "{'Entrypoint':['/x'],'Cmd':['y']}", "{'Cmd':['a']}", "['/x','y']" },
                { "{'Entrypoint':'sh -c'}", "{}", "['sh -c']" },
                /* [] is "set but empty": the image's entrypoint goes, its Cmd stays */
                { "{'Entrypoint':[]}", "{'Entrypoint':['/ep'],'Cmd':['a']}", "['a']" },
                { "{'Entrypoint':null,'Cmd':null}", "{'Cmd':['sh']}", "['sh']" },
                { "{'Entrypoint':[''],'Cmd':['sh']}", "{'Entrypoint':['/ep']}", "['sh']" },
                { "{'Entrypoint':['']}", "{'Cmd':['a']}", NULL },
                { "{}", "{}", NULL },
                { "{'Cmd':[]}", "{'Entrypoint':null}", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                if (!cases[i].args) {
                        build_fails(cases[i].create, cases[i].image, "no command specified");
                        continue;
                }
                _cleanup_json_ json_t *s = build_ok(cases[i].create, cases[i].image);
                assert_at(s, "process.args", cases[i].args);
        }
}

static void test_env(void **unused)
{
        const char *img = "{'Cmd':['sh'],'Env':['PATH=/img/bin','A=image','B=image']}";
        _cleanup_json_ json_t *s = build_ok("{'Env':['B=user','C=user','NOVALUE']}", img);
        /* defaults, overridden in place; then the request's; then the image's others */
        assert_at(s, "process.env", "['PATH=/img/bin','HOSTNAME=0123456789ab','B=user','C=user',"
                  "'A=image']");
        json_decref(s);
        s = build_ok("{'Tty':true,'Hostname':'box','Env':['PATH']}", "{'Cmd':['sh']}");
        assert_at(s, "process.env", "['HOSTNAME=box','TERM=xterm']");
        assert_at(s, "process.terminal", "true");
        assert_at(s, "hostname", "'box'");
        json_decref(s);
        s = build_ok("{}", "{'Cmd':['sh']}");
        assert_at(s, "process.env",
                  "['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"
                  "'HOSTNAME=0123456789ab']");
        assert_at(s, "process.terminal", "false");
        assert_at(s, "process.cwd", "'/'");
        assert_at(s, "hostname", "'0123456789ab'");
        build_fails("{'Env':['=x']}", "{'Cmd':['sh']}", "invalid environment variable: =x");
}

static void test_cwd(void **unused)
{
        _cleanup_json_ json_t *s =
                build_ok("{'WorkingDir':'/srv//app/.'}", "{'Cmd':['sh'],'WorkingDir':'/img'}");
        assert_at(s, "process.cwd", "'/srv/app'");
        _cleanup_free_ char *made = xasprintf("%s/srv/app", rootfs);
        struct stat st;
        assert_int_equal(stat(made, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        json_decref(s);
        s = build_ok("{}", "{'Cmd':['sh'],'WorkingDir':'/img'}");
        assert_at(s, "process.cwd", "'/img'");
        build_fails("{'WorkingDir':'rel'}", "{'Cmd':['sh']}",
                    "the working directory 'rel' is invalid, it needs to be an absolute path");
        build_fails("{'WorkingDir':'/etc/passwd'}", "{'Cmd':['sh']}",
                    "Cannot mkdir: /etc/passwd is not a directory");
}

typedef struct UserCase {
        const char *create, *image_user, *user; /* user: expected JSON, or the error */
        bool fails;
} UserCase;

static void test_user(void **unused)
{
        static const UserCase cases[] = {
                { "{}", NULL, "{'uid':0,'gid':0,'additionalGids':[0]}" },
                { "{'User':'alice'}", NULL,
                  "{'uid':1000,'gid':1000,'additionalGids':[1000,44,29]}" },
                { "{'User':'1000'}", NULL,
                  "{'uid':1000,'gid':1000,'additionalGids':[1000,44,29]}" },
                { "{'User':'alice:audio'}", NULL, "{'uid':1000,'gid':29,'additionalGids':[29]}" },
                { "{'User':'alice:7'}", NULL, "{'uid':1000,'gid':7,'additionalGids':[7]}" },
                { "{'User':'4242'}", NULL, "{'uid':4242,'gid':0,'additionalGids':[0]}" },
                { "{'User':'4242:4343'}", NULL, "{'uid':4242,'gid':4343,'additionalGids':[4343]}" },
                { "{}", "daemon", "{'uid':1,'gid':1,'additionalGids':[1,29]}" },
                { "{'User':'nobody'}", "daemon",
                  "{'uid':65534,'gid':65534,'additionalGids':[65534]}" },
                { "{'User':'daemon','HostConfig':{'GroupAdd':['video','123','audio']}}", NULL,
                  "{'uid':1,'gid':1,'additionalGids':[1,29,44,123,29]}" },
                { "{'User':'nobody2'}", NULL,
                  "unable to find user nobody2: no matching entries in passwd file", true },
                { "{'User':'alice:nogrp'}", NULL,
                  "unable to find group nogrp: no matching entries in group file", true },
                { "{'HostConfig':{'GroupAdd':['wheel']}}", NULL,
                  "Unable to find group wheel: no matching entries in group file", true },
                { "{'User':'2147483648'}", NULL, "uids and gids must be in range 0-2147483647",
                  true },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *img = cases[i].image_user
                        ? xasprintf("{'Cmd':['sh'],'User':'%s'}", cases[i].image_user)
                        : xstrdup("{'Cmd':['sh']}");
                if (cases[i].fails) {
                        build_fails(cases[i].create, img, cases[i].user);
                        continue;
                }
                _cleanup_json_ json_t *s = build_ok(cases[i].create, img);
                assert_at(s, "process.user", cases[i].user);
        }
}

/* /etc/passwd -> "/../../../passwd" must resolve inside the rootfs, not to the host file. */
static void test_user_symlink_stays_inside(void **unused)
{
        _cleanup_free_ char *evil = xasprintf("%s/evil", tmp);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_json_ json_t *spec = NULL;
        assert_true(build_in(evil, "{'User':'hostonly','Cmd':['sh']}", NULL, &spec, &err) < 0);
        assert_string_equal(err->msg,
                            "unable to find user hostonly: no matching entries in passwd file");
}

/* ---- capabilities, privileged ---- */

/* What "all capabilities" means to dockerd: those this process holds (CapEff, up to bit 40). */
static unsigned long long cap_eff(void)
{
        _cleanup_free_ char *status = read_text("/proc/self/status");
        const char *line = strstr(status, "CapEff:");
        unsigned long long eff = 0;
        assert_non_null(line);
        assert_int_equal(sscanf(line, "CapEff: %llx", &eff), 1);
        return eff & ((1ULL << 41) - 1);
}

static void test_caps(void **unused)
{
        _cleanup_json_ json_t *s = build_ok("{}", "{'Cmd':['sh']}");
        const char *def = "['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD',"
                          "'CAP_NET_RAW','CAP_SETGID','CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP',"
                          "'CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE']";
        assert_at(s, "process.capabilities.bounding", def);
        assert_at(s, "process.capabilities.effective", def);
        assert_at(s, "process.capabilities.permitted", def);
        assert_null(at(s, "process.capabilities.inheritable"));
        assert_null(at(s, "process.capabilities.ambient"));
        assert_int_equal(strv_length((char **) container_default_caps()), 14);
        json_decref(s);

        s = build_ok(
                "{'HostConfig':{'CapAdd':['sys_admin'],'CapDrop':['CAP_NET_RAW','chown','Mknod',"
                "'kill','SETUID','SETGID','SETPCAP','SETFCAP','FOWNER','FSETID','DAC_OVERRIDE',"
                "'SYS_CHROOT','AUDIT_WRITE']}}",
                "{'Cmd':['sh']}");
        assert_at(s, "process.capabilities.bounding", "['CAP_NET_BIND_SERVICE','CAP_SYS_ADMIN']");
        json_decref(s);
        s = build_ok("{'HostConfig':{'CapDrop':['ALL'],'CapAdd':['NET_BIND_SERVICE']}}",
                     "{'Cmd':['sh']}");
        assert_at(s, "process.capabilities.permitted", "['CAP_NET_BIND_SERVICE']");
        json_decref(s);
        s = build_ok("{'HostConfig':{'CapDrop':['ALL']}}", "{'Cmd':['sh']}");
        assert_at(s, "process.capabilities.effective", "[]");
        json_decref(s);
        s = build_ok("{'HostConfig':{'CapAdd':['ALL'],'CapDrop':['mknod']}}", "{'Cmd':['sh']}");
        json_t *b = at(s, "process.capabilities.bounding");
        unsigned long long eff = cap_eff();
        assert_int_equal(has_string(b, "CAP_CHOWN"), (eff & 1) != 0);
        assert_false(has_string(b, "CAP_MKNOD"));
        assert_int_equal(json_array_size(b), __builtin_popcountll(eff & ~(1ULL << 27)));
        build_fails("{'HostConfig':{'CapAdd':['CAP_FOO']}}", "{'Cmd':['sh']}",
                    "invalid CapAdd: unknown capability: \"CAP_FOO\"");
        build_fails("{'HostConfig':{'CapDrop':['bogus']}}", "{'Cmd':['sh']}",
                    "invalid CapDrop: unknown capability: \"CAP_BOGUS\"");
}

static void test_privileged(void **unused)
{
        _cleanup_json_ json_t *s = build_ok("{'HostConfig':{'Privileged':true}}", "{'Cmd':['sh']}");
        assert_int_equal(json_array_size(at(s, "process.capabilities.bounding")),
                         __builtin_popcountll(cap_eff()));
        assert_null(at(s, "linux.seccomp"));
        assert_null(at(s, "linux.maskedPaths"));
        assert_null(at(s, "linux.readonlyPaths"));
        assert_json(json_object_get(mount_at(s, "/sys"), "options"), "['nosuid','noexec','nodev']");
        assert_json(json_object_get(mount_at(s, "/sys/fs/cgroup"), "options"),
                    "['nosuid','noexec','nodev']");
        assert_at(s, "linux.resources.devices[0]", "{'allow':true,'access':'rwm'}");
        bool has_null = false;
        size_t i;
        json_t *d;
        json_array_foreach(at(s, "linux.devices"), i, d) {
                has_null |= streq(json_string_value(json_object_get(d, "path")), "/dev/null");
                assert_false(streq(json_string_value(json_object_get(d, "path")), "/dev/console"));
        }
        assert_true(has_null);
}

/* ---- mounts ---- */

static void test_default_mounts(void **unused)
{
        _cleanup_json_ json_t *s = build_ok("{}", "{'Cmd':['sh']}");
        assert_at(s, "mounts[0]", "{'destination':'/proc','type':'proc','source':'proc',"
                  "'options':['nosuid','noexec','nodev']}");
        assert_at(s, "mounts[1]", "{'destination':'/dev','type':'tmpfs','source':'tmpfs',"
                  "'options':['nosuid','strictatime','mode=755','size=65536k']}");
        assert_at(
                s, "mounts[2]",
                "{'destination':'/dev/pts','type':'devpts','source':'devpts',"
                "'options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']}");
        assert_at(s, "mounts[3]", "{'destination':'/sys','type':'sysfs','source':'sysfs',"
                  "'options':['nosuid','noexec','nodev','ro']}");
        assert_at(s, "mounts[4]",
                  "{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup',"
                  "'options':['ro','nosuid','noexec','nodev']}");
        assert_at(s, "mounts[5]", "{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue',"
                  "'options':['nosuid','noexec','nodev']}");
        assert_at(s, "mounts[6]", "{'destination':'/dev/shm','type':'tmpfs','source':'shm',"
                  "'options':['nosuid','noexec','nodev','mode=1777','size=67108864']}");
        _cleanup_free_ char *resolv =
                xasprintf("{'destination':'/etc/resolv.conf','type':'bind',"
                          "'source':'%s/resolv.conf','options':['rbind','rprivate']}",
                          state_dir);
        _cleanup_free_ char *hosts =
                xasprintf("{'destination':'/etc/hosts','type':'bind',"
                          "'source':'%s/hosts','options':['rbind','rprivate']}",
                          state_dir);
        assert_at(s, "mounts[7]", resolv);
        assert_at(s, "mounts[8].destination", "'/etc/hostname'");
        assert_at(s, "mounts[9]", hosts);
        assert_null(at(s, "mounts[10]"));
        _cleanup_free_ char *root = xasprintf("{'path':'%s'}", rootfs);
        assert_at(s, "root", root);
}

static void test_mounts_user(void **unused)
{
        _cleanup_free_ char *src = xasprintf("%s/src", outside),
                            *missing = xasprintf("%s/made/by/v", outside);
        assert_int_equal(mkdir_p(src, 0755), 0);
        _cleanup_free_ char *create = xasprintf(
                "{'HostConfig':{'Binds':['%s:/data:ro','%s:/a/b/c'],"
                "'Tmpfs':{'/run':'rw,size=64m','/scratch':'exec'},"
                "'Mounts':[{'Type':'tmpfs','Target':'/"
                "t','TmpfsOptions':{'SizeBytes':1048576,'Mode':448}},"
                "{'Type':'bind','Source':'%s','Target':'/m','BindOptions':{'NonRecursive':true}}],"
                "'ShmSize':1048576}}",
                src, missing, src);
        _cleanup_json_ json_t *s = build_ok(create, "{'Cmd':['sh']}");
        /* defaults first, then the user's by depth, network files among those of depth 2 */
        const char *order[] = { "/proc",
                                "/dev",
                                "/dev/pts",
                                "/sys",
                                "/sys/fs/cgroup",
                                "/dev/mqueue",
                                "/dev/shm",
                                "/run",
                                "/scratch",
                                "/t",
                                "/data",
                                "/m",
                                "/etc/resolv.conf",
                                "/etc/hostname",
                                "/etc/hosts",
                                "/a/b/c" };
        json_t *mounts = json_object_get(s, "mounts");
        assert_int_equal(json_array_size(mounts), ELEMENTSOF(order));
        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                assert_string_equal(json_string_value(json_object_get(json_array_get(mounts, i),
                                                                       "destination")), order[i]);
        assert_json(json_object_get(mount_at(s, "/dev/shm"), "options"),
                    "['nosuid','noexec','nodev','mode=1777','size=1048576']");
        assert_json(json_object_get(mount_at(s, "/run"), "options"),
                    "['noexec','nosuid','nodev','rprivate','rw','size=64m']");
        assert_json(json_object_get(mount_at(s, "/scratch"), "options"),
                    "['nosuid','nodev','rprivate','exec']");
        assert_json(mount_at(s, "/t"), "{'destination':'/t','type':'tmpfs','source':'tmpfs',"
                    "'options':['noexec','nosuid','nodev','rprivate','mode=700','size=1m']}");
        _cleanup_free_ char *ro = xasprintf("{'destination':'/data','type':'bind','source':'%s',"
                                            "'options':['rbind','%s','rprivate']}", src,
                                            kernel_at_least(5, 12) ? "rro" : "ro");
        assert_json(mount_at(s, "/data"), ro);
        assert_json(json_object_get(mount_at(s, "/m"), "options"), "['bind','rprivate']");
        /* -v creates a missing source directory, as dockerd does */
        struct stat st;
        assert_int_equal(stat(missing, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
}

static void test_mounts_errors(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        build_fails("{'HostConfig':{'Mounts':[{'Type':'bind','Source':'/nonexistent/x','Target':'/"
                    "x'}]}}",
                    img,
                    "invalid mount config for type \"bind\": bind source path does not exist: "
                    "/nonexistent/x");
        build_fails("{'HostConfig':{'Mounts':[{'Type':'bind','Source':'/tmp','Target':'x'}]}}", img,
                    "invalid mount config for type \"bind\": invalid mount path: 'x' mount path "
                    "must be absolute");
        build_fails("{'HostConfig':{'Mounts':[{'Type':'tmpfs','Target':'/x','BindOptions':{}}]}}",
                    img, "BindOptions must not be specified on mount type \"tmpfs\"");
        build_fails("{'HostConfig':{'Mounts':[{'Type':'bind','Source':'/tmp','Target':'/"
                    "x','ReadOnly':false,"
                    "'BindOptions':{'ReadOnlyNonRecursive':true}}]}}",
                    img, "mount options conflict: !ReadOnly && BindOptions.ReadOnlyNonRecursive");
        build_fails("{'HostConfig':{'Mounts':[{'Type':'volume','Source':'data','Target':'/x'}]}}",
                    img, "named volumes are not supported yet");
        build_fails("{'HostConfig':{'Binds':['data:/data']}}", img,
                    "named volumes are not supported yet");
        build_fails("{'HostConfig':{'Binds':['/data']}}", img,
                    "anonymous volumes are not supported yet");
        build_fails("{'HostConfig':{'Binds':['/tmp:/x','/var:/x']}}", img,
                    "Duplicate mount point: /x");
        build_fails("{'HostConfig':{'Binds':['/tmp:/x'],'Tmpfs':{'/x':''}}}", img,
                    "Duplicate mount point: /x");
        build_fails("{'HostConfig':{'Binds':['/tmp:/x:rw,ro']}}", img, "invalid mode: rw,ro");
        build_fails(
                "{'HostConfig':{'Binds':['/tmp:/']}}", img,
                "invalid volume specification: '/tmp:/': invalid mount config for type \"bind\": "
                "invalid specification: destination can't be '/'");
        build_fails("{'HostConfig':{'Binds':['/tmp:rw']}}", img,
                    "invalid volume specification: '/tmp:rw'");
        build_fails("{'HostConfig':{'Tmpfs':{'/x':'size=1m,bogus'}}}", img,
                    "invalid tmpfs option [\"bogus\"]");
        build_fails("{'HostConfig':{'Tmpfs':{'x':''}}}", img,
                    "invalid mount path: 'x' mount path must be absolute");
}

static void test_mounts_special(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        /* a user /dev replaces every default mount under /dev */
        _cleanup_json_ json_t *s = build_ok("{'HostConfig':{'Binds':['/dev:/dev']}}", img);
        assert_null(mount_at(s, "/dev/pts"));
        assert_null(mount_at(s, "/dev/shm"));
        assert_json(json_object_get(mount_at(s, "/dev"), "type"), "'bind'");
        json_decref(s);
        /* --ipc none: no /dev/shm; --ipc host: the host's */
        s = build_ok("{'HostConfig':{'IpcMode':'none'}}", img);
        assert_null(mount_at(s, "/dev/shm"));
        json_decref(s);
        s = build_ok("{'HostConfig':{'IpcMode':'host'}}", img);
        assert_json(mount_at(s, "/dev/shm"),
                    "{'destination':'/dev/shm','type':'bind','source':'/dev/shm',"
                    "'options':['rbind','rprivate']}");
        json_decref(s);
        /* read-only rootfs: the network files are read-only too */
        s = build_ok("{'HostConfig':{'ReadonlyRootfs':true}}", img);
        assert_at(s, "root.readonly", "true");
        assert_true(has_string(json_object_get(mount_at(s, "/etc/hosts"), "options"),
                               kernel_at_least(5, 12) ? "rro" : "ro"));
        json_decref(s);
        /* a bind over /etc/hosts replaces the generated file */
        s = build_ok("{'HostConfig':{'Binds':['/etc/hosts:/etc/hosts:ro']}}", img);
        assert_at(s, "mounts[9].source", "'/etc/hosts'");
        assert_at(s, "mounts[9].destination", "'/etc/hosts'");
        json_decref(s);
        /* NetworkDisabled: no network files at all */
        s = build_ok("{'NetworkDisabled':true}", img);
        assert_null(mount_at(s, "/etc/hosts"));
        assert_null(mount_at(s, "/etc/resolv.conf"));
        assert_null(mount_at(s, "/etc/hostname"));
        assert_at(s, "linux.namespaces[1]", "{'type':'network'}");
}

/* rslave/rshared binds need a shared (or slave) source mount, as dockerd checks. */
static void test_mounts_propagation(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        _cleanup_free_ char *shared = xasprintf("%s/shared", tmp),
                            *priv = xasprintf("%s/private", tmp);
        assert_int_equal(mkdir_p(shared, 0755), 0);
        assert_int_equal(mkdir_p(priv, 0755), 0);
        if (geteuid() != 0 || mount("tmpfs", shared, "tmpfs", 0, NULL) < 0) {
                skip();
                return;
        }
        assert_int_equal(mount(NULL, shared, NULL, MS_SHARED, NULL), 0);
        assert_int_equal(mount("tmpfs", priv, "tmpfs", 0, NULL), 0);
        assert_int_equal(mount(NULL, priv, NULL, MS_PRIVATE, NULL), 0);
        _cleanup_free_ char *ok = xasprintf("{'HostConfig':{'Binds':['%s:/s:rslave']}}", shared);
        _cleanup_json_ json_t *s = build_ok(ok, img);
        assert_json(json_object_get(mount_at(s, "/s"), "options"), "['rbind','rslave']");
        assert_at(s, "linux.rootfsPropagation", "'rslave'");
        json_decref(s);
        _cleanup_free_ char *sh = xasprintf("{'HostConfig':{'Binds':['%s:/s:shared']}}", shared);
        s = build_ok(sh, img);
        assert_at(s, "linux.rootfsPropagation", "'shared'");
        _cleanup_free_ char *bad = xasprintf("{'HostConfig':{'Binds':['%s:/p:rslave']}}", priv);
        _cleanup_free_ char *msg = xasprintf(
                "path %s is mounted on %s but it is not a shared or slave mount", priv, priv);
        build_fails(bad, img, msg);
        (void) umount2(shared, MNT_DETACH);
        (void) umount2(priv, MNT_DETACH);
}

/* ---- devices, resources, namespaces ---- */

static void test_devices(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        _cleanup_json_ json_t *s = build_ok(
                "{'HostConfig':{'Devices':[{'PathOnHost':'/dev/null','PathInContainer':'/dev/"
                "mynull',"
                "'CgroupPermissions':'rw'}],'DeviceCgroupRules':['c 42:* rmw','b *:* m']}}",
                img);
        assert_at(s, "linux.devices[0].path", "'/dev/mynull'");
        assert_at(s, "linux.devices[0].type", "'c'");
        assert_at(s, "linux.devices[0].major", "1");
        assert_at(s, "linux.devices[0].minor", "3");
        assert_at(s, "linux.devices[0].fileMode", "438");
        json_t *rules = at(s, "linux.resources.devices");
        assert_at(rules, "[0]", "{'allow':false,'access':'rwm'}");
        assert_at(rules, "[1]", "{'allow':true,'type':'c','major':1,'minor':5,'access':'rwm'}");
        assert_at(rules, "[7]", "{'allow':false,'type':'c','major':10,'minor':229,'access':'rwm'}");
        assert_at(rules, "[8]", "{'allow':true,'type':'c','major':1,'minor':3,'access':'rw'}");
        assert_at(rules, "[9]", "{'allow':true,'type':'c','major':42,'minor':-1,'access':'rmw'}");
        assert_at(rules, "[10]", "{'allow':true,'type':'b','major':-1,'minor':-1,'access':'m'}");
        /* then runc's implicit rules, which lade's runtime does not add itself */
        assert_at(rules, "[11]", "{'allow':true,'type':'c','major':-1,'minor':-1,'access':'m'}");
        assert_at(rules, "[19]", "{'allow':true,'type':'c','major':136,'minor':-1,'access':'rwm'}");
        assert_at(rules, "[21]", "{'allow':true,'type':'c','major':10,'minor':200,'access':'rwm'}");
        assert_int_equal(json_array_size(rules), 22);
        build_fails("{'HostConfig':{'DeviceCgroupRules':['c 1:3']}}", img,
                    "invalid device cgroup rule format: 'c 1:3'");
        build_fails("{'HostConfig':{'Devices':[{'PathOnHost':'/dev/nonexistent'}]}}", img,
                    "error gathering device information while adding custom device "
                    "\"/dev/nonexistent\"");
}

static void test_resources(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        _cleanup_free_ char *create = xasprintf(
                "{'HostConfig':{'Memory':536870912,'MemoryReservation':268435456,'NanoCpus':%s,"
                "'CpuShares':512,'CpusetCpus':'0','PidsLimit':100,'BlkioWeight':300,"
                "'OomKillDisable':true,'KernelMemory':12345}}", ncpu >= 2 ? "1.5e9" : "500000000");
        _cleanup_json_ json_t *s = build_ok(create, img);
        assert_at(s, "linux.resources.memory.limit", "536870912");
        assert_at(s, "linux.resources.memory.reservation", "268435456");
        assert_at(s, "linux.resources.memory.swap", "1073741824");
        assert_null(at(s, "linux.resources.memory.kernel"));
        assert_at(s, "linux.resources.cpu.quota", ncpu >= 2 ? "150000" : "50000");
        assert_at(s, "linux.resources.cpu.period", "100000");
        assert_at(s, "linux.resources.cpu.shares", "512");
        assert_at(s, "linux.resources.cpu.cpus", "'0'");
        assert_at(s, "linux.resources.pids", "{'limit':100}");
        assert_at(s, "linux.resources.blockIO", "{'weight':300}");
        json_decref(s);
        s = build_ok("{'HostConfig':{'Memory':67108864,'MemorySwap':-1,'CpuPeriod':50000,"
                     "'CpuQuota':25000,'PidsLimit':-1}}", img);
        assert_at(s, "linux.resources.memory", "{'limit':67108864,'disableOOMKiller':false}");
        assert_at(s, "linux.resources.cpu", "{'quota':25000,'period':50000}");
        assert_null(at(s, "linux.resources.pids"));
        json_decref(s);
        s = build_ok("{}", img);
        assert_at(s, "linux.resources.memory", "{'disableOOMKiller':false}");
        assert_null(at(s, "linux.resources.cpu"));
        assert_at(s, "linux.resources.blockIO", "{}");
        assert_at(s, "linux.cgroupsPath", "'/lade/" ID "'");
        json_decref(s);
        s = build_ok("{'HostConfig':{'CgroupParent':'/custom/'}}", img);
        assert_at(s, "linux.cgroupsPath", "'/custom/" ID "'");

        build_fails("{'HostConfig':{'Memory':1000}}", img, "Minimum memory limit allowed is 6MB");
        build_fails("{'HostConfig':{'Memory':67108864,'MemorySwap':33554432}}", img,
                    "Minimum memoryswap limit should be larger than memory limit, see usage");
        build_fails(
                "{'HostConfig':{'MemorySwap':67108864}}", img,
                "You should always set the Memory limit when using Memoryswap limit, see usage");
        build_fails("{'HostConfig':{'NanoCpus':500000000,'CpuPeriod':100000}}", img,
                    "Conflicting options: Nano CPUs and CPU Period cannot both be set");
        build_fails("{'HostConfig':{'NanoCpus':1000000000000}}", img,
                    "range of CPUs is from 0.01 to");
        build_fails("{'HostConfig':{'CpuQuota':10}}", img,
                    "CPU cfs quota can not be less than 1ms (i.e. 1000)");
        build_fails("{'HostConfig':{'BlkioWeight':5}}", img,
                    "Range of blkio weight is from 10 to 1000");
        build_fails("{'HostConfig':{'MemorySwappiness':101}}", img,
                    "Invalid value: 101, valid memory swappiness range is 0-100");
        build_fails("{'HostConfig':{'OomScoreAdj':1001}}", img,
                    "Invalid value 1001, range for oom score adj is [-1000, 1000]");
        build_fails("{'HostConfig':{'ShmSize':-1}}", img, "SHM size can not be less than 0");
        build_fails("{'HostConfig':{'Memory':'1g'}}", img,
                    "HostConfig.Memory: expected an integer, got a string");
}

static void test_namespaces(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        _cleanup_json_ json_t *s = build_ok("{}", img);
        json_t *ns = at(s, "linux.namespaces");
        assert_at(ns, "[0]", "{'type':'mount'}");
        assert_at(ns, "[1]", "{'type':'network'}");
        assert_at(ns, "[2]", "{'type':'uts'}");
        assert_at(ns, "[3]", "{'type':'pid'}");
        assert_at(ns, "[4]", "{'type':'ipc'}");
        json_decref(s);
        s = build_ok(
                "{'HostConfig':{'NetworkMode':'container:1234','PidMode':'host','UTSMode':'host',"
                "'IpcMode':'container:/proc/99/ns/ipc','CgroupnsMode':'private'}}",
                img);
        assert_at(s, "linux.namespaces",
                  "[{'type':'mount'},{'type':'network','path':'/proc/1234/ns/net'},"
                  "{'type':'ipc','path':'/proc/99/ns/ipc'},{'type':'cgroup'}]");
        assert_null(at(s, "hostname"));
        json_decref(s);
        s = build_ok("{'HostConfig':{'NetworkMode':'host'}}", img);
        char host[256] = "";
        assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
        assert_string_equal(json_string_value(at(s, "hostname")), host);
        assert_null(at(s, "linux.sysctl.net.ipv4.ping_group_range"));
        ns = at(s, "linux.namespaces");
        for (size_t i = 0; i < json_array_size(ns); i++)
                assert_false(
                        streq(json_string_value(at(json_array_get(ns, i), "type")), "network"));
        build_fails("{'HostConfig':{'IpcMode':'bogus'}}", img, "invalid IPC mode: bogus");
        build_fails("{'HostConfig':{'PidMode':'container:'}}", img, "invalid PID mode: container:");
        build_fails("{'HostConfig':{'CgroupnsMode':'x'}}", img, "invalid cgroup namespace mode: x");
}

/* ---- security ---- */

static json_t *find_rule(json_t *spec, const char *name, bool with_args)
{
        size_t i;
        json_t *r;
        json_array_foreach(at(spec, "linux.seccomp.syscalls"), i, r)
                if (has_string(json_object_get(r, "names"), name) &&
                    (json_object_get(r, "args") != NULL) == with_args)
                        return r;
        return NULL;
}

static void test_seccomp_default(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        _cleanup_json_ json_t *s = build_ok("{}", img);
        assert_at(s, "linux.seccomp.defaultAction", "'SCMP_ACT_ERRNO'");
        assert_at(s, "linux.seccomp.defaultErrnoRet", "1");
#if defined(__x86_64__)
        assert_at(s, "linux.seccomp.architectures",
                  "['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32']");
        assert_non_null(find_rule(s, "arch_prctl", false));
#endif
        /* without CAP_SYS_ADMIN: clone only without namespace flags, clone3 answers ENOSYS */
        assert_at(find_rule(s, "clone", true), "args",
                  "[{'index':0,'value':2114060288,'op':'SCMP_CMP_MASKED_EQ'}]");
        assert_null(find_rule(s, "clone", false));
        assert_null(find_rule(s, "unshare", false));
        assert_at(find_rule(s, "clone3", false), "",
                  "{'names':['clone3'],'action':'SCMP_ACT_ERRNO','errnoRet':38}");
        assert_null(find_rule(s, "reboot", false));
        assert_non_null(find_rule(s, "ptrace", false)); /* minKernel 4.8 */
        assert_non_null(find_rule(s, "personality", true));
        assert_null(find_rule(s, "personality", false));
        assert_non_null(find_rule(s, "socket", true));
        /* no Docker-format keys leak into the OCI form */
        size_t i;
        json_t *r;
        json_array_foreach(at(s, "linux.seccomp.syscalls"), i, r) {
                assert_null(json_object_get(r, "includes"));
                assert_null(json_object_get(r, "excludes"));
                assert_null(json_object_get(r, "comment"));
        }
        assert_null(at(s, "linux.seccomp.archMap"));
        json_decref(s);

        s = build_ok("{'HostConfig':{'CapAdd':['SYS_ADMIN','SYS_BOOT']}}", img);
        assert_non_null(find_rule(s, "clone", false));
        assert_non_null(find_rule(s, "unshare", false));
        assert_null(find_rule(s, "clone", true));
        assert_null(find_rule(s, "clone3", false)
                            ? json_object_get(find_rule(s, "clone3", false), "errnoRet")
                            : NULL);
        assert_non_null(find_rule(s, "reboot", false));
        json_decref(s);

        s = build_ok("{'HostConfig':{'SecurityOpt':['seccomp=unconfined']}}", img);
        assert_null(at(s, "linux.seccomp"));
        json_decref(s);
        s = build_ok("{'HostConfig':{'SecurityOpt':['seccomp=builtin']}}", img);
        assert_non_null(at(s, "linux.seccomp"));

        _cleanup_json_ json_t *profile = container_default_seccomp();
        assert_non_null(json_object_get(profile, "archMap"));
        assert_true(json_array_size(json_object_get(profile, "syscalls")) > 20);
}

static void test_seccomp_custom(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        /* the CLI sends the file's JSON as the option's value */
        _cleanup_free_ char *inner = dq(
                "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                "{'name':'mount','action':'SCMP_ACT_ERRNO','comment':'x'},"
                "{'names':['acct'],'action':'SCMP_ACT_ERRNO','includes':{'minKernel':'99.0'}},"
                "{'names':['kexec_load'],'action':'SCMP_ACT_ERRNO','excludes':{'caps':['CAP_CHOWN']"
                "}},"
                "{'names':['swapon'],'action':'SCMP_ACT_ERRNO','excludes':{'minKernel':'99.1'}}]}");
        _cleanup_free_ char *opt = xasprintf("seccomp=%s", inner);
        _cleanup_json_ json_t *c =
                json_pack("{s:[s], s:{s:[s]}}", "Cmd", "sh", "HostConfig", "SecurityOpt", opt);
        _cleanup_free_ char *text = json_dumps(c, 0);
        for (char *p = text; *p; p++) /* build_ok() turns ' into ": none left in here */
                assert_true(*p != '\'');
        _cleanup_json_ json_t *s = build_ok(text, img);
        assert_at(s, "linux.seccomp", "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                  "{'names':['mount'],'action':'SCMP_ACT_ERRNO'},"
                  "{'names':['swapon'],'action':'SCMP_ACT_ERRNO'}]}");
        json_decref(s);
        /* a host path works as well; and privileged containers keep an explicit profile */
        _cleanup_free_ char *path = xasprintf("%s/profile.json", tmp);
        write_file(path, inner);
        _cleanup_free_ char *by_path =
                xasprintf("{'HostConfig':{'Privileged':true,'SecurityOpt':['seccomp=%s']}}", path);
        s = build_ok(by_path, img);
        assert_at(s, "linux.seccomp.defaultAction", "'SCMP_ACT_ALLOW'");
        json_t *bad = json_pack(
                "{s:{s:[s]}}", "HostConfig", "SecurityOpt",
                "seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"minKernel\":\"4.8.1\"}}]}");
        _cleanup_free_ char *bad_text = json_dumps(bad, 0);
        json_decref(bad);
        build_fails(bad_text, img,
                    "invalid kernel version: \"4.8.1\", expected \"<kernel>.<major>\"");
}

static void test_security_opts(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        _cleanup_json_ json_t *s =
                build_ok("{'HostConfig':{'SecurityOpt':['no-new-privileges',"
                         "'label=disable','label:type:foo_t','apparmor=unconfined']}}",
                         img);
        assert_at(s, "process.noNewPrivileges", "true");
        assert_null(at(s, "process.selinuxLabel"));
        json_decref(s);
        s = build_ok("{'HostConfig':{'SecurityOpt':['no-new-privileges=false']}}", img);
        assert_null(at(s, "process.noNewPrivileges"));
        assert_null(at(s, "process.apparmorProfile")); /* no AppArmor on the test hosts we know */
        build_fails("{'HostConfig':{'SecurityOpt':['bogus']}}", img,
                    "invalid --security-opt 1: \"bogus\"");
        build_fails("{'HostConfig':{'SecurityOpt':['foo=bar']}}", img,
                    "invalid --security-opt 2: \"foo=bar\"");
        build_fails("{'HostConfig':{'SecurityOpt':['no-new-privileges=maybe']}}", img,
                    "invalid --security-opt 2: \"no-new-privileges=maybe\"");
}

static void test_paths(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        _cleanup_json_ json_t *s = build_ok("{}", img);
        json_t *masked = at(s, "linux.maskedPaths");
        const char *want[] = { "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore",
                               "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                               "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                               "/sys/firmware", "/sys/devices/virtual/powercap" };
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_string_equal(json_string_value(json_array_get(masked, i)), want[i]);
        for (size_t i = ELEMENTSOF(want); i < json_array_size(masked); i++)
                assert_true(startswith(json_string_value(json_array_get(masked, i)),
                                       "/sys/devices/system/cpu/cpu"));
        assert_at(s, "linux.readonlyPaths",
                  "['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']");
        json_decref(s);
        s = build_ok("{'HostConfig':{'MaskedPaths':[],'ReadonlyPaths':['/proc/x']}}", img);
        assert_null(at(s, "linux.maskedPaths"));
        assert_at(s, "linux.readonlyPaths", "['/proc/x']");
}

/* ---- the rest of the document ---- */

static void test_misc(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        _cleanup_json_ json_t *s = build_ok(
                "{'Tty':true,'Domainname':'example.org','HostConfig':{'Ulimits':[{'Name':'nofile',"
                "'Soft':1024,'Hard':2048},{'Name':'core','Soft':-1,'Hard':-1}],'OomScoreAdj':-500,"
                "'Sysctls':{'net.ipv4.ip_unprivileged_port_start':'1024','kernel.msgmax':'65536'},"
                "'ConsoleSize':[24,80],'Annotations':{'a':'b'}}}", img);
        assert_at(s, "ociVersion", "'1.1.0'");
        assert_at(s, "process.rlimits[0]", "{'type':'RLIMIT_NOFILE','hard':2048,'soft':1024}");
        uint64_t v;
        assert_true(json_get_big_uint(at(s, "process.rlimits[1].soft"), &v));
        assert_true(v == UINT64_MAX);
        _cleanup_free_ char *text = container_spec_dump(s, JSON_COMPACT);
        assert_non_null(strstr(text, "\"soft\":18446744073709551615"));
        assert_at(s, "process.oomScoreAdj", "-500");
        assert_at(s, "process.consoleSize", "{'height':24,'width':80}");
}

static void test_sysctl(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        _cleanup_json_ json_t *s = build_ok("{'Domainname':'example.org','HostConfig':{'Sysctls':{'"
                                            "net.ipv4.ip_unprivileged_port_start':'1024',"
                                            "'kernel.msgmax':'65536'},'Annotations':{'a':'b'}}}",
                                            img);
        json_t *sysctl = at(s, "linux");
        sysctl = json_object_get(sysctl, "sysctl");
        assert_json(json_object_get(sysctl, "kernel.domainname"), "'example.org'");
        assert_json(json_object_get(sysctl, "kernel.msgmax"), "'65536'");
        if (access("/proc/sys/net/ipv4/ip_unprivileged_port_start", F_OK) == 0)
                assert_json(json_object_get(sysctl, "net.ipv4.ip_unprivileged_port_start"),
                            "'1024'");
        assert_at(s, "annotations", "{'a':'b'}");
        assert_null(at(s, "domainname"));
        assert_at(s, "process.oomScoreAdj", "0");
}

/* ---- the network files ---- */

static void test_network_files(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        ip_address = "172.17.0.2";
        _cleanup_json_ json_t *s =
                build_ok("{'Hostname':'web','Domainname':'example.org',"
                         "'HostConfig':{'ExtraHosts':['db:10.0.0.2','v6:::0001']}}",
                         img);
        ip_address = NULL;
        _cleanup_free_ char *hn = xasprintf("%s/hostname", state_dir),
                            *hosts = xasprintf("%s/hosts", state_dir);
        _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", state_dir);
        char *t = read_text(hn);
        assert_string_equal(t, "web\n");
        free(t);
        t = read_text(hosts);
        assert_string_equal(t,
                            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                            "fe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                            "ff02::2\tip6-allrouters\n10.0.0.2\tdb\n::1\tv6\n"
                            "172.17.0.2\tweb.example.org web\n");
        free(t);
        t = read_text(resolv);
        assert_true(startswith(
                t, "# Generated by Docker Engine.\n# This file can be edited; Docker "
                   "Engine will not make further changes once it\n# has been modified.\n\n"));
        assert_null(strstr(t, "nameserver 127."));
        assert_non_null(strstr(t, "nameserver "));
        assert_non_null(strstr(t, "' (legacy)\n"));
        free(t);
        json_decref(s);

        s = build_ok("{'HostConfig':{'NetworkMode':'none','Dns':['1.1.1.1','2606:4700:4700::1111'],"
                     "'DnsSearch':['example.com','.'],'DnsOptions':['ndots:2','edns0']}}", img);
        t = read_text(hosts);
        assert_null(strstr(t, "0123456789ab"));
        free(t);
        _cleanup_free_ char *rc = read_text(resolv);
        const char *body = strstr(rc, "\n\n");
        assert_non_null(body);
        const char *based = strstr(rc, "# Based on host file: '");
        assert_non_null(based);
        assert_true(startswith(body, "\n\nnameserver 1.1.1.1\nnameserver 2606:4700:4700::1111\n"
                               "search example.com\noptions ndots:2 edns0\n\n"));
        const char *tail = strstr(based, "' (legacy)\n");
        assert_non_null(tail);
        assert_string_equal(tail, "' (legacy)\n# Overrides: [nameservers search options]\n"
                                  "# Option ndots from: override\n");
        build_fails("{'HostConfig':{'ExtraHosts':['nocolon']}}", img,
                    "bad format for add-host: \"nocolon\"");
        build_fails("{'HostConfig':{'ExtraHosts':['h:1.2.3']}}", img,
                    "invalid IP address in add-host: \"1.2.3\"");
        build_fails("{'HostConfig':{'Dns':['x']}}", img, "bad nameserver address x");
}

static void test_host_network_files(void **unused)
{
        const char *img = "{'Cmd':['sh']}";
        _cleanup_json_ json_t *s = build_ok("{'HostConfig':{'NetworkMode':'host'}}", img);
        _cleanup_free_ char *hosts = xasprintf("%s/hosts", state_dir);
        _cleanup_free_ char *mine = NULL, *theirs = NULL;
        if (access("/etc/hosts", F_OK) == 0) {
                mine = read_text(hosts);
                theirs = read_text("/etc/hosts");
                assert_string_equal(mine, theirs);
        }
        _cleanup_free_ char *resolv = xasprintf("%s/resolv.conf", state_dir);
        _cleanup_free_ char *t = read_text(resolv);
        assert_non_null(strstr(t, "# Based on host file: '/etc/resolv.conf'\n"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_args),
                cmocka_unit_test(test_env),
                cmocka_unit_test(test_cwd),
                cmocka_unit_test(test_user),
                cmocka_unit_test(test_user_symlink_stays_inside),
                cmocka_unit_test(test_caps),
                cmocka_unit_test(test_privileged),
                cmocka_unit_test(test_default_mounts),
                cmocka_unit_test(test_mounts_user),
                cmocka_unit_test(test_mounts_errors),
                cmocka_unit_test(test_mounts_special),
                cmocka_unit_test(test_mounts_propagation),
                cmocka_unit_test(test_devices),
                cmocka_unit_test(test_resources),
                cmocka_unit_test(test_namespaces),
                cmocka_unit_test(test_seccomp_default),
                cmocka_unit_test(test_seccomp_custom),
                cmocka_unit_test(test_security_opts),
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_misc),
                cmocka_unit_test(test_sysctl),
                cmocka_unit_test(test_network_files),
                cmocka_unit_test(test_host_network_files),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
