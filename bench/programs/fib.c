// Recursive Fibonacci: call-heavy.
#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("fib") unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
