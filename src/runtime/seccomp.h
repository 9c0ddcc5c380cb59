/* The OCI seccomp object compiled with libseccomp into a BPF program in the runtime process
 * (so errors surface before anything is created), then loaded in the container init with one
 * seccomp(2) call right before execve. */
#pragma once

#include <stdbool.h>

#include "err.h"
#include "spec.h"

typedef struct SeccompProgram SeccompProgram;

/* Compiles s for the native architecture plus s->architectures. Unknown actions, operators,
 * architectures or flags are errors naming the field. */
int seccomp_program_compile(const SpecSeccomp *s, SeccompProgram **ret, LadeError **err);
/* Loads the program into the calling thread. If the profile uses SCMP_ACT_NOTIFY,
 * *ret_notify_fd gets the listener fd (else -1). Safe to call after fork. */
int seccomp_program_load(const SeccompProgram *p, int *ret_notify_fd, LadeError **err);
bool seccomp_program_wants_notify(const SeccompProgram *p);
SeccompProgram *seccomp_program_free(SeccompProgram *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(SeccompProgram *, seccomp_program_free)

/* Sends the notify fd and the container state (JSON) to listenerPath, as the spec describes. */
int seccomp_send_listener(const char *listener_path, const char *metadata, const char *state_json,
                          int notify_fd, LadeError **err);

/* For `features`: the names libseccomp knows. */
const char *const *seccomp_known_actions(void);
const char *const *seccomp_known_operators(void);
const char *const *seccomp_known_archs(void);
const char *const *seccomp_known_flags(void);
