;; The module of the package examples; example.wasm is built from it with
;; wat2wasm example.wat -o example.wasm
(module
  (import "env" "log" (func $log (param i32)))
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.add)
  (func (export "div") (param i32 i32) (result i32)
    local.get 0 local.get 1 i32.div_s)
  (func (export "logsum") (param i32 i32)
    local.get 0 local.get 1 i32.add call $log)
  (func (export "spin") (loop br 0)))
