package fs

import (
	"reflect"
	"strconv"
	"testing"
)

func TestDeleteEntry(t *testing.T) {
	for _, tc := range []struct {
		name              string
		fill, remove      int
		wantRebuilt       bool
		wantPeakAfterward int
	}{
		{"small maps are left alone", 40, 39, false, 40},
		{"a quarter left keeps the map", 1000, 750, false, 1000},
		{"less than a quarter rebuilds it", 1000, 751, true, 249},
		{"emptied", 1000, 1000, true, 61}, // rebuilt at 249 and 61 entries
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]int{}
			for i := range tc.fill {
				m[strconv.Itoa(i)] = i
			}
			peak, rebuilt := 0, false
			for i := range tc.remove {
				before := reflect.ValueOf(m).UnsafePointer()
				DeleteEntry(&m, &peak, strconv.Itoa(i))
				if reflect.ValueOf(m).UnsafePointer() != before {
					rebuilt = true
				}
			}
			if rebuilt != tc.wantRebuilt || peak != tc.wantPeakAfterward {
				t.Errorf("rebuilt %v, peak %d; want %v, %d", rebuilt, peak, tc.wantRebuilt, tc.wantPeakAfterward)
			}
			if len(m) != tc.fill-tc.remove {
				t.Errorf("%d entries left, want %d", len(m), tc.fill-tc.remove)
			}
			for i := tc.remove; i < tc.fill; i++ {
				if m[strconv.Itoa(i)] != i {
					t.Fatalf("entry %d lost", i)
				}
			}
		})
	}
}
