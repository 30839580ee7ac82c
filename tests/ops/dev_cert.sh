#!/usr/bin/env bash
# Checks scripts/dev-cert: the certificate it makes is accepted for a TLS
# server at localhost, 127.0.0.1, ::1 and the extra names given (and for no
# other name), its key belongs to it and is private, and the script prints the
# configuration keys to set.
#
#   tests/ops/dev_cert.sh [path/to/scripts/dev-cert]
# Exit 0: pass, 1: fail, 77: skipped (no openssl).
set -euo pipefail

dev_cert=${1:-$(dirname "$0")/../../scripts/dev-cert}
if ! command -v openssl >/dev/null; then
  echo "SKIP: openssl is not installed"
  exit 77
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/parley-dev-cert.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
failed=0
check() {
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    echo "ok: $what"
  else
    echo "FAIL: $what"
    failed=1
  fi
}

output=$("$dev_cert" --out "$workdir/certs" 192.168.10.20 parley.lan)
cert=$workdir/certs/cert.pem
key=$workdir/certs/key.pem

check "certificate and key written" test -s "$cert" -a -s "$key"
check "key readable by its owner only" test "$(stat -c %a "$key")" = 600
for host in localhost parley.lan; do
  check "valid for host $host" openssl verify -CAfile "$cert" -purpose sslserver -verify_hostname "$host" "$cert"
done
for ip in 127.0.0.1 ::1 192.168.10.20; do
  check "valid for address $ip" openssl verify -CAfile "$cert" -purpose sslserver -verify_ip "$ip" "$cert"
done
check "not valid for another host" bash -c "! openssl verify -CAfile '$cert' -verify_hostname example.com '$cert'"
check "key matches certificate" test "$(openssl x509 -in "$cert" -noout -pubkey)" = "$(openssl pkey -in "$key" -pubout)"
check "prints tls.cert and tls.key" grep -q "\"cert\": \"$cert\", \"key\": \"$key\"" <<<"$output"
check "prints PARLEY_TLS_CERT and PARLEY_TLS_KEY" grep -q "PARLEY_TLS_CERT=$cert PARLEY_TLS_KEY=$key" <<<"$output"
check "refuses to overwrite without --force" bash -c "! '$dev_cert' --out '$workdir/certs'"
check "overwrites with --force" "$dev_cert" --out "$workdir/certs" --force
check "refuses a malformed name" bash -c "! '$dev_cert' --out '$workdir/other' 'bad name'"

exit "$failed"
