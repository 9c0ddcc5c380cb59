#!/bin/bash
# The OCI distribution client (src/registry) through $REGISTRY_TOOL against real registries on
# 127.0.0.1: docker-registry over plain HTTP, over TLS (CA and client certificate from a certs.d
# dir) and with htpasswd basic auth; skopeo puts the images in and reads pushed ones back. A
# small python fake registry covers what a real one will not do on demand: 500s, dropped and
# stalled connections, ignored ranges, redirects, oversized answers and bearer tokens.
. "$(dirname "$0")/lib.sh"
REGISTRY_TOOL=${REGISTRY_TOOL:?set REGISTRY_TOOL to the registry-tool binary}
for b in docker-registry skopeo openssl htpasswd python3 jq; do
        command -v "$b" >/dev/null || { echo "SKIP: $b is not installed"; exit 77; }
done
# Everything stays on 127.0.0.1: no proxy may see it.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'

PIDS=()
stop_servers() {
        for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        PIDS=()
}
trap 'stop_servers; cleanup' EXIT

EMPTY_CERTS=$T/no-certs.d
mkdir -p "$EMPTY_CERTS"
# tool ARGS...: runs registry-tool (no system certs.d, no ~/.docker); output in $OUT/$ERR, code in $RC
tool() {
        "$REGISTRY_TOOL" --retry-delay 50 "$@" >"$T/out" 2>"$T/err"
        RC=$?
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
}
tl() { tool --certs-dir "$EMPTY_CERTS" --auth-file "$T/no-auth.json" "$@"; }
stat_of() { sed -n "s/.*stats:.* $1=\([0-9]*\).*/\1/p" <<<"$ERR"; }
field() { awk -v k="$1" '$1 == k { print $2 }' <<<"$OUT"; }
blobs_of() { "$REGISTRY_TOOL" ls-blobs "$1" | tr '\n' ' '; }

