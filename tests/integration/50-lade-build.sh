#!/bin/bash
# `lade build` on the bundled busybox image: the parity corpus tests/build/*/ builds and gives the
# configs and files Docker documents; the cache (hits run no container, COPY keys on content not
# mtime, --no-cache), SOURCE_DATE_EPOCH reproducibility, contexts from stdin, -f, --target,
# --build-arg, --label, --iidfile, -q, RUN --mount (secret, tmpfs, bind, cache), ADD of a URL
# served on loopback, and failures that leave nothing behind.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
lade() { "$LADE" --root "$T/lade" "$@"; }
HTTPD_PID=
trap '[ -n "$HTTPD_PID" ] && kill "$HTTPD_PID" 2>/dev/null; cleanup' EXIT
lade load -i "$BUSYBOX_IMAGE" >/dev/null
C=$SRCDIR/tests/build
cfg() { lade image inspect -f "$2" "$1"; }
in_img() { local img=$1; shift; lade run --rm --network none "$img" "$@"; }

# ---- the corpus ----
# The bundled busybox (Debian's busybox-static) has no adduser; Docker Hub's busybox has: 17 runs
# only where the image has it. (22's "nogroup" need not exist: BuildKit then keeps the user's group.)
have_adduser=$(in_img busybox sh -c 'command -v adduser >/dev/null && echo y')
for d in "$C"/*/; do
        n=$(basename "$d")
        case $n in 17-user-variants) [ "$have_adduser" = y ] || continue ;; esac
        extra=()
        [ "$n" = 36-target-skip ] && extra=(--target app)
        out=$(lade build -q "${extra[@]}" -t "corpus/$n" "$d" 2>&1)
        check "corpus $n builds" [ $? = 0 ] || echo "$out" | tail -5
done

expect_eq "01 CMD" '["echo","hello"]' "$(cfg corpus/01-from-basic '{{json .Config.Cmd}}')"
expect_eq "02 FROM scratch + COPY --from: one file, one layer" "data 1" \
        "$(lade save corpus/02-from-scratch-copy | tar -xOf - manifest.json | jq -r '.[0].Layers | length' | sed 's/^/data /')"
expect_eq "03 RUN shell form" "one TWO" "$(in_img corpus/03-run-shell-form cat /a | tr '\n' ' ' | sed 's/ $//')"
expect_eq "04 RUN exec form does not expand" "exec /\$NOT_EXPANDED" \
        "$(in_img corpus/04-run-exec-form sh -c 'cat /exec.txt; ls /\$NOT_EXPANDED' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "05 invalid JSON is the shell form" '["/bin/sh","-c","[\"sh\", '"'"'c'"'"']"]' \
        "$(cfg corpus/05-run-invalid-json '{{json .Config.Cmd}}')"
expect_eq "06 ENTRYPOINT resets an earlier CMD of the stage? no: the later CMD" \
        '["/bin/echo","entry"] ["arg1","arg2"]' \
        "$(cfg corpus/06-cmd-entrypoint '{{json .Config.Entrypoint}} {{json .Config.Cmd}}')"
expect_eq "07 shell-form ENTRYPOINT and CMD" '["/bin/sh","-c","echo from shell"] ["/bin/sh","-c","ignored"]' \
        "$(cfg corpus/07-entrypoint-shell '{{json .Config.Entrypoint}} {{json .Config.Cmd}}')"
expect_eq "08 ENV forms, as RUN sees them" '1|two words|three words|this is   the value|1-two words|$A' \
        "$(in_img corpus/08-env-both-syntaxes cat /env.txt)"
expect_contains "08 ENV in the config" '"LEGACY=this is   the value","D=1-two words","E=$A"' \
        "$(cfg corpus/08-env-both-syntaxes '{{json .Config.Env}}')"
expect_eq "09 ENV used by WORKDIR, COPY, LABEL, USER" "/app hello /app 1000" \
        "$(echo $(cfg corpus/09-env-substitution '{{.Config.WorkingDir}}') \
                $(in_img corpus/09-env-substitution cat /app/copied-hello.txt) \
                $(cfg corpus/09-env-substitution '{{json .Config.Labels}}' | jq -r .dir) \
                $(cfg corpus/09-env-substitution '{{.Config.User}}'))"
expect_eq "10 ARG defaults and ENV winning" "[default][][default-c] env-wins" \
        "$(echo $(in_img corpus/10-arg-defaults cat /args.txt /a.txt))"
expect_eq "10 ARGs are not in the config" '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=env-wins"]' \
        "$(cfg corpus/10-arg-defaults '{{json .Config.Env}}')"
expect_eq "11 ARG before FROM" "latest []" "$(echo $(in_img corpus/11-arg-before-from cat /version.txt /base.txt))"
expect_eq "12 ARG scope ends with the stage" "[] in-a" "$(echo $(in_img corpus/12-arg-scope-stages cat /x /from-a))"
plat=$(lade version >/dev/null; in_img corpus/13-predefined-platform-args cat /platform.txt)
expect_contains "13 TARGETPLATFORM and friends" "linux/" "$plat"
expect_eq "14 proxy args unset without --build-arg" "[]" "$(in_img corpus/14-proxy-args cat /proxy.txt)"
expect_eq "15 LABEL forms" '{"a":"override","b c":"d e","f":"g h","legacy":"value with spaces"}' \
        "$(cfg corpus/15-label-multiple '{{json .Config.Labels}}' | jq -cS .)"
expect_eq "16 EXPOSE" '["443/tcp","53/udp","80/tcp","8080/tcp","9000/tcp","9001/tcp","9002/tcp"]' \
        "$(cfg corpus/16-expose-ports '{{json .Config.ExposedPorts}}' | jq -c 'keys')"
expect_eq "18 WORKDIR chain" "/a/c /a/c" "$(echo $(cfg corpus/18-workdir-chain '{{.Config.WorkingDir}}') $(in_img corpus/18-workdir-chain cat /pwd.txt))"
expect_eq "19 COPY file and directory contents" "/dir-contents/a.txt /dir-contents/sub /dst/file.txt" \
        "$(echo $(in_img corpus/19-copy-basic sh -c 'ls -d /dst/file.txt /dir-contents/*'))"
expect_eq "20 trailing slash rules (an existing directory takes the file)" "f d d" \
        "$(echo $(in_img corpus/20-copy-trailing-slash sh -c 'for p in /newname /newdir /existing; do [ -d $p ] && echo d || echo f; done'))"
expect_eq "21 wildcards" "/md/f1.md /txt/a.txt /txt/b.txt" \
        "$(echo $(in_img corpus/21-copy-wildcards sh -c 'ls -d /txt/* /md/*'))"
expect_eq "22 --chown/--chmod" "1000:1000:644 0:0:751 65534:65534:600" \
        "$(echo $(in_img corpus/22-copy-chown-chmod stat -c %u:%g:%a /owned /moded /both))"
mkdir -p "$T/chown" && echo x >"$T/chown/f"
cat >"$T/chown/Dockerfile" <<'EOF'
FROM busybox
COPY --chown=nosuch f /a
COPY --chown=1000:nosuch f /b
COPY --chown=root:65534 f /c
RUN echo 'app:x:1234:4321::/:/bin/sh' >> /etc/passwd && echo 'grp:x:777:' >> /etc/group
COPY --chown=app f /d
COPY --chown=app:grp f /e
EOF
expect_eq "--chown: a name's primary group; unknown names are root's ids or keep the user's group" \
        "0:0 1000:1000 0:65534 1234:4321 1234:777" \
        "$(lade build -q -t chown "$T/chown" >/dev/null && echo $(in_img chown stat -c %u:%g /a /b /c /d /e))"
expect_eq "23 --link accepted" "$(cat "$C/23-copy-link/file.txt")" "$(in_img corpus/23-copy-link cat /linked)"
expect_eq "24 --from by name and index" "built built" "$(echo $(in_img corpus/24-copy-from-stage-index cat /by-name /by-index))"
expect_eq "25 --from an image" "busybox" "$(lade run --rm --network none --entrypoint /busybox corpus/25-copy-from-image 2>&1 | head -1 | cut -c1-7 | tr B b)"
expect_eq "26 ADD extracts a tar, COPY does not" "yes archive.tar" \
        "$(echo $(in_img corpus/26-add-local-tar sh -c '[ -n "$(ls /extracted)" ] && echo yes; ls /copied'))"
expect_eq "28 VOLUME forms" '["/a","/b","/cache","/data","/logs"]' "$(cfg corpus/28-volume-forms '{{json .Config.Volumes}}' | jq -c keys)"
expect_eq "29 STOPSIGNAL" "9" "$(cfg corpus/29-stopsignal '{{.Config.StopSignal}}')"
expect_eq "30 HEALTHCHECK" '{"Interval":60000000000,"Test":["CMD","true"]}' "$(cfg corpus/30-healthcheck-cmd '{{json .Config.Healthcheck}}' | jq -cS .)"
expect_eq "31 HEALTHCHECK NONE" '["NONE"]' "$(cfg corpus/31-healthcheck-none '{{json .Config.Healthcheck.Test}}')"
expect_eq "32 SHELL" '["/bin/sh","-e","-c"] ["/bin/sh","-e","-c","echo default"]' \
        "$(cfg corpus/32-shell-instruction '{{json .Config.Shell}} {{json .Config.Cmd}}')"
expect_eq "33 ONBUILD triggers ran, and are not inherited further" "triggered 1 null" \
        "$(echo $(in_img corpus/33-onbuild-triggers sh -c 'cat /trigger.txt; echo $FROM_PARENT') $(cfg corpus/33-onbuild-triggers '{{json .Config.OnBuild}}'))"
expect_eq "34 MAINTAINER" "Jane Doe <jane@example.com>" "$(cfg corpus/34-maintainer '{{.Author}}')"
expect_eq "35 multi-stage: only the artefact" "compiled no-src" \
        "$(echo $(in_img corpus/35-multistage-compile sh -c 'cat /usr/local/bin/app; [ -d /src ] || echo no-src'))"
expect_eq "36 --target skips the failing stages" "app" "$(in_img corpus/36-target-skip cat /app)"
expect_eq "37 a stage as base" "1" "$(in_img corpus/37-stage-as-base cat /inherited)"
expect_eq "39 escape=\` (the shell then eats the backslash)" "C:path" "$(in_img corpus/39-escape-backtick cat /out)"
expect_eq "42 .dockerignore (the ignored Dockerfile is not copied)" "README dir keep.log" "$(echo $(in_img corpus/42-dockerignore ls /ctx))"
expect_eq "43 heredoc RUN" "one two tabs stripped" "$(echo $(in_img corpus/43-heredoc-run cat /one /two /tabs))"
expect_eq "44 heredoc COPY" 'hello world hello $NAME' "$(echo $(in_img corpus/44-heredoc-copy cat /expanded /literal))"
expect_eq "45 colon-less defaults" '["A=","B=empty","C=unset","D=set","E="]' \
        "$(cfg corpus/45-colonless-defaults '{{json .Config.Env}}' | jq -c '.[1:]')"
expect_eq "47 RUN --network=none has only lo" "1" "$(in_img corpus/47-run-network-none grep -c ': lo:' /links)"
expect_eq "RUN history as BuildKit writes it" "RUN /bin/sh -c echo one > /a && echo two | tr a-z A-Z >> /a # buildkit" \
        "$(lade image inspect corpus/03-run-shell-form | jq -r '.[0].Config as $c | .[0]' >/dev/null; lade history --no-trunc --format '{{.CreatedBy}}' corpus/03-run-shell-form | head -1)"
expect_contains "COPY history names the content" "COPY file:" \
        "$(lade history --no-trunc --format '{{.CreatedBy}}' corpus/27-add-file | head -1 | sed 's/^ADD/COPY/')"
expect_eq "RUN layers hold no mount points (/etc/hosts, /proc, ...)" "a" \
        "$(lade save corpus/03-run-shell-form | tar -xOf - "$(lade save corpus/03-run-shell-form | tar -xOf - manifest.json | jq -r '.[0].Layers[-1]')" | tar -t | tr '\n' ' ' | sed 's/ $//')"

# ---- the cache ----
B=$T/ctx
mkdir -p "$B"
cp -r "$C/35-multistage-compile/." "$B/"
id1=$(lade build -q "$B")
out=$(lade build --progress plain "$B" 2>&1)
expect_eq "a rebuild gives the same image" "$id1" "$(lade build -q "$B")"
expect_eq "... every step CACHED" 4 "$(grep -c CACHED <<<"$out")"
expect_eq "... and no RUN ran" 0 "$(grep -c '^#[0-9]* [0-9.]* ' <<<"$out")"
touch -d '2001-01-01' "$B/main.sh"
expect_eq "a new mtime is still a hit" "$id1" "$(lade build -q "$B")"
echo 'echo changed' >>"$B/main.sh"
id2=$(lade build -q "$B")
check "changed content is a miss" [ "$id2" != "$id1" ]
# the stat memo of content digests (build/digests/) only spares reading files whose stat is the
# same: content rewritten with the same size and the old mtime put back still moves the ctime
M=$T/mctx
mkdir -p "$M" && printf 'FROM busybox\nCOPY memo.txt /memo.txt\n' >"$M/Dockerfile"
echo aaaa >"$M/memo.txt" && touch -d '2020-01-01 00:00:00' "$M/memo.txt"
m1=$(lade build -q "$M")
sleep 1.1       # the memo trusts no entry of a file changed within a second of its read
expect_eq "stat memo: a rebuild is a hit" "$m1" "$(lade build -q "$M")"
check "... the memo is written" [ -n "$(ls "$T/lade/build/digests/")" ]
expect_eq "... and a hit again with the memo" "$m1" "$(lade build -q "$M")"
echo bbbb >"$M/memo.txt" && touch -d '2020-01-01 00:00:00' "$M/memo.txt"
m2=$(lade build -q "$M")
check "same size and mtime, new content: a miss" [ "$m2" != "$m1" ]
expect_eq "... with the new content" bbbb "$(in_img "$m2" cat /memo.txt)"
echo aaaa >"$M/memo.txt" && touch -d '2020-01-01 00:00:00' "$M/memo.txt"
expect_eq "... and the old content back is the old image" "$m1" "$(lade build -q "$M")"
id3=$(lade build -q --no-cache "$B")
check "--no-cache builds anew" [ "$id3" != "$id2" ]
out=$(lade build --no-cache --progress plain "$B" 2>&1)
expect_eq "... with no step CACHED" 0 "$(grep -c CACHED <<<"$out")"
s1=$(date +%s%N)
lade build -q "$B" >/dev/null
s2=$(date +%s%N)
echo "fully cached rebuild: $(((s2 - s1) / 1000000)) ms"

# ---- reproducible ----
r1=$(SOURCE_DATE_EPOCH=1700000000 lade build -q --no-cache "$B")
r2=$(SOURCE_DATE_EPOCH=1700000000 lade build -q --no-cache "$B")
expect_eq "SOURCE_DATE_EPOCH: the same image id twice" "$r1" "$r2"
expect_eq "... created is that time" "2023-11-14T22:13:20Z" "$(cfg "$r1" '{{.Created}}')"

# ---- contexts, flags ----
expect_eq "context from a tar on stdin" "compiled" \
        "$(tar -C "$C/35-multistage-compile" -c . | lade build -q -t stdin-ctx - >/dev/null && in_img stdin-ctx cat /usr/local/bin/app)"
tar -C "$C/35-multistage-compile" -cz . >"$T/ctx.tgz"
expect_eq "... a gzipped tar from a file" "compiled" \
        "$(lade build -q -t stdin-gz - <"$T/ctx.tgz" >/dev/null && in_img stdin-gz cat /usr/local/bin/app)"
expect_eq "a Dockerfile on stdin, no context (docker build - < Dockerfile), piped" "piped" \
        "$(printf 'FROM busybox\nRUN echo piped > /p\n' | lade build -q -t stdin-df - >/dev/null && in_img stdin-df cat /p)"
printf 'FROM busybox\nRUN echo from-file > /p\n' >"$T/Dockerfile.stdin"
expect_eq "... and from a file" "from-file" \
        "$(lade build -q -t stdin-df2 - <"$T/Dockerfile.stdin" >/dev/null && in_img stdin-df2 cat /p)"
out=$(printf 'FROM busybox\nCOPY nothing /n\n' | lade build -q - 2>&1)
expect_contains "... whose context is empty (a COPY finds nothing)" "nothing" "$out"
check "... and the empty context dir is gone" bash -c "! ls -d \"\${TMPDIR:-/tmp}\"/lade-build-context.* 2>/dev/null"
mkdir -p "$T/fctx" && echo from-f >"$T/fctx/x"
printf 'FROM busybox\nARG V=def\nCOPY x /x\nRUN echo "$V" > /v\n' >"$T/Dockerfile.other"
lade build -q -f "$T/Dockerfile.other" --build-arg V=given --label team=core --iidfile "$T/iid" -t flags:1 "$T/fctx" >"$T/id"
expect_eq "-f outside the context, --build-arg" "from-f given" "$(echo $(in_img flags:1 cat /x /v))"
expect_eq "--label" "core" "$(cfg flags:1 '{{json .Config.Labels}}' | jq -r .team)"
expect_eq "--iidfile and -q print the id" "$(cat "$T/id")" "$(cat "$T/iid")"
expect_contains "... which is the tagged image" "$(cfg flags:1 '{{.Id}}')" "$(cat "$T/id")"
expect_contains "a build arg in use is in the RUN history" 'RUN |1 V=given /bin/sh -c' \
        "$(lade history --no-trunc --format '{{.CreatedBy}}' flags:1 | head -1)"

# ---- RUN --mount ----
mkdir -p "$T/mctx" && echo context-file >"$T/mctx/f" && echo s3cr3t >"$T/secret"
cat >"$T/mctx/Dockerfile" <<'EOF'
FROM busybox
RUN --mount=type=secret,id=tok cat /run/secrets/tok > /seen
RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && grep -q ' /scratch tmpfs' /proc/mounts && echo tmpfs > /t
RUN --mount=type=bind,target=/mnt cat /mnt/f > /bound
RUN --mount=type=cache,target=/var/cache/x,id=lade-it sh -c 'echo run >> /var/cache/x/log; wc -l < /var/cache/x/log > /count'
EOF
lade build -q --secret id=tok,src="$T/secret" -t mounts "$T/mctx" >/dev/null
expect_eq "secret, tmpfs and bind mounts" "s3cr3t tmpfs context-file" "$(echo $(in_img mounts cat /seen /t /bound))"
expect_eq "the secret's mount point is not in the image" "gone" "$(in_img mounts sh -c '[ -e /run/secrets/tok ] && echo there || echo gone')"
check "no layer holds the secret file" bash -c "! lade_() { :; }; ! \"$LADE\" --root \"$T/lade\" save mounts | tar -xOf - --wildcards '*.tar' '*/layer.tar' 2>/dev/null | tar -t 2>/dev/null | grep -q 'run/secrets/tok'"
lade build -q --no-cache --secret id=tok,src="$T/secret" -t mounts "$T/mctx" >/dev/null
expect_eq "a cache mount persists between builds" "2" "$(in_img mounts cat /count)"

