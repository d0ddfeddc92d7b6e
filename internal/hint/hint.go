// Package hint attaches next-step advice to errors. The CLI prints each hint
// found along an error's chain as an "envsafe: hint:" line, so the place that
// knows the cause is the place that says what to do about it.
package hint

import "errors"

// Error carries an error and the advice that goes with it.
type Error struct {
	Err  error
	Hint string
}

func (e *Error) Error() string { return e.Err.Error() }

// Unwrap exposes the wrapped error to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// With wraps err with advice; a nil err stays nil so call sites stay short.
func With(err error, advice string) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Hint: advice}
}

// All returns every hint on err's chain, outermost first, without repeats.
func All(err error) []string {
	var hints []string
	seen := map[string]bool{}
	var walk func(error)
	walk = func(e error) {
		for e != nil {
			if h, ok := e.(*Error); ok && h.Hint != "" && !seen[h.Hint] {
				seen[h.Hint] = true
				hints = append(hints, h.Hint)
			}
			if multi, ok := e.(interface{ Unwrap() []error }); ok {
				for _, inner := range multi.Unwrap() {
					walk(inner)
				}
				return
			}
			e = errors.Unwrap(e)
		}
	}
	walk(err)
	return hints
}
