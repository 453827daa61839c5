#!/usr/bin/env bash
# HTTPS end to end, with a throwaway office CA made here (openssl): devices
# sync with the hub's native TLS; they refuse a certificate for another
# host name, an expired one, one from another CA and a key that does not
# match their pin, and then nothing reaches the hub; SIGHUP reloads a
# renewed certificate while a daemon's connection stays up; TLS 1.0/1.1
# clients are refused; plain HTTP stays on loopback; bad key/cert pairs
# and bad device settings are refused with a clear message; the client's
# address comes from X-Forwarded-For of a trusted proxy only; devices sync
# through nginx terminating TLS (skipped, saying so, without nginx).
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || fail "openssl is needed"
command -v faketime >/dev/null || fail "faketime is needed"
C=$WORK/certs
mkdir -p "$C"

# ca NAME: a CA certificate NAME.crt and key NAME.key.
ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/$1.key" -out "$C/$1.crt" -days 30 -subj "/CN=$1" \
    2>/dev/null || fail "cannot make CA $1"
}

# leaf NAME CA SAN [faketime offset]: a server certificate signed by CA.
leaf() {
  local name=$1 ca=$2 san=$3 when=${4:-}
  local -a ft=()
  [ -z "$when" ] || ft=(faketime -f "$when")
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$C/$name.key" -out "$C/$name.csr" -subj "/CN=$name" \
    2>/dev/null || fail "cannot make key $name"
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    "$san" >"$C/$name.ext"
  "${ft[@]}" openssl x509 -req -in "$C/$name.csr" -CA "$C/$ca.crt" \
    -CAkey "$C/$ca.key" -CAcreateserial -days 2 -extfile "$C/$name.ext" \
    -out "$C/$name.crt" 2>/dev/null || fail "cannot sign $name"
  chmod 600 "$C/$name.key"
}

# pin_of NAME: curl's sha256// pin of NAME.crt's public key.
pin_of() {
  printf 'sha256//%s' "$(openssl x509 -in "$C/$1.crt" -pubkey -noout |
    openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
    base64)"
}

ca office
ca other
leaf good office "DNS:localhost,IP:127.0.0.1"
leaf renewed office "DNS:localhost,IP:127.0.0.1"
leaf wronghost office "DNS:hub.example.org"
leaf expired office "DNS:localhost,IP:127.0.0.1" "-10d"
leaf foreign other "DNS:localhost,IP:127.0.0.1"
cp "$C/good.crt" "$C/live.crt"
cp "$C/good.key" "$C/live.key"

expect_hub_ok init

CASE="start: bad pairs are refused, naming the file"
expect_hub_fail 1 serve --listen 127.0.0.1:0 --tls-cert "$C/good.crt" \
  --tls-key "$C/renewed.key"
grep -q "does not belong to the certificate" "$ERR" || fail "no mismatch message"
expect_hub_fail 1 serve --listen 127.0.0.1:0 --tls-cert "$C/missing.crt" \
  --tls-key "$C/good.key"
grep -qF "$C/missing.crt" "$ERR" || fail "the missing file is not named"
expect_hub_fail 1 serve --listen 127.0.0.1:0 --tls-cert "$C/good.key" \
  --tls-key "$C/good.key"
grep -q "not a PEM certificate" "$ERR" || fail "a key as certificate accepted"
expect_hub_fail 2 serve --listen 127.0.0.1:0 --tls-cert "$C/good.crt"
grep -q "give both --tls-cert and --tls-key" "$ERR" || fail "half a pair accepted"

CASE="plain HTTP only on loopback"
# Refused while parsing the options: nothing is bound.
expect_hub_fail 2 serve --listen 0.0.0.0:0
grep -q "refusing plain HTTP on 0.0.0.0" "$ERR" || fail "no refusal message"
expect_hub_fail 2 serve --listen 0.0.0.0:0 --insecure-http --tls-cert \
  "$C/good.crt" --tls-key "$C/good.key"

CASE="devices sync over HTTPS"
start_hub_tls "$C/live.crt" "$C/live.key"
grep -q "over HTTPS" "$WORK/hub.log" || fail "the hub does not say it serves HTTPS"
enrol_tls d1 "$C/office.crt"
enrol_tls d2 "$C/office.crt"
dev d1 put notes n1 '{"text":"over TLS"}' >/dev/null || fail "put failed"
sync_once d1
sync_once d2
expect_converged d1 d2
grep -q '"over TLS"' "$WORK/hub.export" || fail "the record did not reach the hub"
# Without the office CA (the system's store only), the hub is refused.
set +e
dev d2 sync --once --ca-file /etc/ssl/certs/ca-certificates.crt >"$OUT" 2>"$ERR"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "a hub outside the CA file was accepted ($rc)"

CASE="TLS 1.2 and 1.3 only"
curl -sS -v --cacert "$C/office.crt" --tlsv1.2 --tls-max 1.2 \
  "$URL/v1/health" >"$BODY" 2>"$WORK/curl.log" || fail "TLS 1.2 refused"
