/* OCI mount options -> mount(2) flags. Table-driven; anything unknown is filesystem data. */
#include <string.h>
#include <sys/mount.h>

#include "container-internal.h"
#include "util.h"

typedef struct MountOpt {
        const char *name;
        bool clear;
        unsigned long flag;
} MountOpt;

static const MountOpt mount_opts[] = {
        { "defaults", false, 0 },
        { "ro", false, MS_RDONLY },           { "rw", true, MS_RDONLY },
        { "nosuid", false, MS_NOSUID },       { "suid", true, MS_NOSUID },
        { "nodev", false, MS_NODEV },         { "dev", true, MS_NODEV },
        { "noexec", false, MS_NOEXEC },       { "exec", true, MS_NOEXEC },
        { "sync", false, MS_SYNCHRONOUS },    { "async", true, MS_SYNCHRONOUS },
        { "dirsync", false, MS_DIRSYNC },     { "remount", false, MS_REMOUNT },
        { "mand", false, MS_MANDLOCK },       { "nomand", true, MS_MANDLOCK },
        { "noatime", false, MS_NOATIME },     { "atime", true, MS_NOATIME },
        { "nodiratime", false, MS_NODIRATIME }, { "diratime", true, MS_NODIRATIME },
        { "relatime", false, MS_RELATIME },   { "norelatime", true, MS_RELATIME },
        { "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
        { "lazytime", false, MS_LAZYTIME },   { "nolazytime", true, MS_LAZYTIME },
        { "nosymfollow", false, MS_NOSYMFOLLOW }, { "symfollow", true, MS_NOSYMFOLLOW },
        { "silent", false, MS_SILENT },       { "loud", true, MS_SILENT },
};

static const MountOpt propagation_opts[] = {
        { "private", false, MS_PRIVATE },     { "rprivate", false, MS_PRIVATE | MS_REC },
        { "shared", false, MS_SHARED },       { "rshared", false, MS_SHARED | MS_REC },
        { "slave", false, MS_SLAVE },         { "rslave", false, MS_SLAVE | MS_REC },
        { "unbindable", false, MS_UNBINDABLE }, { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

/* Recursive variants, applied with mount_setattr(AT_RECURSIVE) (runc 1.1 / crun). */
static const MountOpt recursive_opts[] = {
        { "rro", false, MOUNT_ATTR_RDONLY },         { "rrw", true, MOUNT_ATTR_RDONLY },
        { "rnosuid", false, MOUNT_ATTR_NOSUID },     { "rsuid", true, MOUNT_ATTR_NOSUID },
        { "rnodev", false, MOUNT_ATTR_NODEV },       { "rdev", true, MOUNT_ATTR_NODEV },
        { "rnoexec", false, MOUNT_ATTR_NOEXEC },     { "rexec", true, MOUNT_ATTR_NOEXEC },
        { "rnodiratime", false, MOUNT_ATTR_NODIRATIME }, { "rdiratime", true, MOUNT_ATTR_NODIRATIME },
        { "rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW }, { "rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW },
        { "rnoatime", false, MOUNT_ATTR_NOATIME },   { "rstrictatime", false, MOUNT_ATTR_STRICTATIME },
        { "rrelatime", false, MOUNT_ATTR_RELATIME },
};

/* Options runc/crun accept that change nothing at mount(2) time for us. */
static const char *const ignored_opts[] = { "tmpcopyup", "copy-symlink", "notmpcopyup", NULL };

static const MountOpt *find(const MountOpt *t, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (streq(t[i].name, name))
                        return &t[i];
        return NULL;
}

static void append_data(char **data, const char *opt)
{
        char *n = *data ? xasprintf("%s,%s", *data, opt) : xstrdup(opt);
        free(*data);
        *data = n;
}

int mount_options_parse(char *const *options, MountFlags *ret)
{
        MountFlags f = { 0 };
        for (size_t i = 0; options && options[i]; i++) {
                const char *o = options[i];
                const MountOpt *m;
                if (streq(o, "bind")) {
                        f.bind = true;
                } else if (streq(o, "rbind")) {
                        f.bind = f.rec = true;
                } else if ((m = find(mount_opts, ELEMENTSOF(mount_opts), o))) {
                        if (m->clear) {
                                f.flags &= ~m->flag;
                                f.clear |= m->flag;
                        } else {
                                f.flags |= m->flag;
                                f.clear &= ~m->flag;
                        }
                } else if ((m = find(recursive_opts, ELEMENTSOF(recursive_opts), o))) {
                        if (m->clear)
                                f.attr_clr |= m->flag;
                        else
                                f.attr_set |= m->flag;
                } else if ((m = find(propagation_opts, ELEMENTSOF(propagation_opts), o))) {
                        f.propagation = m->flag;
                } else {
                        bool ignored = false;
                        for (size_t k = 0; ignored_opts[k]; k++)
                                ignored = ignored || streq(ignored_opts[k], o);
                        if (!ignored)
                                append_data(&f.data, o);
                }
        }
        *ret = f;
        return 0;
}
