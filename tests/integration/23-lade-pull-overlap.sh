#!/bin/bash
# lade pull unpacks layers while the others still download, and stays all-or-nothing: a fake
# registry on 127.0.0.1 serves a 3-layer image whose last layer stalls halfway ("stall") or is
# corrupt ("corrupt"). Checked: the first layers are unpacked (in temp dirs) while the last is
# still coming; a pull killed then, or failing on the bad blob, leaves no blob, no layer dir and
# no image (and the next lade command removes the killed pull's temp dirs); a good pull's layer
# dirs equal what tar -x makes of each layer.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
command -v python3 >/dev/null || { echo "SKIP: python3 is needed"; exit 77; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export DOCKER_CONFIG=$T/docker-config
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; cleanup' EXIT

cat >"$T/fake.py" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out = sys.argv[1]

def layer(name, n_small, big, extra=None):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        def add(path, data=None, kind=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, link=""):
            i = tarfile.TarInfo(path)
            i.type, i.mode, i.uid, i.gid, i.mtime, i.linkname = kind, mode, uid, gid, 1700000000, link
            i.size = len(data) if data is not None else 0
            t.addfile(i, io.BytesIO(data) if data is not None else None)
        add(name, kind=tarfile.DIRTYPE, mode=0o755)
        add(name + "/sub", kind=tarfile.DIRTYPE, mode=0o750, uid=1000, gid=1000)
        for k in range(n_small):
            add("%s/sub/f%03d" % (name, k), os.urandom(100 + k), mode=0o600 + (k % 2) * 0o44,
                uid=k % 3, gid=k % 5)
        add(name + "/big", os.urandom(big), mode=0o4755)
        add(name + "/link", kind=tarfile.SYMTYPE, link="sub/f000")
        add(name + "/hard", kind=tarfile.LNKTYPE, link=name + "/big")
        if extra:
            extra(add)
    data = raw.getvalue()
    return data, gzip.compress(data, 6, mtime=0)

layers = [layer("one", 300, 2 << 20), layer("two", 200, 3 << 20), layer("three", 10, 8 << 20)]
dig = lambda b: "sha256:" + hashlib.sha256(b).hexdigest()
config = json.dumps({"architecture": os.popen("dpkg --print-architecture").read().strip() or "amd64",
                     "os": "linux", "config": {"Cmd": ["sh"]},
                     "rootfs": {"type": "layers", "diff_ids": [dig(u) for u, _ in layers]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": dig(config), "size": len(config)},
                       "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                   "digest": dig(g), "size": len(g)} for _, g in layers]}).encode()
blobs = {dig(config): config}
for i, (_, g) in enumerate(layers):
    blobs[dig(g)] = g
    with open("%s/layer%d.tar.gz" % (out, i + 1), "wb") as f:
        f.write(g)
last = dig(layers[-1][1])

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    def do_HEAD(self): self.do_GET()
    def do_GET(self):
        p = self.path.split("/")
        if self.path == "/v2/":
            return self.send(200, b"{}")
        if len(p) != 6:
            return self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')
        behaviour, kind, ref = p[3], p[4], p[5]
        if kind == "manifests":
            return self.send(200, manifest, "application/vnd.oci.image.manifest.v1+json")
        data = blobs.get(ref)
        if data is None:
            return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}')
        if ref == last and behaviour == "stall":
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(120)
            self.close_connection = True
            return
        if ref == last and behaviour == "corrupt":
            data = data[:-1] + bytes([data[-1] ^ 1])
        self.send(200, data, "application/octet-stream")

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(out + "/port.tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(out + "/port.tmp", out + "/port")
server.serve_forever()
EOF
mkdir -p "$T/fake"
python3 "$T/fake.py" "$T/fake" >"$T/fake/log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -e "$T/fake/port" ] && break; sleep 0.1; done
F=127.0.0.1:$(cat "$T/fake/port")
S=$T/lade
lade() { "$LADE" --root "$S" "$@"; }

# what the store holds: published blobs, layer dirs by chain id, temp layer dirs
blobs() { find "$S/blobs/sha256" -type f 2>/dev/null | wc -l; }
layer_dirs() { find "$S/layers" -mindepth 1 -maxdepth 1 -regex '.*/[0-9a-f]*' 2>/dev/null | wc -l; }
tmp_dirs() { find "$S/layers" -mindepth 1 -maxdepth 1 -name 'tmp-*' 2>/dev/null | wc -l; }
# tmp dirs holding a finished-looking unpack of the named top-level dir
unpacked() { ls -d "$S"/layers/tmp-*/diff/"$1"/hard 2>/dev/null | wc -l; }

# ==== killed while the last layer stalls ====
"$LADE" --root "$S" pull -q "$F/t/stall:1" >"$T/pull.out" 2>&1 &
pid=$!
PIDS+=($pid)
seen=0
for _ in $(seq 200); do
        if [ "$(unpacked one)" = 1 ] && [ "$(unpacked two)" = 1 ]; then seen=1; break; fi
        sleep 0.05
done
expect_eq "layers 1 and 2 unpack while layer 3 still downloads" 1 "$seen"
check "... and the pull is still running" kill -0 "$pid"
expect_eq "... nothing is published meanwhile" "0 0" "$(blobs) $(layer_dirs)"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
expect_eq "killed pull: no blob, no layer dir" "0 0" "$(blobs) $(layer_dirs)"
expect_eq "killed pull: no image" "" "$(lade images -q)"
expect_eq "killed pull: the next lade command removed its temp layer dirs" 0 "$(tmp_dirs)"

# ==== the last layer is corrupt: the pull fails, with the first layers already unpacked ====
out=$(lade pull "$F/t/corrupt:1" 2>&1)
expect_eq "corrupt layer: pull fails" 1 $?
expect_contains "corrupt layer: names the blob and the cause" "digest mismatch" "$out"
expect_eq "corrupt layer: no blob, no layer dir, no temp dir" "0 0 0" "$(blobs) $(layer_dirs) $(tmp_dirs)"
expect_eq "corrupt layer: no image" "" "$(lade images -q)"

# ==== a good pull: layers unpacked in parallel equal tar -x of each layer ====
out=$(lade pull -q "$F/t/ok:1" 2>&1)
expect_eq "good pull" "0 $F/t/ok:1" "$? $out"
expect_eq "good pull: 5 blobs (manifest, config, layers), 3 layer dirs, no temp dir" "5 3 0" "$(blobs) $(layer_dirs) $(tmp_dirs)"
tree() { (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U %G %s %T@ %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }
mapfile -t dirs < <(lade image inspect "$F/t/ok:1" | jq -r '.[0].GraphDriver.Data | (.LowerDir // "" | split(":") | reverse | .[]), .UpperDir' | grep -v '^$')
expect_eq "good pull: 3 layer dirs for overlay" 3 "${#dirs[@]}"
for i in 1 2 3; do
        mkdir -p "$T/tar$i"
        tar -xzpf "$T/fake/layer$i.tar.gz" --numeric-owner -C "$T/tar$i"
        if [ "$(tree "$T/tar$i")" = "$(tree "${dirs[i - 1]}")" ]; then
                ok "layer $i: same tree as tar -x (names, types, modes, owners, sizes, mtimes, content)"
        else
                fail "layer $i differs from tar -x: $(diff <(tree "$T/tar$i") <(tree "${dirs[i - 1]}") | head -5)"
        fi
done
finish
