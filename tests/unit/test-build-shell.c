/* The shell lexer against buildkit's own tables (frontend/dockerfile/shell: envVarTest,
 * wordsTest, lex_test.go's TestProcessWithMatches and TestShellParserMandatoryEnvVars), plus the
 * options buildkit's parser uses (raw quotes/escapes, skipping unset variables, the backtick
 * escape). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "shell-lex.h"
#include "util.h"

typedef struct Case {
        const char *in, *out; /* out NULL: an error */
} Case;

/* envVarTest (the Unix and common rows), with PWD=/home SHELL=bash KOREAN=한국어 NULL= */
static const Case env_var_cases[] = {
        { "hello", "hello" },
        { "he'll'o", "hello" },
        { "he'llo", NULL },
        { "he\\'llo", "he'llo" },
        { "he\\\\'llo", NULL },
        { "abc\\tdef", "abctdef" },
        { "\"abc\\tdef\"", "abc\\tdef" },
        { "\"abc\\\\tdef\"", "abc\\tdef" },
        { "'abc\\tdef'", "abc\\tdef" },
        { "hello\\", "hello" },
        { "hello\\\\", "hello\\" },
        { "\"hello", NULL },
        { "\"hello\\\"", NULL },
        { "\"hel'lo\"", "hel'lo" },
        { "'hello", NULL },
        { "'hello\\'", "hello\\" },
        { "'hello\\there'", "hello\\there" },
        { "'hello\\\\there'", "hello\\\\there" },
        { "\"''\"", "''" },
        { "$.", "$." },
        { "he$1x", "hex" },
        { "he$.x", "he$.x" },
        { "he$pwd.", "he." },
        { "he$PWD", "he/home" },
        { "he\\$PWD", "he$PWD" },
        { "he\\\\$PWD", "he\\/home" },
        { "\"he\\$PWD\"", "he$PWD" },
        { "\"he\\\\$PWD\"", "he\\/home" },
        { "\\${}", "${}" },
        { "\\${}aaa", "${}aaa" },
        { "he\\${}", "he${}" },
        { "he\\${}xx", "he${}xx" },
        { "${}", NULL },
        { "${}aaa", NULL },
        { "he${}", NULL },
        { "he${}xx", NULL },
        { "he${hi}", "he" },
        { "he${hi}xx", "hexx" },
        { "he${PWD}", "he/home" },
        { "he${.}", NULL },
        { "he${XXX:-000}xx", "he000xx" },
        { "he${PWD:-000}xx", "he/homexx" },
        { "he${XXX:-$PWD}xx", "he/homexx" },
        { "he${XXX:-${PWD:-yyy}}xx", "he/homexx" },
        { "he${XXX:-${YYY:-yyy}}xx", "heyyyxx" },
        { "he${XXX:YYY}", NULL },
        { "he${XXX?}", NULL },
        { "he${XXX:?}", NULL },
        { "he${PWD?}", "he/home" },
        { "he${PWD:?}", "he/home" },
        { "he${NULL?}", "he" },
        { "he${NULL:?}", NULL },
        { "he${XXX:+${PWD}}xx", "hexx" },
        { "he${PWD:+${XXX}}xx", "hexx" },
        { "he${PWD:+${SHELL}}xx", "hebashxx" },
        { "he${XXX:+000}xx", "hexx" },
        { "he${PWD:+000}xx", "he000xx" },
        { "'he${XX}'", "he${XX}" },
        { "\"he${PWD}\"", "he/home" },
        { "\"he'$PWD'\"", "he'/home'" },
        { "\"$PWD\"", "/home" },
        { "'$PWD'", "$PWD" },
        { "'\\$PWD'", "\\$PWD" },
        { "'\"hello\"'", "\"hello\"" },
        { "he\\$PWD", "he$PWD" },
        { "\"he\\$PWD\"", "he$PWD" },
        { "'he\\$PWD'", "he\\$PWD" },
        { "he${PWD", NULL },
        { "he${PWD:=000}xx", NULL },
        { "he${PWD:+${PWD}:}xx", "he/home:xx" },
        { "he${XXX:-\\$PWD:}xx", "he$PWD:xx" },
        { "he${XXX:-\\${PWD}z}xx", "he${PWDz}xx" },
        { "\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224", "\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224" },
        { "\354\225\210'\353\205\225'\355\225\230\354\204\270\354\232\224", "\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224" },
        { "\354\225\210'\353\205\225\355\225\230\354\204\270\354\232\224", NULL },
        { "\354\225\210\353\205\225\\'\355\225\230\354\204\270\354\232\224", "\354\225\210\353\205\225'\355\225\230\354\204\270\354\232\224" },
        { "\354\225\210\\\\'\353\205\225\355\225\230\354\204\270\354\232\224", NULL },
        { "\354\225\210\353\205\225\\t\355\225\230\354\204\270\354\232\224", "\354\225\210\353\205\225t\355\225\230\354\204\270\354\232\224" },
        { "\"\354\225\210\353\205\225\\t\355\225\230\354\204\270\354\232\224\"", "\354\225\210\353\205\225\\t\355\225\230\354\204\270\354\232\224" },
        { "'\354\225\210\353\205\225\\t\355\225\230\354\204\270\354\232\224", NULL },
        { "\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224\\", "\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224" },
        { "\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224\\\\", "\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224\\" },
        { "\"\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224", NULL },
        { "\"\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224\\\"", NULL },
        { "\"\354\225\210\353\205\225'\355\225\230\354\204\270\354\232\224\"", "\354\225\210\353\205\225'\355\225\230\354\204\270\354\232\224" },
        { "'\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224", NULL },
        { "'\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224\\'", "\354\225\210\353\205\225\355\225\230\354\204\270\354\232\224\\" },
        { "\354\225\210\353\205\225$1x", "\354\225\210\353\205\225x" },
        { "\354\225\210\353\205\225$.x", "\354\225\210\353\205\225$.x" },
        { "\354\225\210\353\205\225$pwd.", "\354\225\210\353\205\225." },
        { "\354\225\210\353\205\225$PWD", "\354\225\210\353\205\225/home" },
        { "\354\225\210\353\205\225\\$PWD", "\354\225\210\353\205\225$PWD" },
        { "\354\225\210\353\205\225\\\\$PWD", "\354\225\210\353\205\225\\/home" },
        { "\354\225\210\353\205\225\\${}", "\354\225\210\353\205\225${}" },
        { "\354\225\210\353\205\225\\${}xx", "\354\225\210\353\205\225${}xx" },
        { "\354\225\210\353\205\225${}", NULL },
        { "\354\225\210\353\205\225${}xx", NULL },
        { "\354\225\210\353\205\225${hi}", "\354\225\210\353\205\225" },
        { "\354\225\210\353\205\225${hi}xx", "\354\225\210\353\205\225xx" },
        { "\354\225\210\353\205\225${PWD}", "\354\225\210\353\205\225/home" },
        { "\354\225\210\353\205\225${.}", NULL },
        { "\354\225\210\353\205\225${XXX:-000}xx", "\354\225\210\353\205\225000xx" },
        { "\354\225\210\353\205\225${PWD:-000}xx", "\354\225\210\353\205\225/homexx" },
        { "\354\225\210\353\205\225${XXX:-$PWD}xx", "\354\225\210\353\205\225/homexx" },
        { "\354\225\210\353\205\225${XXX:-${PWD:-yyy}}xx", "\354\225\210\353\205\225/homexx" },
        { "\354\225\210\353\205\225${XXX:-${YYY:-yyy}}xx", "\354\225\210\353\205\225yyyxx" },
        { "\354\225\210\353\205\225${XXX:YYY}", NULL },
        { "\354\225\210\353\205\225${XXX:+${PWD}}xx", "\354\225\210\353\205\225xx" },
        { "\354\225\210\353\205\225${PWD:+${XXX}}xx", "\354\225\210\353\205\225xx" },
        { "\354\225\210\353\205\225${PWD:+${SHELL}}xx", "\354\225\210\353\205\225bashxx" },
        { "\354\225\210\353\205\225${XXX:+000}xx", "\354\225\210\353\205\225xx" },
        { "\354\225\210\353\205\225${PWD:+000}xx", "\354\225\210\353\205\225000xx" },
        { "'\354\225\210\353\205\225${XX}'", "\354\225\210\353\205\225${XX}" },
        { "\"\354\225\210\353\205\225${PWD}\"", "\354\225\210\353\205\225/home" },
        { "\"\354\225\210\353\205\225'$PWD'\"", "\354\225\210\353\205\225'/home'" },
        { "'\"\354\225\210\353\205\225\"'", "\"\354\225\210\353\205\225\"" },
        { "\354\225\210\353\205\225\\$PWD", "\354\225\210\353\205\225$PWD" },
        { "\"\354\225\210\353\205\225\\$PWD\"", "\354\225\210\353\205\225$PWD" },
        { "'\354\225\210\353\205\225\\$PWD'", "\354\225\210\353\205\225\\$PWD" },
        { "\354\225\210\353\205\225${PWD", NULL },
        { "\354\225\210\353\205\225${PWD:=000}xx", NULL },
        { "\354\225\210\353\205\225${PWD:+${PWD}:}xx", "\354\225\210\353\205\225/home:xx" },
        { "\354\225\210\353\205\225${XXX:-\\$PWD:}xx", "\354\225\210\353\205\225$PWD:xx" },
        { "\354\225\210\353\205\225${XXX:-\\${PWD}z}xx", "\354\225\210\353\205\225${PWDz}xx" },
        { "$KOREAN", "\355\225\234\352\265\255\354\226\264" },
        { "\354\225\210\353\205\225$KOREAN", "\354\225\210\353\205\225\355\225\234\352\265\255\354\226\264" },
        { "${{aaa}", NULL },
        { "${aaa}}", "}" },
        { "${aaa", NULL },
        { "${{aaa:-bbb}", NULL },
        { "${aaa:-bbb}}", "bbb}" },
        { "${aaa:-bbb", NULL },
        { "${aaa:-bbb}", "bbb" },
        { "${aaa:-${bbb:-ccc}}", "ccc" },
        { "${aaa:-bbb ${foo}", NULL },
        { "${aaa:-bbb {foo}", "bbb {foo" },
        { "${:}", NULL },
        { "${:-bbb}", NULL },
        { "${:+bbb}", NULL },
        { "$1", "" },
        { "${1}", "" },
        { "${1:+bbb}", "" },
        { "${1:-bbb}", "bbb" },
        { "$2", "" },
        { "${2}", "" },
        { "${2:+bbb}", "" },
        { "${2:-bbb}", "bbb" },
        { "$3", "" },
        { "${3}", "" },
        { "${3:+bbb}", "" },
        { "${3:-bbb}", "bbb" },
        { "$4", "" },
        { "${4}", "" },
        { "${4:+bbb}", "" },
        { "${4:-bbb}", "bbb" },
        { "$5", "" },
        { "${5}", "" },
        { "${5:+bbb}", "" },
        { "${5:-bbb}", "bbb" },
        { "$6", "" },
        { "${6}", "" },
        { "${6:+bbb}", "" },
        { "${6:-bbb}", "bbb" },
        { "$7", "" },
        { "${7}", "" },
        { "${7:+bbb}", "" },
        { "${7:-bbb}", "bbb" },
        { "$8", "" },
        { "${8}", "" },
        { "${8:+bbb}", "" },
        { "${8:-bbb}", "bbb" },
        { "$9", "" },
        { "${9}", "" },
        { "${9:+bbb}", "" },
        { "${9:-bbb}", "bbb" },
        { "$999", "" },
        { "${999}", "" },
        { "${999:+bbb}", "" },
        { "${999:-bbb}", "bbb" },
        { "$999aaa", "aaa" },
        { "${999}aaa", "aaa" },
        { "${999:+bbb}aaa", "aaa" },
        { "${999:-bbb}aaa", "bbbaaa" },
        { "$001", "" },
        { "${001}", "" },
        { "${001:+bbb}", "" },
        { "${001:-bbb}", "bbb" },
        { "$001aaa", "aaa" },
        { "${001}aaa", "aaa" },
        { "${001:+bbb}aaa", "aaa" },
        { "${001:-bbb}aaa", "bbbaaa" },
        { "$@", "" },
        { "${@}", "" },
        { "${@:+bbb}", "" },
        { "${@:-bbb}", "bbb" },
        { "$@@@", "@@" },
        { "$@aaa", "aaa" },
        { "${@}aaa", "aaa" },
        { "${@:+bbb}aaa", "aaa" },
        { "${@:-bbb}aaa", "bbbaaa" },
        { "$*", "" },
        { "${*}", "" },
        { "${*:+bbb}", "" },
        { "${*:-bbb}", "bbb" },
        { "$#", "" },
        { "${#}", "" },
        { "${#:+bbb}", "" },
        { "${#:-bbb}", "bbb" },
        { "$?", "" },
        { "${?}", "" },
        { "${?:+bbb}", "" },
        { "${?:-bbb}", "bbb" },
        { "$-", "" },
        { "${-}", "" },
        { "${-:+bbb}", "" },
        { "${-:-bbb}", "bbb" },
        { "$$", "" },
        { "${$}", "" },
        { "${$:+bbb}", "" },
        { "${$:-bbb}", "bbb" },
        { "$!", "" },
        { "${!}", "" },
        { "${!:+bbb}", "" },
        { "${!:-bbb}", "bbb" },
        { "$0", "" },
        { "${0}", "" },
        { "${0:+bbb}", "" },
        { "${0:-bbb}", "bbb" },
};

