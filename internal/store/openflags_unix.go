//go:build unix

package store

import "syscall"

// noFollow makes opening the lock file fail on a symbolic link, so a
// planted .lock link cannot make envsafe create or touch its target.
const noFollow = syscall.O_NOFOLLOW

// nonBlocking makes opening a FIFO return at once instead of waiting for a
// writer; the file is then refused for not being a regular file.
const nonBlocking = syscall.O_NONBLOCK
