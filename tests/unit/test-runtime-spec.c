/* spec: which config.json documents parse, what they parse to, and that every rejection names
 * the offending field by its full path. Documents are written with ' for " (see dq()). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "config.h"
#include "json-util.h"
#include "spec.h"
#include "util.h"

/* ' -> " so that JSON documents fit in C strings without escapes */
static char *dq(const char *s)
{
        char *r = xstrdup(s);
        for (char *p = r; *p; p++)
                if (*p == '\'')
                        *p = '"';
        return r;
}

static Spec *parse_ok(const char *doc)
{
        _cleanup_free_ char *text = dq(doc);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Spec *s = NULL;
        int r = spec_parse(text, strlen(text), &s, &err);
        if (r < 0)
                fail_msg("unexpected error: %s\nfor: %s", lade_error_message(err), doc);
        assert_non_null(s);
        assert_null(err);
        return s;
}

/* Returns the error message (caller frees) and checks the status. */
static char *parse_fail(const char *doc, int status)
{
        _cleanup_free_ char *text = dq(doc);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Spec *s = NULL;
        int r = spec_parse(text, strlen(text), &s, &err);
        if (r >= 0)
                fail_msg("parsed, but should have failed: %s", doc);
        assert_null(s);
        assert_non_null(err);
        assert_int_equal(r, -status);
        assert_int_equal(err->status, status);
        return xstrdup(err->msg);
}

#define V "{'ociVersion':'1.1.0',"
#define VP(p) V "'process':{" p "}}"
#define VL(l) V "'linux':{" l "}}"
#define VR(r) V "'linux':{'resources':{" r "}}}"

/* ---- valid documents ---- */

static const char *const valid_docs[] = {
        "{'ociVersion':'1.0.0'}",
        /* null is absent, as in runc */
        V "'process':null,'root':null,'mounts':null,'hooks':null,'annotations':null,'linux':null}",
        VL("'resources':null,'seccomp':null,'namespaces':null,'sysctl':null"),
        VP("'args':['sh'],'user':null,'capabilities':{'bounding':null}"),
        /* unknown keys are ignored at every level, known ones are type-checked */
        V "'future':{'x':[1,2]},'windows':{'layerFolders':[]},'solaris':1,'vm':'x'}",
        VP("'args':['sh'],'future':true,'user':{'uid':1,'sid':'x'}"),
        VL("'intelRdt':{'closID':'x'},'memoryPolicy':{},'netDevices':{'eth0':{}},'future':[]"),
        VR("'rdma':{'mlx5_1':{'hcaHandles':3}},'future':1"),
        VR("'rdma':'not even an object'"),
        /* relative mount destinations are kept (runc resolves them against /) */
        V "'mounts':[{'destination':'data'},{'destination':'/abs','type':'bind'}]}",
        /* -1 means unlimited */
        VR("'memory':{'limit':-1,'reservation':-1,'swap':-1,'kernel':-1,'kernelTCP':-1},"
           "'cpu':{'quota':-1,'realtimeRuntime':-1},'pids':{'limit':-1}"),
        VR("'memory':{'limit':0,'swappiness':0},'pids':{'limit':0}"),
        /* a FIFO needs no device numbers */
        VL("'devices':[{'path':'/dev/fifo','type':'p'}]"),
        /* empty arrays and objects */
        V "'mounts':[],'annotations':{},'hooks':{}}",
        VL("'namespaces':[],'devices':[],'maskedPaths':[],'sysctl':{},'timeOffsets':{}"),
        VR("'devices':[],'unified':{},'hugepageLimits':[],'blockIO':{},'network':{}"),
        /* boundaries */
        VP("'rlimits':[{'type':'RLIMIT_AS','soft':9223372036854775807,'hard':9223372036854775807}]"),
        VP("'user':{'uid':4294967295,'gid':0,'umask':0},'oomScoreAdj':-1000"),
        VP("'consoleSize':{'height':65535,'width':0},'oomScoreAdj':1000"),
        VL("'timeOffsets':{'monotonic':{'nanosecs':999999999,'secs':-9223372036854775807}}"),
        VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['x'],"
           "'action':'SCMP_ACT_ERRNO','args':[{'index':5,'value':0,'op':'SCMP_CMP_EQ'}]}]}"),
        /* every rlimit the kernel knows */
        VP("'rlimits':[{'type':'RLIMIT_AS','soft':1,'hard':1},{'type':'RLIMIT_CORE','soft':1,'hard':1},"
           "{'type':'RLIMIT_CPU','soft':1,'hard':1},{'type':'RLIMIT_DATA','soft':1,'hard':1},"
           "{'type':'RLIMIT_FSIZE','soft':1,'hard':1},{'type':'RLIMIT_LOCKS','soft':1,'hard':1},"
           "{'type':'RLIMIT_MEMLOCK','soft':1,'hard':1},{'type':'RLIMIT_MSGQUEUE','soft':1,'hard':1},"
           "{'type':'RLIMIT_NICE','soft':1,'hard':1},{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
           "{'type':'RLIMIT_NPROC','soft':1,'hard':1},{'type':'RLIMIT_RSS','soft':1,'hard':1},"
           "{'type':'RLIMIT_RTPRIO','soft':1,'hard':1},{'type':'RLIMIT_RTTIME','soft':1,'hard':1},"
           "{'type':'RLIMIT_SIGPENDING','soft':1,'hard':1},{'type':'RLIMIT_STACK','soft':1,'hard':1}]"),
        /* every namespace type, with and without a path */
        VL("'namespaces':[{'type':'pid'},{'type':'network','path':'/proc/1/ns/net'},{'type':'mount'},"
           "{'type':'ipc'},{'type':'uts'},{'type':'user'},{'type':'cgroup'},{'type':'time'}]"),
        /* every propagation mode is accepted (one at a time) */
        VL("'rootfsPropagation':'shared'"), VL("'rootfsPropagation':'slave'"),
        VL("'rootfsPropagation':'private'"), VL("'rootfsPropagation':'unbindable'"),
        VL("'rootfsPropagation':'rshared'"), VL("'rootfsPropagation':'rslave'"),
        VL("'rootfsPropagation':'rprivate'"), VL("'rootfsPropagation':'runbindable'"),
        /* Unicode survives */
        V "'hostname':'h\\u00e9te','annotations':{'k\\u2603':'\\u2603'}}",
};

static void test_valid_table(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(valid_docs); i++) {
                Spec *s = parse_ok(valid_docs[i]);
                assert_non_null(s->oci_version);
                assert_non_null(s->json);
                spec_free(s);
        }
}

/* ---- invalid documents: each error must contain the text on the right ---- */

