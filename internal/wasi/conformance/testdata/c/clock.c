// Clocks and sleeping.
#include <stdio.h>
#include <time.h>

int main(void) {
	struct timespec a, b, res;
	clock_getres(CLOCK_MONOTONIC, &res);
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec d = {0, 20 * 1000 * 1000};
	nanosleep(&d, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	printf("slept at least 20ms: %d\n", ns >= 20000000LL);
	printf("resolution positive: %d\n", res.tv_sec > 0 || res.tv_nsec > 0);
	printf("realtime after 2020: %d\n", time(NULL) > 1577836800);
	struct timespec cpu;
	printf("cpu clock works: %d\n", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0);
	return 0;
}
