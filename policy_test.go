package wasmvisor

import (
	"reflect"
	"testing"
)

// TestPolicy_validation checks that every limit, the features and the
// import patterns reach the validator, and come back unchanged.
func TestPolicy_validation(t *testing.T) {
	tests := []struct {
		name string
		p    *Policy
	}{
		{"zero", &Policy{}},
		{"default", DefaultPolicy()},
		{"everything set", &Policy{
			MaxMemoryPages: LimitOf(1), MaxTableElements: LimitOf(2), MaxFunctions: LimitOf(3), MaxGlobals: LimitOf(4),
			MaxTables: LimitOf(5), MaxMemories: LimitOf(0), MaxImports: LimitOf(7), MaxLocals: LimitOf(8),
			MaxFunctionSize: LimitOf(9), MaxModuleSize: LimitOf(10), MaxDataSegmentSize: LimitOf(11), MaxElemSegmentSize: LimitOf(12),
			Disabled: FeatureSIMD | FeatureMutableGlobals, AllowImports: []string{"a.*"}, DenyImports: []string{"b.c"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			back := policyOf(tt.p.validation())
			// nil and empty pattern lists are the same policy.
			if len(tt.p.AllowImports) == 0 {
				back.AllowImports = tt.p.AllowImports
			}
			if len(tt.p.DenyImports) == 0 {
				back.DenyImports = tt.p.DenyImports
			}
			if !reflect.DeepEqual(back, tt.p) {
				t.Fatalf("got  %+v\nwant %+v", back, tt.p)
			}
		})
	}
	if (*Policy)(nil).validation() != nil {
		t.Fatal("a nil Policy limits something")
	}
}