# store_ok DIR: every blob hashes to its name and no temp file is left
store_ok() {
        local f bad=0
        for f in "$1"/blobs/sha256/*; do
                [ -e "$f" ] || continue
                [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || bad=1
        done
        [ "$bad" = 0 ] && [ -z "$(ls -A "$1/blobs/tmp" 2>/dev/null)" ]
}
store_empty() { [ -z "$(blobs_of "$1")" ] && store_ok "$1"; }

free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {
        local i
        for i in $(seq 100); do
                (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
                sleep 0.1
        done
        echo "nothing listens on port $1"
        return 1
}

# ---- test images, built by hand as an OCI layout ----
OCI=$T/oci
mkdir -p "$OCI/blobs/sha256" "$T/work"
echo '{"imageLayoutVersion":"1.0.0"}' >"$OCI/oci-layout"
# oci_blob FILE: moves FILE into the layout; prints "digest size"
oci_blob() {
        local d s
        d=$(sha256sum "$1" | cut -d' ' -f1)
        s=$(stat -c %s "$1")
        mv "$1" "$OCI/blobs/sha256/$d"
        echo "sha256:$d $s"
}
LAYERS=()
DIFFS=()
oci_layer() {
        local tarf=$T/work/layer.tar
        tar -C "$1" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$tarf" .
        DIFFS+=("sha256:$(sha256sum "$tarf" | cut -d' ' -f1)")
        gzip -n -c "$tarf" >"$tarf.gz"
        rm "$tarf"
        LAYERS+=("$(oci_blob "$tarf.gz")")
}
mkdir -p "$T/work/l1/bin" "$T/work/l2/bin" "$T/work/l3/etc" "$T/work/l4/data"
cp "$(command -v busybox || echo /bin/sh)" "$T/work/l1/bin/busybox"
for a in sh ls cat echo; do ln -s busybox "$T/work/l2/bin/$a"; done
echo lade >"$T/work/l3/etc/hostname"
echo 'root:x:0:0:root:/root:/bin/sh' >"$T/work/l3/etc/passwd"
head -c 3000000 /dev/urandom >"$T/work/l4/data/random"   # > 1 chunk for the chunked push
for l in l1 l2 l3 l4; do oci_layer "$T/work/$l"; done
LAYERS_JSON=$(for l in "${LAYERS[@]}"; do
        set -- $l
        jq -n --arg d "$1" --argjson s "$2" \
                '{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s}'
done | jq -s .)
DIFFS_JSON=$(printf '%s\n' "${DIFFS[@]}" | jq -R . | jq -s .)
# oci_manifest ARCH [VARIANT]: config + manifest; prints "digest size"
oci_manifest() {
        local c
        jq -n --arg a "$1" --arg v "${2:-}" --argjson d "$DIFFS_JSON" \
                '{architecture: $a, os: "linux", config: {Cmd: ["/bin/sh"]},
                  rootfs: {type: "layers", diff_ids: $d}} + (if $v != "" then {variant: $v} else {} end)' \
                >"$T/work/config.json"
        c=$(oci_blob "$T/work/config.json")
        set -- $c
        jq -n --arg cd "$1" --argjson cs "$2" --argjson l "$LAYERS_JSON" \
                '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
                  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
                  layers: $l}' >"$T/work/manifest.json"
        oci_blob "$T/work/manifest.json"
}
read -r AMD64 AMD64_SIZE < <(oci_manifest amd64)
read -r ARM64 ARM64_SIZE < <(oci_manifest arm64 v8)
jq -n --arg d1 "$AMD64" --argjson s1 "$AMD64_SIZE" --arg d2 "$ARM64" --argjson s2 "$ARM64_SIZE" \
        '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
          {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d1, size: $s1,
           platform: {architecture: "amd64", os: "linux"}},
          {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d2, size: $s2,
           platform: {architecture: "arm64", os: "linux", variant: "v8"}}]}' >"$T/work/index.json"
read -r INDEX INDEX_SIZE < <(oci_blob "$T/work/index.json")
jq -n --arg d1 "$AMD64" --argjson s1 "$AMD64_SIZE" --arg di "$INDEX" --argjson si "$INDEX_SIZE" \
        '{schemaVersion: 2, manifests: [
          {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d1, size: $s1,
           annotations: {"org.opencontainers.image.ref.name": "single"}},
          {mediaType: "application/vnd.oci.image.index.v1+json", digest: $di, size: $si,
           annotations: {"org.opencontainers.image.ref.name": "multi"}}]}' >"$OCI/index.json"
AMD64_CONFIG=$(jq -r .config.digest "$OCI/blobs/sha256/${AMD64#sha256:}")
ARM64_CONFIG=$(jq -r .config.digest "$OCI/blobs/sha256/${ARM64#sha256:}")
read -r RANDOM_LAYER RANDOM_LAYER_SIZE <<<"${LAYERS[3]}"

# ---- TLS material: a CA, a server certificate for 127.0.0.1, a client certificate ----
PKI=$T/pki
mkdir -p "$PKI"
(
        cd "$PKI"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
                -subj "/CN=lade test CA"
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1"
        echo "subjectAltName=IP:127.0.0.1,DNS:localhost" >server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                -extfile server.ext -out server.crt
        openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=lade client"
        openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                -out client.cert
) >"$T/openssl.log" 2>&1 || { cat "$T/openssl.log"; exit 1; }
htpasswd -Bbn alice 's3cret pass' >"$T/htpasswd"

# start_registry NAME [tls] [auth]: docker-registry with its own storage; sets PORT
start_registry() {
        local dir=$T/$1
        PORT=$(free_port)
        mkdir -p "$dir/storage"
        {
                printf 'version: 0.1\nlog:\n  level: info\n'
                printf 'storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n' "$dir/storage"
                printf 'http:\n  addr: 127.0.0.1:%s\n' "$PORT"
                if [ "${2:-}" = tls ]; then
                        printf '  tls:\n    certificate: %s\n    key: %s\n' "$PKI/server.crt" "$PKI/server.key"
                        printf '    clientcas:\n      - %s\n' "$PKI/ca.crt"
                fi
                if [ "${3:-}" = auth ]; then
                        printf 'auth:\n  htpasswd:\n    realm: lade-test\n    path: %s\n' "$T/htpasswd"
                fi
        } >"$dir/config.yml"
        docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
        PIDS+=($!)
        wait_port "$PORT"
}

# start_fake NAME MODE: the python fake; sets FAKE_PORT FAKE_MANIFEST FAKE_CONFIG FAKE_LAYER FAKE_PID
start_fake() {
        local dir=$T/$1 i
        mkdir -p "$dir"
        python3 "$T/fake-registry.py" "$dir/port" "$dir/log" "$2" >"$dir/stderr" 2>&1 &
        FAKE_PID=$!
        PIDS+=($FAKE_PID)
        for i in $(seq 100); do [ -e "$dir/port" ] && break; sleep 0.1; done
        read -r FAKE_PORT FAKE_MANIFEST FAKE_CONFIG FAKE_LAYER <"$dir/port"
}

SKOPEO="skopeo --insecure-policy"

# ==== plain HTTP ====
start_registry plain
R=127.0.0.1:$PORT
$SKOPEO copy -q --dest-tls-verify=false "oci:$OCI:single" "docker://$R/test/busybox:1" ||
        fail "skopeo copy single"
$SKOPEO copy -q --all --dest-tls-verify=false "oci:$OCI:multi" "docker://$R/test/multi:1" ||
        fail "skopeo copy --all multi"
RAW=$($SKOPEO inspect --tls-verify=false --raw "docker://$R/test/busybox:1" | sha256sum | cut -d' ' -f1)
expect_eq "skopeo stored the manifest as built" "$AMD64" "sha256:$RAW"

S=$T/store1
tl --progress pull "$R/test/busybox:1" "$S"
expect_eq "pull by tag" 0 "$RC"
expect_eq "pull by tag: manifest digest" "$AMD64" "$(field manifest)"
expect_eq "pull by tag: no index" "-" "$(field index)"
expect_eq "pull by tag: config digest" "$AMD64_CONFIG" "$(field config)"
want=$( (for l in "${LAYERS[@]}"; do set -- $l; echo "$1"; done; echo "$AMD64"; echo "$AMD64_CONFIG") | sort | tr '\n' ' ')
expect_eq "pull by tag: store has layers, config, manifest" "$want" "$(blobs_of "$S")"
check "pull by tag: every stored blob hashes to its name" store_ok "$S"
check "pull by tag: blobs equal skopeo's" cmp "$S/blobs/sha256/${RANDOM_LAYER#sha256:}" "$OCI/blobs/sha256/${RANDOM_LAYER#sha256:}"
expect_contains "progress: download complete" "$RANDOM_LAYER Download complete $RANDOM_LAYER_SIZE/$RANDOM_LAYER_SIZE done" "$ERR"

tl --stats --progress pull "$R/test/busybox:1" "$S"
expect_eq "pull again" 0 "$RC"
expect_contains "pull again: layers already exist" "Already exists" "$ERR"
# plain-HTTP ping (loopback without certs.d: no https probe) + manifest; config and layers
# come from the store
expect_eq "pull again: no blob requests" 2 "$(stat_of get)"

S2=$T/store2
tl pull "$R/test/busybox@$AMD64" "$S2"
expect_eq "pull by digest" "0 $AMD64" "$RC $(field manifest)"
check "pull by digest: store verified" store_ok "$S2"

tl pull "$R/test/multi:1" "$S2"
expect_eq "pull index: amd64 selected" "0 $AMD64 $INDEX" "$RC $(field manifest) $(field index)"
expect_eq "pull index: stored config is amd64" amd64 "$(jq -r .architecture "$S2/blobs/sha256/$(field config | cut -d: -f2)")"
check "pull index: index stored" test -f "$S2/blobs/sha256/${INDEX#sha256:}"
tl --platform linux/arm64 pull "$R/test/multi:1" "$S2"
expect_eq "pull index --platform linux/arm64" "0 $ARM64 $ARM64_CONFIG" "$RC $(field manifest) $(field config)"
tl --platform linux/s390x pull "$R/test/multi:1" "$T/store-s390x"
expect_eq "wrong platform fails" 1 "$RC"
expect_contains "wrong platform: names it" "linux/s390x" "$ERR"
check "wrong platform: nothing stored" store_empty "$T/store-s390x"
tl --platform linux/arm64 pull "$R/test/busybox:1" "$T/store-arm"
expect_contains "single-arch image, other platform asked" "does not match the specified platform" "$ERR"
tl pull "$R/test/busybox:nope" "$T/store-nope"
expect_eq "unknown tag fails" 1 "$RC"
expect_contains "unknown tag: names the tag" "manifest for nope not found: manifest unknown" "$ERR"
expect_contains "unknown tag: names the image" "pull $R/test/busybox:nope" "$ERR"
tl pull "$R/test/busybox@sha256:$(printf '0%.0s' $(seq 64))" "$T/store-nope"
expect_contains "unknown digest" "not found" "$ERR"
tl manifest "$R/test/multi:1"
expect_eq "manifest: raw bytes of the index" "$INDEX" "sha256:$(sha256sum <"$T/out" | cut -d' ' -f1)"
expect_contains "manifest: media type" "application/vnd.oci.image.index.v1+json" "$ERR"
tl exists "$R/test/busybox:1" "$RANDOM_LAYER"
expect_eq "blob exists" 0 "$RC"
tl exists "$R/test/busybox:1" "sha256:$(printf '1%.0s' $(seq 64))"
expect_eq "blob does not exist" 3 "$RC"

# push to a new repository, read back by skopeo
tl --stats push "$R/pushed/busybox:2" "$S" "$AMD64"
expect_eq "push" 0 "$RC"
expect_eq "push: 5 blob uploads" "5 6" "$(stat_of post) $(stat_of put)"
RAW=$($SKOPEO inspect --tls-verify=false --raw "docker://$R/pushed/busybox:2" | sha256sum | cut -d' ' -f1)
expect_eq "push: skopeo reads the same manifest" "$AMD64" "sha256:$RAW"
$SKOPEO copy -q --src-tls-verify=false "docker://$R/pushed/busybox:2" "oci:$T/back:x" || fail "skopeo copy back"
expect_eq "push: skopeo copy gets the same manifest" "$AMD64" "$(jq -r '.manifests[0].digest' "$T/back/index.json")"
for l in "${LAYERS[@]}" "$AMD64_CONFIG"; do
        d=${l%% *}
        cmp -s "$T/back/blobs/sha256/${d#sha256:}" "$S/blobs/sha256/${d#sha256:}" || fail "push: blob $d differs"
done
tl --stats push "$R/pushed/busybox:2" "$S" "$AMD64"
expect_eq "push again: only HEADs and the manifest" "0 5 0 1 0" "$RC $(stat_of head) $(stat_of post) $(stat_of put) $(stat_of patch)"

# an index: both children first, by digest
tl --platform linux/arm64 pull "$R/test/multi:1" "$S"
tl --stats push "$R/pushed/multi:1" "$S" "$INDEX"
expect_eq "push index" 0 "$RC"
RAW=$($SKOPEO inspect --tls-verify=false --raw "docker://$R/pushed/multi:1" | sha256sum | cut -d' ' -f1)
expect_eq "push index: skopeo reads the same index" "$INDEX" "sha256:$RAW"
RAW=$($SKOPEO inspect --tls-verify=false --raw "docker://$R/pushed/multi@$ARM64" | sha256sum | cut -d' ' -f1)
expect_eq "push index: arm64 child pushed by digest" "$ARM64" "sha256:$RAW"
tl push "$R/pushed/bydigest@$AMD64" "$S" "$AMD64"
RAW=$($SKOPEO inspect --tls-verify=false --raw "docker://$R/pushed/bydigest@$AMD64" | sha256sum | cut -d' ' -f1)
expect_eq "push by digest" "0 $AMD64" "$RC sha256:$RAW"
# blobs go up 3 at a time (as Docker): three HEADs are sent before the first upload starts
first_batch() { grep -oE 'registry: (HEAD|POST) ' <<<"$ERR" | awk '/POST/ { exit } { n++ } END { print n + 0 }'; }
tl --debug push "$R/pushed/conc:1" "$S" "$AMD64"
expect_eq "push: 3 blobs in flight at once" "0 3" "$RC $(first_batch)"
tl --debug --parallel 1 push "$R/pushed/conc1:1" "$S" "$AMD64"
expect_eq "push --parallel 1: one blob at a time" "0 1" "$RC $(first_batch)"
RAW=$($SKOPEO inspect --tls-verify=false --raw "docker://$R/pushed/conc:1" | sha256sum | cut -d' ' -f1)
expect_eq "concurrent push: skopeo reads the same manifest" "$AMD64" "sha256:$RAW"
# a blob missing locally: nothing is uploaded and no manifest is pushed
cp -a "$S" "$T/store-lacking"
rm "$T/store-lacking/blobs/sha256/${RANDOM_LAYER#sha256:}"
tl --stats push "$R/pushed/lacking:1" "$T/store-lacking" "$AMD64"
expect_contains "push with a blob missing: names it" "blob $RANDOM_LAYER: not in the local store" "$ERR"
expect_eq "push with a blob missing: nothing sent" "1 0 0 0" "$RC $(stat_of post) $(stat_of put) $(stat_of patch)"
check "push with a blob missing: no manifest in the registry" \
        bash -c "! $SKOPEO inspect --tls-verify=false --raw docker://$R/pushed/lacking:1 >/dev/null 2>&1"
tl push "$R/pushed/x:1" "$S" "sha256:$(printf '2%.0s' $(seq 64))"
expect_contains "push of a manifest the store lacks" "not in the local store" "$ERR"

# chunked upload (1 MB chunks): the 3 MB layer and the 1 MB busybox layer go in PATCHes
tl --stats --chunk-size 1000000 push "$R/chunked/busybox:1" "$S" "$AMD64"
expect_eq "chunked push" 0 "$RC"
check "chunked push: used PATCH" test "$(stat_of patch)" -ge 4
$SKOPEO copy -q --src-tls-verify=false "docker://$R/chunked/busybox:1" "oci:$T/back-chunked:x" ||
        fail "skopeo copy back chunked"
check "chunked push: big layer intact" cmp "$T/back-chunked/blobs/sha256/${RANDOM_LAYER#sha256:}" "$S/blobs/sha256/${RANDOM_LAYER#sha256:}"

# cross-repository mount: pulled from test/busybox, pushed to mounted/busybox by one client
tl --stats copy "$R/test/busybox:1" "$R/mounted/busybox:1" "$T/store-copy"
expect_eq "copy with mount: no blob upload" "0 5 1 0" "$RC $(stat_of post) $(stat_of put) $(stat_of patch)"
check "copy with mount: registry mounted" grep -q 'mount=' "$T/plain/log"
RAW=$($SKOPEO inspect --tls-verify=false --raw "docker://$R/mounted/busybox:1" | sha256sum | cut -d' ' -f1)
expect_eq "copy with mount: readable" "$AMD64" "sha256:$RAW"

# a blob corrupted on the registry's disk (same size): digest mismatch, nothing stored
hex=${RANDOM_LAYER#sha256:}
data=$T/plain/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
printf '\xff\xfe\xfd\xfc' | dd of="$data" bs=1 seek=1000 conv=notrunc status=none
tl pull "$R/test/busybox:1" "$T/store-corrupt"
expect_eq "corrupt blob fails" 1 "$RC"
expect_contains "corrupt blob: names image, blob and cause" "pull $R/test/busybox:1: blob $RANDOM_LAYER: digest mismatch" "$ERR"
check "corrupt blob: nothing stored" store_empty "$T/store-corrupt"

# ==== TLS: CA and client certificate from certs.d ====
start_registry tls tls
R=127.0.0.1:$PORT
CERTS=$T/certs.d
mkdir -p "$CERTS/$R" "$T/ca-only.d/$R"
cp "$PKI/ca.crt" "$PKI/client.cert" "$PKI/client.key" "$CERTS/$R/"
cp "$PKI/ca.crt" "$T/ca-only.d/$R/"
$SKOPEO copy -q --dest-cert-dir "$CERTS/$R" "oci:$OCI:single" "docker://$R/test/busybox:1" ||
        fail "skopeo copy to TLS"
tl pull "$R/test/busybox:1" "$T/store-tls0"
expect_eq "TLS without our CA fails" 1 "$RC"
expect_contains "TLS without our CA: certificate error" "certificate" "$ERR"
check "TLS without our CA: nothing stored" store_empty "$T/store-tls0"
tool --certs-dir "$T/ca-only.d" --auth-file "$T/no-auth.json" pull "$R/test/busybox:1" "$T/store-tls1"
expect_eq "TLS without the client certificate fails" 1 "$RC"
tool --certs-dir "$CERTS" --auth-file "$T/no-auth.json" pull "$R/test/busybox:1" "$T/store-tls"
expect_eq "TLS with certs.d" "0 $AMD64" "$RC $(field manifest)"
check "TLS: store verified" store_ok "$T/store-tls"
mkdir -p "$T/client-only.d/$R"
cp "$PKI/client.cert" "$PKI/client.key" "$T/client-only.d/$R/"
tool --certs-dir "$T/client-only.d" --auth-file "$T/no-auth.json" --insecure "$R" pull "$R/test/busybox:1" "$T/store-tls2"
expect_eq "TLS --insecure: certificate not checked" "0 $AMD64" "$RC $(field manifest)"
tool --certs-dir "$CERTS" --auth-file "$T/no-auth.json" push "$R/pushed/busybox:1" "$T/store-tls" "$AMD64"
RAW=$($SKOPEO inspect --cert-dir "$CERTS/$R" --raw "docker://$R/pushed/busybox:1" | sha256sum | cut -d' ' -f1)
expect_eq "TLS push" "0 $AMD64" "$RC sha256:$RAW"

# ==== htpasswd basic auth ====
start_registry auth "" auth
R=127.0.0.1:$PORT
$SKOPEO copy -q --dest-tls-verify=false --dest-creds 'alice:s3cret pass' "oci:$OCI:single" \
        "docker://$R/test/busybox:1" || fail "skopeo copy to auth registry"
tl pull "$R/test/busybox:1" "$T/store-auth0"
expect_eq "auth: anonymous pull fails" 1 "$RC"
expect_contains "auth: anonymous pull is unauthorized" "unauthorized: authentication required" "$ERR"
check "auth: nothing stored" store_empty "$T/store-auth0"
AUTH=$T/home/.docker/config.json
mkdir -p "$(dirname "$AUTH")"
echo '{"auths": {"other.example": {"auth": "b3RoZXI6cGFzcw=="}}, "psFormat": "table"}' >"$AUTH"
tl login "$R" alice wrong "$AUTH"
expect_eq "login with a wrong password fails" 1 "$RC"
expect_contains "login with a wrong password: says so" "401" "$ERR"
expect_eq "login failure leaves the auth file alone" "null" "$(jq -c --arg r "$R" '.auths[$r]' "$AUTH")"
tl login "$R" alice 's3cret pass' "$AUTH"
expect_eq "login" 0 "$RC"
expect_eq "login: Docker's auth value" "$(printf 'alice:s3cret pass' | base64)" "$(jq -r --arg r "$R" '.auths[$r].auth' "$AUTH")"
expect_eq "login: other keys kept" "table b3RoZXI6cGFzcw==" "$(jq -r '.psFormat + " " + .auths["other.example"].auth' "$AUTH")"
expect_eq "login: auth file is 0600" 600 "$(stat -c %a "$AUTH")"
tool --certs-dir "$EMPTY_CERTS" --auth-file "$AUTH" pull "$R/test/busybox:1" "$T/store-auth"
expect_eq "auth: pull with stored credentials" "0 $AMD64" "$RC $(field manifest)"
tool --certs-dir "$EMPTY_CERTS" --auth-file "$AUTH" push "$R/pushed/busybox:1" "$T/store-auth" "$AMD64"
expect_eq "auth: push with stored credentials" 0 "$RC"
jq --arg r "$R" '.auths[$r].auth = "YWxpY2U6d3Jvbmc="' "$AUTH" >"$T/wrong.json"
tool --certs-dir "$EMPTY_CERTS" --auth-file "$T/wrong.json" pull "$R/test/busybox:1" "$T/store-auth1"
expect_eq "auth: wrong stored password fails" 1 "$RC"
expect_contains "auth: wrong password is unauthorized" "unauthorized" "$ERR"
tl logout "$R" "$AUTH"
expect_eq "logout" "0 null table" "$RC $(jq -c --arg r "$R" '.auths[$r]' "$AUTH") $(jq -r .psFormat "$AUTH")"
tl logout "$R" "$AUTH"
expect_contains "logout twice: not logged in" "not logged in to $R" "$ERR"
NEW=$T/newhome/deep/.docker/config.json
tl login "$R" alice 's3cret pass' "$NEW"
expect_eq "login creates the auth file and its directories" "0 600 700" "$RC $(stat -c %a "$NEW") $(stat -c %a "$(dirname "$NEW")")"
check "no secret in debug output" bash -c "! '$REGISTRY_TOOL' --debug --certs-dir '$EMPTY_CERTS' --auth-file '$NEW' pull '$R/test/busybox:1' '$T/store-auth2' 2>&1 | grep -q -e 's3cret' -e 'YWxpY2U6czNjcmV0'"

# ==== fake registry: failures ====
cat >"$T/fake-registry.py" <<'EOF'
# A fake registry for what real ones will not do on demand. The first path component after /v2/
# picks the behaviour of layer downloads: ok, b500, drop, flaky, norange, redirect, loop, slow,
# corrupt, big; m500, hugeheader, hugemanifest, anydigest and badheader act on the manifest. Mode "bearer" makes the
# whole server ask for tokens (user alice, password s3cret).
import base64, hashlib, json, os, random, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

port_file, log_file, mode = sys.argv[1], sys.argv[2], sys.argv[3]

def dig(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()

layer = random.Random(7).randbytes(300000)
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": [dig(layer)]}}).encode()
manifest = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
               "size": len(config), "digest": dig(config)},
    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "size": len(layer), "digest": dig(layer)}]}).encode()
blobs = {dig(config): config, dig(layer): layer}
counts = {}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def note(self):
        auth = self.headers.get("Authorization", "-").split(" ")[0]
        with open(log_file, "a") as f:
            f.write("%s %s range=%s auth=%s\n" % (self.command, self.path,
                                                  self.headers.get("Range", "-"), auth))

    def send(self, code, body=b"", ctype="application/json", headers=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, ecode, msg, headers=None):
        self.send(code, json.dumps({"errors": [{"code": ecode, "message": msg}]}).encode(),
                  headers=headers)

    def do_HEAD(self):
        self.serve()

    def do_GET(self):
        self.serve()

    def token(self):
        q = parse_qs(urlparse(self.path).query)
        want = "Basic " + base64.b64encode(b"alice:s3cret").decode()
        if self.headers.get("Authorization", "") != want:
            return self.send(401, b'{"details":"incorrect username or password"}')
        scope = " ".join(q.get("scope", []))
        self.send(200, json.dumps({"access_token": "tok." + scope, "expires_in": 300}).encode())

    def authorized(self, repo):
        auth = self.headers.get("Authorization", "")
        if repo is None:
            return auth.startswith("Bearer tok.")
        return auth == "Bearer tok.repository:%s:pull" % repo

    def serve(self):
        self.note()
        path = urlparse(self.path).path
        if path == "/token":
            return self.token()
        if path.startswith("/cdn/"):
            return self.send(200, blobs[path[5:]], "application/octet-stream")
        parts = path.split("/")
        repo = "/".join(parts[2:4]) if len(parts) == 6 else None
        if mode == "bearer" and not self.authorized(repo):
            challenge = 'Bearer realm="http://127.0.0.1:%d/token",service="fake \\"registry\\""' % PORT
            if repo:
                challenge += ',scope="repository:%s:pull"' % repo
            return self.error(401, "UNAUTHORIZED", "authentication required",
                              {"WWW-Authenticate": challenge})
        if path == "/v2/":
            return self.send(200, b"{}")
        if len(parts) != 6:
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        behaviour, kind, ref = parts[2], parts[4], parts[5]
        if kind == "manifests":
            return self.manifest(behaviour, ref)
        if kind == "blobs":
            return self.blob(behaviour, ref)
        self.error(404, "UNSUPPORTED", "unsupported")

    def manifest(self, behaviour, ref):
        if behaviour == "m500":
            return self.send(500, b"internal error", "text/plain")
        if ref not in ("1", dig(manifest)) and behaviour != "anydigest":
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        headers = {"Docker-Content-Digest": dig(manifest)}
        if behaviour == "badheader":
            headers["Docker-Content-Digest"] = dig(b"something else")
        body = manifest
        if behaviour == "hugeheader":
            headers["X-Padding"] = "x" * 70000
        if behaviour == "hugemanifest":
            body = manifest + b" " * (5 << 20)
        self.send(200, body, "application/vnd.docker.distribution.manifest.v2+json", headers)

    def drop(self, data, hold=0):
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        time.sleep(hold)
        self.close_connection = True

    def blob(self, behaviour, ref):
        data = blobs.get(ref)
        if data is None:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        if data is config or self.command == "HEAD":
            return self.send(200, data, "application/octet-stream")
        n = counts[(behaviour, ref)] = counts.get((behaviour, ref), 0) + 1
        rng = self.headers.get("Range", "")
        start = int(rng[6:-1]) if rng.startswith("bytes=") and rng.endswith("-") else 0
        if behaviour == "b500":
            return self.send(500, b"oops", "text/plain")
        if behaviour == "drop" or (behaviour in ("flaky", "norange") and n == 1):
            return self.drop(data)
        if behaviour == "slow":
            return self.drop(data, hold=60)
        if behaviour == "redirect":
            return self.send(307, b"", headers={"Location": "/cdn/" + ref})
        if behaviour == "loop":
            return self.send(307, b"", headers={"Location": self.path})
        if behaviour == "corrupt":
            data = bytes([data[0] ^ 1]) + data[1:]
        if behaviour == "big":
            data = data + b"extra"
        if start and behaviour != "norange":
            return self.send(206, data[start:], "application/octet-stream",
                             {"Content-Range": "bytes %d-%d/%d" % (start, len(data) - 1, len(data))})
        self.send(200, data, "application/octet-stream")

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
PORT = server.server_address[1]
with open(port_file + ".tmp", "w") as f:
    f.write("%d %s %s %s\n" % (PORT, dig(manifest), dig(config), dig(layer)))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
EOF
start_fake fake open
F=127.0.0.1:$FAKE_PORT
LOG=$T/fake/log
nget() { grep -c "^GET /v2/$1/img/blobs/$FAKE_LAYER " "$LOG"; }
tl pull "$F/ok/img:1" "$T/fs-ok"
expect_eq "fake: docker schema2 pull" "0 $FAKE_MANIFEST" "$RC $(field manifest)"
tl pull "$F/m500/img:1" "$T/fs-m500"
expect_contains "manifest 500: named" "pull $F/m500/img:1: manifest 1: registry answered 500 Internal Server Error" "$ERR"
check "manifest 500: store unchanged" store_empty "$T/fs-m500"
tl pull "$F/b500/img:1" "$T/fs-b500"
expect_contains "blob 500: names blob and status" "pull $F/b500/img:1: blob $FAKE_LAYER: registry answered 500 Internal Server Error" "$ERR"
expect_eq "blob 500: tried 1 + 3 times" 4 "$(nget b500)"
check "blob 500: store unchanged" store_empty "$T/fs-b500"
tl pull "$F/drop/img:1" "$T/fs-drop"
expect_contains "dropped connection: error" "blob $FAKE_LAYER" "$ERR"
expect_eq "dropped connection: retries resume with Range" 3 "$(grep -c "^GET /v2/drop/img/blobs/$FAKE_LAYER range=bytes=150000-" "$LOG")"
check "dropped connection: store unchanged" store_empty "$T/fs-drop"
tl pull "$F/flaky/img:1" "$T/fs-flaky"
expect_eq "dropped once: resumed" "0 $FAKE_MANIFEST" "$RC $(field manifest)"
check "dropped once: resumed with a range" grep -q "^GET /v2/flaky/img/blobs/$FAKE_LAYER range=bytes=150000-" "$LOG"
check "dropped once: blob verified" store_ok "$T/fs-flaky"
tl pull "$F/norange/img:1" "$T/fs-norange"
expect_eq "range ignored: started over" "0 3" "$RC $(blobs_of "$T/fs-norange" | wc -w)"
check "range ignored: blob verified" store_ok "$T/fs-norange"
tl pull "$F/redirect/img:1" "$T/fs-redirect"
expect_eq "redirected blob" 0 "$RC"
check "redirected blob: credentials-free CDN fetch" grep -q "^GET /cdn/$FAKE_LAYER" "$LOG"
tl pull "$F/loop/img:1" "$T/fs-loop"
expect_contains "redirect loop stops at 5" "Maximum (5) redirects followed" "$ERR"
expect_eq "redirect loop: not retried" 6 "$(nget loop)"
tl pull "$F/corrupt/img:1" "$T/fs-corrupt"
expect_contains "corrupt blob from the wire" "blob $FAKE_LAYER: digest mismatch" "$ERR"
check "corrupt blob from the wire: store unchanged" store_empty "$T/fs-corrupt"
tl pull "$F/big/img:1" "$T/fs-big"
expect_contains "blob larger than its descriptor" "is larger than the expected 300000 bytes" "$ERR"
check "blob larger than its descriptor: store unchanged" store_empty "$T/fs-big"
tl pull "$F/anydigest/img@sha256:$(printf '3%.0s' $(seq 64))" "$T/fs-anydigest"
expect_contains "manifest not matching the digest asked for" "digest mismatch: expected sha256:333" "$ERR"
check "manifest not matching the digest asked for: store unchanged" store_empty "$T/fs-anydigest"
tl pull "$F/badheader/img:1" "$T/fs-badheader"
expect_contains "manifest not matching Docker-Content-Digest" "digest mismatch: registry says" "$ERR"
tl pull "$F/hugeheader/img:1" "$T/fs-hh"
expect_contains "header limit" "response headers larger than" "$ERR"
tl pull "$F/hugemanifest/img:1" "$T/fs-hm"
expect_contains "manifest size limit" "response larger than 4194304 bytes" "$ERR"

# the registry dies mid-pull: error, store unchanged
start_fake dying open
"$REGISTRY_TOOL" --retry-delay 50 --certs-dir "$EMPTY_CERTS" --auth-file "$T/no-auth.json" \
        pull "127.0.0.1:$FAKE_PORT/slow/img:1" "$T/fs-dying" >"$T/dying.out" 2>&1 &
tool_pid=$!
for i in $(seq 100); do grep -q "/slow/img/blobs/$FAKE_LAYER" "$T/dying/log" 2>/dev/null && break; sleep 0.1; done
kill "$FAKE_PID"
wait "$tool_pid"
expect_eq "registry killed mid-pull: fails" 1 $?
expect_contains "registry killed mid-pull: names the blob" "blob $FAKE_LAYER" "$(cat "$T/dying.out")"
check "registry killed mid-pull: store unchanged" store_empty "$T/fs-dying"

# bearer tokens (access_token field, quoted-string escapes in the challenge)
start_fake bearer bearer
B=127.0.0.1:$FAKE_PORT
tl pull "$B/ok/img:1" "$T/fb0"
expect_eq "bearer: anonymous fails" 1 "$RC"
expect_contains "bearer: anonymous is unauthorized" "unauthorized" "$ERR"
tl login "$B" alice wrong "$T/bearer-auth.json"
expect_contains "bearer: login with wrong password" "unauthorized: incorrect username or password" "$ERR"
tl login "$B" alice s3cret "$T/bearer-auth.json"
expect_eq "bearer: login" 0 "$RC"
tool --stats --certs-dir "$EMPTY_CERTS" --auth-file "$T/bearer-auth.json" pull "$B/ok/img:1" "$T/fb"
expect_eq "bearer: pull" "0 $FAKE_MANIFEST" "$RC $(field manifest)"
expect_eq "bearer: one token for the repository" 1 "$(stat_of token)"
check "bearer: token asked with service and scope" grep -q 'GET /token?service=fake%20%22registry%22&scope=repository%3Aok%2Fimg%3Apull&account=alice' "$T/bearer/log"
check "bearer: blobs fetched with the token" grep -q "^GET /v2/ok/img/blobs/$FAKE_LAYER range=- auth=Bearer" "$T/bearer/log"

finish
