/* lade: Docker's command line over the engine library. One file per group of verbs. */
#pragma once

#include "engine.h"

typedef struct Cli {
        EngineOptions opts;
        Engine *engine;     /* opened on first use */
        char **insecure;
} Cli;

typedef int (*CliFn)(Cli *c, int argc, char **argv);

Engine *cli_engine(Cli *c);
int cli_fail(LadeError *err);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_images(Cli *c, int argc, char **argv);
int cmd_image_inspect(Cli *c, int argc, char **argv);
int cmd_history(Cli *c, int argc, char **argv);
int cmd_tag(Cli *c, int argc, char **argv);
int cmd_rmi(Cli *c, int argc, char **argv);
int cmd_image_prune(Cli *c, int argc, char **argv);
int cmd_pull(Cli *c, int argc, char **argv);
int cmd_push(Cli *c, int argc, char **argv);
int cmd_login(Cli *c, int argc, char **argv);
int cmd_logout(Cli *c, int argc, char **argv);
int cmd_save(Cli *c, int argc, char **argv);
int cmd_load(Cli *c, int argc, char **argv);
int cmd_import(Cli *c, int argc, char **argv);
int cmd_system_df(Cli *c, int argc, char **argv);
int cmd_run(Cli *c, int argc, char **argv);
int cmd_ps(Cli *c, int argc, char **argv);
int cmd_rm(Cli *c, int argc, char **argv);
int cmd_create(Cli *c, int argc, char **argv);
int cmd_start(Cli *c, int argc, char **argv);
int cmd_attach(Cli *c, int argc, char **argv);
int cmd_stop(Cli *c, int argc, char **argv);
int cmd_restart(Cli *c, int argc, char **argv);
int cmd_kill(Cli *c, int argc, char **argv);
int cmd_wait(Cli *c, int argc, char **argv);
int cmd_pause(Cli *c, int argc, char **argv);
int cmd_unpause(Cli *c, int argc, char **argv);
int cmd_rename(Cli *c, int argc, char **argv);
int cmd_logs(Cli *c, int argc, char **argv);
int cmd_exec(Cli *c, int argc, char **argv);
int cmd_inspect(Cli *c, int argc, char **argv);
int cmd_top(Cli *c, int argc, char **argv);
int cmd_port(Cli *c, int argc, char **argv);
int cmd_container_prune(Cli *c, int argc, char **argv);
int cmd_network_create(Cli *c, int argc, char **argv);
int cmd_network_ls(Cli *c, int argc, char **argv);
int cmd_network_inspect(Cli *c, int argc, char **argv);
int cmd_network_rm(Cli *c, int argc, char **argv);
int cmd_network_prune(Cli *c, int argc, char **argv);
int cmd_build(Cli *c, int argc, char **argv);
int cmd_builder_prune(Cli *c, int argc, char **argv);
