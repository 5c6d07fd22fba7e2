;; initfail opts in to pre-initialization, and its initializer traps:
;; the daemon refuses it at upload, naming the cause.
;; Built with: wat2wasm initfail.wat
(module
  (memory 1)
  (func (export "wizer.initialize") unreachable)
  (func (export "_start")))
