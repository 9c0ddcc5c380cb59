/* `lade run` / `lade create` flags -> the Docker Engine API container-create body, built the way
 * the docker CLI builds it (same defaults, same validation and messages), so the engine sees the
 * same request from the CLI as from the API. */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "err.h"

typedef struct RunFlags {
        json_t *body;        /* {Image, Cmd, Entrypoint, Env, ..., HostConfig: {...}, NetworkingConfig: {...}} */
        char *name;          /* --name, or NULL */
        bool detach, rm, interactive, tty;
        char *pull;          /* "missing" (default), "always", "never" */
        char *platform;
        char *detach_keys;
        char **attach;       /* -a stdin/stdout/stderr */
        /* Additions (docker run/create flags that are not part of the body): */
        bool help;           /* --help: nothing else is set (body is NULL); print the usage */
        bool sig_proxy;      /* --sig-proxy (run only; default true) */
        bool quiet;          /* -q: suppress the pull output */
        bool use_api_socket; /* --use-api-socket (accepted, not applied to the body) */
} RunFlags;

/* Parses argv (argv[0] is the verb) up to and including IMAGE [COMMAND [ARG...]]. Errors are
 * Docker's (exit status 125 in the CLI): "invalid argument "x" for "-m, --memory" flag: ...". */
int run_flags_parse(int argc, char **argv, RunFlags *ret, LadeError **err);
void run_flags_done(RunFlags *f);

/* About the body (an addition to the contract above): it is the whole request docker 28's CLI
 * sends at API 1.50, nulls and empty lists included (Cmd and Entrypoint null when not given, a
 * "default" endpoint in NetworkingConfig, ConsoleSize [0,0] for the caller to fill in). After the
 * CLI's own checks, the daemon's checks on the same fields are made too (relative WorkingDir,
 * unknown RestartPolicy, hostname/DNS/ports with a container: network), so these fail here with
 * the daemon's words. With --help, 0 is returned with help set and body NULL. */

/* Prints err to stderr exactly as the docker CLI prints the same failure of `docker <verb>`
 * ("run" or "create"), and returns the exit status docker gives it: 125 for flag and parse
 * errors (flag errors with the usage line), 1 for the others. */
int run_flags_print_error(const char *verb, const LadeError *err);
