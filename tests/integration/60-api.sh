#!/bin/bash
# `lade serve`: the Docker Engine API on a unix socket, driven by curl and the real docker CLI
# (DOCKER_HOST=unix://…): versions, errors, limits, images end to end (load/save/tag/rmi/
# history/df, push and pull through a local docker-registry, login), the authorization policy
# (socket group, read-only users, create-body denials) and the audit log (no secrets in it).
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
for t in curl docker docker-registry htpasswd setpriv groupadd jq; do
        command -v $t >/dev/null || { echo "SKIP: $t is needed"; exit 77; }
done
export DOCKER_CONFIG=$T/docker-config
SERVE_PID=
REGS=()
GRP=ladet$$
stop_all() {
        for c in $("$LADE" --root "$T/api" ps -aq 2>/dev/null); do "$LADE" --root "$T/api" rm -f "$c" >/dev/null 2>&1; done
        [ -n "$SERVE_PID" ] && { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
        for p in "${REGS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        getent group "$GRP" >/dev/null && groupdel "$GRP"
        cleanup
}
trap stop_all EXIT

groupadd "$GRP" || { echo "SKIP: cannot create a test group"; exit 77; }
GID=$(getent group "$GRP" | cut -d: -f3)
mkdir -p "$T/shared" "$T/api"
chmod 711 "$T"   # the socket sits under it: others must reach it
SOCK=$T/api/lade.sock
export DOCKER_HOST=unix://$SOCK
cat >"$T/authz.json" <<EOF
{"rules": [
  {"users": ["root"], "access": "full"},
  {"users": ["12345"], "access": "read-only"},
  {"groups": ["$GRP"], "access": "full",
   "deny": ["privileged", "host-network", "host-pid", "cap-add", "bind-mounts"],
   "allowed_bind_paths": ["$T/shared"], "allowed_capabilities": ["NET_BIND_SERVICE"]}
]}
EOF

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_registry() {
        local name=$1 port
        port=$(free_port)
        mkdir -p "$T/$name"
        { printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$T/$name/data" "$port"; printf '%s' "${2:-}"; } >"$T/$name/config.yml"
        docker-registry serve "$T/$name/config.yml" >"$T/$name/log" 2>&1 &
        REGS+=($!)
        for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.05; done
        PORT=$port
}
# api [curl args…] URL-PATH: prints the body, then the status on the last line
api() { curl -s --unix-socket "$SOCK" -w '\n%{http_code}' "${@:1:$#-1}" "http://lade${!#}"; }
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }

htpasswd -Bbn lade s3cret >"$T/htpasswd"
start_registry plain
R=localhost:$PORT
start_registry auth "$(printf 'auth:\n  htpasswd:\n    realm: lade-test\n    path: %s\n' "$T/htpasswd")"
A=localhost:$PORT
"$LADE" --root "$T/api" --insecure-registry "$R" serve -G "$GRP" --authz "$T/authz.json" \
        --audit-log "$T/audit.log" 2>"$T/serve.log" &
SERVE_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
check "the socket exists" test -S "$SOCK"
expect_eq "socket mode 0660, group $GRP" "660 $GRP" "$(stat -c '%a %G' "$SOCK")"

# ---- protocol ----
hdr=$(curl -s -D - -o /dev/null --unix-socket "$SOCK" http://lade/_ping)
expect_contains "/_ping: 200" "200 OK" "$hdr"
expect_contains "/_ping: Api-Version" "Api-Version: 1.51" "$hdr"
expect_contains "/_ping: Docker-Experimental" "Docker-Experimental: false" "$hdr"
expect_contains "/_ping: OSType" "Ostype: linux" "$hdr"
expect_contains "HEAD /_ping" "200 OK" "$(curl -sI --unix-socket "$SOCK" http://lade/_ping)"
out=$(api /v1.48/version)
expect_eq "/version: 200" 200 "$(status "$out")"
expect_eq "/version: ApiVersion" "1.51 1.24" "$(body "$out" | jq -r '"\(.ApiVersion) \(.MinAPIVersion)"')"
expect_eq "/v1.51/ is served" 200 "$(status "$(api /v1.51/version)")"
out=$(api /v1.12/info)
expect_eq "too old a version: 400" 400 "$(status "$out")"
expect_contains "... Docker's message" "client version 1.12 is too old. Minimum supported API version is 1.24" "$(body "$out")"
out=$(api /v1.99/info)
expect_contains "too new a version: 400 and Docker's message" "client version 1.99 is too new. Maximum supported API version is 1.51" "$(body "$out")"
out=$(api /v1.52/info)
expect_eq "1.52 is refused" '400 client version 1.52 is too new. Maximum supported API version is 1.51' \
        "$(status "$out") $(body "$out" | jq -r .message)"
out=$(api /v1.48/nope)
expect_eq "unknown endpoint: 404 page not found" '404 {"message":"page not found"}' "$(status "$out") $(body "$out")"
out=$(api /v1.48/images/nosuch/json)
expect_eq "missing image: 404" 404 "$(status "$out")"
expect_contains "... No such image" "No such image: nosuch" "$(body "$out")"
out=$(api -X POST -H 'Content-Type: application/json' -d '{"username":' /v1.48/auth)
expect_eq "malformed JSON: 400" 400 "$(status "$out")"
expect_contains "... naming the body" "request body" "$(body "$out")"
out=$(api -X POST -H 'Content-Type: application/json' -d '[1]' /v1.48/containers/create)
expect_eq "a create body that is no object: 400" 400 "$(status "$out")"
head -c 2097152 /dev/zero | tr '\0' 'a' >"$T/big"
out=$(api -X POST -H 'Content-Type: application/json' --data-binary @"$T/big" /v1.48/auth)
expect_eq "a body over the limit: 413" 413 "$(status "$out")"
out=$(api -G --data-urlencode 'filters={"bogus":{"x":true}}' /v1.48/images/json)
expect_eq "an unknown filter: 400" '400 invalid filter '"'"'bogus'"'" "$(status "$out") $(body "$out" | jq -r .message)"
out=$(api -G --data-urlencode 'filters=notjson' /v1.48/images/json)
expect_eq "filters that are not JSON: 400" 400 "$(status "$out")"
check "the server survived all that" kill -0 "$SERVE_PID"

# ---- the docker CLI ----
# the docker CLI 28.2 speaks 1.50, 28.3-28.5 1.51: not above lade's 1.51, so no downgrade
cli_api=$(docker version --format '{{.Client.DefaultAPIVersion}}' 2>/dev/null)
if [ "${cli_api#1.}" -le 51 ] 2>/dev/null; then
        out=$(docker version --format '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Client.APIVersion}}' 2>&1)
        expect_eq "docker version: the server's 1.51, the client's own $cli_api" "1.51 1.24 $cli_api" "$out"
        out=$(docker version 2>&1)
        expect_contains "... shown as dockerd's" "API version:       $cli_api" "$out"
        check "... not downgraded" bash -c "! grep -q downgraded <<<\"\$1\"" _ "$out"
else
        expect_contains "docker version (CLI API $cli_api) negotiates down to 1.51" "1.51 (downgraded from $cli_api)" \
                "$(docker version 2>&1)"
fi
out=$(docker info --format '{{.Driver}} {{.Images}} {{.OSType}} {{.CgroupVersion}}' 2>&1)
expect_eq "docker info" "overlay2 0 linux $(stat -fc %T /sys/fs/cgroup | grep -q cgroup2 && echo 2 || echo 1)" "$out"
out=$(docker load -i "$BUSYBOX_IMAGE" 2>&1)
expect_eq "docker load" "Loaded image: busybox:latest" "$out"
id=$(docker image inspect -f '{{.Id}}' busybox)
expect_contains "docker image inspect" "sha256:" "$id"
expect_eq "docker images" "busybox latest" "$(docker images --format '{{.Repository}} {{.Tag}}')"
docker tag busybox lade/test:1
expect_eq "docker tag" "$id" "$(docker image inspect -f '{{.Id}}' lade/test:1)"
expect_eq "docker images --filter reference" "lade/test" "$(docker images --filter reference='lade/*' --format '{{.Repository}}')"
expect_eq "docker rmi untags" "Untagged: lade/test:1" "$(docker rmi lade/test:1)"
out=$(docker rmi lade/test:1 2>&1)
expect_contains "docker rmi of a missing tag fails" "No such image" "$out"
expect_contains "docker history" "busybox-static" "$(docker history --no-trunc busybox)"
expect_contains "docker system df" "Images          1" "$(docker system df)"
expect_eq "docker ps is empty" "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES" "$(docker ps)"
docker save busybox -o "$T/saved.tar"
check "docker save writes a tar" tar tf "$T/saved.tar" manifest.json
docker rmi busybox >/dev/null
expect_eq "rmi removed it" "" "$(docker images -q)"
out=$(docker save "$id" 2>/dev/null | wc -c)
expect_eq "save of a missing image writes nothing" 0 "$out"
out=$(cat "$T/saved.tar" | docker load)
expect_eq "docker save | docker load" "Loaded image: busybox:latest" "$out"
out=$(head -c 1000 "$T/saved.tar" | docker load 2>&1)
expect_eq "a truncated archive fails" 1 $?
expect_eq "... and leaves the store as it was" "busybox" "$(docker images --format '{{.Repository}}')"
pids=()
for _ in $(seq 30); do curl -s -o /dev/null --unix-socket "$SOCK" http://lade/v1.48/images/json & pids+=($!); done
for p in "${pids[@]}"; do wait "$p"; done
docker save busybox | head -c 1000 >/dev/null   # a client that leaves mid-stream
curl -s -m 1 --unix-socket "$SOCK" http://lade/v1.48/events >/dev/null   # and one that leaves an event stream
expect_eq "30 concurrent clients and clients leaving mid-stream: still serving" "busybox" "$(docker images --format '{{.Repository}}')"
timeout 5 docker events --since 1s --until "$(($(date +%s) + 1))" >/dev/null
expect_eq "docker events --until ends" 0 $?

# ---- registry round trip ----
docker tag busybox "$R/lade/bb:1"
out=$(docker push "$R/lade/bb:1" 2>&1)
expect_eq "docker push" 0 $?
expect_contains "... reports the digest" "1: digest: sha256:" "$out"
docker rmi "$R/lade/bb:1" busybox >/dev/null
out=$(docker pull "$R/lade/bb:1" 2>&1)
expect_eq "docker pull" 0 $?
expect_contains "... Docker's status line" "Status: Downloaded newer image for $R/lade/bb:1" "$out"
expect_eq "... the same image" "$id" "$(docker image inspect -f '{{.Id}}' "$R/lade/bb:1")"
out=$(docker pull "$R/lade/bb:nosuchtag" 2>&1)
expect_eq "pull of a missing tag fails" 1 $?
expect_contains "... naming it" "nosuchtag" "$out"
docker tag "$R/lade/bb:1" "$A/x/bb:1"
out=$(docker push "$A/x/bb:1" 2>&1)
expect_eq "push to an auth registry without login fails" 1 $?
out=$(echo wrong | docker login -u lade --password-stdin "$A" 2>&1)
expect_eq "docker login with a wrong password fails" 1 $?
out=$(echo s3cret | docker login -u lade --password-stdin "$A" 2>&1)
expect_contains "docker login (POST /auth)" "Login Succeeded" "$out"
out=$(docker push "$A/x/bb:1" 2>&1)
expect_eq "push with X-Registry-Auth" 0 $?
docker rmi "$A/x/bb:1" >/dev/null
docker pull -q "$A/x/bb:1" >/dev/null 2>&1
expect_eq "pull with X-Registry-Auth" "$id" "$(docker image inspect -f '{{.Id}}' "$A/x/bb:1" 2>&1)"

# ---- authorization ----
as() { local who=$1; shift; setpriv --reuid="$who" --regid=65534 --clear-groups "$@"; }
out=$(as nobody curl -s --unix-socket "$SOCK" http://lade/_ping 2>&1)
expect_eq "a user outside the socket's group cannot even connect" "" "$out"
chmod 0666 "$SOCK"   # open the door to test the policy behind it
out=$(as nobody curl -s -w '\n%{http_code}' --unix-socket "$SOCK" http://lade/v1.48/images/json)
expect_eq "a user the policy does not name: 403" 403 "$(status "$out")"
expect_contains "... with a clear message" "authorization denied: uid 65534" "$(body "$out")"
out=$(as 12345 curl -s -w '\n%{http_code}' --unix-socket "$SOCK" http://lade/v1.48/images/json)
expect_eq "a read-only user can list" 200 "$(status "$out")"
out=$(as 12345 curl -s -w '\n%{http_code}' -X POST --unix-socket "$SOCK" "http://lade/v1.48/images/$R/lade/bb:1/tag?repo=ro&tag=x")
expect_eq "... but not tag" 403 "$(status "$out")"
expect_contains "... read-only named" "read-only" "$(body "$out")"
expect_eq "... and nothing was tagged" "" "$(docker images -q ro:x)"
member() { setpriv --reuid=23456 --regid=65534 --groups="$GID" curl -s -w '\n%{http_code}' --unix-socket "$SOCK" \
        -X POST -H 'Content-Type: application/json' -d "$1" http://lade/v1.48/containers/create; }
out=$(member '{"Image":"busybox","HostConfig":{"Privileged":true}}')
expect_eq "a group member: privileged create is 403" 403 "$(status "$out")"
expect_contains "... naming privileged mode" "privileged mode is not allowed" "$(body "$out")"
out=$(member '{"Image":"busybox","HostConfig":{"Binds":["/etc:/host-etc"]}}')
expect_eq "... a bind of /etc is 403" 403 "$(status "$out")"
out=$(member '{"Image":"busybox","HostConfig":{"Binds":["'"$T"'/shared/../../../etc:/x"]}}')
expect_eq "... a bind escaping with .. is 403" 403 "$(status "$out")"
ln -s /etc "$T/shared/link"
out=$(member '{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"bind","Source":"'"$T"'/shared/link","Target":"/x"}]}}')
expect_eq "... a bind through a symlink out is 403" 403 "$(status "$out")"
out=$(member '{"Image":"busybox","HostConfig":{"NetworkMode":"host"}}')
expect_eq "... host network is 403" 403 "$(status "$out")"
out=$(member '{"Image":"busybox","HostConfig":{"CapAdd":["SYS_ADMIN"]}}')
expect_eq "... CapAdd SYS_ADMIN is 403" 403 "$(status "$out")"
out=$(member '{"Image":"busybox","HostConfig":{"CapAdd":["NET_BIND_SERVICE"],"Binds":["'"$T"'/shared/data:/d"]}}')
check "... an allowed cap and bind pass the policy (not 403: $(status "$out"))" test "$(status "$out")" != 403
out=$(api -X POST -H 'Content-Type: application/json' -d '{"Image":"busybox","HostConfig":{"Privileged":true}}' /v1.48/containers/create)
check "root may create privileged containers (not 403: $(status "$out"))" test "$(status "$out")" != 403

# ---- audit log ----
check "the audit log has lines" test -s "$T/audit.log"
check "every line is JSON" jq -e . "$T/audit.log" >/dev/null
expect_eq "denials are recorded" "403" "$(jq -r 'select(.decision=="deny" and .uid==65534) | .status' "$T/audit.log" | sort -u)"
expect_eq "... with the peer's command" "curl" "$(jq -r 'select(.uid==65534) | .comm' "$T/audit.log" | sort -u)"
expect_contains "the create bodies are summarised" '"Privileged":true' "$(jq -c 'select(.path=="/v1.48/containers/create") | .body' "$T/audit.log")"
expect_eq "/auth's password is redacted" "<redacted>" "$(jq -r 'select((.path | test("^/v1[.][0-9]+/auth$")) and .status==200) | .body.password' "$T/audit.log" | sort -u)"
check "no secret anywhere in the log" bash -c "! grep -q -e s3cret -e '$(printf 'lade:s3cret' | base64)' '$T/audit.log'"
check "no X-Registry-Auth value in the log" bash -c "! grep -qi registry-auth '$T/audit.log'"

# ---- stop ----
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
expect_eq "SIGTERM: a clean exit" 0 $?
SERVE_PID=
check "... the socket is gone" test ! -e "$SOCK"
check "the server reported no sanitizer error" bash -c "! grep -q -e 'runtime error' -e 'Sanitizer' '$T/serve.log'"
expect_contains "it said where it listened" "API listen on $SOCK" "$(cat "$T/serve.log")"
finish
