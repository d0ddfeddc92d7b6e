// Package trust decides whether an environment file may be believed: it holds
// the formats and rules of signed environments (team.sig's admin log and
// signed roster, pins, the local trust state, environment signatures) and
// the verification algorithm over them.
//
// It exists because age authenticates nothing about a writer: anyone holding
// the recipients' public keys can write a file every member decrypts without
// complaint, and anyone who can push can edit team.yaml. Signatures from
// writers, judged against a roster signed by admins and anchored in a pin kept
// outside the repository, close that gap.
//
// The package is pure: it reads no files, runs no git, asks nothing, and keeps
// no state between calls. Callers hand it bytes, a pin and a state, and store
// the state it returns (under their own lock), so the rules can be tested
// without a disk and attacks mounted here as plain values.
package trust
