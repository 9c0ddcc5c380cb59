/* Image references: the cases of distribution/reference's own tests (reference_test.go,
 * normalize_test.go, regexp_test.go), run through Docker's ParseNormalizedNamed + TagNameOnly,
 * with the results and messages Docker gives for them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "reference.h"
#include "util.h"

#define HEX64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define SHA_F "sha256:" HEX64
#define SHA_BE "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912"
#define SHA_86 "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"
#define SHA_E6 "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"
#define SHA512_F "sha512:" HEX64 HEX64
#define SHA384_E "sha384:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
#define ID64 "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"

#define E_FORMAT "invalid reference format"
#define E_LOWER(name) "invalid reference format: repository name (" name ") must be lowercase"
#define E_TOO_LONG "repository name must not be more than 255 characters"

typedef struct ValidCase {
        const char *input;
        const char *domain, *path, *tag, *digest;
        const char *string, *familiar;
} ValidCase;

/* Shorthand for a docker.io official image: "name" -> docker.io/library/name[:tag][@digest]. */
#define HUB(in, name, tag, digest, str, fam)                                                    \
        { in, "docker.io", "library/" name, tag, digest, str, fam }

static const ValidCase valid_cases[] = {
        /* reference_test.go: TestReferenceParse */
        HUB("test_com", "test_com", "latest", NULL, "docker.io/library/test_com:latest",
            "test_com:latest"),
        HUB("test.com:tag", "test.com", "tag", NULL, "docker.io/library/test.com:tag",
            "test.com:tag"),
        HUB("test.com:5000", "test.com", "5000", NULL, "docker.io/library/test.com:5000",
            "test.com:5000"),
        { "test.com/repo:tag", "test.com", "repo", "tag", NULL, "test.com/repo:tag",
          "test.com/repo:tag" },
        { "test:5000/repo", "test:5000", "repo", "latest", NULL, "test:5000/repo:latest",
          "test:5000/repo:latest" },
        { "test:5000/repo:tag", "test:5000", "repo", "tag", NULL, "test:5000/repo:tag",
          "test:5000/repo:tag" },
        { "test:5000/repo@" SHA_F, "test:5000", "repo", NULL, SHA_F, "test:5000/repo@" SHA_F,
          "test:5000/repo@" SHA_F },
        { "test:5000/repo:tag@" SHA_F, "test:5000", "repo", "tag", SHA_F,
          "test:5000/repo:tag@" SHA_F, "test:5000/repo:tag@" SHA_F },
        HUB("lowercase:Uppercase", "lowercase", "Uppercase", NULL,
            "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"),
        { "sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", "bar/baz/quux", "latest", NULL,
          "sub-dom1.foo.com/bar/baz/quux:latest", "sub-dom1.foo.com/bar/baz/quux:latest" },
        { "sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
          "some-long-tag", NULL, "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
          "sub-dom1.foo.com/bar/baz/quux:some-long-tag" },
        { "b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io",
          "test.example.com/my-app", "test.example.com", NULL,
          "b.gcr.io/test.example.com/my-app:test.example.com",
          "b.gcr.io/test.example.com/my-app:test.example.com" },
        { "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com", "myimage", "xn--n3h.com", NULL,
          "xn--n3h.com/myimage:xn--n3h.com", "xn--n3h.com/myimage:xn--n3h.com" },
        { "xn--7o8h.com/myimage:xn--7o8h.com@" SHA_F, "xn--7o8h.com", "myimage", "xn--7o8h.com",
          SHA_F, "xn--7o8h.com/myimage:xn--7o8h.com@" SHA_F,
          "xn--7o8h.com/myimage:xn--7o8h.com@" SHA_F },
        HUB("foo_bar.com:8080", "foo_bar.com", "8080", NULL, "docker.io/library/foo_bar.com:8080",
            "foo_bar.com:8080"),
        { "foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", NULL,
          "docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com:8080" },
        HUB("192.168.1.1", "192.168.1.1", "latest", NULL, "docker.io/library/192.168.1.1:latest",
            "192.168.1.1:latest"),
        HUB("192.168.1.1:tag", "192.168.1.1", "tag", NULL, "docker.io/library/192.168.1.1:tag",
            "192.168.1.1:tag"),
        HUB("192.168.1.1:5000", "192.168.1.1", "5000", NULL,
            "docker.io/library/192.168.1.1:5000", "192.168.1.1:5000"),
        { "192.168.1.1/repo", "192.168.1.1", "repo", "latest", NULL, "192.168.1.1/repo:latest",
          "192.168.1.1/repo:latest" },
        { "192.168.1.1:5000/repo", "192.168.1.1:5000", "repo", "latest", NULL,
          "192.168.1.1:5000/repo:latest", "192.168.1.1:5000/repo:latest" },
        { "192.168.1.1:5000/repo:5050", "192.168.1.1:5000", "repo", "5050", NULL,
          "192.168.1.1:5000/repo:5050", "192.168.1.1:5000/repo:5050" },
        { "[2001:db8::1]/repo", "[2001:db8::1]", "repo", "latest", NULL,
          "[2001:db8::1]/repo:latest", "[2001:db8::1]/repo:latest" },
        { "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]", "repo", "tag", NULL,
          "[2001:db8:1:2:3:4:5:6]/repo:tag", "[2001:db8:1:2:3:4:5:6]/repo:tag" },
        { "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo", "latest", NULL,
          "[2001:db8::1]:5000/repo:latest", "[2001:db8::1]:5000/repo:latest" },
        { "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", NULL,
          "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo:tag" },
        { "[2001:db8::1]:5000/repo@" SHA_F, "[2001:db8::1]:5000", "repo", NULL, SHA_F,
          "[2001:db8::1]:5000/repo@" SHA_F, "[2001:db8::1]:5000/repo@" SHA_F },
        { "[2001:db8::1]:5000/repo:tag@" SHA_F, "[2001:db8::1]:5000", "repo", "tag", SHA_F,
          "[2001:db8::1]:5000/repo:tag@" SHA_F, "[2001:db8::1]:5000/repo:tag@" SHA_F },
        { "[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo", "latest", NULL,
          "[2001:db8::]:5000/repo:latest", "[2001:db8::]:5000/repo:latest" },
        { "[::1]:5000/repo", "[::1]:5000", "repo", "latest", NULL, "[::1]:5000/repo:latest",
          "[::1]:5000/repo:latest" },
        /* sha512 (and sha384) are registered in Docker, which links crypto/sha512 */
        HUB("validname@" SHA512_F, "validname", NULL, SHA512_F,
            "docker.io/library/validname@" SHA512_F, "validname@" SHA512_F),
        HUB("validname@" SHA384_E, "validname", NULL, SHA384_E,
            "docker.io/library/validname@" SHA384_E, "validname@" SHA384_E),

        /* normalize_test.go: TestValidateReferenceName */
        { "docker/docker", "docker.io", "docker/docker", "latest", NULL,
          "docker.io/docker/docker:latest", "docker/docker:latest" },
        HUB("library/debian", "debian", "latest", NULL, "docker.io/library/debian:latest",
            "debian:latest"),
        HUB("debian", "debian", "latest", NULL, "docker.io/library/debian:latest",
            "debian:latest"),
        { "localhost/library/debian", "localhost", "library/debian", "latest", NULL,
          "localhost/library/debian:latest", "localhost/library/debian:latest" },
        { "localhost/debian", "localhost", "debian", "latest", NULL, "localhost/debian:latest",
          "localhost/debian:latest" },
        { "LOCALDOMAIN/library/debian", "LOCALDOMAIN", "library/debian", "latest", NULL,
          "LOCALDOMAIN/library/debian:latest", "LOCALDOMAIN/library/debian:latest" },
        { "LOCALDOMAIN/debian", "LOCALDOMAIN", "debian", "latest", NULL,
          "LOCALDOMAIN/debian:latest", "LOCALDOMAIN/debian:latest" },
        { "docker.io/docker/docker", "docker.io", "docker/docker", "latest", NULL,
          "docker.io/docker/docker:latest", "docker/docker:latest" },
        HUB("docker.io/library/debian", "debian", "latest", NULL,
            "docker.io/library/debian:latest", "debian:latest"),
        HUB("docker.io/debian", "debian", "latest", NULL, "docker.io/library/debian:latest",
            "debian:latest"),
        { "index.docker.io/docker/docker", "docker.io", "docker/docker", "latest", NULL,
          "docker.io/docker/docker:latest", "docker/docker:latest" },
        HUB("index.docker.io/library/debian", "debian", "latest", NULL,
            "docker.io/library/debian:latest", "debian:latest"),
        HUB("index.docker.io/debian", "debian", "latest", NULL, "docker.io/library/debian:latest",
            "debian:latest"),
        { "127.0.0.1:5000/docker/docker", "127.0.0.1:5000", "docker/docker", "latest", NULL,
          "127.0.0.1:5000/docker/docker:latest", "127.0.0.1:5000/docker/docker:latest" },
        { "127.0.0.1:5000/library/debian", "127.0.0.1:5000", "library/debian", "latest", NULL,
          "127.0.0.1:5000/library/debian:latest", "127.0.0.1:5000/library/debian:latest" },
        { "127.0.0.1:5000/debian", "127.0.0.1:5000", "debian", "latest", NULL,
          "127.0.0.1:5000/debian:latest", "127.0.0.1:5000/debian:latest" },
        HUB("192.168.0.1", "192.168.0.1", "latest", NULL, "docker.io/library/192.168.0.1:latest",
            "192.168.0.1:latest"),
        HUB("192.168.0.1:80", "192.168.0.1", "80", NULL, "docker.io/library/192.168.0.1:80",
            "192.168.0.1:80"),
        { "192.168.0.1:8/debian", "192.168.0.1:8", "debian", "latest", NULL,
          "192.168.0.1:8/debian:latest", "192.168.0.1:8/debian:latest" },
        { "192.168.0.2:25000/debian", "192.168.0.2:25000", "debian", "latest", NULL,
          "192.168.0.2:25000/debian:latest", "192.168.0.2:25000/debian:latest" },
        HUB("thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "latest", NULL,
            "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev"
            ":latest",
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest"),
        { "[fc00::1]:5000/docker", "[fc00::1]:5000", "docker", "latest", NULL,
          "[fc00::1]:5000/docker:latest", "[fc00::1]:5000/docker:latest" },
        { "[fc00::1]:5000/docker/docker", "[fc00::1]:5000", "docker/docker", "latest", NULL,
          "[fc00::1]:5000/docker/docker:latest", "[fc00::1]:5000/docker/docker:latest" },
        { "[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000",
          "library/debian", "latest", NULL, "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest",
          "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest" },
        /* with a domain a 64-hex name is unambiguous; its familiar form is not (Docker's too) */
        HUB("docker.io/" ID64, ID64, "latest", NULL, "docker.io/library/" ID64 ":latest",
            ID64 ":latest"),
        { "Docker/docker", "Docker", "docker", "latest", NULL, "Docker/docker:latest",
          "Docker/docker:latest" },
        { "DOCKER/docker", "DOCKER", "docker", "latest", NULL, "DOCKER/docker:latest",
          "DOCKER/docker:latest" },

        /* normalize_test.go: TestValidateRemoteName */
        { "docker-rules/docker", "docker.io", "docker-rules/docker", "latest", NULL,
          "docker.io/docker-rules/docker:latest", "docker-rules/docker:latest" },
        { "docker---rules/docker", "docker.io", "docker---rules/docker", "latest", NULL,
          "docker.io/docker---rules/docker:latest", "docker---rules/docker:latest" },
        { "d/docker", "docker.io", "d/docker", "latest", NULL, "docker.io/d/docker:latest",
          "d/docker:latest" },
        { "jess/t", "docker.io", "jess/t", "latest", NULL, "docker.io/jess/t:latest",
          "jess/t:latest" },
        { "dock__er/docker", "docker.io", "dock__er/docker", "latest", NULL,
          "docker.io/dock__er/docker:latest", "dock__er/docker:latest" },

        /* normalize_test.go: TestParseRepositoryInfo, TestNormalizedSplitHostname */
        { "localhost/fooo/bar", "localhost", "fooo/bar", "latest", NULL,
          "localhost/fooo/bar:latest", "localhost/fooo/bar:latest" },
        { "index.docker.io/fooo/bar", "docker.io", "fooo/bar", "latest", NULL,
          "docker.io/fooo/bar:latest", "fooo/bar:latest" },
        HUB("index.docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base", "latest", NULL,
            "docker.io/library/ubuntu-12.04-base:latest", "ubuntu-12.04-base:latest"),
        { "library/foo/bar", "docker.io", "library/foo/bar", "latest", NULL,
          "docker.io/library/foo/bar:latest", "library/foo/bar:latest" },
        { "store/foo/bar", "docker.io", "store/foo/bar", "latest", NULL,
          "docker.io/store/foo/bar:latest", "store/foo/bar:latest" },
        { "other/library", "docker.io", "other/library", "latest", NULL,
          "docker.io/other/library:latest", "other/library:latest" },
        { "example.com:8000/privatebasee", "example.com:8000", "privatebasee", "latest", NULL,
          "example.com:8000/privatebasee:latest", "example.com:8000/privatebasee:latest" },
        { "Foo/bar", "Foo", "bar", "latest", NULL, "Foo/bar:latest", "Foo/bar:latest" },
        { "test_com/foo", "docker.io", "test_com/foo", "latest", NULL,
          "docker.io/test_com/foo:latest", "test_com/foo:latest" },
        { "test-com:8080/foo", "test-com:8080", "foo", "latest", NULL, "test-com:8080/foo:latest",
          "test-com:8080/foo:latest" },
        { "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "latest", NULL,
          "xn--n3h.com:18080/foo:latest", "xn--n3h.com:18080/foo:latest" },

        /* normalize_test.go: TestParseReferenceWithTagAndDigest, TestParseDockerRef (both the
         * tag and the digest are kept, as for `docker pull`) */
        HUB("busybox:latest@" SHA_86, "busybox", "latest", SHA_86,
            "docker.io/library/busybox:latest@" SHA_86, "busybox:latest@" SHA_86),
        HUB("busybox@" SHA_E6, "busybox", NULL, SHA_E6, "docker.io/library/busybox@" SHA_E6,
            "busybox@" SHA_E6),
        HUB("docker.io/busybox:latest", "busybox", "latest", NULL,
            "docker.io/library/busybox:latest", "busybox:latest"),
        { "gcr.io/library/busybox", "gcr.io", "library/busybox", "latest", NULL,
          "gcr.io/library/busybox:latest", "gcr.io/library/busybox:latest" },
        { "gcr.io/library/busybox:latest@" SHA_E6, "gcr.io", "library/busybox", "latest", SHA_E6,
          "gcr.io/library/busybox:latest@" SHA_E6, "gcr.io/library/busybox:latest@" SHA_E6 },

        /* regexp_test.go */
        { "localhost:8080/name@" SHA_BE, "localhost:8080", "name", NULL, SHA_BE,
          "localhost:8080/name@" SHA_BE, "localhost:8080/name@" SHA_BE },
        HUB("localhost@" SHA_BE, "localhost", NULL, SHA_BE, "docker.io/library/localhost@" SHA_BE,
            "localhost@" SHA_BE),
        HUB("localhost:8080", "localhost", "8080", NULL, "docker.io/library/localhost:8080",
            "localhost:8080"),
        HUB("localhost", "localhost", "latest", NULL, "docker.io/library/localhost:latest",
            "localhost:latest"),
        { "registry.com:8080/myapp:tag2@" SHA_BE, "registry.com:8080", "myapp", "tag2", SHA_BE,
          "registry.com:8080/myapp:tag2@" SHA_BE, "registry.com:8080/myapp:tag2@" SHA_BE },
        { "registry.io/foo/project--id.module--name.ver---sion--name", "registry.io",
          "foo/project--id.module--name.ver---sion--name", "latest", NULL,
          "registry.io/foo/project--id.module--name.ver---sion--name:latest",
          "registry.io/foo/project--id.module--name.ver---sion--name:latest" },
        { "example.com/some_separator__underscore/myimage", "example.com",
          "some_separator__underscore/myimage", "latest", NULL,
          "example.com/some_separator__underscore/myimage:latest",
          "example.com/some_separator__underscore/myimage:latest" },
        { "example.com/xn--7o8h.com/myimage", "example.com", "xn--7o8h.com/myimage", "latest",
          NULL, "example.com/xn--7o8h.com/myimage:latest",
          "example.com/xn--7o8h.com/myimage:latest" },
        { "Asdf.com/foo/bar", "Asdf.com", "foo/bar", "latest", NULL, "Asdf.com/foo/bar:latest",
          "Asdf.com/foo/bar:latest" },
        { "ab.c-om/x", "ab.c-om", "x", "latest", NULL, "ab.c-om/x:latest", "ab.c-om/x:latest" },
        { "0101.com/x", "0101.com", "x", "latest", NULL, "0101.com/x:latest", "0101.com/x:latest" },
        { "192.168.1.1:750050/x", "192.168.1.1:750050", "x", "latest", NULL,
          "192.168.1.1:750050/x:latest", "192.168.1.1:750050/x:latest" },
        { "[fd00123123123]:75050/x", "[fd00123123123]:75050", "x", "latest", NULL,
          "[fd00123123123]:75050/x:latest", "[fd00123123123]:75050/x:latest" },
        { "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505/x",
          "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", "x", "latest", NULL,
          "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505/x:latest",
          "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505/x:latest" },
        { "do__cker/docker", "docker.io", "do__cker/docker", "latest", NULL,
          "docker.io/do__cker/docker:latest", "do__cker/docker:latest" },
        { "aa-a/a", "docker.io", "aa-a/a", "latest", NULL, "docker.io/aa-a/a:latest",
          "aa-a/a:latest" },

        /* tags: [\w][\w.-]{0,127}, any case */
        HUB("foo:_tag", "foo", "_tag", NULL, "docker.io/library/foo:_tag", "foo:_tag"),
        HUB("foo:Tag.With-Dots_1", "foo", "Tag.With-Dots_1", NULL,
            "docker.io/library/foo:Tag.With-Dots_1", "foo:Tag.With-Dots_1"),

        /* A host-like first component that is not a valid host stays in the path with no
         * domain at all: Docker's behaviour, kept so that names mean the same thing. */
        { "foo_bar.com/baz", "", "foo_bar.com/baz", "latest", NULL, "foo_bar.com/baz:latest",
          "foo_bar.com/baz:latest" },
        { "docker.io/foo_bar.com/baz", "docker.io", "foo_bar.com/baz", "latest", NULL,
          "docker.io/foo_bar.com/baz:latest", "foo_bar.com/baz:latest" },
};

typedef struct InvalidCase {
        const char *input;
        const char *error;
} InvalidCase;

static const InvalidCase invalid_cases[] = {
        /* reference_test.go: TestReferenceParse */
        { "", E_FORMAT },
        { ":justtag", E_FORMAT },
        { "@" SHA_F, E_FORMAT },
        { "repo@sha256:ffffffffffffffffffffffffffffffffff", "invalid checksum digest length" },
        { "validname@invaliddigest:" HEX64, "unsupported digest algorithm" },
        { "Uppercase:tag", E_LOWER("library/Uppercase") },
        { "test:5000/Uppercase/lowercase:tag", E_LOWER("Uppercase/lowercase") },
        { "aa/asdf$$^/aa", E_FORMAT },
        { "[2001:db8::1]", E_FORMAT },
        { "[2001:db8::1]:5000", E_FORMAT },
        { "[2001:db8::1]:tag", E_FORMAT },
        { "[fe80::1%eth0]:5000/repo", E_FORMAT },
        { "[fe80::1%@invalidzone]:5000/repo", E_FORMAT },

        /* normalize_test.go: TestValidateReferenceName, TestValidateRemoteName */
        { "https://github.com/docker/docker", E_FORMAT },
        { "docker/Docker", E_LOWER("docker/Docker") },
        { "-docker", E_FORMAT },
        { "-docker/docker", E_FORMAT },
        { "-docker.io/docker/docker", E_FORMAT },
        { "docker///docker", E_FORMAT },
        { "docker.io/docker/Docker", E_LOWER("docker/Docker") },
        { "docker.io/docker///docker", E_FORMAT },
        { "[fc00::1]", E_FORMAT },
        { "[fc00::1]:5000", E_FORMAT },
        { "fc00::1:5000/debian", E_FORMAT },
        { "[fe80::1%eth0]:5000/debian", E_FORMAT },
        { "[2001:db8:3:4::192.0.2.33]:5000/debian", E_FORMAT },
        { ID64, "invalid repository name (" ID64 "), cannot specify 64-byte hexadecimal strings" },
        { "docker-/docker", E_FORMAT },
        { "-docker-/docker", E_FORMAT },
        { "____/____", E_FORMAT },
        { "_docker/_docker", E_FORMAT },
        { "dock..er/docker", E_FORMAT },
        { "dock_.er/docker", E_FORMAT },
        { "dock-.er/docker", E_FORMAT },
        { "docker/", E_FORMAT },
        { "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_"
          "valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_"
          "because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_"
          "lenth_is_greater_than_255/docker",
          E_TOO_LONG },
        { "-foo", E_FORMAT },

        /* regexp_test.go */
        { "test.com:http/bar", E_FORMAT },
        { "a/a/a/a/", E_FORMAT },
        { "a//a/a", E_FORMAT },
        { "a^a", E_FORMAT },
        { "a-/a/a/a", E_FORMAT },
        { "foo.com/a-/a/a", E_FORMAT },
        { "foo/bar-", E_FORMAT },
        { "foo-/bar", E_FORMAT },
        { "foo/-bar", E_FORMAT },
        { "foo_bar.com:8080/app", E_FORMAT },
        { "example.com/__underscore/myimage", E_FORMAT },
        { "example.com/..dots/myimage", E_FORMAT },
        { "example.com/.dots/myimage", E_FORMAT },
        { "example.com/nodouble..dots/myimage", E_FORMAT },
        { "docker./docker", E_FORMAT },
        { ".docker/docker", E_FORMAT },
        { "do..cker/docker", E_FORMAT },
        { "do__cker:8080/docker", E_FORMAT },
        { "-ab.com/x", E_FORMAT },
        { "ab-.com/x", E_FORMAT },
        { "ab.-com/x", E_FORMAT },
        { "ab.com-/x", E_FORMAT },
        { "[fd00:1:2::3]75050/x", E_FORMAT },
        { "[fd00:1:2::3]::75050/x", E_FORMAT },
        { "Foo/FarB", E_LOWER("FarB") },
        { "registry.com:8080/myapp@sha256:badbadbadbad", E_FORMAT },
        { "registry.com:8080/myapp:invalid~tag", E_FORMAT },
        { "bad_hostname.com:8080/myapp:tag", E_FORMAT },
        { "localhost:http/name@" SHA_BE, E_FORMAT },
        { "registry.com:8080/myapp@bad", E_FORMAT },
        { "registry.com:8080/myapp@2bad", E_FORMAT },

        /* case: the repository part (up to the first ':', digest included) names itself */
        { "Busybox", E_LOWER("library/Busybox") },
        { "library/Busybox", E_LOWER("library/Busybox") },
        { "LOCALHOST", E_LOWER("library/LOCALHOST") },
        { "Foo@" SHA_F, E_LOWER("library/Foo@sha256") },
        { "foo:TAG/Bar", E_LOWER("Bar") },
        /* an upper-case first component is a domain, which may not hold '_'; lower-casing would
         * make it a valid path, hence Go's other message */
        { "Foo_x/bar", "repository name must be lowercase" },

        /* go-digest: known algorithm, then exact length, then lowercase hex */
        { "foo@sha256:7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C",
          "invalid checksum digest format" },
        { "foo:tag@SHA256:" HEX64, "invalid checksum digest format" },
        { "foo@SHA256:" HEX64, E_LOWER("library/foo@SHA256") },
        { "foo@sha256:" HEX64 "f", "invalid checksum digest length" },
        { "foo@sha512:" HEX64, "invalid checksum digest length" },
        { "foo@sha256:fffffffffffffffffffffffffffffff", E_FORMAT }, /* 31 hex */
        { "foo@sha256+b64:" HEX64, "unsupported digest algorithm" },

        /* tags and separators */
        { "foo:-tag", E_FORMAT },
        { "foo:.tag", E_FORMAT },
        { "foo:", E_FORMAT },
        { "foo@", E_FORMAT },
        { "foo:tag@", E_FORMAT },
        { "foo:tag:tag", E_FORMAT },
        { "foo@" SHA_F "@" SHA_F, E_FORMAT },
        { "foo bar", E_FORMAT },
        { "foo\tbar", E_FORMAT },
        { "/foo", E_FORMAT },
        { "foo/", E_FORMAT },
        { "docker.io/", E_FORMAT },
        { "a:b:c/d", E_FORMAT },
        { "a___b", E_FORMAT },
        { "a._b", E_FORMAT },
        { "[]/x", E_FORMAT },
        { "[::1]:/x", E_FORMAT },
        { "host:/x", E_FORMAT },
};

static void expect_str(const char *input, const char *field, const char *got, const char *want)
{
        if (!streq_ptr(got, want))
                fail_msg("'%s': %s is '%s', want '%s'", input, field, got ? got : "(null)",
                         want ? want : "(null)");
}

static void check_valid(const ValidCase *c)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(image_ref_freep) ImageRef *r = NULL;
        _cleanup_(image_ref_freep) ImageRef *again = NULL;
        _cleanup_free_ char *s = NULL, *fam = NULL, *s2 = NULL;

        if (image_ref_parse(c->input, &r, &err) < 0)
                fail_msg("'%s': unexpected error '%s'", c->input, lade_error_message(err));
        expect_str(c->input, "domain", r->domain, c->domain);
        expect_str(c->input, "path", r->path, c->path);
        expect_str(c->input, "tag", r->tag, c->tag);
        expect_str(c->input, "digest", r->digest, c->digest);
        s = image_ref_string(r);
        expect_str(c->input, "string", s, c->string);
        fam = image_ref_familiar(r);
        expect_str(c->input, "familiar", fam, c->familiar);
        /* the full string is a fixed point */
        if (image_ref_parse(s, &again, &err) < 0)
                fail_msg("'%s': re-parse failed '%s'", s, lade_error_message(err));
        s2 = image_ref_string(again);
        expect_str(s, "re-parsed string", s2, s);
}

