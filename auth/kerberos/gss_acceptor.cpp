#include "auth/kerberos/gss_acceptor.hpp"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

namespace themis::auth::kerberos {

namespace {

/// GSSAPI's text for a major/minor status pair ("Ticket expired").
std::string describe(OM_uint32 major, OM_uint32 minor) {
  std::string out;
  auto add = [&](OM_uint32 code, int type) {
    OM_uint32 ctx = 0, min = 0;
    do {
      gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
      if (gss_display_status(&min, code, type, GSS_C_NO_OID, &ctx, &msg) !=
          GSS_S_COMPLETE)
        break;
      if (!out.empty())
        out += ": ";
      out.append(static_cast<const char*>(msg.value), msg.length);
      gss_release_buffer(&min, &msg);
    } while (ctx != 0);
  };
  add(major, GSS_C_GSS_CODE);
  if (minor != 0)
    add(minor, GSS_C_MECH_CODE);
  return out;
}

std::string display(gss_name_t name) {
  OM_uint32 min = 0;
  gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
  if (gss_display_name(&min, name, &buf, nullptr) != GSS_S_COMPLETE)
    return {};
  std::string s(static_cast<const char*>(buf.value), buf.length);
  gss_release_buffer(&min, &buf);
  return s;
}

} // namespace

std::shared_ptr<const gss_acceptor>
gss_acceptor::create(const std::string& keytab, const std::string& service,
                     std::string& error) {
  OM_uint32 min = 0;
  // a host-based name without a host: MIT accepts the service on any
  // host the keytab has keys for (HTTP/localhost, HTTP/db.example.com …)
  gss_buffer_desc nb{service.size(), const_cast<char*>(service.data())};
  gss_name_t name = GSS_C_NO_NAME;
  auto major = gss_import_name(&min, &nb, GSS_C_NT_HOSTBASED_SERVICE, &name);
  if (GSS_ERROR(major)) {
    error = "service name " + service + ": " + describe(major, min);
    return nullptr;
  }
  gss_key_value_element_desc kv{"keytab", keytab.c_str()};
  gss_key_value_set_desc store{1, &kv};
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  major = gss_acquire_cred_from(&min, name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
                                GSS_C_ACCEPT, &store, &cred, nullptr, nullptr);
  OM_uint32 ignored = 0;
  gss_release_name(&ignored, &name);
  if (GSS_ERROR(major)) {
    error = "keytab " + keytab + " for service " + service + ": " +
            describe(major, min);
    return nullptr;
  }
  return std::shared_ptr<const gss_acceptor>(new gss_acceptor(service, cred));
}

gss_acceptor::~gss_acceptor() {
  OM_uint32 min = 0;
  gss_cred_id_t c = cred_;
  gss_release_cred(&min, &c);
}

gss_exchange::gss_exchange(std::shared_ptr<const gss_acceptor> acceptor) :
  acceptor_(std::move(acceptor)) {}

gss_exchange::~gss_exchange() {
  if (ctx_) {
    OM_uint32 min = 0;
    gss_ctx_id_t c = ctx_;
    gss_delete_sec_context(&min, &c, GSS_C_NO_BUFFER);
  }
}

gss_exchange::result gss_exchange::step(std::string_view token) {
  result r;
  if (done_) {
    r.error = "GSSAPI exchange already finished";
    return r;
  }
  ++steps_;
  OM_uint32 min = 0;
  gss_buffer_desc in{token.size(), const_cast<char*>(token.data())};
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  gss_name_t src = GSS_C_NO_NAME;
  gss_ctx_id_t c = ctx_;
  auto major = gss_accept_sec_context(&min, &c, acceptor_->cred(), &in,
                                      GSS_C_NO_CHANNEL_BINDINGS, &src, nullptr,
                                      &out, nullptr, nullptr, nullptr);
  ctx_ = c;
  OM_uint32 ignored = 0;
  if (out.length > 0)
    r.out.assign(static_cast<const char*>(out.value), out.length);
  gss_release_buffer(&ignored, &out);
  if (GSS_ERROR(major)) {
    done_ = true;
    r.error = describe(major, min);
    gss_release_name(&ignored, &src);
    return r;
  }
  if (major & GSS_S_CONTINUE_NEEDED) {
    gss_release_name(&ignored, &src);
    r.st = status::continue_needed;
    return r;
  }
  done_ = true;
  client_ = display(src);
  gss_release_name(&ignored, &src);
  // the keytab may hold keys of several services (HTTP and postgres):
  // a ticket is good only for the service this acceptor stands for
  gss_name_t target = GSS_C_NO_NAME;
  std::string target_name;
  if (gss_inquire_context(&min, ctx_, nullptr, &target, nullptr, nullptr,
                          nullptr, nullptr, nullptr) == GSS_S_COMPLETE) {
    target_name = display(target);
    gss_release_name(&ignored, &target);
  }
  auto prefix = acceptor_->service() + "/";
  if (target_name.rfind(prefix, 0) != 0) {
    r.error = "ticket for " + (target_name.empty() ? "?" : target_name) +
              ", not for service " + acceptor_->service();
    r.out.clear();
    client_.clear();
    return r;
  }
  if (client_.empty()) {
    r.error = "GSSAPI gave no client name";
    r.out.clear();
    return r;
  }
  r.st = status::complete;
  return r;
}

} // namespace themis::auth::kerberos
