//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package vault

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// keyringUsable: go-keyring talks to the freedesktop Secret Service over the
// D-Bus session bus on these systems (the build constraint mirrors
// go-keyring's own).
func keyringUsable(ctx context.Context, getenv func(string) string, timeout time.Duration) error {
	return secretServiceUsable(ctx, getenv, timeout)
}

// secretServiceUsable reports (as nil) whether the D-Bus session bus that the
// Secret Service keyring would use can be reached, without ever starting one.
//
// The D-Bus library go-keyring uses reads DBUS_SESSION_BUS_ADDRESS from the
// process environment and, when it is unset or "autolaunch:", may run
// dbus-launch, which leaves a stray bus daemon behind and can hang without a
// display. So the keyring counts as unusable unless the variable is set, both
// in getenv and in the process environment (which the library reads), to the
// same value, and one of its addresses accepts a connection. unix:path= and
// unix:abstract= addresses are dialled; other transports (tcp, launchd, ...)
// are trusted as given, the per-call timeout covering the case where they are
// dead.
func secretServiceUsable(ctx context.Context, getenv func(string) string, timeout time.Duration) error {
	addr := getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		return fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set, so there is no D-Bus session bus "+
			"for the Secret Service", ErrBackendUnavailable)
	}
	if addr == "autolaunch:" {
		return fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS asks for an autolaunched bus, which awsmfa does not start",
			ErrBackendUnavailable)
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != addr {
		return fmt.Errorf("%w: the D-Bus library reads DBUS_SESSION_BUS_ADDRESS from the process environment, "+
			"which differs from the value given", ErrBackendUnavailable)
	}
	dialer := net.Dialer{Timeout: timeout}
	var errs []error
	for _, a := range strings.Split(addr, ";") {
		network, target, ok := dialTarget(a)
		if !ok {
			return nil
		}
		c, err := dialer.DialContext(ctx, network, target)
		if err == nil {
			c.Close()
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("%w: cannot connect to the D-Bus session bus in DBUS_SESSION_BUS_ADDRESS: %w",
		ErrBackendUnavailable, errors.Join(errs...))
}

// dialTarget maps one D-Bus address ("unix:path=/run/user/1000/bus",
// "unix:abstract=/tmp/dbus-x,guid=...") to what net.Dial takes. ok is false
// for transports that are not checked.
func dialTarget(addr string) (network, target string, ok bool) {
	transport, params, found := strings.Cut(addr, ":")
	if !found || transport != "unix" {
		return "", "", false
	}
	for _, kv := range strings.Split(params, ",") {
		key, value, _ := strings.Cut(kv, "=")
		v, err := url.PathUnescape(value) // D-Bus escapes bytes as %XX
		if err != nil {
			v = value
		}
		switch key {
		case "path":
			return "unix", v, true
		case "abstract":
			return "unix", "@" + v, true
		}
	}
	return "", "", false
}
