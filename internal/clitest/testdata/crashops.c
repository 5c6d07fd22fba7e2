// crashops runs a script of file-system operations, for a test that
// kills it part way. Its first argument is the number of the first
// operation to run; the rest are the whole script, one operation an
// argument, each a letter, a colon and its paths:
//
//	a:PATH       append the line "append N" (N the operation's number)
//	w:PATH       create the file, or truncate it (with no write, so that
//	             the operation is one system call, as the others are)
//	t:PATH       set the file's times (a copy-up without a change)
//	r:OLD:NEW    rename a file or directory
//	u:PATH       remove a file
//	m:PATH       create a directory
//	d:PATH       remove an empty directory
//
// Any failure ends the program with status 1 and a message naming the
// operation; it prints nothing otherwise.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fail(int n, const char *op) {
	fprintf(stderr, "operation %d (%s): %s\n", n, op, strerror(errno));
	exit(1);
}

static void append(int n, const char *op, const char *path) {
	char line[64];
	int fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0)
		fail(n, op);
	int len = snprintf(line, sizeof line, "append %d\n", n);
	if (write(fd, line, len) != len || close(fd) != 0)
		fail(n, op);
}

int main(int argc, char **argv) {
	if (argc < 2)
		return 2;
	for (int i = 2 + atoi(argv[1]); i < argc; i++) {
		int n = i - 2;
		char *op = argv[i], *a = op + 2, *b = strchr(a, ':');
		if (b != NULL)
			*b++ = 0;
		int ok = 0;
		switch (op[0]) {
		case 'a':
			append(n, op, a);
			ok = 1;
			break;
		case 'w': {
			int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			ok = fd >= 0 && close(fd) == 0;
			break;
		}
		case 't':
			ok = utimensat(AT_FDCWD, a, NULL, 0) == 0;
			break;
		case 'r':
			ok = b != NULL && rename(a, b) == 0;
			break;
		case 'u':
			ok = unlink(a) == 0;
			break;
		case 'm':
			ok = mkdir(a, 0755) == 0;
			break;
		case 'd':
			ok = rmdir(a) == 0;
			break;
		}
		if (!ok)
			fail(n, op);
	}
	return 0;
}
