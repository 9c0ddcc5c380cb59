/* lade-runtime: runc's command line over the runtime library. One file per group of verbs. */
#pragma once

#include "runtime.h"

typedef struct CliGlobal {
        RuntimeContext rt;
        bool json_log;
} CliGlobal;

typedef int (*CliVerb)(CliGlobal *g, int argc, char **argv);

int verb_create(CliGlobal *g, int argc, char **argv);
int verb_run(CliGlobal *g, int argc, char **argv);
int verb_start(CliGlobal *g, int argc, char **argv);
int verb_state(CliGlobal *g, int argc, char **argv);
int verb_list(CliGlobal *g, int argc, char **argv);
int verb_kill(CliGlobal *g, int argc, char **argv);
int verb_delete(CliGlobal *g, int argc, char **argv);
int verb_exec(CliGlobal *g, int argc, char **argv);
int verb_ps(CliGlobal *g, int argc, char **argv);
int verb_pause(CliGlobal *g, int argc, char **argv);
int verb_resume(CliGlobal *g, int argc, char **argv);
int verb_update(CliGlobal *g, int argc, char **argv);
int verb_spec(CliGlobal *g, int argc, char **argv);
int verb_features(CliGlobal *g, int argc, char **argv);

/* Prints err once (to the log sink, and to stderr when logging to a file) and returns 1. */
int cli_fail(LadeError *err);
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exactly `n` positional arguments left after options, else a usage error. */
int cli_need_args(int argc, char **argv, int n, const char *usage);
void cli_print_json(json_t *j);
