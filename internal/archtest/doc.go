// Package archtest holds no code: its test keeps the dependency rules of
// STYLE.md true — each third-party module is imported by exactly one of our
// packages, domain packages never import the CLI layer, and main stays thin.
package archtest
