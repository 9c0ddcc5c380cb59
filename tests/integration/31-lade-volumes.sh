#!/bin/bash
# Volumes with real containers: named volumes persist across containers and are populated from
# the image on first use, anonymous volumes for an image's VOLUME (reused across restarts, gone
# with rm -v and --rm), `volume rm` of a volume in use refused, tmpfs and bind driver options,
# -v /host:/c:ro, --mount volume-nocopy, prune, bad names refused, inspect's Mounts, and nothing
# left behind (mounts, directories, rows).
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
R=$T/lade
lade() { "$LADE" --root "$R" "$@"; }
rows() { sqlite3 "$R/lade.db" "$1" 2>/dev/null; }
lade load -i "$BUSYBOX_IMAGE" >/dev/null

# An image with a VOLUME and content in it: busybox plus /data (file, hardlink, symlink, subdir,
# owned by 1000 with mode 0750, an xattr), made with `lade import --change 'VOLUME /data'`.
img=$T/img
mkdir -p "$img/bin" "$img/etc" "$img/data/sub"
cp /bin/busybox "$img/bin/busybox"
for a in sh cat ls stat echo touch grep readlink wc true; do ln -s busybox "$img/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$img/etc/passwd"
echo hello >"$img/data/file"
ln "$img/data/file" "$img/data/hard"
ln -s /etc/passwd "$img/data/link"
chown 1000:1000 "$img/data" && chmod 750 "$img/data"
python3 -c "import os; os.setxattr('$img/data/file', 'user.lade', b'kept')" 2>/dev/null && xattr=1 || xattr=0
tar --xattrs -C "$img" -cf "$T/img.tar" .
lade import --change 'VOLUME /data' --change 'CMD ["sh"]' "$T/img.tar" volimg:1 >/dev/null

# ---- named volumes ----
expect_eq "volume create prints the name" v1 "$(lade volume create v1)"
expect_eq "its data dir is 0755 root" "755 0" "$(stat -c '%a %u' "$R/volumes/v1/_data")"
expect_eq "populated from the image on first use" "hello" "$(lade run --rm -v v1:/data volimg:1 cat /data/file)"
D=$R/volumes/v1/_data
expect_eq "... keeping the directory's owner and mode" "1000 750" "$(stat -c '%u %a' "$D")"
expect_eq "... hardlinks" "$(stat -c %i "$D/file")" "$(stat -c %i "$D/hard")"
expect_eq "... symlinks, not followed" "/etc/passwd" "$(readlink "$D/link")"
[ "$xattr" = 1 ] && expect_eq "... xattrs" kept "$(python3 -c "import os; print(os.getxattr('$D/file', 'user.lade').decode())")"
lade run --rm -v v1:/data busybox sh -c 'echo more >>/data/file'
expect_eq "a named volume persists across containers" "hello more" \
        "$(lade run --rm -v v1:/data volimg:1 cat /data/file | tr '\n' ' ' | sed 's/ $//')"
lade create --name user1 -v v1:/data busybox true >/dev/null
out=$(lade volume rm v1 2>&1)
expect_eq "volume rm of a volume in use fails" 1 $?
expect_contains "... with Docker's message" "remove v1: volume is in use - [$(lade inspect -f '{{.Id}}' user1)]" "$out"
expect_eq "inspect shows the volume in Mounts" "volume v1 /data z true" \
        "$(lade inspect user1 | jq -r '.[0].Mounts[0] | "\(.Type) \(.Name) \(.Destination) \(.Mode) \(.RW)"')"
lade rm user1 >/dev/null
expect_eq "rm keeps a named volume" v1 "$(lade volume ls -q --filter name=v1)"
expect_eq "once unused it can be removed" v1 "$(lade volume rm v1)"
check "its directory is gone" test ! -e "$R/volumes/v1"

# ---- anonymous volumes ----
cid=$(lade create -v /scratch volimg:1 sh -c 'ls /data; echo x >>/scratch/runs; cat /scratch/runs | wc -l')
expect_eq "the image's VOLUME and -v /dst make two anonymous volumes" 2 "$(lade volume ls -q | wc -l)"
lade start -a "$cid" >/dev/null
expect_eq "anonymous volumes are reused across restarts" "file hard link sub 2" \
        "$(lade start -a "$cid" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "their names are 64 hex digits" 2 "$(lade volume ls -q | grep -cE '^[0-9a-f]{64}$')"
expect_eq "... labelled anonymous" '{"com.docker.volume.anonymous":""}' \
        "$(lade volume inspect -f '{{json .Labels}}' "$(lade volume ls -q | head -1)")"
