/* `--help` for every lade command, as the docker 28 CLI prints it (cobra's template, pflag's
 * wrapped flag list), from one table: command paths and aliases, usage, description, options. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

enum {
        HELP_OPT_HIDDEN = 1 << 0,      /* accepted, not listed (docker hides it too) */
};

typedef struct HelpOpt {
        char shorthand;                /* 0: none */
        const char *name;              /* the long name, without "--" */
        const char *varname;           /* "string", "list", ...; NULL for a flag that takes no value */
        const char *usage;             /* Docker's words, its "(default ...)" included */
        unsigned flags;
} HelpOpt;

enum {
        HELP_NO_INTERSPERSE = 1 << 0,  /* flags end at the first argument (run, create, exec, top) */
};

typedef struct HelpCmd {
        const char *paths;             /* "container ls|container list|container ps|ps": docker's order */
        const char *use;               /* after the path on the usage line; lines split by '\n' */
        const char *desc;              /* the description under the usage line */
        const char *summary;           /* in a group's command list; NULL: desc */
        unsigned flags;
        const HelpOpt *opts;           /* ends with an entry whose name is NULL; NULL: none */
} HelpCmd;

/* The help table, for tests: *ret_n entries. */
const HelpCmd *cli_help_table(size_t *ret_n);

/* The entry for a command path ("ps", "network create", "container list"), or NULL. */
const HelpCmd *cli_help_find(const char *path);

/* Prints the help of a command path, wrapped to width columns as docker does (80 when stdin is
 * not a terminal). -ENOENT: no such command. */
int cli_help_print(FILE *f, const char *path, int width);

/* Prints a group's usage and command list ("image", "container", "network", ...). -ENOENT: not a
 * group. */
int cli_help_print_group(FILE *f, const char *group);

/* The terminal width docker wraps to: stdin's, else 80. */
int cli_help_width(void);

/* The help hook of main(): argv[0] is the word after lade's global options, and verb_words is
 * how many words name the command (1 or 2; 0 when argv names no lade command). Prints the help
 * and returns the exit status when argv asks for help (`VERB --help`, `VERB -h` where -h is not
 * a flag of VERB, `help VERB`, `GROUP`, `GROUP --help`) or names a group's unknown command
 * (status 1); returns -1 otherwise, after remembering the command for cli_help_flag_error(). */
int cli_help_hook(int argc, char **argv, int verb_words);

/* Prints docker's report of a bad flag of the current command (the one cli_help_hook last saw,
 * or lade itself): "unknown flag: --x", the usage line, where to find the help. */
void cli_help_flag_error(const char *msg);

/* A command's exit status as docker gives it: 125 when it failed on a bad flag (some commands
 * return 1 for getopt's '?'). */
int cli_help_exit_status(int status);
