/* Capabilities: process.capabilities names turned into bit masks in the runtime (caps_parse), and
 * applied in the container init after fork (caps_apply). A static table covers CAP_CHOWN (0) to
 * CAP_CHECKPOINT_RESTORE (40); libcap is not used. */
#pragma once

#include <stdint.h>

#include "err.h"
#include "spec.h"

/* Bit n set = capability n. */
typedef struct CapSets {
        uint64_t bounding, effective, inheritable, permitted, ambient;
} CapSets;

/* Names are OCI's "CAP_SYS_ADMIN" (case-sensitive). An unknown name is an error naming the field,
 * e.g. "process.capabilities.bounding[2]: unknown capability 'CAP_FOO'"; a capability the running
 * kernel doesn't know (> caps_last_cap()) is skipped with log_debug, as runc does. effective must
 * be a subset of permitted (the kernel refuses anything else). c == NULL gives empty sets.
 * Also warms the caps_last_cap() cache, so call it before fork. */
int caps_parse(const SpecCaps *c, CapSets *ret, LadeError **err);
/* The highest capability the kernel knows, from /proc/sys/kernel/cap_last_cap (probed with
 * PR_CAPBSET_READ if that can't be read), cached. */
int caps_last_cap(void);
/* "CAP_CHOWN" for 0; NULL if unknown. */
const char *caps_name(int cap);
/* -EINVAL if unknown. */
int caps_from_name(const char *name);
/* In the container init, after prctl(PR_SET_KEEPCAPS, 1) and setgroups/setresgid/setresuid:
 * drops every capability not in c->bounding from the bounding set, sets effective, permitted and
 * inheritable with capset(2), then clears the ambient set and raises c->ambient. Allocates
 * nothing unless it fails, so it is safe after fork. Needs CAP_SETPCAP in the permitted set to
 * shrink the bounding set. */
int caps_apply(const CapSets *c, LadeError **err);
/* NULL-terminated, in capability order (for `features`). */
const char *const *caps_all_names(void);
