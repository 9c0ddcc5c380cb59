#!/bin/bash
# Makes an OCI bundle (rootfs + config.json) from Debian's busybox-static, with no network.
# usage: make-bundle.sh DIR [lade-runtime]   (config.json from `lade-runtime spec`, args "sh")
set -euo pipefail
dir=$1
rt=${2:-lade-runtime}
[[ "$rt" == */* ]] && rt=$(realpath "$rt")
bb=$(command -v busybox || true)
[ -x /bin/busybox ] && bb=/bin/busybox
if [ -z "$bb" ] || ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
        [ -x /bin/busybox ] || { echo "make-bundle: install busybox-static" >&2; exit 1; }
fi
mkdir -p "$dir/rootfs"/{bin,etc,proc,sys,dev,tmp,root,home}
cp "$bb" "$dir/rootfs/bin/busybox"
for app in $("$dir/rootfs/bin/busybox" --list); do
        [ "$app" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$app"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$dir/rootfs/etc/group"
chmod 1777 "$dir/rootfs/tmp"
if [ ! -f "$dir/config.json" ]; then
        (cd "$dir" && "$rt" spec)
        # non-interactive by default; `--tty` callers flip it back
        tmp=$(mktemp)
        jq '.process.terminal = false' "$dir/config.json" >"$tmp" && mv "$tmp" "$dir/config.json"
fi
