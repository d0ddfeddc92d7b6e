package commands

// findingsError is the result of a command that looks for problems (scan,
// check) and found some: exit 1, reported as one summary line rather than
// as an error, since the findings themselves were the output.
type findingsError struct {
	summary string
}

func (e *findingsError) Error() string { return e.summary }
