// tool is the command the daemon's tests run: argv[1] chooses what it
// does, so that one module covers exits, traps, timeouts and output.
//
// Built with: clang-16 --target=wasm32-wasi --sysroot=/usr -Oz -Wl,--strip-all -o tool.wasm tool.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "echo";
	if (!strcmp(mode, "exit")) {
		return argc > 2 ? atoi(argv[2]) : 0;
	}
	if (!strcmp(mode, "trap")) {
		__builtin_trap();
	}
	if (!strcmp(mode, "loop")) {
		for (volatile unsigned i = 0;; i++) {
		}
	}
	if (!strcmp(mode, "cat") && argc > 2) {
		// The file argv[2], on stdout.
		FILE *f = fopen(argv[2], "r");
		if (!f) {
			perror(argv[2]);
			return 2;
		}
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
			fwrite(buf, 1, n, stdout);
		}
		return 0;
	}
	if (!strcmp(mode, "spam")) {
		// argv[2] KiB on stdout, and on stderr.
		static char kib[1024];
		memset(kib, 'x', sizeof kib);
		int n = argc > 2 ? atoi(argv[2]) : 1;
		for (int i = 0; i < n; i++) {
			fwrite(kib, 1, sizeof kib, stdout);
			fwrite(kib, 1, sizeof kib, stderr);
		}
		return 0;
	}
	// echo: the arguments, the environment, then standard input.
	for (int i = 2; i < argc; i++) {
		printf("arg %s\n", argv[i]);
	}
	for (char **e = environ; *e; e++) {
		printf("env %s\n", *e);
	}
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
		fwrite(buf, 1, n, stdout);
	}
	fprintf(stderr, "echo done\n");
	return 0;
}
