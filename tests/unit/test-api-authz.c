/* The authorization policy: parsing (every mistake named), matching peers by uid and groups,
 * read-only access, and the evaluator on Docker container-create, exec-create and volume-create
 * bodies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api-authz.h"
#include "json-util.h"
#include "util.h"

static char tmpdir[] = "/tmp/test-api-authz.XXXXXX";

static AuthzPolicy *parse_ok(const char *text)
{
        AuthzPolicy *p = NULL;
        LadeError *err = NULL;
        int r = authz_policy_parse(text, strlen(text), &p, &err);
        if (r < 0)
                fail_msg("policy refused: %s", lade_error_message(err));
        return p;
}

static void parse_bad(const char *text, const char *msg_part)
{
        AuthzPolicy *p = NULL;
        LadeError *err = NULL;
        assert_int_equal(authz_policy_parse(text, strlen(text), &p, &err), -EINVAL);
        assert_null(p);
        if (!strstr(err->msg, msg_part))
                fail_msg("'%s' does not contain '%s'", err->msg, msg_part);
        lade_error_free(err);
}

static void test_parse_errors(void **state)
{
        parse_bad("", "authorization policy");
        parse_bad("[]", "expected {\"rules\"");
        parse_bad("{\"rules\":{}}", "expected {\"rules\"");
        parse_bad("{\"rules\":[1]}", "rules[0]: expected an object");
        parse_bad("{\"rules\":[{\"access\":\"full\"}]}", "names no users, groups or certificates");
        parse_bad("{\"rules\":[{\"certificates\":[\"\"]}]}", "rules[0].certificates[0]: expected a non-empty string");
        parse_bad("{\"rules\":[{\"certificates\":\"alice\"}]}", "rules[0].certificates: expected an array");
        parse_bad("{\"rules\":[{\"users\":[\"root\"],\"access\":\"admin\"}]}", "rules[0].access");
        parse_bad("{\"rules\":[{\"users\":[\"root\"],\"deny\":[\"everything\"]}]}", "unknown setting 'everything'");
        parse_bad("{\"rules\":[{\"users\":[\"no-such-user-xyz\"]}]}", "unknown user 'no-such-user-xyz'");
        parse_bad("{\"rules\":[{\"groups\":[\"no-such-group-xyz\"]}]}", "unknown group 'no-such-group-xyz'");
        parse_bad("{\"rules\":[{\"users\":[\"root\"],\"allowed_bind_paths\":[\"srv\"]}]}", "is not absolute");
        parse_bad("{\"rules\":[{\"users\":[\"root\"],\"colour\":1}]}", "unknown key 'colour'");
        parse_bad("{\"rules\":[{\"users\":\"root\"}]}", "rules[0].users: expected an array");
}

static void test_match(void **state)
{
        AuthzPolicy *p = parse_ok("{\"rules\":[{\"users\":[\"root\"]},"
                                  "{\"users\":[\"1000\"],\"access\":\"read-only\"},"
                                  "{\"groups\":[\"4242\"],\"access\":\"full\",\"deny\":[\"privileged\"]},"
                                  "{\"users\":[\"2000\"],\"access\":\"none\"}]}");
        gid_t groups[] = { 10, 4242 };
        AuthzPeer root = { 0, 0, NULL, 0 }, ro = { 1000, 1000, NULL, 0 }, member = { 3000, 3000, groups, 2 };
        AuthzPeer primary = { 3001, 4242, NULL, 0 }, nobody = { 65534, 65534, NULL, 0 }, none = { 2000, 2000, NULL, 0 };
        LadeError *err = NULL;
        assert_ptr_equal(authz_policy_match(p, &root), &p->rules[0]);
        assert_ptr_equal(authz_policy_match(p, &ro), &p->rules[1]);
        assert_ptr_equal(authz_policy_match(p, &member), &p->rules[2]);
        assert_ptr_equal(authz_policy_match(p, &primary), &p->rules[2]);
        assert_null(authz_policy_match(p, &nobody));
        assert_int_equal(authz_check_access(authz_policy_match(p, &ro), &ro, "GET", &err), 0);
        assert_int_equal(authz_check_access(authz_policy_match(p, &ro), &ro, "HEAD", &err), 0);
        assert_int_equal(authz_check_access(authz_policy_match(p, &ro), &ro, "POST", &err), -EACCES);
        assert_non_null(strstr(err->msg, "read-only"));
        err = lade_error_free(err);
        assert_int_equal(authz_check_access(authz_policy_match(p, &ro), &ro, "DELETE", &err), -EACCES);
        err = lade_error_free(err);
        assert_int_equal(authz_check_access(NULL, &nobody, "GET", &err), -EACCES);
        assert_non_null(strstr(err->msg, "uid 65534"));
        err = lade_error_free(err);
        assert_int_equal(authz_check_access(authz_policy_match(p, &none), &none, "GET", &err), -EACCES);
        err = lade_error_free(err);
        authz_policy_free(p);

        p = authz_policy_default(4242);
        assert_non_null(authz_policy_match(p, &root));
        assert_non_null(authz_policy_match(p, &member));
        assert_null(authz_policy_match(p, &ro));
        authz_policy_free(p);
        p = authz_policy_default((gid_t) -1);
        assert_null(authz_policy_match(p, &member));
        authz_policy_free(p);
}

/* TCP clients: named by their certificate's CN only, never by the uid/gid rules */
static void test_match_certificates(void **state)
{
        AuthzPolicy *p = parse_ok("{\"rules\":[{\"users\":[\"root\"]},"
                                  "{\"certificates\":[\"alice\"],\"access\":\"full\"},"
                                  "{\"certificates\":[\"bob\",\"carl\"],\"access\":\"read-only\"}]}");
        AuthzPeer alice = { (uid_t) -1, (gid_t) -1, NULL, 0, "alice" }, bob = { (uid_t) -1, (gid_t) -1, NULL, 0, "bob" };
        AuthzPeer eve = { (uid_t) -1, (gid_t) -1, NULL, 0, "eve" }, root_cn = { 0, 0, NULL, 0, "root" };
        LadeError *err = NULL;
        assert_ptr_equal(authz_policy_match(p, &alice), &p->rules[1]);
        assert_ptr_equal(authz_policy_match(p, &bob), &p->rules[2]);
        assert_null(authz_policy_match(p, &eve));
        /* a certificate called "root" is not the user root */
        assert_null(authz_policy_match(p, &root_cn));
        assert_int_equal(authz_check_access(authz_policy_match(p, &bob), &bob, "POST", &err), -EACCES);
        assert_non_null(strstr(err->msg, "certificate \"bob\" has read-only access"));
        err = lade_error_free(err);
        assert_int_equal(authz_check_access(NULL, &eve, "GET", &err), -EACCES);
        assert_non_null(strstr(err->msg, "certificate \"eve\" may not use this server"));
        err = lade_error_free(err);
        authz_policy_free(p);
        p = parse_ok("{\"rules\":[{\"certificates\":[\"*\"],\"access\":\"read-only\"}]}");
        assert_ptr_equal(authz_policy_match(p, &eve), &p->rules[0]);
        authz_policy_free(p);
        /* without a policy: any verified certificate, as dockerd --tlsverify */
        p = authz_policy_default((gid_t) -1);
        assert_non_null(authz_policy_match(p, &eve));
        authz_policy_free(p);
}

