;; A command that takes what it can: it grows its memory a page at a
;; time, filling every new page, until memory.grow fails; then it says
;; "full" and waits for its standard input to end, so that a test can
;; look at the process at its largest.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  ;; An iovec at 0 over "full\n" at 16; a read buffer at 32.
  (data (i32.const 0) "\10\00\00\00\05\00\00\00")
  (data (i32.const 16) "full\0a")
  (func (export "_start") (local $page i32)
    (loop $more
      (local.set $page (memory.grow (i32.const 1)))
      (if (i32.ne (local.get $page) (i32.const -1))
        (then
          (memory.fill (i32.mul (local.get $page) (i32.const 65536)) (i32.const 1) (i32.const 65536))
          (br $more))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 24)))
    ;; Read until the end of input: the iovec now points at 32.
    (i32.store (i32.const 0) (i32.const 32))
    (loop $wait
      (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 24)))
      (br_if $wait (i32.load (i32.const 24))))))
