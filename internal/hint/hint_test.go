package hint

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestAllCollectsHintsAlongTheChain(t *testing.T) {
	base := errors.New("no identity")
	inner := With(base, "run envsafe identity new")
	outer := With(fmt.Errorf("decrypting production: %w", inner), "or set ENVSAFE_IDENTITY")
	got := All(outer)
	want := []string{"or set ENVSAFE_IDENTITY", "run envsafe identity new"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("All() = %q, want %q", got, want)
	}
	if !errors.Is(outer, base) {
		t.Fatal("wrapping with a hint must keep errors.Is working")
	}
	if outer.Error() != "decrypting production: no identity" {
		t.Fatalf("hint text leaked into the message: %q", outer.Error())
	}
}

func TestAllFollowsJoinedErrorsAndDropsRepeats(t *testing.T) {
	a := With(errors.New("a"), "same advice")
	b := With(errors.New("b"), "same advice")
	c := With(errors.New("c"), "other advice")
	got := All(errors.Join(a, b, c))
	want := []string{"same advice", "other advice"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("All() = %q, want %q", got, want)
	}
}

func TestWithNilStaysNil(t *testing.T) {
	if With(nil, "x") != nil {
		t.Fatal("With(nil) must return nil")
	}
}