grep -q "SSL connection using TLSv1.2" "$WORK/curl.log" || fail "not TLS 1.2"
curl -sS -v --cacert "$C/office.crt" --tlsv1.3 "$URL/v1/health" \
  >"$BODY" 2>"$WORK/curl.log" || fail "TLS 1.3 refused"
grep -q "SSL connection using TLSv1.3" "$WORK/curl.log" || fail "not TLS 1.3"
if curl -sS -v --cacert "$C/office.crt" --tlsv1 --tls-max 1.1 \
  "$URL/v1/health" >"$BODY" 2>"$WORK/curl.log"; then
  fail "a TLS 1.1 client was served"
fi
if grep -q "SSL connection using" "$WORK/curl.log"; then
  fail "a TLS 1.0/1.1 handshake completed"
fi

CASE="the office's session cookie is Secure over TLS"
printf 'admin-pass-1\n' | "$HUB" user add ana --role admin
curl -sS -D "$WORK/login.headers" -o /dev/null --cacert "$C/office.crt" \
  --data-urlencode user=ana --data-urlencode password=admin-pass-1 \
  "$URL/login" || fail "login over TLS failed"
grep -i '^Set-Cookie: sambang_session=' "$WORK/login.headers" | grep -qi '; Secure' ||
  fail "no Secure on the session cookie over TLS: $(cat "$WORK/login.headers")"
# Plain HTTP to the TLS port gets no answer.
if curl -sS --max-time 5 "http://127.0.0.1:$PORT/v1/health" >"$BODY" 2>/dev/null &&
  grep -q status "$BODY"; then
  fail "plain HTTP answered on the TLS port"
fi

# refused NAME CERT REASON [SYNC ARGS]: the hub serves CERT; device NAME's
# new record is refused with REASON and nothing reaches the hub.
refused() {
  local name=$1 cert=$2 reason=$3 pushes rc
  shift 3
  stop_hub
  start_hub_tls "$C/$cert.crt" "$C/$cert.key"
  dev "$name" put notes "secret-$cert" '{"text":"must not leave"}' >/dev/null ||
    fail "put failed"
  snapshot
  pushes=$(grep -c "POST /v1/push" "$WORK/hub.log" || true)
  set +e
  dev "$name" sync --once --server "$URL" "$@" >"$OUT" 2>"$ERR"
  rc=$?
  set -e
  [ "$rc" -eq 1 ] || fail "sync with $cert exited $rc, not 1"
  grep -q "certificate is refused, nothing was sent" "$ERR" ||
    fail "the refusal does not say why"
  grep -qi -- "$reason" "$ERR" || fail "the refusal does not say: $reason"
  expect_unchanged
  [ "$(grep -c "POST /v1/push" "$WORK/hub.log" || true)" = "$pushes" ] ||
    fail "a push reached the hub"
  grep -q "secret-$cert" "$WORK/hub.log" && fail "the record reached the hub"
  return 0
}

CASE="wrong host name"
refused d2 wronghost "does not match\|no alternative certificate subject name"
CASE="expired"
refused d2 expired "expired"
CASE="another CA"
refused d2 foreign "unable to get local issuer certificate"
CASE="pin mismatch"
refused d2 good "pinned public key" --pin "$(pin_of renewed)"
CASE="pin match"
dev d2 sync --once --server "$URL" --pin "$(pin_of good)" >"$OUT" 2>"$ERR" ||
  fail "the right pin was refused"
CASE="a bad pin is refused before any exchange"
set +e
dev d2 sync --once --server "$URL" --pin "sha256//short" >"$OUT" 2>"$ERR"
rc=$?
set -e
[ "$rc" -eq 4 ] || fail "a malformed pin exited $rc, not 4"
grep -q "a pin must be sha256//" "$ERR" || fail "no pin format message"

CASE="sambang status says why (daemon)"
stop_hub
start_hub_tls "$C/expired.crt" "$C/expired.key"
start_daemon d2 --server "$URL" --backoff-cap 1
wait_until 20 bash -c "SAMBANG_DB=$WORK/d2.db \"$SAMBANG\" status |
  grep -q 'certificate is refused'"
stop_daemon d2

CASE="SIGHUP reloads a renewed certificate; open connections keep working"
stop_hub
start_hub_tls "$C/live.crt" "$C/live.key"
dev d2 sync --once --server "$URL" >"$OUT" 2>"$ERR" || fail "d2 catch-up failed"
start_daemon d1 --server "$URL" --wait 30
wait_until 20 converged d1 d2
# d1 now long-polls on a connection made with the old certificate.
cp "$C/renewed.crt" "$C/live.crt"
cp "$C/renewed.key" "$C/live.key"
kill -HUP "$HUB_PID"
wait_until 10 grep -q "tls: certificate and key reloaded" "$WORK/hub.log"
# New connections get the renewed key: the old pin is refused, the new one works.
dev d2 put notes after-reload '{"text":"renewed"}' >/dev/null || fail "put failed"
set +e
dev d2 sync --once --server "$URL" --pin "$(pin_of good)" >"$OUT" 2>"$ERR"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "the old key is still served after SIGHUP"
dev d2 sync --once --server "$URL" --pin "$(pin_of renewed)" >"$OUT" 2>"$ERR" ||
  fail "the renewed certificate is not served"
