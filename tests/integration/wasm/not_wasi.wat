;; a valid module that is no WASI command: it imports from "env"
(module (import "env" "print" (func $print (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $print (i32.const 1))))