typedef struct CreateCase {
        const char *body;
        int r;
        const char *msg;        /* part of the message, for denials and errors */
} CreateCase;

enum { CASE_CREATE, CASE_EXEC, CASE_VOLUME };

static int check_one(const AuthzRule *rule, json_t *j, int kind, LadeError **err)
{
        switch (kind) {
        case CASE_EXEC: return authz_check_exec(rule, j, err);
        case CASE_VOLUME: return authz_check_volume_create(rule, j, err);
        default: return authz_check_create(rule, j, err);
        }
}

static void run_cases(const AuthzRule *rule, const CreateCase *cases, size_t n, int kind)
{
        for (size_t i = 0; i < n; i++) {
                json_t *j = NULL;
                LadeError *err = NULL;
                assert_int_equal(json_parse_text(cases[i].body, strlen(cases[i].body), "body", &j, NULL), 0);
                int r = check_one(rule, j, kind, &err);
                if (r != cases[i].r)
                        fail_msg("case %zu (%s): %d, expected %d (%s)", i, cases[i].body, r, cases[i].r,
                                 lade_error_message(err));
                if (cases[i].msg && (!err || !strstr(err->msg, cases[i].msg)))
                        fail_msg("case %zu: '%s' does not contain '%s'", i, lade_error_message(err), cases[i].msg);
                lade_error_free(err);
                json_decref(j);
        }
}

