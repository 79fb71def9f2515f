#include "protocols/pgwire/pg_codec.hpp"

namespace themis::pgwire {

namespace {

void put_i32(std::string& out, int32_t v) {
  auto u = static_cast<uint32_t>(v);
  out.push_back(static_cast<char>(u >> 24));
  out.push_back(static_cast<char>(u >> 16));
  out.push_back(static_cast<char>(u >> 8));
  out.push_back(static_cast<char>(u));
}

void put_i16(std::string& out, int16_t v) {
  auto u = static_cast<uint16_t>(v);
  out.push_back(static_cast<char>(u >> 8));
  out.push_back(static_cast<char>(u));
}

void put_cstr(std::string& out, std::string_view s) {
  // an embedded NUL would end the string early on the client: cut there
  out.append(s.substr(0, s.find('\0')));
  out.push_back('\0');
}

/// Writes the type byte and a length placeholder; `end` patches it.
size_t begin(std::string& out, char type) {
  out.push_back(type);
  auto at = out.size();
  out.append(4, '\0');
  return at;
}

void end(std::string& out, size_t at) {
  auto len = static_cast<uint32_t>(out.size() - at);
  out[at] = static_cast<char>(len >> 24);
  out[at + 1] = static_cast<char>(len >> 16);
  out[at + 2] = static_cast<char>(len >> 8);
  out[at + 3] = static_cast<char>(len);
}

void put_empty(std::string& out, char type) {
  end(out, begin(out, type));
}

void put_auth(std::string& out, int32_t code, std::string_view extra = {}) {
  auto at = begin(out, 'R');
  put_i32(out, code);
  out.append(extra);
  end(out, at);
}

void put_fields(std::string& out, char type, const error_fields& e) {
  auto at = begin(out, type);
  auto field = [&](char code, std::string_view v) {
    if (v.empty())
      return;
    out.push_back(code);
    put_cstr(out, v);
  };
  field('S', e.severity);
  field('V', e.severity); // the non-localized severity (9.6+)
  field('C', e.sqlstate);
  field('M', e.message);
  field('D', e.detail);
  field('H', e.hint);
  if (e.position > 0)
    field('P', std::to_string(e.position));
  field('s', e.schema);
  field('t', e.table);
  field('c', e.column);
  field('n', e.constraint);
  out.push_back('\0');
  end(out, at);
}

} // namespace

void put_auth_ok(std::string& out) {
  put_auth(out, 0);
}
void put_auth_cleartext(std::string& out) {
  put_auth(out, 3);
}
void put_auth_md5(std::string& out, const char salt[4]) {
  put_auth(out, 5, std::string_view(salt, 4));
}
void put_auth_sasl(std::string& out, const std::vector<std::string>& mechs) {
  auto at = begin(out, 'R');
  put_i32(out, 10);
  for (auto& m : mechs)
    put_cstr(out, m);
  out.push_back('\0');
  end(out, at);
}
void put_auth_sasl_continue(std::string& out, std::string_view data) {
  put_auth(out, 11, data);
}
void put_auth_sasl_final(std::string& out, std::string_view data) {
  put_auth(out, 12, data);
}
void put_auth_gss(std::string& out) {
  put_auth(out, 7);
}
void put_auth_gss_continue(std::string& out, std::string_view token) {
  put_auth(out, 8, token);
}

void put_parameter_status(std::string& out, std::string_view name,
                          std::string_view value) {
  auto at = begin(out, 'S');
  put_cstr(out, name);
  put_cstr(out, value);
  end(out, at);
}

void put_backend_key(std::string& out, int32_t pid, int32_t key) {
  auto at = begin(out, 'K');
  put_i32(out, pid);
  put_i32(out, key);
  end(out, at);
}

void put_ready(std::string& out, tx_status s) {
  auto at = begin(out, 'Z');
  out.push_back(static_cast<char>(s));
  end(out, at);
}

void put_negotiate_version(std::string& out, int32_t newest_minor,
                           const std::vector<std::string>& unknown_options) {
  auto at = begin(out, 'v');
  put_i32(out, newest_minor);
  put_i32(out, static_cast<int32_t>(unknown_options.size()));
  for (auto& o : unknown_options)
    put_cstr(out, o);
  end(out, at);
}

void put_row_description(std::string& out, const std::vector<field_desc>& f) {
  auto at = begin(out, 'T');
  put_i16(out, static_cast<int16_t>(f.size()));
  for (auto& d : f) {
    put_cstr(out, d.name);
    put_i32(out, static_cast<int32_t>(d.table_oid));
    put_i16(out, d.column);
    put_i32(out, static_cast<int32_t>(d.type_oid));
    put_i16(out, d.type_len);
    put_i32(out, d.type_mod);
    put_i16(out, d.format);
  }
  end(out, at);
}

void put_data_row(std::string& out,
                  const std::vector<std::optional<std::string>>& values) {
  auto at = begin(out, 'D');
  put_i16(out, static_cast<int16_t>(values.size()));
  for (auto& v : values) {
    if (!v) {
      put_i32(out, -1);
      continue;
    }
    put_i32(out, static_cast<int32_t>(v->size()));
    out.append(*v);
  }
  end(out, at);
}

void put_command_complete(std::string& out, std::string_view tag) {
  auto at = begin(out, 'C');
  put_cstr(out, tag);
  end(out, at);
}

void put_empty_query(std::string& out) {
  put_empty(out, 'I');
}
void put_parse_complete(std::string& out) {
  put_empty(out, '1');
}
void put_bind_complete(std::string& out) {
  put_empty(out, '2');
}
void put_close_complete(std::string& out) {
  put_empty(out, '3');
}
void put_no_data(std::string& out) {
  put_empty(out, 'n');
}
void put_portal_suspended(std::string& out) {
  put_empty(out, 's');
}
void put_copy_done(std::string& out) {
  put_empty(out, 'c');
}

void put_parameter_description(std::string& out,
                               const std::vector<uint32_t>& types) {
  auto at = begin(out, 't');
  put_i16(out, static_cast<int16_t>(types.size()));
  for (auto t : types)
    put_i32(out, static_cast<int32_t>(t));
  end(out, at);
}

namespace {
void put_copy_response(std::string& out, char type, bool binary,
                       int16_t columns) {
  auto at = begin(out, type);
  out.push_back(binary ? 1 : 0);
  put_i16(out, columns);
  for (int16_t i = 0; i < columns; ++i)
    put_i16(out, binary ? 1 : 0);
  end(out, at);
}
} // namespace

void put_copy_in(std::string& out, bool binary, int16_t columns) {
  put_copy_response(out, 'G', binary, columns);
}
void put_copy_out(std::string& out, bool binary, int16_t columns) {
  put_copy_response(out, 'H', binary, columns);
}
void put_copy_data(std::string& out, std::string_view data) {
  auto at = begin(out, 'd');
  out.append(data);
  end(out, at);
}

void put_error(std::string& out, const error_fields& e) {
  put_fields(out, 'E', e);
}
void put_notice(std::string& out, const error_fields& e) {
  put_fields(out, 'N', e);
}

} // namespace themis::pgwire