static const struct {
        const char *doc;
        const char *msg;
} invalid_docs[] = {
        /* not JSON, or not an object */
        { "", "config.json: invalid JSON" },
        { "{'ociVersion':'1.0'", "config.json: invalid JSON" },
        { "{'ociVersion':'1.0'} x", "config.json: invalid JSON" },
        { "{'ociVersion':'1.0','ociVersion':'1.1'}", "duplicate object key" },
        { "{'ociVersion':'1.0\\u0000x'}", "config.json: invalid JSON" },
        { "{'ociVersion':'1.0','a\\u0000b':1}", "config.json: invalid JSON" },
        { "{'ociVersion':'1','process':{'user':{'uid':99999999999999999999}}}", "too big" },
        { "[]", "config.json: expected an object, got an array" },
        /* the document root */
        { "{}", "ociVersion: required" },
        { "{'ociVersion':null}", "ociVersion: required" },
        { "{'ociVersion':1}", "ociVersion: expected a string, got an integer" },
        { V "'hostname':5}", "hostname: expected a string, got an integer" },
        { V "'domainname':[]}", "domainname: expected a string, got an array" },
        { V "'root':[]}", "root: expected an object, got an array" },
        { V "'root':{}}", "root.path: required" },
        { V "'root':{'path':'r','readonly':'yes'}}", "root.readonly: expected a boolean, got a string" },
        { V "'annotations':[]}", "annotations: expected an object, got an array" },
        { V "'annotations':{'a':'x','b':1}}", "annotations[\"b\"]: expected a string, got an integer" },
        /* mounts */
        { V "'mounts':{}}", "mounts: expected an array, got an object" },
        { V "'mounts':['x']}", "mounts[0]: expected an object, got a string" },
        { V "'mounts':[{'destination':'/a'},{'destination':'/b'},{'type':'tmpfs'}]}",
          "mounts[2].destination: required" },
        { V "'mounts':[{'destination':''}]}", "mounts[0].destination: must not be empty" },
        { V "'mounts':[{'destination':7}]}", "mounts[0].destination: expected a string, got an integer" },
        { V "'mounts':[{'destination':'/a','source':1.5}]}",
          "mounts[0].source: expected a string, got a real number" },
        { V "'mounts':[{'destination':'/a','type':false}]}", "mounts[0].type: expected a string, got a boolean" },
        { V "'mounts':[{'destination':'/a','options':['ro',1]}]}",
          "mounts[0].options[1]: expected a string, got an integer" },
        { V "'mounts':[{'destination':'/a','uidMappings':[{'containerID':0,'hostID':1}]}]}",
          "mounts[0].uidMappings[0].size: required" },
        { V "'mounts':[{'destination':'/a','gidMappings':{}}]}",
          "mounts[0].gidMappings: expected an array, got an object" },
        /* hooks */
        { V "'hooks':[]}", "hooks: expected an object, got an array" },
        { V "'hooks':{'prestart':[{}]}}", "hooks.prestart[0].path: required" },
        { V "'hooks':{'poststart':{}}}", "hooks.poststart: expected an array, got an object" },
        { V "'hooks':{'poststop':[{'path':'rel'}]}}", "hooks.poststop[0].path: must be an absolute path, got 'rel'" },
        { V "'hooks':{'createRuntime':[{'path':'/x','timeout':0}]}}",
          "hooks.createRuntime[0].timeout: expected an integer >= 1, got 0" },
        { V "'hooks':{'startContainer':[{'path':'/x'},{'path':'/x','timeout':-3}]}}",
          "hooks.startContainer[1].timeout: expected an integer >= 1, got -3" },
        { V "'hooks':{'createContainer':[{'path':'/x','args':'a'}]}}",
          "hooks.createContainer[0].args: expected an array, got a string" },
        { V "'hooks':{'createContainer':[{'path':'/x','env':[null]}]}}",
          "hooks.createContainer[0].env[0]: expected a string, got null" },
        /* process */
        { V "'process':[]}", "process: expected an object, got an array" },
        { VP("'args':'sh'"), "process.args: expected an array, got a string" },
        { VP("'args':[]"), "process.args: must not be empty" },
        { VP("'args':['sh',null]"), "process.args[1]: expected a string, got null" },
        { VP("'commandLine':[]"), "process.commandLine: expected a string, got an array" },
        { VP("'cwd':'tmp'"), "process.cwd: must be an absolute path, got 'tmp'" },
        { VP("'cwd':5"), "process.cwd: expected a string, got an integer" },
        { VP("'env':['A=1','B']"), "process.env[1]: expected NAME=VALUE, got 'B'" },
        { VP("'env':['=x']"), "process.env[0]: expected NAME=VALUE" },
        { VP("'env':'A=1'"), "process.env: expected an array, got a string" },
        { VP("'terminal':1"), "process.terminal: expected a boolean, got an integer" },
        { VP("'consoleSize':[]"), "process.consoleSize: expected an object, got an array" },
        { VP("'consoleSize':{'height':10}"), "process.consoleSize.width: required" },
        { VP("'consoleSize':{'height':-1,'width':1}"),
          "process.consoleSize.height: expected an integer in range 0..65535, got -1" },
        { VP("'user':[]"), "process.user: expected an object, got an array" },
        { VP("'user':{'uid':-1}"), "process.user.uid: expected an integer in range 0..4294967295, got -1" },
        { VP("'user':{'uid':4294967296}"), "process.user.uid: expected an integer in range 0..4294967295" },
        { VP("'user':{'gid':'0'}"), "process.user.gid: expected an integer, got a string" },
        { VP("'user':{'umask':-18}"), "process.user.umask: expected an integer in range 0..4294967295, got -18" },
        { VP("'user':{'additionalGids':[1,-2]}"),
          "process.user.additionalGids[1]: expected an integer in range 0..4294967295, got -2" },
        { VP("'user':{'additionalGids':[1,'x']}"),
          "process.user.additionalGids[1]: expected an integer, got a string" },
        { VP("'user':{'additionalGids':5}"), "process.user.additionalGids: expected an array, got an integer" },
        { VP("'user':{'username':5}"), "process.user.username: expected a string" },
        { VP("'capabilities':[]"), "process.capabilities: expected an object, got an array" },
        { VP("'capabilities':{'bounding':'CAP_KILL'}"),
          "process.capabilities.bounding: expected an array, got a string" },
        { VP("'capabilities':{'ambient':[1]}"), "process.capabilities.ambient[0]: expected a string, got an integer" },
        { VP("'rlimits':{}"), "process.rlimits: expected an array, got an object" },
        { VP("'rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]"),
          "process.rlimits[0].type: unknown rlimit 'RLIMIT_FOO'" },
        { VP("'rlimits':[{'type':'nofile','soft':1,'hard':1}]"), "process.rlimits[0].type: unknown rlimit 'nofile'" },
        { VP("'rlimits':[{'type':5,'soft':1,'hard':1}]"), "process.rlimits[0].type: expected a string, got an integer" },
        { VP("'rlimits':[{'soft':1,'hard':1}]"), "process.rlimits[0].type: required" },
        { VP("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1}]"), "process.rlimits[0].hard: required" },
        { VP("'rlimits':[{'type':'RLIMIT_NOFILE','hard':1}]"), "process.rlimits[0].soft: required" },
        { VP("'rlimits':[{'type':'RLIMIT_NOFILE','soft':-1,'hard':1}]"),
          "process.rlimits[0].soft: expected a non-negative integer, got -1" },
        { VP("'rlimits':[{'type':'RLIMIT_NOFILE','soft':1,'hard':1.0}]"),
          "process.rlimits[0].hard: expected an integer, got a real number" },
        { VP("'rlimits':[{'type':'RLIMIT_NOFILE','soft':2,'hard':1}]"),
          "process.rlimits[0].soft: 2 exceeds hard limit 1" },
        { VP("'rlimits':[{'type':'RLIMIT_CORE','soft':1,'hard':1},{'type':'RLIMIT_NOFILE','soft':1,'hard':1},"
             "{'type':'RLIMIT_NOFILE','soft':2,'hard':2}]"),
          "process.rlimits[2].type: duplicate rlimit 'RLIMIT_NOFILE'" },
        { VP("'noNewPrivileges':'true'"), "process.noNewPrivileges: expected a boolean, got a string" },
        { VP("'apparmorProfile':false"), "process.apparmorProfile: expected a string, got a boolean" },
        { VP("'selinuxLabel':{}"), "process.selinuxLabel: expected a string, got an object" },
        { VP("'oomScoreAdj':1001"), "process.oomScoreAdj: expected an integer in range -1000..1000, got 1001" },
        { VP("'oomScoreAdj':-1001"), "process.oomScoreAdj: expected an integer in range -1000..1000, got -1001" },
        { VP("'oomScoreAdj':1.5"), "process.oomScoreAdj: expected an integer, got a real number" },
        { VP("'scheduler':'SCHED_RR'"), "process.scheduler: expected an object, got a string" },
        { VP("'scheduler':{}"), "process.scheduler.policy: required" },
        { VP("'scheduler':{'policy':'SCHED_FAST'}"), "process.scheduler.policy: unknown policy 'SCHED_FAST'" },
        { VP("'scheduler':{'policy':'SCHED_RR','flags':['SCHED_FLAG_RECLAIM','SCHED_FLAG_X']}"),
          "process.scheduler.flags[1]: unknown flag 'SCHED_FLAG_X'" },
        { VP("'scheduler':{'policy':'SCHED_RR','nice':2147483648}"),
          "process.scheduler.nice: expected an integer in range -2147483648..2147483647, got 2147483648" },
        { VP("'scheduler':{'policy':'SCHED_RR','priority':'high'}"),
          "process.scheduler.priority: expected an integer, got a string" },
        { VP("'scheduler':{'policy':'SCHED_DEADLINE','runtime':-1}"),
          "process.scheduler.runtime: expected a non-negative integer, got -1" },
        { VP("'scheduler':{'policy':'SCHED_DEADLINE','deadline':true}"),
          "process.scheduler.deadline: expected an integer, got a boolean" },
        { VP("'scheduler':{'policy':'SCHED_DEADLINE','period':[]}"),
          "process.scheduler.period: expected an integer, got an array" },
        { VP("'ioPriority':{'priority':1}"), "process.ioPriority.class: required" },
        { VP("'ioPriority':{'class':'IOPRIO_CLASS_BE'}"), "process.ioPriority.priority: required" },
        { VP("'ioPriority':{'class':'IOPRIO_CLASS_BE','priority':8}"),
          "process.ioPriority.priority: expected an integer in range 0..7, got 8" },
        { VP("'ioPriority':{'class':'IOPRIO_CLASS_X','priority':1}"),
          "process.ioPriority.class: unknown class 'IOPRIO_CLASS_X'" },
        { VP("'execCPUAffinity':{'initial':0}"), "process.execCPUAffinity.initial: expected a string, got an integer" },
        { VP("'execCPUAffinity':{'final':[]}"), "process.execCPUAffinity.final: expected a string, got an array" },
        /* linux */
        { V "'linux':[]}", "linux: expected an object, got an array" },
        { VL("'namespaces':{}"), "linux.namespaces: expected an array, got an object" },
        { VL("'namespaces':['pid']"), "linux.namespaces[0]: expected an object, got a string" },
        { VL("'namespaces':[{}]"), "linux.namespaces[0].type: required" },
        { VL("'namespaces':[{'type':'pid'},{'type':'foo'}]"), "linux.namespaces[1].type: unknown namespace type 'foo'" },
        { VL("'namespaces':[{'type':'net'}]"), "linux.namespaces[0].type: unknown namespace type 'net'" },
        { VL("'namespaces':[{'type':'pid'},{'type':'uts'},{'type':'pid'}]"),
          "linux.namespaces[2].type: duplicate namespace type 'pid'" },
        { VL("'namespaces':[{'type':'network','path':'proc/1/ns/net'}]"),
          "linux.namespaces[0].path: must be an absolute path" },
        { VL("'namespaces':[{'type':'network','path':1}]"), "linux.namespaces[0].path: expected a string, got an integer" },
        { VL("'uidMappings':[{'containerID':0,'hostID':1000,'size':0}]"),
          "linux.uidMappings[0].size: expected an integer in range 1..4294967295, got 0" },
        { VL("'gidMappings':[{'containerID':0,'hostID':1,'size':1},{'containerID':-1,'hostID':1000,'size':1}]"),
          "linux.gidMappings[1].containerID: expected an integer in range 0..4294967295, got -1" },
        { VL("'gidMappings':[{'containerID':0,'size':1}]"), "linux.gidMappings[0].hostID: required" },
        { VL("'timeOffsets':[]"), "linux.timeOffsets: expected an object, got an array" },
        { VL("'timeOffsets':{'realtime':{'secs':1}}"), "linux.timeOffsets: unknown clock 'realtime'" },
        { VL("'timeOffsets':{'boottime':5}"), "linux.timeOffsets.boottime: expected an object, got an integer" },
        { VL("'timeOffsets':{'monotonic':{'nanosecs':1000000000}}"),
          "linux.timeOffsets.monotonic.nanosecs: expected an integer in range 0..999999999" },
        { VL("'timeOffsets':{'monotonic':{'secs':'1'}}"), "linux.timeOffsets.monotonic.secs: expected an integer, got a string" },
        { VL("'devices':{}"), "linux.devices: expected an array, got an object" },
        { VL("'devices':[{'path':'/dev/x','major':1,'minor':1}]"), "linux.devices[0].type: required" },
        { VL("'devices':[{'path':'/dev/x','type':'q','major':1,'minor':1}]"), "linux.devices[0].type: unknown device type 'q'" },
        { VL("'devices':[{'path':'/dev/x','type':'cc','major':1,'minor':1}]"), "linux.devices[0].type: unknown device type 'cc'" },
        { VL("'devices':[{'type':'c','major':1,'minor':1}]"), "linux.devices[0].path: required" },
        { VL("'devices':[{'path':'dev/x','type':'c','major':1,'minor':1}]"), "linux.devices[0].path: must be an absolute path" },
        { VL("'devices':[{'path':'/dev/x','type':'c','minor':1}]"), "linux.devices[0].major: required for type 'c'" },
        { VL("'devices':[{'path':'/dev/x','type':'b','major':1}]"), "linux.devices[0].minor: required for type 'b'" },
        { VL("'devices':[{'path':'/dev/x','type':'u','minor':1}]"), "linux.devices[0].major: required for type 'u'" },
        { VL("'devices':[{'path':'/dev/x','type':'c','major':-1,'minor':1}]"), "linux.devices[0].major: expected an integer in range 0..4294967295, got -1" },
        { VL("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1,'fileMode':-1}]"), "linux.devices[0].fileMode" },
        { VL("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1,'uid':'root'}]"), "linux.devices[0].uid: expected an integer, got a string" },
        { VL("'devices':[{'path':'/dev/x','type':'c','major':1,'minor':1,'gid':4294967296}]"), "linux.devices[0].gid: expected an integer in range" },
        { VL("'cgroupsPath':1"), "linux.cgroupsPath: expected a string, got an integer" },
        { VL("'rootfsPropagation':'rshared2'"), "linux.rootfsPropagation: unknown propagation 'rshared2'" },
        { VL("'rootfsPropagation':''"), "linux.rootfsPropagation: unknown propagation ''" },
        { VL("'sysctl':[]"), "linux.sysctl: expected an object, got an array" },
        { VL("'sysctl':{'net.ipv4.ip_forward':1}"), "linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, got an integer" },
        { VL("'maskedPaths':['/proc/kcore','proc/keys']"), "linux.maskedPaths[1]: must be an absolute path, got 'proc/keys'" },
        { VL("'maskedPaths':[1]"), "linux.maskedPaths[0]: expected a string, got an integer" },
        { VL("'readonlyPaths':'/proc'"), "linux.readonlyPaths: expected an array, got a string" },
        { VL("'readonlyPaths':['']"), "linux.readonlyPaths[0]: must be an absolute path" },
        { VL("'mountLabel':true"), "linux.mountLabel: expected a string, got a boolean" },
        { VL("'personality':'LINUX'"), "linux.personality: expected an object, got a string" },
        { VL("'personality':{}"), "linux.personality.domain: required" },
        { VL("'personality':{'domain':'LINUX64'}"), "linux.personality.domain: unknown domain 'LINUX64'" },
        { VL("'personality':{'domain':'LINUX','flags':[1]}"), "linux.personality.flags[0]: expected a string, got an integer" },
        /* linux.seccomp */
        { VL("'seccomp':[]"), "linux.seccomp: expected an object, got an array" },
        { VL("'seccomp':{}"), "linux.seccomp.defaultAction: required" },
        { VL("'seccomp':{'defaultAction':1}"), "linux.seccomp.defaultAction: expected a string, got an integer" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':-1}"),
          "linux.seccomp.defaultErrnoRet: expected an integer in range 0..4294967295, got -1" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','architectures':'x86'}"),
          "linux.seccomp.architectures: expected an array, got a string" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','flags':[true]}"),
          "linux.seccomp.flags[0]: expected a string, got a boolean" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':5}"),
          "linux.seccomp.listenerPath: expected a string, got an integer" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','listenerMetadata':'m'}"),
          "linux.seccomp.listenerMetadata: set without listenerPath" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':{}}"),
          "linux.seccomp.syscalls: expected an array, got an object" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'action':'SCMP_ACT_ERRNO'}]}"),
          "linux.seccomp.syscalls[0].names: required" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'SCMP_ACT_ERRNO'}]}"),
          "linux.seccomp.syscalls[0].names: must not be empty" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read']}]}"),
          "linux.seccomp.syscalls[0].action: required" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'SCMP_ACT_ERRNO','errnoRet':'EPERM'}]}"),
          "linux.seccomp.syscalls[0].errnoRet: expected an integer, got a string" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'A',"
             "'args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}"),
          "linux.seccomp.syscalls[0].args[0].index: expected an integer in range 0..5, got 6" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'A',"
             "'args':[{'index':0,'value':1,'op':'SCMP_CMP_EQ'},{'index':1,'op':'SCMP_CMP_EQ'}]}]}"),
          "linux.seccomp.syscalls[0].args[1].value: required" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'A',"
             "'args':[{'index':0,'value':1}]}]}"),
          "linux.seccomp.syscalls[0].args[0].op: required" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'A',"
             "'args':[{'index':0,'value':-1,'op':'SCMP_CMP_EQ'}]}]}"),
          "linux.seccomp.syscalls[0].args[0].value: expected a non-negative integer, got -1" },
        { VL("'seccomp':{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read'],'action':'A',"
             "'args':[{'index':0,'value':1,'valueTwo':-1,'op':'SCMP_CMP_EQ'}]}]}"),
          "linux.seccomp.syscalls[0].args[0].valueTwo: expected a non-negative integer, got -1" },
        /* linux.resources */
        { VL("'resources':[]"), "linux.resources: expected an object, got an array" },
        { VR("'devices':{}"), "linux.resources.devices: expected an array, got an object" },
        { VR("'devices':[{'access':'rwm'}]"), "linux.resources.devices[0].allow: required" },
        { VR("'devices':[{'allow':'yes'}]"), "linux.resources.devices[0].allow: expected a boolean, got a string" },
        { VR("'devices':[{'allow':true,'type':'x'}]"), "linux.resources.devices[0].type: unknown device type 'x'" },
        { VR("'devices':[{'allow':true,'type':'p'}]"), "linux.resources.devices[0].type: unknown device type 'p'" },
        { VR("'devices':[{'allow':true,'access':'rwx'}]"), "linux.resources.devices[0].access: expected a subset of 'rwm', got 'rwx'" },
        { VR("'devices':[{'allow':true,'major':-2}]"), "linux.resources.devices[0].major: expected an integer >= -1, got -2" },
        { VR("'devices':[{'allow':true,'minor':'*'}]"), "linux.resources.devices[0].minor: expected an integer, got a string" },
        { VR("'memory':[]"), "linux.resources.memory: expected an object, got an array" },
        { VR("'memory':{'limit':'1G'}"), "linux.resources.memory.limit: expected an integer, got a string" },
        { VR("'memory':{'limit':-2}"), "linux.resources.memory.limit: expected an integer >= -1, got -2" },
        { VR("'memory':{'reservation':-2}"), "linux.resources.memory.reservation: expected an integer >= -1, got -2" },
        { VR("'memory':{'swap':-2}"), "linux.resources.memory.swap: expected an integer >= -1, got -2" },
        { VR("'memory':{'kernel':'x'}"), "linux.resources.memory.kernel: expected an integer, got a string" },
        { VR("'memory':{'kernelTCP':1.5}"), "linux.resources.memory.kernelTCP: expected an integer, got a real number" },
        { VR("'memory':{'swappiness':-1}"), "linux.resources.memory.swappiness: expected a non-negative integer, got -1" },
        { VR("'memory':{'disableOOMKiller':1}"), "linux.resources.memory.disableOOMKiller: expected a boolean, got an integer" },
        { VR("'memory':{'useHierarchy':'true'}"), "linux.resources.memory.useHierarchy: expected a boolean, got a string" },
        { VR("'memory':{'checkBeforeUpdate':null,'limit':{}}"), "linux.resources.memory.limit: expected an integer, got an object" },
        { VR("'cpu':{'shares':-1}"), "linux.resources.cpu.shares: expected a non-negative integer, got -1" },
        { VR("'cpu':{'quota':-2}"), "linux.resources.cpu.quota: expected an integer >= -1, got -2" },
        { VR("'cpu':{'burst':-1}"), "linux.resources.cpu.burst: expected a non-negative integer" },
        { VR("'cpu':{'period':'100ms'}"), "linux.resources.cpu.period: expected an integer, got a string" },
        { VR("'cpu':{'realtimeRuntime':-5}"), "linux.resources.cpu.realtimeRuntime: expected an integer >= -1, got -5" },
        { VR("'cpu':{'realtimePeriod':-5}"), "linux.resources.cpu.realtimePeriod: expected a non-negative integer" },
        { VR("'cpu':{'cpus':0}"), "linux.resources.cpu.cpus: expected a string, got an integer" },
        { VR("'cpu':{'mems':[0]}"), "linux.resources.cpu.mems: expected a string, got an array" },
        { VR("'cpu':{'idle':2}"), "linux.resources.cpu.idle: expected an integer in range 0..1, got 2" },
        { VR("'pids':{}"), "linux.resources.pids.limit: required" },
        { VR("'pids':{'limit':'max'}"), "linux.resources.pids.limit: expected an integer, got a string" },
        { VR("'pids':{'limit':-2}"), "linux.resources.pids.limit: expected an integer >= -1, got -2" },
        { VR("'blockIO':[]"), "linux.resources.blockIO: expected an object, got an array" },
        { VR("'blockIO':{'weight':65536}"), "linux.resources.blockIO.weight: expected an integer in range 0..65535, got 65536" },
        { VR("'blockIO':{'leafWeight':-1}"), "linux.resources.blockIO.leafWeight: expected an integer in range 0..65535, got -1" },
        { VR("'blockIO':{'weightDevice':[{'major':8,'minor':0}]}"),
          "linux.resources.blockIO.weightDevice[0]: weight or leafWeight required" },
        { VR("'blockIO':{'weightDevice':[{'minor':0,'weight':1}]}"), "linux.resources.blockIO.weightDevice[0].major: required" },
        { VR("'blockIO':{'weightDevice':[{'major':8,'minor':0,'weight':70000}]}"),
          "linux.resources.blockIO.weightDevice[0].weight: expected an integer in range 0..65535" },
        { VR("'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0}]}"),
          "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required" },
        { VR("'blockIO':{'throttleWriteBpsDevice':[{'major':8,'minor':0,'rate':-1}]}"),
          "linux.resources.blockIO.throttleWriteBpsDevice[0].rate: expected a non-negative integer, got -1" },
        { VR("'blockIO':{'throttleReadIOPSDevice':[{'major':-8,'minor':0,'rate':1}]}"),
          "linux.resources.blockIO.throttleReadIOPSDevice[0].major: expected a non-negative integer, got -8" },
        { VR("'blockIO':{'throttleWriteIOPSDevice':[{'major':8,'rate':1}]}"),
          "linux.resources.blockIO.throttleWriteIOPSDevice[0].minor: required" },
        { VR("'hugepageLimits':{}"), "linux.resources.hugepageLimits: expected an array, got an object" },
        { VR("'hugepageLimits':[{'limit':1}]"), "linux.resources.hugepageLimits[0].pageSize: required" },
        { VR("'hugepageLimits':[{'pageSize':'2MB','limit':-1}]"),
          "linux.resources.hugepageLimits[0].limit: expected a non-negative integer, got -1" },
        { VR("'network':{'classID':-1}"), "linux.resources.network.classID: expected an integer in range 0..4294967295, got -1" },
        { VR("'network':{'priorities':[{'name':'eth0'}]}"), "linux.resources.network.priorities[0].priority: required" },
        { VR("'network':{'priorities':[{'priority':1}]}"), "linux.resources.network.priorities[0].name: required" },
        { VR("'network':{'priorities':[{'name':'lo','priority':-1}]}"),
          "linux.resources.network.priorities[0].priority: expected an integer in range 0..4294967295, got -1" },
        { VR("'unified':[]"), "linux.resources.unified: expected an object, got an array" },
        { VR("'unified':{'memory.max':5}"), "linux.resources.unified[\"memory.max\"]: expected a string, got an integer" },
};

