/* Docker's container-create request + the image's config -> an OCI runtime spec, with exactly
 * Docker's defaults (capabilities, seccomp profile, masked and read-only paths, /dev, mounts,
 * environment, entrypoint/cmd, user, working dir, resources). Used by `lade run/create` (the CLI
 * turns its flags into the same request body the Docker API receives) and by the API server. */
#pragma once

#include <jansson.h>

#include "err.h"
#include "manifest.h"

typedef struct SpecInputs {
        /* The Docker Engine API POST /containers/create body: Config fields at the top level
         * (Image, Cmd, Entrypoint, Env, WorkingDir, User, Hostname, Domainname, Tty, OpenStdin,
         * Labels, ExposedPorts, Volumes, StopSignal, StopTimeout, Healthcheck, NetworkDisabled)
         * plus "HostConfig" and "NetworkingConfig" objects. Borrowed. */
        json_t *create;
        const ImageConfig *image;   /* the image's config (Env, Cmd, Entrypoint, User, ...) */
        const char *rootfs;         /* mounted rootfs (absolute), to resolve user/group names */
        const char *id;             /* the container's 64-hex id */
        const char *name;           /* the container's name, without the leading '/' */
        const char *state_dir;      /* per-container dir for generated hosts/hostname/resolv.conf */
        /* The container's address on its network, for the "<ip>\t<hostname>" line of
         * /etc/hosts; NULL when it has none (--network none/host, or not known yet). */
        const char *ip_address;
} SpecInputs;

/* Builds the spec. Errors are Docker's wording where Docker has one (e.g. "unable to find user
 * nobody2: no matching entries in passwd file", "invalid mount config ..."). */
int container_spec_build(const SpecInputs *in, json_t **ret, LadeError **err);

/* Serialises a built spec for config.json (flags as for json_dumps, e.g. JSON_INDENT(2)). Use
 * this rather than json_dumps(): uint64 values above INT64_MAX (an rlimit of -1, "unlimited", is
 * 18446744073709551615 as in dockerd's spec) are held in the json_t as json-util's big-uint
 * strings, which this writes as plain numbers. Caller frees. */
char *container_spec_dump(const json_t *spec, size_t flags);

/* dockerd's checks of the resources in a POST /containers/{id}/update body (Docker's Resources
 * fields at the top level), with its messages ("Minimum memory limit allowed is 6MB"). */
int container_spec_validate_update(json_t *update, LadeError **err);

/* dockerd's merge() of Config.Env: the request's entries, then the image's for keys the request
 * does not set (what a container's Config.Env is, and what `commit` keeps). Caller frees. */
char **container_spec_merge_env(char **user, char *const *image);

/* Docker's default seccomp profile (kept as data in the tree: src/engine/seccomp-default.json),
 * in Docker's profile format (archMap, includes/excludes); a new reference, NULL only if the
 * embedded copy does not parse. */
json_t *container_default_seccomp(void);
/* Docker's default capability set (14 names, "CAP_CHOWN", ...), NULL-terminated. */
const char *const *container_default_caps(void);

/* `exec -u`: "user[:group]" resolved in rootfs's /etc/passwd and /etc/group as for Config.User;
 * ret is the OCI process.user object. */
int container_user_resolve(const char *rootfs, const char *user, json_t **ret, LadeError **err);
