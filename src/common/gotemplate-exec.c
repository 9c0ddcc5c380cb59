/* Executes a parsed Go template (text/template's exec.go) over jansson values. Values are owned
 * references; NULL stands for Go's invalid reflect.Value (a missing map key), json null for a
 * nil interface. Errors carry Go's wording and position ("template: :1:2: executing \"\" at
 * <.Nope>: ..."). Output, steps and nesting are bounded (gotemplate.h). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "gotemplate-internal.h"
#include "json-util.h"
#include "util.h"

typedef struct Var {
        const char *name;
        json_t *v;
} Var;

typedef enum Ctl { CTL_NONE, CTL_BREAK, CTL_CONTINUE } Ctl;

typedef struct Exec {
        const GoTemplate *t;
        json_t *root;
        unsigned flags;
        GtBuf out;
        Var *vars;
        size_t n_vars, cap_vars;
        size_t steps;
        unsigned depth;
        Ctl ctl;
        LadeError **err;
        int r;
} Exec;

/* Room for n more bytes (and the NUL), or NULL once the output limit is passed. */
static char *gt_buf_grow(GtBuf *b, size_t n)
{
        if (b->overflow || n > b->max - b->len) {
                b->overflow = true;
                return NULL;
        }
        if (b->len + n + 1 > b->cap) {
                b->cap = (b->len + n + 1) * 2;
                b->data = xrealloc(b->data, b->cap);
        }
        char *at = b->data + b->len;
        b->len += n;
        b->data[b->len] = '\0';
        return at;
}

void gt_buf_put(GtBuf *b, const char *s, size_t n)
{
        char *at = gt_buf_grow(b, n);
        if (at)
                memcpy(at, s, n);
}

void gt_buf_fill(GtBuf *b, char c, size_t n)
{
        char *at = gt_buf_grow(b, n);
        if (at)
                memset(at, c, n);
}

void gt_buf_puts(GtBuf *b, const char *s)
{
        gt_buf_put(b, s, strlen(s));
}

void gt_buf_printf(GtBuf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = xvasprintf(fmt, ap);
        va_end(ap);
        gt_buf_puts(b, s);
}

static void exec_error(Exec *e, const GtNode *at, const char *fmt, ...) _printf_(3, 4);
static void exec_error(Exec *e, const GtNode *at, const char *fmt, ...)
{
        if (e->r < 0)
                return;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *m = xvasprintf(fmt, ap);
        va_end(ap);
        if (!at) {
                e->r = lade_error_msg(e->err, EINVAL, "template: : %s", m);
                return;
        }
        size_t line = 1, col = at->pos;
        for (size_t k = 0; k < at->pos && e->t->text[k]; k++)
                if (e->t->text[k] == '\n') {
                        line++;
                        col = at->pos - k - 1;
                }
        _cleanup_free_ char *ctx = gt_node_string(at);
        e->r = lade_error_msg(e->err, EINVAL, "template: :%zu:%zu: executing \"\" at <%s>: %s", line, col,
                              ctx, m);
}

static bool step(Exec *e, const GtNode *at)
{
        if (e->r < 0)
                return false;
        if (++e->steps > GOTEMPLATE_STEPS_MAX) {
                exec_error(e, at, "too many steps (more than %u)", GOTEMPLATE_STEPS_MAX);
                e->r = -E2BIG;
                return false;
        }
        if (e->out.overflow) {
                exec_error(e, at, "output longer than %u bytes", GOTEMPLATE_OUTPUT_MAX);
                e->r = -E2BIG;
                return false;
        }
        return true;
}

/* ---- variables ---- */

static void var_push(Exec *e, const char *name, json_t *v)
{
        if (e->n_vars == e->cap_vars) {
                e->cap_vars = e->cap_vars ? e->cap_vars * 2 : 16;
                e->vars = xreallocarray(e->vars, e->cap_vars, sizeof(Var));
        }
        e->vars[e->n_vars++] = (Var) { .name = name, .v = v ? json_incref(v) : NULL };
}

static void var_pop(Exec *e, size_t mark)
{
        while (e->n_vars > mark)
                json_decref(e->vars[--e->n_vars].v);
}

static Var *var_find(Exec *e, const char *name)
{
        for (size_t k = e->n_vars; k > 0; k--)
                if (streq(e->vars[k - 1].name, name))
                        return &e->vars[k - 1];
        return NULL;
}

/* ---- evaluation ---- */

static json_t *eval_pipeline(Exec *e, json_t *dot, const GtNode *pipe);
static json_t *eval_command(Exec *e, json_t *dot, const GtNode *cmd, json_t *final, bool has_final);

