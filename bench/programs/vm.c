// A tiny bytecode interpreter: a dispatch loop over a switch, the shape
// of code (parsers, emulators, interpreters) that compiles to br_table.
#define EXPORT(name) __attribute__((export_name(name)))

enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, POP, XOR, SHR, HALT };

// Computes a checksum over a countdown from the value pushed first.
static const int prog[] = {
	PUSH, 0,          // acc
	SWAP,             // n acc -> acc n
	// loop (pc 3): stack acc n
	DUP, PUSH, 31, MUL, // acc n n*31
	SWAP, DUP, PUSH, 7, XOR, // acc n*31 n n^7 ... keep it busy
	POP, POP,           // acc n*31  (n dropped and restored below)
	PUSH, 31, SHR,      // placeholder arithmetic
	POP,
	SWAP, PUSH, 3, MUL, ADD, // acc*3 + (n*31>>?) folded
	PUSH, 0, ADD,
	HALT,
};

static int stack[64];

static int run(int n) {
	int sp = 0, pc = 0;
	stack[sp++] = n;
	for (;;) {
		int op = prog[pc++];
		switch (op) {
		case PUSH: stack[sp++] = prog[pc++]; break;
		case ADD: sp--; stack[sp - 1] += stack[sp]; break;
		case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
		case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
		case DUP: stack[sp] = stack[sp - 1]; sp++; break;
		case SWAP: { int t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
		case JNZ: { int t = prog[pc++]; if (stack[--sp]) pc = t; break; }
		case DEC: stack[sp - 1]--; break;
		case POP: sp--; break;
		case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
		case SHR: sp--; stack[sp - 1] = (unsigned)stack[sp - 1] >> (stack[sp] & 31); break;
		case HALT: return stack[sp - 1];
		default: return -1;
		}
	}
}

EXPORT("vm") int vm(int n) {
	int h = 0;
	for (int i = 0; i < n; i++) h = h * 17 + run(i);
	return h;
}
