// probe runs the commands its arguments spell, in order, and prints what
// each did, so that tests can see what a program may and may not do:
//
//	read PATH   print the file's first line (or why it cannot be read)
//	write PATH  create or truncate the file and write a line to it
//	mkdir PATH  create a directory
//	rm PATH     remove a file
//	env         print the environment
//	sleep N     sleep N seconds
//	exit N      exit with status N
//	abort       abort (a trap)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void report(const char *cmd, const char *path, int ok) {
	if (ok)
		printf("%s %s: ok\n", cmd, path);
	else
		printf("%s %s: %s\n", cmd, path, strerror(errno));
}

static void read_file(const char *path) {
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		report("read", path, 0);
		return;
	}
	char line[256] = "";
	if (fgets(line, sizeof line, f) != NULL)
		line[strcspn(line, "\n")] = 0;
	fclose(f);
	printf("read %s: ok %s\n", path, line);
}

static void write_file(const char *path) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	report("write", path, fd >= 0 && write(fd, "written\n", 8) == 8);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		const char *cmd = argv[i];
		if (strcmp(cmd, "env") == 0) {
			for (char **e = environ; *e != NULL; e++)
				printf("env %s\n", *e);
			continue;
		}
		if (strcmp(cmd, "abort") == 0)
			abort();
		if (i + 1 == argc) {
			fprintf(stderr, "probe: %s needs an argument\n", cmd);
			return 2;
		}
		const char *arg = argv[++i];
		if (strcmp(cmd, "read") == 0) {
			read_file(arg);
		} else if (strcmp(cmd, "write") == 0) {
			write_file(arg);
		} else if (strcmp(cmd, "mkdir") == 0) {
			report(cmd, arg, mkdir(arg, 0755) == 0);
		} else if (strcmp(cmd, "rm") == 0) {
			report(cmd, arg, unlink(arg) == 0);
		} else if (strcmp(cmd, "sleep") == 0) {
			sleep(atoi(arg));
			puts("slept");
		} else if (strcmp(cmd, "exit") == 0) {
			fflush(stdout);
			exit(atoi(arg));
		} else {
			fprintf(stderr, "probe: unknown command %s\n", cmd);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