static void check_invalid(const InvalidCase *c)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        ImageRef *r = NULL;
        int ret = image_ref_parse(c->input, &r, &err);

        if (ret >= 0)
                fail_msg("'%s': accepted, want error '%s'", c->input, c->error);
        if (ret != -EINVAL || !err || err->status != EINVAL)
                fail_msg("'%s': returned %d, want -EINVAL", c->input, ret);
        assert_null(r);
        expect_str(c->input, "error", lade_error_message(err), c->error);
}

static void test_valid_table(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(valid_cases); i++)
                check_valid(&valid_cases[i]);
        print_message("%zu valid references\n", ELEMENTSOF(valid_cases));
}

static void test_invalid_table(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(invalid_cases); i++)
                check_invalid(&invalid_cases[i]);
        print_message("%zu invalid references\n", ELEMENTSOF(invalid_cases));
}

static char *repeat(const char *unit, size_t times)
{
        size_t n = strlen(unit);
        char *s = xmalloc(n * times + 1);
        for (size_t i = 0; i < times; i++)
                memcpy(s + i * n, unit, n);
        s[n * times] = '\0';
        return s;
}

static void expect_invalid(const char *input, const char *error)
{
        check_invalid(&(InvalidCase) { input, error });
}

/* The 255 limit counts the path only (distribution/reference v0.6), after "library/" is added. */
static void test_name_length(void **state)
{
        _cleanup_free_ char *a255 = repeat("a", 255), *a256 = repeat("a", 256);
        _cleanup_free_ char *a247 = repeat("a", 247), *a248 = repeat("a", 248);
        _cleanup_free_ char *slashes = repeat("a/", 127);
        _cleanup_free_ char *in = xasprintf("example.com/%s:tag", a255);
        _cleanup_free_ char *str = xasprintf("example.com/%s:tag", a255);
        _cleanup_free_ char *in2 = xasprintf("%sa:tag-puts-this-over-max", slashes);
        _cleanup_free_ char *path2 = xasprintf("%sa", slashes);
        _cleanup_free_ char *str2 = xasprintf("docker.io/%s", in2);
        _cleanup_free_ char *path3 = xasprintf("library/%s", a247);
        _cleanup_free_ char *str3 = xasprintf("docker.io/%s:latest", path3);
        _cleanup_free_ char *fam3 = xasprintf("%s:latest", a247);
        _cleanup_free_ char *too_long = xasprintf("domain/%s:tag", a256);
        _cleanup_free_ char *too_long2 = xasprintf("example.com/%s", a256);

        check_valid(&(ValidCase) { in, "example.com", a255, "tag", NULL, str, str });
        check_valid(&(ValidCase) { in2, "docker.io", path2, "tag-puts-this-over-max", NULL, str2,
                                   in2 });
        check_valid(&(ValidCase) { a247, "docker.io", path3, "latest", NULL, str3, fam3 });
        expect_invalid(a248, E_TOO_LONG);
        expect_invalid(too_long, E_TOO_LONG);
        expect_invalid(too_long2, E_TOO_LONG);
}