static void test_invalid_table(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(invalid_docs); i++) {
                _cleanup_free_ char *msg = parse_fail(invalid_docs[i].doc, EINVAL);
                if (!strstr(msg, invalid_docs[i].msg))
                        fail_msg("entry %zu: expected '%s' in error '%s'\nfor: %s", i,
                                 invalid_docs[i].msg, msg, invalid_docs[i].doc);
        }
}

/* ---- a document using every field ---- */

static const char full_doc[] =
        "{'ociVersion':'1.1.0',"
        " 'process':{'terminal':true,'consoleSize':{'height':25,'width':80},"
        "  'user':{'uid':1,'gid':2,'umask':63,'additionalGids':[5,6],'username':'u'},"
        "  'args':['sh','-c','true'],'commandLine':'cmd','env':['PATH=/bin','TERM=xterm'],"
        "  'cwd':'/root',"
        "  'capabilities':{'bounding':['CAP_KILL'],'effective':['CAP_KILL','CAP_CHOWN'],"
        "   'inheritable':[],'permitted':['CAP_KILL'],'ambient':['CAP_NET_BIND_SERVICE']},"
        "  'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':512},"
        "   {'type':'RLIMIT_CORE','hard':0,'soft':0}],"
        "  'noNewPrivileges':true,'apparmorProfile':'acme','oomScoreAdj':-500,"
        "  'selinuxLabel':'system_u:system_r:container_t:s0',"
        "  'ioPriority':{'class':'IOPRIO_CLASS_IDLE','priority':4},"
        "  'scheduler':{'policy':'SCHED_DEADLINE','nice':-5,'priority':3,"
        "   'flags':['SCHED_FLAG_RESET_ON_FORK'],'runtime':100,'deadline':200,'period':300},"
        "  'execCPUAffinity':{'initial':'0-3,7','final':'4'}},"
        " 'root':{'path':'rootfs','readonly':true},"
        " 'hostname':'box','domainname':'example.org',"
        " 'mounts':[{'destination':'/proc','type':'proc','source':'proc'},"
        "  {'destination':'data','source':'/srv','options':['rbind','ro'],"
        "   'uidMappings':[{'containerID':0,'hostID':1000,'size':10}],"
        "   'gidMappings':[{'containerID':1,'hostID':2000,'size':20}]}],"
        " 'hooks':{'prestart':[{'path':'/bin/pre','args':['pre','x'],'env':['A=1'],'timeout':5}],"
        "  'createRuntime':[{'path':'/bin/cr'},{'path':'/bin/cr2'}],"
        "  'createContainer':[{'path':'/bin/cc'}],'startContainer':[{'path':'/bin/sc'}],"
        "  'poststart':[{'path':'/bin/ps'}],'poststop':[{'path':'/bin/pst','timeout':1}]},"
        " 'annotations':{'org.example.key':'value','b':''},"
        " 'linux':{"
        "  'namespaces':[{'type':'pid'},{'type':'network','path':'/proc/1/ns/net'},"
        "   {'type':'mount'},{'type':'user'},{'type':'cgroup'},{'type':'time'}],"
        "  'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
        "  'gidMappings':[{'containerID':0,'hostID':200000,'size':1000},"
        "   {'containerID':1000,'hostID':300000,'size':1}],"
        "  'timeOffsets':{'monotonic':{'secs':-10,'nanosecs':500},'boottime':{'secs':86400}},"
        "  'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':438,"
        "    'uid':7,'gid':8},"
        "   {'path':'/dev/fifo','type':'p'}],"
        "  'cgroupsPath':'/lade/box',"
        "  'resources':{"
        "   'devices':[{'allow':false,'access':'rwm'},"
        "    {'allow':true,'type':'c','major':10,'minor':229,'access':'rw'},"
        "    {'allow':true,'type':'b','major':-1}],"
        "   'memory':{'limit':536870912,'reservation':268435456,'swap':-1,'kernel':-1,"
        "    'kernelTCP':1048576,'swappiness':60,'disableOOMKiller':false,'useHierarchy':true,"
        "    'checkBeforeUpdate':true},"
        "   'cpu':{'shares':1024,'quota':-1,'burst':1000,'period':100000,"
        "    'realtimeRuntime':950000,'realtimePeriod':1000000,'cpus':'0-3','mems':'0','idle':1},"
        "   'pids':{'limit':32768},"
        "   'blockIO':{'weight':500,'leafWeight':300,"
        "    'weightDevice':[{'major':8,'minor':0,'weight':600},{'major':8,'minor':16,'leafWeight':100}],"
        "    'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':1048576}],"
        "    'throttleWriteBpsDevice':[{'major':8,'minor':1,'rate':2}],"
        "    'throttleReadIOPSDevice':[{'major':8,'minor':2,'rate':3}],"
        "    'throttleWriteIOPSDevice':[{'major':8,'minor':3,'rate':4}]},"
        "   'hugepageLimits':[{'pageSize':'2MB','limit':209715200},{'pageSize':'1GB','limit':0}],"
        "   'network':{'classID':1048577,'priorities':[{'name':'eth0','priority':500},"
        "    {'name':'lo','priority':0}]},"
        "   'rdma':{'mlx5_1':{'hcaHandles':3,'hcaObjects':10000}},"
        "   'unified':{'io.max':'8:0 rbps=1024','memory.high':'1G'}},"
        "  'rootfsPropagation':'rslave',"
        "  'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,"
        "   'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86'],'flags':['SECCOMP_FILTER_FLAG_LOG'],"
        "   'listenerPath':'/run/agent.sock','listenerMetadata':'meta',"
        "   'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"
        "    {'names':['personality'],'action':'SCMP_ACT_ERRNO','errnoRet':38,"
        "     'args':[{'index':0,'value':8,'op':'SCMP_CMP_EQ'},"
        "      {'index':1,'value':4294967295,'valueTwo':16,'op':'SCMP_CMP_MASKED_EQ'}]}]},"
        "  'sysctl':{'net.ipv4.ip_forward':'1','kernel.shmmax':'4096'},"
        "  'maskedPaths':['/proc/kcore','/sys/firmware'],'readonlyPaths':['/proc/sys'],"
        "  'mountLabel':'system_u:object_r:container_file_t:s0',"
        "  'personality':{'domain':'LINUX32','flags':[]},"
        "  'intelRdt':{'closID':'guaranteed'},'futureKey':{'anything':[1,2]}},"
        " 'windows':{'layerFolders':[]},'futureTopLevel':42}";