# ---- ADD <url> on loopback ----
if command -v python3 >/dev/null; then
        mkdir -p "$T/www" "$T/uctx" && echo served >"$T/www/file.txt"
        PORT=$((20000 + RANDOM % 20000))
        (cd "$T/www" && exec python3 -m http.server --bind 127.0.0.1 "$PORT") >/dev/null 2>&1 &
        HTTPD_PID=$!
        for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/file.txt" >/dev/null && break; sleep 0.1; done
        sum=$(sha256sum "$T/www/file.txt" | cut -d' ' -f1)
        printf 'FROM busybox\nADD --checksum=sha256:%s http://127.0.0.1:%s/file.txt /dl/\n' "$sum" "$PORT" >"$T/uctx/Dockerfile"
        expect_eq "ADD <url> with --checksum" "served 600" "$(lade build -q -t url "$T/uctx" >/dev/null && echo $(in_img url sh -c 'cat /dl/file.txt; stat -c %a /dl/file.txt'))"
        printf 'FROM busybox\nADD --checksum=sha256:%064d http://127.0.0.1:%s/file.txt /dl/\n' 0 "$PORT" >"$T/uctx/Dockerfile"
        out=$(lade build -q "$T/uctx" 2>&1)
        expect_contains "a wrong checksum fails" "digest mismatch" "$out"