static bool has_args(const GtNode *const *args, size_t n_args, bool has_final)
{
        (void) args;
        return n_args > 1 || has_final;
}

/* One field of receiver (a map key). */
static json_t *eval_field(Exec *e, const GtNode *node, const char *name, bool args, json_t *recv)
{
        if (!recv) {
                if (e->flags & GOTEMPLATE_MISSINGKEY_ERROR)
                        exec_error(e, node, "nil data; no entry for key \"%s\"", name);
                return NULL;
        }
        const char *type = recv == e->root ? gt_type_name(recv) : "interface {}";
        if (json_is_null(recv)) {
                exec_error(e, node, "nil pointer evaluating %s.%s", type, name);
                return NULL;
        }
        if (!json_is_object(recv)) {
                exec_error(e, node, "can't evaluate field %s in type %s", name, type);
                return NULL;
        }
        if (args) {
                exec_error(e, node, "%s is not a method but has arguments", name);
                return NULL;
        }
        json_t *v = json_object_get(recv, name);
        if (!v && (e->flags & GOTEMPLATE_MISSINGKEY_ERROR))
                exec_error(e, node, "map has no entry for key \"%s\"", name);
        return v ? json_incref(v) : NULL;
}

/* recv (borrowed) .f1.f2... */
static json_t *eval_field_chain(Exec *e, const GtNode *node, json_t *recv, char **fields, size_t n,
                                bool args)
{
        json_t *cur = recv ? json_incref(recv) : NULL;
        for (size_t k = 0; k < n && e->r >= 0; k++) {
                json_t *next = eval_field(e, node, fields[k], args && k == n - 1, cur);
                json_decref(cur);
                cur = next;
        }
        if (e->r < 0) {
                json_decref(cur);
                return NULL;
        }
        return cur;
}

static json_t *ideal_constant(Exec *e, const GtNode *n)
{
        if (n->is_float && n->float_syntax)
                return json_real(n->f);
        if (n->is_int)
                return json_integer(n->i);
        exec_error(e, n, "%s overflows int", n->quoted);
        return NULL;
}

static json_t *eval_variable(Exec *e, const GtNode *n, bool args)
{
        Var *v = var_find(e, n->text);
        if (!v) {
                exec_error(e, n, "undefined variable: %s", n->text);
                return NULL;
        }
        if (n->n_fields == 0) {
                if (args)
                        exec_error(e, n, "can't give argument to non-function %s", n->text);
                return v->v ? json_incref(v->v) : NULL;
        }
        return eval_field_chain(e, n, v->v, n->fields, n->n_fields, args);
}

static json_t *eval_call(Exec *e, json_t *dot, const GtNode *cmd, const GtNode *ident,
                         const GtNode *const *args, size_t n_args, json_t *final, bool has_final);

/* An argument node as Go's evalArg: `type` is a parameter letter (see GtFunc). */
static json_t *eval_arg(Exec *e, json_t *dot, char type, const GtNode *n)
{
        json_t *v = NULL;
        switch (n->type) {
        case GT_DOT:
                v = dot ? json_incref(dot) : NULL;
                break;
        case GT_NIL:
                if (type != 'v')
                        exec_error(e, n, "cannot assign nil to %s", type == 's' ? "string"
                                                                     : type == 'i' ? "int" : "[]string");
                return json_null();
        case GT_FIELD:
                v = eval_field_chain(e, n, dot, n->fields, n->n_fields, false);
                break;
        case GT_VARIABLE:
                v = eval_variable(e, n, false);
                break;
        case GT_PIPE:
                v = eval_pipeline(e, dot, n);
                break;
        case GT_IDENT:
                v = eval_call(e, dot, n, n, &n, 1, NULL, false);
                break;
        case GT_CHAIN: {
                if (n->sub->type == GT_NIL) {
                        exec_error(e, n, "indirection through explicit nil in %s", "");
                        return NULL;
                }
                _cleanup_json_ json_t *head = eval_arg(e, dot, 'v', n->sub);
                if (e->r < 0)
                        return NULL;
                v = eval_field_chain(e, n, head, n->fields, n->n_fields, false);
                break;
        }
        case GT_BOOL:
                if (type == 'v')
                        return json_boolean(n->boolean);
                break;
        case GT_NUMBER:
                if (type == 'v')
                        return ideal_constant(e, n);
                if (type == 'i' && n->is_int)
                        return json_integer(n->i);
                break;
        case GT_STRING:
                if (type == 'v' || type == 's')
                        return json_stringn_nocheck(n->text, n->text_len);
                break;
        default:
                break;
        }
        if (e->r < 0) {
                json_decref(v);
                return NULL;
        }
        if (n->type == GT_BOOL || n->type == GT_NUMBER || n->type == GT_STRING) {
                _cleanup_free_ char *s = gt_node_string(n);
                exec_error(e, n, "expected %s; found %s", type == 's' ? "string" : type == 'i' ? "integer"
                                                          : type == 'a' ? "[]string" : "bool", s);
                return NULL;
        }
        /* validateType */
        const char *want = type == 's' ? "string" : type == 'i' ? "int" : "[]string";
        if (type == 'v')
                return v;
        if (!v || json_is_null(v)) {
                exec_error(e, n, "invalid value; expected %s", want);
                json_decref(v);
                return NULL;
        }
        bool ok = type == 's' ? json_is_string(v) : type == 'i' ? json_is_integer(v) : json_is_array(v);
        if (ok && type == 'a') {
                size_t k;
                json_t *x;
                json_array_foreach(v, k, x) ok = ok && json_is_string(x);
        }
        if (!ok) {
                exec_error(e, n, "wrong type for value; expected %s; got %s", want, gt_type_name(v));
                json_decref(v);
                return NULL;
        }
        return v;
}