static void assert_strv(char **v, const char *const *expected, size_t n)
{
        assert_non_null(v);
        assert_int_equal(strv_length(v), n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(v[i], expected[i]);
}
#define ASSERT_STRV(v, ...)                                                          \
        do {                                                                         \
                static const char *const _e[] = { __VA_ARGS__ };                     \
                assert_strv(v, _e, ELEMENTSOF(_e));                                  \
        } while (0)

static void assert_opt_i64(OptI64 o, int64_t v)
{
        assert_true(o.set);
        assert_int_equal(o.v, v);
}
static void assert_opt_u64(OptU64 o, uint64_t v)
{
        assert_true(o.set);
        assert_int_equal(o.v, v);
}
static void assert_opt_bool(OptBool o, bool v)
{
        assert_true(o.set);
        assert_int_equal(o.v, v);
}

static void test_full_process(void **state)
{
        _cleanup_(spec_freep) Spec *s = parse_ok(full_doc);
        SpecProcess *p = s->process;
        assert_non_null(p);
        assert_true(p->terminal);
        assert_opt_u64(p->console_height, 25);
        assert_opt_u64(p->console_width, 80);
        assert_int_equal(p->user.uid, 1);
        assert_int_equal(p->user.gid, 2);
        assert_opt_u64(p->user.umask, 63);
        assert_int_equal(p->user.n_additional_gids, 2);
        assert_int_equal(p->user.additional_gids[0], 5);
        assert_int_equal(p->user.additional_gids[1], 6);
        assert_string_equal(p->user.username, "u");
        ASSERT_STRV(p->args, "sh", "-c", "true");
        assert_string_equal(p->command_line, "cmd");
        ASSERT_STRV(p->env, "PATH=/bin", "TERM=xterm");
        assert_string_equal(p->cwd, "/root");
        assert_true(p->has_caps);
        ASSERT_STRV(p->caps.bounding, "CAP_KILL");
        ASSERT_STRV(p->caps.effective, "CAP_KILL", "CAP_CHOWN");
        assert_non_null(p->caps.inheritable);
        assert_null(p->caps.inheritable[0]);
        ASSERT_STRV(p->caps.permitted, "CAP_KILL");
        ASSERT_STRV(p->caps.ambient, "CAP_NET_BIND_SERVICE");
        assert_int_equal(p->n_rlimits, 2);
        assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
        assert_string_equal(p->rlimits[0].type, "RLIMIT_NOFILE");
        assert_int_equal(p->rlimits[0].soft, 512);
        assert_int_equal(p->rlimits[0].hard, 1024);
        assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
        assert_true(p->no_new_privileges);
        assert_string_equal(p->apparmor_profile, "acme");
        assert_opt_i64(p->oom_score_adj, -500);
        assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0");
        assert_true(p->io_priority.set);
        assert_string_equal(p->io_priority.klass, "IOPRIO_CLASS_IDLE");
        assert_int_equal(p->io_priority.priority, 4);
        assert_true(p->scheduler.set);
        assert_string_equal(p->scheduler.policy, "SCHED_DEADLINE");
        assert_opt_i64(p->scheduler.nice, -5);
        assert_opt_i64(p->scheduler.priority, 3);
        ASSERT_STRV(p->scheduler.flags, "SCHED_FLAG_RESET_ON_FORK");
        assert_opt_u64(p->scheduler.runtime, 100);
        assert_opt_u64(p->scheduler.deadline, 200);
        assert_opt_u64(p->scheduler.period, 300);
        assert_string_equal(p->exec_cpu_affinity_initial, "0-3,7");
        assert_string_equal(p->exec_cpu_affinity_final, "4");
}

static void test_full_top(void **state)
{
        _cleanup_(spec_freep) Spec *s = parse_ok(full_doc);
        assert_string_equal(s->oci_version, "1.1.0");
        assert_string_equal(s->root_path, "rootfs");
        assert_true(s->root_readonly);
        assert_string_equal(s->hostname, "box");
        assert_string_equal(s->domainname, "example.org");

        assert_int_equal(s->n_mounts, 2);
        assert_string_equal(s->mounts[0].destination, "/proc");
        assert_string_equal(s->mounts[0].type, "proc");
        assert_string_equal(s->mounts[0].source, "proc");
        assert_null(s->mounts[0].options);
        assert_string_equal(s->mounts[1].destination, "data");
        assert_null(s->mounts[1].type);
        ASSERT_STRV(s->mounts[1].options, "rbind", "ro");
        assert_int_equal(s->mounts[1].n_uid_mappings, 1);
        assert_int_equal(s->mounts[1].uid_mappings[0].host_id, 1000);
        assert_int_equal(s->mounts[1].uid_mappings[0].size, 10);
        assert_int_equal(s->mounts[1].n_gid_mappings, 1);
        assert_int_equal(s->mounts[1].gid_mappings[0].container_id, 1);
        assert_int_equal(s->mounts[1].gid_mappings[0].host_id, 2000);

        for (int k = 0; k < _SPEC_HOOK_MAX; k++)
                assert_int_equal(s->n_hooks[k], k == SPEC_HOOK_CREATE_RUNTIME ? 2 : 1);
        SpecHook *h = &s->hooks[SPEC_HOOK_PRESTART][0];
        assert_string_equal(h->path, "/bin/pre");
        ASSERT_STRV(h->args, "pre", "x");
        ASSERT_STRV(h->env, "A=1");
        assert_opt_i64(h->timeout, 5);
        assert_string_equal(s->hooks[SPEC_HOOK_CREATE_RUNTIME][1].path, "/bin/cr2");
        assert_false(s->hooks[SPEC_HOOK_CREATE_RUNTIME][1].timeout.set);
        assert_string_equal(s->hooks[SPEC_HOOK_CREATE_CONTAINER][0].path, "/bin/cc");
        assert_string_equal(s->hooks[SPEC_HOOK_START_CONTAINER][0].path, "/bin/sc");
        assert_string_equal(s->hooks[SPEC_HOOK_POSTSTART][0].path, "/bin/ps");
        assert_opt_i64(s->hooks[SPEC_HOOK_POSTSTOP][0].timeout, 1);

        assert_int_equal(s->n_annotations, 2);
        assert_string_equal(s->annotations[0].key, "org.example.key");
        assert_string_equal(s->annotations[0].value, "value");
        assert_string_equal(s->annotations[1].key, "b");
        assert_string_equal(s->annotations[1].value, "");

        /* the document is kept as parsed, unknown keys included */
        assert_non_null(s->json);
        assert_int_equal(json_integer_value(json_object_get(s->json, "futureTopLevel")), 42);
}

static void test_full_linux(void **state)
{
        _cleanup_(spec_freep) Spec *s = parse_ok(full_doc);
        SpecLinux *l = &s->linux_;
        static const bool present[_SPEC_NS_MAX] = {
                [SPEC_NS_PID] = true, [SPEC_NS_NETWORK] = true, [SPEC_NS_MOUNT] = true,
                [SPEC_NS_USER] = true, [SPEC_NS_CGROUP] = true, [SPEC_NS_TIME] = true,
        };
        for (int t = 0; t < _SPEC_NS_MAX; t++)
                assert_int_equal(l->namespaces[t].present, present[t]);
        assert_string_equal(l->namespaces[SPEC_NS_NETWORK].path, "/proc/1/ns/net");
        assert_null(l->namespaces[SPEC_NS_PID].path);

        assert_int_equal(l->n_uid_mappings, 1);
        assert_int_equal(l->uid_mappings[0].container_id, 0);
        assert_int_equal(l->uid_mappings[0].host_id, 100000);
        assert_int_equal(l->uid_mappings[0].size, 65536);
        assert_int_equal(l->n_gid_mappings, 2);
        assert_int_equal(l->gid_mappings[1].container_id, 1000);
        assert_int_equal(l->gid_mappings[1].host_id, 300000);
        assert_int_equal(l->gid_mappings[1].size, 1);

        assert_true(l->time_monotonic.set);
        assert_int_equal(l->time_monotonic.secs, -10);
        assert_int_equal(l->time_monotonic.nanosecs, 500);
        assert_true(l->time_boottime.set);
        assert_int_equal(l->time_boottime.secs, 86400);
        assert_int_equal(l->time_boottime.nanosecs, 0);

        assert_int_equal(l->n_devices, 2);
        assert_string_equal(l->devices[0].path, "/dev/fuse");
        assert_int_equal(l->devices[0].type, 'c');
        assert_int_equal(l->devices[0].major, 10);
        assert_int_equal(l->devices[0].minor, 229);
        assert_opt_u64(l->devices[0].file_mode, 0666);
        assert_opt_u64(l->devices[0].uid, 7);
        assert_opt_u64(l->devices[0].gid, 8);
        assert_int_equal(l->devices[1].type, 'p');
        assert_false(l->devices[1].file_mode.set);

        assert_string_equal(l->cgroups_path, "/lade/box");
        assert_string_equal(l->rootfs_propagation, "rslave");
        assert_int_equal(l->n_sysctl, 2);
        assert_string_equal(l->sysctl[0].key, "net.ipv4.ip_forward");
        assert_string_equal(l->sysctl[0].value, "1");
        assert_string_equal(l->sysctl[1].key, "kernel.shmmax");
        ASSERT_STRV(l->masked_paths, "/proc/kcore", "/sys/firmware");
        ASSERT_STRV(l->readonly_paths, "/proc/sys");
        assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0");
        assert_true(l->has_personality);
        assert_string_equal(l->personality_domain, "LINUX32");
        assert_non_null(l->personality_flags);
        assert_null(l->personality_flags[0]);
}

static void test_full_seccomp(void **state)
{
        _cleanup_(spec_freep) Spec *s = parse_ok(full_doc);
        SpecSeccomp *sc = s->linux_.seccomp;
        assert_non_null(sc);
        assert_string_equal(sc->default_action, "SCMP_ACT_ERRNO");
        assert_opt_u64(sc->default_errno_ret, 1);
        ASSERT_STRV(sc->architectures, "SCMP_ARCH_X86_64", "SCMP_ARCH_X86");
        ASSERT_STRV(sc->flags, "SECCOMP_FILTER_FLAG_LOG");
        assert_string_equal(sc->listener_path, "/run/agent.sock");
        assert_string_equal(sc->listener_metadata, "meta");
        assert_int_equal(sc->n_syscalls, 2);
        ASSERT_STRV(sc->syscalls[0].names, "read", "write");
        assert_string_equal(sc->syscalls[0].action, "SCMP_ACT_ALLOW");
        assert_false(sc->syscalls[0].errno_ret.set);
        assert_int_equal(sc->syscalls[0].n_args, 0);
        assert_null(sc->syscalls[0].args);
        SpecSeccompRule *rule = &sc->syscalls[1];
        assert_opt_u64(rule->errno_ret, 38);
        assert_int_equal(rule->n_args, 2);
        assert_int_equal(rule->args[0].index, 0);
        assert_int_equal(rule->args[0].value, 8);
        assert_int_equal(rule->args[0].value_two, 0);
        assert_string_equal(rule->args[0].op, "SCMP_CMP_EQ");
        assert_int_equal(rule->args[1].index, 1);
        assert_int_equal(rule->args[1].value, 4294967295u);
        assert_int_equal(rule->args[1].value_two, 16);
        assert_string_equal(rule->args[1].op, "SCMP_CMP_MASKED_EQ");
}

static void check_full_resources(const SpecResources *r)
{
        assert_true(r->has_devices);
        assert_int_equal(r->n_devices, 3);
        assert_false(r->devices[0].allow);
        assert_int_equal(r->devices[0].type, 'a');
        assert_false(r->devices[0].major.set);
        assert_string_equal(r->devices[0].access, "rwm");
        assert_true(r->devices[1].allow);
        assert_int_equal(r->devices[1].type, 'c');
        assert_opt_i64(r->devices[1].major, 10);
        assert_opt_i64(r->devices[1].minor, 229);
        assert_string_equal(r->devices[1].access, "rw");
        assert_int_equal(r->devices[2].type, 'b');
        assert_opt_i64(r->devices[2].major, -1);
        assert_false(r->devices[2].minor.set);
        assert_null(r->devices[2].access);

        assert_opt_i64(r->memory.limit, 536870912);
        assert_opt_i64(r->memory.reservation, 268435456);
        assert_opt_i64(r->memory.swap, -1);
        assert_opt_i64(r->memory.kernel, -1);
        assert_opt_i64(r->memory.kernel_tcp, 1048576);
        assert_opt_u64(r->memory.swappiness, 60);
        assert_opt_bool(r->memory.disable_oom_killer, false);
        assert_opt_bool(r->memory.use_hierarchy, true);
        assert_opt_bool(r->memory.check_before_update, true);

        assert_opt_u64(r->cpu.shares, 1024);
        assert_opt_i64(r->cpu.quota, -1);
        assert_opt_u64(r->cpu.burst, 1000);
        assert_opt_u64(r->cpu.period, 100000);
        assert_opt_i64(r->cpu.realtime_runtime, 950000);
        assert_opt_u64(r->cpu.realtime_period, 1000000);
        assert_string_equal(r->cpu.cpus, "0-3");
        assert_string_equal(r->cpu.mems, "0");
        assert_opt_i64(r->cpu.idle, 1);
        assert_opt_i64(r->pids.limit, 32768);
}

static void check_full_resources_more(const SpecResources *r)
{
        assert_opt_u64(r->block_io.weight, 500);
        assert_opt_u64(r->block_io.leaf_weight, 300);
        assert_int_equal(r->block_io.n_weight_device, 2);
        assert_int_equal(r->block_io.weight_device[0].major, 8);
        assert_opt_u64(r->block_io.weight_device[0].weight, 600);
        assert_false(r->block_io.weight_device[0].leaf_weight.set);
        assert_int_equal(r->block_io.weight_device[1].minor, 16);
        assert_opt_u64(r->block_io.weight_device[1].leaf_weight, 100);
        assert_int_equal(r->block_io.n_throttle_read_bps, 1);
        assert_int_equal(r->block_io.throttle_read_bps[0].rate, 1048576);
        assert_int_equal(r->block_io.n_throttle_write_bps, 1);
        assert_int_equal(r->block_io.throttle_write_bps[0].minor, 1);
        assert_int_equal(r->block_io.throttle_write_bps[0].rate, 2);
        assert_int_equal(r->block_io.throttle_read_iops[0].rate, 3);
        assert_int_equal(r->block_io.throttle_write_iops[0].minor, 3);
        assert_int_equal(r->block_io.throttle_write_iops[0].rate, 4);

        assert_int_equal(r->n_hugepage_limits, 2);
        assert_string_equal(r->hugepage_limits[0].page_size, "2MB");
        assert_int_equal(r->hugepage_limits[0].limit, 209715200);
        assert_string_equal(r->hugepage_limits[1].page_size, "1GB");
        assert_int_equal(r->hugepage_limits[1].limit, 0);

        assert_opt_u64(r->network.class_id, 1048577);
        assert_int_equal(r->network.n_priorities, 2);
        assert_string_equal(r->network.priorities[0].key, "eth0");
        assert_string_equal(r->network.priorities[0].value, "500");
        assert_string_equal(r->network.priorities[1].key, "lo");
        assert_string_equal(r->network.priorities[1].value, "0");

        assert_int_equal(r->n_unified, 2);
        assert_string_equal(r->unified[0].key, "io.max");
        assert_string_equal(r->unified[0].value, "8:0 rbps=1024");
        assert_string_equal(r->unified[1].key, "memory.high");
}

static void test_full_resources(void **state)
{
        _cleanup_(spec_freep) Spec *s = parse_ok(full_doc);
        assert_non_null(s->linux_.resources);
        check_full_resources(s->linux_.resources);
        check_full_resources_more(s->linux_.resources);
}

/* ---- absent, empty and defaults ---- */

static void test_minimal(void **state)
{
        _cleanup_(spec_freep) Spec *s = parse_ok("{'ociVersion':'1.0.0'}");
        assert_string_equal(s->oci_version, "1.0.0");
        assert_null(s->process);
        assert_null(s->root_path);
        assert_false(s->root_readonly);
        assert_null(s->hostname);
        assert_null(s->mounts);
        assert_int_equal(s->n_mounts, 0);
        for (int k = 0; k < _SPEC_HOOK_MAX; k++)
                assert_int_equal(s->n_hooks[k], 0);
        assert_int_equal(s->n_annotations, 0);
        for (int t = 0; t < _SPEC_NS_MAX; t++)
                assert_false(s->linux_.namespaces[t].present);
        assert_null(s->linux_.resources);
        assert_null(s->linux_.seccomp);
        assert_null(s->linux_.masked_paths);
        assert_false(s->linux_.has_personality);
        assert_false(s->linux_.time_monotonic.set);
}

static void test_absent_vs_empty(void **state)
{
        _cleanup_(spec_freep) Spec *s = parse_ok(
                VP("'args':['sh'],'capabilities':{'bounding':[],'ambient':null}") );
        SpecProcess *p = s->process;
        assert_true(p->has_caps);
        assert_non_null(p->caps.bounding);
        assert_null(p->caps.bounding[0]);
        assert_null(p->caps.ambient);
        assert_null(p->caps.effective);
        assert_null(p->env);
        assert_null(p->cwd);
        assert_int_equal(p->user.uid, 0);
        assert_false(p->user.umask.set);
        assert_false(p->oom_score_adj.set);
        assert_false(p->scheduler.set);
        assert_false(p->io_priority.set);
        assert_false(p->console_height.set);

        _cleanup_(spec_freep) Spec *s2 = parse_ok(VR("'devices':[],'memory':{}"));
        assert_true(s2->linux_.resources->has_devices);
        assert_int_equal(s2->linux_.resources->n_devices, 0);
        assert_false(s2->linux_.resources->memory.limit.set);

        _cleanup_(spec_freep) Spec *s3 = parse_ok(VR("'pids':{'limit':5}"));
        assert_false(s3->linux_.resources->has_devices);
        assert_null(s3->process);

        /* a null clock is skipped, not the end of the list */
        _cleanup_(spec_freep) Spec *s4 = parse_ok(
                VL("'timeOffsets':{'monotonic':null,'boottime':{'secs':5}}"));
        assert_false(s4->linux_.time_monotonic.set);
        assert_true(s4->linux_.time_boottime.set);
        assert_int_equal(s4->linux_.time_boottime.secs, 5);
}

/* ---- the standalone entry points ---- */

static json_t *load(const char *doc)
{
        _cleanup_free_ char *text = dq(doc);
        json_t *j = json_loads(text, 0, NULL);
        assert_non_null(j);
        return j;
}

static void test_parse_process_alone(void **state)
{
        _cleanup_json_ json_t *ok = load("{'args':['ls','-l'],'cwd':'/tmp','user':{'uid':5}}");
        _cleanup_json_ json_t *bad = load("{'args':['ls'],'cwd':'tmp'}");
        _cleanup_json_ json_t *arr = load("[1]");
        _cleanup_(spec_process_freep) SpecProcess *p = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;

        assert_int_equal(spec_parse_process(ok, "process", &p, &err), 0);
        ASSERT_STRV(p->args, "ls", "-l");
        assert_string_equal(p->cwd, "/tmp");
        assert_int_equal(p->user.uid, 5);

        SpecProcess *none = NULL;
        assert_int_equal(spec_parse_process(bad, "", &none, &err), -EINVAL);
        assert_null(none);
        assert_string_equal(err->msg, "cwd: must be an absolute path, got 'tmp'");
        err = lade_error_free(err);
        assert_int_equal(spec_parse_process(bad, "process.json", &none, &err), -EINVAL);
        assert_true(startswith(err->msg, "process.json.cwd: "));
        err = lade_error_free(err);
        assert_int_equal(spec_parse_process(arr, "process", &none, &err), -EINVAL);
        assert_string_equal(err->msg, "process: expected an object, got an array");
}

static void test_parse_resources_alone(void **state)
{
        _cleanup_json_ json_t *ok = load("{'memory':{'limit':1048576},'pids':{'limit':10}}");
        _cleanup_json_ json_t *bad = load("{'memory':{'limit':'1M'}}");
        _cleanup_(spec_resources_freep) SpecResources *r = NULL;
        _cleanup_(lade_error_freep) LadeError *err = NULL;

        assert_int_equal(spec_parse_resources(ok, NULL, &r, &err), 0);
        assert_opt_i64(r->memory.limit, 1048576);
        assert_opt_i64(r->pids.limit, 10);
        assert_false(r->has_devices);

        SpecResources *none = NULL;
        assert_int_equal(spec_parse_resources(bad, "", &none, &err), -EINVAL);
        assert_null(none);
        assert_string_equal(err->msg, "memory.limit: expected an integer, got a string");
        err = lade_error_free(err);
        assert_int_equal(spec_parse_resources(bad, "resources", &none, &err), -EINVAL);
        assert_string_equal(err->msg, "resources.memory.limit: expected an integer, got a string");
}

/* ---- names ---- */

static void test_names(void **state)
{
        static const char *const ns[] = { "pid", "network", "mount", "ipc", "uts", "user",
                                          "cgroup", "time" };
        static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
                                             "startContainer", "poststart", "poststop" };
        assert_int_equal(ELEMENTSOF(ns), _SPEC_NS_MAX);
        for (int t = 0; t < _SPEC_NS_MAX; t++) {
                assert_string_equal(spec_namespace_type_to_string(t), ns[t]);
                assert_int_equal(spec_namespace_type_from_string(ns[t]), t);
        }
        assert_int_equal(spec_namespace_type_from_string("net"), _SPEC_NS_INVALID);
        assert_int_equal(spec_namespace_type_from_string(NULL), _SPEC_NS_INVALID);
        assert_null(spec_namespace_type_to_string(_SPEC_NS_MAX));
        assert_null(spec_namespace_type_to_string(_SPEC_NS_INVALID));

        assert_int_equal(ELEMENTSOF(hooks), _SPEC_HOOK_MAX);
        for (int k = 0; k < _SPEC_HOOK_MAX; k++)
                assert_string_equal(spec_hook_kind_to_string(k), hooks[k]);
        assert_null(spec_hook_kind_to_string(_SPEC_HOOK_MAX));
        assert_null(spec_hook_kind_to_string(_SPEC_HOOK_INVALID));
}

