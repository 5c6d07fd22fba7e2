;; squares is a WASI command, and a WAGI handler, that pre-initializes
;; itself as Wizer does: its initializer grows memory to 17 pages and
;; builds a table of the squares of 0..262143 (1 MiB) at 0x10000, whose
;; first 1024 every run checks. A run then writes over the table, the
;; header and the globals, so that a run that starts from anything but
;; the snapshot says so. Without a snapshot, _start initializes first.
;; Built with: wat2wasm squares.wat
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; ready is set by the initializer; starts counts the start function's
  ;; runs; runs counts the runs (scribble).
  (global $ready (export "ready") (mut i32) (i32.const 0))
  (global $starts (export "starts") (mut i32) (i32.const 0))
  (global $runs (export "runs") (mut i32) (i32.const 0))
  (data (i32.const 0) "Content-Type: text/plain\0a\0a") ;; 26 bytes
  (data (i32.const 32) "ok\0a")
  (data (i32.const 40) "stale\0a")
  (start $start)
  (func $start (global.set $starts (i32.add (global.get $starts) (i32.const 1))))

  (func $init (export "wizer.initialize")
    (local $i i32)
    (drop (memory.grow (i32.const 16)))
    (loop $l
      (i32.store (i32.add (i32.const 0x10000) (i32.shl (local.get $i) (i32.const 2)))
                 (i32.mul (local.get $i) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 262144))))
    (global.set $ready (i32.const 1)))

  ;; sum returns the sum of the table: 357389824 as the initializer
  ;; left it.
  (func $sum (export "sum") (result i32)
    (local $i i32) (local $s i32)
    (if (i32.lt_u (memory.size) (i32.const 17)) (then (return (i32.const 0))))
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (i32.load (i32.add (i32.const 0x10000) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 1024))))
    (local.get $s))

  ;; pristine reports whether memory and globals are the snapshot's.
  (func $pristine (export "pristine") (result i32)
    (i32.and
      (i32.and (i32.eq (call $sum) (i32.const 357389824)) (i32.eq (global.get $ready) (i32.const 1)))
      (i32.and (i32.eqz (global.get $runs))
        (i32.and (i32.eq (global.get $starts) (i32.const 1))
                 (i32.eq (i32.load8_u (i32.const 0)) (i32.const 0x43))))))

  ;; scribble writes over what pristine checks.
  (func $scribble (export "scribble")
    (i32.store (i32.const 0x10004) (i32.const 7))
    (i32.store8 (i32.const 0) (i32.const 0x58))
    (global.set $runs (i32.add (global.get $runs) (i32.const 1))))

  ;; _start initializes unless the snapshot did, writes the header, then
  ;; "ok" if the run started from the snapshot (or initialized itself)
  ;; and "stale" if not, then scribbles.
  (func (export "_start")
    (local $ok i32)
    (if (i32.eqz (global.get $ready)) (then (call $init)))
    (local.set $ok (call $pristine))
    (i32.store (i32.const 48) (i32.const 0))
    (i32.store (i32.const 52) (i32.const 26))
    (i32.store (i32.const 56) (select (i32.const 32) (i32.const 40) (local.get $ok)))
    (i32.store (i32.const 60) (select (i32.const 3) (i32.const 6) (local.get $ok)))
    (drop (call $fd_write (i32.const 1) (i32.const 48) (i32.const 2) (i32.const 64)))
    (call $scribble)))
