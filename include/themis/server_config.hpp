#pragma once
/// The whole server configuration as plain data. Loaded from YAML, then
/// overridden by THEMIS_* environment variables, then by CLI flags
/// (config/config_loader.hpp). Every key is documented in
/// docs/configuration.md.

#include <cstdint>
#include <string>
#include <vector>

namespace themis {

struct server_section {
  std::string bind = "127.0.0.1";
  uint32_t scheduler_threads = 0; ///< CAF workers; 0 = half the cores
  uint32_t io_threads = 0;        ///< Asio threads; 0 = half the cores
  uint32_t drain_timeout_ms = 10000;
};

struct http_section {
  int port = 8080; ///< 0 disables the listener
  /// permessage-deflate (RFC 7692) on every WebSocket endpoint.
  bool ws_deflate = true;
  uint32_t max_connections = 10000;
  uint32_t max_header_bytes = 8192;
  uint64_t max_body_bytes = 16ull << 20;
  uint32_t max_headers = 100;
  uint32_t header_timeout_ms = 10000;  ///< first byte to end of header block
  uint32_t body_timeout_ms = 30000;    ///< end of headers to end of body
  uint32_t idle_timeout_ms = 60000;    ///< keep-alive idle time
  uint32_t max_pipelined = 32;         ///< parsed requests awaiting answers
  uint32_t request_timeout_ms = 30000; ///< handler/engine answer deadline
  uint32_t drain_grace_ms = 500;       ///< idle keep-alive kept open on drain
  std::string server_name = "themisd";
  /// HTTP/2 SETTINGS we announce (h2 over TLS, h2c).
  uint32_t h2_max_concurrent_streams = 100;
  uint32_t h2_initial_window_size = 65535;
  uint32_t h2_max_frame_size = 16384;
  uint32_t h2_max_header_list_size = 65536;
};

/// Response compression and compressed request bodies (docs/http.md).
struct compression_section {
  bool enabled = true;
  uint32_t min_bytes = 256; ///< smaller bodies are sent as they are
  /// Content types compressed besides text, JSON, XML, JavaScript, SSE:
  /// comma-separated prefixes.
  std::string types;
  int gzip_level = 6; ///< 1–9
  int br_quality = 4; ///< 0–11
  int zstd_level = 3; ///< 1–19
  /// Largest decoded request body (0: http.max_body_bytes): zip bombs
  /// get 413.
  uint64_t max_decoded_bytes = 0;
};

/// TLS for every listener (docs/tls.md). With no certificate the TLS
/// listeners stay off and PostgreSQL answers SSLRequest with 'N'.
struct tls_section {
  std::string cert; ///< PEM certificate chain
  std::string key;  ///< PEM private key
  /// More certificates by SNI name: "host=cert:key;*.example.com=c:k".
  std::string sni;
  std::string min_version = "1.3"; ///< "1.2" allows TLS 1.2 too
  std::string ciphersuites;        ///< TLS 1.3 (empty: OpenSSL's)
  std::string ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20"; ///< TLS 1.2
  std::string client_ca;                 ///< CA for client certificates
  std::string client_auth = "none";      ///< none | optional | required
  uint32_t handshake_timeout_ms = 10000; ///< connect to handshake done
  int https_port = 8443;                 ///< 0 disables
  int mqtts_port = 8883;                 ///< 0 disables
  /// HTTP/3 over QUIC on UDP (docs/http3.md): -1 = the HTTPS port
  /// number, 0 disables.
  int h3_port = -1;
  bool h3_retry = false;          ///< Retry (address validation) always
  std::string h3_cc = "cubic";    ///< cubic | reno | bbr | bbr2
  uint32_t h3_max_streams = 100;  ///< concurrent request streams
  uint64_t h3_max_data = 16u << 20;       ///< connection flow window
  uint64_t h3_max_stream_data = 1u << 20; ///< per-stream flow window
};

/// The PostgreSQL wire protocol front-end (docs/postgres.md).
struct pg_section {
  int port = 5432; ///< 0 disables the listener
  /// PostgreSQL wire over WebSocket on the HTTP/HTTPS listeners (binary
  /// frames carry the protocol stream); empty disables.
  std::string ws_path = "/pg";
  /// trust | password | md5 | scram-sha-256 | gss (Kerberos, issue 24)
  std::string auth = "scram-sha-256";
  /// "METHOD [user=NAME] [host=ADDR[/BITS]]": the first matching line
  /// picks the method (pg_hba.conf's host lines); none: `auth`.
  std::vector<std::string> auth_rules;
  /// "user:secret,user2:secret2"; a secret is a password or a SCRAM
  /// verifier ("SCRAM-SHA-256$…", as PostgreSQL stores it).
  std::string users = "themis:themis";
  std::string database = "themis";
  uint32_t max_connections = 100;
  uint32_t idle_in_transaction_timeout_ms = 60000;
  uint32_t max_message_bytes = 16u << 20;
};

/// The MQTT broker front-end (docs/mqtt.md).
struct mqtt_section {
  int port = 1883; ///< 0 disables the listener
  bool allow_anonymous = true;
  /// "user:password,…" accepted in CONNECT.
  std::string users;
  uint32_t max_connections = 10000;
  uint32_t max_packet_bytes = 1u << 20;
  /// PUBLISH topics under this prefix are stored: {prefix}{collection}/…
  std::string ingest_prefix = "ingest/";
  uint32_t sys_interval_s = 10; ///< $SYS/broker/… statistics period
  /// Topic ACL in mosquitto acl_file syntax, lines separated by ';'
  /// (`acl`) or read from a file (`acl_file`); both empty: no ACL.
  std::string acl;
  std::string acl_file;
  /// Largest keep alive a client may ask for, in seconds (0: no limit).
  /// A 5.0 client asking for more (or for none) is told this one.
  uint32_t max_keep_alive = 0;
  /// Sessions (connected or kept for offline clients) at most; a new
  /// client id beyond gets 0x97 / return code 3.
  uint32_t max_sessions = 100000;
  /// Longest session expiry granted in seconds, 3.1.1 persistent sessions
  /// included (0: as asked, 3.1.1 ones forever).
  uint32_t max_session_expiry_s = 0;
  /// Broker state (persistent sessions, their queued messages, retained
  /// messages) is saved this often when it changed, so a crash loses at
  /// most this much of it; 0 saves only at a graceful stop.
  uint32_t persist_interval_ms = 1000;
  /// An ingested JSON payload's field whose value becomes the document
  /// key (empty: keys are generated).
  std::string ingest_key_field;
  /// Committed changes are published on `{changes_prefix}{collection}`
  /// (e.g. `$changes/`); empty: not published.
  std::string changes_prefix;
  /// Output bound per connection (mosquitto's max_queued_bytes and
  /// max_queued_messages): while this many bytes, or packets, handed to
  /// the socket are unwritten (a client that does not read), QoS 0
  /// messages are dropped and QoS 1/2 ones wait; those waiting beyond the
  /// in-flight window are bounded by the same numbers, and dropped (and
  /// counted in $SYS/broker/messages/dropped) beyond.
  uint32_t max_queued_bytes = 1u << 20;
  uint32_t max_queued_messages = 1000;
  /// MQTT over WebSocket on the HTTP/HTTPS listeners (subprotocol mqtt
  /// or mqttv3.1); empty disables (docs/mqtt.md).
  std::string ws_path = "/mqtt";
};

struct engine_section {
  std::string data_dir = "./data";
  std::string synchronous = "full"; ///< full | normal
  uint32_t readers = 4;
  uint32_t max_group_ops = 4096; ///< ops per group commit
  uint32_t busy_timeout_ms = 5000;
  /// Background index builds (engine/index_background.hpp): documents
  /// copied per write transaction, and the pause between two chunks that
  /// lets other writes in.
  uint32_t index_build_chunk = 10000;
  uint32_t index_build_pause_ms = 2;
};

struct log_section {
  std::string level = "info";
  /// "" : standard error; else the server log (and the access log) is
  /// appended to this file, reopened on SIGUSR1 (logrotate).
  std::string file;
  bool journal = false; ///< to the systemd journal instead
  /// Access log: one line per HTTP request, MQTT and PostgreSQL session
  /// start and end, and failed login. Off by default (docs/operations.md).
  bool access = false;
  std::string access_format = "json"; ///< json | text (logfmt)
  std::string access_file;            ///< "" : with the server log
};

struct cors_section {
  std::vector<std::string> allowed_origins; ///< empty = CORS off; "*" = any
  std::vector<std::string> allowed_methods = {"GET",   "POST",   "PUT",
                                              "PATCH", "DELETE", "OPTIONS"};
  std::vector<std::string> allowed_headers = {"Content-Type", "Authorization",
                                              "If-Match",     "If-None-Match",
                                              "X-Request-ID", "Last-Event-ID"};
  std::vector<std::string> exposed_headers = {"ETag", "X-Request-ID",
                                              "Location"};
  bool allow_credentials = false;
  uint32_t max_age_seconds = 600;
};

/// Edge caching (issue 22, docs/caching.md): the cache middleware and the
/// purge hook fed by the changefeed.
struct cache_section {
  bool enabled = true; ///< off: routes' cache policies are not applied
  /// Authenticated answers get the route's shared policy instead of
  /// `private` (only where every principal sees the same answer).
  bool authenticated_public = false;
  std::string purge_url; ///< "" : no purge hook
  std::string purge_method = "PURGE";
  std::string purge_header = "Surrogate-Key"; ///< carries the keys
  /// Sent as `purge_token_header: purge_token` when set (Fastly-Key).
  std::string purge_token, purge_token_header = "Fastly-Key";
  uint32_t purge_delay_ms = 20;      ///< keys coalesce this long
  uint64_t purge_queue_bytes = 1 << 20; ///< over it: purge everything
  uint32_t purge_max_header_bytes = 8192; ///< per purge request
  uint32_t purge_timeout_ms = 2000;
};

struct supervision_section {
  uint32_t max_restarts = 5;
  uint32_t period_seconds = 10;
};

struct changefeed_section {
  uint32_t heartbeat_ms = 15000;     ///< SSE/WebSocket keep-alive events
  uint32_t max_queue_events = 10000; ///< per subscriber, then overflow
  /// Unsent output per SSE/WebSocket subscriber (socket queue included),
  /// then overflow.
  uint64_t max_queue_bytes = 8u << 20;
  uint32_t long_poll_max_ms = 60000; ///< cap on ?long_poll_ms=
  uint64_t retention_max_events = 0; ///< keep at most N log rows; 0 = all
  uint64_t retention_max_age_s = 0;  ///< drop rows older; 0 = keep
  uint32_t compaction_interval_ms = 60000;
};

struct query_section {
  uint32_t timeout_ms = 30000; ///< synchronous queries (/query/aql, /v1/query)
  uint64_t max_rows = 100000;  ///< rows a synchronous query may return
  uint32_t batch_size = 1000;  ///< default /v1/query batch
  uint32_t max_batch_size = 10000; ///< cap on batchSize
  uint32_t cursor_ttl_s = 60;      ///< idle cursor lifetime
  uint32_t max_cursors = 1000;     ///< open cursors, oldest dropped first
  uint32_t write_batch = 1000;     ///< AQL writes per atomic commit
};

struct jobs_section {
  uint32_t max_running = 2;       ///< jobs running at once; the rest wait FIFO
  uint32_t max_pending = 10000;   ///< queued jobs, then 503
  uint64_t default_ttl_s = 3600;  ///< result lifetime after finishing
  uint64_t max_ttl_s = 7 * 86400; ///< cap on ttl_seconds
  uint32_t max_runtime_s = 3600;  ///< a running job fails after this
  uint64_t max_result_rows = 10000000; ///< a job producing more fails
  uint32_t page_size = 1000;           ///< default result page size
  uint32_t max_page_size = 10000;
  uint32_t max_wait_s = 60;           ///< cap on ?wait=
  uint32_t sweep_interval_ms = 10000; ///< how often expired results are removed
};

/// GraphQL at /graphql (issue 21, docs/graphql.md): static limits checked
/// before execution, the per-request time budget, switches.
struct graphql_section {
  bool enabled = true;
  uint32_t max_query_bytes = 65536; ///< the document's text
  uint32_t max_depth = 15;          ///< field nesting, fragments expanded
  uint32_t max_aliases = 30;
  uint32_t max_complexity = 10000; ///< static cost (lists count `first`)
  uint32_t timeout_ms = 10000;     ///< one operation, engine reads included
  bool introspection = true;
  bool batching = false;         ///< array bodies (off: 400)
  uint32_t max_batch = 10;       ///< operations per array body
  bool persisted_queries = true; ///< APQ: extensions.persistedQuery
  uint32_t max_persisted = 1000; ///< remembered documents (oldest dropped)
  uint32_t max_list = 1000;      ///< `first`/`last` of a list field
  uint32_t init_timeout_ms = 10000; ///< graphql-transport-ws connection_init
  uint32_t max_subscriptions = 32;  ///< per WebSocket
};

struct rate_limiting_section {
  bool enabled = false;
  std::string algorithm =
    "token_bucket"; ///< | sliding_window_counter | sliding_window_log
  /// "PREFIX LIMIT/WINDOW [burst=N] [key=ip|token|global]"; longest prefix wins
  std::vector<std::string> rules = {"/ 1000/1s burst=2000 key=ip"};
  /// Per registry rate group (issue 22: query, admin, bulk, default …):
  /// "NAME LIMIT/WINDOW [burst=N] [key=ip|token|global]", on top of the
  /// prefix rules; a group without an entry has no group limit.
  std::vector<std::string> groups;
  std::vector<std::string> whitelist; ///< peer addresses never limited
  bool dry_run = false;               ///< count refusals, never refuse
  uint64_t max_keys = 1000000;        ///< buckets kept; LRU evicted beyond
  uint32_t idle_expiry_s = 600;       ///< idle buckets are dropped
  /// issue 25 (docs/cluster.md): "local" (this node's buckets) or "redis"
  /// (one bucket per client shared by every node through Redis).
  std::string backend = "local";
  /// redis://[user:pass@]host:port/db; several: tried in turn on reconnect
  std::vector<std::string> redis_urls = {"redis://127.0.0.1:6379/0"};
  uint32_t redis_timeout_ms = 20;   ///< then the local fallback decides
  std::string redis_key_prefix = "themis:rl:";
  uint32_t redis_nodes_hint = 1;    ///< fallback limit = limit / this
  uint32_t redis_max_pending = 10000; ///< questions queued; beyond: 429
};

struct overload_section {
  uint32_t max_inflight_requests = 10000; ///< HTTP requests being handled
  uint32_t writer_max_queue = 10000;      ///< writes waiting for the writer
  uint32_t writer_target_delay_ms = 100;  ///< CoDel target wait …
  uint32_t writer_interval_ms = 500;      ///< … exceeded for this long: shed
  uint32_t retry_after_s = 1;             ///< Retry-After on 503
  uint32_t max_connections_per_ip = 0;    ///< 0 = no per-IP limit
};

struct breaker_section {
  bool enabled = true;
  uint32_t failure_ratio_pct = 50; ///< open at this failure share …
  uint32_t min_requests = 20;      ///< … of at least this many in a window
  uint32_t window_s = 10;
  uint32_t open_ms = 5000;         ///< fail fast this long, then try
  uint32_t half_open_requests = 5; ///< successful trials to close again
};

/// Authentication for HTTP routes (docs/security.md).
struct auth_section {
  bool required = false;           ///< THEMIS_AUTH_REQUIRED=true turns it on
  std::string jwt_secret;          ///< HS256 shared secret
  std::string jwt_public_key_file; ///< PEM (RS256 / ES256)
  std::string jwt_jwks_file;       ///< JWKS document
  uint32_t jwks_refresh_s = 30;    ///< how often the JWKS file is checked
  std::string jwt_issuer;          ///< checked when set
  std::string jwt_audience;        ///< comma-separated; one must match
  uint32_t jwt_skew_s = 60;
  std::string scope_claim = "scope";   ///< space-separated string or array
  bool open_metrics = true;            ///< /metrics without a token
  std::string tenant_claim = "tenant"; ///< JWT claim naming the tenant
  std::string roles_claim = "roles";   ///< more scopes (array or string)
  /// "user tenant=ID scope=S …": the tenant and scopes of users that a
  /// protocol authenticates by password (mqtt.users, pg.users)
  std::vector<std::string> principals;
  bool api_keys = true; ///< /api/keys and `thk_` bearer tokens
  /// "tenant requests_per_s=N connections=N jobs=N documents=N": per
  /// tenant quotas (0 or absent: unlimited)
  std::vector<std::string> tenant_quotas;
  /// Kerberos (docs/security.md, "Kerberos / SPNEGO"): the server keytab
  /// (empty: off), the GSSAPI service names of HTTP (SPNEGO) and
  /// PostgreSQL (psql's krbsrvname; empty: none), and the realms whose
  /// principals may sign in: "REALM tenant=ID scope=S … instances=allow".
  std::string kerberos_keytab;
  std::string kerberos_service = "HTTP";
  std::string kerberos_pg_service = "postgres";
  std::vector<std::string> kerberos_realms;
  /// Apache Ranger (docs/security.md, "Apache Ranger"): policies polled
  /// from Ranger Admin (`ranger_url` + `ranger_service`) and cached in
  /// <data_dir>/ranger-policies.json, or read from `ranger_file`; both
  /// empty: off. `ranger_unmatched`: "deny" (Ranger's default) or
  /// "scopes" (no matching policy: themisd scopes alone decide).
  std::string ranger_url;
  std::string ranger_service = "themis";
  std::string ranger_file;
  uint32_t ranger_poll_s = 30;
  std::string ranger_audit_file;
  std::string ranger_unmatched = "deny";
  std::string ranger_ca_file;
  /// USB admin keys (docs/security.md, "USB admin keys"): break-glass
  /// admin login by a key file on removable media. Keys are enrolled in
  /// <data_dir>/usb-admin-keys.json; `usb_admin_removable` is off, warn
  /// or require (the sysfs check of the client's key-file device).
  bool usb_admin_enabled = false;
  uint32_t usb_admin_token_ttl_s = 300;
  uint32_t usb_admin_challenge_ttl_s = 60;
  uint32_t usb_admin_max_failures = 5; ///< per client address a minute
  uint32_t usb_admin_challenges_per_min = 10; ///< per client address
  std::string usb_admin_removable = "off";
  std::string usb_admin_sysfs_root = "/sys";
  /// External IdPs whose JWTs are accepted (docs/security.md, "Trusting
  /// an external IdP"): "ISSUER aud=A [jwks_uri=U] [ca_file=F]
  /// [user_claim=C] [scope_claim=C] [tenant_claim=C|tenant=T]
  /// [allow_scope=S …] [allow_admin=yes]", one per issuer; keys from
  /// discovery/JWKS over HTTPS, cached `refresh_s`, refetched for an
  /// unknown kid at most every `min_refetch_s`; a request waits for a
  /// fetch at most `wait_ms`.
  std::vector<std::string> trusted_issuers;
  uint32_t trusted_issuers_refresh_s = 300;
  uint32_t trusted_issuers_min_refetch_s = 10;
  uint32_t trusted_issuers_wait_ms = 1000;
};

/// Hostile-input limits shared by every parser (docs/security.md, "limits
/// and hostile input"): checked before any recursion, so a limit, never
/// the stack, decides.
struct limits_section {
  uint32_t max_json_depth = 128;     ///< bodies, bind values, payloads, jsonb
  uint32_t max_sql_depth = 1000;     ///< SQL parse-tree nesting (then 54001)
  uint32_t max_sql_bytes = 1u << 20; ///< one SQL query string (then 54000)
  uint32_t max_aql_clauses = 1000;   ///< AQL clauses, subqueries included
  uint32_t thread_stack_kb = 8192;   ///< every server thread's stack
};

/// OpenTelemetry tracing over OTLP/HTTP (docs/operations.md, "Tracing").
struct tracing_section {
  bool enabled = false;
  std::string endpoint = "http://127.0.0.1:4318/v1/traces";
  double sample_ratio = 1.0; ///< for traces themisd starts
  std::string service_name = "themisd";
  std::string resource_attributes; ///< "key=value,…"
  std::string headers;             ///< "Name: value; …" on each export
  uint32_t max_queue_spans = 4096; ///< then spans are dropped (counted)
  uint32_t max_batch_spans = 512;
  uint32_t flush_interval_ms = 1000;
  uint32_t export_timeout_ms = 5000;
};

/// The MCP server at /mcp (docs/mcp.md): DNS-rebinding protection,
/// OAuth protected-resource metadata and the bounds of its sessions.
struct mcp_section {
  bool enabled = true;
  /// Origins a browser may call /mcp from ("*": any). Requests without an
  /// Origin (non-browser clients) always pass; so do localhost origins
  /// while `allow_localhost_origins` is on.
  std::vector<std::string> allowed_origins;
  bool allow_localhost_origins = true;
  /// RFC 9728 metadata: `authorization_servers` and the canonical
  /// `resource` URI (empty: http://<Host>/mcp from the request).
  std::vector<std::string> authorization_servers;
  std::string resource_url;
  uint32_t max_sessions = 1000;            ///< all principals together
  uint32_t max_sessions_per_principal = 32;
  uint32_t session_idle_s = 1800;          ///< then the session is gone (404)
  uint32_t max_subscriptions = 100;        ///< resources/subscribe per session
  uint32_t max_rows = 1000;                ///< aql_query rows returned
  uint32_t replay_events = 10000;          ///< Last-Event-ID backfill bound
  uint32_t max_batch = 32;                 ///< JSON-RPC batch (2025-03-26)
};

/// Serverless WebAssembly functions (docs/functions.md; issue 27). The
/// limits are each function's defaults and the caps an upload may lower.
struct functions_section {
  bool enabled = true;
  uint64_t fuel = 100000000;           ///< interpreter steps per invocation
  uint32_t timeout_ms = 500;           ///< wall-clock deadline per invocation
  uint32_t memory_pages = 1024;        ///< linear memory cap (64 KiB pages)
  uint32_t output_bytes = 1 << 20;     ///< stdout (the response body) cap
  uint32_t log_bytes = 16 << 10;       ///< stderr and log lines kept per call
  uint32_t max_concurrent = 4;         ///< invocations of one function at once
  uint32_t tenant_max_concurrent = 16; ///< of one tenant at once
  uint32_t max_module_bytes = 8 << 20; ///< largest upload
  /// Triggers: tries of one event before it goes to the dead letters,
  /// the first retry's delay (doubling each time), and the MQTT messages
  /// waiting for an invocation (more are dropped and counted).
  uint32_t trigger_max_attempts = 5;
  uint32_t trigger_backoff_ms = 200;
  uint32_t trigger_queue = 256;
};

/// The web console (issue 29, docs/console.md).
struct console_section {
  /// Where its built files are; "" : `console/` beside the themisd binary.
  std::string dir;
};

/// The OAuth2 / OpenID Connect provider (issue 24, docs/security.md,
/// "OAuth2 / OpenID Connect provider"): auth/oauth2/.
struct oauth2_section {
  bool enabled = false;
  /// The issuer URL ("http://host:port"); "" : from the request's Host.
  std::string issuer;
  /// "ID [secret=HASH] redirect_uri=U… [scope=S…] [tenant=T] [public]
  /// [post_logout_redirect_uri=U…] [name=N]" (auth/oauth2/client_registry)
  std::vector<std::string> clients;
  /// "user:secret,…" who may sign in on the login page; "" : mqtt.users
  std::string users;
  std::string signing_key_file; ///< PEM RSA key; "" : generated, in auth.db
  uint32_t code_ttl_s = 60;
  uint32_t access_token_ttl_s = 900;
  uint32_t id_token_ttl_s = 900;
  uint32_t refresh_token_ttl_s = 2592000; ///< 30 days
  uint32_t login_ttl_s = 600; ///< an open login form (its CSRF token)
  uint32_t max_pending_logins = 10000;
  bool allow_plain_pkce = false;
  /// The web console's built-in public client `themis-console`
  /// (docs/console.md): sign-in with a password from /console.
  bool console_client = true;
};

/// The SAML 2.0 service provider (issue 24, docs/security.md, "SAML 2.0
/// service provider"): auth/saml/. A login mints the OAuth2 provider's
/// access token, so it needs oauth2.enabled.
struct saml_section {
  bool enabled = false;
  /// The URL browsers reach themisd at ("https://db.example.com"); the
  /// ACS and SLO URLs are built from it and checked as Destination and
  /// Recipient.
  std::string base_url;
  /// The SP's entity ID; "" : <base_url>/api/v1/auth/saml/metadata.
  std::string entity_id;
  std::string idp_metadata_file; ///< the IdP's SAML metadata (XML)
  /// Which IdP of the metadata file; "" : its only one.
  std::string idp_entity_id;
  std::string sp_key_file;  ///< PEM; "" : AuthnRequests are not signed
  std::string sp_cert_file; ///< PEM, published in the SP metadata
  std::string name_id_format =
    "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
  uint32_t clock_skew_s = 120;
  uint32_t request_ttl_s = 600; ///< an outstanding AuthnRequest
  uint32_t max_pending_requests = 10000;
  uint32_t max_replay_entries = 100000; ///< assertion ids remembered
  uint32_t max_response_bytes = 256u << 10; ///< SAMLResponse, base64
  std::string user_attribute;   ///< "" : the NameID
  std::string tenant_attribute; ///< "" : default_tenant
  std::string default_tenant;
  std::string scope_attribute; ///< e.g. "groups"
  /// "VALUE=scope[ scope…]": a scope_attribute value → themisd scopes.
  std::vector<std::string> scope_map;
  std::vector<std::string> default_scopes;
  std::vector<std::string> required_attributes;
};

struct debug_section {
  bool crash_routes = false;    ///< enables /v1/_debug/crash (tests only)
  bool fault_injection = false; ///< enables POST /v1/_admin/faults
};

/// gRPC-web and Connect for browsers (docs/grpc.md; issue 20).
struct grpc_section {
  /// Origins a browser may call gRPC-web/Connect from ("*": any); empty:
  /// no CORS answers (same-origin pages and non-browser clients only).
  std::vector<std::string> web_cors_origins;
  /// grpc.interop_test_service: serve grpc.testing.TestService, the gRPC
  /// interop test service (for interop clients; off in production).
  bool interop_service = false;
};

/// The API gateway (issue 23, docs/gateway.md): routes and upstream
/// clusters live in their own YAML file, re-read on SIGHUP.
struct gateway_section {
  std::string file; ///< "" : no gateway routes
};

/// issue 25 (docs/cluster.md): membership, leader and replicated
/// configuration through etcd; off while `etcd_endpoints` is empty.
struct cluster_section {
  std::string node_id; ///< "" : hostname-port
  std::vector<std::string> etcd_endpoints;
  std::string etcd_prefix = "/themis";
  std::string etcd_user;
  std::string etcd_password;
  std::string etcd_ca_file;
  uint32_t lease_ttl_s = 2;         ///< node key lease (failover time)
  uint32_t request_timeout_ms = 1000; ///< one etcd call; then "unavailable"
  uint32_t ring_vnodes = 64;        ///< points per node on the hash ring
  std::string advertise;            ///< host:port others reach us at
  /// Singleton duties only the leader runs ("ttl_sweep", "jobs_sweep");
  /// empty: every node runs its own (each node's store is its own).
  std::vector<std::string> leader_duties;
};

struct server_config {
  server_section server;
  http_section http;
  pg_section pg;
  mqtt_section mqtt;
  tls_section tls;
  compression_section compression;
  auth_section auth;
  engine_section engine;
  log_section log;
  cors_section cors;
  cache_section cache; ///< issue 22, edge caching
  supervision_section supervision;
  changefeed_section changefeed;
  query_section query;
  jobs_section jobs;
  graphql_section graphql; ///< issue 21
  rate_limiting_section rate_limiting;
  overload_section overload;
  breaker_section breaker;
  limits_section limits;
  tracing_section tracing;
  mcp_section mcp;
  grpc_section grpc; ///< issue 20
  functions_section functions; ///< issue 27
  console_section console;     ///< issue 29
  oauth2_section oauth2;       ///< issue 24
  saml_section saml;           ///< issue 24
  cluster_section cluster;     ///< issue 25 (etcd)
  debug_section debug;
  gateway_section gateway; ///< issue 23
  /// What the loader changed or distrusts, logged as warnings at start
  /// (e.g. a built-in default credential disabled by auth.required).
  std::vector<std::string> warnings;
  /// What the loader wants said at start (info), e.g. which file it read.
  std::vector<std::string> notices;
};

} // namespace themis
