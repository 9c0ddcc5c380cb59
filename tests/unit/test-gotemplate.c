/* Go's text/template with Docker's functions (src/common/gotemplate.c): outputs and error texts
 * checked against Go's own engine (go1.19 text/template + docker/cli's templates.go functions
 * over JSON decoded into interface{}; `docker version --format` agrees where it applies). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gotemplate.h"
#include "json-util.h"
#include "util.h"

static const char *data_text =
        "{\"a\":1,\"s\":\"y\",\"n\":null,\"arr\":[1,\"x\",null,true],\"obj\":{\"z\":1,\"a\":[]},\"f\":1.5,"
        "\"Config\":{\"Labels\":{\"k\":\"v\",\"a b\":\"c\"},\"Cmd\":[\"sh\",\"-c\",\"echo hi\"],\"Env\":null},"
        "\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAddress\":\"172.17.0.2\"},"
        "\"other\":{\"IPAddress\":\"10.0.0.3\"}}}}";

typedef struct Case {
        const char *tmpl;
        const char *out; /* NULL: an error */
        const char *err; /* expected error text (or NULL) */
        unsigned flags;
} Case;

static const Case cases[] = {
        /* fields, printing */
        { "{{.a}}", "1", NULL, 0 },
        { "{{.s}}|{{.f}}|{{.arr}}|{{.obj}}", "y|1.5|[1 x <nil> true]|map[a:[] z:1]", NULL, 0 },
        { "{{.Nope}}", "<no value>", NULL, 0 },
        { "{{.n}}", "<no value>", NULL, 0 },
        { "{{$}}", "map[Config:map[Cmd:[sh -c echo hi] Env:<nil> Labels:map[a b:c k:v]] NetworkSettings:map[Networks:map[bridge:map[IPAddress:172.17.0.2] other:map[IPAddress:10.0.0.3]]] a:1 arr:[1 x <nil> true] f:1.5 n:<nil> obj:map[a:[] z:1] s:y]", NULL, 0 },
        { "{{.Nope}}", NULL, "template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"",
          GOTEMPLATE_MISSINGKEY_ERROR },
        { "{{.Nope}}|{{.a.b}}", NULL, "template: :1:14: executing \"\" at <.a.b>: can't evaluate field b in type interface {}", 0 },
        { "{{.n.b}}", NULL, "template: :1:4: executing \"\" at <.n.b>: nil pointer evaluating interface {}.b", 0 },
        { "{{\"a\" | .s}}", NULL, "template: :1:8: executing \"\" at <.s>: s is not a method but has arguments", 0 },
        /* the forms of issue #4 */
        { "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "172.17.0.210.0.0.3", NULL, 0 },
        { "{{index .Config.Labels \"k\"}}", "v", NULL, 0 },
        { "{{join .Config.Cmd \",\"}}", "sh,-c,echo hi", NULL, 0 },
        { "{{.Config.Cmd | json}}", "[\"sh\",\"-c\",\"echo hi\"]", NULL, 0 },
        { "{{json .Config.Labels}} {{json .Config.Env}} {{json \"<a&b>\"}}", "{\"a b\":\"c\",\"k\":\"v\"} null \"<a&b>\"", NULL, 0 },
        { "{{if .Config.Labels}}yes{{end}}{{len .Config.Cmd}}{{upper .s}}", "yes3Y", NULL, 0 },
        { "{{printf \"%s:%d\" .s .a}}", "y:1", NULL, 0 },
        /* control */
        { "{{range $k, $v := .obj}}{{$k}}={{$v}};{{end}}", "a=[];z=1;", NULL, 0 },
        { "{{range $i, $e := split \"a,b\" \",\"}}{{$i}}{{$e}}{{end}}", "0a1b", NULL, 0 },
        { "{{range $v := .arr}}{{$v}}{{end}}", "1x<no value>true", NULL, 0 },
        { "{{range .Nope}}x{{else}}empty{{end}}", "empty", NULL, 0 },
        { "{{range .arr}}{{if not .}}{{continue}}{{end}}{{.}};{{end}}", "1;x;true;", NULL, 0 },
        { "{{range .arr}}{{if eq . true}}{{break}}{{end}}{{.}};{{end}}", NULL,
          "template: :1:19: executing \"\" at <eq . true>: error calling eq: incompatible types for comparison", 0 },
        { "{{range $i, $e := .arr}}{{if eq $i 2}}{{break}}{{end}}{{$e}};{{end}}", "1;x;", NULL, 0 },
        { "{{with .Nope}}x{{else}}y{{end}}{{with .obj}}{{.z}}{{$.s}}{{end}}", "y1y", NULL, 0 },
        { "{{if .Nope}}a{{else if .s}}b{{else}}c{{end}}", "b", NULL, 0 },
        { "{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2", NULL, 0 },
        { "{{with $x := .obj}}{{$x.z}}{{end}}", "1", NULL, 0 },
        { "{{range .a}}x{{end}}", NULL, "template: :1:8: executing \"\" at <.a>: range can't iterate over 1", 0 },
        /* whitespace trimming and comments */
        { "x  {{- .a -}}  y", "x1y", NULL, 0 },
        { "{{/* c */}}a {{- /* c */ -}} b", "ab", NULL, 0 },
        { "{{\"a\"}}\n{{- \"b\"}}", "ab", NULL, 0 },
        /* literals */
        { "{{1e6}} {{1.5}} {{0x10}} {{1e21}} {{0.0000001}} {{-0}} {{'a'}} {{3.0}} {{123456789.0}} {{100000.0}}",
          "1e+06 1.5 16 1e+21 1e-07 0 97 3 1.23456789e+08 100000", NULL, 0 },
        { "{{`raw\\n`}} {{\"\\x41\\u00e9\\t\" | printf \"%q\"}}", "raw\\n \"Aé\\t\"", NULL, 0 },
        { "{{true}} {{false}} {{0b101}} {{0o17}} {{1_000}}", "true false 5 15 1000", NULL, 0 },
        /* builtins */
        { "{{and 1 0 2}} {{or 0 \"\" \"x\"}} {{not 0}} {{and .Nope .x}}", "0 x true <no value>", NULL, 0 },
        { "{{eq .s \"x\" \"y\"}} {{ne 1 2}} {{le \"a\" \"b\"}} {{ge 2 2}} {{gt 1.5 2.5}} {{eq .n nil}}",
          "true true true true false true", NULL, 0 },
        { "{{eq 1 \"a\"}}", NULL, "template: :1:2: executing \"\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison", 0 },
        { "{{lt 1 2.0}}", NULL, "template: :1:2: executing \"\" at <lt 1 2.0>: error calling lt: incompatible types for comparison", 0 },
        { "{{len \"héllo\"}} {{len (split \"a,b,c\" \",\")}} {{.obj | len}} {{len .n}}", "6 3 2 0", NULL, 0 },
        { "{{len 3}}", NULL, "template: :1:2: executing \"\" at <len 3>: error calling len: len of type int", 0 },
        { "{{index .arr 1}} {{index .obj \"z\"}} {{index .obj \"q\"}} {{index \"abc\" 1}}", "x 1 <no value> 98", NULL, 0 },
        { "{{index (split \"a,b,c\" \",\") 5}}", NULL, "template: :1:2: executing \"\" at <index (split \"a,b,c\" \",\") 5>: error calling index: index out of range: 5", 0 },
        { "{{index .Nope}}", NULL, "template: :1:2: executing \"\" at <index .Nope>: error calling index: index of untyped nil", 0 },
        { "{{slice \"abcdef\" 1 3}} {{slice .arr 1}} {{slice .arr}}", "bc [x <nil> true] [1 x <nil> true]", NULL, 0 },
        { "{{slice .arr 3 1}}", NULL, "template: :1:2: executing \"\" at <slice .arr 3 1>: error calling slice: invalid slice index: 3 > 1", 0 },
        { "{{print 1 2 \"a\" \"b\" 3}}|{{println \"a\" 1}}|{{print .Nope .n}}", "1 2ab3|a 1\n|<nil> <nil>", NULL, 0 },
        { "{{printf \"%v %d %5s|%-5s|%x %q %t %T\" 1.5 42 \"ab\" \"cd\" 255 \"q\" true 3}}",
          "1.5 42    ab|cd   |ff \"q\" true int", NULL, 0 },
        { "{{printf \"%06.2f|%+d|%x|%X|%o|%c|%U\" 3.14159 5 \"hi\" 255 8 65 65}}", "003.14|+5|6869|FF|10|A|U+0041", NULL, 0 },
        { "{{printf \"%d %s\" 1}}|{{printf \"%d\" 1 2}}|{{printf \"%s\" 1}}|{{printf \"%v|%s\" .n .Nope}}",
          "1 %!s(MISSING)|1%!(EXTRA int=2)|%!s(int=1)|<nil>|%!s(<nil>)", NULL, 0 },
        { "{{\"a\" | printf \"%s-%s\" \"b\"}} {{.s | len | printf \"%d\"}}", "b-a 1", NULL, 0 },
        { "{{html \"<a&\\\"b'>\"}} {{urlquery \"a b&c/d?\"}} {{html .Nope}}", "&lt;a&amp;&#34;b&#39;&gt; a+b%26c%2Fd%3F &lt;no value&gt;", NULL, 0 },
        { "{{js \"a'b\\\"c<>&=\\n\"}}", "a\\'b\\\"c\\u003C\\u003E\\u0026\\u003D\\u000A", NULL, 0 },
        /* Docker's functions */
        { "{{title \"hello world\"}} {{upper \"abc\"}} {{lower \"ABC\"}} {{pad \"x\" 2 3}}|{{truncate \"abcdef\" 3}} {{truncate \"ab\" 5}}",
          "Hello World ABC abc   x   |abc ab", NULL, 0 },
        { "{{split \"a,b\" \",\"}} {{split \"\" \",\"}} {{split \"abc\" \"\"}} {{join (split \"a b\" \" \") \", \"}}", "[a b] [] [a b c] a, b", NULL, 0 },
        { "{{json .arr}} {{json .Nope}} {{json \"a\\\"b\\\\c\\n\\t\\u0001\"}}", "[1,\"x\",null,true] null \"a\\\"b\\\\c\\n\\t\\u0001\"", NULL, 0 },
        { "{{upper .a}}", NULL, "template: :1:8: executing \"\" at <.a>: wrong type for value; expected string; got int", 0 },
        { "{{join .arr \",\"}}", NULL, "template: :1:7: executing \"\" at <.arr>: wrong type for value; expected []string; got []interface {}", 0 },
        { "{{truncate .s -1}}", NULL, "template: :1:2: executing \"\" at <truncate .s -1>: error calling truncate: runtime error: slice bounds out of range [:-1]", 0 },
        /* header functions keep the column title */
        { "{{upper .s}}|{{json .s}}|{{truncate .s 0}}|{{split .s \",\"}}", "y|y|y|y", NULL, GOTEMPLATE_HEADER },
        /* other execution errors */
        { "{{nil}}", NULL, "template: :1:2: executing \"\" at <nil>: nil is not a command", 0 },
        { "{{1 2}}", NULL, "template: :1:2: executing \"\" at <1>: can't give argument to non-function 1", 0 },
        { "{{$x := 1}}{{$x.y}}", NULL, "template: :1:15: executing \"\" at <$x.y>: can't evaluate field y in type interface {}", 0 },
        /* parse errors */
        { "{{.x}", NULL, "template: :1: bad character U+007D '}'", 0 },
        { "{{.a", NULL, "template: :1: unclosed action", 0 },
        { "{{foo}}", NULL, "template: :1: function \"foo\" not defined", 0 },
        { "{{if}}{{end}}", NULL, "template: :1: missing value for if", 0 },
        { "{{range}}", NULL, "template: :1: missing value for range", 0 },
        { "{{end}}", NULL, "template: :1: unexpected {{end}}", 0 },
        { "{{else}}", NULL, "template: :1: unexpected {{else}}", 0 },
        { "{{if .a}}x", NULL, "template: :1: unexpected EOF", 0 },
        { "{{if .a}}{{else}}{{else}}{{end}}", NULL, "template: :1: expected end; found {{else}}", 0 },
        { "{{.a.}}", NULL, "template: :1: unexpected <.> in operand", 0 },
        { "{{ } }}", NULL, "template: :1: unexpected \"}\" in command", 0 },
        { "{{)}}", NULL, "template: :1: unexpected \")\" in command", 0 },
        { "{{$x}}", NULL, "template: :1: undefined variable \"$x\"", 0 },
        { "{{range $i, $v := .arr}}{{end}}{{$i}}", NULL, "template: :1: undefined variable \"$i\"", 0 },
        { "{{range $a, $b, $c := .arr}}{{end}}", NULL, "template: :1: too many declarations in range", 0 },
        { "{{break}}", NULL, "template: :1: {{break}} outside {{range}}", 0 },
        { "{{\"bad \\q\"}}", NULL, "template: :1: invalid syntax", 0 },
        { "{{'ab'}}", NULL, "template: :1: malformed character constant: 'ab'", 0 },
        { "{{3-}}", NULL, "template: :1: bad number syntax: \"3-\"", 0 },
        { "{{/* unclosed}}", NULL, "template: :1: unclosed comment", 0 },
        { "{{.a | }}", "1", NULL, 0 },
        { "{{\"x\" | 1}}", NULL, "template: :1: non executable command in pipeline stage 2", 0 },
        { "a\n{{.a\n}}\n{{.b}", NULL, "template: :4: bad character U+007D '}'", 0 },
        { "{{template \"x\"}}", NULL, "template: :1: {{template}} is not supported", 0 },
};

static void test_cases(void **state)
{
        (void) state;
        _cleanup_json_ json_t *data = json_loads(data_text, 0, NULL);
        assert_non_null(data);
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                const Case *c = &cases[k];
                _cleanup_free_ char *out = NULL;
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                _cleanup_(gotemplate_freep) GoTemplate *t = NULL;
                int r = gotemplate_parse(c->tmpl, &t, &err);
                if (r >= 0)
                        r = gotemplate_execute(t, data, c->flags, &out, NULL, &err);
                if (c->out) {
                        if (r < 0)
                                print_error("%s: %s\n", c->tmpl, lade_error_message(err));
                        assert_int_equal(r, 0);
                        if (!streq(out, c->out))
                                print_error("%s: got '%s'\n", c->tmpl, out);
                        assert_string_equal(out, c->out);
                } else {
                        if (r >= 0)
                                print_error("%s: no error, got '%s'\n", c->tmpl, out);
                        assert_true(r < 0);
                        if (!streq(lade_error_message(err), c->err))
                                print_error("%s: error '%s'\n", c->tmpl, lade_error_message(err));
                        assert_string_equal(lade_error_message(err), c->err);
                }
        }
}

