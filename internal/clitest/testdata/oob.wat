;; A command whose _start reads past the end of its one page of memory.
(module
  (memory 1)
  (func $peek (param i32) (result i32) (i32.load (local.get 0)))
  (func $_start (export "_start") (drop (call $peek (i32.const 0xfffffff0)))))
