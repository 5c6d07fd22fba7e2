// wagi is the WAGI handler of the daemon's tests: it answers with the
// CGI variables, arguments and body it got, and with the status that
// the query's "status=N" asks for.
//
// Built with: clang-16 --target=wasm32-wasi --sysroot=/usr -Oz -Wl,--strip-all -o wagi.wasm wagi.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
	const char *q = getenv("QUERY_STRING");
	const char *s = q ? strstr(q, "status=") : NULL;
	if (s) {
		printf("Status: %d Chosen\n", atoi(s + 7));
	}
	printf("Content-Type: text/plain\nX-Handler: wagi\n\n");
	for (int i = 0; i < argc; i++) {
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
	fprintf(stderr, "handled %s\n", getenv("PATH_INFO"));
	return 0;
}
