;; cat: copies each file its arguments name, relative to the first
;; pre-opened directory (descriptor 3), to standard output. Exits with 1
;; when a file cannot be opened or read, 2 when the arguments do not fit
;; its buffers. Build: wat2wasm --debug-names cat.wat -o cat.wasm
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; 0: argc, 4: size of the argument strings, 8: bytes read or written,
  ;; 12: the opened descriptor, 16: one iovec, 1024: argv, 2048: the
  ;; argument strings, 4096: the copy buffer.
  (memory (export "memory") 1)

  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  (func $cat (param $path i32)
    ;; dirflags 1: follow symbolic links; rights: fd_read.
    (if (call $path_open (i32.const 3) (i32.const 1)
          (local.get $path) (call $strlen (local.get $path))
          (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 12))
      (then (call $proc_exit (i32.const 1))))
    (block $eof
      (loop $copy
        (i32.store (i32.const 16) (i32.const 4096))
        (i32.store (i32.const 20) (i32.const 4096))
        (if (call $fd_read (i32.load (i32.const 12)) (i32.const 16) (i32.const 1) (i32.const 8))
          (then (call $proc_exit (i32.const 1))))
        (br_if $eof (i32.eqz (i32.load (i32.const 8))))
        (i32.store (i32.const 20) (i32.load (i32.const 8)))
        (if (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))
          (then (call $proc_exit (i32.const 1))))
        (br $copy)))
    (drop (call $fd_close (i32.load (i32.const 12)))))

  (func $_start (export "_start") (local $i i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.or (i32.gt_u (i32.load (i32.const 0)) (i32.const 256))
                (i32.gt_u (i32.load (i32.const 4)) (i32.const 2048)))
      (then (call $proc_exit (i32.const 2))))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (local.set $i (i32.const 1))
    (block $done
      (loop $args
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 0))))
        (call $cat (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $args)))))
