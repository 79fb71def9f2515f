/* A bound-route function written in C against wasi-libc (issue 27,
 * docs/functions.md "From C, Rust or TinyGo"), built by the test with
 * `clang --target=wasm32-wasi`. A tiny notes service on /fn/{tenant}/notes:
 *   PUT  /fn/_/notes/<key>  body = a JSON object → stored in `notes`, 201
 *   GET  /fn/_/notes/<key>  → the stored JSON (doc_get, buffer grown on
 *                             demand with malloc), 404 when missing
 *   GET  /fn/_/notes        → count of notes via aql_query
 *   anything else           → 405 with an Allow header
 * It exercises libc (stdio on stdin/stdout, getenv, malloc/realloc,
 * snprintf) and every kind of host import a real handler uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THEMIS(name) \
  __attribute__((import_module("themis"), import_name(#name)))
THEMIS(set_status) int themis_set_status(int code);
THEMIS(set_header) int themis_set_header(const char*, int, const char*, int);
THEMIS(log) int themis_log(const char*, int);
THEMIS(doc_get) int themis_doc_get(const char*, int, const char*, int, char*, int);
THEMIS(doc_put) int themis_doc_put(const char*, int, const char*, int, const char*, int);
THEMIS(aql_query) int themis_aql_query(const char*, int, char*, int);

static void header(const char* n, const char* v) {
  themis_set_header(n, (int)strlen(n), v, (int)strlen(v));
}

static char* read_body(size_t* len) {
  size_t cap = 256, n = 0;
  char* buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
    n += got;
    if (n == cap) buf = realloc(buf, cap *= 2);
  }
  *len = n;
  return buf;
}

static int get_note(const char* key) {
  int cap = 16; /* deliberately small: the host says how much it needs */
  char* buf = malloc(cap);
  int n = themis_doc_get("notes", 5, key, (int)strlen(key), buf, cap);
  if (n > cap) {
    buf = realloc(buf, n);
    cap = n;
    n = themis_doc_get("notes", 5, key, (int)strlen(key), buf, cap);
  }
  if (n == -1) {
    themis_set_status(404);
    printf("{\"error\":\"no note %s\"}", key);
  } else if (n < 0) {
    themis_set_status(500);
    printf("{\"error\":\"doc_get %d\"}", n);
  } else {
    header("Content-Type", "application/json");
    fwrite(buf, 1, (size_t)n, stdout);
  }
  free(buf);
  return 0;
}

static int count_notes(void) {
  const char* q = "RETURN LENGTH(FOR n IN notes RETURN 1)";
  char buf[64];
  int n = themis_aql_query(q, (int)strlen(q), buf, (int)sizeof buf - 1);
  if (n < 0 || n >= (int)sizeof buf) {
    themis_set_status(500);
    printf("{\"error\":\"aql %d\"}", n);
    return 0;
  }
  buf[n] = 0;
  header("Content-Type", "application/json");
  printf("{\"count\":%s}", buf);
  return 0;
}

int main(int argc, char** argv) {
  const char* method = getenv("THEMIS_METHOD");
  const char* path = argc > 1 ? argv[1] : "/";
  const char* key = path[0] == '/' ? path + 1 : path;
  char line[160];
  snprintf(line, sizeof line, "%s %s", method ? method : "?", path);
  themis_log(line, (int)strlen(line));
  if (method && strcmp(method, "GET") == 0)
    return *key ? get_note(key) : count_notes();
  if (method && strcmp(method, "PUT") == 0 && *key) {
    size_t len;
    char* body = read_body(&len);
    int rc = themis_doc_put("notes", 5, key, (int)strlen(key), body, (int)len);
    free(body);
    themis_set_status(rc == 0 ? 201 : rc == -3 ? 400 : 500);
    printf("{\"put\":%d}", rc);
    return 0;
  }
  themis_set_status(405);
  header("Allow", "GET, PUT");
  return 0;
}
