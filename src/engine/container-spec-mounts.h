/* The user's mounts between collection (container-spec-mounts.c) and conversion to OCI
 * (container-spec-mounts-oci.c): dockerd's container.Mount. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "container-spec-internal.h"

typedef struct CMount {
        char *source, *destination;
        bool tmpfs;
        char *data;               /* tmpfs: the options text ("size=64m,mode=1777"), may be NULL */
        bool writable;
        bool non_recursive;       /* BindOptions.NonRecursive: "bind" instead of "rbind" */
        bool ro_non_recursive, ro_force_recursive;
        char *propagation;        /* "rprivate", "rslave", ...; NULL for none */
} CMount;

typedef struct CMountList {
        CMount *m;
        size_t n;
} CMountList;

void cspec_mount_done(CMount *m);
void cspec_mount_list_done(CMountList *l);
/* Appends m (taking what it owns). */
void cspec_mount_list_push(CMountList *l, CMount *m);
CMount *cspec_mount_list_find(CMountList *l, const char *destination);

/* Every user mount in dockerd's order, network files included. */
int cspec_collect_mounts(SpecBuild *b, CMountList *ret, LadeError **err);
/* moby's target checks: not empty, not "/", absolute; errors "invalid mount config for type ..." */
int cspec_check_mount_target(const char *type, const char *target, LadeError **err);
/* HostConfig.Mounts entry -> CMount (validation included); tmpfs data via ConvertTmpfsOptions. */
int cspec_parse_api_mount(json_t *o, size_t idx, CMount *ret, LadeError **err);
