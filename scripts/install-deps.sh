#!/bin/bash
# Installs what lade needs on Debian 12. --test adds what the test suite and the peer
# comparisons need (the peers themselves: podman, containerd, docker.io, crun, runc).
set -euo pipefail
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
pkgs="meson ninja-build pkg-config gcc libseccomp-dev libjansson-dev libcap-dev libarchive-dev libcurl4-openssl-dev libssl-dev libmicrohttpd-dev libgnutls28-dev libsqlite3-dev libmnl-dev libnftables-dev zlib1g-dev libzstd-dev busybox-static jq file xxd"
if [ "${1:-}" = "--test" ]; then
        pkgs="$pkgs libcmocka-dev clang libclang-rt-14-dev crun runc podman containerd docker.io uidmap iproute2 hyperfine docker-registry skopeo apache2-utils openssl curl python3 docker-compose python3-docker"
fi
export DEBIAN_FRONTEND=noninteractive
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
