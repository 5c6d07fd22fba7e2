// The math library.
#include <math.h>
#include <stdio.h>

int main(void) {
	printf("%.6f %.6f %.6f\n", sin(1.0), cos(1.0), tan(0.5));
	printf("%.6f %.6f %.6f\n", exp(2.0), log(10.0), pow(2.0, 0.5));
	printf("%.6f %.6f %ld\n", sqrt(2.0), fmod(10.5, 3.0), lround(2.5));
	printf("%.6f %.6f\n", atan2(1.0, 2.0), hypot(3.0, 4.0));
	printf("%d %d\n", isnan(NAN), isinf(-INFINITY));
	return 0;
}
