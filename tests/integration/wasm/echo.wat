;; echo: stdin back on stdout with status 201, a header and a content
;; type set through the host API; then the environment (NUL-separated)
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func $environ_get (param i32 i32) (result i32)))
  (import "themis" "set_status" (func $set_status (param i32) (result i32)))
  (import "themis" "set_header" (func $set_header (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "X-Echo")
  (data (i32.const 110) "yes")
  (data (i32.const 120) "Content-Type")
  (data (i32.const 140) "application/x-echo")
  (data (i32.const 170) "\n--env--\n")
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (drop (call $set_status (i32.const 201)))
    (drop (call $set_header (i32.const 100) (i32.const 6) (i32.const 110) (i32.const 3)))
    (drop (call $set_header (i32.const 120) (i32.const 12) (i32.const 140) (i32.const 18)))
    ;; stdin -> 1024.. (one read of up to 8 KiB)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 8192))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $write (i32.const 1024) (i32.load (i32.const 8)))
    (call $write (i32.const 170) (i32.const 9))
    ;; environ: pointers at 16384, strings at 32768
    (drop (call $environ_sizes_get (i32.const 200) (i32.const 204)))
    (drop (call $environ_get (i32.const 16384) (i32.const 32768)))
    (call $write (i32.const 32768) (i32.load (i32.const 204)))))
