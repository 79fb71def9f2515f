;; MQTT-trigger target: stdout = {"reading":<payload>,"topic":"<argv[1]>"}
;; (stored by the trigger into its output collection), also republished
;; through the host API as out/reading
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "themis" "mqtt_publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 100) "{\22reading\22:")   ;; 11 bytes
  (data (i32.const 120) ",\22topic\22:\22")  ;; 10 bytes
  (data (i32.const 140) "\22}")              ;; 2 bytes
  (data (i32.const 150) "out/reading")       ;; 11 bytes
  (global $end (mut i32) (i32.const 8192))   ;; output built at 8192..
  (func $append (param $ptr i32) (param $len i32)
    (memory.copy (global.get $end) (local.get $ptr) (local.get $len))
    (global.set $end (i32.add (global.get $end) (local.get $len))))
  (func (export "_start") (local $arg i32) (local $len i32)
    (drop (call $args_get (i32.const 16) (i32.const 256)))
    (local.set $arg (i32.load (i32.const 20)))
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $arg) (local.get $len)))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $scan)))
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 4000))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $append (i32.const 100) (i32.const 11))
    (call $append (i32.const 4096) (i32.load (i32.const 8)))
    (call $append (i32.const 120) (i32.const 10))
    (call $append (local.get $arg) (local.get $len))
    (call $append (i32.const 140) (i32.const 2))
    (i32.store (i32.const 0) (i32.const 8192))
    (i32.store (i32.const 4) (i32.sub (global.get $end) (i32.const 8192)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (i32.ne (i32.const 0)
          (call $publish (i32.const 150) (i32.const 11) (i32.const 8192)
                         (i32.sub (global.get $end) (i32.const 8192))))
      (then (unreachable)))))
