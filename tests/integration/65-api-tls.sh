#!/bin/bash
# `lade serve -H tcp://…`: only with TLS and client certificates (as dockerd --tlsverify). The real
# docker CLI over TLS (run, -i through the hijacked connection, ps), the unix socket alongside,
# clients without a certificate, with one from another CA, and with one the policy does not
# name (403, nothing done), the authorization policy's "certificates" and the audit log.
. "$(dirname "$0")/lib.sh"
LADE=${LADE:?set LADE to the lade binary}
BUSYBOX_IMAGE=${BUSYBOX_IMAGE:?}
for t in curl docker openssl jq python3; do
        command -v $t >/dev/null || { echo "SKIP: $t is needed"; exit 77; }
done
lade_isolate
SERVE_PID=
stop_all() {
        [ -n "$SERVE_PID" ] && { kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; }
        cleanup
}
trap stop_all EXIT
export DOCKER_CONFIG=$T/docker-config
unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH
lade() { "$LADE" --root "$T/lade" "$@"; }
lade load -q -i "$BUSYBOX_IMAGE" >/dev/null

# ---- certificates: our CA, the server's, alice (full), bob (read-only), carol (not in the
# policy), mallory (signed by another CA) ----
C=$T/certs
mkdir -p "$C"
cd "$C" || exit 1
ca() { openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" -keyout "$1-key.pem" -out "$1.pem" 2>/dev/null; }
issue() {
        # issue CA NAME EXT
        openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$2-key.pem" -out "$2.csr" 2>/dev/null &&
                openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1-key.pem" -CAcreateserial -days 2 \
                        -extfile <(printf '%s\n' "$3") -out "$2-cert.pem" 2>/dev/null
}
ca lade-test-ca && ca other-ca || { echo "SKIP: openssl cannot make certificates"; exit 77; }
issue lade-test-ca server 'subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth'
for u in alice bob carol; do issue lade-test-ca $u 'extendedKeyUsage=clientAuth'; done
issue other-ca mallory 'extendedKeyUsage=clientAuth'
cd - >/dev/null || exit 1
for u in alice bob carol mallory; do
        mkdir -p "$C/$u.d"
        cp "$C/lade-test-ca.pem" "$C/$u.d/ca.pem"
        cp "$C/$u-cert.pem" "$C/$u.d/cert.pem"
        cp "$C/$u-key.pem" "$C/$u.d/key.pem"
done

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TLS=(--tlsverify --tlscacert "$C/lade-test-ca.pem" --tlscert "$C/server-cert.pem" --tlskey "$C/server-key.pem")

# ---- refusals at the start ----
out=$(lade serve -H "tcp://127.0.0.1:$PORT" 2>&1)
expect_eq "tcp:// without TLS is refused" 125 $?
expect_contains "... saying what it needs" "needs --tlsverify with --tlscacert, --tlscert and --tlskey" "$out"
out=$(lade serve -H "tcp://127.0.0.1:$PORT" --tlsverify --tlscacert "$C/lade-test-ca.pem" 2>&1)
expect_eq "tcp:// with only a CA is refused" 125 $?
out=$(timeout 10 "$LADE" --root "$T/lade" serve -H "tcp://127.0.0.1:$PORT" --tlsverify --tlscacert "$C/lade-test-ca.pem" \
        --tlscert "$C/server-cert.pem" --tlskey "$C/alice-key.pem" 2>&1)
check "a key that is not the certificate's fails to start" test $? -ne 0 -a $? -ne 124
out=$(lade serve -H unix://"$T/x.sock" --tlsverify 2>&1)
expect_eq "TLS flags without a tcp:// address are refused" 125 $?

# ---- the server: unix socket and TCP ----
cat >"$T/authz.json" <<EOF
{"rules": [
  {"users": ["root"], "access": "full"},
  {"certificates": ["alice"], "access": "full"},
  {"certificates": ["bob"], "access": "read-only"}
]}
EOF
"$LADE" --root "$T/lade" serve -H "unix://$T/lade.sock" -H "tcp://127.0.0.1:$PORT" "${TLS[@]}" -G "" \
        --authz "$T/authz.json" --audit-log "$T/audit.log" 2>"$T/serve.log" &
SERVE_PID=$!
for _ in $(seq 100); do [ -S "$T/lade.sock" ] && curl -s -o /dev/null --cacert "$C/lade-test-ca.pem" "https://127.0.0.1:$PORT/_ping" && break; sleep 0.1; done
as() { local u=$1; shift; DOCKER_CERT_PATH=$C/$u.d DOCKER_TLS_VERIFY=1 timeout -s KILL 60 docker -H "tcp://127.0.0.1:$PORT" "$@"; }

expect_eq "docker version over TLS (alice) is the same server as on the unix socket" \
        "$(DOCKER_HOST=unix://$T/lade.sock docker version --format '{{.Server.Version}} {{.Server.APIVersion}}')" \
        "$(as alice version --format '{{.Server.Version}} {{.Server.APIVersion}}')"
expect_eq "docker run --rm over TLS" "over tls" "$(as alice run --rm busybox echo over tls)"
expect_eq "docker run -i: stdin through the hijacked TLS connection" "piped in" "$(echo piped in | as alice run --rm -i busybox cat)"
cid=$(as alice run -d --name tlsbox busybox sleep 300)
expect_eq "the container is the engine's (lade ps sees it)" "tlsbox" "$(lade ps --format '{{.Names}}')"
expect_eq "docker exec over TLS" "inside" "$(as alice exec tlsbox echo inside)"
expect_eq "the unix socket serves alongside" "tlsbox" \
        "$(DOCKER_HOST=unix://$T/lade.sock docker ps --format '{{.Names}}')"

# bob may read
expect_eq "bob (read-only) lists containers" "tlsbox" "$(as bob ps --format '{{.Names}}')"
out=$(as bob run --rm busybox true 2>&1)
check "bob may not create" test $? -ne 0
expect_contains "... told why" 'certificate "bob" has read-only access' "$out"
# carol: signed by the CA, named by no rule
out=$(as carol ps 2>&1)
check "carol (in no rule) is refused" test $? -ne 0
expect_contains "... told why" 'certificate "carol" may not use this server' "$out"
# no certificate, another CA's, plain HTTP
code=$(curl -s -o "$T/nocert.json" -w '%{http_code}' --cacert "$C/lade-test-ca.pem" "https://127.0.0.1:$PORT/containers/json")
expect_eq "no client certificate: 403" 403 "$code"
expect_contains "... asking for one" "client certificate signed by the server's CA is required" "$(cat "$T/nocert.json")"
code=$(curl -s -o "$T/rogue.json" -w '%{http_code}' --cacert "$C/lade-test-ca.pem" --cert "$C/mallory-cert.pem" \
        --key "$C/mallory-key.pem" -X POST -H 'Content-Type: application/json' -d '{"Image":"busybox","Cmd":["true"]}' \
        "https://127.0.0.1:$PORT/containers/create?name=rogue")
check "a certificate from another CA does not get through (got $code)" test "$code" = 403 -o "$code" = 000
expect_eq "... and created nothing" "" "$(lade ps -a --filter name=rogue -q)"
out=$(curl -s -m 5 "http://127.0.0.1:$PORT/_ping")
check "plain HTTP to the TLS port gets no answer" test "$out" != OK
as alice rm -f tlsbox >/dev/null
expect_eq "rm over TLS" "" "$(lade ps -aq)"

# ---- the audit log names the certificate and the address, not a uid ----
line=$(grep '"path": *"[^"]*/containers/create' "$T/audit.log" | grep alice | head -1)
[ -n "$line" ] || line=$(grep containers/create "$T/audit.log" | head -1)
expect_eq "audit: the certificate's CN" alice "$(jq -r .certificate <<<"$line")"
expect_contains "audit: the remote address" "127.0.0.1:" "$(jq -r .remote <<<"$line")"
expect_eq "audit: no uid for a TCP peer" null "$(jq -r .uid <<<"$line")"
expect_contains "audit: carol's refusal is recorded" '"deny"' "$(grep '"carol"' "$T/audit.log" | head -1)"
check "the server said where it listened" grep -q "tcp://127.0.0.1:$PORT" "$T/serve.log"
check "the server survived all that" kill -0 "$SERVE_PID"
kill "$SERVE_PID"
wait "$SERVE_PID"
expect_eq "it stops cleanly" 0 $?
SERVE_PID=
check "the TCP port is closed after" bash -c "! curl -s -m 2 --cacert '$C/lade-test-ca.pem' https://127.0.0.1:$PORT/_ping"
check "no sanitizer report" bash -c "! grep -q -e 'runtime error' -e 'Sanitizer' '$T/serve.log'"
finish
