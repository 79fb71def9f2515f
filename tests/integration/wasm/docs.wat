;; host API: stdin (a JSON object) is put as fnout/k1; then src/k1 is read.
;; Output: one digit, '0' - put's result (0 ok, 2 forbidden ...), then
;; src/k1's JSON or "-N" digit for get's error
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "themis" "doc_put" (func $doc_put (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "themis" "doc_get" (func $doc_get (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "fnout")
  (data (i32.const 110) "k1")
  (data (i32.const 120) "src")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start") (local $n i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 8192))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store8 (i32.const 200) (i32.sub (i32.const 48)
      (call $doc_put (i32.const 100) (i32.const 5) (i32.const 110) (i32.const 2)
                     (i32.const 1024) (i32.load (i32.const 8)))))
    (call $write (i32.const 200) (i32.const 1))
    (local.set $n (call $doc_get (i32.const 120) (i32.const 3) (i32.const 110)
                                 (i32.const 2) (i32.const 16384) (i32.const 16384)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then (call $write (i32.const 16384) (local.get $n)))
      (else
        (i32.store8 (i32.const 201) (i32.const 45))
        (i32.store8 (i32.const 202) (i32.sub (i32.const 48) (local.get $n)))
        (call $write (i32.const 201) (i32.const 2))))))
