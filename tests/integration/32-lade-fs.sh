#!/bin/bash
# The container filesystem verbs: `lade diff` (Docker's A/C/D), `lade commit` (-c, -m, -a, the
# new image runs with the change), `lade export`, and `lade cp` both ways with docker cp's path
# rules, tar streams ("-"), and hostile input: symlinks in the container pointing out of it, tars
# with ../ or absolute names or huge names, which must never touch the host.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
lade() { "$LADE" --root "$T/lade" "$@"; }
lade_cleanup() {
        local ids
        ids=$(lade ps -aq 2>/dev/null)
        [ -z "$ids" ] || lade rm -f $ids >/dev/null 2>&1
        cleanup
}
trap lade_cleanup EXIT
lade load -i "$BUSYBOX_IMAGE" >/dev/null
H=$T/host
mkdir -p "$H"

# ---- diff ----
lade run -d --name fs1 busybox sleep 600 >/dev/null
lade exec fs1 sh -c 'echo new >/tmp/new; rm /bin/vi; mkdir -p /root/a/b; echo x >/etc/group'
expect_eq "diff: Docker's A/C/D list in path order, parents of changes as C" \
        "C /bin|D /bin/vi|C /etc|C /etc/group|C /root|A /root/a|A /root/a/b|C /tmp|A /tmp/new" \
        "$(lade diff fs1 | tr '\n' '|' | sed 's/|$//')"
expect_eq "diff: the runtime's mount points (/etc/hosts...) are not changes" "" \
        "$(lade diff fs1 | grep -E 'hosts|hostname|resolv')"
lade run --name fs0 busybox true
expect_eq "diff of an unchanged container is empty" "" "$(lade diff fs0)"
out=$(lade diff nosuch 2>&1)
expect_eq "diff of an unknown container fails" 1 $?
expect_contains "... with Docker's message" "No such container: nosuch" "$out"

# ---- commit ----
id=$(lade commit -m "my change" -a "Jane <j@x>" -c 'ENV FOO=bar' -c 'CMD ["cat","/tmp/new"]' fs1 lade-fs/test:v1)
expect_contains "commit prints the image id" "sha256:" "$id"
expect_eq "the image is listed" "lade-fs/test:v1" "$(lade images --format '{{.Repository}}:{{.Tag}}' | grep lade-fs)"
expect_eq "the new image runs with -c CMD and has the change" "new" "$(lade run --rm lade-fs/test:v1)"
expect_eq "-c ENV" "bar" "$(lade run --rm lade-fs/test:v1 sh -c 'echo $FOO')"
expect_eq "deletions are in the layer (whiteouts)" "gone" \
        "$(lade run --rm lade-fs/test:v1 sh -c '[ -e /bin/vi ] || echo gone')"
expect_eq "the container keeps running after a pausing commit" "running" \
        "$(lade inspect -f '{{.State.Status}}' fs1 2>/dev/null || lade ps --format '{{.Status}}' -f name=fs1 | cut -c1-2 | sed 's/Up/running/')"
expect_contains "history has the comment and the command" "my change" "$(lade history lade-fs/test:v1)"
id0=$(lade commit fs0)
expect_eq "commit without a tag: an untagged image" "<none>" \
        "$(lade images --format '{{.ID}} {{.Repository}}' | grep "${id0:7:12}" | cut -d' ' -f2)"
expect_eq "an unchanged container commits an empty layer: same layers as its image" \
        "$(lade image inspect -f '{{len .RootFS.Layers}}' busybox)" "$(lade image inspect -f '{{len .RootFS.Layers}}' "$id0")"
out=$(lade commit -c 'RUN echo' fs1 2>&1)
expect_eq "commit -c RUN is refused" 1 $?
expect_contains "... naming the instruction" "unknown instruction" "$out"
out=$(lade commit fs1 'Bad:Tag!' 2>&1)
expect_eq "commit with an invalid reference fails" 1 $?

# ---- export ----
lade export fs1 >"$T/fs1.tar"
expect_eq "export: a tar of the merged rootfs" "bin/sh etc/group tmp/new" \
        "$(tar tf "$T/fs1.tar" | grep -xE 'bin/sh|etc/group|tmp/new' | sort | tr '\n' ' ' | sed 's/ $//')"
