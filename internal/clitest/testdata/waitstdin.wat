;; A command that reads one byte of standard input, then exits with it.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; iovec {buf 16, len 1} at 0; bytes read at 8; the byte at 16
  (data (i32.const 0) "\10\00\00\00\01\00\00\00")
  (func $_start (export "_start")
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.load8_u (i32.const 16)))))
