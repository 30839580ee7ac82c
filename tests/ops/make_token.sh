#!/usr/bin/env bash
# Checks scripts/make-token: the positional usage (SECRET ROOM [TTL]) still
# prints a correctly signed token with `room` and `exp`; the grant options put
# `meta`, `max_peers` and `relay` claims into it; and every claim the server
# would refuse (integration-v1 "Token grants") is refused here, with exit 2.
#
#   tests/ops/make_token.sh [path/to/scripts/make-token]
# Exit 0: pass, 1: fail, 77: skipped (no openssl or node).
set -euo pipefail

make_token=${1:-$(dirname "$0")/../../scripts/make-token}
for tool in openssl node; do
  if ! command -v $tool >/dev/null; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done

failed=0
pass() { echo "ok: $1"; }
fail() {
  echo "FAIL: $1"
  failed=1
}

# Decodes the payload of a token and checks it (and the signature) with node.
# $1: token, $2: secret, $3: a JavaScript expression over `p` that must be true.
payload_ok() {
  node -e '
    const crypto = require("crypto");
    const [token, secret, expr] = process.argv.slice(1);
    const [h, p, s] = token.split(".");
    const mac = crypto.createHmac("sha256", secret).update(h + "." + p).digest("base64url");
    if (mac !== s) { console.error("bad signature"); process.exit(1); }
    const header = JSON.parse(Buffer.from(h, "base64url"));
    if (header.alg !== "HS256") process.exit(1);
    const payload = JSON.parse(Buffer.from(p, "base64url"));
    const ok = new Function("p", "now", "return (" + expr + ");")(payload, Math.floor(Date.now() / 1000));
    if (!ok) { console.error(JSON.stringify(payload)); process.exit(1); }
  ' "$1" "$2" "$3"
}

expect_token() { # description, expression, make-token arguments...
  local what=$1 expr=$2
  shift 2
  local token
  if ! token=$("$make_token" "$@" 2>/dev/null); then
    fail "$what (make-token failed)"
    return
  fi
  if payload_ok "$token" "${secret_of_case}" "$expr"; then pass "$what"; else fail "$what"; fi
}

expect_refusal() { # description, make-token arguments...
  local what=$1
  shift
  local status=0
  "$make_token" "$@" >/dev/null 2>&1 || status=$?
  if [[ $status -eq 2 ]]; then pass "$what"; else fail "$what (exit $status, want 2)"; fi
}

secret_of_case=s3cret
expect_token "positional: room and exp (1 hour)" \
  'p.room === "demo" && p.exp > now + 3500 && p.exp <= now + 3601 && Object.keys(p).length === 2' \
  s3cret demo
expect_token "positional: TTL" 'p.exp <= now + 61 && p.exp > now + 50' s3cret demo 60
expect_token "room with quotes and backslash" 'p.room === "a\"b\\c"' s3cret 'a"b\c'
expect_token "every grant" \
  'p.room === "*" && p.max_peers === 8 && JSON.stringify(p.relay) === "[\"answer\",\"candidate\"]" && p.meta.name === "Ada" && p.meta.tags[0] === 1' \
  --meta '{"name": "Ada", "tags": [1]}' --max-peers 8 --relay answer,candidate s3cret '*'
expect_token "options after the positionals, --opt=value form" \
  'p.max_peers === 1000 && p.relay.length === 4' \
  s3cret demo 60 --max-peers=1000 --relay=offer,answer,candidate,message
expect_token "meta exactly at the limit" 'JSON.stringify(p.meta).length === 20' \
  --max-meta-bytes 20 --meta '{"n":"0123456789ab"}' s3cret demo
expect_token "meta measured in UTF-8 bytes" 'p.meta.n === "é"' \
  --max-meta-bytes 10 --meta '{"n":"é"}' s3cret demo

expect_refusal "no arguments"
expect_refusal "one positional" s3cret
expect_refusal "four positionals" s3cret demo 60 extra
expect_refusal "empty secret" '' demo
expect_refusal "bad TTL" s3cret demo 1h
expect_refusal "unknown option" --colour s3cret demo
expect_refusal "max-peers 0" --max-peers 0 s3cret demo
expect_refusal "max-peers 1001" --max-peers 1001 s3cret demo
expect_refusal "max-peers not a number" --max-peers 2.5 s3cret demo
expect_refusal "relay with an unknown type" --relay offer,join s3cret demo
expect_refusal "relay with an empty type" --relay offer,,answer s3cret demo
expect_refusal "meta not JSON" --meta '{name:1}' s3cret demo
expect_refusal "meta an array" --meta '[1]' s3cret demo
expect_refusal "meta null" --meta 'null' s3cret demo
expect_refusal "meta over the limit" --max-meta-bytes 20 --meta '{"n":"0123456789abc"}' s3cret demo
expect_refusal "meta over the limit in UTF-8 bytes" --max-meta-bytes 9 --meta '{"n":"é"}' s3cret demo

exit $failed
