;; bigmem asks for 4 pages of memory, which a policy of
;; -W max-memory-size=65536 refuses.
;; Built with: wat2wasm bigmem.wat
(module
  (memory 4)
  (func (export "_start")))
