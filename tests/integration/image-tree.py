# image-tree.py ARCHIVE: prints what 51-build-parity.sh compares of an image, from a docker-archive
# (the output of `docker save` or `lade save`, legacy or OCI layout inside), one fact per line:
#   config FIELD <json>                     the image config fields Docker's builder sets ("" is null)
#   fs PATH TYPE MODE UID:GID [DETAIL]      the filesystem after applying the layers in order
# TYPE is d f l c b p; DETAIL is a file's sha256, a symlink's target or a device's major,minor.
# Layers are applied as overlayfs would show them: ".wh.NAME" deletes NAME of the layers below,
# ".wh..wh..opq" empties its directory of them; a hard link is the file it links to. mtimes are not
# compared, nor /proc, /sys, /dev and the files the engine bind-mounts (/etc/hosts, ...).
import hashlib, json, sys, tarfile

FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels",
          "StopSignal", "Healthcheck", "Shell", "OnBuild"]
IGNORED = {"etc/hosts", "etc/hostname", "etc/resolv.conf"}
IGNORED_TREES = ("proc", "sys", "dev")
TYPES = {tarfile.DIRTYPE: "d", tarfile.REGTYPE: "f", tarfile.AREGTYPE: "f", tarfile.CONTTYPE: "f",
         tarfile.SYMTYPE: "l", tarfile.CHRTYPE: "c", tarfile.BLKTYPE: "b", tarfile.FIFOTYPE: "p"}


def clean(name):
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)


def ignored(path):
    return path in IGNORED or path.split("/")[0] in IGNORED_TREES


def entry(layer, ti, fs, layer_path):
    if ti.type == tarfile.LNKTYPE:
        target = clean(ti.linkname)
        if target not in fs:
            sys.exit(f"image-tree: {layer_path}: hard link {ti.name} to missing {ti.linkname}")
        return fs[target]
    kind = TYPES.get(ti.type)
    if kind is None:
        sys.exit(f"image-tree: {layer_path}: {ti.name}: unexpected tar type {ti.type!r}")
    detail = ""
    if kind == "f":
        h = hashlib.sha256()
        f = layer.extractfile(ti)
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
        detail = h.hexdigest()
    elif kind == "l":
        detail = ti.linkname
    elif kind in "cb":
        detail = f"{ti.devmajor},{ti.devminor}"
    return (kind, "%04o" % (ti.mode & 0o7777), f"{ti.uid}:{ti.gid}", detail)


def apply_layer(archive, layer_path, fs):
    with tarfile.open(fileobj=archive.extractfile(layer_path), mode="r:*") as layer:
        members = layer.getmembers()
        # whiteouts hide what the layers below have, never what this layer adds
        for ti in members:
            path = clean(ti.name)
            base = path.rsplit("/", 1)[-1]
            parent = path.rsplit("/", 1)[0] if "/" in path else ""
            if base == ".wh..wh..opq":
                prefix = parent + "/" if parent else ""
                for p in [p for p in fs if p.startswith(prefix) and p != parent]:
                    del fs[p]
            elif base.startswith(".wh."):
                gone = (parent + "/" if parent else "") + base[4:]
                for p in [p for p in fs if p == gone or p.startswith(gone + "/")]:
                    del fs[p]
        for ti in members:
            path = clean(ti.name)
            if not path or path.rsplit("/", 1)[-1].startswith(".wh."):
                continue
            old = fs.get(path)
            new = entry(layer, ti, fs, layer_path)
            if old is not None and (old[0] == "d") != (new[0] == "d"):
                for p in [p for p in fs if p.startswith(path + "/")]:
                    del fs[p]
            fs[path] = new


def main():
    with tarfile.open(sys.argv[1]) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))[0]
        config = json.load(archive.extractfile(manifest["Config"]))
        c = config.get("config") or {}
        for k in FIELDS:
            v = c.get(k)
            # Go's omitempty: the classic builder writes "" where BuildKit leaves the field out
            print("config", k, json.dumps(None if v == "" else v, sort_keys=True))
        print("config Author", json.dumps(config.get("author")))
        fs = {}
        for layer_path in manifest["Layers"]:
            apply_layer(archive, layer_path, fs)
    for path in sorted(fs):
        if not ignored(path):
            print(" ".join(["fs", "/" + path, *fs[path]]).rstrip())


main()
