#!/bin/bash
# Image archives against the real tools, through image-tool ($IMAGE_TOOL): Docker (docker.io's
# dockerd on its own containerd, data root, exec root and socket under the test's temp dir,
# no bridge, no iptables; both stopped by pid) and skopeo.
#   docker import + docker save  -> image-tool load: same tags, same IDs
#   image-tool save              -> docker load: same ID; skopeo copy/inspect docker-archive:
#   image-tool import --change   -> saved, docker load sees the config
#   skopeo's OCI layout          -> image-tool load: same ID
. "$(dirname "$0")/lib.sh"
IMAGE_TOOL=${IMAGE_TOOL:?set IMAGE_TOOL to the image-tool binary}
for tool in dockerd docker containerd ctr skopeo; do
        command -v "$tool" >/dev/null || { echo "SKIP: $tool is needed (docker.io, containerd, skopeo)"; exit 77; }
done
new_bundle
DAEMONS=()
stop_daemons() {
        for p in "${DAEMONS[@]}"; do kill "$p" 2>/dev/null; done
        for p in "${DAEMONS[@]}"; do for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
}
trap 'stop_daemons; cleanup' EXIT
it() { "$IMAGE_TOOL" "$@"; }
S=$T/store

# ---- containerd + dockerd, private to this test ----
mkdir -p "$T/ctrd" "$T/docker"
cat >"$T/ctrd/config.toml" <<CFG
version = 2
root = "$T/ctrd/root"
state = "$T/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/ctrd/sock"
CFG
containerd --config "$T/ctrd/config.toml" >"$T/ctrd/log" 2>&1 &
DAEMONS+=($!)
for _ in $(seq 100); do ctr -a "$T/ctrd/sock" version >/dev/null 2>&1 && break; sleep 0.1; done
dockerd --data-root "$T/docker/data" --exec-root "$T/docker/exec" -H "unix://$T/docker/sock" \
        --pidfile "$T/docker/pid" --containerd "$T/ctrd/sock" --bridge=none --iptables=false \
        --ip6tables=false >"$T/docker/log" 2>&1 &
DAEMONS=($! "${DAEMONS[@]}")
D=(docker -H "unix://$T/docker/sock")
for _ in $(seq 200); do "${D[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${D[@]}" version >/dev/null 2>&1 || { echo "dockerd did not start:"; tail -20 "$T/docker/log"; exit 1; }
did() { "${D[@]}" inspect -f '{{.Id}}' "$1" 2>/dev/null; }

# ---- docker import + docker save -> lade ----
tar -C "$BUNDLE/rootfs" -cf "$T/rootfs.tar" .
"${D[@]}" import "$T/rootfs.tar" lade-test/busybox:1 >/dev/null
"${D[@]}" tag lade-test/busybox:1 lade-test/busybox:2
id=$(did lade-test/busybox:1)
[ -n "$id" ] || { echo "FAIL - docker import made no image"; exit 1; }
"${D[@]}" save -o "$T/docker.tar" lade-test/busybox:1 lade-test/busybox:2
out=$(it load "$S" "$T/docker.tar" 2>&1)
expect_eq "load docker save's archive" "$(printf 'Loaded image: lade-test/busybox:1\nLoaded image: lade-test/busybox:2')" "$out"
expect_eq "same ID and both tags as docker" "$id lade-test/busybox:1,lade-test/busybox:2" \
        "$(it ls "$S" | cut -d' ' -f1,3)"
"${D[@]}" save lade-test/busybox:1 | gzip | it load "$T/store-pipe" - >/dev/null
expect_eq "a gzipped docker-archive through a pipe loads too" 0 $?
expect_eq "... with the same ID" "$id" "$(it ls "$T/store-pipe" | cut -d' ' -f1)"

# ---- lade save -> docker load, skopeo ----
it save "$S" "$T/lade.tar" lade-test/busybox:1
expect_eq "save writes OCI layout and docker-archive files" "index.json manifest.json oci-layout" \
        "$(tar -tf "$T/lade.tar" | grep -v '^blobs' | xargs)"
