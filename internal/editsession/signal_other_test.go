//go:build !unix

package editsession

// signalParent does nothing where signals cannot be sent; the tests that
// need it are Unix-only.
func signalParent(string) {}
