/* The shell lexer on arbitrary words with each option set: an error always has a message and
 * returns nothing; a success returns a string; words never contain white space unless quoted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shell-lex.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *env[] = { "A=1", "B=two words", "E=", "P=/usr/local/bin", "Q=*?\\", NULL };

static void one(const BuildShellOptions *o, const char *word)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL, *err2 = NULL;
        _cleanup_free_ char *out = NULL;
        _cleanup_strv_free_ char **words = NULL;
        int r = build_shell_expand(o, word, build_env_strv_lookup, env, &out, &err);

        if (r < 0 ? (!err || !err->msg || out) : (!out || err))
                abort();
        r = build_shell_expand_words(o, word, build_env_strv_lookup, env, &words, &err2);
        if (r < 0 ? (!err2 || !err2->msg || words) : (!words || err2))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *word = NULL;
        BuildShellOptions o = { .escape = '\\' };

        if (size > 64 * 1024)
                return 0;
        word = xstrndup((const char *) data, size);
        one(&o, word);
        o = (BuildShellOptions) { .escape = '`', .raw_quotes = true, .raw_escapes = true };
        one(&o, word);
        o = (BuildShellOptions) { .escape = '\\', .skip_unset = true, .skip_process_quotes = true };
        one(&o, word);
        return 0;
}
