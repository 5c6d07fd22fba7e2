;; A library module (a reactor) for --preload: _initialize sets the
;; factor and says so through WASI; triple multiplies by it.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $factor (mut i32) (i32.const 0))
  (data (i32.const 16) "lib ready\n")
  (func $_initialize (export "_initialize")
    (global.set $factor (i32.const 3))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 10))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $triple (export "triple") (param i32) (result i32)
    (i32.mul (local.get 0) (global.get $factor))))