static char *env_var_env[] = { "PWD=/home", "SHELL=bash", "KOREAN=\355\225\234\352\265\255\354\226\264", "NULL=", NULL };

static void test_env_var_table(void **state)
{
        for (size_t k = 0; k < ELEMENTSOF(env_var_cases); k++) {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                _cleanup_free_ char *out = NULL;
                const Case *c = &env_var_cases[k];
                int r = build_shell_expand(NULL, c->in, build_env_strv_lookup, env_var_env, &out, &err);

                if (!c->out) {
                        if (r >= 0)
                                fail_msg("%s: expected an error, got \"%s\"", c->in, out);
                        assert_int_equal(r, -EINVAL);
                        assert_non_null(err);
                        assert_true(startswith(err->msg, "failed to process \""));
                        assert_null(out);
                        continue;
                }
                if (r < 0)
                        fail_msg("%s: %s", c->in, err->msg);
                if (!streq(out, c->out))
                        fail_msg("%s: expected \"%s\", got \"%s\"", c->in, c->out, out);
        }
}

/* wordsTest: the environment grows as the table goes; "a|b" lists the expected words */
static char *words_env[] = {
        "hi=hi",
        "space=abc  def",
        "leading=  ab c",
        "trailing=ab c   ",
        NULL,
};

static const struct {
        size_t n_env;
        const char *in, *words;
} words_cases[] = {
        { 0, "hello", "hello" },
        { 0, "hello${hi}bye", "hellobye" },
        { 1, "hello${hi}bye", "hellohibye" },
        { 2, "hello${space}bye", "helloabc|defbye" },
        { 2, "hello\"${space}\"bye", "helloabc  defbye" },
        { 2, "hello \"${space}\"bye", "hello|abc  defbye" },
        { 3, "hello${leading}def", "hello|ab|cdef" },
        { 3, "hello\"${leading}\" def", "hello  ab c|def" },
        { 3, "hello\"${leading}\"", "hello  ab c" },
        { 3, "hello${leading}", "hello|ab|c" },
        { 4, "hello${trailing}", "helloab|c" },
        { 4, "hello${trailing}d", "helloab|c|d" },
        { 4, "hello\"${trailing}\"d", "helloab c   d" },
        { 4, "hel\"lo${trailing}\"", "helloab c   " },
        { 4, "hello\" there  \"", "hello there  " },
        { 4, "hello there", "hello|there" },
        { 4, "hello\\ there", "hello there" },
        { 4, "hello\" there", "error" },
        { 4, "hello\\\" there", "hello\"|there" },
        { 4, "hello\"\\\\there\"", "hello\\there" },
        { 4, "hello\"\\there\"", "hello\\there" },
        { 4, "hello'\\\\there'", "hello\\\\there" },
        { 4, "hello'\\there'", "hello\\there" },
        { 4, "hello'$there'", "hello$there" },
};

