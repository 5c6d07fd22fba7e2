;; A command that writes 4 KiB to standard output for ever, ignoring
;; errors: for tests of a run whose output nobody reads.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; One iovec at 0: 4096 bytes from 16.
  (data (i32.const 0) "\10\00\00\00\00\10\00\00")
  (func (export "_start")
    (loop $again
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $again))))