static json_t *validate_final(Exec *e, const GtNode *at, char type, json_t *final)
{
        if (type == 'v')
                return final ? json_incref(final) : NULL;
        const char *want = type == 's' ? "string" : type == 'i' ? "int" : "[]string";
        bool ok = final && (type == 's' ? json_is_string(final) : type == 'i' ? json_is_integer(final)
                                                                             : json_is_array(final));
        if (!final || json_is_null(final))
                exec_error(e, at, "invalid value; expected %s", want);
        else if (!ok)
                exec_error(e, at, "wrong type for value; expected %s; got %s", want, gt_type_name(final));
        return ok ? json_incref(final) : NULL;
}

static json_t *eval_and_or(Exec *e, json_t *dot, const GtNode *ident, const GtNode *const *args,
                           size_t n_args, json_t *final, bool has_final)
{
        bool is_or = streq(ident->text, "or");
        json_t *v = NULL;
        for (size_t k = 0; k < n_args && e->r >= 0; k++) {
                json_decref(v);
                v = eval_arg(e, dot, 'v', args[k]);
                if (gt_truth(v) == is_or)
                        return v;
        }
        if (has_final) {
                json_decref(v);
                v = final ? json_incref(final) : NULL;
        }
        return v;
}

/* A function call: args[0] is the function's own node; final is the previous pipeline stage's
 * value, passed last. */
static json_t *eval_call(Exec *e, json_t *dot, const GtNode *cmd, const GtNode *ident,
                         const GtNode *const *args, size_t n_args, json_t *final, bool has_final)
{
        const GtFunc *f = gt_func_lookup(ident->text, e->flags & GOTEMPLATE_HEADER);
        if (!f) {
                exec_error(e, ident, "\"%s\" is not a defined function", ident->text);
                return NULL;
        }
        args++;
        n_args--;
        size_t fixed = strlen(f->params), num_in = n_args + has_final;
        if (f->rest && num_in < fixed) {
                exec_error(e, ident, "wrong number of args for %s: want at least %zu got %zu", f->name,
                           fixed, n_args);
                return NULL;
        }
        if (!f->rest && num_in != fixed) {
                exec_error(e, ident, "wrong number of args for %s: want %zu got %zu", f->name, fixed,
                           num_in);
                return NULL;
        }
        if (streq(f->name, "and") || streq(f->name, "or"))
                return eval_and_or(e, dot, ident, args, n_args, final, has_final);
        json_t **argv = xmalloc0((num_in + 1) * sizeof(json_t *));
        for (size_t k = 0; k < n_args && e->r >= 0; k++)
                argv[k] = eval_arg(e, dot, k < fixed ? f->params[k] : f->rest, args[k]);
        if (has_final && e->r >= 0)
                argv[n_args] = validate_final(e, cmd, n_args < fixed ? f->params[n_args] : f->rest, final);
        json_t *ret = NULL;
        if (e->r >= 0) {
                _cleanup_free_ char *msg = NULL;
                int r = f->call(argv, num_in, &ret, &msg);
                /* what functions produce counts against the step budget too (64 bytes a step),
                 * so a loop of huge printf/pad results that are never printed stays bounded */
                if (r >= 0 && json_is_string(ret))
                        e->steps += json_string_length(ret) / 64;
                if (r < 0) {
                        exec_error(e, cmd, "error calling %s: %s", f->name, msg ? msg : "failed");
                        if (r == -E2BIG)
                                e->r = -E2BIG;
                }
        }
        for (size_t k = 0; k < num_in; k++)
                json_decref(argv[k]);
        free(argv);
        return ret;
}

