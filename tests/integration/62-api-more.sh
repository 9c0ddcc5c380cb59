#!/bin/bash
# `lade serve`: volumes, a container's filesystem (diff, export, cp both ways, commit) and
# build, driven by the docker CLI (the classic builder of the docker 20.10 CLI for build), the
# Python SDK and curl; the authorization policy on archive uploads, builds and volume binds;
# the audit log summarises tar bodies without their content.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
for t in curl docker jq nft ip setpriv tar base64 python3; do
        command -v $t >/dev/null || { echo "SKIP: $t is needed"; exit 77; }
done
DOCKER20=/usr/bin/docker
[ -x "$DOCKER20" ] || { echo "SKIP: the docker 20.10 CLI ($DOCKER20) is needed"; exit 77; }
export DOCKER_CONFIG=$T/docker-config
R=$T/api
SOCK=$T/sock/lade.sock
export DOCKER_HOST=unix://$SOCK
SERVE_PID=
lade() { "$LADE" --root "$R" "$@"; }
d() { timeout -s KILL 120 docker "$@"; }
d20() { DOCKER_BUILDKIT=0 timeout -s KILL 300 "$DOCKER20" "$@"; }
# api [curl args…] URL-PATH: prints the body, then the status on the last line
api() { curl -s --unix-socket "$SOCK" -w '\n%{http_code}' "${@:1:$#-1}" "http://lade${!#}"; }
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }
as() { local who=$1; shift; setpriv --reuid="$who" --regid=65534 --clear-groups "$@"; }