static void test_tag_length(void **state)
{
        _cleanup_free_ char *t128 = repeat("t", 128), *t129 = repeat("t", 129);
        _cleanup_free_ char *in = xasprintf("foo:%s", t128);
        _cleanup_free_ char *str = xasprintf("docker.io/library/foo:%s", t128);
        _cleanup_free_ char *bad = xasprintf("foo:%s", t129);

        check_valid(&(ValidCase) { in, "docker.io", "library/foo", t128, NULL, str, in });
        expect_invalid(bad, E_FORMAT);
}

/* Our own bound on the input, before any work is done on it: exactly IMAGE_REF_MAX bytes pass. */
static void test_input_limit(void **state)
{
        _cleanup_free_ char *dom = repeat("a.", 2045);
        _cleanup_free_ char *at_max = xasprintf("%sio/x:t", dom);
        _cleanup_free_ char *over = xasprintf("%sio/x:tt", dom);
        _cleanup_(image_ref_freep) ImageRef *r = NULL;

        assert_int_equal(strlen(at_max), IMAGE_REF_MAX);
        assert_int_equal(image_ref_parse(at_max, &r, NULL), 0);
        assert_string_equal(r->tag, "t");
        assert_int_equal(strlen(over), IMAGE_REF_MAX + 1);
        expect_invalid(over, E_FORMAT);
}