fi

# ---- failures leave nothing ----
mkdir -p "$T/bad"
printf 'FROM busybox\nRUN echo partial > /p\nRUN echo to-stdout; echo to-stderr >&2; exit 3\n' >"$T/bad/Dockerfile"
out=$(lade build -t bad:1 "$T/bad" 2>&1)
expect_eq "a failing RUN exits 1" 1 $?
expect_contains "... with BuildKit's message" 'process "/bin/sh -c echo to-stdout; echo to-stderr >&2; exit 3" did not complete successfully: exit code: 3' "$out"
expect_contains "... and the step's output" "to-stderr" "$out"
check "... and no tag" bash -c "! \"$LADE\" --root \"$T/lade\" image inspect bad:1 >/dev/null 2>&1"
printf 'FROM busybox\nRUNN x\n' >"$T/bad/Dockerfile"
out=$(lade build "$T/bad" 2>&1)
expect_contains "an unknown instruction names the line" "Dockerfile:2: dockerfile parse error on line 2: unknown instruction: RUNN" "$out"
printf 'FROM busybox\nCOPY missing.txt /\n' >"$T/bad/Dockerfile"
expect_contains "a missing COPY source is named" '"/missing.txt": not found' "$(lade build "$T/bad" 2>&1)"
printf 'FROM busybox\nCOPY ../../etc/passwd /\n' >"$T/bad/Dockerfile"
expect_contains "a path out of the context is refused" "forbidden path outside the build context" "$(lade build "$T/bad" 2>&1)"
ln -s /etc/passwd "$T/bad/link"
printf 'FROM busybox\nCOPY link /\n' >"$T/bad/Dockerfile"
expect_contains "... also through a symlink" "forbidden path outside the build context" "$(lade build "$T/bad" 2>&1)"
printf 'FROM busybox\nCOPY --from=nostage /x /\n' >"$T/bad/Dockerfile"
out=$(lade build "$T/bad" 2>&1)
expect_eq "a missing stage or image fails" 1 $?
check "no containers are left" bash -c "[ -z \"\$(ls '$T/lade/containers' 2>/dev/null)\" ] && [ -z \"\$(\"$LADE\" --root \"$T/lade\" ps -aq)\" ]"
check "no mounts are left" bash -c "! grep -q '$T/lade' /proc/self/mounts"
check "no build temp dirs are left" bash -c "[ -z \"\$(ls -d '$T/lade/build/tmp-'* 2>/dev/null)\" ]"