check "export: deleted files are gone" bash -c "! tar tf '$T/fs1.tar' | grep -qx bin/vi"
lade export -o "$T/fs1-o.tar" fs1
check "export -o writes the same tar" cmp -s "$T/fs1.tar" "$T/fs1-o.tar"
out=$(script -qec "$LADE --root $T/lade export fs1" /dev/null 2>&1)
expect_contains "export refuses to write to a terminal" "cowardly refusing" "$out"

# ---- cp: container -> host ----
lade cp fs1:/tmp/new "$H/new" && expect_eq "cp a file out" "new" "$(cat "$H/new")"
lade cp fs1:/root/a "$H/" && check "cp a directory into an existing dir" test -d "$H/a/b"
lade cp fs1:/root/a "$H/copy-of-a" && check "cp a directory to a new name" test -d "$H/copy-of-a/b"
mkdir "$H/dot" && lade cp fs1:/etc/. "$H/dot" && check "cp SRC/. copies the contents" test -f "$H/dot/passwd"
expect_eq "cp to - writes a tar" "new" "$(lade cp fs1:/tmp/new - | tar xOf -)"
out=$(lade cp fs1:/nonexistent "$H/x" 2>&1)
expect_eq "cp of a missing container path fails" 1 $?
expect_contains "... with Docker's message" "Could not find the file /nonexistent in container fs1" "$out"
out=$(lade cp fs1:/tmp/new "$H/no/such/dir/x" 2>&1)
expect_eq "cp into a missing local directory fails" 1 $?
expect_contains "... with docker cp's message" "does not exist" "$out"
out=$(lade cp fs1:/root/a "$H/new" 2>&1)
expect_eq "a directory over a file is refused" "cannot copy directory" "$out"

# ---- cp: host -> container ----
mkdir -p "$H/src/d/e" && echo hello >"$H/src/d/f" && echo deep >"$H/src/d/e/g"
lade cp "$H/src/d/f" fs1:/tmp/f1 && expect_eq "cp a file in, to a new name" hello "$(lade exec fs1 cat /tmp/f1)"
lade cp "$H/src/d" fs1:/tmp && expect_eq "cp a directory into a directory" deep "$(lade exec fs1 cat /tmp/d/e/g)"
lade cp "$H/src/d/." fs1:/tmp/contents && expect_eq "cp SRC/. to a new dir copies the contents" "e f" \
        "$(lade exec fs1 ls /tmp/contents | tr '\n' ' ' | sed 's/ $//')"
expect_eq "files copied in are root's without -a" "0:0" "$(chown 1234:1234 "$H/src/d/f"; lade cp "$H/src/d/f" fs1:/tmp/own; lade exec fs1 stat -c %u:%g /tmp/own)"
lade cp -a "$H/src/d/f" fs1:/tmp/own-a
expect_eq "... and keep their owner with -a" "1234:1234" "$(lade exec fs1 stat -c %u:%g /tmp/own-a)"
lade exec fs1 mkdir /tmp/stream
(cd "$H/src" && tar cf - d) | lade cp - fs1:/tmp/stream
expect_eq "cp - extracts a tar stream" deep "$(lade exec fs1 cat /tmp/stream/d/e/g)"
out=$(lade cp "$H/src/d/f" fs1:/tmp/nonexistent/ 2>&1)
expect_eq "a file to a missing dir/ is refused" "no such directory" "$out"
out=$(echo | lade cp - fs1:/tmp/new 2>&1)
expect_eq "cp - needs a directory" 1 $?
out=$(lade cp "$H/src/d/f" fs1:/no/such/dir/f 2>&1)
expect_eq "cp into a missing container directory fails" 1 $?
expect_contains "... with Docker's message" "Could not find the file" "$out"
out=$(lade cp "$H/src/d/f" "$H/other" 2>&1)
expect_eq "cp between two local paths is refused" "must specify at least one container source" "$out"
lade stop -t 1 fs1 >/dev/null
lade cp "$H/src/d/f" fs1:/tmp/while-stopped
lade start fs1 >/dev/null
expect_eq "cp into a stopped container" hello "$(lade exec fs1 cat /tmp/while-stopped)"
lade run -d --name fsro --read-only -v "$H/vol:/vol" busybox sleep 600 >/dev/null
out=$(lade cp "$H/src/d/f" fsro:/tmp/x 2>&1)
expect_contains "cp into a read-only rootfs is refused" "read-only" "$out"
lade cp "$H/src/d/f" fsro:/vol/x
expect_eq "... but a volume in it is writable, and cp sees it" hello "$(cat "$H/vol/x")"