static json_t *eval_command(Exec *e, json_t *dot, const GtNode *cmd, json_t *final, bool has_final)
{
        const GtNode *w = cmd->kids[0];
        const GtNode *const *args = (const GtNode *const *) cmd->kids;
        bool args_given = has_args(args, cmd->n_kids, has_final);
        switch (w->type) {
        case GT_FIELD:
                return eval_field_chain(e, w, dot, w->fields, w->n_fields, args_given);
        case GT_CHAIN: {
                if (w->sub->type == GT_NIL) {
                        exec_error(e, w, "indirection through explicit nil in %s", "");
                        return NULL;
                }
                _cleanup_json_ json_t *head = eval_arg(e, dot, 'v', w->sub);
                if (e->r < 0)
                        return NULL;
                return eval_field_chain(e, w, head, w->fields, w->n_fields, args_given);
        }
        case GT_IDENT:
                return eval_call(e, dot, cmd, w, args, cmd->n_kids, final, has_final);
        case GT_VARIABLE:
                return eval_variable(e, w, args_given);
        default:
                break;
        }
        if (args_given) {
                _cleanup_free_ char *s = gt_node_string(w);
                exec_error(e, w, "can't give argument to non-function %s", s);
                return NULL;
        }
        switch (w->type) {
        case GT_PIPE:
                return eval_pipeline(e, dot, w);
        case GT_BOOL:
                return json_boolean(w->boolean);
        case GT_DOT:
                return dot ? json_incref(dot) : NULL;
        case GT_NIL:
                exec_error(e, w, "nil is not a command");
                return NULL;
        case GT_NUMBER:
                return ideal_constant(e, w);
        case GT_STRING:
                return json_stringn_nocheck(w->text, w->text_len);
        default:
                exec_error(e, w, "can't evaluate command");
                return NULL;
        }
}

static json_t *eval_pipeline(Exec *e, json_t *dot, const GtNode *pipe)
{
        if (++e->depth > GOTEMPLATE_DEPTH_MAX) {
                exec_error(e, pipe, "exceeded maximum template depth (%u)", GOTEMPLATE_DEPTH_MAX);
                e->depth--;
                return NULL;
        }
        json_t *v = NULL;
        for (size_t k = 0; k < pipe->n_kids && e->r >= 0; k++) {
                json_t *next = eval_command(e, dot, pipe->kids[k], v, k > 0);
                json_decref(v);
                /* an interface{} holding nil becomes an invalid value ("lovely!" in exec.go) */
                if (next && json_is_null(next)) {
                        json_decref(next);
                        next = NULL;
                }
                v = next;
        }
        e->depth--;
        if (e->r < 0) {
                json_decref(v);
                return NULL;
        }
        for (size_t k = 0; k < pipe->n_decl; k++) {
                Var *var = pipe->is_assign ? var_find(e, pipe->decl[k]) : NULL;
                if (var) {
                        json_decref(var->v);
                        var->v = v ? json_incref(v) : NULL;
                } else
                        var_push(e, pipe->decl[k], v);
        }
        return v;
}

/* ---- control structures ---- */

static void walk(Exec *e, json_t *dot, const GtNode *n);

static void walk_if_or_with(Exec *e, json_t *dot, const GtNode *n)
{
        size_t mark = e->n_vars;
        _cleanup_json_ json_t *v = eval_pipeline(e, dot, n->sub);
        if (e->r < 0)
                goto out;
        if (gt_truth(v))
                walk(e, n->type == GT_WITH ? v : dot, n->list);
        else if (n->else_list)
                walk(e, dot, n->else_list);
out:
        var_pop(e, mark);
}

/* One iteration of range: returns false to stop. */
static bool range_one(Exec *e, const GtNode *n, json_t *key, json_t *elem)
{
        size_t mark = e->n_vars;
        if (n->sub->n_decl > 0) {
                /* with one variable it gets the element; with two, the index/key and the element */
                Var *v0 = n->sub->is_assign ? var_find(e, n->sub->decl[0]) : &e->vars[mark - n->sub->n_decl];
                json_decref(v0->v);
                v0->v = json_incref(n->sub->n_decl == 1 ? elem : key);
                if (n->sub->n_decl > 1) {
                        Var *v1 = n->sub->is_assign ? var_find(e, n->sub->decl[1]) : &e->vars[mark - 1];
                        json_decref(v1->v);
                        v1->v = json_incref(elem);
                }
        }
        walk(e, elem, n->list);
        var_pop(e, mark);
        if (!step(e, n))
                return false;
        if (e->ctl == CTL_BREAK) {
                e->ctl = CTL_NONE;
                return false;
        }
        e->ctl = CTL_NONE;
        return true;
}

