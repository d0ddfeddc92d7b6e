// Package hardening makes a running envsafe harder to read from outside
// while it holds decrypted secrets and keys. On Linux it marks the process
// non-dumpable: no core file is written if it crashes, and other processes of
// the same user can no longer read its memory or environment through /proc
// or attach a debugger (only root can). The kernel resets the flag on execve,
// so the program `envsafe run` becomes is an ordinary, dumpable process
// again. Elsewhere it does nothing.
//
// It is the only package that imports golang.org/x/sys.
package hardening
