package config

import (
	"reflect"
	"testing"
	"time"
)

// A duration set from the environment takes the same units as the file.
func TestSetScalarDuration(t *testing.T) {
	var d time.Duration
	if err := setScalar(reflect.ValueOf(&d).Elem(), "2w"); err != nil || d != 336*time.Hour {
		t.Fatalf("2w: %s %v", d, err)
	}
	if err := setScalar(reflect.ValueOf(&d).Elem(), "soon"); err == nil || err.Error() != `invalid duration "soon" (want a number and a unit: s, m, h, d or w, e.g. 90m, 36h, 14d, 2w)` {
		t.Fatalf("soon: %v", err)
	}
}
