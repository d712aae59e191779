#!/bin/sh
# Runs the vault keyring conformance tests against a real freedesktop Secret
# Service (gnome-keyring) on a private D-Bus session bus.
#
# Usage (CI, Debian/Ubuntu, as root or with sudo available):
#     .ci/secret-service.sh
# Set SKIP_APT=1 when gnome-keyring and dbus are already installed.
#
# AWSMFA_TEST_SECRET_SERVICE=1 makes the test fail, rather than skip, when the
# keyring backend is not usable, so a broken setup here cannot pass silently.
set -eu

cd "$(dirname "$0")/.."

if [ "${SKIP_APT:-0}" != 1 ]; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	# gnome-keyring provides gnome-keyring-daemon (the Secret Service);
	# dbus provides dbus-daemon and dbus-run-session.
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends gnome-keyring dbus >/dev/null
fi

# A throwaway home keeps the test keyring away from any real one.
tmp_home=$(mktemp -d)
trap 'rm -rf "$tmp_home"' EXIT

export AWSMFA_TEST_SECRET_SERVICE=1
HOME="$tmp_home" XDG_DATA_HOME="$tmp_home/.local/share" XDG_RUNTIME_DIR="$tmp_home/run" \
GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" GOPATH="$(go env GOPATH)" \
	dbus-run-session -- sh -c '
		set -eu
		mkdir -p -m 0700 "$XDG_RUNTIME_DIR"
		# The password on stdin creates and unlocks a login keyring in the
		# throwaway home. It must not be empty: an empty one leaves the
		# collection locked ("failed to unlock correct collection").
		printf "ci-throwaway" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
		go test -race -count=1 -run "TestConformance/^keyring\$" -v ./internal/vault/
	'
