/* CVE-2019-5736 defence: while a runtime process is inside a container's namespaces (the init
 * before execve, an exec's intermediate), the container could open /proc/<pid>/exe and write
 * to the runtime binary on the host. So container-entering commands re-exec themselves from a
 * sealed, write-protected memfd copy: /proc/<pid>/exe then points at that copy, which no one
 * can modify. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

static bool is_sealed(int fd)
{
        int seals = fcntl(fd, F_GET_SEALS);
        return seals >= 0 && (seals & SEALS) == SEALS;
}

int runtime_ensure_sealed_binary(char **argv, LadeError **err)
{
        _cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return lade_error(err, errno, "open /proc/self/exe");
        if (is_sealed(self))
                return 0;
        struct stat st;
        if (fstat(self, &st) < 0)
                return lade_error(err, errno, "stat /proc/self/exe");
        _cleanup_close_ int mfd = memfd_create("lade-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return lade_error(err, errno, "memfd_create");
        off_t off = 0;
        while (off < st.st_size) {
                ssize_t n = sendfile(mfd, self, &off, (size_t) (st.st_size - off));
                if (n <= 0)
                        return lade_error(err, n < 0 ? errno : EIO, "copy the runtime binary");
        }
        if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
                return lade_error(err, errno, "seal the runtime binary copy");
        fexecve(mfd, argv, environ);
        return lade_error(err, errno, "re-exec from the sealed copy");
}
