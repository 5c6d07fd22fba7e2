// diskbench times file-system work from inside the guest, so that the
// figures leave out compiling and starting the program:
//
//   diskbench BIGFILE DIR N
//
// reads BIGFILE from start to end in 1 MiB reads ("read"), stats
// DIR/f0000 ... DIR/f(N-1) twice ("stat" on a fresh mount, "stat-again"
// with every cache warm), and opens, reads and closes each of them
// ("open"). It prints one line per phase: its name, nanoseconds and the
// bytes or files it handled.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static char buf[1 << 20];

static char **paths;

static void stat_all(const char *name, int n) {
	struct stat st;
	long long t = now();
	for (int i = 0; i < n; i++) {
		if (lstat(paths[i], &st) < 0) {
			perror(paths[i]);
			exit(1);
		}
	}
	printf("%s %lld %d\n", name, now() - t, n);
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: diskbench BIGFILE DIR N\n");
		return 2;
	}
	const char *big = argv[1], *dir = argv[2];
	int n = atoi(argv[3]);
	// The names are made before the clock starts: formatting them in
	// the interpreter would cost more than the system calls measured.
	paths = malloc(n * sizeof *paths);
	for (int i = 0; i < n; i++) {
		paths[i] = malloc(256);
		snprintf(paths[i], 256, "%s/f%04d", dir, i);
	}

	long long t = now(), total = 0;
	int fd = open(big, O_RDONLY);
	if (fd < 0) {
		perror(big);
		return 1;
	}
	ssize_t k;
	while ((k = read(fd, buf, sizeof buf)) > 0)
		total += k;
	if (k < 0) {
		perror(big);
		return 1;
	}
	close(fd);
	printf("read %lld %lld\n", now() - t, total);

	stat_all("stat", n);
	stat_all("stat-again", n);

	t = now();
	for (int i = 0; i < n; i++) {
		int fd = open(paths[i], O_RDONLY);
		if (fd < 0 || read(fd, buf, 4096) < 0) {
			perror(paths[i]);
			return 1;
		}
		close(fd);
	}
	printf("open %lld %d\n", now() - t, n);
	return 0;
}
