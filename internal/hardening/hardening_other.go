//go:build !linux

package hardening

// NoDump does nothing outside Linux, where prctl(PR_SET_DUMPABLE) has no
// direct equivalent.
func NoDump() error { return nil }

// Dumpable reports true: nothing here changes it.
func Dumpable() (bool, error) { return true, nil }
