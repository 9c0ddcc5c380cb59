/* The OCI seccomp object compiled with libseccomp into a BPF program in the runtime process
 * (so errors surface before anything is created), then loaded in the container init with one
 * seccomp(2) call right before execve. */
#pragma once

#include <stdbool.h>

#include "err.h"
#include "spec.h"

typedef struct SeccompProgram SeccompProgram;

/* Compiles s for the native architecture plus s->architectures. Unknown actions, operators,
 * architectures or flags are errors naming the field. A rule using SCMP_ACT_NOTIFY needs
 * listenerPath, and may not name write or sendmsg. */
int seccomp_program_compile(const SpecSeccomp *s, SeccompProgram **ret, LadeError **err);
/* Loads the program into the calling thread. If the profile uses SCMP_ACT_NOTIFY,
 * *ret_notify_fd gets the listener fd (else -1). Safe to call after fork. */
int seccomp_program_load(const SeccompProgram *p, int *ret_notify_fd, LadeError **err);
bool seccomp_program_wants_notify(const SeccompProgram *p);
/* Like seccomp_program_compile, but reuses a program compiled earlier for the same profile text
 * (profile_json: the seccomp object serialised with sorted keys), libseccomp and kernel, kept in
 * cache_dir (created 0700 if missing). cache_dir NULL = no cache. */
int seccomp_program_compile_cached(const SpecSeccomp *s, const char *profile_json, const char *cache_dir,
                                   SeccompProgram **ret, LadeError **err);
SeccompProgram *seccomp_program_free(SeccompProgram *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(SeccompProgram *, seccomp_program_free)

/* Sends the notify fd and the container state (JSON) to listenerPath, as the spec describes.
 * state_json is the runtime state document (runtime.md "State": ociVersion, id, status, pid,
 * bundle, annotations); its "pid" must be a positive integer. One connection (AF_UNIX,
 * SOCK_STREAM) carries exactly one message, the config-linux.md "containerProcessState":
 *   {"ociVersion":LADE_OCI_VERSION,"fds":["seccompFd"],"pid":<state.pid>,
 *    "metadata":<metadata, omitted when NULL>,"state":<state_json as an object>}
 * with notify_fd in SCM_RIGHTS on the first sendmsg(2); the socket is closed afterwards.
 * notify_fd stays owned by the caller. */
int seccomp_send_listener(const char *listener_path, const char *metadata, const char *state_json,
                          int notify_fd, LadeError **err);
/* The same message over an already connected socket (the init can't reach listenerPath after
 * pivot_root, so the runtime connects for it). Uses only sendmsg(2); sock stays open. */
int seccomp_send_listener_fd(int sock, const char *metadata, const char *state_json, int notify_fd,
                             LadeError **err);

/* For `features`: the names libseccomp knows. */
const char *const *seccomp_known_actions(void);
const char *const *seccomp_known_operators(void);
const char *const *seccomp_known_archs(void);
const char *const *seccomp_known_flags(void);
/* The subset of seccomp_known_flags() the running kernel accepts (runc's "supportedFlags").
 * Probes on each call; the array is static, so not thread-safe. */
const char *const *seccomp_supported_flags(void);
/* The runtime libseccomp's version, "2.5.4" (for `--version`). Callers outside seccomp.c can't
 * include <seccomp.h>: with src/runtime on the -I path it resolves to this header. */
const char *seccomp_library_version(void);
