// hello is the smallest WAGI handler, for load tests.
//
// Built with: clang-16 --target=wasm32-wasi --sysroot=/usr -Oz -Wl,--strip-all -o hello.wasm hello.c
#include <stdio.h>

int main(void) {
	fputs("Content-Type: text/plain\n\nhello, world\n", stdout);
	return 0;
}