stop_all() {
        for c in $(lade ps -aq 2>/dev/null); do lade rm -f "$c" >/dev/null 2>&1; done
        [ -n "$SERVE_PID" ] && { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
        lade network prune -f >/dev/null 2>&1
        cleanup   # lib.sh: the test's own nftables table, bridge and veths (lade_isolate)
}
trap stop_all EXIT
chmod 711 "$T"
mkdir -p "$R" "$T/sock" "$T/shared"
lade load -i "$BUSYBOX_IMAGE" >/dev/null
cat >"$T/authz.json" <<EOF2
{"rules": [
  {"users": ["root"], "access": "full"},
  {"users": ["12345"], "access": "read-only"},
  {"users": ["23456"], "access": "full", "deny": ["bind-mounts"], "allowed_bind_paths": ["$T/shared"]}
]}
EOF2
"$LADE" --root "$R" serve -H "unix://$SOCK" -G "" --authz "$T/authz.json" --audit-log "$T/audit.log" \
        2>"$T/serve.log" &
SERVE_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
check "the server listens" test -S "$SOCK"

# ---- volumes ----
expect_eq "volume create" "v1" "$(d volume create v1)"
expect_eq "volume create with a label and tmpfs options" "v2" \
        "$(d volume create --label team=a -o type=tmpfs -o device=tmpfs -o o=size=16m v2)"
expect_eq "volume ls" "v1 v2" "$(d volume ls -q | tr '\n' ' ' | sed 's/ $//')"
expect_eq "volume ls --filter label" "v2" "$(d volume ls -q --filter label=team=a)"
expect_eq "volume inspect" "v1 local $R/volumes/v1/_data" \
        "$(d volume inspect -f '{{.Name}} {{.Driver}} {{.Mountpoint}}' v1)"
expect_eq "... options" "tmpfs" "$(d volume inspect -f '{{index .Options "type"}}' v2)"
out=$(d volume inspect nope 2>&1)
expect_eq "volume inspect of a missing volume fails" 1 $?
expect_contains "... no such volume" "no such volume" "$out"
out=$(api /v1.48/volumes)
expect_eq "GET /volumes: Docker's shape" "2 []" "$(body "$out" | jq -r '"\(.Volumes | length) \(.Warnings | tojson)"')"
out=$(api -X POST -H 'Content-Type: application/json' -d '{"Name":"../x"}' /v1.48/volumes/create)
expect_eq "a bad volume name is 400" 400 "$(status "$out")"
expect_contains "... naming it" "includes invalid characters" "$(body "$out")"
out=$(api -X POST -H 'Content-Type: application/json' -d '{"Name":"v9","Labels":[1]}' /v1.48/volumes/create)
expect_eq "a body of the wrong type is 400" 400 "$(status "$out")"
expect_eq "volume contents survive a container" "kept" \
        "$(d run --rm -v v1:/data busybox sh -c 'echo kept >/data/f' && d run --rm -v v1:/data busybox cat /data/f)"
d create --name holder -v v1:/data busybox true >/dev/null
out=$(d volume rm v1 2>&1)
expect_eq "volume rm of a volume in use fails" 1 $?
expect_contains "... in use" "volume is in use" "$out"
d rm holder >/dev/null
expect_eq "volume rm" "v1" "$(d volume rm v1)"
d volume rm -f nope >/dev/null 2>&1
expect_eq "volume rm -f of a missing volume succeeds" 0 $?
anon=$(d volume create)
check "an anonymous volume has a 64-hex name" test ${#anon} = 64
out=$(d volume prune -f)
expect_contains "volume prune removes the anonymous volume" "$anon" "$out"
expect_eq "... and keeps the named one" "v2" "$(d volume ls -q)"
d volume create v3 >/dev/null
out=$(d volume prune -af)
expect_contains "volume prune -a removes named volumes too" "v3" "$out"
expect_eq "... but not one with driver options" "v2" "$(d volume ls -q)"
d volume rm v2 >/dev/null

# ---- a container's filesystem: diff, cp, export, commit ----
d run -d --name fs busybox sh -c 'echo hi >/tmp/new; rm /etc/group; mkdir /data; sleep 600' >/dev/null
for _ in $(seq 50); do d exec fs test -d /data 2>/dev/null && break; sleep 0.1; done
out=$(d diff fs)
expect_contains "diff: an added file" "A /tmp/new" "$out"
expect_contains "diff: a changed directory" "C /tmp" "$out"
expect_contains "diff: a deleted file" "D /etc/group" "$out"
expect_eq "GET changes: Docker's kinds" "1" "$(body "$(api /v1.48/containers/fs/changes)" | jq -r '.[] | select(.Path=="/tmp/new") | .Kind')"
echo to-container >"$T/in.txt"
mkdir -p "$T/dir/sub" && echo deep >"$T/dir/sub/f"
d cp "$T/in.txt" fs:/data/
expect_eq "cp host -> container (a file)" "to-container" "$(d exec fs cat /data/in.txt)"
d cp "$T/dir" fs:/data/dir
expect_eq "cp host -> container (a directory)" "deep" "$(d exec fs cat /data/dir/sub/f)"
mkdir -p "$T/out"
d cp fs:/tmp/new "$T/out/"
expect_eq "cp container -> host (a file)" "hi" "$(cat "$T/out/new" 2>&1)"
d cp fs:/data/dir "$T/out/dir"
expect_eq "cp container -> host (a directory)" "deep" "$(cat "$T/out/dir/sub/f" 2>&1)"
expect_eq "cp container -> stdout is a tar" "new" "$(d cp fs:/tmp/new - | tar t)"
out=$(d cp fs:/nonexistent "$T/out/x" 2>&1)
expect_eq "cp of a missing path fails" 1 $?
expect_contains "... Could not find the file" "Could not find the file" "$out"
hdr=$(curl -s -I --unix-socket "$SOCK" "http://lade/v1.48/containers/fs/archive?path=/tmp/new" |
        tr -d '\r' | sed -n 's/^X-Docker-Container-Path-Stat: //Ip')
expect_eq "HEAD archive: the stat header" "new 3" "$(base64 -d <<<"$hdr" | jq -r '"\(.name) \(.size)"')"
expect_eq "GET archive without a path is 400" 400 "$(status "$(api /v1.48/containers/fs/archive)")"
out=$(api "/v1.48/containers/fs/archive?path=/nope")
expect_eq "GET archive of a missing path is 404" 404 "$(status "$out")"
out=$(api "/v1.48/containers/nope/export")
expect_eq "export of a missing container is 404" 404 "$(status "$out")"
list=$(d export fs | tar t)
expect_contains "export | tar t: the image's files" "bin/busybox" "$list"
expect_contains "... and the container's" "tmp/new" "$list"
id=$(d commit -c 'ENV FOO=bar' -m 'a message' -a 'me' fs committed:1)
expect_contains "commit prints the id" "sha256:" "$id"
expect_eq "commit: the image has the container's files and the change" "hi bar" \
        "$(d run --rm committed:1 sh -c 'echo $(cat /tmp/new) $FOO')"
expect_eq "commit: the author" "me" "$(d image inspect -f '{{.Author}}' committed:1)"
expect_eq "commit: the comment in the history" "a message" "$(d history --format '{{.Comment}}' committed:1 | head -n1)"
out=$(api -X POST "/v1.48/commit?container=nope")
expect_eq "commit of a missing container is 404" 404 "$(status "$out")"
out=$(api -X POST "/v1.48/commit")
expect_eq "commit without a container is 400" 400 "$(status "$out")"

# ---- build (the docker 20.10 CLI's classic builder) ----
mkdir -p "$T/ctx"
echo from-context >"$T/ctx/f"
cat >"$T/ctx/Dockerfile" <<'EOF2'
FROM busybox
ARG GREETING=none
RUN echo "built $GREETING" >/built && echo run-output
COPY f /f
LABEL stage=one
CMD ["sh", "-c", "cat /built /f"]
EOF2
out=$(d20 build -t built:1 --build-arg GREETING=hello --label via=api "$T/ctx" 2>&1)
expect_eq "docker build (classic) succeeds" 0 $?
expect_contains "... Step lines" "Step 1/" "$out"
expect_contains "... RUN output" "run-output" "$out"
expect_contains "... Successfully built" "Successfully built" "$out"
expect_contains "... Successfully tagged" "Successfully tagged built:1" "$out"
expect_eq "docker run of the built image" "built hello
from-context" "$(d run --rm built:1)"
expect_eq "the build's labels" "one api" "$(d image inspect -f '{{.Config.Labels.stage}} {{.Config.Labels.via}}' built:1)"
out=$(d20 build -t built:1 --build-arg GREETING=hello --label via=api "$T/ctx" 2>&1)
expect_contains "a second build uses the cache" "Using cache" "$out"
qid=$(d20 build -q -t built:1 --build-arg GREETING=hello --label via=api "$T/ctx" 2>&1)
expect_eq "build -q prints only the image id" "$(d image inspect -f '{{.Id}}' built:1)" "$qid"
printf 'FROM busybox\nRUN echo before-fail; exit 3\n' >"$T/ctx/Dockerfile.bad"
out=$(d20 build -f "$T/ctx/Dockerfile.bad" "$T/ctx" 2>&1)
check "a failing RUN fails the build (exit $?)" test $? != 0
expect_contains "... its output shown" "before-fail" "$out"
printf 'FRM busybox\n' >"$T/ctx/Dockerfile.bad"
out=$(d20 build -f "$T/ctx/Dockerfile.bad" "$T/ctx" 2>&1)
check "a bad Dockerfile fails the build (exit $?)" test $? != 0
expect_contains "... naming the problem" "FRM" "$out"
out=$(api -X POST -H 'Content-Type: application/x-tar' --data-binary @/dev/null "/v1.48/build?buildargs=%5B1%5D")
expect_eq "build with buildargs not an object is 400" 400 "$(status "$out")"
expect_contains "... dockerd's wording" "error reading build args" "$(body "$out")"
out=$(d builder prune -f 2>&1)
expect_contains "builder prune" "Total reclaimed space" "$out"
out=$(d20 build -t built:1 --build-arg GREETING=hello --label via=api "$T/ctx" 2>&1)
check "after prune the cache is gone" bash -c "! grep -q 'Using cache' <<<\"\$0\"" "$out"

# ---- the Python SDK ----
out=$(timeout -s KILL 120 python3 - "$T" <<'EOF2' 2>&1
import io, sys, tarfile, docker
t = sys.argv[1]
c = docker.from_env()
v = c.volumes.create("sdkvol", labels={"k": "v"})
assert v.name == "sdkvol" and c.volumes.get("sdkvol").attrs["Labels"] == {"k": "v"}
ctr = c.containers.get("fs")
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as tf:
    data = b"sdk-data\n"
    ti = tarfile.TarInfo("sdk.txt"); ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data))
assert ctr.put_archive("/data", buf.getvalue())
stream, stat = ctr.get_archive("/data/sdk.txt")
raw = b"".join(stream)
with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
    assert tf.extractfile("sdk.txt").read() == b"sdk-data\n"
assert stat["name"] == "sdk.txt" and stat["size"] == 9
img, logs = c.images.build(path=t + "/ctx", tag="sdkbuilt:1", buildargs={"GREETING": "sdk"})
assert any("Successfully built" in l.get("stream", "") for l in logs)
assert c.containers.run("sdkbuilt:1", remove=True).startswith(b"built sdk")
v.remove()
print("sdk-ok")
EOF2
)
expect_eq "Python SDK: volumes, put/get_archive, build" "sdk-ok" "$(tail -n1 <<<"$out")"

