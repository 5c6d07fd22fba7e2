// Dense f64 matrix multiply: floating-point arithmetic and array indexing.
#define EXPORT(name) __attribute__((export_name(name)))
#define N 128

static double a[N * N], b[N * N], c[N * N];

EXPORT("matmul") double matmul(int n) {
	if (n > N) n = N;
	for (int i = 0; i < n * n; i++) {
		a[i] = (double)(i % 7) * 0.5;
		b[i] = (double)(i % 5) + 0.25;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			double s = 0;
			for (int k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
			c[i * n + j] = s;
		}
	double t = 0;
	for (int i = 0; i < n * n; i++) t += c[i];
	return t;
}
