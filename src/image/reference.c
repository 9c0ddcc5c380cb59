/* Image references: owns the reference grammar and Docker's normalisation.
 *
 * This reproduces github.com/distribution/reference v0.6.0 (ParseNormalizedNamed followed by
 * TagNameOnly) and the digest checks of github.com/opencontainers/go-digest v1.0.0 with small
 * hand-written matchers instead of regular expressions. Invariants of a returned ImageRef:
 *  - domain and path are never NULL; path is at most 255 bytes (the domain does not count);
 *  - domain is "" only for names Docker itself leaves without one, such as "foo_bar.com/x"
 *    (the first component looks like a host but is not a valid one, so it stays in the path);
 *  - tag and digest, when present, are valid; image_ref_parse() gives a tag or a digest.
 * Case folding is ASCII only. Go folds Unicode, which for non-ASCII input only changes which of
 * two "invalid reference" messages is printed. */
#include <string.h>

#include "reference.h"
#include "util.h"

#define REF_DEFAULT_DOMAIN "docker.io"
#define REF_LEGACY_DOMAIN "index.docker.io"
#define REF_LOCALHOST "localhost"
#define REF_OFFICIAL_PREFIX "library/"
#define REF_DEFAULT_TAG "latest"
#define REF_TAG_MAX 128
#define REF_DIGEST_HEX_MIN 32

#define REF_ERR_FORMAT "invalid reference format"
#define DIGEST_ERR_FORMAT "invalid checksum digest format"
#define DIGEST_ERR_LENGTH "invalid checksum digest length"
#define DIGEST_ERR_UNSUPPORTED "unsupported digest algorithm"

/* A slice of the string being parsed. */
typedef struct RefSpan {
        const char *p;
        size_t n;
} RefSpan;

/* The four captures of Docker's anchored reference pattern. */
typedef struct RefMatch {
        RefSpan domain, path, tag, digest;
} RefMatch;

static bool ref_is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool ref_is_upper(char c)
{
        return c >= 'A' && c <= 'Z';
}

static bool ref_is_alpha(char c)
{
        return ref_is_upper(c) || (c >= 'a' && c <= 'z');
}

static bool ref_is_alnum(char c)
{
        return ref_is_alpha(c) || (c >= '0' && c <= '9');
}

