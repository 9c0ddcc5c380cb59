/* The authorization policy of the control socket: who may use the API at all, who may only
 * read (GET/HEAD), and which container-create and exec-create requests are denied to whom.
 * Pure (no server state): unit-tested and fuzzed on policy files and create bodies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "err.h"

#define AUTHZ_POLICY_MAX_BYTES (1u << 20)
#define AUTHZ_RULES_MAX 256
#define AUTHZ_LIST_MAX 256          /* users, groups, paths or capabilities of one rule */

typedef enum AuthzAccess {
        AUTHZ_ACCESS_NONE,
        AUTHZ_ACCESS_READ_ONLY,
        AUTHZ_ACCESS_FULL,
        _AUTHZ_ACCESS_MAX,
        _AUTHZ_ACCESS_INVALID = -EINVAL,
} AuthzAccess;

/* What a rule's "deny" list may name. */
typedef enum AuthzDeny {
        AUTHZ_DENY_PRIVILEGED = 1u << 0,     /* HostConfig.Privileged, exec Privileged */
        AUTHZ_DENY_HOST_NETWORK = 1u << 1,   /* NetworkMode "host" */
        AUTHZ_DENY_HOST_PID = 1u << 2,       /* PidMode "host" */
        AUTHZ_DENY_HOST_IPC = 1u << 3,       /* IpcMode "host" */
        AUTHZ_DENY_CAP_ADD = 1u << 4,        /* CapAdd beyond allowed_capabilities */
        AUTHZ_DENY_BIND_MOUNTS = 1u << 5,    /* host paths outside allowed_bind_paths */
        AUTHZ_DENY_DEVICES = 1u << 6,        /* Devices, DeviceRequests, DeviceCgroupRules */
        AUTHZ_DENY_UNCONFINED = 1u << 7,     /* seccomp/apparmor/systempaths unconfined */
} AuthzDeny;

typedef struct AuthzRule {
        bool everyone;                /* "users": ["*"] */
        uid_t *uids;
        size_t n_uids;
        gid_t *gids;
        size_t n_gids;
        AuthzAccess access;
        unsigned deny;                /* AuthzDeny bits */
        char **bind_paths;            /* normalised absolute paths */
        char **capabilities;          /* "NET_ADMIN", "ALL" */
        char **certificates;          /* subject CNs of TCP clients' certificates */
        bool any_certificate;         /* "certificates": ["*"] */
} AuthzRule;

typedef struct AuthzPolicy {
        AuthzRule *rules;
        size_t n_rules;
} AuthzPolicy;

typedef struct AuthzPeer {
        uid_t uid;
        gid_t gid;
        const gid_t *groups;          /* supplementary groups */
        size_t n_groups;
        const char *certificate;      /* a TCP client: its verified certificate's CN (no uid/gid) */
} AuthzPeer;

/* {"rules":[{"users":[…],"groups":[…],"certificates":[…],"access":"full|read-only|none","deny":[…],
 *  "allowed_bind_paths":[…],"allowed_capabilities":[…]}]} — user and group names are
 * resolved now (numbers are taken as ids); an unknown name or key is an error. */
int authz_policy_parse(const char *text, size_t len, AuthzPolicy **ret, LadeError **err);
int authz_policy_load(const char *path, AuthzPolicy **ret, LadeError **err);
/* Without a policy file: root, and members of group gid ((gid_t) -1: none), may do anything. */
AuthzPolicy *authz_policy_default(gid_t gid);
AuthzPolicy *authz_policy_free(AuthzPolicy *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(AuthzPolicy *, authz_policy_free)

/* The first rule naming the peer (its uid, primary or a supplementary group), or NULL. */
const AuthzRule *authz_policy_match(const AuthzPolicy *p, const AuthzPeer *peer);
/* -EACCES when the rule (NULL: no rule) forbids the method; the message names the peer. */
int authz_check_access(const AuthzRule *r, const AuthzPeer *peer, const char *method, LadeError **err);
/* Docker's container-create body: -EACCES naming the first denied setting, -EINVAL when a
 * field the policy looks at has the wrong type. */
int authz_check_create(const AuthzRule *r, json_t *body, LadeError **err);
/* An exec-create body ({"Privileged": true, …}). */
int authz_check_exec(const AuthzRule *r, json_t *body, LadeError **err);
/* A volume-create body: a local volume binding a host path (DriverOpts o=bind, device=PATH)
 * is a bind mount of that path (bind-mounts, allowed_bind_paths). */
int authz_check_volume_create(const AuthzRule *r, json_t *body, LadeError **err);
