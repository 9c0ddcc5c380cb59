/* Small helpers shared by the Dockerfile front end: a growable string, UTF-8 decoding with Go's
 * rules, Go's unicode.IsSpace, and buildkit's "did you mean" suggestions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"

typedef struct BuildBuf {
        char *data;     /* always NUL-terminated once anything was added */
        size_t len, cap;
} BuildBuf;

void build_buf_putc(BuildBuf *b, char c);
void build_buf_put(BuildBuf *b, const char *s, size_t n);
void build_buf_puts(BuildBuf *b, const char *s);
/* Appends the UTF-8 encoding of a rune (runes above 0x10FFFF or surrogates as U+FFFD). A rune
 * from build_utf8_decode() of an invalid byte is written back as that byte. */
void build_buf_put_rune(BuildBuf *b, uint32_t r);
void build_buf_reset(BuildBuf *b);
/* Returns the string (never NULL: "" for an empty buffer) and leaves the buffer empty. */
char *build_buf_steal(BuildBuf *b);
void build_buf_done(BuildBuf *b);

/* Invalid bytes decode as BUILD_RUNE_RAW_BYTE | byte, one byte long, so they survive a round
 * trip (Go would turn them into U+FFFD). */
#define BUILD_RUNE_RAW_BYTE 0x80000000u
/* Decodes one rune of s[0..len); len > 0. Returns the number of bytes used (1..4). */
size_t build_utf8_decode(const char *s, size_t len, uint32_t *ret);

/* Go's unicode.IsSpace. */
bool build_rune_is_space(uint32_t r);
/* ASCII-only letter/digit tests (see docs/build.md: names are ASCII). */
static inline bool build_is_digit(uint32_t r)
{
        return r >= '0' && r <= '9';
}
static inline bool build_is_name_char(uint32_t r)
{
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || build_is_digit(r) || r == '_';
}

char *build_ascii_lower(const char *s);
char *build_ascii_upper(const char *s);
bool build_strcaseeq(const char *a, const char *b);

/* buildkit's suggest.Search: the closest option with a Levenshtein distance below 3, or NULL
 * when there is none or val matches exactly. Returns a pointer into options. */
const char *build_suggest(const char *val, const char *const *options, size_t n, bool case_sensitive);

/* Go's strconv.Quote (as %q prints a string): printable runes kept, the rest escaped. */
char *build_go_quote(const char *s);
