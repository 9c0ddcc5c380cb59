/* `docker run` / `docker create` command lines -> the create body, checked against what the
 * docker 28.2.2 CLI really sends: every expected fragment and message below was captured from
 * `docker -H unix://SOCK create|run ...` talking to a stub Engine API that logged the request
 * body (and, for errors, from docker's own output). Paths address subtrees of the body
 * ("HostConfig/PortBindings"); @CWD@ stands for the test's working directory, where the fixture
 * files (env.list, labels, sec.json, ...) are written. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-util.h"
#include "run-flags.h"
#include "util.h"

#define A(...) ((const char *const[]) { __VA_ARGS__, NULL })

typedef struct ValidCase {
        const char *const *argv;
        const char *path;   /* '/'-separated keys of the body */
        const char *json;   /* the expected subtree; NULL: the key is absent */
} ValidCase;

typedef struct ErrorCase {
        const char *const *argv;
        const char *message;
        int status;         /* docker's exit status */
} ErrorCase;

static const ValidCase valid_cases[] = {
        { A("create", "busybox"), "Image", "\"busybox\"" },
        { A("create", "busybox", "sh", "-c", "echo hi"), "Cmd", "[\"sh\",\"-c\",\"echo hi\"]" },
        { A("create", "busybox", "-it", "ls", "--rm"), "Cmd", "[\"-it\",\"ls\",\"--rm\"]" },
        { A("create", "--", "busybox", "ls"), "Cmd", "[\"ls\"]" },
        { A("create", "-i", "busybox"), "AttachStdin", "true" },
        { A("create", "-i", "busybox"), "OpenStdin", "true" },
        { A("create", "-i", "busybox"), "StdinOnce", "true" },
        { A("create", "-t", "busybox"), "Tty", "true" },
        { A("create", "-it", "busybox"), "AttachStdin", "true" },
        { A("create", "-it", "busybox"), "OpenStdin", "true" },
        { A("create", "-it", "busybox"), "StdinOnce", "true" },
        { A("create", "-it", "busybox"), "Tty", "true" },
        { A("create", "-tie=A=1", "busybox"), "AttachStdin", "true" },
        { A("create", "-tie=A=1", "busybox"), "Env", "[\"A=1\"]" },
        { A("create", "-tie=A=1", "busybox"), "OpenStdin", "true" },
        { A("create", "-tie=A=1", "busybox"), "StdinOnce", "true" },
        { A("create", "-tie=A=1", "busybox"), "Tty", "true" },
        { A("create", "--rm", "busybox"), "HostConfig/AutoRemove", "true" },
        { A("create", "--rm=false", "busybox"), "Image", "\"busybox\"" },
        { A("create", "--name", "foo", "busybox"), "Image", "\"busybox\"" },
        { A("create", "-e", "FOO=bar", "-e", "BAZ", "busybox"), "Env", "[\"FOO=bar\",\"BAZ\"]" },
        { A("create", "-e", "LADE_TEST_VAR", "-e", "A=1", "-e", "A=2", "-e", "B=", "busybox"), "Env", "[\"LADE_TEST_VAR=val\",\"A=2\",\"B=\"]" },
        { A("create", "-e=FOO=bar", "busybox"), "Env", "[\"FOO=bar\"]" },
        { A("create", "--env-file", "env.list", "-e", "X=1", "busybox"), "Env", "[\"FOO=bar\",\"BAZ=qux  \",\"HOME=/root\",\"X=1\"]" },
        { A("create", "--env-file", "env.list", "--env-file", "env.list", "busybox"), "Env", "[\"FOO=bar\",\"BAZ=qux  \",\"HOME=/root\",\"FOO=bar\",\"BAZ=qux  \",\"HOME=/root\"]" },
        { A("create", "-w", "/work", "busybox"), "WorkingDir", "\"/work\"" },
        { A("create", "-u", "1000:1000", "busybox"), "User", "\"1000:1000\"" },
        { A("create", "--user=nobody", "busybox"), "User", "\"nobody\"" },
        { A("create", "--entrypoint", "/bin/sh", "busybox"), "Entrypoint", "[\"/bin/sh\"]" },
        { A("create", "--entrypoint", "", "busybox"), "Entrypoint", "[\"\"]" },
        { A("create", "--entrypoint=", "busybox"), "Entrypoint", "[\"\"]" },
        { A("create", "-v", "/data", "busybox"), "Volumes", "{\"/data\":{}}" },
        { A("create", "-v", "/host:/ctr", "busybox"), "HostConfig/Binds", "[\"/host:/ctr\"]" },
        { A("create", "-v", "/data", "-v", "/data", "busybox"), "Volumes", "{\"/data\":{}}" },
        { A("create", "-v", "ab", "busybox"), "Volumes", "{\"ab\":{}}" },
        { A("create", "-v", "c:/x", "busybox"), "Volumes", "{\"c:/x\":{}}" },
        { A("create", "--tmpfs", "/run", "--tmpfs", "/tmp:rw,size=64m", "busybox"), "HostConfig/Tmpfs", "{\"/run\":\"\",\"/tmp\":\"rw,size=64m\"}" },
        { A("create", "-p", "80", "busybox"), "ExposedPorts", "{\"80/tcp\":{}}" },
        { A("create", "-p", "80", "busybox"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}" },
        { A("create", "-p", "8080:80", "busybox"), "ExposedPorts", "{\"80/tcp\":{}}" },
        { A("create", "-p", "8080:80", "busybox"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}" },
        { A("create", "-p8080:80", "busybox"), "ExposedPorts", "{\"80/tcp\":{}}" },
        { A("create", "-p8080:80", "busybox"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}" },
        { A("create", "-p", "127.0.0.1:8080:80/udp", "busybox"), "ExposedPorts", "{\"80/udp\":{}}" },
        { A("create", "-p", "127.0.0.1:8080:80/udp", "busybox"), "HostConfig/PortBindings", "{\"80/udp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"}]}" },
        { A("create", "-p", "8000-8002:80-82", "busybox"), "ExposedPorts", "{\"80/tcp\":{},\"81/tcp\":{},\"82/tcp\":{}}" },
        { A("create", "-p", "8000-8002:80-82", "busybox"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8000\"}],\"81/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8001\"}],\"82/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8002\"}]}" },
        { A("create", "-p", "8000-8010:80", "busybox"), "ExposedPorts", "{\"80/tcp\":{}}" },
        { A("create", "-p", "8000-8010:80", "busybox"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8000-8010\"}]}" },
        { A("create", "-p", "[::1]:80:80", "busybox"), "ExposedPorts", "{\"80/tcp\":{}}" },
        { A("create", "-p", "[::1]:80:80", "busybox"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":\"80\"}]}" },
        { A("create", "-p", "::1:80:80", "busybox"), "ExposedPorts", "{\"80/tcp\":{}}" },
        { A("create", "-p", "::1:80:80", "busybox"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"::1\",\"HostPort\":\"80\"}]}" },
        { A("create", "-p", "80", "-p", "8080:80", "-p", "9090:80/TCP", "busybox"), "ExposedPorts", "{\"80/tcp\":{}}" },
        { A("create", "-p", "80", "-p", "8080:80", "-p", "9090:80/TCP", "busybox"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"},{\"HostIp\":\"\",\"HostPort\":\"8080\"},{\"HostIp\":\"\",\"HostPort\":\"9090\"}]}" },
        { A("create", "-p", "1000-1002/sctp", "busybox"), "ExposedPorts", "{\"1000/sctp\":{},\"1001/sctp\":{},\"1002/sctp\":{}}" },
        { A("create", "-p", "1000-1002/sctp", "busybox"), "HostConfig/PortBindings", "{\"1000/sctp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],\"1001/sctp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}],\"1002/sctp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}" },
        { A("create", "-p", "published=8080,target=80", "busybox"), "ExposedPorts", "{\"80/tcp\":{}}" },
        { A("create", "-p", "published=8080,target=80", "busybox"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}" },
        { A("create", "-p", "published=8080,target=80,protocol=udp", "busybox"), "ExposedPorts", "{\"80/udp\":{}}" },
        { A("create", "-p", "published=8080,target=80,protocol=udp", "busybox"), "HostConfig/PortBindings", "{\"80/udp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}" },
        { A("create", "-P", "--expose", "80", "--expose", "1000-1002/udp", "busybox"), "ExposedPorts", "{\"1000/udp\":{},\"1001/udp\":{},\"1002/udp\":{},\"80/tcp\":{}}" },
        { A("create", "-P", "--expose", "80", "--expose", "1000-1002/udp", "busybox"), "HostConfig/PublishAllPorts", "true" },
        { A("create", "--expose", "80/UDP", "--expose", "81/", "busybox"), "ExposedPorts", "{\"80/UDP\":{},\"81/tcp\":{}}" },
        { A("create", "--network", "host", "busybox"), "HostConfig/NetworkMode", "\"host\"" },
        { A("create", "--network", "host", "busybox"), "NetworkingConfig/EndpointsConfig", "{}" },
        { A("create", "--net", "none", "busybox"), "HostConfig/NetworkMode", "\"none\"" },
        { A("create", "--net", "none", "busybox"), "NetworkingConfig/EndpointsConfig", "{}" },
        { A("create", "--network", "bridge", "busybox"), "HostConfig/NetworkMode", "\"bridge\"" },
        { A("create", "--network", "bridge", "busybox"), "NetworkingConfig/EndpointsConfig", "{}" },
        { A("create", "--network", "container:other", "busybox"), "HostConfig/NetworkMode", "\"container:other\"" },
        { A("create", "--network", "container:other", "busybox"), "NetworkingConfig/EndpointsConfig", "{}" },
        { A("create", "--network", "mynet", "--network-alias", "foo", "--network-alias", "bar", "busybox"), "HostConfig/NetworkMode", "\"mynet\"" },
        { A("create", "--network", "mynet", "--network-alias", "foo", "--network-alias", "bar", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"mynet\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":[\"foo\",\"bar\"],\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "--network", "name=mynet,alias=x", "busybox"), "HostConfig/NetworkMode", "\"mynet\"" },
        { A("create", "--network", "name=mynet,alias=x", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"mynet\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":[\"x\"],\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "--network", "name=MyNet,alias=X,driver-opt=A=B,gw-priority=5", "busybox"), "HostConfig/NetworkMode", "\"mynet\"" },
        { A("create", "--network", "name=MyNet,alias=X,driver-opt=A=B,gw-priority=5", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"mynet\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":[\"x\"],\"MacAddress\":\"\",\"DriverOpts\":{\"a\":\"b\"},\"GwPriority\":5,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "--network", "mynet", "--ip", "10.0.0.2", "--ip6", "fd00::2", "busybox"), "HostConfig/NetworkMode", "\"mynet\"" },
        { A("create", "--network", "mynet", "--ip", "10.0.0.2", "--ip6", "fd00::2", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"mynet\":{\"IPAMConfig\":{\"IPv4Address\":\"10.0.0.2\",\"IPv6Address\":\"fd00::2\"},\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "--network", "mynet", "--mac-address", "02:42:ac:11:00:02", "busybox"), "HostConfig/NetworkMode", "\"mynet\"" },
        { A("create", "--network", "mynet", "--mac-address", "02:42:ac:11:00:02", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"mynet\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"02:42:ac:11:00:02\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "--mac-address", "02:42:ac:11:00:02", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"default\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"02:42:ac:11:00:02\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "--network", "a", "--network", "b", "busybox"), "HostConfig/NetworkMode", "\"a\"" },
        { A("create", "--network", "a", "--network", "b", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"a\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null},\"b\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "--network", "name=a", "--network", "name=b,alias=y", "busybox"), "HostConfig/NetworkMode", "\"a\"" },
        { A("create", "--network", "name=a", "--network", "name=b,alias=y", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"a\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null},\"b\":{\"IPAMConfig\":null,\"Links\":null,\"Aliases\":[\"y\"],\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "-h", "myhost", "--domainname", "example.com", "busybox"), "Domainname", "\"example.com\"" },
        { A("create", "-h", "myhost", "--domainname", "example.com", "busybox"), "Hostname", "\"myhost\"" },
        { A("create", "--add-host", "foo:1.2.3.4", "--add-host", "bar=::1", "--add-host", "baz=[::1]", "--add-host", "gw:host-gateway", "busybox"), "HostConfig/ExtraHosts", "[\"foo:1.2.3.4\",\"bar:::1\",\"baz:::1\",\"gw:host-gateway\"]" },
        { A("create", "--dns", "8.8.8.8", "--dns", " 1.1.1.1 ", "--dns", "::ffff:1.2.3.4", "--dns", "2001:0db8:0:0:0:0:0:1", "--dns", "0:0:0:0:0:0:0:0", "busybox"), "HostConfig/Dns", "[\"8.8.8.8\",\"1.1.1.1\",\"1.2.3.4\",\"2001:db8::1\",\"::\"]" },
        { A("create", "--dns-search", "example.com", "--dns-search", ".", "--dns-search", "Foo.Example.COM. ", "--dns-option", "ndots:2", "--dns-opt", "debug", "busybox"), "HostConfig/DnsOptions", "[\"ndots:2\",\"debug\"]" },
        { A("create", "--dns-search", "example.com", "--dns-search", ".", "--dns-search", "Foo.Example.COM. ", "--dns-option", "ndots:2", "--dns-opt", "debug", "busybox"), "HostConfig/DnsSearch", "[\"example.com\",\".\",\"Foo.Example.COM\"]" },
        { A("create", "--restart", "always", "busybox"), "HostConfig/RestartPolicy", "{\"Name\":\"always\",\"MaximumRetryCount\":0}" },
        { A("create", "--restart", "on-failure:3", "busybox"), "HostConfig/RestartPolicy", "{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}" },
        { A("create", "--restart", "unless-stopped", "busybox"), "HostConfig/RestartPolicy", "{\"Name\":\"unless-stopped\",\"MaximumRetryCount\":0}" },
        { A("create", "--restart", "on-failure", "busybox"), "HostConfig/RestartPolicy", "{\"Name\":\"on-failure\",\"MaximumRetryCount\":0}" },
        { A("create", "--restart=", "busybox"), "HostConfig/RestartPolicy", "{\"Name\":\"\",\"MaximumRetryCount\":0}" },
        { A("create", "--restart", "no", "--rm", "busybox"), "HostConfig/AutoRemove", "true" },
        { A("create", "-m", "512m", "--memory-swap", "-1", "--memory-reservation", "256m", "busybox"), "HostConfig/Memory", "536870912" },
        { A("create", "-m", "512m", "--memory-swap", "-1", "--memory-reservation", "256m", "busybox"), "HostConfig/MemoryReservation", "268435456" },
        { A("create", "-m", "512m", "--memory-swap", "-1", "--memory-reservation", "256m", "busybox"), "HostConfig/MemorySwap", "-1" },
        { A("create", "-m", "1g", "--memory-swap", "2g", "busybox"), "HostConfig/Memory", "1073741824" },
        { A("create", "-m", "1g", "--memory-swap", "2g", "busybox"), "HostConfig/MemorySwap", "2147483648" },
        { A("create", "-m", "1.5g", "busybox"), "HostConfig/Memory", "1610612736" },
        { A("create", "-m", "1 k", "busybox"), "HostConfig/Memory", "1024" },
        { A("create", "-m", "100", "busybox"), "HostConfig/Memory", "100" },
        { A("create", "-m", "10KiB", "busybox"), "HostConfig/Memory", "10240" },
        { A("create", "-m", "1e3", "busybox"), "HostConfig/Memory", "1000" },
        { A("create", "-m", "1_0m", "busybox"), "HostConfig/Memory", "10485760" },
        { A("create", "-m", "0x1p4", "busybox"), "HostConfig/Memory", "16" },
        { A("create", "-m", "1.b", "busybox"), "HostConfig/Memory", "1" },
        { A("create", "-m=512M", "busybox"), "HostConfig/Memory", "536870912" },
        { A("create", "-m", "20000p", "busybox"), "HostConfig/Memory", "-9223372036854775808" },
        { A("create", "--memory-swappiness", "50", "busybox"), "HostConfig/MemorySwappiness", "50" },
        { A("create", "--memory-swappiness", "0", "busybox"), "HostConfig/MemorySwappiness", "0" },
        { A("create", "--kernel-memory", "64m", "busybox"), "Image", "\"busybox\"" },
        { A("create", "--oom-kill-disable", "--oom-score-adj", "-500", "busybox"), "HostConfig/OomKillDisable", "true" },
        { A("create", "--oom-kill-disable", "--oom-score-adj", "-500", "busybox"), "HostConfig/OomScoreAdj", "-500" },
        { A("create", "--oom-score-adj=500", "busybox"), "HostConfig/OomScoreAdj", "500" },
        { A("create", "--cpus", "1.5", "busybox"), "HostConfig/NanoCpus", "1500000000" },
        { A("create", "--cpus", "0.01", "busybox"), "HostConfig/NanoCpus", "10000000" },
        { A("create", "--cpus", "3/2", "busybox"), "HostConfig/NanoCpus", "1500000000" },
        { A("create", "--cpus", "1e-3", "busybox"), "HostConfig/NanoCpus", "1000000" },
        { A("create", "--cpus", "2.000000000000", "busybox"), "HostConfig/NanoCpus", "2000000000" },
        { A("create", "--cpus", "-1", "busybox"), "HostConfig/NanoCpus", "-1000000000" },
        { A("create", "--cpus", ".5", "busybox"), "HostConfig/NanoCpus", "500000000" },
        { A("create", "--cpu-shares", "512", "--cpu-period", "100000", "--cpu-quota", "50000", "--cpu-rt-period", "1000", "--cpu-rt-runtime", "500", "busybox"), "HostConfig/CpuPeriod", "100000" },
        { A("create", "--cpu-shares", "512", "--cpu-period", "100000", "--cpu-quota", "50000", "--cpu-rt-period", "1000", "--cpu-rt-runtime", "500", "busybox"), "HostConfig/CpuQuota", "50000" },
        { A("create", "--cpu-shares", "512", "--cpu-period", "100000", "--cpu-quota", "50000", "--cpu-rt-period", "1000", "--cpu-rt-runtime", "500", "busybox"), "HostConfig/CpuRealtimePeriod", "1000" },
        { A("create", "--cpu-shares", "512", "--cpu-period", "100000", "--cpu-quota", "50000", "--cpu-rt-period", "1000", "--cpu-rt-runtime", "500", "busybox"), "HostConfig/CpuRealtimeRuntime", "500" },
        { A("create", "--cpu-shares", "512", "--cpu-period", "100000", "--cpu-quota", "50000", "--cpu-rt-period", "1000", "--cpu-rt-runtime", "500", "busybox"), "HostConfig/CpuShares", "512" },
        { A("create", "-c", "0x200", "busybox"), "HostConfig/CpuShares", "512" },
        { A("create", "-c", "0o17", "busybox"), "HostConfig/CpuShares", "15" },
        { A("create", "-c", "017", "busybox"), "HostConfig/CpuShares", "15" },
        { A("create", "-c", "1_000", "busybox"), "HostConfig/CpuShares", "1000" },
        { A("create", "--cpuset-cpus", "0-1", "--cpuset-mems", "0", "busybox"), "HostConfig/CpusetCpus", "\"0-1\"" },
        { A("create", "--cpuset-cpus", "0-1", "--cpuset-mems", "0", "busybox"), "HostConfig/CpusetMems", "\"0\"" },
        { A("create", "--pids-limit", "100", "busybox"), "HostConfig/PidsLimit", "100" },
        { A("create", "--pids-limit", "-1", "busybox"), "HostConfig/PidsLimit", "-1" },
        { A("create", "--blkio-weight", "500", "busybox"), "HostConfig/BlkioWeight", "500" },
        { A("create", "--blkio-weight-device", "/dev/sda:200", "--blkio-weight-device", "/dev/sdb:0", "busybox"), "HostConfig/BlkioWeightDevice", "[{\"Path\":\"/dev/sda\",\"Weight\":200},{\"Path\":\"/dev/sdb\",\"Weight\":0}]" },
        { A("create", "--device-read-bps", "/dev/sda:1mb", "--device-write-bps", "/dev/sdb:10", "--device-read-iops", "/dev/sda:5", "--device-write-iops", "/dev/sda:100", "busybox"), "HostConfig/BlkioDeviceReadBps", "[{\"Path\":\"/dev/sda\",\"Rate\":1048576}]" },
        { A("create", "--device-read-bps", "/dev/sda:1mb", "--device-write-bps", "/dev/sdb:10", "--device-read-iops", "/dev/sda:5", "--device-write-iops", "/dev/sda:100", "busybox"), "HostConfig/BlkioDeviceReadIOps", "[{\"Path\":\"/dev/sda\",\"Rate\":5}]" },
        { A("create", "--device-read-bps", "/dev/sda:1mb", "--device-write-bps", "/dev/sdb:10", "--device-read-iops", "/dev/sda:5", "--device-write-iops", "/dev/sda:100", "busybox"), "HostConfig/BlkioDeviceWriteBps", "[{\"Path\":\"/dev/sdb\",\"Rate\":10}]" },
        { A("create", "--device-read-bps", "/dev/sda:1mb", "--device-write-bps", "/dev/sdb:10", "--device-read-iops", "/dev/sda:5", "--device-write-iops", "/dev/sda:100", "busybox"), "HostConfig/BlkioDeviceWriteIOps", "[{\"Path\":\"/dev/sda\",\"Rate\":100}]" },
        { A("create", "--ulimit", "nofile=1024:2048", "--ulimit", "nproc=100", "--ulimit", "core=-1", "--ulimit", "nofile=10:20", "busybox"), "HostConfig/Ulimits", "[{\"Name\":\"core\",\"Hard\":-1,\"Soft\":-1},{\"Name\":\"nofile\",\"Hard\":20,\"Soft\":10},{\"Name\":\"nproc\",\"Hard\":100,\"Soft\":100}]" },
        { A("create", "--ulimit", "stack=-1:-1", "--ulimit", "rtprio=0:-1", "busybox"), "HostConfig/Ulimits", "[{\"Name\":\"rtprio\",\"Hard\":-1,\"Soft\":0},{\"Name\":\"stack\",\"Hard\":-1,\"Soft\":-1}]" },
        { A("create", "--cap-add", "NET_ADMIN", "--cap-add", "sys_time", "--cap-add", "CAP_CHOWN", "--cap-add", "net_admin", "--cap-drop", "all", "busybox"), "HostConfig/CapAdd", "[\"CAP_CHOWN\",\"CAP_NET_ADMIN\",\"CAP_SYS_TIME\"]" },
        { A("create", "--cap-add", "NET_ADMIN", "--cap-add", "sys_time", "--cap-add", "CAP_CHOWN", "--cap-add", "net_admin", "--cap-drop", "all", "busybox"), "HostConfig/CapDrop", "[\"ALL\"]" },
        { A("create", "--privileged", "--read-only", "busybox"), "HostConfig/Privileged", "true" },
        { A("create", "--privileged", "--read-only", "busybox"), "HostConfig/ReadonlyRootfs", "true" },
        { A("create", "--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "label=disable", "busybox"), "HostConfig/SecurityOpt", "[\"no-new-privileges\",\"seccomp=unconfined\",\"apparmor=unconfined\",\"label=disable\"]" },
        { A("create", "--security-opt", "systempaths=unconfined", "busybox"), "HostConfig/MaskedPaths", "[]" },
        { A("create", "--security-opt", "systempaths=unconfined", "busybox"), "HostConfig/ReadonlyPaths", "[]" },
        { A("create", "--security-opt", "systempaths=unconfined", "busybox"), "HostConfig/SecurityOpt", "[]" },
        { A("create", "--security-opt", "systempaths=unconfined", "--security-opt", "label:type:x", "busybox"), "HostConfig/MaskedPaths", "[]" },
        { A("create", "--security-opt", "systempaths=unconfined", "--security-opt", "label:type:x", "busybox"), "HostConfig/ReadonlyPaths", "[]" },
        { A("create", "--security-opt", "systempaths=unconfined", "--security-opt", "label:type:x", "busybox"), "HostConfig/SecurityOpt", "[\"label:type:x\"]" },
        { A("create", "--security-opt", "seccomp=sec.json", "busybox"), "HostConfig/SecurityOpt", "[\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\",\\\"syscalls\\\":[{\\\"names\\\":[\\\"a b\\\"],\\\"action\\\":\\\"SCMP_ACT_ERRNO\\\"}],\\\"n\\\":1.0e2}\"]" },
        { A("create", "--security-opt", "seccomp:sec.json", "busybox"), "HostConfig/SecurityOpt", "[\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\",\\\"syscalls\\\":[{\\\"names\\\":[\\\"a b\\\"],\\\"action\\\":\\\"SCMP_ACT_ERRNO\\\"}],\\\"n\\\":1.0e2}\"]" },
        { A("create", "--security-opt", "no-new-privileges:true", "--security-opt", "seccomp=builtin", "busybox"), "HostConfig/SecurityOpt", "[\"no-new-privileges:true\",\"seccomp=builtin\"]" },
        { A("create", "--device", "/dev/fuse", "busybox"), "HostConfig/Devices", "[{\"PathOnHost\":\"/dev/fuse\",\"PathInContainer\":\"/dev/fuse\",\"CgroupPermissions\":\"rwm\"}]" },
        { A("create", "--device", "/dev/sda:/dev/xvda:rw", "busybox"), "HostConfig/Devices", "[{\"PathOnHost\":\"/dev/sda\",\"PathInContainer\":\"/dev/xvda\",\"CgroupPermissions\":\"rw\"}]" },
        { A("create", "--device", "/dev/sda:r", "busybox"), "HostConfig/Devices", "[{\"PathOnHost\":\"/dev/sda\",\"PathInContainer\":\"/dev/sda\",\"CgroupPermissions\":\"r\"}]" },
        { A("create", "--device", "/dev/a/../b:/dev/c/./d", "busybox"), "HostConfig/Devices", "[{\"PathOnHost\":\"/dev/a/../b\",\"PathInContainer\":\"/dev/c/d\",\"CgroupPermissions\":\"rwm\"}]" },
        { A("create", "--device", "/dev/a:/dev/b:rw", "--device", "/dev/c:rwm", "busybox"), "HostConfig/Devices", "[{\"PathOnHost\":\"/dev/a\",\"PathInContainer\":\"/dev/b\",\"CgroupPermissions\":\"rw\"},{\"PathOnHost\":\"/dev/c\",\"PathInContainer\":\"/dev/c\",\"CgroupPermissions\":\"rwm\"}]" },
        { A("create", "--device", "vendor.com/class=dev0", "--device", "nvidia.com/gpu=all", "busybox"), "HostConfig/DeviceRequests", "[{\"Driver\":\"cdi\",\"Count\":0,\"DeviceIDs\":[\"vendor.com/class=dev0\",\"nvidia.com/gpu=all\"],\"Capabilities\":null,\"Options\":null}]" },
        { A("create", "--gpus", "all", "--device", "vendor.com/class=dev0", "busybox"), "HostConfig/DeviceRequests", "[{\"Driver\":\"\",\"Count\":-1,\"DeviceIDs\":null,\"Capabilities\":[[\"gpu\"]],\"Options\":{}},{\"Driver\":\"cdi\",\"Count\":0,\"DeviceIDs\":[\"vendor.com/class=dev0\"],\"Capabilities\":null,\"Options\":null}]" },
        { A("create", "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=1", "--sysctl", "fs.mqueue.x=y", "busybox"), "HostConfig/Sysctls", "{\"fs.mqueue.x\":\"y\",\"kernel.shmmax\":\"1\",\"net.ipv4.ip_forward\":\"1\"}" },
        { A("create", "--shm-size", "128m", "busybox"), "HostConfig/ShmSize", "134217728" },
        { A("create", "--init", "busybox"), "HostConfig/Init", "true" },
        { A("create", "--init=false", "busybox"), "HostConfig/Init", "false" },
        { A("create", "-l", "a=b", "--label", "c", "--label", " d=e", "busybox"), "Labels", "{\" d\":\"e\",\"a\":\"b\",\"c\":\"\"}" },
        { A("create", "--label-file", "labels", "-l", "l1=override", "busybox"), "Labels", "{\"l1\":\"override\"}" },
        { A("create", "--log-driver", "json-file", "--log-opt", "max-size=10m", "--log-opt", "max-file=3", "--log-opt", "flag", "busybox"), "HostConfig/LogConfig", "{\"Type\":\"json-file\",\"Config\":{\"flag\":\"\",\"max-file\":\"3\",\"max-size\":\"10m\"}}" },
        { A("create", "--log-driver", "none", "busybox"), "HostConfig/LogConfig", "{\"Type\":\"none\",\"Config\":{}}" },
        { A("create", "--stop-signal", "SIGKILL", "--stop-timeout", "5", "busybox"), "StopSignal", "\"SIGKILL\"" },
        { A("create", "--stop-signal", "SIGKILL", "--stop-timeout", "5", "busybox"), "StopTimeout", "5" },
        { A("create", "--stop-timeout", "0", "busybox"), "StopTimeout", "0" },
        { A("create", "--stop-timeout", "-1", "busybox"), "StopTimeout", "-1" },
        { A("create", "--health-cmd", "curl -f localhost", "--health-interval", "30s", "--health-retries", "3", "--health-timeout", "5s", "--health-start-period", "1m", "busybox"), "Healthcheck", "{\"Test\":[\"CMD-SHELL\",\"curl -f localhost\"],\"Interval\":30000000000,\"Timeout\":5000000000,\"StartPeriod\":60000000000,\"Retries\":3}" },
        { A("create", "--health-interval", "1m30s", "busybox"), "Healthcheck", "{\"Interval\":90000000000}" },
        { A("create", "--health-interval", "1.5h", "busybox"), "Healthcheck", "{\"Interval\":5400000000000}" },
        { A("create", "--health-interval", "100us", "--health-timeout", "0", "busybox"), "Healthcheck", "{\"Interval\":100000}" },
        { A("create", "--health-start-interval", "1.5s", "busybox"), "Healthcheck", "{\"StartInterval\":1500000000}" },
        { A("create", "--health-retries", "0", "busybox"), "Image", "\"busybox\"" },
        { A("create", "--no-healthcheck", "busybox"), "Healthcheck", "{\"Test\":[\"NONE\"]}" },
        { A("create", "--platform", "linux/amd64", "busybox"), "Image", "\"busybox\"" },
        { A("create", "--pull", "never", "busybox"), "Image", "\"busybox\"" },
        { A("create", "--pid", "host", "--ipc", "host", "--uts", "host", "--userns", "host", "--cgroupns", "private", "busybox"), "HostConfig/CgroupnsMode", "\"private\"" },
        { A("create", "--pid", "host", "--ipc", "host", "--uts", "host", "--userns", "host", "--cgroupns", "private", "busybox"), "HostConfig/IpcMode", "\"host\"" },
        { A("create", "--pid", "host", "--ipc", "host", "--uts", "host", "--userns", "host", "--cgroupns", "private", "busybox"), "HostConfig/PidMode", "\"host\"" },
        { A("create", "--pid", "host", "--ipc", "host", "--uts", "host", "--userns", "host", "--cgroupns", "private", "busybox"), "HostConfig/UTSMode", "\"host\"" },
        { A("create", "--pid", "host", "--ipc", "host", "--uts", "host", "--userns", "host", "--cgroupns", "private", "busybox"), "HostConfig/UsernsMode", "\"host\"" },
        { A("create", "--pid", "container:foo", "busybox"), "HostConfig/PidMode", "\"container:foo\"" },
        { A("create", "--ipc", "shareable", "busybox"), "HostConfig/IpcMode", "\"shareable\"" },
        { A("create", "--group-add", "audio", "--group-add", "1000", "busybox"), "HostConfig/GroupAdd", "[\"audio\",\"1000\"]" },
        { A("create", "-a", "stdout", "busybox"), "AttachStderr", "false" },
        { A("create", "-a", "stdin", "-a", "STDERR", "busybox"), "AttachStdin", "true" },
        { A("create", "-a", "stdin", "-a", "STDERR", "busybox"), "AttachStdout", "false" },
        { A("create", "-i", "-a", "stdout", "busybox"), "AttachStderr", "false" },
        { A("create", "-i", "-a", "stdout", "busybox"), "AttachStdin", "true" },
        { A("create", "-i", "-a", "stdout", "busybox"), "OpenStdin", "true" },
        { A("create", "-i", "-a", "stdout", "busybox"), "StdinOnce", "true" },
        { A("create", "-a", "stdin", "busybox"), "AttachStderr", "false" },
        { A("create", "-a", "stdin", "busybox"), "AttachStdin", "true" },
        { A("create", "-a", "stdin", "busybox"), "AttachStdout", "false" },
        { A("create", "--cidfile", "/tmp/cid", "busybox"), "HostConfig/ContainerIDFile", "\"/tmp/cid\"" },
        { A("create", "--isolation", "default", "busybox"), "HostConfig/Isolation", "\"default\"" },
        { A("create", "--runtime", "runc", "busybox"), "HostConfig/Runtime", "\"runc\"" },
        { A("create", "--cgroup-parent", "/foo", "busybox"), "HostConfig/CgroupParent", "\"/foo\"" },
        { A("create", "--mount", "type=bind,source=/a,target=/b", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\"}]" },
        { A("create", "--mount", "type=bind,src=/a,dst=/b,readonly,bind-propagation=rshared", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\",\"ReadOnly\":true,\"BindOptions\":{\"Propagation\":\"rshared\"}}]" },
        { A("create", "--mount", "type=volume,source=v,target=/b,volume-opt=type=nfs,volume-opt=device=:/x,volume-driver=local", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"volume\",\"Source\":\"v\",\"Target\":\"/b\",\"VolumeOptions\":{\"DriverConfig\":{\"Name\":\"local\",\"Options\":{\"device\":\":/x\",\"type\":\"nfs\"}}}}]" },
        { A("create", "--mount", "type=volume,target=/b,volume-nocopy", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"volume\",\"Target\":\"/b\",\"VolumeOptions\":{\"NoCopy\":true,\"DriverConfig\":{}}}]" },
        { A("create", "--mount", "type=volume,target=/b,volume-nocopy=false", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"volume\",\"Target\":\"/b\",\"VolumeOptions\":{\"DriverConfig\":{}}}]" },
        { A("create", "--mount", "type=volume,target=/b,volume-label=a=b,volume-subpath=sub", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"volume\",\"Target\":\"/b\",\"VolumeOptions\":{\"Labels\":{\"a\":\"b\"},\"Subpath\":\"sub\",\"DriverConfig\":{}}}]" },
        { A("create", "--mount", "type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1777", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":{\"SizeBytes\":67108864,\"Mode\":1023}}]" },
        { A("create", "--mount", "type=tmpfs,target=/t,tmpfs-size=0", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":{}}]" },
        { A("create", "--mount", "type=bind,src=.,dst=/x,ro=true", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"bind\",\"Source\":\"@CWD@\",\"Target\":\"/x\",\"ReadOnly\":true}]" },
        { A("create", "--mount", "type=bind,src=/a,dst=/b,bind-recursive=disabled", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\",\"BindOptions\":{\"NonRecursive\":true}}]" },
        { A("create", "--mount", "type=bind,src=/a,dst=/b,bind-recursive=writable,ro", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\",\"ReadOnly\":true,\"BindOptions\":{\"ReadOnlyNonRecursive\":true}}]" },
        { A("create", "--mount", "type=bind,src=/a,dst=/b,bind-recursive=readonly,ro,bind-propagation=rprivate", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\",\"ReadOnly\":true,\"BindOptions\":{\"Propagation\":\"rprivate\",\"ReadOnlyForceRecursive\":true}}]" },
        { A("create", "--mount", "type=bind,src=/a,dst=/b,bind-nonrecursive", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\",\"BindOptions\":{\"NonRecursive\":true}}]" },
        { A("create", "--mount", "type=bind,\"src=/a,b\",dst=/c", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"bind\",\"Source\":\"/a,b\",\"Target\":\"/c\"}]" },
        { A("create", "--mount", "TYPE=BIND,Source=/a,Target=/b,consistency=Cached", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"bind\",\"Source\":\"/a\",\"Target\":\"/b\",\"Consistency\":\"cached\"}]" },
        { A("create", "--mount", "type=image,src=busybox,dst=/img,image-subpath=/bin", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"image\",\"Source\":\"busybox\",\"Target\":\"/img\",\"ImageOptions\":{\"Subpath\":\"/bin\"}}]" },
        { A("create", "--mount", "type=volume,dst=/a", "--mount", "type=volume,dst=/b", "busybox"), "HostConfig/Mounts", "[{\"Type\":\"volume\",\"Target\":\"/a\"},{\"Type\":\"volume\",\"Target\":\"/b\"}]" },
        { A("create", "--gpus", "all", "busybox"), "HostConfig/DeviceRequests", "[{\"Driver\":\"\",\"Count\":-1,\"DeviceIDs\":null,\"Capabilities\":[[\"gpu\"]],\"Options\":{}}]" },
        { A("create", "--gpus", "2", "busybox"), "HostConfig/DeviceRequests", "[{\"Driver\":\"\",\"Count\":2,\"DeviceIDs\":null,\"Capabilities\":[[\"gpu\"]],\"Options\":{}}]" },
        { A("create", "--gpus", "\"device=0,1\"", "busybox"), "HostConfig/DeviceRequests", "[{\"Driver\":\"\",\"Count\":0,\"DeviceIDs\":[\"0\",\"1\"],\"Capabilities\":[[\"gpu\"]],\"Options\":{}}]" },
        { A("create", "--gpus", "driver=nvidia,capabilities=compute", "busybox"), "HostConfig/DeviceRequests", "[{\"Driver\":\"nvidia\",\"Count\":1,\"DeviceIDs\":null,\"Capabilities\":[[\"compute\",\"gpu\"]],\"Options\":{}}]" },
        { A("create", "--gpus", "\"options=a=b,c\"", "busybox"), "HostConfig/DeviceRequests", "[{\"Driver\":\"\",\"Count\":1,\"DeviceIDs\":null,\"Capabilities\":[[\"gpu\"]],\"Options\":{\"a\":\"b\",\"c\":\"\"}}]" },
        { A("create", "--annotation", "a=b", "--annotation", "c", "busybox"), "HostConfig/Annotations", "{\"a\":\"b\",\"c\":\"\"}" },
        { A("create", "--storage-opt", "size=10G", "busybox"), "HostConfig/StorageOpt", "{\"size\":\"10G\"}" },
        { A("create", "--volumes-from", "other", "--volume-driver", "local", "busybox"), "HostConfig/VolumeDriver", "\"local\"" },
        { A("create", "--volumes-from", "other", "--volume-driver", "local", "busybox"), "HostConfig/VolumesFrom", "[\"other\"]" },
        { A("create", "--link", "foo:bar", "--network", "mynet", "busybox"), "HostConfig/Links", "[\"foo:bar\"]" },
        { A("create", "--link", "foo:bar", "--network", "mynet", "busybox"), "HostConfig/NetworkMode", "\"mynet\"" },
        { A("create", "--link", "foo:bar", "--network", "mynet", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"mynet\":{\"IPAMConfig\":null,\"Links\":[\"foo:bar\"],\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "--link", "foo", "busybox"), "HostConfig/Links", "[\"foo\"]" },
        { A("create", "--link-local-ip", "169.254.1.1", "--network", "mynet", "busybox"), "HostConfig/NetworkMode", "\"mynet\"" },
        { A("create", "--link-local-ip", "169.254.1.1", "--network", "mynet", "busybox"), "NetworkingConfig/EndpointsConfig", "{\"mynet\":{\"IPAMConfig\":{\"LinkLocalIPs\":[\"169.254.1.1\"]},\"Links\":null,\"Aliases\":null,\"MacAddress\":\"\",\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"\",\"EndpointID\":\"\",\"Gateway\":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}" },
        { A("create", "--device-cgroup-rule", "c 1:3 mr", "--device-cgroup-rule", "a *:* rwm", "busybox"), "HostConfig/DeviceCgroupRules", "[\"c 1:3 mr\",\"a *:* rwm\"]" },
        { A("create", "-q", "busybox"), "Image", "\"busybox\"" },
        { A("run", "-d", "busybox"), "AttachStderr", "false" },
        { A("run", "-d", "busybox"), "AttachStdout", "false" },
        { A("run", "-dit", "busybox"), "AttachStderr", "false" },
        { A("run", "-dit", "busybox"), "AttachStdout", "false" },
        { A("run", "-dit", "busybox"), "OpenStdin", "true" },
        { A("run", "-dit", "busybox"), "Tty", "true" },
        { A("run", "-d", "--rm", "-i", "busybox", "sh"), "AttachStderr", "false" },
        { A("run", "-d", "--rm", "-i", "busybox", "sh"), "AttachStdout", "false" },
        { A("run", "-d", "--rm", "-i", "busybox", "sh"), "Cmd", "[\"sh\"]" },
        { A("run", "-d", "--rm", "-i", "busybox", "sh"), "HostConfig/AutoRemove", "true" },
        { A("run", "-d", "--rm", "-i", "busybox", "sh"), "OpenStdin", "true" },
        { A("run", "--sig-proxy=false", "-d", "busybox"), "AttachStderr", "false" },
        { A("run", "--sig-proxy=false", "-d", "busybox"), "AttachStdout", "false" },
        { A("run", "-d", "--detach-keys", "ctrl-x", "busybox"), "AttachStderr", "false" },
        { A("run", "-d", "--detach-keys", "ctrl-x", "busybox"), "AttachStdout", "false" },
        { A("run", "-d=true", "busybox"), "AttachStderr", "false" },
        { A("run", "-d=true", "busybox"), "AttachStdout", "false" },
        { A("run", "-d", "-w", "/w", "-e", "A=b", "-p", "80:80", "busybox", "top"), "AttachStderr", "false" },
        { A("run", "-d", "-w", "/w", "-e", "A=b", "-p", "80:80", "busybox", "top"), "AttachStdout", "false" },
        { A("run", "-d", "-w", "/w", "-e", "A=b", "-p", "80:80", "busybox", "top"), "Cmd", "[\"top\"]" },
        { A("run", "-d", "-w", "/w", "-e", "A=b", "-p", "80:80", "busybox", "top"), "Env", "[\"A=b\"]" },
        { A("run", "-d", "-w", "/w", "-e", "A=b", "-p", "80:80", "busybox", "top"), "ExposedPorts", "{\"80/tcp\":{}}" },
        { A("run", "-d", "-w", "/w", "-e", "A=b", "-p", "80:80", "busybox", "top"), "HostConfig/PortBindings", "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"80\"}]}" },
        { A("run", "-d", "-w", "/w", "-e", "A=b", "-p", "80:80", "busybox", "top"), "WorkingDir", "\"/w\"" },
        { A("create", "-v", "/host:/ctr:ro", "-v", "myvol:/data", "busybox"), "HostConfig/Binds", "[\"/host:/ctr:ro\",\"myvol:/data\"]" },
        { A("create", "-v", "./rel:/x", "-v", "./a/../up:/y", "busybox"), "HostConfig/Binds", "[\"@CWD@/rel:/x\",\"@CWD@/up:/y\"]" },
};

static const ErrorCase error_cases[] = {
        { A("run"), "'docker run' requires at least 1 argument", 1 },
        { A("create"), "'docker create' requires at least 1 argument", 1 },
        { A("run", "--bogus", "x"), "unknown flag: --bogus", 125 },
        { A("run", "-x", "busybox"), "unknown shorthand flag: 'x' in -x", 125 },
        { A("run", "-dx", "busybox"), "unknown shorthand flag: 'x' in -x", 125 },
        { A("run", "-m"), "flag needs an argument: 'm' in -m", 125 },
        { A("run", "--name"), "flag needs an argument: --name", 125 },
        { A("run", "-m", "abc", "busybox"), "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'", 125 },
        { A("run", "-m", "-1", "busybox"), "invalid argument \"-1\" for \"-m, --memory\" flag: invalid size: '-1'", 125 },
        { A("run", "-m", "1x", "busybox"), "invalid argument \"1x\" for \"-m, --memory\" flag: invalid suffix: 'x'", 125 },
        { A("run", "-m", "1kbb", "busybox"), "invalid argument \"1kbb\" for \"-m, --memory\" flag: invalid suffix: 'kbb'", 125 },
        { A("run", "-m", "1KBBB", "busybox"), "invalid argument \"1KBBB\" for \"-m, --memory\" flag: invalid suffix: 'KBBB'", 125 },
        { A("run", "-m", "1..2", "busybox"), "invalid argument \"1..2\" for \"-m, --memory\" flag: strconv.ParseFloat: parsing \"1..2\": invalid syntax", 125 },
        { A("run", "-m", "", "busybox"), "invalid argument \"\" for \"-m, --memory\" flag: invalid size: ''", 125 },
        { A("run", "-m", "1e400", "busybox"), "invalid argument \"1e400\" for \"-m, --memory\" flag: strconv.ParseFloat: parsing \"1e400\": value out of range", 125 },
        { A("run", "--rm=maybe", "busybox"), "invalid argument \"maybe\" for \"--rm\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax", 125 },
        { A("run", "---x", "busybox"), "bad flag syntax: ---x", 125 },
        { A("run", "--=x", "busybox"), "bad flag syntax: --=x", 125 },
        { A("run", "--cpus", "abc", "busybox"), "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational number", 125 },
        { A("run", "--cpus", "0.0000000001", "busybox"), "invalid argument \"0.0000000001\" for \"--cpus\" flag: value is too precise", 125 },
        { A("run", "--cpus", "1/0", "busybox"), "invalid argument \"1/0\" for \"--cpus\" flag: failed to parse 1/0 as a rational number", 125 },
        { A("run", "--memory-swappiness", "abc", "busybox"), "invalid argument \"abc\" for \"--memory-swappiness\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax", 125 },
        { A("run", "--memory-swappiness", "101", "busybox"), "invalid value: 101. Valid memory swappiness range is 0-100", 125 },
        { A("run", "--memory-swappiness", "-2", "busybox"), "invalid value: -2. Valid memory swappiness range is 0-100", 125 },
        { A("run", "--blkio-weight", "70000", "busybox"), "invalid argument \"70000\" for \"--blkio-weight\" flag: strconv.ParseUint: parsing \"70000\": value out of range", 125 },
        { A("run", "--health-interval", "5", "busybox"), "invalid argument \"5\" for \"--health-interval\" flag: time: missing unit in duration \"5\"", 125 },
        { A("run", "--health-interval", "5x", "busybox"), "invalid argument \"5x\" for \"--health-interval\" flag: time: unknown unit \"x\" in duration \"5x\"", 125 },
        { A("run", "--health-interval", "-1s", "busybox"), "--health-interval cannot be negative", 125 },
        { A("run", "--health-timeout", "-1s", "busybox"), "--health-timeout cannot be negative", 125 },
        { A("run", "--health-retries", "-1", "busybox"), "--health-retries cannot be negative", 125 },
        { A("run", "--ulimit", "nofile", "busybox"), "invalid argument \"nofile\" for \"--ulimit\" flag: invalid ulimit argument: nofile", 125 },
        { A("run", "--ulimit", "foo=1", "busybox"), "invalid argument \"foo=1\" for \"--ulimit\" flag: invalid ulimit type: foo", 125 },
        { A("run", "--ulimit", "nofile=a", "busybox"), "invalid argument \"nofile=a\" for \"--ulimit\" flag: strconv.ParseInt: parsing \"a\": invalid syntax", 125 },
        { A("run", "--ulimit", "nofile=1:2:3", "busybox"), "invalid argument \"nofile=1:2:3\" for \"--ulimit\" flag: too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`", 125 },
        { A("run", "--ulimit", "nofile=2:1", "busybox"), "invalid argument \"nofile=2:1\" for \"--ulimit\" flag: ulimit soft limit must be less than or equal to hard limit: 2 > 1", 125 },
        { A("run", "--ulimit", "nofile=-1:1", "busybox"), "invalid argument \"nofile=-1:1\" for \"--ulimit\" flag: ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 1", 125 },
        { A("run", "-e", "=x", "busybox"), "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x", 125 },
        { A("run", "-l", "=x", "busybox"), "invalid argument \"=x\" for \"-l, --label\" flag: invalid label '=x': empty name", 125 },
        { A("run", "-l", "a b=c", "busybox"), "invalid argument \"a b=c\" for \"-l, --label\" flag: label 'a b' contains whitespaces", 125 },
        { A("run", "--add-host", "foo", "busybox"), "invalid argument \"foo\" for \"--add-host\" flag: bad format for add-host: \"foo\"", 125 },
        { A("run", "--add-host", "foo:bar", "busybox"), "invalid argument \"foo:bar\" for \"--add-host\" flag: invalid IP address in add-host: \"bar\"", 125 },
        { A("run", "--add-host", ":1.2.3.4", "busybox"), "invalid argument \":1.2.3.4\" for \"--add-host\" flag: bad format for add-host: \":1.2.3.4\"", 125 },
        { A("run", "--dns", "abc", "busybox"), "invalid argument \"abc\" for \"--dns\" flag: IP address is not correctly formatted: abc", 125 },
        { A("run", "--dns-search", "1.2.3", "busybox"), "invalid argument \"1.2.3\" for \"--dns-search\" flag: 1.2.3 is not a valid domain", 125 },
        { A("run", "--dns-search", "-foo.com", "busybox"), "invalid argument \"-foo.com\" for \"--dns-search\" flag: -foo.com is not a valid domain", 125 },
        { A("run", "--sysctl", "foo=bar", "busybox"), "invalid argument \"foo=bar\" for \"--sysctl\" flag: sysctl 'foo=bar' is not allowed", 125 },
        { A("run", "--sysctl", "kernel.shmmax", "busybox"), "invalid argument \"kernel.shmmax\" for \"--sysctl\" flag: sysctl 'kernel.shmmax' is not allowed", 125 },
        { A("run", "-a", "foo", "busybox"), "invalid argument \"foo\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR", 125 },
        { A("run", "--link", "", "busybox"), "invalid argument \"\" for \"--link\" flag: empty string specified for links", 125 },
        { A("run", "--link", "a:b:c", "busybox"), "invalid argument \"a:b:c\" for \"--link\" flag: bad format for links: a:b:c", 125 },
        { A("run", "--device-cgroup-rule", "x 1:2 r", "busybox"), "invalid argument \"x 1:2 r\" for \"--device-cgroup-rule\" flag: invalid device cgroup format 'x 1:2 r'", 125 },
        { A("run", "--blkio-weight-device", "sda:100", "busybox"), "invalid argument \"sda:100\" for \"--blkio-weight-device\" flag: bad format for device path: sda:100", 125 },
        { A("run", "--blkio-weight-device", "/dev/sda:5", "busybox"), "invalid argument \"/dev/sda:5\" for \"--blkio-weight-device\" flag: invalid weight for device: /dev/sda:5", 125 },
        { A("run", "--blkio-weight-device", "foo", "busybox"), "invalid argument \"foo\" for \"--blkio-weight-device\" flag: bad format: foo", 125 },
        { A("run", "--device-read-bps", "/dev/sda:abc", "busybox"), "invalid argument \"/dev/sda:abc\" for \"--device-read-bps\" flag: invalid rate for device: /dev/sda:abc. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb", 125 },
        { A("run", "--device-read-iops", "/dev/sda:1k", "busybox"), "invalid argument \"/dev/sda:1k\" for \"--device-read-iops\" flag: invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>. Number must be a positive integer", 125 },
        { A("run", "--mount", "type=bind", "busybox"), "invalid argument \"type=bind\" for \"--mount\" flag: target is required", 125 },
        { A("run", "--mount", "target=/x,bogus=1", "busybox"), "invalid argument \"target=/x,bogus=1\" for \"--mount\" flag: unexpected key 'bogus' in 'bogus=1'", 125 },
        { A("run", "--mount", "target=/x,bogus", "busybox"), "invalid argument \"target=/x,bogus\" for \"--mount\" flag: invalid field 'bogus' must be a key=value pair", 125 },
        { A("run", "--mount", "type=,target=/x", "busybox"), "invalid argument \"type=,target=/x\" for \"--mount\" flag: type is required", 125 },
        { A("run", "--mount", "type=bind,target=/x,volume-nocopy", "busybox"), "invalid argument \"type=bind,target=/x,volume-nocopy\" for \"--mount\" flag: cannot mix 'volume-*' options with mount type 'bind'", 125 },
        { A("run", "--mount", "type=tmpfs,target=/x,tmpfs-size=abc", "busybox"), "invalid argument \"type=tmpfs,target=/x,tmpfs-size=abc\" for \"--mount\" flag: invalid value for tmpfs-size: abc", 125 },
        { A("run", "--mount", "type=tmpfs,target=/x,tmpfs-mode=999", "busybox"), "invalid argument \"type=tmpfs,target=/x,tmpfs-mode=999\" for \"--mount\" flag: invalid value for tmpfs-mode: 999", 125 },
        { A("run", "--mount", "type=bind,target=/x,ro=maybe", "busybox"), "invalid argument \"type=bind,target=/x,ro=maybe\" for \"--mount\" flag: invalid value for ro: maybe", 125 },
        { A("run", "--mount", "type=bind,target=/x,bind-recursive=foo", "busybox"), "invalid argument \"type=bind,target=/x,bind-recursive=foo\" for \"--mount\" flag: invalid value for bind-recursive: foo (must be \"enabled\", \"disabled\", \"writable\", or \"readonly\")", 125 },
        { A("run", "--mount", "type=bind,target=/x,bind-recursive=writable", "busybox"), "invalid argument \"type=bind,target=/x,bind-recursive=writable\" for \"--mount\" flag: option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction", 125 },
        { A("run", "--mount", "type=bind,target=/x,bind-recursive=readonly,ro", "busybox"), "invalid argument \"type=bind,target=/x,bind-recursive=readonly,ro\" for \"--mount\" flag: option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction", 125 },
        { A("run", "--mount", "type=bind,\"target=/x", "busybox"), "invalid argument \"type=bind,\\\"target=/x\" for \"--mount\" flag: parse error on line 1, column 21: extraneous or missing \" in quoted-field", 125 },
        { A("run", "--mount", "type=bind,tar\"get=/x", "busybox"), "invalid argument \"type=bind,tar\\\"get=/x\" for \"--mount\" flag: parse error on line 1, column 14: bare \" in non-quoted-field", 125 },
        { A("run", "--mount", "", "busybox"), "invalid argument \"\" for \"--mount\" flag: EOF", 125 },
        { A("run", "--mount", "type=bind,\"a\"b", "busybox"), "invalid argument \"type=bind,\\\"a\\\"b\" for \"--mount\" flag: parse error on line 1, column 13: extraneous or missing \" in quoted-field", 125 },
        { A("run", "--gpus", "foo", "busybox"), "invalid argument \"foo\" for \"--gpus\" flag: invalid count (foo): value must be either \"all\" or an integer: invalid syntax", 125 },
        { A("run", "--gpus", "count=1,count=2", "busybox"), "invalid argument \"count=1,count=2\" for \"--gpus\" flag: gpu request key 'count' can be specified only once", 125 },
        { A("run", "--gpus", "bogus=1", "busybox"), "invalid argument \"bogus=1\" for \"--gpus\" flag: unexpected key 'bogus' in 'bogus=1'", 125 },
        { A("run", "--network", "foo=bar", "busybox"), "invalid argument \"foo=bar\" for \"--network\" flag: invalid field key foo", 125 },
        { A("run", "--network", "name=x,gw-priority=abc", "busybox"), "invalid argument \"name=x,gw-priority=abc\" for \"--network\" flag: invalid gw-priority (abc): invalid syntax", 125 },
        { A("run", "--network", "name=x,driver-opt=foo", "busybox"), "invalid argument \"name=x,driver-opt=foo\" for \"--network\" flag: invalid key value pair format in driver options", 125 },
        { A("run", "--network", "name=x,=y", "busybox"), "invalid argument \"name=x,=y\" for \"--network\" flag: invalid field =y", 125 },
        { A("run", "--restart", "on-failure:x", "busybox"), "invalid restart policy format: maximum retry count must be an integer", 125 },
        { A("run", "--restart", ":3", "busybox"), "invalid restart policy format: no policy provided before colon", 125 },
        { A("run", "--rm", "--restart", "always", "busybox"), "conflicting options: cannot specify both --restart and --rm", 125 },
        { A("run", "--rm", "--restart", "on-failure:2", "busybox"), "conflicting options: cannot specify both --restart and --rm", 125 },
        { A("run", "-p", "80:80:80:80", "busybox"), "invalid IP address: 80:80", 125 },
        { A("run", "-p", "published=80,bad", "busybox"), "invalid publish opts format (should be name=value but got 'bad')", 125 },
        { A("run", "-p", "abc", "busybox"), "invalid containerPort: abc", 125 },
        { A("run", "-p", "70000", "busybox"), "invalid containerPort: 70000", 125 },
        { A("run", "-p", "80-70:80", "busybox"), "invalid hostPort: 80-70", 125 },
        { A("run", "-p", "1-3:4-5", "busybox"), "invalid ranges specified for container and host Ports: 4-5 and 1-3", 125 },
        { A("run", "-p", "80/foo", "busybox"), "invalid proto: foo", 125 },
        { A("run", "-p", "1.2.3.4::", "busybox"), "no port specified: 1.2.3.4::<empty>", 125 },
        { A("run", "-p", "[::1:80:80", "busybox"), "invalid IP address [::1: address [::1:: missing ']' in address", 125 },
        { A("run", "-p", "[::1]x:80:80", "busybox"), "invalid IP address [::1]x: address [::1]x:: missing port in address", 125 },
        { A("run", "-p", "foo:80:80", "busybox"), "invalid IP address: foo", 125 },
        { A("run", "--expose", "80:80", "busybox"), "invalid port format for --expose: 80:80", 125 },
        { A("run", "--expose", "abc", "busybox"), "invalid range format for --expose: abc, error: strconv.ParseUint: parsing \"abc\": invalid syntax", 125 },
        { A("run", "--expose", "90-80", "busybox"), "invalid range format for --expose: 90-80, error: invalid range specified for port: 90-80", 125 },
        { A("run", "--pid", "foo", "busybox"), "--pid: invalid PID mode", 125 },
        { A("run", "--pid", "container:", "busybox"), "--pid: invalid PID mode", 125 },
        { A("run", "--uts", "foo", "busybox"), "--uts: invalid UTS mode", 125 },
        { A("run", "--userns", "foo", "busybox"), "--userns: invalid USER mode", 125 },
        { A("run", "--cgroupns", "foo", "busybox"), "--cgroupns: invalid CGROUP mode", 125 },
        { A("run", "--log-driver", "none", "--log-opt", "a=b", "busybox"), "invalid logging opts for driver none", 125 },
        { A("run", "--security-opt", "foo", "busybox"), "Invalid --security-opt: \"foo\"", 125 },
        { A("run", "--security-opt", "seccomp=", "busybox"), "Invalid --security-opt: \"seccomp=\"", 125 },
        { A("run", "--security-opt", "seccomp=/nonexist", "busybox"), "opening seccomp profile (/nonexist) failed: open /nonexist: no such file or directory", 125 },
        { A("run", "--no-healthcheck", "--health-cmd", "x", "busybox"), "--no-healthcheck conflicts with --health-* options", 125 },
        { A("run", "--env-file", "/nonexist", "busybox"), "open /nonexist: no such file or directory", 125 },
        { A("run", "--env-file", "bad.env", "busybox"), "invalid env file (bad.env): no variable name on line '=bad'", 125 },
        { A("run", "--env-file", "ws.env", "busybox"), "invalid env file (ws.env): variable 'A B' contains whitespaces", 125 },
        { A("run", "--env-file", "utf.env", "busybox"), "invalid env file (utf.env): invalid utf8 bytes at line 1: [65 61 255 254]", 125 },
        { A("run", "--env-file", "dir", "busybox"), "invalid env file (dir): read dir: is a directory", 125 },
        { A("run", "--label-file", "/nonexist", "busybox"), "open /nonexist: no such file or directory", 125 },
        { A("run", "--storage-opt", "x", "busybox"), "invalid storage option", 125 },
        { A("run", "--device", "/dev/a:/dev/b:rx", "busybox"), "bad mode specified: rx", 125 },
        { A("run", "--device", "a", "busybox"), "a is not an absolute path", 125 },
        { A("run", "--device", "/dev/a:b", "busybox"), "b is not an absolute path", 125 },
        { A("run", "--device", "/dev/a:b:c:d", "busybox"), "bad format for path: /dev/a:b:c:d", 125 },
        { A("run", "--mac-address", "xx", "busybox"), "xx is not a valid mac address", 125 },
        { A("run", "--network-alias", "foo", "busybox"), "network-scoped aliases are only supported for user-defined networks", 125 },
        { A("run", "--network", "host", "--network-alias", "foo", "busybox"), "network-scoped aliases are only supported for user-defined networks", 125 },
        { A("run", "--network", "a", "--network", "a", "busybox"), "network \"a\" is specified multiple times", 125 },
        { A("run", "--network", "a", "--network", "host", "busybox"), "conflicting options: cannot attach both user-defined and non-user-defined network-modes", 125 },
        { A("run", "--network", "mynet", "--mac-address", "zz", "busybox"), "zz is not a valid mac address", 125 },
        { A("run", "-d", "-a", "stdout", "busybox"), "conflicting options: cannot specify both --attach and --detach", 1 },
        { A("run", "--pull", "foo", "busybox"), "invalid pull option: 'foo': must be one of \"always\", \"missing\" or \"never\"", 125 },
        { A("run", "--cpu-count", "2", "busybox"), "\"--cpu-count\" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux", 1 },
        { A("run", "--io-maxiops", "2", "--cpu-percent", "3", "busybox"), "\"--cpu-percent\" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux\n\"--io-maxiops\" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux", 1 },
        { A("create", "-d", "busybox"), "unknown shorthand flag: 'd' in -d", 125 },
        { A("create", "--sig-proxy=false", "busybox"), "unknown flag: --sig-proxy", 125 },
        { A("run", "-v", "", "busybox"), "invalid empty volume spec", 125 },
        { A("run", "-v", "/a::/b", "busybox"), "invalid spec: /a::/b: empty section between colons", 125 },
        { A("run", "-v", "/a:/b:ro:x", "busybox"), "invalid spec: /a:/b:ro:x: too many colons", 125 },
        { A("run", "--oom-score-adj", "1.5", "busybox"), "invalid argument \"1.5\" for \"--oom-score-adj\" flag: strconv.ParseInt: parsing \"1.5\": invalid syntax", 125 },
        { A("run", "--stop-timeout", "x", "busybox"), "invalid argument \"x\" for \"--stop-timeout\" flag: strconv.ParseInt: parsing \"x\": invalid syntax", 125 },
        { A("run", "--shm-size", "1z", "busybox"), "invalid argument \"1z\" for \"--shm-size\" flag: invalid suffix: 'z'", 125 },
        { A("run", "--memory-swap", "abc", "busybox"), "invalid argument \"abc\" for \"--memory-swap\" flag: invalid size: 'abc'", 125 },
        { A("run", "--kernel-memory", "x", "busybox"), "invalid argument \"x\" for \"--kernel-memory\" flag: invalid size: 'x'", 125 },
        { A("run", "--io-maxbandwidth", "1x", "busybox"), "invalid argument \"1x\" for \"--io-maxbandwidth\" flag: invalid suffix: 'x'", 125 },
        { A("run", "-e=", "busybox"), "invalid argument \"=\" for \"-e, --env\" flag: invalid environment variable: =", 125 },
        { A("run", "--gpus", "options=\"a", "busybox"), "invalid argument \"options=\\\"a\" for \"--gpus\" flag: parse error on line 1, column 9: bare \" in non-quoted-field", 125 },
        { A("run", "--help=foo", "busybox"), "invalid argument \"foo\" for \"--help\" flag: strconv.ParseBool: parsing \"foo\": invalid syntax", 125 },
        { A("run", "-c", "99999999999999999999", "busybox"), "invalid argument \"99999999999999999999\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"99999999999999999999\": value out of range", 125 },
        { A("run", "-c", "0b102", "busybox"), "invalid argument \"0b102\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"0b102\": invalid syntax", 125 },
        { A("run", "--health-interval", "1.5.5s", "busybox"), "invalid argument \"1.5.5s\" for \"--health-interval\" flag: time: missing unit in duration \"1.5.5s\"", 125 },
        { A("run", "--health-interval", "9999999999h", "busybox"), "invalid argument \"9999999999h\" for \"--health-interval\" flag: time: invalid duration \"9999999999h\"", 125 },
};

/* docker 28.2.2's body for `docker create busybox`, keys sorted. */
static const char default_body[] =
        "{\"AttachStderr\":true,\"AttachStdin\":false,\"AttachStdout\":true,\"Cmd\":null,\"Domainname\""
        ":\"\",\"Entrypoint\":null,\"Env\":null,\"HostConfig\":{\"AutoRemove\":false,\"Binds\":null,\"Blki"
        "oDeviceReadBps\":[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteBps\":[],\"BlkioDeviceWri"
        "teIOps\":[],\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"CapAdd\":null,\"CapDrop\":null,\"Cgro"
        "up\":\"\",\"CgroupParent\":\"\",\"CgroupnsMode\":\"\",\"ConsoleSize\":[0,0],\"ContainerIDFile\":\"\","
        "\"CpuCount\":0,\"CpuPercent\":0,\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRea"
        "ltimeRuntime\":0,\"CpuShares\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\",\"DeviceCgroupRules\":nu"
        "ll,\"DeviceRequests\":null,\"Devices\":[],\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"Extra"
        "Hosts\":null,\"GroupAdd\":null,\"IOMaximumBandwidth\":0,\"IOMaximumIOps\":0,\"IpcMode\":\"\",\"I"
        "solation\":\"\",\"Links\":null,\"LogConfig\":{\"Config\":{},\"Type\":\"\"},\"MaskedPaths\":null,\"Me"
        "mory\":0,\"MemoryReservation\":0,\"MemorySwap\":0,\"MemorySwappiness\":-1,\"NanoCpus\":0,\"Net"
        "workMode\":\"default\",\"OomKillDisable\":false,\"OomScoreAdj\":0,\"PidMode\":\"\",\"PidsLimit\":"
        "0,\"PortBindings\":{},\"Privileged\":false,\"PublishAllPorts\":false,\"ReadonlyPaths\":null,"
        "\"ReadonlyRootfs\":false,\"RestartPolicy\":{\"MaximumRetryCount\":0,\"Name\":\"no\"},\"Security"
        "Opt\":null,\"ShmSize\":0,\"UTSMode\":\"\",\"Ulimits\":[],\"UsernsMode\":\"\",\"VolumeDriver\":\"\",\"V"
        "olumesFrom\":null},\"Hostname\":\"\",\"Image\":\"busybox\",\"Labels\":{},\"NetworkingConfig\":{\"E"
        "ndpointsConfig\":{\"default\":{\"Aliases\":null,\"DNSNames\":null,\"DriverOpts\":null,\"Endpoi"
        "ntID\":\"\",\"Gateway\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"GwPriority\":0,"
        "\"IPAMConfig\":null,\"IPAddress\":\"\",\"IPPrefixLen\":0,\"IPv6Gateway\":\"\",\"Links\":null,\"MacA"
        "ddress\":\"\",\"NetworkID\":\"\"}}},\"OnBuild\":null,\"OpenStdin\":false,\"StdinOnce\":false,\"Tty"
        "\":false,\"User\":\"\",\"Volumes\":{},\"WorkingDir\":\"\"}";

static char cwd[4096];

static void write_fixture(const char *name, const char *content)
{
        FILE *f = fopen(name, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

static int setup_fixtures(void **state)
{
        char tmpl[] = "/tmp/test-run-flags-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        assert_int_equal(chdir(tmpl), 0);
        assert_non_null(getcwd(cwd, sizeof(cwd)));
        write_fixture("env.list", "FOO=bar\n# comment\n  BAZ=qux  \nHOME\nUNSETVAR_X\n\xef\xbb\xbf\n");
        write_fixture("bad.env", "=bad\n");
        write_fixture("ws.env", "A B=c\n");
        write_fixture("utf.env", "A=\xff\xfe\n");
        write_fixture("labels", "l1=v1\nl2\n");
        write_fixture("sec.json", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [ { "
                                  "\"names\": [\"a b\"], \"action\": \"SCMP_ACT_ERRNO\" } ],\n \"n\": 1.0e2\n}\n");
        write_fixture("badsec.json", "{\"a\": }");
        assert_int_equal(mkdir("dir", 0755), 0);
        setenv("LADE_TEST_VAR", "val", 1);
        setenv("HOME", "/root", 1);
        unsetenv("UNSETVAR_X");
        unsetenv("DOCKER_DEFAULT_PLATFORM");
        return 0;
}

static int teardown_fixtures(void **state)
{
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s", cwd);
        assert_int_equal(chdir("/"), 0);
        (void) rm_rf_at(AT_FDCWD, dir);
        return 0;
}

static char *argv_string(const char *const *argv)
{
        char *s = xstrdup("");
        for (size_t i = 0; argv[i]; i++) {
                char *n = xasprintf("%s%s'%s'", s, i ? " " : "", argv[i]);
                free(s);
                s = n;
        }
        return s;
}

static int parse(const char *const *argv, RunFlags *f, LadeError **err)
{
        int argc = 0;
        while (argv[argc])
                argc++;
        return run_flags_parse(argc, (char **) argv, f, err);
}

static json_t *subtree(json_t *body, const char *path)
{
        _cleanup_free_ char *p = xstrdup(path);
        json_t *j = body;
        char *save = NULL;
        for (char *k = strtok_r(p, "/", &save); k && j; k = strtok_r(NULL, "/", &save))
                j = json_object_get(j, k);
        return j;
}

/* The expected text with @CWD@ replaced by the fixture directory. */
static char *expand_cwd(const char *s)
{
        char *out = xstrdup("");
        for (const char *p = s; *p;) {
                const char *at = strstr(p, "@CWD@");
                size_t n = at ? (size_t) (at - p) : strlen(p);
                char *m = xasprintf("%s%.*s%s", out, (int) n, p, at ? cwd : "");
                free(out);
                out = m;
                p += n + (at ? 5 : 0);
        }
        return out;
}

static bool check_valid(const ValidCase *c)
{
        _cleanup_free_ char *args = argv_string(c->argv);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        RunFlags f = {};
        if (parse(c->argv, &f, &err) < 0) {
                print_error("%s: unexpected error: %s\n", args, lade_error_message(err));
                return false;
        }
        json_t *got = subtree(f.body, c->path);
        bool ok;
        if (!c->json)
                ok = got == NULL;
        else {
                _cleanup_free_ char *text = expand_cwd(c->json);
                _cleanup_json_ json_t *want = json_loads(text, JSON_DECODE_ANY, NULL);
                ok = want && got && json_equal(got, want);
        }
        if (!ok) {
                _cleanup_free_ char *g = got ? json_dump_compact(got) : xstrdup("<absent>");
                print_error("%s: %s: got %s, want %s\n", args, c->path, g, c->json ?: "<absent>");
        }
        run_flags_done(&f);
        return ok;
}

static void test_valid_table(void **state)
{
        size_t bad = 0;
        for (size_t i = 0; i < ELEMENTSOF(valid_cases); i++)
                bad += !check_valid(&valid_cases[i]);
        print_message("%zu body fragments checked\n", ELEMENTSOF(valid_cases));
        assert_int_equal(bad, 0);
}

/* Runs run_flags_print_error with stderr sent to /dev/null; returns its exit status. */
static int print_status(const char *verb, const LadeError *err)
{
        fflush(stderr);
        int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        dup2(null, STDERR_FILENO);
        int status = run_flags_print_error(verb, err);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(null);
        return status;
}

static bool check_error(const ErrorCase *c)
{
        _cleanup_free_ char *args = argv_string(c->argv);
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        RunFlags f = {};
        int r = parse(c->argv, &f, &err);
        if (r >= 0) {
                print_error("%s: parsed, want error \"%s\"\n", args, c->message);
                run_flags_done(&f);
                return false;
        }
        if (!streq(lade_error_message(err), c->message)) {
                print_error("%s:\n  got  \"%s\"\n  want \"%s\"\n", args, lade_error_message(err), c->message);
                return false;
        }
        int status = print_status(c->argv[0], err);
        if (status != c->status) {
                print_error("%s: exit status %d, want %d\n", args, status, c->status);
                return false;
        }
        return true;
}

static void test_error_table(void **state)
{
        size_t bad = 0;
        for (size_t i = 0; i < ELEMENTSOF(error_cases); i++)
                bad += !check_error(&error_cases[i]);
        print_message("%zu error messages checked\n", ELEMENTSOF(error_cases));
        assert_int_equal(bad, 0);
}

typedef struct PrintCase {
        const char *const *argv;
        const char *output;   /* docker's stderr, byte for byte */
        int status;
} PrintCase;

static const PrintCase print_cases[] = {
        { A("run", "--bogus", "x"), "unknown flag: --bogus\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'docker run --help' for more information\n", 125 },
        { A("create"), "docker: 'docker create' requires at least 1 argument\n\nUsage:  docker create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nSee 'docker create --help' for more information\n", 1 },
        { A("run", "--pull", "foo", "busybox"), "docker: invalid pull option: 'foo': must be one of \"always\", \"missing\" or \"never\"\n\nRun 'docker run --help' for more information\n", 125 },
        { A("run", "--cpu-count", "2", "busybox"), "\"--cpu-count\" is only supported on a Docker daemon running on windows, but the Docker daemon is running on linux\n", 1 },
        { A("run", "-d", "-a", "stdout", "busybox"), "conflicting options: cannot specify both --attach and --detach\n", 1 },
        { A("create", "-m", "abc", "busybox"), "invalid argument \"abc\" for \"-m, --memory\" flag: invalid size: 'abc'\n\nUsage:  docker create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'docker create --help' for more information\n", 125 },
};

/* run_flags_print_error's stderr, read back through a pipe. */
static char *printed(const char *verb, const LadeError *err, int *status)
{
        int p[2];
        char buf[4096];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        dup2(p[1], STDERR_FILENO);
        *status = run_flags_print_error(verb, err);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(p[1]);
        ssize_t n = read_all(p[0], buf, sizeof(buf) - 1);
        close(p[0]);
        assert_true(n >= 0);
        buf[n] = '\0';
        return xstrdup(buf);
}

static void test_print_error(void **state)
{
        for (size_t i = 0; i < ELEMENTSOF(print_cases); i++) {
                _cleanup_(lade_error_freep) LadeError *err = NULL;
                RunFlags f = {};
                int status;
                assert_true(parse(print_cases[i].argv, &f, &err) < 0);
                _cleanup_free_ char *out = printed(print_cases[i].argv[0], err, &status);
                assert_string_equal(out, print_cases[i].output);
                assert_int_equal(status, print_cases[i].status);
        }
}

static void test_default_body(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_json_ json_t *want = json_loads(default_body, 0, NULL);
        RunFlags f = {};
        assert_int_equal(parse(A("create", "busybox"), &f, &err), 0);
        assert_non_null(want);
        if (!json_equal(f.body, want)) {
                _cleanup_free_ char *got = json_dumps(f.body, JSON_COMPACT | JSON_SORT_KEYS);
                print_error("got  %s\nwant %s\n", got, default_body);
                fail();
        }
        run_flags_done(&f);
}

static void test_result_fields(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        RunFlags f = {};
        assert_int_equal(parse(A("run", "-dit", "--rm", "--name", "web", "--pull=always", "--platform",
                                 "linux/arm64", "--detach-keys", "ctrl-p,q", "--sig-proxy=false", "-q",
                                 "busybox"), &f, &err), 0);
        assert_true(f.detach && f.interactive && f.tty && f.rm && f.quiet && !f.sig_proxy && !f.help);
        assert_string_equal(f.name, "web");
        assert_string_equal(f.pull, "always");
        assert_string_equal(f.platform, "linux/arm64");
        assert_string_equal(f.detach_keys, "ctrl-p,q");
        assert_null(f.attach[0]);
        run_flags_done(&f);

        assert_int_equal(parse(A("create", "-a", "STDIN", "-a", "stdout", "busybox"), &f, &err), 0);
        assert_false(f.detach || f.rm || f.interactive || f.tty || f.quiet);
        assert_true(f.sig_proxy);
        assert_null(f.name);
        assert_null(f.platform);
        assert_null(f.detach_keys);
        assert_string_equal(f.pull, "missing");
        assert_string_equal(f.attach[0], "stdin");
        assert_string_equal(f.attach[1], "stdout");
        assert_null(f.attach[2]);
        run_flags_done(&f);
}

static void test_help(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        RunFlags f = {};
        /* --help wins over a missing IMAGE, as cobra checks it first */
        assert_int_equal(parse(A("run", "--rm", "--help"), &f, &err), 0);
        assert_true(f.help);
        assert_null(f.body);
        run_flags_done(&f);
        assert_int_equal(parse(A("run", "--help=false", "busybox"), &f, &err), 0);
        assert_false(f.help);
        assert_non_null(f.body);
        run_flags_done(&f);
        /* after IMAGE, --help belongs to the command */
        assert_int_equal(parse(A("run", "busybox", "--help"), &f, &err), 0);
        assert_false(f.help);
        run_flags_done(&f);
}

/* -e NAME with NAME unset is sent bare (the daemon then removes NAME from the image's env);
 * --env-file drops it. DOCKER_DEFAULT_PLATFORM is --platform's default. */
static void test_environment(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_json_ json_t *want = json_pack("[s,s]", "UNSETVAR_X", "LADE_TEST_VAR=val");
        RunFlags f = {};
        assert_int_equal(parse(A("create", "-e", "UNSETVAR_X", "-e", "LADE_TEST_VAR", "busybox"), &f, &err), 0);
        assert_true(json_equal(json_object_get(f.body, "Env"), want));
        run_flags_done(&f);
        setenv("DOCKER_DEFAULT_PLATFORM", "linux/s390x", 1);
        assert_int_equal(parse(A("create", "busybox"), &f, &err), 0);
        unsetenv("DOCKER_DEFAULT_PLATFORM");
        assert_string_equal(f.platform, "linux/s390x");
        run_flags_done(&f);
}

static void test_limits(void **state)
{
        _cleanup_(lade_error_freep) LadeError *err = NULL;
        _cleanup_free_ char *big = xmalloc(2 * 1024 * 1024);
        RunFlags f = {};
        memset(big, 'a', 2 * 1024 * 1024 - 1);
        big[2 * 1024 * 1024 - 1] = '\0';
        assert_true(parse(A("run", "--name", big, "busybox"), &f, &err) < 0);
        err = lade_error_free(err);
        assert_true(parse(A("run", "-p", "1-65535", "-p", "1-65535", "-p", "1-65535", "-p", "1-65535",
                            "-p", "1-65535", "busybox"), &f, &err) < 0);
        assert_string_equal(lade_error_message(err), "too many published ports (more than 262144)");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_table),
                cmocka_unit_test(test_error_table),
                cmocka_unit_test(test_print_error),
                cmocka_unit_test(test_default_body),
                cmocka_unit_test(test_result_fields),
                cmocka_unit_test(test_help),
                cmocka_unit_test(test_environment),
                cmocka_unit_test(test_limits),
        };
        return cmocka_run_group_tests(tests, setup_fixtures, teardown_fixtures);
}