static bool ref_is_xdigit(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool ref_is_lower_xdigit(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool ref_has_upper(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (ref_is_upper(s[i]))
                        return true;
        return false;
}

static bool ref_all(const char *s, size_t n, bool (*pred)(char))
{
        for (size_t i = 0; i < n; i++)
                if (!pred(s[i]))
                        return false;
        return true;
}

/* Calls match() on every piece of s between delimiters; an empty piece is passed on too. */
static bool ref_match_each(const char *s, size_t n, char delim, bool (*match)(const char *, size_t))
{
        for (;;) {
                const char *d = memchr(s, delim, n);
                size_t k = d ? (size_t) (d - s) : n;
                if (!match(s, k))
                        return false;
                if (!d)
                        return true;
                s += k + 1;
                n -= k + 1;
        }
}

static size_t ref_lower_alnum_len(const char *s, size_t n)
{
        size_t i = 0;
        while (i < n && ref_is_lower_alnum(s[i]))
                i++;
        return i;
}

/* Length of the separator at s: one '.', one or two '_', or any run of '-'; 0 if none. Taking
 * the longest is safe: what follows a separator must be alphanumeric. */
static size_t ref_separator_len(const char *s, size_t n)
{
        size_t i = 0;
        if (n == 0)
                return 0;
        if (s[0] == '.')
                return 1;
        if (s[0] == '_')
                return n > 1 && s[1] == '_' ? 2 : 1;
        while (i < n && s[i] == '-')
                i++;
        return i;
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)* */
static bool ref_match_path_component(const char *s, size_t n)
{
        size_t i = ref_lower_alnum_len(s, n);
        if (i == 0)
                return false;
        while (i < n) {
                size_t sep = ref_separator_len(s + i, n - i), k;
                if (sep == 0)
                        return false;
                i += sep;
                k = ref_lower_alnum_len(s + i, n - i);
                if (k == 0)
                        return false;
                i += k;
        }
        return true;
}

static bool ref_match_path(const char *s, size_t n)
{
        return ref_match_each(s, n, '/', ref_match_path_component);
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool ref_match_domain_component(const char *s, size_t n)
{
        if (n == 0 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!ref_is_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

static bool ref_is_ipv6_char(char c)
{
        return ref_is_xdigit(c) || c == ':';
}

/* host := domain-name | "[" [a-fA-F0-9:]+ "]" (no zones, no embedded IPv4) */
static bool ref_match_host(const char *s, size_t n)
{
        if (n > 0 && s[0] == '[')
                return n >= 3 && s[n - 1] == ']' && ref_all(s + 1, n - 2, ref_is_ipv6_char);
        return ref_match_each(s, n, '.', ref_match_domain_component);
}

static bool ref_is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/* domain := host [":" [0-9]+] */
static bool ref_match_domain(const char *s, size_t n)
{
        const char *end;
        size_t host_n;

        if (n > 0 && s[0] == '[') {
                end = memchr(s, ']', n);
                host_n = end ? (size_t) (end - s) + 1 : n;
        } else {
                end = memchr(s, ':', n);
                host_n = end ? (size_t) (end - s) : n;
        }
        if (host_n < n && (s[host_n] != ':' || host_n + 1 == n ||
                           !ref_all(s + host_n + 1, n - host_n - 1, ref_is_digit)))
                return false;
        return ref_match_host(s, host_n);
}

static bool ref_is_word(char c)
{
        return ref_is_alnum(c) || c == '_';
}

/* tag := [\w][\w.-]{0,127} */
static bool ref_match_tag(const char *s, size_t n)
{
        if (n == 0 || n > REF_TAG_MAX || !ref_is_word(s[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!ref_is_word(s[i]) && s[i] != '.' && s[i] != '-')
                        return false;
        return true;
}

static bool ref_is_separator(char c, const char *set)
{
        return c != '\0' && strchr(set, c);
}

/* [A-Za-z][A-Za-z0-9]* */
static bool ref_match_algorithm_component(const char *s, size_t n)
{
        return n > 0 && ref_is_alpha(s[0]) && ref_all(s + 1, n - 1, ref_is_alnum);
}

/* The reference grammar's digest: algorithm-component ([-_+.] algorithm-component)* ":"
 * [[:xdigit:]]{32,}. go-digest then checks it further (ref_digest_check). */
static bool ref_match_digest(const char *s, size_t n)
{
        const char *colon = memchr(s, ':', n);
        size_t a, start = 0;

        if (!colon)
                return false;
        a = (size_t) (colon - s);
        for (size_t i = 0; i <= a; i++) {
                if (i < a && !ref_is_separator(s[i], "-_+."))
                        continue;
                if (!ref_match_algorithm_component(s + start, i - start))
                        return false;
                start = i + 1;
        }
        return n - a - 1 >= REF_DIGEST_HEX_MIN && ref_all(colon + 1, n - a - 1, ref_is_xdigit);
}

/* name := [domain "/"] path. Like Go's leftmost-first regexp, the first component is the domain
 * when it can be one; otherwise the whole name must be a path. */
static bool ref_match_name(const char *s, size_t n, RefMatch *m)
{
        const char *slash = memchr(s, '/', n);

        if (slash) {
                size_t d = (size_t) (slash - s);
                if (ref_match_domain(s, d) && ref_match_path(slash + 1, n - d - 1)) {
                        m->domain = (RefSpan) { s, d };
                        m->path = (RefSpan) { slash + 1, n - d - 1 };
                        return true;
                }
        }
        if (!ref_match_path(s, n))
                return false;
        m->domain = (RefSpan) { s, 0 };
        m->path = (RefSpan) { s, n };
        return true;
}

/* reference := name [":" tag] ["@" digest]. Neither name nor tag holds '@', and a ':' after
 * the last '/' can only start the tag, so the split is unambiguous. */
static bool ref_match(const char *s, RefMatch *ret)
{
        size_t n = strlen(s), name_n = n;
        const char *at = memchr(s, '@', n), *colon, *slash;
        RefMatch m = {};

        if (at) {
                name_n = (size_t) (at - s);
                m.digest = (RefSpan) { at + 1, n - name_n - 1 };
                if (!ref_match_digest(m.digest.p, m.digest.n))
                        return false;
        }
        colon = memrchr(s, ':', name_n);
        slash = memrchr(s, '/', name_n);
        if (colon && (!slash || colon > slash)) {
                m.tag = (RefSpan) { colon + 1, (size_t) (s + name_n - colon - 1) };
                if (!ref_match_tag(m.tag.p, m.tag.n))
                        return false;
                name_n = (size_t) (colon - s);
        }
        if (!ref_match_name(s, name_n, &m))
                return false;
        *ret = m;
        return true;
}

/* Hex length of a known algorithm, 0 if unknown. Docker links crypto/sha256 and crypto/sha512,
 * which registers sha384 as well. */
static size_t ref_algorithm_hex_len(const char *s, size_t n)
{
        static const struct {
                const char *name;
                size_t hex_len;
        } algorithms[] = {
                { "sha256", 64 },
                { "sha384", 96 },
                { "sha512", 128 },
        };
        for (size_t i = 0; i < ELEMENTSOF(algorithms); i++)
                if (strlen(algorithms[i].name) == n && memcmp(algorithms[i].name, s, n) == 0)
                        return algorithms[i].hex_len;
        return 0;
}

static bool ref_is_encoded_char(char c)
{
        return ref_is_alnum(c) || c == '=' || c == '_' || c == '-';
}

/* go-digest's DigestRegexpAnchored: [a-z0-9]+([.+_-][a-z0-9]+)* ":" [a-zA-Z0-9=_-]+ */
static bool ref_match_go_digest(const char *s, size_t a, const char *enc, size_t enc_n)
{
        size_t start = 0;
        for (size_t i = 0; i <= a; i++) {
                if (i < a && !ref_is_separator(s[i], ".+_-"))
                        continue;
                if (i == start || !ref_all(s + start, i - start, ref_is_lower_alnum))
                        return false;
                start = i + 1;
        }
        return enc_n > 0 && ref_all(enc, enc_n, ref_is_encoded_char);
}

/* go-digest's Digest.Validate(), with its error messages. */
static int ref_digest_check(const char *s, size_t n, LadeError **err)
{
        const char *colon = memchr(s, ':', n);
        size_t a, hex_n, want;

        if (!colon || colon == s || colon + 1 == s + n)
                return lade_error_msg(err, EINVAL, DIGEST_ERR_FORMAT);
        a = (size_t) (colon - s);
        hex_n = n - a - 1;
        want = ref_algorithm_hex_len(s, a);
        if (want == 0) {
                if (!ref_match_go_digest(s, a, colon + 1, hex_n))
                        return lade_error_msg(err, EINVAL, DIGEST_ERR_FORMAT);
                return lade_error_msg(err, EINVAL, DIGEST_ERR_UNSUPPORTED);
        }
        if (hex_n != want)
                return lade_error_msg(err, EINVAL, DIGEST_ERR_LENGTH);
        if (!ref_all(colon + 1, hex_n, ref_is_lower_xdigit))
                return lade_error_msg(err, EINVAL, DIGEST_ERR_FORMAT);
        return 0;
}

static char *ref_ascii_lower(const char *s)
{
        char *l = xstrdup(s);
        for (char *c = l; *c; c++)
                if (ref_is_upper(*c))
                        *c = (char) (*c - 'A' + 'a');
        return l;
}

/* Go's Parse() on an already normalised string. */
static int ref_parse_canonical(const char *s, RefMatch *ret, LadeError **err)
{
        RefMatch m = {}, ignored;

        if (!ref_match(s, &m)) {
                _cleanup_free_ char *lower = ref_ascii_lower(s);
                if (!streq(lower, s) && ref_match(lower, &ignored))
                        return lade_error_msg(err, EINVAL, "repository name must be lowercase");
                return lade_error_msg(err, EINVAL, REF_ERR_FORMAT);
        }
        if (m.path.n > IMAGE_REF_PATH_MAX)
                return lade_error_msg(err, EINVAL,
                                      "repository name must not be more than %d characters",
                                      IMAGE_REF_PATH_MAX);
        if (m.digest.n > 0) {
                int r = ref_digest_check(m.digest.p, m.digest.n, err);
                if (r < 0)
                        return r;
        }
        *ret = m;
        return 0;
}

/* Checks that come before normalisation: our own size limit, and Docker's refusal of a bare
 * 64-hex string, which would be ambiguous with an image id. */
static int ref_check_input(const char *s, LadeError **err)
{
        size_t n;

        if (!s)
                return lade_error_msg(err, EINVAL, REF_ERR_FORMAT);
        n = strnlen(s, IMAGE_REF_MAX + 1);
        if (n > IMAGE_REF_MAX)
                return lade_error_msg(err, EINVAL, REF_ERR_FORMAT);
        if (n == 64 && ref_all(s, n, ref_is_lower_xdigit))
                return lade_error_msg(err, EINVAL,
                                      "invalid repository name (%s), cannot specify 64-byte "
                                      "hexadecimal strings", s);
        return 0;
}

/* Is the first component of a multi-component name a registry host? */
static bool ref_is_domain_like(const char *first)
{
        return streq(first, REF_LOCALHOST) || strpbrk(first, ".:") ||
               ref_has_upper(first, strlen(first));
}

/* Go's splitDockerDomain(): picks the domain and adds "library/" to one-part Docker Hub names. */
static void ref_split_docker_domain(const char *s, char **ret_domain, char **ret_remainder)
{
        _cleanup_free_ char *domain = NULL;
        const char *slash = strchr(s, '/'), *rest = s;

        if (slash) {
                domain = xstrndup(s, (size_t) (slash - s));
                rest = slash + 1;
                if (!ref_is_domain_like(domain))
                        rest = s;
                if (streq(domain, REF_LEGACY_DOMAIN) || rest == s) {
                        free(domain);
                        domain = NULL;
                }
        }
        if (!domain)
                domain = xstrdup(REF_DEFAULT_DOMAIN);
        if (streq(domain, REF_DEFAULT_DOMAIN) && !strchr(rest, '/'))
                *ret_remainder = xasprintf(REF_OFFICIAL_PREFIX "%s", rest);
        else
                *ret_remainder = xstrdup(rest);
        *ret_domain = TAKE_PTR(domain);
}

/* The repository part (before any ':') must be lowercase; Docker names it in the message. */
static int ref_check_remote_case(const char *remainder, LadeError **err)
{
        size_t n = strcspn(remainder, ":");

        if (!ref_has_upper(remainder, n))
                return 0;
        return lade_error_msg(err, EINVAL,
                              REF_ERR_FORMAT ": repository name (%.*s) must be lowercase",
                              (int) n, remainder);
}

static ImageRef *ref_new(const RefMatch *m, bool default_tag)
{
        ImageRef *r = xmalloc0(sizeof(*r));

        r->domain = xstrndup(m->domain.p, m->domain.n);
        r->path = xstrndup(m->path.p, m->path.n);
        if (m->tag.n > 0)
                r->tag = xstrndup(m->tag.p, m->tag.n);
        else if (default_tag && m->digest.n == 0)
                r->tag = xstrdup(REF_DEFAULT_TAG);
        if (m->digest.n > 0)
                r->digest = xstrndup(m->digest.p, m->digest.n);
        return r;
}

static int ref_parse(const char *s, bool default_tag, ImageRef **ret, LadeError **err)
{
        _cleanup_free_ char *domain = NULL, *remainder = NULL, *full = NULL;
        RefMatch m = {};
        int r;

        r = ref_check_input(s, err);
        if (r < 0)
                return r;
        ref_split_docker_domain(s, &domain, &remainder);
        r = ref_check_remote_case(remainder, err);
        if (r < 0)
                return r;
        full = xasprintf("%s/%s", domain, remainder);
        r = ref_parse_canonical(full, &m, err);
        if (r < 0)
                return r;
        *ret = ref_new(&m, default_tag);
        return 0;
}

int image_ref_parse(const char *s, ImageRef **ret, LadeError **err)
{
        return ref_parse(s, true, ret, err);
}

int image_ref_parse_no_default_tag(const char *s, ImageRef **ret, LadeError **err)
{
        return ref_parse(s, false, ret, err);
}

ImageRef *image_ref_free(ImageRef *r)
{
        if (r) {
                free(r->domain);
                free(r->path);
                free(r->tag);
                free(r->digest);
                free(r);
        }
        return NULL;
}

static char *ref_format(const char *domain, const char *path, const char *tag, const char *digest)
{
        return xasprintf("%s%s%s%s%s%s%s", domain, *domain ? "/" : "", path, tag ? ":" : "",
                         tag ? tag : "", digest ? "@" : "", digest ? digest : "");
}

char *image_ref_string(const ImageRef *r)
{
        return ref_format(r->domain, r->path, r->tag, r->digest);
}

char *image_ref_familiar(const ImageRef *r)
{
        const char *domain = r->domain, *path = r->path;

        /* Go's familiarizeName(): only Docker Hub names are shortened, and "library/" goes
         * only when nothing nested follows it. */
        if (streq(domain, REF_DEFAULT_DOMAIN)) {
                domain = "";
                if (startswith(path, REF_OFFICIAL_PREFIX) &&
                    !strchr(path + strlen(REF_OFFICIAL_PREFIX), '/'))
                        path += strlen(REF_OFFICIAL_PREFIX);
        }
        return ref_format(domain, path, r->tag, r->digest);
}

char *image_ref_repository(const ImageRef *r)
{
        return ref_format(r->domain, r->path, NULL, NULL);
}

bool image_digest_valid(const char *digest)
{
        return digest && ref_digest_check(digest, strlen(digest), NULL) == 0;
}

bool image_ref_looks_like_id(const char *s)
{
        size_t min = 12, n;

        if (!s)
                return false;
        /* With the algorithm spelled out any prefix is unambiguous; a bare prefix needs
         * Docker's short-id length so that ordinary names are not mistaken for ids. */
        if (startswith(s, "sha256:")) {
                s += strlen("sha256:");
                min = 1;
        }
        n = strnlen(s, 65);
        return n >= min && n <= 64 && ref_all(s, n, ref_is_lower_xdigit);
}
