#!/bin/bash
# The lade CLI's image commands against its own store (no registry): load the bundled busybox
# image, list/inspect/history/tag/rmi, save -> load round trip, import with --change, errors.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?set BUSYBOX_IMAGE to the bundled busybox archive}
lade() { "$LADE" --root "$T/lade" "$@"; }

out=$(lade load -i "$BUSYBOX_IMAGE")
expect_eq "load the bundled busybox image" "Loaded image: busybox:latest" "$out"
id=$(lade images -q busybox)
expect_eq "images -q shows one short id" 12 "${#id}"
expect_eq "images table" "REPOSITORY TAG IMAGE ID CREATED SIZE" "$(lade images | head -1 | tr -s ' ')"
expect_eq "images row" "busybox latest $id" "$(lade images | sed -n 2p | tr -s ' ' | cut -d' ' -f1-3)"
expect_eq "images --format" "busybox:latest" "$(lade images --format '{{.Repository}}:{{.Tag}}')"
full=$(lade image inspect -f '{{.Id}}' busybox)
expect_eq "inspect: Id is the config digest" "sha256:$(tar -xOf "$BUSYBOX_IMAGE" ./manifest.json | jq -r '.[0].Config' | cut -d/ -f3)" "$full"
expect_eq "inspect: Cmd" '["sh"]' "$(lade image inspect busybox | jq -c '.[0].Config.Cmd')"
expect_eq "inspect: RootFS layers" 1 "$(lade image inspect busybox | jq '.[0].RootFS.Layers | length')"
expect_eq "inspect by short id" "$full" "$(lade image inspect -f '{{.Id}}' "$id")"
check "the layer is unpacked for overlayfs" test -x "$(lade image inspect busybox | jq -r '.[0].GraphDriver.Data.UpperDir')/bin/busybox"
expect_contains "history" "busybox-static from Debian" "$(lade history --no-trunc busybox)"

lade tag busybox localhost:5000/mine/bb:1.0
expect_eq "tag adds a second name" 2 "$(lade images --format '{{.Repository}}' | wc -l)"
out=$(lade rmi "$id" 2>&1)
expect_eq "rmi by id refuses an image in two repositories" 1 $?
expect_contains "... with Docker's message" "must be forced" "$out"
expect_eq "rmi of one tag only untags" "Untagged: localhost:5000/mine/bb:1.0" "$(lade rmi localhost:5000/mine/bb:1.0)"

lade save -o "$T/saved.tar" busybox
expect_eq "save writes an archive with manifest.json" "busybox:latest" "$(tar -xOf "$T/saved.tar" manifest.json | jq -r '.[0].RepoTags[0]')"
check "save writes an OCI index" bash -c "tar -xOf '$T/saved.tar' index.json | jq -e '.manifests | length == 1' >/dev/null"
out=$(lade rmi busybox)
expect_contains "rmi of the last tag deletes the image" "Deleted: $full" "$out"
expect_eq "the store is empty" "" "$(lade images -q)"
check "the unpacked layer is gone" bash -c "[ -z \"\$(ls '$T/lade/layers')\" ]"
check "no blobs are left" bash -c "[ -z \"\$(ls '$T/lade/blobs/sha256')\" ]"
lade load -i "$T/saved.tar" >/dev/null
expect_eq "save -> load gives the same id" "$full" "$(lade image inspect -f '{{.Id}}' busybox)"

tar -C "$(dirname "$(lade image inspect busybox | jq -r '.[0].GraphDriver.Data.UpperDir')")/diff" -cf "$T/rootfs.tar" .
newid=$(lade import -c 'ENV FOO=bar' -c 'CMD ["echo", "hi"]' -c 'WORKDIR /srv' -c 'EXPOSE 8080' -m "from test" "$T/rootfs.tar" imported:v1)
expect_eq "import prints the new id" 71 "${#newid}"
expect_eq "import --change ENV/CMD/WORKDIR/EXPOSE" '["echo","hi"] /srv {"8080/tcp":{}}' \
        "$(lade image inspect imported:v1 | jq -c '.[0].Config | [.Cmd, .WorkingDir, .ExposedPorts]' | jq -r '"\(.[0]|tojson) \(.[1]) \(.[2]|tojson)"')"
expect_contains "import --change ENV" "FOO=bar" "$(lade image inspect -f '{{json .Config.Env}}' imported:v1)"
out=$(lade import -c 'RUN true' "$T/rootfs.tar" bad:1 2>&1)
expect_eq "import with an unknown --change fails" 1 $?
expect_contains "... naming the instruction" "RUN" "$out"

expect_eq "images --filter since=busybox shows the newer import" "imported" "$(lade images --filter since=busybox --format '{{.Repository}}')"
expect_eq "images --filter before=imported:v1 shows busybox" "busybox" "$(lade images --filter before=imported:v1 --format '{{.Repository}}')"
out=$(lade images --filter bogus=1 2>&1)
expect_eq "an unknown filter is refused" 1 $?
expect_contains "... naming it" "invalid filter 'bogus'" "$out"
out=$(lade image inspect nosuch 2>&1)
expect_eq "inspect of an unknown image fails" 1 $?
expect_contains "... with Docker's message" "No such image: nosuch" "$out"
out=$(lade tag busybox 'Bad/Name' 2>&1)
expect_eq "an invalid reference is refused" 1 $?
expect_contains "... with Docker's wording" "invalid reference format" "$out"
printf 'not a tar' >"$T/garbage.tar"
before=$(lade images -q | sort)
out=$(lade load -i "$T/garbage.tar" 2>&1)
expect_eq "loading garbage fails" 1 $?
expect_eq "... and leaves the store unchanged" "$before" "$(lade images -q | sort)"
expect_contains "system df lists images" "Images" "$(lade system df)"
finish
