#pragma once
/// A bounded GET over HTTPS with libcurl for the trusted-issuer fetcher:
/// time-limited, size-limited (the body is cut off past `max_bytes`), no
/// redirects (a discovery document must be where the issuer says), TLS
/// verified against `ca_file` or the system store. Blocking: call it on
/// the fetcher's own thread, never on a scheduler thread.

#include <cstddef>
#include <string>

namespace themis::auth::trusted {

struct get_result {
  long status = 0; ///< 0: no answer (see error)
  std::string body;
  std::string error;
};

get_result https_get(const std::string& url, const std::string& ca_file,
                     long timeout_ms, size_t max_bytes = 1 << 20);

} // namespace themis::auth::trusted
