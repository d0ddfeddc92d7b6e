//go:build linux

package hardening

import "golang.org/x/sys/unix"

// NoDump marks the process non-dumpable. It is best effort: a failure leaves
// the process as it was, which is how every other tool runs, so it is not
// worth refusing to work over; the error is returned for tests.
func NoDump() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}

// Dumpable reports the process's dumpable flag (PR_GET_DUMPABLE).
func Dumpable() (bool, error) {
	v, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	return v != 0, err
}
