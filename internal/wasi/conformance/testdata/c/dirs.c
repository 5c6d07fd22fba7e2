// Directories: nested creation, listing, the working directory, and
// removal with its errno values.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s (errno %d)\n", __FILE__, __LINE__, #cond, errno); return 1; } } while (0)

static int touch(const char *path) {
	FILE *f = fopen(path, "w");
	if (!f) return -1;
	return fclose(f);
}

static int cmp(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
	CHECK(mkdir("tree", 0755) == 0);
	CHECK(mkdir("tree", 0755) == -1 && errno == EEXIST);
	CHECK(mkdir("tree/a", 0755) == 0 && mkdir("tree/a/b", 0755) == 0);
	CHECK(touch("tree/f1") == 0 && touch("tree/f2") == 0 && touch("tree/a/b/deep") == 0);

	DIR *d = opendir("tree");
	CHECK(d != NULL);
	char *names[16];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < 16)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	printf("tree:");
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");

	CHECK(chdir("tree/a") == 0);
	char cwd[256];
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	printf("cwd: %s\n", cwd);
	CHECK(access("b/deep", F_OK) == 0);
	CHECK(access("../f1", F_OK) == 0);
	CHECK(chdir("/") == 0);

	CHECK(rmdir("tree/a") == -1 && errno == ENOTEMPTY);
	CHECK(rmdir("tree/f1") == -1 && errno == ENOTDIR);
	CHECK(unlink("tree/a") == -1 && errno == EISDIR);
	CHECK(unlink("tree/a/b/deep") == 0 && rmdir("tree/a/b") == 0 && rmdir("tree/a") == 0);
	CHECK(unlink("tree/f1") == 0 && unlink("tree/f2") == 0 && rmdir("tree") == 0);
	struct stat st;
	CHECK(stat("tree", &st) == -1 && errno == ENOENT);

	// Many entries, read back through several fd_readdir calls.
	CHECK(mkdir("many", 0755) == 0);
	for (int i = 0; i < 300; i++) {
		char p[64];
		snprintf(p, sizeof p, "many/entry-with-a-longish-name-%03d", i);
		CHECK(touch(p) == 0);
	}
	d = opendir("many");
	CHECK(d != NULL);
	int count = 0;
	long sum = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') continue;
		count++;
		sum += atoi(e->d_name + strlen("entry-with-a-longish-name-"));
	}
	closedir(d);
	printf("many: %d entries, sum %ld\n", count, sum);
	puts("ok");
	return 0;
}