static void test_words_table(void **state)
{
        for (size_t k = 0; k < ELEMENTSOF(words_cases); k++) {
                _cleanup_strv_free_ char **env = xmalloc0((words_cases[k].n_env + 1) * sizeof(char *));
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                _cleanup_strv_free_ char **words = NULL;
                _cleanup_free_ char *joined = NULL;
                size_t len = 0;

                for (size_t e = 0; e < words_cases[k].n_env; e++)
                        env[e] = xstrdup(words_env[e]);
                if (build_shell_expand_words(NULL, words_cases[k].in, build_env_strv_lookup, env, &words, &err) < 0) {
                        joined = xstrdup("error");
                } else {
                        joined = xstrdup("");
                        for (size_t w = 0; words[w]; w++) {
                                char *j = xasprintf("%s%s%s", joined, w ? "|" : "", words[w]);
                                free(joined);
                                joined = j;
                        }
                }
                (void) len;
                if (!streq(joined, words_cases[k].words))
                        fail_msg("%s: expected [%s], got [%s]", words_cases[k].in, words_cases[k].words, joined);
        }
}

typedef struct MatchCase {
        const char *in;
        const char *env[4];
        const char *out; /* NULL: error */
} MatchCase;

/* lex_test.go: TestProcessWithMatches (results; lade does not report matches) */
static const MatchCase match_cases[] = {
        { "x", { "DUMMY=dummy" }, "x" },
        { "x ${UNUSED}", { "DUMMY=dummy" }, "x " },
        { "x ${FOO}", { "FOO=y" }, "x y" },
        { "${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", { "FOO=xxx", "BAR=" }, "xxx  ccc" },
        { "${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", { "FOO=xxx", "BAR=" }, "xxx bbb ccc" },
        { "${FOO:-}", { "FOO=xxx", "BAR=" }, "xxx" },
        { "${FOO:-}", { NULL }, "" },
        { "${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", { "FOO=xxx", "BAR=" }, "aaa bbb " },
        { "${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", { "FOO=xxx", "BAR=" }, "aaa  " },
        { "${FOO?aaa}", { "FOO=xxx", "BAR=" }, "xxx" },
        { "${BAR?bbb}", { "FOO=xxx", "BAR=" }, "" },
        { "${BAZ?ccc}", { "FOO=xxx", "BAR=" }, NULL },
        { "${FOO:?aaa}", { "FOO=xxx", "BAR=" }, "xxx" },
        { "${BAR:?bbb}", { "FOO=xxx", "BAR=" }, NULL },
        { "${BAZ:?ccc}", { "FOO=xxx", "BAR=" }, NULL },
        { "${BAZ:?}", { "FOO=xxx", "BAR=" }, NULL },
        { "${FOO=aaa}", { "FOO=xxx", "BAR=" }, NULL },
        { "${FOO=:aaa}", { "FOO=xxx", "BAR=" }, NULL },
        { "${FOO=}", { NULL }, NULL },
        { "${FOO#()[]{\\}^$.\\*\\?|\\\\}", { "FOO=()[]{}^$.*?|\\x" }, "x" },
        { "${FOO%%\\**}", { "FOO=xx**" }, "xx" },
        { "${FOO#*x*y}", { "FOO=xxyy" }, "y" },
        { "${FOO#*}", { "FOO=xxyy" }, "xxyy" },
        { "${FOO#$BAR}", { "FOO=xxyy", "BAR=x" }, "xyy" },
        { "${FOO#$BAR}", { "FOO=xxyy", "BAR=" }, "xxyy" },
        { "${FOO#}", { "FOO=xxyy" }, "xxyy" },
        { "${FOO##*x}", { "FOO=xxyy" }, "yy" },
        { "${FOO##}", { "FOO=xxyy" }, "xxyy" },
        { "${FOO#?\\?}", { "FOO=???y" }, "?y" },
        { "${ABC:-.}${FOO%x}${ABC:-.}", { "FOO=xxyy" }, ".xxyy." },
        { "${FOO%%\\**\\*}", { "FOO=a***yy*" }, "a" },
        { "${FOO%}", { "FOO=xxyy" }, "xxyy" },
        { "${FOO%%$BAR}", { "FOO=xxyy", "BAR=" }, "xxyy" },
        { "${FOO:#}", { NULL }, NULL },
        { "${FOO:##}", { NULL }, NULL },
        { "${FOO:%}", { NULL }, NULL },
        { "${FOO:%%}", { NULL }, NULL },
        { "${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", { "FOO=/foo*/*/*.txt", "NEEDLE=\\*/" },
          "/foo.*/*.txt - /foo..*.txt" },
        { "${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", { "FOO=/tmp/tmp/bar.txt", "NEEDLE=/tmp" },
          "/tmp/bar.txt - /bar.txt" },
        { "${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}",
          { "FOO=/a/foo/b/c.txt", "NEEDLE=/?/", "REPLACEMENT=/" }, "/foo/b/c.txt - /foo/c.txt" },
        { "${FOO/$NEEDLE/$REPLACEMENT}", { "FOO=http://google.de", "NEEDLE=http://", "REPLACEMENT=https://" },
          "https://google.de" },
        { "${FOO//\\//\\/}", { "FOO=/tmp/foo.txt" }, "\\/tmp\\/foo.txt" },
        { "${FOO/$BAR/ww}", { "FOO=xxyy", "BAR=" }, "wwxxyy" },
        { "${FOO//ww}", { "FOO=xxyy" }, NULL },
        { "${FOO//}", { "FOO=xxyy" }, NULL },
        { "${FOO///}", { "FOO=xxyy" }, "xxyy" },
        { "${FOO///}", { NULL }, "" },
        /* TestProcessWithMatchesPlatform */
        { "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz",
          { "VERSION=v1.2.3", "TARGETOS=linux", "TARGETARCH=arm", "TARGETVARIANT=v7" },
          "something-v1.2.3.linux-arm-v7.tar.gz" },
        { "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz",
          { "VERSION=v1.2.3", "TARGETOS=linux", "TARGETARCH=arm64", "TARGETVARIANT=" },
          "something-v1.2.3.linux-arm64.tar.gz" },
        { "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz",
          { "VERSION=v1.2.3", "TARGETOS=linux", "TARGETARCH=arm64" }, "something-v1.2.3.linux-arm64.tar.gz" },
        /* lade's own: a newline is not matched by `?` or `*` (Go's `.`), greedy vs shortest */
        { "${FOO#*b}", { "FOO=a\nb" }, "a\nb" },
        { "${FOO%.*}", { "FOO=file.tar.gz" }, "file.tar" },
        { "${FOO%%.*}", { "FOO=file.tar.gz" }, "file" },
        { "${FOO##*/}", { "FOO=/usr/local/bin/tool" }, "tool" },
        { "${FOO#*/}", { "FOO=/usr/local/bin/tool" }, "usr/local/bin/tool" },
        { "${FOO//o/0}", { "FOO=foo boo" }, "f00 b00" },
        { "${FOO/o/0}", { "FOO=foo boo" }, "f0o boo" },
        { "${FOO//*/x}", { "FOO=ab" }, "x" },
        { "${FOO//?/$$}", { "FOO=ab" }, "" }, /* $$ is the (unset) special parameter $ */
        { "${FOO//?/\\$$}", { "FOO=ab" }, "\\$\\$" },
        { "${FOO#\\x}", { "FOO=x" }, NULL },
        { "${FOO/a}", { "FOO=a" }, NULL },
};

