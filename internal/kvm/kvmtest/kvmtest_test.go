package kvmtest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a test ended.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skip(args ...any)                  { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestSkip(t *testing.T) {
	tests := []struct {
		name string
		env  string
		fail bool
	}{
		{"skips by default", "", false},
		{"fails where KVM is required", "1", true},
		{"only 1 requires it", "0", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(RequireEnv, tc.env)
			r := &recorder{TB: t}
			Skip(r, errors.New("open /dev/kvm: no such file or directory"))
			got := r.skipped
			if tc.fail {
				got = r.failed
			}
			if !strings.HasPrefix(got, SkipPrefix+"open /dev/kvm") || (r.skipped != "" && r.failed != "") {
				t.Errorf("skipped %q, failed %q; want a %s", r.skipped, r.failed, map[bool]string{false: "skip", true: "failure"}[tc.fail])
			}
		})
	}
}
