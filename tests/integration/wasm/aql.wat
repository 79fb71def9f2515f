;; host API aql_query: stdin is the query, stdout its rows (a JSON array);
;; an error answers status 450 - result (452 forbidden, 453 invalid,
;; 454 failed)
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "themis" "aql_query" (func $aql (param i32 i32 i32 i32) (result i32)))
  (import "themis" "set_status" (func $set_status (param i32) (result i32)))
  (memory (export "memory") 4)
  (func (export "_start") (local $n i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 8192))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (local.set $n (call $aql (i32.const 1024) (i32.load (i32.const 8))
                             (i32.const 65536) (i32.const 131072)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (drop (call $set_status (i32.sub (i32.const 450) (local.get $n)))))
      (else
        (i32.store (i32.const 0) (i32.const 65536))
        (i32.store (i32.const 4) (local.get $n))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))))