static void test_matches_table(void **state)
{
        for (size_t k = 0; k < ELEMENTSOF(match_cases); k++) {
                const MatchCase *c = &match_cases[k];
                char *env[5] = {};
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                _cleanup_free_ char *out = NULL;
                int r;

                for (size_t e = 0; e < 4 && c->env[e]; e++)
                        env[e] = (char *) c->env[e];
                r = build_shell_expand(NULL, c->in, build_env_strv_lookup, env, &out, &err);
                if (!c->out) {
                        if (r >= 0)
                                fail_msg("%s: expected an error, got \"%s\"", c->in, out);
                        continue;
                }
                if (r < 0)
                        fail_msg("%s: %s", c->in, err->msg);
                if (!streq(out, c->out))
                        fail_msg("%s: expected \"%s\", got \"%s\"", c->in, c->out, out);
        }
}

static void expect_error(const char *in, char **env, const char *msg)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_free_ char *out = NULL;

        assert_int_equal(build_shell_expand(NULL, in, build_env_strv_lookup, env, &out, &err), -EINVAL);
        if (!streq(err->msg, msg))
                fail_msg("%s: expected \"%s\", got \"%s\"", in, msg, err->msg);
}

/* TestShellParserMandatoryEnvVars, and Docker's exact messages */
static void test_messages(void **state)
{
        char *set[] = { "VAR=plain", "ARG=x", NULL }, *empty[] = { "VAR=", "ARG=x", NULL };
        char *unset[] = { "ARG=x", NULL };
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        assert_int_equal(build_shell_expand(NULL, "${VAR:?message here$ARG}", build_env_strv_lookup, set, &a, NULL), 0);
        assert_string_equal(a, "plain");
        expect_error("${VAR:?message here$ARG}", empty, "failed to process \"${VAR:?message here$ARG}\": VAR: message herex");
        expect_error("${VAR:?message here$ARG}", unset, "failed to process \"${VAR:?message here$ARG}\": VAR: message herex");
        assert_int_equal(build_shell_expand(NULL, "${VAR?message here$ARG}", build_env_strv_lookup, empty, &b, NULL), 0);
        assert_string_equal(b, "");
        expect_error("${VAR?}", unset, "failed to process \"${VAR?}\": VAR: is not allowed to be unset");
        expect_error("${VAR:?}", empty, "failed to process \"${VAR:?}\": VAR: is not allowed to be empty");
        expect_error("${", NULL, "failed to process \"${\": syntax error: missing '}'");
        /* buildkit reads the end of input as the modifier (Go prints it as U+FFFD) */
        expect_error("${X", NULL, "failed to process \"${X\": unsupported modifier (\xEF\xBF\xBD) in substitution");
        expect_error("${X:-abc", NULL, "failed to process \"${X:-abc\": syntax error: missing '}'");
        expect_error("${}", NULL, "failed to process \"${}\": syntax error: bad substitution");
        expect_error("${X=1}", NULL, "failed to process \"${X=1}\": unsupported modifier (=) in substitution");
        expect_error("${X:=1}", NULL, "failed to process \"${X:=1}\": unsupported modifier (:=) in substitution");
        expect_error("'abc", NULL, "failed to process \"'abc\": unexpected end of statement while looking for matching single-quote");
        expect_error("\"abc", NULL, "failed to process \"\\\"abc\": unexpected end of statement while looking for matching double-quote");
        expect_error("${X/a", NULL, "failed to process \"${X/a\": syntax error: missing '/' in ${}");
        assert_int_equal(build_shell_expand(NULL, "plain", NULL, NULL, &c, NULL), 0);
        assert_string_equal(c, "plain");
}

