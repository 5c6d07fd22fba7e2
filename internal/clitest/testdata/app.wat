;; A module linked to the --preload module "lib": run(x) is lib.triple(x) + 1.
(module
  (import "lib" "triple" (func $triple (param i32) (result i32)))
  (func $run (export "run") (param i32) (result i32)
    (i32.add (call $triple (local.get 0)) (i32.const 1))))