# ---- authorization and audit ----
chmod 0666 "$SOCK"   # open the door to test the policy behind it
tar -C "$T" -cf "$T/up.tar" in.txt
out=$(as 12345 curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X PUT -H 'Content-Type: application/x-tar' \
        --data-binary @"$T/up.tar" "http://lade/v1.48/containers/fs/archive?path=/root")
expect_eq "a read-only user cannot PUT an archive" 403 "$(status "$out")"
check "... nothing was written" bash -c "! docker exec fs test -e /root/in.txt"
tar -C "$T/ctx" -cf "$T/ctx.tar" .
out=$(as 12345 curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/x-tar' \
        --data-binary @"$T/ctx.tar" "http://lade/v1.48/build?t=ro:1&buildargs=%7B%22GREETING%22%3A%22s3cret%22%7D")
expect_eq "a read-only user cannot build" 403 "$(status "$out")"
expect_eq "... nothing was built" "" "$(d images -q ro:1)"
out=$(as 12345 curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" "http://lade/v1.48/containers/fs/archive?path=/tmp/new")
expect_eq "... but may read an archive" 200 "$out"
vol() { as 23456 curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
        -d "$1" http://lade/v1.48/volumes/create; }
out=$(vol '{"Name":"evil","DriverOpts":{"type":"none","o":"bind","device":"/etc"}}')
expect_eq "a volume binding /etc is denied by the policy" 403 "$(status "$out")"
expect_contains "... naming the path" "/etc" "$(body "$out")"
expect_eq "... nothing was created" "" "$(d volume ls -q --filter name=evil)"
mkdir -p "$T/shared/data"
out=$(vol '{"Name":"okbind","DriverOpts":{"type":"none","o":"bind","device":"'"$T"'/shared/data"}}')
expect_eq "a volume binding an allowed path is created" 201 "$(status "$out")"
out=$(api -X PUT -H 'Content-Type: application/x-tar' --data-binary @"$T/up.tar" "/v1.48/containers/fs/archive?path=/root")
expect_eq "root may PUT an archive" 200 "$(status "$out")"
expect_eq "... it is extracted" "to-container" "$(d exec fs cat /root/in.txt)"
out=$(api -X PUT -H 'Content-Type: application/x-tar' --data-binary @"$T/up.tar" "/v1.48/containers/nope/archive?path=/root")
expect_eq "PUT archive into a missing container is 404" 404 "$(status "$out")"
out=$(api -X PUT -H 'Content-Type: application/x-tar' --data-binary @"$T/up.tar" "/v1.48/containers/fs/archive?path=/tmp/new")
check "PUT archive onto a file is refused ($(status "$out"): $(body "$out"))" test "$(status "$out")" -ge 400
out=$(api -X PUT -H 'Content-Type: application/x-tar' --data-binary @"$T/up.tar" "/v1.48/containers/fs/archive")
expect_eq "PUT archive without a path is 400" 400 "$(status "$out")"
out=$(api -X POST -H 'Content-Type: application/x-tar' --data-binary @"$T/ctx.tar" \
        "/v1.48/build?t=audited:1&buildargs=%7B%22GREETING%22%3A%22s3cret%22%7D")
expect_eq "a build through curl" 200 "$(status "$out")"
expect_contains "... streams Docker's aux line" '"aux":{"ID":"sha256:' "$(body "$out")"
sleep 0.3   # the audit line is written when the request completes
put=$(jq -c 'select(.method=="PUT" and .query.path=="/root" and .status==200) | .body' "$T/audit.log")
expect_eq "audit: a PUT archive body is summarised" "$(stat -c %s "$T/up.tar") application/x-tar" \
        "$(jq -r '"\(.bytes) \(.content_type)"' <<<"$put")"
expect_eq "audit: the build (denied and allowed) is recorded" "403 200" \
        "$(jq -r 'select(.path == "/v1.48/build" and (.query.t == "ro:1" or .query.t == "audited:1")) | .status' "$T/audit.log" | tr '\n' ' ' | sed 's/ $//')"
check "audit: no build arg value, no tar content" bash -c "! grep -q -e s3cret -e to-container -e from-context '$T/audit.log'"

d rm -f fs >/dev/null
d volume rm okbind >/dev/null
check "the server is still alive" kill -0 "$SERVE_PID"
kill "$SERVE_PID"
wait "$SERVE_PID"
expect_eq "the server stops cleanly on SIGTERM" 0 $?
SERVE_PID=
check "the server reported no sanitizer error" bash -c "! grep -q -e 'runtime error' -e 'Sanitizer' '$T/serve.log'"
finish
