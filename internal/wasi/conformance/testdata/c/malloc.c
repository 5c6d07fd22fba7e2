// Allocation-heavy work: a growing hash table of strings, reallocs and
// frees, then a sort.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { char *key; long value; struct node *next; };

static unsigned long hash(const char *s) {
	unsigned long h = 5381;
	while (*s) h = h * 33 + (unsigned char)*s++;
	return h;
}

static int cmp(const void *a, const void *b) {
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

int main(void) {
	size_t nbuckets = 1024;
	struct node **buckets = calloc(nbuckets, sizeof *buckets);
	for (long i = 0; i < 200000; i++) {
		char key[32];
		snprintf(key, sizeof key, "key-%ld", i % 50000);
		unsigned long h = hash(key) % nbuckets;
		struct node *n = buckets[h];
		while (n && strcmp(n->key, key) != 0) n = n->next;
		if (!n) {
			n = malloc(sizeof *n);
			n->key = strdup(key);
			n->value = 0;
			n->next = buckets[h];
			buckets[h] = n;
		}
		n->value += i;
	}
	long *values = NULL;
	size_t count = 0, cap = 0;
	for (size_t b = 0; b < nbuckets; b++) {
		for (struct node *n = buckets[b], *next; n; n = next) {
			next = n->next;
			if (count == cap) {
				cap = cap ? cap * 2 : 16;
				values = realloc(values, cap * sizeof *values);
			}
			values[count++] = n->value;
			free(n->key);
			free(n);
		}
	}
	free(buckets);
	qsort(values, count, sizeof *values, cmp);
	printf("%zu keys, min %ld, median %ld, max %ld\n", count, values[0], values[count / 2], values[count - 1]);
	free(values);
	return 0;
}
