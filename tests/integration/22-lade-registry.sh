#!/bin/bash
# lade push / pull / login / logout against Debian's docker-registry on 127.0.0.1, read back by
# skopeo: the round trip of issue #3 (push -> rmi -> pull), with the store unchanged on errors.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
command -v docker-registry >/dev/null && command -v skopeo >/dev/null && command -v htpasswd >/dev/null ||
        { echo "SKIP: docker-registry, skopeo and htpasswd are needed"; exit 77; }
export DOCKER_CONFIG=$T/docker-config
lade() { "$LADE" --root "$T/lade" "$@"; }
REGS=()
trap 'for p in "${REGS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; cleanup' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_registry() {
        # start_registry NAME [auth-yaml]: sets PORT (no subshell, so the pid is remembered)
        local name=$1 port
        port=$(free_port)
        mkdir -p "$T/$name"
        { printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' "$T/$name/data" "$port"; printf '%s' "${2:-}"; } >"$T/$name/config.yml"
        docker-registry serve "$T/$name/config.yml" >"$T/$name/log" 2>&1 &
        REGS+=($!)
        for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.05; done
        PORT=$port
}

start_registry plain
R=localhost:$PORT
lade load -i "$BUSYBOX_IMAGE" >/dev/null
id=$(lade image inspect -f '{{.Id}}' busybox)
lade tag busybox "$R/lade/busybox:1"
out=$(lade push "$R/lade/busybox:1" 2>&1)
expect_eq "push to a plain-HTTP registry" 0 $?
sk=$(skopeo inspect --tls-verify=false "docker://$R/lade/busybox:1")
expect_eq "skopeo sees what lade pushed (same config digest)" "$id" "sha256:$(skopeo inspect --raw --tls-verify=false "docker://$R/lade/busybox:1" | jq -r .config.digest | cut -d: -f2)"
expect_eq "skopeo: architecture" "$(dpkg --print-architecture)" "$(jq -r .Architecture <<<"$sk")"
out=$(lade push "$R/lade/busybox:1" 2>&1)
expect_contains "pushing again skips existing blobs" "exists" "$out"
lade rmi "$R/lade/busybox:1" busybox >/dev/null
expect_eq "rmi emptied the store" "" "$(lade images -q)"
out=$(lade pull "$R/lade/busybox:1")
expect_contains "pull prints Docker's status" "Status: Downloaded newer image for $R/lade/busybox:1" "$out"
expect_eq "pull gives the same image id" "$id" "$(lade image inspect -f '{{.Id}}' "$R/lade/busybox:1")"
expect_eq "pull records the repo digest" "$R/lade/busybox@$(skopeo inspect --tls-verify=false "docker://$R/lade/busybox:1" | jq -r .Digest)" \
        "$(lade image inspect -f '{{json .RepoDigests}}' "$R/lade/busybox:1" | jq -r '.[0]')"
check "the pulled layer is unpacked" test -x "$(lade image inspect "$R/lade/busybox:1" | jq -r '.[0].GraphDriver.Data.UpperDir')/bin/busybox"

# what skopeo pushes (a multi-arch index: the host's platform and another), lade pulls and selects
skopeo copy -q --dest-tls-verify=false "docker-archive:$BUSYBOX_IMAGE" "docker://$R/other/bb:sk" 2>/dev/null
out=$(lade pull -q "$R/other/bb:sk" 2>&1)
expect_eq "lade pulls what skopeo pushed" "$R/other/bb:sk" "$out"

before=$(lade images -q | sort)
out=$(lade pull "$R/lade/busybox:nosuchtag" 2>&1)
expect_eq "pull of an unknown tag fails" 1 $?
expect_contains "... naming it" "nosuchtag" "$out"
expect_eq "... and leaves the store unchanged" "$before" "$(lade images -q | sort)"

# htpasswd basic auth: login stores credentials in the docker config format, logout removes them
htpasswd -Bbn lade s3cret >"$T/htpasswd"
start_registry auth "$(printf 'auth:\n  htpasswd:\n    realm: lade-test\n    path: %s\n' "$T/htpasswd")"
A=localhost:$PORT
lade tag busybox "$A/x/bb:1" 2>/dev/null || lade tag "$R/lade/busybox:1" "$A/x/bb:1"
out=$(lade push "$A/x/bb:1" 2>&1)
expect_eq "push without credentials fails" 1 $?
expect_contains "... as unauthorized" "unauthorized" "$out"
out=$(echo wrong | lade login -u lade --password-stdin "$A" 2>&1)
expect_eq "login with a wrong password fails" 1 $?
echo s3cret | lade login -u lade --password-stdin "$A" >/dev/null
expect_eq "login stores base64(user:pass) in config.json" "lade:s3cret" "$(jq -r ".auths[\"$A\"].auth" "$DOCKER_CONFIG/config.json" | base64 -d)"
lade push "$A/x/bb:1" >/dev/null 2>&1
expect_eq "push with stored credentials" 0 $?
lade logout "$A" >/dev/null
expect_eq "logout removes them" null "$(jq -c ".auths[\"$A\"]" "$DOCKER_CONFIG/config.json")"
finish