static void expect_opts(const BuildShellOptions *o, const char *in, char **env, const char *out)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_free_ char *got = NULL;

        if (build_shell_expand(o, in, build_env_strv_lookup, env, &got, &err) < 0)
                fail_msg("%s: %s", in, err->msg);
        if (!streq(got, out))
                fail_msg("%s: expected \"%s\", got \"%s\"", in, out, got);
}

static void test_options(void **state)
{
        char *env[] = { "A=1", "E=", NULL };
        BuildShellOptions skip = { .escape = '\\', .skip_unset = true, .raw_quotes = true };
        BuildShellOptions raw = { .escape = '\\', .raw_escapes = true, .raw_quotes = true };
        BuildShellOptions tick = { .escape = '`' };
        BuildShellOptions noquotes = { .escape = '\\', .skip_process_quotes = true };

        /* SkipUnsetEnv keeps references to unset variables as written (heredoc detection) */
        expect_opts(&skip, "$A $B ${B} ${B:-x} ${A:-x} 'q'", env, "1 $B ${B} ${B:-x} 1 'q'");
        expect_opts(&skip, "${B/a/b}", env, "${B/a/b}");
        /* raw escapes and quotes keep them */
        expect_opts(&raw, "a\\ b \"c\\\"d\"", env, "a\\ b \"c\\\"d\"");
        /* the backtick escape directive: backslashes are ordinary */
        expect_opts(&tick, "C:\\path `$A \"x`\"y\"", env, "C:\\path $A x\"y");
        /* heredoc bodies: quotes are ordinary characters, variables still expand */
        expect_opts(&noquotes, "echo '$A' \"$E\"", env, "echo '1' \"\"");
        /* unset vs empty */
        expect_opts(NULL, "[${E-unset}] [${E:-empty}] [${U-unset}] [${E+set}] [${U+set}]", env,
                    "[] [empty] [unset] [set] []");
}

