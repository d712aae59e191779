#!/usr/bin/env bash
# Installs the system packages the tests use. Idempotent; needs root (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v dbus-run-session >/dev/null || need+=(dbus)
# The README walk-through (internal/docs) is typed into tmux and uses curl;
# the completion spec also runs with Debian's bash-completion loaded.
command -v tmux >/dev/null || need+=(tmux)
command -v curl >/dev/null || need+=(curl)
[ -f /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
# The AWS CLI v2 for internal/compat; it installs /usr/bin/aws, which is not
# first on PATH where pyenv's CLI v1 is, so the tests call it by that path.
[ -x /usr/bin/aws ] || need+=(awscli)
# node and npm for the JS SDK v3 compatibility tests (the SDK needs node >= 20).
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The JS SDK v3 at the versions pinned in internal/compat/js/package-lock.json.
# The AWS CLI v1, boto3 and moto_server come with the machine image (pyenv);
# with CI=true, internal/compat fails if any of them is missing.
npm ci --prefix internal/compat/js --no-audit --no-fund --loglevel=error
