;; tries to open /etc/passwd and to write to fd 3: answers ENOTCAPABLE (76)
;; and EBADF (8), written out as two bytes
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "/etc/passwd")
  (func (export "_start")
    (i32.store8 (i32.const 16) (call $path_open (i32.const 3) (i32.const 0)
      (i32.const 100) (i32.const 11) (i32.const 0) (i64.const -1) (i64.const -1)
      (i32.const 0) (i32.const 200)))
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 11))
    (i32.store8 (i32.const 17) (call $fd_write (i32.const 3) (i32.const 0)
      (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 2))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
