// Memory-heavy integer work: fill a buffer from a PRNG, then quicksort
// it and fold it with a hash. Exercises loads/stores of several widths,
// calls and data-dependent branches.
#define EXPORT(name) __attribute__((export_name(name)))
#define MAXN (1 << 18)

static unsigned buf[MAXN];

static void qsort_u32(unsigned *v, int lo, int hi) {
	while (lo < hi) {
		unsigned p = v[(lo + hi) / 2];
		int i = lo, j = hi;
		while (i <= j) {
			while (v[i] < p) i++;
			while (v[j] > p) j--;
			if (i <= j) {
				unsigned t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		}
		if (j - lo < hi - i) {
			qsort_u32(v, lo, j);
			lo = i;
		} else {
			qsort_u32(v, i, hi);
			hi = j;
		}
	}
}

EXPORT("memloop") unsigned memloop(int n) {
	if (n > MAXN) n = MAXN;
	unsigned x = 2463534242u;
	for (int i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x;
	}
	qsort_u32(buf, 0, n - 1);
	unsigned h = 2166136261u;
	const unsigned char *p = (const unsigned char *)buf;
	for (int i = 0; i < n * 4; i++) h = (h ^ p[i]) * 16777619u;
	return h;
}
