#!/bin/bash
# HEALTHCHECK of the image: GET /healthz on the public listener and expect 200.
# Uses bash's /dev/tcp so that the image needs no curl. The port is
# PARLEY_LISTEN_PORT (default 8080); set PARLEY_HEALTHCHECK_PORT when a mounted
# config file moves the listener elsewhere. Plain HTTP only: with tls.* set in
# the container, replace this check (or terminate TLS in front of parleyd).
set -uo pipefail

port=${PARLEY_HEALTHCHECK_PORT:-${PARLEY_LISTEN_PORT:-8080}}

exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
# The status line, e.g. "HTTP/1.1 200 OK"; a read timeout keeps a stuck
# listener from hanging the check.
IFS= read -r -t 5 status_line <&3 || exit 1
[[ "$status_line" == "HTTP/1."?" 200"* ]]
