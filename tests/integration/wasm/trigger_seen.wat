;; change-trigger target: stdin (the event JSON) is put as seen/<argv[1]>,
;; argv[1] being the event's sequence; a refused put traps (a failure the
;; trigger retries)
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "themis" "doc_put" (func $doc_put (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "seen")
  (func (export "_start") (local $arg i32) (local $len i32)
    ;; argv pointers at 16, strings at 256
    (drop (call $args_get (i32.const 16) (i32.const 256)))
    (local.set $arg (i32.load (i32.const 20)))
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $arg) (local.get $len)))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $scan)))
    ;; stdin -> 4096.. (one read of up to 60000 bytes)
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 60000))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (i32.ne (i32.const 0)
          (call $doc_put (i32.const 100) (i32.const 4) (local.get $arg) (local.get $len)
                         (i32.const 4096) (i32.load (i32.const 8))))
      (then (unreachable)))))
