;; A command whose _start divides by zero two calls deep, and functions
;; that recurse without end and loop forever.
(module
  (func $divide (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $compute (result i32) (call $divide (i32.const 1) (i32.const 0)))
  (func $recurse (export "recurse") (param i64) (result i64)
    (i64.add (call $recurse (local.get 0)) (i64.const 1)))
  (func $spin (export "spin") (loop $forever (br $forever)))
  (func $_start (export "_start") (drop (call $compute))))
