#!/bin/bash
# HEALTHCHECK of the image: GET /healthz on the public listener and expect 200.
# With an argument, that path instead: `parley-healthcheck /readyz` tells whether a
# cluster node accepts sessions (a rolling restart waits for it).
# Uses bash's /dev/tcp so that the image needs no curl. The port is
# PARLEY_LISTEN_PORT (default 8080); set PARLEY_HEALTHCHECK_PORT when a mounted
# config file moves the listener elsewhere. Plain HTTP only: with tls.* set in
# the container, replace this check (or terminate TLS in front of parleyd).
set -uo pipefail

port=${PARLEY_HEALTHCHECK_PORT:-${PARLEY_LISTEN_PORT:-8080}}
path=${1:-/healthz}

if ! { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
  echo "nothing listens on 127.0.0.1:$port"
  exit 1
fi
printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&3
# The status line, e.g. "HTTP/1.1 200 OK"; a read timeout keeps a stuck
# listener from hanging the check.
if ! IFS= read -r -t 5 status_line <&3; then
  echo "no answer from 127.0.0.1:$port$path"
  exit 1
fi
if [[ "$status_line" != "HTTP/1."?" 200"* ]]; then
  echo "$path answered: ${status_line%$'\r'}"
  exit 1
fi
