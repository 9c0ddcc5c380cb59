/* lade's `--help`: one table of commands (paths and aliases, usage, description, options, in the
 * docker 28 CLI's words with `lade` for `docker`) and the printing of cobra's help template with
 * pflag's wrapped flag list, byte for byte what docker prints. Each command lists only the flags
 * its own parser accepts (tests/integration/07-cli-help.sh holds every listed flag to that); the
 * table is sorted by flag name within a command, as pflag sorts. lade-only commands (serve,
 * system boot) have their own text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli-help.h"
#include "util.h"

#define USAGE_FORMAT_TABLE "Format output using a custom template:\n" \
        "'table':            Print output in table format with column headers (default)\n" \
        "'table TEMPLATE':   Print output in table format using the given Go template\n" \
        "'json':             Print in JSON format\n" \
        "'TEMPLATE':         Print output using the given Go template.\n" \
        "Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates"
#define USAGE_FORMAT_JSON "Format output using a custom template:\n" \
        "'json':             Print in JSON format\n" \
        "'TEMPLATE':         Print output using the given Go template.\n" \
        "Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates"

/* `run` and `create` take the same flags but -d, --detach-keys and --sig-proxy (run's only), and
 * word --pull differently: the shared runs of their tables, in docker's order. */
#define RUN_CREATE_OPTS_1 \
                        { 0, "add-host", "list", "Add a custom host-to-IP mapping (host:ip)", 0 }, \
                        { 0, "annotation", "map", "Add an annotation to the container (passed through to the OCI runtime) (default map[])", 0 }, \
                        { 'a', "attach", "list", "Attach to STDIN, STDOUT or STDERR", 0 }, \
                        { 0, "blkio-weight", "uint16", "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)", 0 }, \
                        { 0, "blkio-weight-device", "list", "Block IO weight (relative device weight) (default [])", 0 }, \
                        { 0, "cap-add", "list", "Add Linux capabilities", 0 }, \
                        { 0, "cap-drop", "list", "Drop Linux capabilities", 0 }, \
                        { 0, "cgroup-parent", "string", "Optional parent cgroup for the container", 0 }, \
                        { 0, "cgroupns", "string", "Cgroup namespace to use (host|private)\n'host':    Run the container in the Docker host's cgroup namespace\n'private': Run the container in its own private cgroup namespace\n'':        Use the cgroup namespace as configured by the\n           default-cgroupns-mode option on the daemon (default)", 0 }, \
                        { 0, "cidfile", "string", "Write the container ID to the file", 0 }, \
                        { 0, "cpu-count", "int", "CPU count (Windows only)", 0 }, \
                        { 0, "cpu-percent", "int", "CPU percent (Windows only)", 0 }, \
                        { 0, "cpu-period", "int", "Limit CPU CFS (Completely Fair Scheduler) period", 0 }, \
                        { 0, "cpu-quota", "int", "Limit CPU CFS (Completely Fair Scheduler) quota", 0 }, \
                        { 0, "cpu-rt-period", "int", "Limit CPU real-time period in microseconds", 0 }, \
                        { 0, "cpu-rt-runtime", "int", "Limit CPU real-time runtime in microseconds", 0 }, \
                        { 'c', "cpu-shares", "int", "CPU shares (relative weight)", 0 }, \
                        { 0, "cpus", "decimal", "Number of CPUs", 0 }, \
                        { 0, "cpuset-cpus", "string", "CPUs in which to allow execution (0-3, 0,1)", 0 }, \
                        { 0, "cpuset-mems", "string", "MEMs in which to allow execution (0-3, 0,1)", 0 },
