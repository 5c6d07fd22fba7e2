// Files: create, read, write, seek, append, pread/pwrite, truncate,
// rename, hard and symbolic links, timestamps, and the errno values of
// the usual failures.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s:%d: %s (errno %d)\n", __FILE__, __LINE__, #cond, errno); return 1; } } while (0)

int main(void) {
	FILE *f = fopen("data.txt", "w");
	CHECK(f != NULL);
	fprintf(f, "hello, file\nsecond line\n");
	CHECK(fclose(f) == 0);

	char buf[128] = {0};
	f = fopen("data.txt", "r");
	CHECK(f != NULL);
	CHECK(fgets(buf, sizeof buf, f) != NULL);
	printf("read: %s", buf);
	CHECK(fseek(f, -5, SEEK_END) == 0);
	CHECK(ftell(f) == 19);
	CHECK(fgets(buf, sizeof buf, f) != NULL);
	printf("tail: %s", buf);
	fclose(f);

	int fd = open("data.txt", O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK(write(fd, "appended\n", 9) == 9);
	close(fd);
	struct stat st;
	CHECK(stat("data.txt", &st) == 0);
	printf("size after append: %lld\n", (long long)st.st_size);

	fd = open("data.txt", O_RDWR);
	CHECK(fd >= 0);
	CHECK(pwrite(fd, "HELLO", 5, 0) == 5);
	memset(buf, 0, sizeof buf);
	CHECK(pread(fd, buf, 11, 0) == 11);
	printf("pread: %s\n", buf);
	CHECK(lseek(fd, 0, SEEK_CUR) == 0);
	CHECK(ftruncate(fd, 5) == 0);
	CHECK(fstat(fd, &st) == 0);
	printf("size after truncate: %lld\n", (long long)st.st_size);
	close(fd);

	CHECK(open("data.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST);
	CHECK(open("missing.txt", O_RDONLY) == -1 && errno == ENOENT);
	CHECK(open("missing/x", O_CREAT | O_WRONLY, 0644) == -1 && errno == ENOENT);

	CHECK(rename("data.txt", "moved.txt") == 0);
	CHECK(access("data.txt", F_OK) == -1 && errno == ENOENT);
	CHECK(link("moved.txt", "hard.txt") == 0);
	struct stat a, b;
	CHECK(stat("moved.txt", &a) == 0 && stat("hard.txt", &b) == 0);
	printf("hard link: same inode %d, nlink %d\n", a.st_ino == b.st_ino, (int)a.st_nlink);
	CHECK(a.st_ino != 0);

	CHECK(symlink("moved.txt", "sym.txt") == 0);
	char target[64] = {0};
	CHECK(readlink("sym.txt", target, sizeof target) == 9);
	printf("readlink: %s\n", target);
	CHECK(lstat("sym.txt", &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(stat("sym.txt", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);

	struct timespec times[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
	CHECK(utimensat(AT_FDCWD, "moved.txt", times, 0) == 0);
	CHECK(stat("moved.txt", &st) == 0);
	printf("mtime: %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	printf("atime: %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);

	CHECK(unlink("sym.txt") == 0 && unlink("hard.txt") == 0 && unlink("moved.txt") == 0);
	CHECK(unlink("moved.txt") == -1 && errno == ENOENT);
	puts("ok");
	return 0;
}