static void walk_range(Exec *e, json_t *dot, const GtNode *n)
{
        size_t mark = e->n_vars;
        _cleanup_json_ json_t *v = eval_pipeline(e, dot, n->sub);
        if (e->r < 0)
                goto out;
        size_t len = 0;
        if (json_is_array(v)) {
                len = json_array_size(v);
                for (size_t k = 0; k < json_array_size(v); k++) {
                        _cleanup_json_ json_t *key = json_integer((json_int_t) k);
                        if (!range_one(e, n, key, json_array_get(v, k)))
                                break;
                }
        } else if (json_is_object(v)) {
                len = json_object_size(v);
                /* maps range in sorted key order */
                const char **keys = xmalloc0((len + 1) * sizeof(char *));
                size_t k = 0;
                const char *key;
                json_t *elem;
                json_object_foreach(v, key, elem) keys[k++] = key;
                qsort(keys, len, sizeof(char *), gt_cmp_strp);
                for (k = 0; k < len; k++) {
                        _cleanup_json_ json_t *kv = json_string(keys[k]);
                        if (!range_one(e, n, kv, json_object_get(v, keys[k])))
                                break;
                }
                free(keys);
        } else if (v && !json_is_null(v)) {
                _cleanup_free_ char *s = NULL;
                GtBuf b = { .max = 4096 };
                gt_print_value(&b, v, false);
                s = b.data;
                exec_error(e, n->sub, "range can't iterate over %s", s ? s : "");
                goto out;
        }
        if (len == 0 && n->else_list && e->r >= 0)
                walk(e, dot, n->else_list);
out:
        var_pop(e, mark);
}

static void walk(Exec *e, json_t *dot, const GtNode *n)
{
        if (!step(e, n) || e->ctl != CTL_NONE)
                return;
        switch (n->type) {
        case GT_TEXT:
                gt_buf_put(&e->out, n->text, n->text_len);
                return;
        case GT_ACTION: {
                _cleanup_json_ json_t *v = eval_pipeline(e, dot, n->sub);
                if (e->r >= 0 && n->sub->n_decl == 0)
                        gt_print_value(&e->out, v, true);
                return;
        }
        case GT_LIST:
                if (++e->depth > GOTEMPLATE_DEPTH_MAX) {
                        exec_error(e, n, "exceeded maximum template depth (%u)", GOTEMPLATE_DEPTH_MAX);
                        return;
                }
                for (size_t k = 0; k < n->n_kids && e->r >= 0 && e->ctl == CTL_NONE; k++)
                        walk(e, dot, n->kids[k]);
                e->depth--;
                return;
        case GT_IF:
        case GT_WITH:
                walk_if_or_with(e, dot, n);
                return;
        case GT_RANGE:
                walk_range(e, dot, n);
                return;
        case GT_BREAK:
                e->ctl = CTL_BREAK;
                return;
        case GT_CONTINUE:
                e->ctl = CTL_CONTINUE;
                return;
        default:
                exec_error(e, n, "unknown node");
                return;
        }
}

int gotemplate_execute(const GoTemplate *t, json_t *data, unsigned flags, char **ret, size_t *ret_len,
                       LadeError **err)
{
        Exec e = { .t = t, .root = data, .flags = flags, .err = err, .out = { .max = GOTEMPLATE_OUTPUT_MAX } };
        var_push(&e, "$", data);
        walk(&e, data, t->root);
        if (e.r >= 0 && e.out.overflow)
                e.r = lade_error_msg(err, E2BIG, "template: output longer than %u bytes",
                                     GOTEMPLATE_OUTPUT_MAX);
        var_pop(&e, 0);
        free(e.vars);
        if (e.r < 0) {
                free(e.out.data);
                return e.r;
        }
        if (ret_len)
                *ret_len = e.out.len;
        *ret = e.out.data ? e.out.data : xstrdup("");
        return 0;
}

int gotemplate_render(const char *text, json_t *data, unsigned flags, char **ret, LadeError **err)
{
        _cleanup_(gotemplate_freep) GoTemplate *t = NULL;
        int r = gotemplate_parse(text, &t, err);
        if (r < 0)
                return r;
        return gotemplate_execute(t, data, flags, ret, NULL, err);
}
