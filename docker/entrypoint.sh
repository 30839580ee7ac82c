#!/bin/bash
# Container entrypoint: runs parleyd in place of this shell (exec), so that it
# is PID 1 and receives SIGTERM from `docker stop` / `podman stop` itself.
#
#   (no arguments)      parleyd, with /etc/parley/parley.json when one is mounted
#   --some-option ...   the same, with these options added (--check-config, --port 9000)
#   other command ...   that command instead (e.g. `bash` to look around)
#
# Neither --address nor --port is fixed here: PARLEY_LISTEN_PORT and the other
# PARLEY_* variables, or the mounted file, decide.
set -euo pipefail

config=${PARLEY_CONFIG_FILE:-/etc/parley/parley.json}

if (($# == 0)) || [[ "$1" == -* ]]; then
  args=()
  has_config=0
  for arg in "$@"; do
    [[ "$arg" == --config || "$arg" == --config=* ]] && has_config=1
  done
  if ((!has_config)) && [[ -f "$config" ]]; then
    args+=(--config "$config")
  fi
  exec parleyd "${args[@]}" "$@"
fi

exec "$@"
