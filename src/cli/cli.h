/* lade: Docker's command line over the engine library. One file per group of verbs. */
#pragma once

#include "engine.h"

typedef struct Cli {
        EngineOptions opts;
        Engine *engine;     /* opened on first use */
        char **insecure;
        char **argv;        /* main()'s, for a sealed re-exec decided by a verb */
} Cli;

typedef int (*CliFn)(Cli *c, int argc, char **argv);

Engine *cli_engine(Cli *c);
int cli_fail(LadeError *err);
/* Re-executes lade from a sealed copy of itself (CVE-2019-5736) unless it already runs from one. */
int cli_seal(Cli *c);
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
int cmd_system_prune(Cli *c, int argc, char **argv);
int cmd_events(Cli *c, int argc, char **argv);
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
int cmd_update(Cli *c, int argc, char **argv);
int cmd_logs(Cli *c, int argc, char **argv);
int cmd_exec(Cli *c, int argc, char **argv);
int cmd_inspect(Cli *c, int argc, char **argv);
int cmd_top(Cli *c, int argc, char **argv);
int cmd_port(Cli *c, int argc, char **argv);
int cmd_container_prune(Cli *c, int argc, char **argv);
int cmd_system_boot(Cli *c, int argc, char **argv);
int cmd_stats(Cli *c, int argc, char **argv);
int cmd_commit(Cli *c, int argc, char **argv);
int cmd_diff(Cli *c, int argc, char **argv);
int cmd_export(Cli *c, int argc, char **argv);
int cmd_cp(Cli *c, int argc, char **argv);
int cmd_network_create(Cli *c, int argc, char **argv);
int cmd_network_ls(Cli *c, int argc, char **argv);
int cmd_network_inspect(Cli *c, int argc, char **argv);
int cmd_network_rm(Cli *c, int argc, char **argv);
int cmd_network_prune(Cli *c, int argc, char **argv);
int cmd_network_connect(Cli *c, int argc, char **argv);
int cmd_network_disconnect(Cli *c, int argc, char **argv);
int cmd_volume_create(Cli *c, int argc, char **argv);
int cmd_volume_ls(Cli *c, int argc, char **argv);
int cmd_volume_inspect(Cli *c, int argc, char **argv);
int cmd_volume_rm(Cli *c, int argc, char **argv);
int cmd_volume_prune(Cli *c, int argc, char **argv);
int cmd_serve(Cli *c, int argc, char **argv);
int cmd_build(Cli *c, int argc, char **argv);
int cmd_builder_prune(Cli *c, int argc, char **argv);
