// Sieve of Eratosthenes over a byte array: loads, stores and branches.
#define EXPORT(name) __attribute__((export_name(name)))

static unsigned char composite[1 << 22];

EXPORT("sieve") unsigned sieve(unsigned n) {
	if (n > sizeof composite) n = sizeof composite;
	for (unsigned i = 0; i < n; i++) composite[i] = 0;
	unsigned count = 0;
	for (unsigned i = 2; i < n; i++) {
		if (composite[i]) continue;
		count++;
		for (unsigned j = i * 2; j < n; j += i) composite[j] = 1;
	}
	return count;
}
