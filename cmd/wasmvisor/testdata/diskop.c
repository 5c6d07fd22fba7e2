// diskop performs file operations given as arguments, in order, and
// prints one line for each: its result or the error it met. Tests use it
// to change a --disk file system and to look at it.
//
//   cat PATH             the contents
//   write PATH TEXT      create or truncate, then write
//   append PATH TEXT     append
//   rm PATH | rmdir PATH | mkdir PATH
//   mv OLD NEW | symlink TARGET PATH | link OLD NEW
//   readlink PATH        the target
//   ls PATH              the entries, sorted
//   ino PATH             the inode number (lstat)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int by_name(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cat(const char *path) {
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	printf("\n");
	return 0;
}

static int put(const char *path, const char *text, int flags) {
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	if (n < 0)
		return -1;
	printf("ok\n");
	return 0;
}

static int ls(const char *path) {
	DIR *d = opendir(path);
	if (!d)
		return -1;
	char *names[4096];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 4096)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		printf("%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	printf("\n");
	return 0;
}

static int ok(int r) {
	if (r == 0)
		printf("ok\n");
	return r;
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) {
		const char *op = argv[i];
		int r, args = 1;
		if (!strcmp(op, "write") || !strcmp(op, "append") || !strcmp(op, "mv") ||
		    !strcmp(op, "symlink") || !strcmp(op, "link"))
			args = 2;
		if (i + args >= argc) {
			fprintf(stderr, "diskop: %s needs %d arguments\n", op, args);
			return 2;
		}
		const char *a = argv[i + 1], *b = args > 1 ? argv[i + 2] : NULL;
		i += args;
		printf("%s %s: ", op, a);
		if (!strcmp(op, "cat"))
			r = cat(a);
		else if (!strcmp(op, "write"))
			r = put(a, b, O_TRUNC);
		else if (!strcmp(op, "append"))
			r = put(a, b, O_APPEND);
		else if (!strcmp(op, "rm"))
			r = ok(unlink(a));
		else if (!strcmp(op, "rmdir"))
			r = ok(rmdir(a));
		else if (!strcmp(op, "mkdir"))
			r = ok(mkdir(a, 0755));
		else if (!strcmp(op, "mv"))
			r = ok(rename(a, b));
		else if (!strcmp(op, "symlink"))
			r = ok(symlink(a, b));
		else if (!strcmp(op, "link"))
			r = ok(link(a, b));
		else if (!strcmp(op, "readlink")) {
			char buf[4097];
			ssize_t n = readlink(a, buf, sizeof buf - 1);
			r = n < 0 ? -1 : 0;
			if (n >= 0) {
				buf[n] = 0;
				printf("%s\n", buf);
			}
		} else if (!strcmp(op, "ls"))
			r = ls(a);
		else if (!strcmp(op, "ino")) {
			struct stat st;
			r = lstat(a, &st);
			if (r == 0)
				printf("%llu\n", (unsigned long long)st.st_ino);
		} else {
			fprintf(stderr, "diskop: unknown operation %s\n", op);
			return 2;
		}
		if (r < 0)
			printf("error: %s\n", strerror(errno));
	}
	return 0;
}
