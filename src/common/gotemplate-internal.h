/* The parse tree of a Go template (text/template/parse's nodes) and what the executor, the
 * functions and the printer share. Not for use outside src/common/gotemplate*.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "gotemplate.h"

typedef enum GtNodeType {
        GT_TEXT,
        GT_ACTION,
        GT_IF,
        GT_RANGE,
        GT_WITH,
        GT_BREAK,
        GT_CONTINUE,
        GT_LIST,
        GT_PIPE,
        GT_COMMAND,
        GT_FIELD,    /* .A.B: fields */
        GT_VARIABLE, /* $x.A: text = "$x", fields = A */
        GT_CHAIN,    /* (pipe).A or term.A: sub = head, fields */
        GT_IDENT,    /* function name in text */
        GT_DOT,
        GT_NIL,
        GT_BOOL,
        GT_NUMBER,
        GT_STRING,
} GtNodeType;

typedef struct GtNode GtNode;
struct GtNode {
        GtNodeType type;
        size_t pos;       /* byte offset in the template, for "template: :LINE:COL" */
        char *text;       /* TEXT bytes, STRING value, NUMBER/STRING literal in `quoted` */
        size_t text_len;
        char *quoted;     /* STRING: as written; NUMBER: the literal */
        char **fields;    /* FIELD, VARIABLE, CHAIN: names after the head */
        size_t n_fields;
        GtNode **kids;    /* LIST: items; PIPE: commands; COMMAND: arguments */
        size_t n_kids;
        GtNode *sub;      /* ACTION/IF/RANGE/WITH: the pipeline; CHAIN: the head */
        GtNode *list;     /* IF/RANGE/WITH */
        GtNode *else_list;
        char **decl;      /* PIPE: declared or assigned variables ("$x") */
        size_t n_decl;
        bool is_assign;   /* PIPE: `$x = ...` rather than `$x := ...` */
        bool boolean;     /* BOOL */
        bool is_int, is_float, float_syntax; /* NUMBER: which readings parse; float_syntax: has .eEpP */
        int64_t i;
        double f;
};

struct GoTemplate {
        char *text;
        GtNode *root;
};

void gt_node_free(GtNode *n);
/* Go's Node.String(): the node written back as template source ("eq 1 \"a\"", ".A.B"). */
char *gt_node_string(const GtNode *n);

/* Output buffer with the execution's size limit. */
typedef struct GtBuf {
        char *data;
        size_t len, cap;
        size_t max;
        bool overflow;
} GtBuf;
void gt_buf_put(GtBuf *b, const char *s, size_t n);
void gt_buf_puts(GtBuf *b, const char *s);
/* n copies of c */
void gt_buf_fill(GtBuf *b, char c, size_t n);
void gt_buf_printf(GtBuf *b, const char *fmt, ...) _printf_(2, 3);

/* fmt's %v of a value as encoding/json decodes it (NULL is an invalid value: "<no value>" at the
 * top of an action, "<nil>" inside). */
void gt_print_value(GtBuf *b, json_t *v, bool top);
/* Go's %v of a float64 (strconv 'g', shortest, exponent when < -4 or >= 21 digits... as fmt). */
void gt_format_float(GtBuf *b, double f, char verb, int prec);
/* Go's type name of a value for %T and error messages ("string", "int", "[]interface {}"). */
const char *gt_type_name(const json_t *v);
bool gt_truth(const json_t *v);

/* A builtin function: args are owned by the caller (NULL entries are invalid values); *ret is a
 * new reference (or NULL for an invalid value). Returns 0 or -EINVAL with *errmsg set (Go's text
 * after "error calling NAME: "). */
typedef struct GtFunc {
        const char *name;
        /* One letter a parameter, as Go checks the argument's type: 's' string, 'i' int, 'a'
         * []string, 'v' any (an invalid value is passed as NULL). */
        const char *params;
        char rest; /* variadic: the type of zero or more further arguments; 0 when not */
        int (*call)(json_t **args, size_t n, json_t **ret, char **errmsg);
} GtFunc;
/* The function `name` (Docker's header variant when `header`), or NULL. */
const GtFunc *gt_func_lookup(const char *name, bool header);
/* Go's encoding/json of a value, as Docker's `json` function (no HTML escaping). */
void gt_json_encode(GtBuf *b, const json_t *v);
/* qsort comparator of char pointers */
int gt_cmp_strp(const void *a, const void *b);
/* fmt.Sprintf with Go's verbs over JSON values. */
void gt_sprintf(GtBuf *b, const char *format, size_t format_len, json_t **args, size_t n);
