;; A command that takes what it can: it grows its memory a page at a
;; time, filling every new page, until memory.grow fails, then exits.
(module
  (memory 1)
  (func (export "_start") (local $page i32)
    (loop $more
      (local.set $page (memory.grow (i32.const 1)))
      (if (i32.ne (local.get $page) (i32.const -1))
        (then
          (memory.fill (i32.mul (local.get $page) (i32.const 65536)) (i32.const 1) (i32.const 65536))
          (br $more))))))
