package fs

// shrinkMin is the most entries a directory's map held below which it
// is never rebuilt: small maps hold little.
const shrinkMin = 64

// DeleteEntry deletes name from *m, a directory's entries, and rebuilds
// the map once it holds less than a quarter of the most it held (*peak,
// which it keeps up to date). Go's maps keep the memory of deleted
// entries, so a guest that fills directory after directory to a limit
// and empties each would otherwise hold host memory that no limit
// charges.
func DeleteEntry[V any](m *map[string]V, peak *int, name string) {
	if n := len(*m); n > *peak {
		*peak = n
	}
	delete(*m, name)
	if *peak < shrinkMin || len(*m) >= *peak/4 {
		return
	}
	// Not maps.Clone, which keeps the capacity.
	c := make(map[string]V, len(*m))
	for k, v := range *m {
		c[k] = v
	}
	*m, *peak = c, len(c)
}
