#!/usr/bin/env bash
# make-certs.sh - an office CA and a hub certificate for a first install.
#
#   deploy/make-certs.sh DIR HOSTNAME [IP]
#
# Makes, in DIR (created 0700):
#   office-ca.crt   the office CA: give it to every device
#                   (sambang init --server https://HOSTNAME:8443 --ca-file office-ca.crt)
#   office-ca.key   its key: keep it OFFLINE (a USB stick in the office safe);
#                   anyone holding it can impersonate the hub
#   hub.crt         the hub's certificate (leaf, then the CA), for 397 days,
#                   for HOSTNAME (and IP if given)
#   hub.key         its key (0600): sambang-hub serve --tls-cert hub.crt --tls-key hub.key
#   hub.pin         the hub key's pin (sambang init --pin "$(cat hub.pin)")
#
# Renewal: run it again with the CA kept (it reuses office-ca.* when
# present), copy hub.crt/hub.key in place and send the hub SIGHUP
# (systemctl reload sambang-hub). A renewed hub key changes hub.pin: devices
# pinned to the old key must be given the new pin first (or pin both:
# --pin "sha256//OLD;sha256//NEW").
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,21p' "$0" >&2; exit 2; }
dir=$1 host=$2 ip=${3:-}
umask 077
mkdir -p "$dir"
cd "$dir"

if [ ! -e office-ca.key ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout office-ca.key -out office-ca.crt -days 3650 \
    -subj "/CN=sambang office CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  chmod 644 office-ca.crt
  echo "made the office CA: $dir/office-ca.crt (key: keep office-ca.key offline)"
fi

san="DNS:$host"
[ -z "$ip" ] || san="$san,IP:$ip"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout hub.key -out hub.csr -subj "/CN=$host" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
  "$san" >hub.ext
openssl x509 -req -in hub.csr -CA office-ca.crt -CAkey office-ca.key \
  -CAcreateserial -days 397 -extfile hub.ext -out hub.leaf 2>/dev/null
cat hub.leaf office-ca.crt >hub.crt
rm -f hub.csr hub.ext hub.leaf
chmod 600 hub.key
chmod 644 hub.crt
printf 'sha256//%s\n' "$(openssl pkey -in hub.key -pubout -outform der |
  openssl dgst -sha256 -binary | base64)" >hub.pin
echo "made $dir/hub.crt and $dir/hub.key for $san (pin: $(cat hub.pin))"
