package runner

// LoadsCode reports whether a variable of this name changes which code a
// program, its interpreter or its tools load, or where they send traffic:
// set by a secrets file, it deserves a warning wherever it appears (run,
// merges of unrelated files).
func LoadsCode(name string) bool { return isRisky(name) }