# the steps' images are build cache (as BuildKit's): not in `images` or `images -a`, counted by
# nobody, resolvable by ID; `builder prune` removes them, the tagged results stay
mkdir -p "$T/steps"
printf 'FROM busybox\nRUN echo a >/a\nRUN echo b >/b\nENV X=1\n' >"$T/steps/Dockerfile"
before=$(lade images -aq | sort -u | wc -l)
lade build -q -t steps:1 "$T/steps" >/dev/null || fail "build steps:1"
expect_eq "only the result is listed (images -a)" $((before + 1)) "$(lade images -aq | sort -u | wc -l)"
inter=$(sqlite3 "$T/lade/lade.db" 'SELECT image_id FROM build_intermediates LIMIT 1')
check "a step's image exists and resolves by ID" lade image inspect "$inter"
expect_eq "... and image prune leaves it (it is cache)" 0 \
        "$(lade image prune -f >/dev/null; sqlite3 "$T/lade/lade.db" "SELECT count(*) FROM images WHERE id = '$inter'" | grep -c '^0$')"
lade builder prune -f >/dev/null
expect_eq "builder prune removes the steps' images" 0 "$(sqlite3 "$T/lade/lade.db" 'SELECT count(*) FROM build_intermediates')"
check "... but not the result" lade image inspect steps:1
check "... which still runs" lade run --rm --network none steps:1 cat /b

# a build killed with -9 leaves its temp dir and image views; the next build removes them, but not
# those of a build still running (its lock is held)
mkdir -p "$T/lade/build/tmp-dead/view-1/rootfs" "$T/lade/build/tmp-live"
touch "$T/lade/build/tmp-dead/.lock" "$T/lade/build/tmp-live/.lock"
mount -t tmpfs none "$T/lade/build/tmp-dead/view-1/rootfs"
flock "$T/lade/build/tmp-live/.lock" sleep 60 &
holder=$!
sleep 0.2
printf 'FROM busybox\nRUN true\n' >"$T/bad/Dockerfile"
lade build -q "$T/bad" >/dev/null || fail "a build after a killed one"
check "the dead build's view is unmounted" bash -c "! grep -q '$T/lade/build/tmp-dead' /proc/self/mounts"
check "... and its dir removed" test ! -e "$T/lade/build/tmp-dead"
check "a running build's dir is kept" test -d "$T/lade/build/tmp-live"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
rm -rf "$T/lade/build/tmp-live"
finish
