//go:build !unix

package store

import "io/fs"

func unsafeReason(fs.FileInfo) string { return "" }
