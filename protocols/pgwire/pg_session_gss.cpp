/// The GSSAPI exchange of pg_session (issue 24): AuthenticationGSS, then
/// GSSResponse ('p', the whole payload one token) and
/// AuthenticationGSSContinue until the callback's acceptor is done — as
/// PostgreSQL's pg_GSS_recvauth: a final token (mutual authentication)
/// goes out as GSSContinue right before AuthenticationOk.

#include "protocols/pgwire/pg_session.hpp"

namespace themis::pgwire {

namespace {

/// A Kerberos AP-REQ with an Active Directory PAC stays far below this;
/// PostgreSQL itself caps it at PG_MAX_AUTH_TOKEN_LENGTH (65535).
constexpr size_t max_gss_token = 65535;
/// Kerberos needs one round trip; SPNEGO-wrapped at most a few.
constexpr int max_gss_rounds = 8;

} // namespace

void pg_session::handle_gss(const frame& f) {
  auto& user = *startup_.param("user");
  if (f.payload.empty())
    return fatal("08P01", "empty GSSAPI token");
  if (f.payload.size() > max_gss_token)
    return fatal("08P01", "GSSAPI token too large");
  if (++gss_rounds_ > max_gss_rounds)
    return fatal("28000", "GSSAPI authentication took too many steps");
  std::string reply;
  auto st = cb_.gss_step(user, f.payload, reply);
  if (st == gss_status::failed) {
    cb_.on_auth_failed(user);
    return fatal("28000",
                 "GSSAPI authentication failed for user \"" + user + "\"");
  }
  if (!reply.empty())
    put_auth_gss_continue(out_, reply);
  if (st == gss_status::ok)
    return finish_auth();
  // continue_needed: the next GSSResponse carries the client's answer
}

} // namespace themis::pgwire
