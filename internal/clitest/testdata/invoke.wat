;; Functions for --invoke: one per parameter type, several results, and
;; results of every printable type.
(module
  (memory 1)
  (func (export "add_i32") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "add_i64") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1)))
  (func (export "mul_f32") (param f32 f32) (result f32) (f32.mul (local.get 0) (local.get 1)))
  (func (export "mul_f64") (param f64 f64) (result f64) (f64.mul (local.get 0) (local.get 1)))
  (func (export "echo") (param i32 i64 f32 f64) (result i32 i64 f32 f64)
    local.get 0 local.get 1 local.get 2 local.get 3)
  (func (export "refs") (result funcref externref funcref)
    ref.null func ref.null extern (ref.func $none))
  (func (export "vec") (result v128) (v128.const i64x2 1 1))
  (func (export "take_vec") (param v128))
  (func $none (export "none"))
  ;; grow adds pages to the memory and returns its previous size, or -1.
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (elem declare func $none))
