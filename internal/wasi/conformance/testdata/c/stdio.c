// Formatted output, stderr, and an empty standard input.
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
	printf("argc=%d", argc);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\n%5.2f|%-6s|%08x|%lld\n", 3.14159, "ab", 0xbeef, -1234567890123LL);
	fputs("to stderr\n", stderr);
	char line[64];
	if (fgets(line, sizeof line, stdin) == NULL)
		puts("stdin: eof");
	for (int i = 0; i < 3; i++)
		printf("line %d\n", i);
	return 0;
}