static void test_create_bodies(void **state)
{
        char dir[256], link_out[300], text[2048];
        snprintf(dir, sizeof(dir), "%s/shared", tmpdir);
        assert_int_equal(mkdir_p(dir, 0755), 0);
        snprintf(link_out, sizeof(link_out), "%s/shared/etc-link", tmpdir);
        (void) unlink(link_out);
        assert_int_equal(symlink("/etc", link_out), 0);
        snprintf(text, sizeof(text),
                 "{\"rules\":[{\"users\":[\"*\"],\"deny\":[\"privileged\",\"host-network\",\"host-pid\",\"host-ipc\","
                 "\"cap-add\",\"bind-mounts\",\"devices\",\"unconfined\"],\"allowed_bind_paths\":[\"%s/\"],"
                 "\"allowed_capabilities\":[\"cap_net_admin\"]}]}", dir);
        AuthzPolicy *p = parse_ok(text);
        const AuthzRule *r = &p->rules[0];
        char b1[512], b2[512], b3[512], b4[512], b5[512], b6[512];
        snprintf(b1, sizeof(b1), "{\"HostConfig\":{\"Binds\":[\"%s/data:/d:ro\",\"named:/v\"]}}", dir);
        snprintf(b2, sizeof(b2), "{\"HostConfig\":{\"Binds\":[\"%s/../../etc:/d\"]}}", dir);
        snprintf(b3, sizeof(b3), "{\"HostConfig\":{\"Binds\":[\"%s/etc-link/ssl:/d\"]}}", dir);
        snprintf(b4, sizeof(b4), "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"%s\",\"Target\":\"/x\"}]}}", dir);
        snprintf(b5, sizeof(b5), "{\"HostConfig\":{\"Binds\":[\"%sX:/d\"]}}", dir);
        snprintf(b6, sizeof(b6), "{\"HostConfig\":{\"Binds\":[\"%s/etc-link:/d\"]}}", dir);
        const CreateCase cases[] = {
                { "{\"Image\":\"busybox\"}", 0, NULL },
                { "{\"Image\":\"busybox\",\"HostConfig\":{}}", 0, NULL },
                { "{\"HostConfig\":{\"Privileged\":false}}", 0, NULL },
                { "{\"HostConfig\":{\"Privileged\":true}}", -EACCES, "privileged mode" },
                { "{\"HostConfig\":{\"Privileged\":\"true\"}}", -EINVAL, "HostConfig.Privileged: expected a boolean" },
                { "{\"HostConfig\":{\"NetworkMode\":\"host\"}}", -EACCES, "host network" },
                { "{\"HostConfig\":{\"NetworkMode\":\"bridge\"}}", 0, NULL },
                { "{\"HostConfig\":{\"NetworkMode\":1}}", -EINVAL, "NetworkMode" },
                { "{\"HostConfig\":{\"PidMode\":\"host\"}}", -EACCES, "host PID" },
                { "{\"HostConfig\":{\"IpcMode\":\"host\"}}", -EACCES, "host IPC" },
                { "{\"HostConfig\":{\"PidMode\":\"container:abc\"}}", 0, NULL },
                { "{\"HostConfig\":{\"CapAdd\":[\"NET_ADMIN\"]}}", 0, NULL },
                { "{\"HostConfig\":{\"CapAdd\":[\"CAP_NET_ADMIN\"]}}", 0, NULL },
                { "{\"HostConfig\":{\"CapAdd\":[\"sys_admin\"]}}", -EACCES, "capability SYS_ADMIN" },
                { "{\"HostConfig\":{\"CapAdd\":[\"ALL\"]}}", -EACCES, "capability ALL" },
                { "{\"HostConfig\":{\"CapAdd\":[1]}}", -EINVAL, "CapAdd[0]" },
                { "{\"HostConfig\":{\"CapDrop\":[\"ALL\"]}}", 0, NULL },
                { b1, 0, NULL },
                { b2, -EACCES, "outside the allowed paths" },
                { b3, -EACCES, "outside the allowed paths" },
                { b4, 0, NULL },
                { b5, -EACCES, "outside" },
                { b6, -EACCES, "outside" },
                { "{\"HostConfig\":{\"Binds\":[\"/:/host\"]}}", -EACCES, "'/'" },
                { "{\"HostConfig\":{\"Binds\":[\"vol:/data\"]}}", 0, NULL },
                { "{\"HostConfig\":{\"Binds\":[7]}}", -EINVAL, "Binds[0]" },
                { "{\"HostConfig\":{\"VolumesFrom\":[\"db\"]}}", -EACCES, "volumes-from" },
                { "{\"HostConfig\":{\"VolumesFrom\":null}}", 0, NULL },
                { "{\"HostConfig\":{\"VolumesFrom\":[]}}", 0, NULL },
                { "{\"HostConfig\":{\"VolumesFrom\":\"db\"}}", -EINVAL, "VolumesFrom" },
                { "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/var/run/docker.sock\"}]}}", -EACCES, "docker.sock" },
                { "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"v\"}]}}", 0, NULL },
                { "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"VolumeOptions\":{\"DriverConfig\":{\"Options\":"
                  "{\"type\":\"none\",\"o\":\"bind\",\"device\":\"/etc\"}}}}]}}", -EACCES, "/etc" },
                { "{\"HostConfig\":{\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/t\"}]}}", 0, NULL },
                { "{\"HostConfig\":{\"Mounts\":{}}}", -EINVAL, "Mounts" },
                { "{\"HostConfig\":{\"Devices\":[{\"PathOnHost\":\"/dev/sda\"}]}}", -EACCES, "Devices" },
                { "{\"HostConfig\":{\"Devices\":[]}}", 0, NULL },
                { "{\"HostConfig\":{\"DeviceCgroupRules\":[\"c 1:3 rwm\"]}}", -EACCES, "DeviceCgroupRules" },
                { "{\"HostConfig\":{\"SecurityOpt\":[\"seccomp=unconfined\"]}}", -EACCES, "seccomp=unconfined" },
                { "{\"HostConfig\":{\"SecurityOpt\":[\"apparmor:unconfined\"]}}", -EACCES, "apparmor" },
                { "{\"HostConfig\":{\"SecurityOpt\":[\"no-new-privileges\"]}}", 0, NULL },
                { "{\"HostConfig\":[]}", -EINVAL, "HostConfig: expected an object" },
                { "[]", -EINVAL, "expected a JSON object" },
        };
        run_cases(r, cases, ELEMENTSOF(cases), CASE_CREATE);
        const CreateCase exec_cases[] = {
                { "{\"Cmd\":[\"sh\"]}", 0, NULL },
                { "{\"Privileged\":true}", -EACCES, "privileged" },
                { "{\"Privileged\":1}", -EINVAL, "Privileged" },
        };
        run_cases(r, exec_cases, ELEMENTSOF(exec_cases), CASE_EXEC);
        char v1[512], v2[512];
        snprintf(v1, sizeof(v1), "{\"Name\":\"ok\",\"DriverOpts\":{\"type\":\"none\",\"o\":\"bind\",\"device\":\"%s/data\"}}", dir);
        snprintf(v2, sizeof(v2), "{\"DriverOpts\":{\"type\":\"none\",\"o\":\"bind\",\"device\":\"%s/etc-link\"}}", dir);
        const CreateCase volume_cases[] = {
                { "{\"Name\":\"v\"}", 0, NULL },
                { "{\"Name\":\"v\",\"DriverOpts\":null,\"Labels\":null}", 0, NULL },
                { "{\"DriverOpts\":{\"type\":\"tmpfs\",\"device\":\"tmpfs\",\"o\":\"size=1m\"}}", 0, NULL },
                { "{\"DriverOpts\":{\"type\":\"none\",\"o\":\"bind\",\"device\":\"/etc\"}}", -EACCES, "'/etc'" },
                { "{\"DriverOpts\":{\"o\":\"rbind,ro\",\"device\":\"/root\"}}", -EACCES, "/root" },
                { v1, 0, NULL },
                { v2, -EACCES, "outside" },
                { "{\"DriverOpts\":[]}", -EINVAL, "DriverOpts: expected an object" },
                { "[]", -EINVAL, "expected a JSON object" },
        };
        run_cases(r, volume_cases, ELEMENTSOF(volume_cases), CASE_VOLUME);
        authz_policy_free(p);

        /* a rule that denies nothing lets everything through, types still checked */
        p = parse_ok("{\"rules\":[{\"users\":[\"root\"],\"access\":\"full\"}]}");
        const CreateCase open_cases[] = {
                { "{\"HostConfig\":{\"Privileged\":true,\"NetworkMode\":\"host\",\"Binds\":[\"/:/h\"],"
                  "\"CapAdd\":[\"ALL\"]}}", 0, NULL },
                { "{\"HostConfig\":{\"Privileged\":\"yes\"}}", -EINVAL, NULL },
        };
        run_cases(&p->rules[0], open_cases, ELEMENTSOF(open_cases), CASE_CREATE);
        authz_policy_free(p);
        (void) unlink(link_out);
}

static int setup(void **state)
{
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
        return rm_rf_at(AT_FDCWD, tmpdir) < 0 ? -1 : 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_match_certificates),
                cmocka_unit_test(test_create_bodies),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
