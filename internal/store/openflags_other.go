//go:build !unix

package store

const (
	noFollow    = 0
	nonBlocking = 0
)
