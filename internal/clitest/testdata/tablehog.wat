;; A command that grows its tables as far as it may: each of its two
;; tables 65,536 elements at a time until table.grow fails (the limit
;; counts both together); then it says "full" and waits for its
;; standard input to end, so that a test can look at the process at its
;; largest.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (table $a 0 funcref)
  (table $b 0 funcref)
  ;; An iovec at 0 over "full\n" at 16; a read buffer at 32.
  (data (i32.const 0) "\10\00\00\00\05\00\00\00")
  (data (i32.const 16) "full\0a")
  (func (export "_start")
    (loop $more
      (if (i32.ne (table.grow $a (ref.null func) (i32.const 65536)) (i32.const -1))
        (then (br $more))))
    (loop $more
      (if (i32.ne (table.grow $b (ref.null func) (i32.const 65536)) (i32.const -1))
        (then (br $more))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 24)))
    (i32.store (i32.const 0) (i32.const 32))
    (loop $wait
      (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 24)))
      (br_if $wait (i32.load (i32.const 24))))))