# ---- adversarial ----
lade exec fs1 sh -c 'ln -s / /tmp/to-root; ln -s ../../../../../../etc /tmp/up; ln -s /etc/shadow /tmp/shadow-link; echo container-shadow >/etc/shadow'
host_shadow=$(sha256sum /etc/shadow)
lade cp "$H/src/d/f" fs1:/tmp/up/lade-escape-$$
check "a symlink with ../../ in the container resolves inside it (host untouched)" test ! -e "/etc/lade-escape-$$"
expect_eq "... the file is in the container's /etc" hello "$(lade exec fs1 cat /etc/lade-escape-$$)"
lade cp "$H/src/d/f" fs1:/tmp/to-root/
check "a symlink to / is the container's root" test ! -e /f
expect_eq "... the container got it" hello "$(lade exec fs1 cat /f)"
lade cp -L fs1:/tmp/shadow-link "$H/shadow"
expect_eq "cp -L follows a link to /etc/shadow inside the container" container-shadow "$(cat "$H/shadow")"
lade cp fs1:/tmp/shadow-link "$H/shadow-nofollow"
expect_eq "cp without -L copies the link itself" /etc/shadow "$(readlink "$H/shadow-nofollow")"
lade cp fs1:/tmp/up/passwd "$H/pw"
expect_eq "reading through ../ links reads the container's file" "$(lade exec fs1 head -1 /etc/passwd)" "$(head -1 "$H/pw")"
expect_eq "the host's /etc/shadow is unchanged" "$host_shadow" "$(sha256sum /etc/shadow)"
python3 - "$T/evil.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ["../../../../tmp/lade-evil-dotdot", "ok"]:
        data = b"evil"
        i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
EOF
out=$(lade cp - fs1:/tmp <"$T/evil.tar" 2>&1)
expect_eq "a tar with ../ names is refused" 1 $?
check "... and nothing lands outside" test ! -e /tmp/lade-evil-dotdot
python3 - "$T/abs.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("/lade-abs-name"); i.size = 3; t.addfile(i, io.BytesIO(b"abs"))
EOF
lade cp - fs1:/tmp <"$T/abs.tar"
check "an absolute name lands inside the target directory" test ! -e /lade-abs-name
expect_eq "... as a relative one" abs "$(lade exec fs1 cat /tmp/lade-abs-name)"
python3 - "$T/link.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    i = tarfile.TarInfo("esc"); i.type = tarfile.SYMTYPE; i.linkname = "/"; t.addfile(i)
    i = tarfile.TarInfo("esc/tmp/lade-through-link"); i.size = 1; t.addfile(i, io.BytesIO(b"x"))
EOF
lade cp - fs1:/tmp/d <"$T/link.tar" >/dev/null 2>&1
check "a tar writing through its own symlink stays inside" test ! -e /tmp/lade-through-link
python3 - "$T/huge.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    i = tarfile.TarInfo("a/" * 3000 + "f"); i.size = 1; t.addfile(i, io.BytesIO(b"x"))
EOF
out=$(lade cp - fs1:/tmp <"$T/huge.tar" 2>&1)
expect_eq "a tar with a 6000-byte name is refused" 1 $?
expect_contains "... saying why" "longer than" "$out"
out=$(lade cp fs1:/proc/kcore "$H/kcore" 2>&1)
expect_eq "the container's /proc is not copied" 1 $?

lade rm -f fs1 fs0 fsro >/dev/null
check "no container dirs or mounts are left" bash -c "[ -z \"\$(ls '$T/lade/containers' 2>/dev/null)\" ] && ! grep -q '$T/lade' /proc/self/mounts"
finish