lade rm -v "$cid" >/dev/null
expect_eq "rm -v removes them" "" "$(lade volume ls -q)"
lade run --rm -v /scratch volimg:1 true
expect_eq "--rm removes them" "" "$(lade volume ls -q)"
lade run --name keepanon volimg:1 true
lade rm keepanon >/dev/null
expect_eq "rm without -v keeps them" 1 "$(lade volume ls -q | wc -l)"
out=$(lade volume prune -f)
expect_contains "prune removes unused anonymous volumes" "Deleted Volumes:" "$out"
expect_contains "... and reports the space" "Total reclaimed space: " "$out"
expect_eq "... leaving none" "" "$(lade volume ls -q)"
lade run --rm -u nosuchuser -v /x volimg:1 true 2>/dev/null
expect_eq "a failed create leaves no anonymous volume" "" "$(lade volume ls -q)"

# ---- --mount, nocopy, binds ----
expect_eq "--mount type=volume,volume-nocopy stays empty" 0 \
        "$(lade run --rm --mount type=volume,src=nc,dst=/data,volume-nocopy volimg:1 sh -c 'ls /data | wc -l')"
expect_eq "-v name:/dst:ro is read-only" ro \
        "$(lade run --rm -v nc:/d:ro busybox sh -c 'touch /d/x 2>/dev/null || echo ro')"
mkdir -p "$T/host" && echo hostdata >"$T/host/f"
expect_eq "-v /host:/c:ro" "hostdata ro" \
        "$(lade run --rm -v "$T/host:/c:ro" busybox sh -c 'cat /c/f; touch /c/x 2>/dev/null || echo ro' | tr '\n' ' ' | sed 's/ $//')"
out=$(lade volume prune -f)
expect_eq "prune without --all keeps named volumes" nc "$(lade volume ls -q)"
out=$(lade volume prune -f -a)
expect_contains "prune --all removes them" nc "$out"

# ---- driver options ----
lade volume create -o type=tmpfs -o device=tmpfs -o o=size=2m,uid=1000 tv >/dev/null
expect_eq "a tmpfs volume is a tmpfs with its options" "tmpfs size=2048k uid=1000" \
        "$(lade run --rm -v tv:/t busybox sh -c 'grep " /t " /proc/mounts' | awk '{print $3}') $(lade run --rm -v tv:/t busybox sh -c 'grep " /t " /proc/mounts' | grep -oE 'size=[0-9]+k|uid=[0-9]+' | tr '\n' ' ' | sed 's/ $//')"
lade volume create -o type=none -o o=bind -o device="$T/host" bv >/dev/null
lade run --rm -v bv:/b busybox sh -c 'echo via-volume >/b/new'
expect_eq "a bind volume binds its device" via-volume "$(cat "$T/host/new")"
expect_eq "volume inspect shows the options" '{"device":"'"$T/host"'","o":"bind","type":"none"}' \
        "$(lade volume inspect -f '{{json .Options}}' bv)"
lade volume create -o type=none -o o=bind -o device="$T/nonexistent" badbind >/dev/null
out=$(lade run --rm -v badbind:/b busybox true 2>&1)
expect_eq "a bind volume with a missing device fails" 125 $?
expect_contains "... saying why" "failed to mount local volume" "$out"

# ---- bad input ----
out=$(lade volume create ../x 2>&1)
expect_eq "a name with ../ is refused" 1 $?
expect_contains "... with Docker's message" 'create ../x: "../x" includes invalid characters for a local volume name' "$out"
out=$(lade run --rm -v 'a/../b:/c' busybox true 2>&1)
expect_eq "... also in -v" 125 $?
expect_contains "... with Docker's message" 'includes invalid characters for a local volume name' "$out"
out=$(lade volume create -o foo=bar x1 2>&1)
expect_contains "an unknown option is refused" 'create x1: invalid option: "foo"' "$out"
out=$(lade volume create -o type=tmpfs x2 2>&1)
expect_contains "a missing option is refused" 'create x2: missing required option: "device"' "$out"
out=$(lade volume inspect nosuch 2>&1)
expect_eq "inspect of an unknown volume fails" 1 $?
expect_contains "... with Docker's message" "get nosuch: no such volume" "$out"
expect_eq "rm -f of an unknown volume succeeds" nosuch "$(lade volume rm -f nosuch)"
check "no volume dir was made for refused names" test ! -e "$R/volumes/x1" -a ! -e "$T/x"

# ---- listing ----
expect_eq "ls table" "DRIVER    VOLUME NAME" "$(lade volume ls | head -1)"
expect_eq "ls --filter dangling=true" "badbind bv tv" "$(lade volume ls -q --filter dangling=true | tr '\n' ' ' | sed 's/ $//')"
expect_eq "ls --format" "local:tv" "$(lade volume ls --format '{{.Driver}}:{{.Name}}' --filter name=tv)"
lade volume create --label team=a lab >/dev/null
expect_eq "ls --filter label=" lab "$(lade volume ls -q --filter label=team=a)"
expect_contains "system df counts volumes" "Local Volumes   4" "$(lade system df)"
lade volume rm tv bv badbind lab >/dev/null