static void test_words_split(void **state)
{
        char *env[] = { "P=80 443", "Q=  x  ", NULL };
        _cleanup_strv_free_ char **w = NULL, **w2 = NULL, **w3 = NULL;

        assert_int_equal(build_shell_expand_words(NULL, "$P \"$P\" 8080/tcp", build_env_strv_lookup, env, &w, NULL), 0);
        assert_int_equal(strv_length(w), 4);
        assert_string_equal(w[0], "80");
        assert_string_equal(w[1], "443");
        assert_string_equal(w[2], "80 443");
        assert_string_equal(w[3], "8080/tcp");
        assert_int_equal(build_shell_expand_words(NULL, "", NULL, NULL, &w2, NULL), 0);
        assert_int_equal(strv_length(w2), 0);
        assert_int_equal(build_shell_expand_words(NULL, "a${Q}b", build_env_strv_lookup, env, &w3, NULL), 0);
        assert_int_equal(strv_length(w3), 3);
        assert_string_equal(w3[0], "a");
        assert_string_equal(w3[1], "x");
        assert_string_equal(w3[2], "b");
}

static void test_limits(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_free_ char *big = xmalloc(BUILD_SHELL_WORD_MAX + 2), *out = NULL;

        memset(big, 'a', BUILD_SHELL_WORD_MAX + 1);
        big[BUILD_SHELL_WORD_MAX + 1] = 0;
        assert_int_equal(build_shell_expand(NULL, big, NULL, NULL, &out, &err), -EINVAL);
        assert_null(out);
        assert_true(strstr(err->msg, "too long") != NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_env_var_table),
                cmocka_unit_test(test_words_table),
                cmocka_unit_test(test_matches_table),
                cmocka_unit_test(test_messages),
                cmocka_unit_test(test_options),
                cmocka_unit_test(test_words_split),
                cmocka_unit_test(test_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