# The daemon's long-poll hears of it, and it goes on syncing.
wait_until 20 converged d1 d2
dev d1 put notes from-d1 '{"text":"still syncing"}' >/dev/null || fail "put failed"
wait_until 20 bash -c "\"$HUB\" export | grep -q from-d1"
if grep -q "refused\|unreachable" "$WORK/d1.log"; then
  fail "the daemon lost the hub across the reload"
fi
# A broken pair on SIGHUP keeps the old one.
cp "$C/good.key" "$C/live.key"
kill -HUP "$HUB_PID"
wait_until 10 grep -q "tls: reload failed, the old certificate stays" "$WORK/hub.log"
dev d2 sync --once --server "$URL" --pin "$(pin_of renewed)" >"$OUT" 2>"$ERR" ||
  fail "a failed reload broke the hub"
stop_daemon d1

CASE="device settings"
set +e
dev d3 init --server "$URL" --ca-file "$C/office.key" >"$OUT" 2>"$ERR"
rc=$?
set -e
[ "$rc" -eq 4 ] || fail "a key as CA file exited $rc, not 4"
grep -q "holds no PEM certificate" "$ERR" || fail "no CA file message"
[ ! -e "$WORK/d3.db" ] || fail "a refused init left a store"
set +e
dev d2 sync --once --server http://hub.example.org:1 >"$OUT" 2>"$ERR"
rc=$?
set -e
[ "$rc" -eq 4 ] || fail "plain http to another host exited $rc, not 4"
grep -q "refusing plain http://" "$ERR" || fail "no plain-http refusal message"

stop_hub

CASE="X-Forwarded-For is trusted from --trusted-proxy only"
: >"$WORK/hub.log"
start_hub --trusted-proxy 127.0.0.1
curl -sS -o /dev/null -H "X-Forwarded-For: 6.6.6.6, 10.1.2.3" "$URL/v1/health" ||
  fail "health failed"
wait_until 10 grep -q "GET /v1/health 200 .* 10.1.2.3 -$" "$WORK/hub.log"
stop_hub
: >"$WORK/hub.log"
start_hub
curl -sS -o /dev/null -H "X-Forwarded-For: 10.9.9.9" "$URL/v1/health" ||
  fail "health failed"
wait_until 10 grep -q "GET /v1/health 200 .* 127.0.0.1 -$" "$WORK/hub.log"
grep -q "10.9.9.9" "$WORK/hub.log" && fail "an untrusted peer's header was used"
expect_hub_fail 2 serve --listen 127.0.0.1:0 --trusted-proxy 127.0.0.1,nope
stop_hub

CASE="through nginx"
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "nginx is not installed: the reverse-proxy case is skipped"
  echo "ok"
  exit 0
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
start_hub --trusted-proxy 127.0.0.1
HUB_PORT=${URL##*:}
NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/nginx"
user_line=
[ "$(id -u)" -ne 0 ] || user_line="user root;"
cat >"$WORK/nginx/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$NPORT ssl;
    server_name localhost;
    ssl_certificate $C/good.crt;
    ssl_certificate_key $C/good.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    client_max_body_size 17m;
    proxy_read_timeout 90s;
    proxy_request_buffering off;
    proxy_buffering off;
    location / {
      proxy_pass http://127.0.0.1:$HUB_PORT;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$remote_addr;
    }
  }
}
CONF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>"$WORK/nginx.log" ||
  { cat "$WORK/nginx.log" >&2; fail "nginx did not start"; }
wait_until 10 test -s "$WORK/nginx/nginx.pid"
NGINX_PID=$(cat "$WORK/nginx/nginx.pid")
trap 'kill -TERM "$NGINX_PID" 2>/dev/null || true; sync_cleanup' EXIT
dev d1 put notes via-nginx '{"text":"proxied"}' >/dev/null || fail "put failed"
dev d1 sync --once --server "https://localhost:$NPORT" >"$OUT" 2>"$ERR" ||
  fail "sync through nginx failed"
dev d2 sync --once --server "https://localhost:$NPORT" >"$OUT" 2>"$ERR" ||
  fail "sync through nginx failed"
expect_converged d1 d2
grep -q via-nginx "$WORK/hub.export" || fail "the record did not reach the hub"
# A client cannot choose its logged address through the proxy.
: >"$WORK/hub.log"
curl -sS -o /dev/null --cacert "$C/office.crt" -H "X-Forwarded-For: 6.6.6.6" \
  "https://localhost:$NPORT/v1/health" || fail "health through nginx failed"
wait_until 10 grep -q "GET /v1/health 200 .* 127.0.0.1 -$" "$WORK/hub.log"
grep -q "6.6.6.6" "$WORK/hub.log" && fail "a client-chosen address was logged"
kill -TERM "$NGINX_PID"
stop_hub
echo "ok"
