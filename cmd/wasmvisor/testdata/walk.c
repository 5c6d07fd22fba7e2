// walk lists the tree under a directory (default "/"), one line per
// entry in name order, without following symbolic links:
//
//   d PATH                      a directory
//   f PATH SIZE SHA256          a regular file
//   l PATH SIZE -> TARGET       a symbolic link
//   o PATH                      anything else
//
// Tests run it on a disk image and on the directory the image was made
// from, and compare the listings.
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// SHA-256 (FIPS 180-4).
typedef struct {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t len;
} sha256;

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256 *s, const uint8_t *p) {
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(sha256 *s) {
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, h0, sizeof h0);
	s->len = 0;
}

static void sha256_update(sha256 *s, const uint8_t *p, size_t n) {
	size_t fill = s->len % 64;
	s->len += n;
	if (fill) {
		size_t k = 64 - fill < n ? 64 - fill : n;
		memcpy(s->buf + fill, p, k);
		p += k, n -= k;
		if (fill + k < 64)
			return;
		sha256_block(s, s->buf);
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(s, p);
	memcpy(s->buf, p, n);
}

static void sha256_hex(sha256 *s, char out[65]) {
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = {0x80};
	size_t padlen = (s->len % 64 < 56 ? 56 : 120) - s->len % 64;
	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", s->h[i]);
}

static int failed;

static void fail(const char *what, const char *path) {
	fprintf(stderr, "walk: %s %s: ", what, path);
	perror(NULL);
	failed = 1;
}

static void hash_file(const char *path, char out[65]) {
	static uint8_t buf[1 << 16];
	sha256 s;
	sha256_init(&s);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fail("open", path);
		strcpy(out, "-");
		return;
	}
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		sha256_update(&s, buf, (size_t)n);
	if (n < 0)
		fail("read", path);
	close(fd);
	sha256_hex(&s, out);
}

static int by_name(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *dir) {
	DIR *d = opendir(dir);
	if (!d) {
		fail("opendir", dir);
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			names = realloc(names, cap * sizeof *names);
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", names[i]);
		struct stat st;
		if (lstat(path, &st) < 0) {
			fail("lstat", path);
		} else if (S_ISDIR(st.st_mode)) {
			printf("d %s\n", path);
			walk(path);
		} else if (S_ISREG(st.st_mode)) {
			char hex[65];
			hash_file(path, hex);
			printf("f %s %lld %s\n", path, (long long)st.st_size, hex);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4097];
			ssize_t k = readlink(path, target, sizeof target - 1);
			if (k < 0) {
				fail("readlink", path);
				k = 0;
			}
			target[k] = 0;
			printf("l %s %lld -> %s\n", path, (long long)st.st_size, target);
		} else {
			printf("o %s\n", path);
		}
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv) {
	walk(argc > 1 ? argv[1] : "/");
	return failed;
}
