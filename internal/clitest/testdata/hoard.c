// hoard takes as much host memory as one kind of request lets it, then
// says "full" and waits for its standard input to end, so that a test
// can look at the process at its largest:
//
//	fds PATH       open PATH again and again
//	dirs PATH N    open the directory PATH N times, reading an entry of
//	               each (which lists the whole directory)
//	fill PATH      write to PATH, a megabyte at a time
//
// Each prints how far it got and why it stopped.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void wait_for_end(void) {
	printf("full\n");
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof buf) > 0)
		;
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: hoard fds|dirs|fill PATH [N]\n");
		return 2;
	}
	const char *mode = argv[1], *path = argv[2];
	long n = 0;
	if (strcmp(mode, "fds") == 0) {
		while (open(path, O_RDONLY) >= 0)
			n++;
	} else if (strcmp(mode, "dirs") == 0) {
		long max = argc > 3 ? atol(argv[3]) : 0;
		while (n < max) {
			DIR *d = opendir(path);
			if (d == NULL || readdir(d) == NULL)
				break;
			n++;
		}
	} else if (strcmp(mode, "fill") == 0) {
		static char chunk[1 << 20];
		memset(chunk, 'x', sizeof chunk);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		while (fd >= 0 && write(fd, chunk, sizeof chunk) == (ssize_t)sizeof chunk)
			n++;
	} else {
		fprintf(stderr, "hoard: unknown mode %s\n", mode);
		return 2;
	}
	fprintf(stderr, "hoard %s: %ld, then %s\n", mode, n, strerror(errno));
	wait_for_end();
	return 0;
}