/* Hostile templates stay bounded: nesting, output size and steps are limited, not fatal. */
static void test_limits(void **state)
{
        (void) state;
        _cleanup_json_ json_t *data = json_loads(data_text, 0, NULL);
        _cleanup_free_ char *deep = xmalloc(4000 * 2 + 1);
        for (size_t k = 0; k < 4000; k++)
                deep[k] = '(';
        deep[4000] = '\0';
        _cleanup_free_ char *nested = xasprintf("{{%s1", deep);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(gotemplate_freep) GoTemplate *t = NULL;
        assert_true(gotemplate_parse(nested, &t, &err) < 0);
        err = lade_error_free(err);

        /* 4 nested ranges over 32 elements = 1M iterations: stopped by the step limit */
        const char *many = "{{$a := split \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" \"\"}}{{range $a}}{{range $a}}"
                           "{{range $a}}{{range $a}}{{range $a}}x{{end}}{{end}}{{end}}{{end}}{{end}}";
        _cleanup_free_ char *out = NULL;
        assert_int_equal(gotemplate_render(many, data, 0, &out, &err), -E2BIG);
        err = lade_error_free(err);
        assert_int_equal(gotemplate_render("{{pad \"x\" 999999999 0}}", data, 0, &out, &err), -E2BIG);
        err = lade_error_free(err);

        _cleanup_free_ char *big = xmalloc(GOTEMPLATE_TEXT_MAX + 2);
        memset(big, 'a', GOTEMPLATE_TEXT_MAX + 1);
        big[GOTEMPLATE_TEXT_MAX + 1] = '\0';
        assert_int_equal(gotemplate_render(big, data, 0, &out, &err), -E2BIG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cases),
                cmocka_unit_test(test_limits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