#define RUN_CREATE_OPTS_2 \
                        { 0, "device", "list", "Add a host device to the container", 0 }, \
                        { 0, "device-cgroup-rule", "list", "Add a rule to the cgroup allowed devices list", 0 }, \
                        { 0, "device-read-bps", "list", "Limit read rate (bytes per second) from a device (default [])", 0 }, \
                        { 0, "device-read-iops", "list", "Limit read rate (IO per second) from a device (default [])", 0 }, \
                        { 0, "device-write-bps", "list", "Limit write rate (bytes per second) to a device (default [])", 0 }, \
                        { 0, "device-write-iops", "list", "Limit write rate (IO per second) to a device (default [])", 0 }, \
                        { 0, "disable-content-trust", NULL, "Skip image verification (default true)", 0 }, \
                        { 0, "dns", "list", "Set custom DNS servers", 0 }, \
                        { 0, "dns-option", "list", "Set DNS options", 0 }, \
                        { 0, "dns-search", "list", "Set custom DNS search domains", 0 }, \
                        { 0, "domainname", "string", "Container NIS domain name", 0 }, \
                        { 0, "entrypoint", "string", "Overwrite the default ENTRYPOINT of the image", 0 }, \
                        { 'e', "env", "list", "Set environment variables", 0 }, \
                        { 0, "env-file", "list", "Read in a file of environment variables", 0 }, \
                        { 0, "expose", "list", "Expose a port or a range of ports", 0 }, \
                        { 0, "gpus", "gpu-request", "GPU devices to add to the container ('all' to pass all GPUs)", 0 }, \
                        { 0, "group-add", "list", "Add additional groups to join", 0 }, \
                        { 0, "health-cmd", "string", "Command to run to check health", 0 }, \
                        { 0, "health-interval", "duration", "Time between running the check (ms|s|m|h) (default 0s)", 0 }, \
                        { 0, "health-retries", "int", "Consecutive failures needed to report unhealthy", 0 }, \
                        { 0, "health-start-interval", "duration", "Time between running the check during the start period (ms|s|m|h) (default 0s)", 0 }, \
                        { 0, "health-start-period", "duration", "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)", 0 }, \
                        { 0, "health-timeout", "duration", "Maximum time to allow one check to run (ms|s|m|h) (default 0s)", 0 }, \
                        { 0, "help", NULL, "Print usage", 0 }, \
                        { 'h', "hostname", "string", "Container host name", 0 }, \
                        { 0, "init", NULL, "Run an init inside the container that forwards signals and reaps processes", 0 }, \
                        { 'i', "interactive", NULL, "Keep STDIN open even if not attached", 0 }, \
                        { 0, "io-maxbandwidth", "bytes", "Maximum IO bandwidth limit for the system drive (Windows only)", 0 }, \
                        { 0, "io-maxiops", "uint", "Maximum IOps limit for the system drive (Windows only)", 0 }, \
                        { 0, "ip", "string", "IPv4 address (e.g., 172.30.100.104)", 0 }, \
                        { 0, "ip6", "string", "IPv6 address (e.g., 2001:db8::33)", 0 }, \
                        { 0, "ipc", "string", "IPC mode to use", 0 }, \
                        { 0, "isolation", "string", "Container isolation technology", 0 }, \
                        { 0, "kernel-memory", "bytes", "Kernel memory limit", 0 }, \
                        { 'l', "label", "list", "Set meta data on a container", 0 }, \
                        { 0, "label-file", "list", "Read in a line delimited file of labels", 0 }, \
                        { 0, "link", "list", "Add link to another container", 0 }, \
                        { 0, "link-local-ip", "list", "Container IPv4/IPv6 link-local addresses", 0 }, \
                        { 0, "log-driver", "string", "Logging driver for the container", 0 }, \
                        { 0, "log-opt", "list", "Log driver options", 0 }, \
                        { 0, "mac-address", "string", "Container MAC address (e.g., 92:d0:c6:0a:29:33)", 0 }, \
                        { 'm', "memory", "bytes", "Memory limit", 0 }, \
                        { 0, "memory-reservation", "bytes", "Memory soft limit", 0 }, \
                        { 0, "memory-swap", "bytes", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", 0 }, \
                        { 0, "memory-swappiness", "int", "Tune container memory swappiness (0 to 100) (default -1)", 0 }, \
                        { 0, "mount", "mount", "Attach a filesystem mount to the container", 0 }, \
                        { 0, "name", "string", "Assign a name to the container", 0 }, \
                        { 0, "network", "network", "Connect a container to a network", 0 }, \
                        { 0, "network-alias", "list", "Add network-scoped alias for the container", 0 }, \
                        { 0, "no-healthcheck", NULL, "Disable any container-specified HEALTHCHECK", 0 }, \
                        { 0, "oom-kill-disable", NULL, "Disable OOM Killer", 0 }, \
                        { 0, "oom-score-adj", "int", "Tune host's OOM preferences (-1000 to 1000)", 0 }, \
                        { 0, "pid", "string", "PID namespace to use", 0 }, \
                        { 0, "pids-limit", "int", "Tune container pids limit (set -1 for unlimited)", 0 }, \
                        { 0, "platform", "string", "Set platform if server is multi-platform capable", 0 }, \
                        { 0, "privileged", NULL, "Give extended privileges to this container", 0 }, \
                        { 'p', "publish", "list", "Publish a container's port(s) to the host", 0 }, \
                        { 'P', "publish-all", NULL, "Publish all exposed ports to random ports", 0 },
#define RUN_CREATE_OPTS_3 \
                        { 'q', "quiet", NULL, "Suppress the pull output", 0 }, \
                        { 0, "read-only", NULL, "Mount the container's root filesystem as read only", 0 }, \
                        { 0, "restart", "string", "Restart policy to apply when a container exits (default \"no\")", 0 }, \
                        { 0, "rm", NULL, "Automatically remove the container and its associated anonymous volumes when it exits", 0 }, \
                        { 0, "runtime", "string", "Runtime to use for this container", 0 }, \
                        { 0, "security-opt", "list", "Security Options", 0 }, \
                        { 0, "shm-size", "bytes", "Size of /dev/shm", 0 },
#define RUN_CREATE_OPTS_4 \
                        { 0, "stop-signal", "string", "Signal to stop the container", 0 }, \
                        { 0, "stop-timeout", "int", "Timeout (in seconds) to stop a container", 0 }, \
                        { 0, "storage-opt", "list", "Storage driver options for the container", 0 }, \
                        { 0, "sysctl", "map", "Sysctl options (default map[])", 0 }, \
                        { 0, "tmpfs", "list", "Mount a tmpfs directory", 0 }, \
                        { 't', "tty", NULL, "Allocate a pseudo-TTY", 0 }, \
                        { 0, "ulimit", "ulimit", "Ulimit options (default [])", 0 }, \
                        { 0, "use-api-socket", NULL, "Bind mount Docker API socket and required auth", 0 }, \
                        { 'u', "user", "string", "Username or UID (format: <name|uid>[:<group|gid>])", 0 }, \
                        { 0, "userns", "string", "User namespace to use", 0 }, \
                        { 0, "uts", "string", "UTS namespace to use", 0 }, \
                        { 'v', "volume", "list", "Bind mount a volume", 0 }, \
                        { 0, "volume-driver", "string", "Optional volume driver for the container", 0 }, \
                        { 0, "volumes-from", "list", "Mount volumes from the specified container(s)", 0 }, \
                        { 'w', "workdir", "string", "Working directory inside the container", 0 }, \
                        { 0, "dns-opt", "list", NULL, HELP_OPT_HIDDEN }, \
                        { 0, "net", "network", NULL, HELP_OPT_HIDDEN }, \
                        { 0, "net-alias", "list", NULL, HELP_OPT_HIDDEN },

static const struct {
        const char *name, *desc;
} groups[] = {
        { "builder", "Manage builds" },
        { "container", "Manage containers" },
        { "image", "Manage images" },
        { "network", "Manage networks" },
        { "system", "Manage lade" },
        { "volume", "Manage volumes" },
};

static const HelpCmd help_table[] = {
        {
                .paths = "image ls|image list|images",
                .use = "[OPTIONS] [REPOSITORY[:TAG]]",
                .desc = "List images",
                .opts = (const HelpOpt[]) {
                        { 'a', "all", NULL, "Show all images (default hides intermediate images)", 0 },
                        { 0, "digests", NULL, "Show digests", 0 },
                        { 'f', "filter", "filter", "Filter output based on conditions provided", 0 },
                        { 0, "format", "string", USAGE_FORMAT_TABLE, 0 },
                        { 0, "no-trunc", NULL, "Don't truncate output", 0 },
                        { 'q', "quiet", NULL, "Only show image IDs", 0 },
                        { 0 },
                },
        },
        {
                .paths = "image inspect",
                .use = "[OPTIONS] IMAGE [IMAGE...]",
                .desc = "Display detailed information on one or more images",
                .opts = (const HelpOpt[]) {
                        { 'f', "format", "string", USAGE_FORMAT_JSON, 0 },
                        { 0 },
                },
        },
        {
                .paths = "inspect",
                .use = "[OPTIONS] NAME|ID [NAME|ID...]",
                .desc = "Return low-level information on Docker objects",
                .opts = (const HelpOpt[]) {
                        { 'f', "format", "string", USAGE_FORMAT_JSON, 0 },
                        { 's', "size", NULL, "Display total file sizes if the type is container", 0 },
                        { 0, "type", "string", "Only inspect objects of the given type", 0 },
                        { 0 },
                },
        },
        {
                .paths = "image history|history",
                .use = "[OPTIONS] IMAGE",
                .desc = "Show the history of an image",
                .opts = (const HelpOpt[]) {
                        { 0, "format", "string", USAGE_FORMAT_TABLE, 0 },
                        { 'H', "human", NULL, "Print sizes and dates in human readable format (default true)", 0 },
                        { 0, "no-trunc", NULL, "Don't truncate output", 0 },
                        { 'q', "quiet", NULL, "Only show image IDs", 0 },
                        { 0 },
                },
        },
        {
                .paths = "image tag|tag",
                .use = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                .desc = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
        },
        {
                .paths = "image rm|image remove|rmi",
                .use = "[OPTIONS] IMAGE [IMAGE...]",
                .desc = "Remove one or more images",
                .opts = (const HelpOpt[]) {
                        { 'f', "force", NULL, "Force removal of the image", 0 },
                        { 0, "no-prune", NULL, "Do not delete untagged parents", 0 },
                        { 0 },
                },
        },
        {
                .paths = "image prune",
                .use = "[OPTIONS]",
                .desc = "Remove unused images",
                .opts = (const HelpOpt[]) {
                        { 'a', "all", NULL, "Remove all unused images, not just dangling ones", 0 },
                        { 0, "filter", "filter", "Provide filter values (e.g. \"until=<timestamp>\")", 0 },
                        { 'f', "force", NULL, "Do not prompt for confirmation", 0 },
                        { 0 },
                },
        },
        {
                .paths = "image pull|pull",
                .use = "[OPTIONS] NAME[:TAG|@DIGEST]",
                .desc = "Download an image from a registry",
                .opts = (const HelpOpt[]) {
                        { 'a', "all-tags", NULL, "Download all tagged images in the repository", 0 },
                        { 0, "platform", "string", "Set platform if server is multi-platform capable", 0 },
                        { 'q', "quiet", NULL, "Suppress verbose output", 0 },
                        { 0 },
                },
        },
        {
                .paths = "image push|push",
                .use = "[OPTIONS] NAME[:TAG]",
                .desc = "Upload an image to a registry",
                .opts = (const HelpOpt[]) {
                        { 'q', "quiet", NULL, "Suppress verbose output", 0 },
                        { 0 },
                },
        },
        {
                .paths = "login",
                .use = "[OPTIONS] [SERVER]",
                .desc = "Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
                .opts = (const HelpOpt[]) {
                        { 'p', "password", "string", "Password or Personal Access Token (PAT)", 0 },
                        { 0, "password-stdin", NULL, "Take the Password or Personal Access Token (PAT) from stdin", 0 },
                        { 'u', "username", "string", "Username", 0 },
                        { 0 },
                },
        },
        {
                .paths = "logout",
                .use = "[SERVER]",
                .desc = "Log out from a registry.\nIf no server is specified, the default is defined by the daemon.",
        },
        {
                .paths = "image save|save",
                .use = "[OPTIONS] IMAGE [IMAGE...]",
                .desc = "Save one or more images to a tar archive (streamed to STDOUT by default)",
                .opts = (const HelpOpt[]) {
                        { 'o', "output", "string", "Write to a file, instead of STDOUT", 0 },
                        { 0 },
                },
        },
        {
                .paths = "image load|load",
                .use = "[OPTIONS]",
                .desc = "Load an image from a tar archive or STDIN",
                .opts = (const HelpOpt[]) {
                        { 'i', "input", "string", "Read from tar archive file, instead of STDIN", 0 },
                        { 'q', "quiet", NULL, "Suppress the load output", 0 },
                        { 0 },
                },
        },
        {
                .paths = "image import|import",
                .use = "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
                .desc = "Import the contents from a tarball to create a filesystem image",
                .opts = (const HelpOpt[]) {
                        { 'c', "change", "list", "Apply Dockerfile instruction to the created image", 0 },
                        { 'm', "message", "string", "Set commit message for imported image", 0 },
                        { 0, "platform", "string", "Set platform if server is multi-platform capable", 0 },
                        { 0 },
                },
        },
        {
                .paths = "image build|build|builder build",
                .use = "[OPTIONS] PATH | URL | -",
                .desc = "Build an image from a Dockerfile",
                .opts = (const HelpOpt[]) {
                        { 0, "build-arg", "list", "Set build-time variables", 0 },
                        { 'f', "file", "string", "Name of the Dockerfile (Default is \"PATH/Dockerfile\")", 0 },
                        { 0, "iidfile", "string", "Write the image ID to the file", 0 },
                        { 0, "label", "list", "Set metadata for an image", 0 },
                        { 0, "network", "string", "Set the networking mode for the RUN instructions during build (default \"default\")", 0 },
                        { 0, "no-cache", NULL, "Do not use cache when building the image", 0 },
                        { 0, "platform", "string", "Set platform if server is multi-platform capable", 0 },
                        { 0, "progress", "string", "Set type of progress output (\"auto\", \"quiet\", \"plain\", \"tty\", \"rawjson\"). Use plain to show container output (default \"auto\")", 0 },
                        { 0, "pull", NULL, "Always attempt to pull a newer version of the image", 0 },
                        { 'q', "quiet", NULL, "Suppress the build output and print image ID on success", 0 },
                        { 0, "secret", "stringArray", "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\")", 0 },
                        { 't', "tag", "list", "Name and optionally a tag in the \"name:tag\" format", 0 },
                        { 0, "target", "string", "Set the target build stage to build.", 0 },
                        { 0 },
                },
        },
        {
                .paths = "builder prune",
                .use = "",
                .desc = "Remove build cache",
                .opts = (const HelpOpt[]) {
                        { 'a', "all", NULL, "Remove all unused build cache, not just dangling ones", 0 },
                        { 'f', "force", NULL, "Do not prompt for confirmation", 0 },
                        { 0 },
                },
        },
        {
                .paths = "system df",
                .use = "[OPTIONS]",
                .desc = "Show lade disk usage",
        },
        {
                .paths = "container run|run",
                .use = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                .desc = "Create and run a new container from an image",
                .flags = HELP_NO_INTERSPERSE,
                .opts = (const HelpOpt[]) {
                        RUN_CREATE_OPTS_1
                        { 'd', "detach", NULL, "Run container in background and print container ID", 0 },
                        { 0, "detach-keys", "string", "Override the key sequence for detaching a container", 0 },
                        RUN_CREATE_OPTS_2
                        { 0, "pull", "string", "Pull image before running (\"always\", \"missing\", \"never\") (default \"missing\")", 0 },
                        RUN_CREATE_OPTS_3
                        { 0, "sig-proxy", NULL, "Proxy received signals to the process (default true)", 0 },
                        RUN_CREATE_OPTS_4
                        { 0 },
                },
        },
        {
                .paths = "container create|create",
                .use = "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                .desc = "Create a new container",
                .flags = HELP_NO_INTERSPERSE,
                .opts = (const HelpOpt[]) {
                        RUN_CREATE_OPTS_1
                        RUN_CREATE_OPTS_2
                        { 0, "pull", "string", "Pull image before creating (\"always\", \"|missing\", \"never\") (default \"missing\")", 0 },
                        RUN_CREATE_OPTS_3
                        RUN_CREATE_OPTS_4
                        { 0 },
                },
        },
        {
                .paths = "container start|start",
                .use = "[OPTIONS] CONTAINER [CONTAINER...]",
                .desc = "Start one or more stopped containers",
                .opts = (const HelpOpt[]) {
                        { 'a', "attach", NULL, "Attach STDOUT/STDERR and forward signals", 0 },
                        { 0, "detach-keys", "string", "Override the key sequence for detaching a container", 0 },
                        { 'i', "interactive", NULL, "Attach container's STDIN", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container stop|stop",
                .use = "[OPTIONS] CONTAINER [CONTAINER...]",
                .desc = "Stop one or more running containers",
                .opts = (const HelpOpt[]) {
                        { 's', "signal", "string", "Signal to send to the container", 0 },
                        { 't', "timeout", "int", "Seconds to wait before killing the container", 0 },
                        { 0, "time", "int", NULL, HELP_OPT_HIDDEN },
                        { 0 },
                },
        },
        {
                .paths = "container restart|restart",
                .use = "[OPTIONS] CONTAINER [CONTAINER...]",
                .desc = "Restart one or more containers",
                .opts = (const HelpOpt[]) {
                        { 's', "signal", "string", "Signal to send to the container", 0 },
                        { 't', "timeout", "int", "Seconds to wait before killing the container", 0 },
                        { 0, "time", "int", NULL, HELP_OPT_HIDDEN },
                        { 0 },
                },
        },
        {
                .paths = "container kill|kill",
                .use = "[OPTIONS] CONTAINER [CONTAINER...]",
                .desc = "Kill one or more running containers",
                .opts = (const HelpOpt[]) {
                        { 's', "signal", "string", "Signal to send to the container", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container wait|wait",
                .use = "CONTAINER [CONTAINER...]",
                .desc = "Block until one or more containers stop, then print their exit codes",
        },
        {
                .paths = "container attach|attach",
                .use = "[OPTIONS] CONTAINER",
                .desc = "Attach local standard input, output, and error streams to a running container",
                .opts = (const HelpOpt[]) {
                        { 0, "detach-keys", "string", "Override the key sequence for detaching a container", 0 },
                        { 0, "no-stdin", NULL, "Do not attach STDIN", 0 },
                        { 0, "sig-proxy", NULL, "Proxy all received signals to the process (default true)", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container exec|exec",
                .use = "[OPTIONS] CONTAINER COMMAND [ARG...]",
                .desc = "Execute a command in a running container",
                .flags = HELP_NO_INTERSPERSE,
                .opts = (const HelpOpt[]) {
                        { 'd', "detach", NULL, "Detached mode: run command in the background", 0 },
                        { 0, "detach-keys", "string", "Override the key sequence for detaching a container", 0 },
                        { 'e', "env", "list", "Set environment variables", 0 },
                        { 0, "env-file", "list", "Read in a file of environment variables", 0 },
                        { 'i', "interactive", NULL, "Keep STDIN open even if not attached", 0 },
                        { 0, "privileged", NULL, "Give extended privileges to the command", 0 },
                        { 't', "tty", NULL, "Allocate a pseudo-TTY", 0 },
                        { 'u', "user", "string", "Username or UID (format: \"<name|uid>[:<group|gid>]\")", 0 },
                        { 'w', "workdir", "string", "Working directory inside the container", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container logs|logs",
                .use = "[OPTIONS] CONTAINER",
                .desc = "Fetch the logs of a container",
                .opts = (const HelpOpt[]) {
                        { 0, "details", NULL, "Show extra details provided to logs", 0 },
                        { 'f', "follow", NULL, "Follow log output", 0 },
                        { 0, "since", "string", "Show logs since timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)", 0 },
                        { 'n', "tail", "string", "Number of lines to show from the end of the logs (default \"all\")", 0 },
                        { 't', "timestamps", NULL, "Show timestamps", 0 },
                        { 0, "until", "string", "Show logs before a timestamp (e.g. \"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container pause|pause",
                .use = "CONTAINER [CONTAINER...]",
                .desc = "Pause all processes within one or more containers",
        },
        {
                .paths = "container unpause|unpause",
                .use = "CONTAINER [CONTAINER...]",
                .desc = "Unpause all processes within one or more containers",
        },
        {
                .paths = "container update|update",
                .use = "[OPTIONS] CONTAINER [CONTAINER...]",
                .desc = "Update configuration of one or more containers",
                .opts = (const HelpOpt[]) {
                        { 0, "blkio-weight", "uint16", "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)", 0 },
                        { 0, "cpu-period", "int", "Limit CPU CFS (Completely Fair Scheduler) period", 0 },
                        { 0, "cpu-quota", "int", "Limit CPU CFS (Completely Fair Scheduler) quota", 0 },
                        { 0, "cpu-rt-period", "int", "Limit the CPU real-time period in microseconds", 0 },
                        { 0, "cpu-rt-runtime", "int", "Limit the CPU real-time runtime in microseconds", 0 },
                        { 'c', "cpu-shares", "int", "CPU shares (relative weight)", 0 },
                        { 0, "cpus", "decimal", "Number of CPUs", 0 },
                        { 0, "cpuset-cpus", "string", "CPUs in which to allow execution (0-3, 0,1)", 0 },
                        { 0, "cpuset-mems", "string", "MEMs in which to allow execution (0-3, 0,1)", 0 },
                        { 'm', "memory", "bytes", "Memory limit", 0 },
                        { 0, "memory-reservation", "bytes", "Memory soft limit", 0 },
                        { 0, "memory-swap", "bytes", "Swap limit equal to memory plus swap: -1 to enable unlimited swap", 0 },
                        { 0, "pids-limit", "int", "Tune container pids limit (set -1 for unlimited)", 0 },
                        { 0, "restart", "string", "Restart policy to apply when a container exits", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container rename|rename",
                .use = "CONTAINER NEW_NAME",
                .desc = "Rename a container",
        },
        {
                .paths = "container top|top",
                .use = "CONTAINER [ps OPTIONS]",
                .desc = "Display the running processes of a container",
                .flags = HELP_NO_INTERSPERSE,
        },
        {
                .paths = "container stats|stats",
                .use = "[OPTIONS] [CONTAINER...]",
                .desc = "Display a live stream of container(s) resource usage statistics",
                .opts = (const HelpOpt[]) {
                        { 'a', "all", NULL, "Show all containers (default shows just running)", 0 },
                        { 0, "format", "string", USAGE_FORMAT_TABLE, 0 },
                        { 0, "no-stream", NULL, "Disable streaming stats and only pull the first result", 0 },
                        { 0, "no-trunc", NULL, "Do not truncate output", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container port|port",
                .use = "CONTAINER [PRIVATE_PORT[/PROTO]]",
                .desc = "List port mappings or a specific mapping for the container",
        },
        {
                .paths = "container inspect",
                .use = "[OPTIONS] CONTAINER [CONTAINER...]",
                .desc = "Display detailed information on one or more containers",
                .opts = (const HelpOpt[]) {
                        { 'f', "format", "string", USAGE_FORMAT_JSON, 0 },
                        { 's', "size", NULL, "Display total file sizes", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container prune",
                .use = "[OPTIONS]",
                .desc = "Remove all stopped containers",
                .opts = (const HelpOpt[]) {
                        { 0, "filter", "filter", "Provide filter values (e.g. \"until=<timestamp>\")", 0 },
                        { 'f', "force", NULL, "Do not prompt for confirmation", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container ls|container list|container ps|ps",
                .use = "[OPTIONS]",
                .desc = "List containers",
                .opts = (const HelpOpt[]) {
                        { 'a', "all", NULL, "Show all containers (default shows just running)", 0 },
                        { 'f', "filter", "filter", "Filter output based on conditions provided", 0 },
                        { 0, "format", "string", USAGE_FORMAT_TABLE, 0 },
                        { 'n', "last", "int", "Show n last created containers (includes all states) (default -1)", 0 },
                        { 'l', "latest", NULL, "Show the latest created container (includes all states)", 0 },
                        { 0, "no-trunc", NULL, "Don't truncate output", 0 },
                        { 'q', "quiet", NULL, "Only display container IDs", 0 },
                        { 's', "size", NULL, "Display total file sizes", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container rm|container remove|rm",
                .use = "[OPTIONS] CONTAINER [CONTAINER...]",
                .desc = "Remove one or more containers",
                .opts = (const HelpOpt[]) {
                        { 'f', "force", NULL, "Force the removal of a running container (uses SIGKILL)", 0 },
                        { 'l', "link", NULL, "Remove the specified link", 0 },
                        { 'v', "volumes", NULL, "Remove anonymous volumes associated with the container", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container commit|commit",
                .use = "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                .desc = "Create a new image from a container's changes",
                .opts = (const HelpOpt[]) {
                        { 'a', "author", "string", "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")", 0 },
                        { 'c', "change", "list", "Apply Dockerfile instruction to the created image", 0 },
                        { 'm', "message", "string", "Commit message", 0 },
                        { 'p', "pause", NULL, "Pause container during commit (default true)", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container diff|diff",
                .use = "CONTAINER",
                .desc = "Inspect changes to files or directories on a container's filesystem",
        },
        {
                .paths = "container export|export",
                .use = "[OPTIONS] CONTAINER",
                .desc = "Export a container's filesystem as a tar archive",
                .opts = (const HelpOpt[]) {
                        { 'o', "output", "string", "Write to a file, instead of STDOUT", 0 },
                        { 0 },
                },
        },
        {
                .paths = "container cp|cp",
                .use = "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n[OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
                .desc = "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
                .summary = "Copy files/folders between a container and the local filesystem",
                .opts = (const HelpOpt[]) {
                        { 'a', "archive", NULL, "Archive mode (copy all uid/gid information)", 0 },
                        { 'L', "follow-link", NULL, "Always follow symbol link in SRC_PATH", 0 },
                        { 'q', "quiet", NULL, "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached", 0 },
                        { 0 },
                },
        },
        {
                .paths = "network connect",
                .use = "[OPTIONS] NETWORK CONTAINER",
                .desc = "Connect a container to a network",
                .opts = (const HelpOpt[]) {
                        { 0, "alias", "strings", "Add network-scoped alias for the container", 0 },
                        { 0, "driver-opt", "strings", "driver options for the network", 0 },
                        { 0, "ip", "string", "IPv4 address (e.g., \"172.30.100.104\")", 0 },
                        { 0, "ip6", "string", "IPv6 address (e.g., \"2001:db8::33\")", 0 },
                        { 0, "link", "list", "Add link to another container", 0 },
                        { 0 },
                },
        },
        {
                .paths = "network create",
                .use = "[OPTIONS] NETWORK",
                .desc = "Create a network",
                .opts = (const HelpOpt[]) {
                        { 'd', "driver", "string", "Driver to manage the Network (default \"bridge\")", 0 },
                        { 0, "gateway", "strings", "IPv4 or IPv6 Gateway for the master subnet", 0 },
                        { 0, "internal", NULL, "Restrict external access to the network", 0 },
                        { 0, "label", "list", "Set metadata on a network", 0 },
                        { 0, "subnet", "strings", "Subnet in CIDR format that represents a network segment", 0 },
                        { 0 },
                },
        },
        {
                .paths = "network disconnect",
                .use = "[OPTIONS] NETWORK CONTAINER",
                .desc = "Disconnect a container from a network",
                .opts = (const HelpOpt[]) {
                        { 'f', "force", NULL, "Force the container to disconnect from a network", 0 },
                        { 0 },
                },
        },
        {
                .paths = "network inspect",
                .use = "[OPTIONS] NETWORK [NETWORK...]",
                .desc = "Display detailed information on one or more networks",
                .opts = (const HelpOpt[]) {
                        { 'f', "format", "string", USAGE_FORMAT_JSON, 0 },
                        { 'v', "verbose", NULL, "Verbose output for diagnostics", 0 },
                        { 0 },
                },
        },
        {
                .paths = "network ls|network list",
                .use = "[OPTIONS]",
                .desc = "List networks",
                .opts = (const HelpOpt[]) {
                        { 'f', "filter", "filter", "Provide filter values (e.g. \"driver=bridge\")", 0 },
                        { 0, "format", "string", USAGE_FORMAT_TABLE, 0 },
                        { 0, "no-trunc", NULL, "Do not truncate the output", 0 },
                        { 'q', "quiet", NULL, "Only display network IDs", 0 },
                        { 0 },
                },
        },
        {
                .paths = "network prune",
                .use = "[OPTIONS]",
                .desc = "Remove all unused networks",
                .opts = (const HelpOpt[]) {
                        { 0, "filter", "filter", "Provide filter values (e.g. \"until=<timestamp>\")", 0 },
                        { 'f', "force", NULL, "Do not prompt for confirmation", 0 },
                        { 0 },
                },
        },
        {
                .paths = "network rm|network remove",
                .use = "NETWORK [NETWORK...]",
                .desc = "Remove one or more networks",
                .opts = (const HelpOpt[]) {
                        { 'f', "force", NULL, "Do not error if the network does not exist", 0 },
                        { 0 },
                },
        },
        {
                .paths = "volume create",
                .use = "[OPTIONS] [VOLUME]",
                .desc = "Create a volume",
                .opts = (const HelpOpt[]) {
                        { 'd', "driver", "string", "Specify volume driver name (default \"local\")", 0 },
                        { 0, "label", "list", "Set metadata for a volume", 0 },
                        { 'o', "opt", "map", "Set driver specific options (default map[])", 0 },
                        { 0, "name", "string", NULL, HELP_OPT_HIDDEN },
                        { 0 },
                },
        },
        {
                .paths = "volume inspect",
                .use = "[OPTIONS] VOLUME [VOLUME...]",
                .desc = "Display detailed information on one or more volumes",
                .opts = (const HelpOpt[]) {
                        { 'f', "format", "string", USAGE_FORMAT_JSON, 0 },
                        { 0 },
                },
        },
        {
                .paths = "volume ls|volume list",
                .use = "[OPTIONS]",
                .desc = "List volumes",
                .opts = (const HelpOpt[]) {
                        { 0, "cluster", NULL, "Display only cluster volumes, and use cluster volume list formatting", 0 },
                        { 'f', "filter", "filter", "Provide filter values (e.g. \"dangling=true\")", 0 },
                        { 0, "format", "string", USAGE_FORMAT_TABLE, 0 },
                        { 'q', "quiet", NULL, "Only display volume names", 0 },
                        { 0 },
                },
        },
        {
                .paths = "volume prune",
                .use = "[OPTIONS]",
                .desc = "Remove unused local volumes",
                .opts = (const HelpOpt[]) {
                        { 'a', "all", NULL, "Remove all unused volumes, not just anonymous ones", 0 },
                        { 0, "filter", "filter", "Provide filter values (e.g. \"label=<label>\")", 0 },
                        { 'f', "force", NULL, "Do not prompt for confirmation", 0 },
                        { 0 },
                },
        },
        {
                .paths = "volume rm|volume remove",
                .use = "[OPTIONS] VOLUME [VOLUME...]",
                .desc = "Remove one or more volumes. You cannot remove a volume that is in use by a container.",
                .summary = "Remove one or more volumes",
                .opts = (const HelpOpt[]) {
                        { 'f', "force", NULL, "Force the removal of one or more volumes", 0 },
                        { 0 },
                },
        },
        {
                .paths = "system events|events",
                .use = "[OPTIONS]",
                .desc = "Get real time events from the server",
                .opts = (const HelpOpt[]) {
                        { 'f', "filter", "filter", "Filter output based on conditions provided", 0 },
                        { 0, "format", "string", USAGE_FORMAT_JSON, 0 },
                        { 0, "since", "string", "Show all events created since timestamp", 0 },
                        { 0, "until", "string", "Show events created until this timestamp", 0 },
                        { 0 },
                },
        },
        {
                .paths = "system prune",
                .use = "[OPTIONS]",
                .desc = "Remove unused data",
                .opts = (const HelpOpt[]) {
                        { 'a', "all", NULL, "Remove all unused images not just dangling ones", 0 },
                        { 0, "filter", "filter", "Provide filter values (e.g. \"label=<key>=<value>\")", 0 },
                        { 'f', "force", NULL, "Do not prompt for confirmation", 0 },
                        { 0, "volumes", NULL, "Prune anonymous volumes", 0 },
                        { 0 },
                },
        },
        {
                .paths = "system boot",
                .use = "",
                .desc = "Start the containers whose restart policy asks for it (after a reboot)",
        },
        {
                .paths = "serve",
                .use = "[OPTIONS]",
                .desc = "Serve the Docker Engine API on a unix socket",
                .opts = (const HelpOpt[]) {
                        { 0, "audit-log", "string", "Append an audit line per request to this file", 0 },
                        { 0, "audit-log-max-size", "bytes",
                          "Rotate the audit log above this many bytes (default 16777216)", 0 },
                        { 0, "authz", "string", "Authorization policy file", 0 },
                        { 'G', "group", "string", "Group for the unix socket (default \"lade\")", 0 },
                        { 'H', "host", "list", "Daemon socket(s) to connect to", 0 },
                        { 0, "tls", NULL, "Use TLS; implied by --tlsverify", 0 },
                        { 0, "tlscacert", "string", "Trust certs signed only by this CA", 0 },
                        { 0, "tlscert", "string", "Path to TLS certificate file", 0 },
                        { 0, "tlskey", "string", "Path to TLS key file", 0 },
                        { 0, "tlsverify", NULL, "Use TLS and verify the remote", 0 },
                        { 0 },
                },
        },
};

static const char *current_path; /* the command cli_help_hook() saw, for flag errors */
static bool flag_error_seen;

const HelpCmd *cli_help_table(size_t *ret_n)
{
        *ret_n = ELEMENTSOF(help_table);
        return help_table;
}

/* The next '|'-separated path of paths after *pos: its start and length; false at the end. */
static bool next_path(const char *paths, size_t *pos, const char **ret, size_t *ret_len)
{
        if (paths[*pos] == 0)
                return false;
        const char *p = paths + *pos;
        size_t n = strcspn(p, "|");
        *ret = p;
        *ret_len = n;
        *pos += n + (p[n] == '|');
        return true;
}

static bool has_path(const HelpCmd *h, const char *path)
{
        const char *p;
        size_t n, pos = 0;
        while (next_path(h->paths, &pos, &p, &n))
                if (strlen(path) == n && strncmp(p, path, n) == 0)
                        return true;
        return false;
}

const HelpCmd *cli_help_find(const char *path)
{
        for (size_t i = 0; i < ELEMENTSOF(help_table); i++)
                if (has_path(&help_table[i], path))
                        return &help_table[i];
        return NULL;
}

static const char *group_desc(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(groups); i++)
                if (streq(groups[i].name, name))
                        return groups[i].desc;
        return NULL;
}

/* How the usage line names the command: `lade container list` is shown as `lade container ls`
 * (the first of its group's names), `lade ps` as itself, as cobra does. */
static char *display_path(const HelpCmd *h, const char *path)
{
        const char *space = strchr(path, ' '), *p;
        size_t n, pos = 0;
        if (!space)
                return xstrdup(path);
        size_t glen = (size_t) (space - path) + 1;
        while (next_path(h->paths, &pos, &p, &n))
                if (n > glen && strncmp(p, path, glen) == 0)
                        return xasprintf("%.*s", (int) n, p);
        return xstrdup(path);
}

static void print_usage_line(FILE *f, const HelpCmd *h, const char *dpath)
{
        const char *u = h->use;
        fprintf(f, "Usage:  lade %s", dpath);
        for (bool first = true; *u || first; first = false) {
                size_t n = strcspn(u, "\n");
                if (!first)
                        fprintf(f, "\n\tlade %s", dpath);
                if (n > 0)
                        fprintf(f, " %.*s", (int) n, u);
                u += n + (u[n] == '\n');
        }
        fputc('\n', f);
}

static void put_spaces(FILE *f, int n)
{
        for (int i = 0; i < n; i++)
                fputc(' ', f);
}

/* s[0..n) with each newline followed by indent spaces. */
static void put_indented(FILE *f, const char *s, size_t n, int indent)
{
        for (size_t i = 0; i < n; i++) {
                fputc(s[i], f);
                if (s[i] == '\n')
                        put_spaces(f, indent);
        }
}

/* pflag's wrapN: the first line of s in about i bytes, cut at whitespace (slop bytes more if that
 * takes the rest); *ret_next is where the remainder starts. */
static size_t wrap_n(int i, int slop, const char *s, size_t len, size_t *ret_next)
{
        if ((size_t) (i + slop) > len) {
                *ret_next = len;
                return len;
        }
        ssize_t w = -1, nl = -1;
        for (ssize_t k = 0; k < i; k++) {
                if (strchr(" \t\n", s[k]))
                        w = k;
                if (s[k] == '\n')
                        nl = k;
        }
        if (w <= 0) {
                *ret_next = len;
                return len;
        }
        if (nl > 0 && nl < w)
                w = nl;
        *ret_next = (size_t) w + 1;
        return (size_t) w;
}

/* pflag's wrap: s wrapped to w columns, every line after the first indented by i. */
static void wrap_print(FILE *f, int i, int w, const char *s)
{
        size_t len = strlen(s), next;
        int room = w - i;
        if (room < 24) {
                /* no room beside the flags: a block under them, or no wrapping at all */
                if (w - 16 < 24) {
                        put_indented(f, s, len, 16);
                        return;
                }
                i = 16;
                room = w - i;
                fputc('\n', f);
                put_spaces(f, i);
        }
        room -= 5;
        size_t n = wrap_n(room, 5, s, len, &next);
        put_indented(f, s, n, i);
        for (s += next, len -= next; len > 0; s += next, len -= next) {
                n = wrap_n(room, 5, s, len, &next);
                fputc('\n', f);
                put_spaces(f, i);
                put_indented(f, s, n, i);
        }
}

static char *flag_head(const HelpOpt *o)
{
        const char *var = o->varname ? o->varname : "";
        if (o->shorthand)
                return xasprintf("  -%c, --%s%s%s", o->shorthand, o->name, *var ? " " : "", var);
        return xasprintf("      --%s%s%s", o->name, *var ? " " : "", var);
}

/* pflag's FlagUsagesWrapped(cols). */
static void print_flags(FILE *f, const HelpOpt *opts, int cols)
{
        int maxlen = 0;
        for (const HelpOpt *o = opts; o->name; o++) {
                _cleanup_free_ char *head = flag_head(o);
                if (!(o->flags & HELP_OPT_HIDDEN) && (int) strlen(head) + 1 > maxlen)
                        maxlen = (int) strlen(head) + 1;
        }
        for (const HelpOpt *o = opts; o->name; o++) {
                if (o->flags & HELP_OPT_HIDDEN)
                        continue;
                _cleanup_free_ char *head = flag_head(o);
                fprintf(f, "%s ", head);
                put_spaces(f, maxlen - (int) strlen(head));
                fputc(' ', f);
                wrap_print(f, maxlen + 2, cols, o->usage);
                fputc('\n', f);
        }
}

static bool has_visible_flags(const HelpCmd *h)
{
        for (const HelpOpt *o = h->opts; o && o->name; o++)
                if (!(o->flags & HELP_OPT_HIDDEN))
                        return true;
        return false;
}

int cli_help_print(FILE *f, const char *path, int width)
{
        const HelpCmd *h = cli_help_find(path);
        if (!h)
                return -ENOENT;
        _cleanup_free_ char *dpath = display_path(h, path);
        print_usage_line(f, h, dpath);
        fprintf(f, "\n%s\n", h->desc);
        if (strchr(h->paths, '|')) {
                const char *p;
                size_t n, pos = 0;
                fputs("\nAliases:\n  ", f);
                for (bool first = true; next_path(h->paths, &pos, &p, &n); first = false)
                        fprintf(f, "%slade %.*s", first ? "" : ", ", (int) n, p);
                fputc('\n', f);
        }
        if (has_visible_flags(h)) {
                fputs("\nOptions:\n", f);
                print_flags(f, h->opts, width - 1);
        }
        return 0;
}

typedef struct GroupChild {
        char *name;
        const char *summary;
} GroupChild;

static int child_cmp(const void *a, const void *b)
{
        return strcmp(((const GroupChild *) a)->name, ((const GroupChild *) b)->name);
}

/* The group's commands, by name: the first name each command has in the group. */
static size_t group_children(const char *group, GroupChild *ret, size_t max)
{
        size_t glen = strlen(group), k = 0;
        for (size_t i = 0; i < ELEMENTSOF(help_table) && k < max; i++) {
                const char *p;
                size_t n, pos = 0;
                while (next_path(help_table[i].paths, &pos, &p, &n))
                        if (n > glen + 1 && strncmp(p, group, glen) == 0 && p[glen] == ' ') {
                                ret[k].name = xasprintf("%.*s", (int) (n - glen - 1), p + glen + 1);
                                ret[k++].summary = help_table[i].summary ?: help_table[i].desc;
                                break;
                        }
        }
        qsort(ret, k, sizeof(*ret), child_cmp);
        return k;
}

int cli_help_print_group(FILE *f, const char *group)
{
        const char *desc = group_desc(group);
        if (!desc)
                return -ENOENT;
        GroupChild kids[ELEMENTSOF(help_table)];
        size_t n = group_children(group, kids, ELEMENTSOF(kids));
        int pad = 11;
        for (size_t i = 0; i < n; i++)
                if ((int) strlen(kids[i].name) > pad)
                        pad = (int) strlen(kids[i].name);
        fprintf(f, "Usage:  lade %s COMMAND\n\n%s\n\nCommands:\n", group, desc);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "  %-*s %s\n", pad, kids[i].name, kids[i].summary);
                free(kids[i].name);
        }
        fprintf(f, "\nRun 'lade %s COMMAND --help' for more information on a command.\n", group);
        return 0;
}

int cli_help_width(void)
{
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col;
        return 80;
}

static const HelpOpt *find_long(const HelpCmd *h, const char *name, size_t len)
{
        for (const HelpOpt *o = h->opts; o && o->name; o++)
                if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
                        return o;
        return NULL;
}

static const HelpOpt *find_short(const HelpCmd *h, char c)
{
        for (const HelpOpt *o = h->opts; o && o->name; o++)
                if (o->shorthand == c)
                        return o;
        return NULL;
}

typedef enum HelpAsk {
        ASK_NONE,
        ASK_HELP,     /* --help */
        ASK_H,        /* -h: help, with docker's deprecation notice */
} HelpAsk;

/* One short flag cluster (-abc): whether it asks for help, and whether it takes the next word as
 * its value. */
static HelpAsk scan_short(const HelpCmd *h, const char *a, bool *ret_takes_next)
{
        *ret_takes_next = false;
        for (const char *c = a + 1; *c; c++) {
                const HelpOpt *o = find_short(h, *c);
                if (!o && *c == 'h')
                        return ASK_H;
                if (o && o->varname) {
                        *ret_takes_next = c[1] == 0;
                        return ASK_NONE;
                }
        }
        return ASK_NONE;
}

/* Whether a command's words ask for help: --help (or -h where it is no flag of the command)
 * among its flags, the values of flags skipped; for run, create and exec only before the image
 * or container, so that `lade run busybox ls --help` runs `ls --help`. */
static HelpAsk scan_args(const HelpCmd *h, int argc, char **argv)
{
        for (int k = 0; k < argc; k++) {
                const char *a = argv[k];
                bool takes_next = false;
                if (streq(a, "--"))
                        break;
                if (a[0] != '-' || a[1] == 0) {
                        if (h->flags & HELP_NO_INTERSPERSE)
                                break;
                        continue;
                }
                if (streq(a, "--help"))
                        return ASK_HELP;
                if (a[1] == '-') {
                        const HelpOpt *o = find_long(h, a + 2, strcspn(a + 2, "="));
                        takes_next = o && o->varname && !strchr(a, '=');
                } else {
                        HelpAsk r = scan_short(h, a, &takes_next);
                        if (r != ASK_NONE)
                                return r;
                }
                if (takes_next)
                        k++;
        }
        return ASK_NONE;
}

static int help_topic(int argc, char **argv)
{
        _cleanup_free_ char *two = argc >= 3 ? xasprintf("%s %s", argv[1], argv[2]) : NULL;
        if (two && argc == 3 && cli_help_print(stdout, two, cli_help_width()) == 0)
                return 0;
        if (argc == 2 && (cli_help_print(stdout, argv[1], cli_help_width()) == 0 ||
                          cli_help_print_group(stdout, argv[1]) == 0))
                return 0;
        fputs("unknown help topic: ", stderr);
        for (int i = 1; i < argc; i++)
                fprintf(stderr, "%s%s", i > 1 ? " " : "", argv[i]);
        fputc('\n', stderr);
        return 1;
}

static int group_hook(int argc, char **argv)
{
        if (argc == 1 || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                if (argc > 1 && streq(argv[1], "-h"))
                        puts("Flag shorthand -h has been deprecated, use --help");
                (void) cli_help_print_group(stdout, argv[0]);
                return 0;
        }
        if (argv[1][0] == '-') {
                _cleanup_free_ char *msg = xasprintf("unknown flag: %s", argv[1]);
                fprintf(stderr, "%s\n\nUsage:  lade %s COMMAND\n\nRun 'lade %s --help' for more information\n", msg,
                        argv[0], argv[0]);
                return 125;
        }
        fprintf(stderr, "lade: unknown command: lade %s %s\n\nUsage:  lade %s\n\nRun 'lade %s --help' for more "
                "information\n", argv[0], argv[1], argv[0], argv[0]);
        return 1;
}

int cli_help_hook(int argc, char **argv, int verb_words)
{
        if (streq(argv[0], "help"))
                return argc == 1 ? -1 : help_topic(argc, argv);
        if (verb_words == 0)
                return group_desc(argv[0]) ? group_hook(argc, argv) : -1;
        static char path[128];
        if (verb_words == 2)
                (void) snprintf(path, sizeof(path), "%s %s", argv[0], argv[1]);
        else
                (void) snprintf(path, sizeof(path), "%s", argv[0]);
        const HelpCmd *h = cli_help_find(path);
        if (!h)
                return -1;
        current_path = path;
        HelpAsk ask = scan_args(h, argc - verb_words, argv + verb_words);
        if (ask == ASK_NONE)
                return -1;
        if (ask == ASK_H)
                puts("Flag shorthand -h has been deprecated, use --help");
        (void) cli_help_print(stdout, path, cli_help_width());
        return 0;
}

void cli_help_flag_error(const char *msg)
{
        const HelpCmd *h = current_path ? cli_help_find(current_path) : NULL;
        flag_error_seen = true;
        fprintf(stderr, "%s\n\n", msg);
        if (!h) {
                fputs("Usage:  lade [OPTIONS] COMMAND [ARG...]\n\nRun 'lade --help' for more information\n", stderr);
                return;
        }
        _cleanup_free_ char *dpath = display_path(h, current_path);
        print_usage_line(stderr, h, dpath);
        fprintf(stderr, "\nRun 'lade %s --help' for more information\n", dpath);
}

int cli_help_exit_status(int status)
{
        return status != 0 && flag_error_seen ? 125 : status;
}