static void test_null_input(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        ImageRef *r = NULL;

        assert_int_equal(image_ref_parse(NULL, &r, &err), -EINVAL);
        assert_null(r);
        assert_string_equal(lade_error_message(err), E_FORMAT);
        /* a NULL error pointer is allowed: the caller only wants the code */
        assert_int_equal(image_ref_parse("Busybox", &r, NULL), -EINVAL);
        assert_null(r);
}

static void test_no_default_tag(void **state)
{
        static const struct {
                const char *input, *string, *familiar, *repository;
        } cases[] = {
                { "busybox", "docker.io/library/busybox", "busybox", "docker.io/library/busybox" },
                { "busybox:1", "docker.io/library/busybox:1", "busybox:1",
                  "docker.io/library/busybox" },
                { "user/app@" SHA_F, "docker.io/user/app@" SHA_F, "user/app@" SHA_F,
                  "docker.io/user/app" },
                { "localhost:5000/ns/name", "localhost:5000/ns/name", "localhost:5000/ns/name",
                  "localhost:5000/ns/name" },
                { "foo_bar.com/baz", "foo_bar.com/baz", "foo_bar.com/baz", "foo_bar.com/baz" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                _cleanup_(image_ref_freep) ImageRef *r = NULL;
                _cleanup_free_ char *s = NULL, *f = NULL, *repo = NULL;

                assert_int_equal(image_ref_parse_no_default_tag(cases[i].input, &r, &err), 0);
                s = image_ref_string(r);
                f = image_ref_familiar(r);
                repo = image_ref_repository(r);
                expect_str(cases[i].input, "string", s, cases[i].string);
                expect_str(cases[i].input, "familiar", f, cases[i].familiar);
                expect_str(cases[i].input, "repository", repo, cases[i].repository);
        }
        expect_invalid("Busybox", E_LOWER("library/Busybox"));
}

static void test_repository(void **state)
{
        static const struct {
                const char *input, *repository;
        } cases[] = {
                { "busybox", "docker.io/library/busybox" },
                { "busybox:1@" SHA_F, "docker.io/library/busybox" },
                { "index.docker.io/user/app:2", "docker.io/user/app" },
                { "[::1]:5000/repo:tag", "[::1]:5000/repo" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(image_ref_freep) ImageRef *r = NULL;
                _cleanup_free_ char *repo = NULL;

                assert_int_equal(image_ref_parse(cases[i].input, &r, NULL), 0);
                repo = image_ref_repository(r);
                expect_str(cases[i].input, "repository", repo, cases[i].repository);
        }
}

static void test_digest_valid(void **state)
{
        static const char *const good[] = { SHA_F, SHA_BE, SHA384_E, SHA512_F };
        static const char *const bad[] = {
                "",
                "sha256",
                "sha256:",
                ":" HEX64,
                HEX64,
                "sha256:" HEX64 "f",
                "sha256:fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
                "sha256:7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C",
                "SHA256:" HEX64,
                "sha512:" HEX64,
                "md5:ffffffffffffffffffffffffffffffff",
                "sha256:" HEX64 " ",
                "sha256:gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg",
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (!image_digest_valid(good[i]))
                        fail_msg("'%s' should be a valid digest", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (image_digest_valid(bad[i]))
                        fail_msg("'%s' should not be a valid digest", bad[i]);
        assert_false(image_digest_valid(NULL));
}

static void test_looks_like_id(void **state)
{
        static const char *const ids[] = {
                ID64, SHA_F, "sha256:1a3f", "1a3f5e7d9c1b", "da304e823d8ca2b9d863a3c897baeb85",
        };
        static const char *const not_ids[] = {
                "",
                "1a3f5e7d9c1",          /* 11: too short for a bare prefix */
                ID64 "0",               /* 65 */
                "sha256:",
                "sha256:" HEX64 "f",
                "7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C",
                "busybox",
                "1a3f5e7d9c1b:latest",
                "sha512:" HEX64,
                "sha256:xyz",
        };
        for (size_t i = 0; i < ELEMENTSOF(ids); i++)
                if (!image_ref_looks_like_id(ids[i]))
                        fail_msg("'%s' should look like an id", ids[i]);
        for (size_t i = 0; i < ELEMENTSOF(not_ids); i++)
                if (image_ref_looks_like_id(not_ids[i]))
                        fail_msg("'%s' should not look like an id", not_ids[i]);
        assert_false(image_ref_looks_like_id(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_table),
                cmocka_unit_test(test_invalid_table),
                cmocka_unit_test(test_name_length),
                cmocka_unit_test(test_tag_length),
                cmocka_unit_test(test_input_limit),
                cmocka_unit_test(test_null_input),
                cmocka_unit_test(test_no_default_tag),
                cmocka_unit_test(test_repository),
                cmocka_unit_test(test_digest_valid),
                cmocka_unit_test(test_looks_like_id),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
