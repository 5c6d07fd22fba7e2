package main

// Example_main runs the program and checks everything it printed.
func Example_main() {
	main()
	// Output:
	// PolicyError: memory[0]: minimum 4 pages exceeds limit of 1 page (-W max-memory-size=65536)
	// FormatError at offset 4
	// ValidationError: func[0] type mismatch: expected i32, but the stack is empty
	// import: env f func
	// LinkError: env.f unknown: true
	// Trap: unreachable in boom
	// ErrRuntimeClosed
	// export: boom func
	// export: boom func
	// the cache served what it stored: true
	// hello from the disk image
	// hello from the host
	// ExitError: code 1
}