static void test_rlimit_names(void **state)
{
        static const struct {
                const char *name;
                int resource;
        } t[] = {
                { "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },
                { "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_DATA", RLIMIT_DATA },
                { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_LOCKS", RLIMIT_LOCKS },
                { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
                { "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
                { "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_RSS", RLIMIT_RSS },
                { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
                { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
        };
        /* every resource the kernel has, each once */
        assert_int_equal(ELEMENTSOF(t), RLIM_NLIMITS);
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                assert_int_equal(spec_rlimit_from_string(t[i].name), t[i].resource);
        assert_int_equal(spec_rlimit_from_string("RLIMIT_FOO"), -EINVAL);
        assert_int_equal(spec_rlimit_from_string("rlimit_nofile"), -EINVAL);
        assert_int_equal(spec_rlimit_from_string(""), -EINVAL);
        assert_int_equal(spec_rlimit_from_string(NULL), -EINVAL);
}

static void test_free_null(void **state)
{
        assert_null(spec_free(NULL));
        assert_null(spec_process_free(NULL));
        assert_null(spec_resources_free(NULL));
}

/* ---- limits ---- */

static void test_too_big(void **state)
{
        size_t len = SPEC_MAX_BYTES + 1;
        _cleanup_free_ char *text = xmalloc(len);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Spec *s = NULL;

        memset(text, ' ', len);
        memcpy(text, "{\"ociVersion\":\"1\"}", 18);
        assert_int_equal(spec_parse(text, len, &s, &err), -EFBIG);
        assert_null(s);
        assert_non_null(strstr(err->msg, "config.json"));

        /* one byte less is fine: the limit is on the size, not the content */
        err = lade_error_free(err);
        assert_int_equal(spec_parse(text, len - 1, &s, &err), 0);
        s = spec_free(s);
}

/* {'ociVersion':'1','process':{'args':['a','a',...n]}} */
static char *doc_with_args(size_t n)
{
        _cleanup_json_ json_t *args = json_array();
        for (size_t i = 0; i < n; i++)
                assert_int_equal(json_array_append_new(args, json_string("a")), 0);
        _cleanup_json_ json_t *doc = json_pack("{s:s, s:{s:O}}", "ociVersion", "1", "process",
                                               "args", args);
        assert_non_null(doc);
        return json_dumps(doc, JSON_COMPACT);
}

static void test_array_limit(void **state)
{
        _cleanup_free_ char *ok = doc_with_args(SPEC_MAX_ARRAY);
        _cleanup_free_ char *bad = doc_with_args(SPEC_MAX_ARRAY + 1);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(spec_freep) Spec *s = NULL;

        assert_int_equal(spec_parse(ok, strlen(ok), &s, &err), 0);
        assert_int_equal(strv_length(s->process->args), SPEC_MAX_ARRAY);

        Spec *none = NULL;
        assert_int_equal(spec_parse(bad, strlen(bad), &none, &err), -EINVAL);
        assert_string_equal(err->msg, "process.args: more than 65536 entries");
}

static void test_deep_nesting(void **state)
{
        /* an unknown key holding 100000 nested arrays: jansson's depth limit stops it, and
         * nothing recurses on our side */
        size_t depth = 100000;
        static const char head[] = "{\"ociVersion\":\"1\",\"x\":";
        _cleanup_free_ char *text = xmalloc0(sizeof(head) + 2 * depth + 2);
        memcpy(text, head, sizeof(head) - 1);
        memset(text + sizeof(head) - 1, '[', depth);
        memset(text + sizeof(head) - 1 + depth, ']', depth);
        text[sizeof(head) - 1 + 2 * depth] = '}';
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Spec *s = NULL;
        assert_int_equal(spec_parse(text, strlen(text), &s, &err), -EINVAL);
        assert_non_null(strstr(err->msg, "config.json: invalid JSON"));
}

static void test_null_err(void **state)
{
        /* callers may not want the message */
        Spec *s = NULL;
        assert_int_equal(spec_parse("{}", 2, &s, NULL), -EINVAL);
        assert_int_equal(spec_parse("{", 1, &s, NULL), -EINVAL);
        assert_null(s);
}

/* ---- spec_load ---- */

static void test_load(void **state)
{
        char dir[] = "/tmp/lade-test-spec-XXXXXX";
        char path[PATH_MAX];
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        Spec *s = NULL;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(spec_load(dir, &s, &err), -ENOENT);
        assert_null(s);
        assert_non_null(strstr(err->msg, "open"));
        assert_non_null(strstr(err->msg, "config.json"));
        err = lade_error_free(err);

        snprintf(path, sizeof(path), "%s/config.json", dir);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs("{\"ociVersion\":\"1.1.0\",\"hostname\":\"h\"}", f);
        fclose(f);
        assert_int_equal(spec_load(dir, &s, &err), 0);
        assert_string_equal(s->hostname, "h");
        s = spec_free(s);

        f = fopen(path, "we");
        assert_non_null(f);
        fputs("{\"ociVersion\":\"1.1.0\",\"hostname\":1}", f);
        fclose(f);
        assert_int_equal(spec_load(dir, &s, &err), -EINVAL);
        assert_string_equal(err->msg, "hostname: expected a string, got an integer");

        (void) rm_rf_at(AT_FDCWD, dir);
}

/* ---- spec_default_json: runc's document ---- */

/* `runc spec` (1.1.5) output, ociVersion aside */
#define RUNC_DEFAULT \
        "{'ociVersion':'%s','process':{'terminal':true,'user':{'uid':0,'gid':0},'args':['sh']," \
        "'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin','TERM=xterm']," \
        "'cwd':'/','capabilities':{'bounding':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']," \
        "'effective':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']," \
        "'permitted':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']," \
        "'ambient':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']}," \
        "'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':1024}],'noNewPrivileges':true}," \
        "'root':{'path':'rootfs','readonly':true},'hostname':'runc'," \
        "'mounts':[{'destination':'/proc','type':'proc','source':'proc'}," \
        "{'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']}," \
        "{'destination':'/dev/pts','type':'devpts','source':'devpts','options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']}," \
        "{'destination':'/dev/shm','type':'tmpfs','source':'shm','options':['nosuid','noexec','nodev','mode=1777','size=65536k']}," \
        "{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid','noexec','nodev']}," \
        "{'destination':'/sys','type':'sysfs','source':'sysfs','options':['nosuid','noexec','nodev','ro']}," \
        "{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['nosuid','noexec','nodev','relatime','ro']}]," \
        "'linux':{'resources':{'devices':[{'allow':false,'access':'rwm'}]}," \
        "'namespaces':[{'type':'pid'},{'type':'network'},{'type':'ipc'},{'type':'uts'},{'type':'mount'}]," \
        "'maskedPaths':['/proc/acpi','/proc/asound','/proc/kcore','/proc/keys','/proc/latency_stats'," \
        "'/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/sys/firmware','/proc/scsi']," \
        "'readonlyPaths':['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']}}"

/* `runc spec --rootless` (1.1.5) output, ociVersion and host ids aside */
#define RUNC_ROOTLESS \
        "{'ociVersion':'%s','process':{'terminal':true,'user':{'uid':0,'gid':0},'args':['sh']," \
        "'env':['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin','TERM=xterm']," \
        "'cwd':'/','capabilities':{'bounding':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']," \
        "'effective':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']," \
        "'permitted':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']," \
        "'ambient':['CAP_AUDIT_WRITE','CAP_KILL','CAP_NET_BIND_SERVICE']}," \
        "'rlimits':[{'type':'RLIMIT_NOFILE','hard':1024,'soft':1024}],'noNewPrivileges':true}," \
        "'root':{'path':'rootfs','readonly':true},'hostname':'runc'," \
        "'mounts':[{'destination':'/proc','type':'proc','source':'proc'}," \
        "{'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']}," \
        "{'destination':'/dev/pts','type':'devpts','source':'devpts','options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620']}," \
        "{'destination':'/dev/shm','type':'tmpfs','source':'shm','options':['nosuid','noexec','nodev','mode=1777','size=65536k']}," \
        "{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid','noexec','nodev']}," \
        "{'destination':'/sys','type':'none','source':'/sys','options':['rbind','nosuid','noexec','nodev','ro']}," \
        "{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['nosuid','noexec','nodev','relatime','ro']}]," \
        "'linux':{'uidMappings':[{'containerID':0,'hostID':%u,'size':1}]," \
        "'gidMappings':[{'containerID':0,'hostID':%u,'size':1}]," \
        "'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'uts'},{'type':'mount'},{'type':'user'}]," \
        "'maskedPaths':['/proc/acpi','/proc/asound','/proc/kcore','/proc/keys','/proc/latency_stats'," \
        "'/proc/timer_list','/proc/timer_stats','/proc/sched_debug','/sys/firmware','/proc/scsi']," \
        "'readonlyPaths':['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']}}"

/* Same document, same key order. */
static void assert_same_doc(json_t *got, const char *expected_sq)
{
        _cleanup_json_ json_t *want = load(expected_sq);
        _cleanup_free_ char *a = json_dumps(got, JSON_COMPACT);
        _cleanup_free_ char *b = json_dumps(want, JSON_COMPACT);
        assert_string_equal(a, b);
}

static void test_default(void **state)
{
        _cleanup_free_ char *want = xasprintf(RUNC_DEFAULT, LADE_OCI_VERSION);
        _cleanup_json_ json_t *j = spec_default_json(false);
        assert_same_doc(j, want);

        /* and it parses */
        _cleanup_free_ char *text = json_dumps(j, 0);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(spec_freep) Spec *s = NULL;
        assert_int_equal(spec_parse(text, strlen(text), &s, &err), 0);
        assert_string_equal(s->oci_version, LADE_OCI_VERSION);
        ASSERT_STRV(s->process->args, "sh");
        assert_int_equal(s->process->rlimits[0].resource, RLIMIT_NOFILE);
        assert_int_equal(s->n_mounts, 7);
        assert_true(s->linux_.namespaces[SPEC_NS_NETWORK].present);
        assert_false(s->linux_.namespaces[SPEC_NS_USER].present);
        assert_int_equal(s->linux_.resources->n_devices, 1);
        assert_int_equal(s->linux_.resources->devices[0].type, 'a');
}

static void test_default_rootless(void **state)
{
        _cleanup_free_ char *want = xasprintf(RUNC_ROOTLESS, LADE_OCI_VERSION, (unsigned) geteuid(),
                                              (unsigned) getegid());
        _cleanup_json_ json_t *j = spec_default_json(true);
        assert_same_doc(j, want);

        _cleanup_free_ char *text = json_dumps(j, 0);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_(spec_freep) Spec *s = NULL;
        assert_int_equal(spec_parse(text, strlen(text), &s, &err), 0);
        assert_true(s->linux_.namespaces[SPEC_NS_USER].present);
        assert_false(s->linux_.namespaces[SPEC_NS_NETWORK].present);
        assert_null(s->linux_.resources);
        assert_int_equal(s->linux_.uid_mappings[0].host_id, geteuid());
        assert_int_equal(s->linux_.gid_mappings[0].host_id, getegid());
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_table),
                cmocka_unit_test(test_invalid_table),
                cmocka_unit_test(test_full_process),
                cmocka_unit_test(test_full_top),
                cmocka_unit_test(test_full_linux),
                cmocka_unit_test(test_full_seccomp),
                cmocka_unit_test(test_full_resources),
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_absent_vs_empty),
                cmocka_unit_test(test_parse_process_alone),
                cmocka_unit_test(test_parse_resources_alone),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_rlimit_names),
                cmocka_unit_test(test_free_null),
                cmocka_unit_test(test_too_big),
                cmocka_unit_test(test_array_limit),
                cmocka_unit_test(test_deep_nesting),
                cmocka_unit_test(test_null_err),
                cmocka_unit_test(test_load),
                cmocka_unit_test(test_default),
                cmocka_unit_test(test_default_rootless),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
