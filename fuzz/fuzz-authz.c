/* The authorization policy parser and the create-body evaluators (container, exec, volume) on
 * arbitrary bytes. The input
 * is "POLICY\n--\nBODY" (no separator: both are the whole input). The parser fails with -EINVAL
 * and a message or gives rules within the limits; the evaluator answers 0, -EACCES or -EINVAL
 * (the last two with a message) for the parsed rules and for a rule that denies everything. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api-authz.h"
#include "json-util.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void evaluate(const AuthzRule *r, json_t *body)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL, *e2 = NULL;
        int ret = authz_check_create(r, body, &err);
        if (ret != 0 && ret != -EACCES && ret != -EINVAL)
                abort();
        if (ret < 0 && (!err || !err->msg))
                abort();
        ret = authz_check_exec(r, body, &e2);
        if (ret != 0 && ret != -EACCES && ret != -EINVAL)
                abort();
        _cleanup_(lade_error_freep) LadeError *e3 = NULL;
        ret = authz_check_volume_create(r, body, &e3);
        if (ret != 0 && ret != -EACCES && ret != -EINVAL)
                abort();
        if (ret < 0 && (!e3 || !e3->msg))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 64 * 1024)
                return 0;
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        char *sep = strstr(text, "\n--\n");
        const char *policy = text, *body_text = sep ? sep + 4 : text;
        if (sep)
                *sep = '\0';
        _cleanup_(authz_policy_freep) AuthzPolicy *p = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        int r = authz_policy_parse(policy, strlen(policy), &p, &err);
        if (r < 0 && (r != -EINVAL || !err || !err->msg || p))
                abort();
        if (r == 0 && (!p || p->n_rules > AUTHZ_RULES_MAX))
                abort();
        _cleanup_json_ json_t *body = NULL;
        if (json_parse_text(body_text, strlen(body_text), "body", &body, NULL) < 0)
                return 0;
        for (size_t i = 0; p && i < p->n_rules; i++)
                evaluate(&p->rules[i], body);
        static char *paths[] = { (char *) "/srv", NULL };
        AuthzRule strict = { .everyone = true, .access = AUTHZ_ACCESS_FULL, .deny = ~0u, .bind_paths = paths };
        evaluate(&strict, body);
        evaluate(NULL, body);
        return 0;
}
