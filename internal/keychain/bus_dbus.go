//go:build linux || freebsd || openbsd || netbsd || dragonfly

package keychain

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// busReachable refuses before go-keyring is called when the D-Bus library
// would otherwise find no session bus and run dbus-launch, leaving a stray
// bus daemon behind. It accepts exactly what the library looks for before
// that: DBUS_SESSION_BUS_ADDRESS, or the per-user bus in /run/user/UID.
func busReachable() error {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		if addr == "autolaunch:" {
			return errors.New("DBUS_SESSION_BUS_ADDRESS asks for autolaunch, which envsafe does not do")
		}
		return nil
	}
	runtimeDir := filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	if _, err := os.Stat(filepath.Join(runtimeDir, "bus")); err == nil {
		return nil
	}
	if data, err := os.ReadFile(filepath.Join(runtimeDir, "dbus-session")); err == nil &&
		strings.TrimSpace(strings.TrimPrefix(string(data), "DBUS_SESSION_BUS_ADDRESS=")) != "" &&
		strings.HasPrefix(string(data), "DBUS_SESSION_BUS_ADDRESS=") {
		return nil
	}
	return errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
}