# ---- container prune with filters ----
lade create --name pa --label tier=a busybox true >/dev/null
lade create --name pb --label tier=b busybox true >/dev/null
out=$(lade container prune -f --filter label=tier=a)
expect_contains "container prune --filter label=tier=a removes that one" "$(lade ps -aq --no-trunc --filter name=pb | head -c 0)Deleted Containers:" "$out"
expect_eq "... and only that one" "pb" "$(lade ps -a --format '{{.Names}}' --filter name=p[ab])"
out=$(lade container prune -f --filter until=2000-01-01T00:00:00)
expect_eq "until= in the past keeps newer containers" "pb" "$(lade ps -a --format '{{.Names}}' --filter name=p[ab])"
out=$(lade container prune -f --filter 'label!=tier=b')
expect_eq "label!= keeps the labelled one" "pb" "$(lade ps -a --format '{{.Names}}' --filter name=p[ab])"
out=$(lade container prune -f --filter bogus=1 2>&1)
check "an unknown filter is refused" test $? -ne 0
expect_eq "... removing nothing" "pb" "$(lade ps -a --format '{{.Names}}' --filter name=p[ab])"
lade rm pb >/dev/null

# ---- system prune: stopped containers, unused networks, anonymous volumes, dangling images ----
lade run -d --name keep -v kept:/k busybox sleep 1000 >/dev/null
lade create --name stopped -v /anon busybox true >/dev/null
anon=$(lade inspect -f '{{json .Mounts}}' stopped | jq -r '.[0].Name')
lade network create prunenet >/dev/null
lade tag busybox prune-me:1
pid=$(lade image inspect -f '{{.Id}}' busybox)
out=$(echo n | lade system prune)
expect_contains "system prune asks first, listing what goes" "  - all stopped containers" "$out"
expect_eq "... and 'n' keeps everything" "1" "$(lade ps -aq --filter name=stopped | wc -l)"
t_prune=$(date +%s)
out=$(lade system prune -f --volumes)
expect_contains "system prune -f --volumes: the stopped container" "Deleted Containers:" "$out"
expect_contains "... the unused network" "prunenet" "$out"
expect_contains "... the anonymous volume" "$anon" "$out"
expect_contains "... and a total" "Total reclaimed space:" "$out"
expect_eq "the running container stays" keep "$(lade ps --format '{{.Names}}')"
expect_eq "its named volume stays" kept "$(lade volume ls -q --filter name=kept)"
expect_eq "tagged images stay without -a" "$pid" "$(lade image inspect -f '{{.Id}}' prune-me:1)"
expect_eq "the bridge network stays" bridge "$(lade network ls --filter name=bridge --format '{{.Name}}')"
expect_eq "events: each prune recorded, as dockerd does" "container network volume image" \
        "$(lade events --since "$t_prune" --until 0s --filter event=prune --format '{{.Type}}' | tail -n 4 | xargs)"
ev=$(lade events --since "$t_prune" --until 0s --filter event=prune --filter type=volume \
        --format '{{.Scope}} {{.Status}} {{.ID}} {{.TimeNano}} {{.Time}}' | tail -n 1)
# (a prune event has no legacy status or id: "" as Go prints an empty field)
check "events --format: the fields by Go's names (Scope Status ID TimeNano Time)" \
        bash -c "grep -Eq '^local   [0-9]{19} [0-9]{10}\$' <<<'$ev'"
# following: what happens after the start, until killed
"$LADE" --root "$R" events --filter type=container --format '{{.Action}} {{.Actor.Attributes.name}}' >"$T/events.out" 2>&1 &
evpid=$!
sleep 0.3
lade create --name evc busybox true >/dev/null
lade rm evc >/dev/null
for _ in $(seq 50); do grep -q destroy "$T/events.out" && break; sleep 0.1; done
kill "$evpid" 2>/dev/null; wait "$evpid" 2>/dev/null
expect_eq "events follows new ones (create, destroy)" "create evc|destroy evc" "$(paste -sd '|' "$T/events.out")"
out=$(lade events --filter bogus=1 --until 0s 2>&1)
check "events: an unknown filter is refused" test $? -ne 0
out=$(lade system prune -f --filter until=1h 2>&1)
check "a filter is refused, saying so" test $? -ne 0
expect_contains "... naming --filter" "--filter" "$out"
lade rm -f keep >/dev/null
lade volume rm kept >/dev/null
lade rmi prune-me:1 >/dev/null

# ---- nothing left ----
expect_eq "no volumes left" "" "$(lade volume ls -q)"
expect_eq "no volume dirs left" "" "$(ls "$R/volumes")"
expect_eq "no rows left" "0 0" "$(rows 'SELECT count(*) FROM volumes') $(rows 'SELECT count(*) FROM container_volumes')"
check "no mounts left" bash -c "! grep -q '$R' /proc/self/mounts"
finish
