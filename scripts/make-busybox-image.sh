#!/bin/bash
# Builds the bundled busybox image from Debian's busybox-static, with no registry: a
# docker-archive with an OCI layout inside (as Docker 25+ writes), reproducible (sorted entries,
# zero mtimes and owners), tagged busybox:latest. usage: make-busybox-image.sh OUT.tar
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
bb=/bin/busybox
[ -x "$bb" ] || { echo "make-busybox-image: install busybox-static" >&2; exit 1; }
mkdir -p "$w/rootfs"/{bin,etc,proc,sys,dev,tmp,root,home,var,usr/bin}
cp "$bb" "$w/rootfs/bin/busybox"
for app in $("$bb" --list); do [ "$app" = busybox ] || ln -sf busybox "$w/rootfs/bin/$app"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$w/rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$w/rootfs/etc/group"
chmod 1777 "$w/rootfs/tmp"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$w/rootfs" -cf "$w/layer.tar" .
gzip -n -9 <"$w/layer.tar" >"$w/layer.tar.gz"
sha() { sha256sum "$1" | cut -d' ' -f1; }
diff_id=$(sha "$w/layer.tar")
layer=$(sha "$w/layer.tar.gz")
layer_size=$(stat -c %s "$w/layer.tar.gz")
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
mkdir -p "$w/img/blobs/sha256"
mv "$w/layer.tar.gz" "$w/img/blobs/sha256/$layer"
jq -cn --arg arch "$arch" --arg d "sha256:$diff_id" '{
  architecture: $arch, os: "linux", created: "1970-01-01T00:00:00Z",
  config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
  rootfs: {type: "layers", diff_ids: [$d]},
  history: [{created: "1970-01-01T00:00:00Z", created_by: "busybox-static from Debian (lade scripts/make-busybox-image.sh)"}]}' \
        >"$w/config.json"
config=$(sha "$w/config.json")
mv "$w/config.json" "$w/img/blobs/sha256/$config"
jq -cn --arg c "sha256:$config" --argjson cs "$(stat -c %s "$w/img/blobs/sha256/$config")" \
      --arg l "sha256:$layer" --argjson ls "$layer_size" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $l, size: $ls}]}' >"$w/manifest"
manifest=$(sha "$w/manifest")
msize=$(stat -c %s "$w/manifest")
mv "$w/manifest" "$w/img/blobs/sha256/$manifest"
jq -cn --arg m "sha256:$manifest" --argjson ms "$msize" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
    annotations: {"io.containerd.image.name": "docker.io/library/busybox:latest",
                  "org.opencontainers.image.ref.name": "latest"}}]}' >"$w/img/index.json"
jq -cn --arg c "blobs/sha256/$config" --arg l "blobs/sha256/$layer" \
      '[{Config: $c, RepoTags: ["busybox:latest"], Layers: [$l]}]' >"$w/img/manifest.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$w/img/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$w/img" -cf "$out.tmp" .
mv "$out.tmp" "$out"