"${D[@]}" rmi lade-test/busybox:1 lade-test/busybox:2 >/dev/null
expect_eq "docker forgot the image" "" "$(did lade-test/busybox:1)"
out=$("${D[@]}" load -i "$T/lade.tar" 2>&1)
expect_eq "docker load of lade's archive" "Loaded image: lade-test/busybox:1" "$out"
expect_eq "docker sees the same ID" "$id" "$(did lade-test/busybox:1)"
check "skopeo copy docker-archive: -> oci:" \
        skopeo copy -q "docker-archive:$T/lade.tar" "oci:$T/oci:lade-test-busybox-1"
out=$(skopeo inspect "docker-archive:$T/lade.tar:lade-test/busybox:1" 2>&1)
expect_eq "skopeo inspect finds the image by its tag" docker.io/lade-test/busybox "$(jq -r .Name <<<"$out")"
expect_eq "skopeo inspect: the layer digest" \
        "$(tar -xOf "$T/lade.tar" manifest.json | jq -r '.[0].Layers[0]' | cut -d/ -f3)" \
        "$(jq -r '.Layers[0]' <<<"$out" | cut -d: -f2)"
skopeo inspect "docker-archive:$T/lade.tar:lade-test/busybox:2" >/dev/null 2>&1
expect_eq "skopeo inspect: a tag not saved is not there" 1 $?

# ---- skopeo's OCI layout (a bare ref.name tag: loads untagged) -> lade ----
# skopeo rewrites the config for OCI, so the ID is its config digest, not docker's
tar -C "$T/oci" -cf "$T/oci.tar" .
m=$(jq -r '.manifests[0].digest' "$T/oci/index.json" | cut -d: -f2)
oid=$(jq -r .config.digest "$T/oci/blobs/sha256/$m")
out=$(it load "$T/store-oci" "$T/oci.tar" 2>&1)
expect_eq "load skopeo's OCI layout" "Loaded image ID: $oid" "$out"
expect_eq "... keeping skopeo's manifest" "$oid sha256:$m <none>" "$(it ls "$T/store-oci")"

# ---- lade import (gzip, --change) -> save -> docker load ----
gzip -c "$T/rootfs.tar" >"$T/rootfs.tar.gz"
iid=$(it import "$S" "$T/rootfs.tar.gz" lade-test/imported:1 --change 'CMD ["sh", "-c", "echo hi"]' \
        --change 'ENV A=b C="d e"' --change 'WORKDIR /tmp' --change 'EXPOSE 8080' 2>&1)
check "import prints the new ID" grep -q '^sha256:[0-9a-f]\{64\}$' <<<"$iid"
out=$(it import "$S" "$T/rootfs.tar" - --change 'RUN true' 2>&1)
expect_eq "import refuses RUN" "image-tool: import: --change: unknown instruction 'RUN'" "$out"
it save "$S" "$T/imported.tar" lade-test/imported:1
"${D[@]}" load -q -i "$T/imported.tar" >/dev/null
expect_eq "docker loads the imported image (gzip layer) with its ID" "$iid" "$(did lade-test/imported:1)"
expect_eq "docker sees the --change config" '["sh","-c","echo hi"] ["A=b","C=d e"] /tmp {"8080/tcp":{}}' \
        "$("${D[@]}" inspect -f '{{json .Config.Cmd}} {{json .Config.Env}} {{.Config.WorkingDir}} {{json .Config.ExposedPorts}}' lade-test/imported:1)"
expect_eq "docker history shows the import comment" "Imported from -" \
        "$("${D[@]}" history --no-trunc --format '{{.Comment}}' lade-test/imported:1)"
check "skopeo copies the imported image" \
        skopeo copy -q "docker-archive:$T/imported.tar" "oci:$T/oci2:imported"

# ---- two images in one archive, by tag and by ID, back into a fresh store ----
it save "$S" "$T/both.tar" lade-test/busybox:2 "$iid"
out=$(it load "$T/store2" "$T/both.tar" 2>&1)
expect_eq "reload of a two-image archive" "$(printf 'Loaded image: lade-test/busybox:2\nLoaded image ID: %s' "$iid")" "$out"
expect_eq "same manifests after the round trip" \
        "$(it ls "$S" | grep -e "^$id" -e "^$iid" | cut -d' ' -f1,2 | sort)" \
        "$(it ls "$T/store2" | cut -d' ' -f1,2 | sort)"
finish
