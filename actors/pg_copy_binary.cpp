#include "actors/pg_copy_binary.hpp"

#include <cstdint>

#include "engine/sql/pg_types.hpp"
#include "engine/sql/translator.hpp"

namespace themis::pgcopy {

namespace {

constexpr std::string_view signature{"PGCOPY\n\377\r\n\0", 11};

void put_be(std::string& out, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t get_be(std::string_view b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

[[noreturn]] void bad(const std::string& why) {
  throw sql::sql_error("22P04", why);
}

} // namespace

std::string binary_header() {
  std::string h(signature);
  put_be(h, 0, 4); // flags: no OIDs
  put_be(h, 0, 4); // no header extension
  return h;
}

std::string binary_tuple(const std::vector<sql::value>& row,
                         const std::vector<uint32_t>& oids) {
  std::string out;
  put_be(out, static_cast<uint32_t>(row.size()), 2);
  for (size_t i = 0; i < row.size(); ++i) {
    if (row[i].is_null()) {
      put_be(out, 0xffffffffu, 4);
      continue;
    }
    auto f = sql::to_binary(row[i], oids[i]);
    put_be(out, static_cast<uint32_t>(f.size()), 4);
    out += f;
  }
  return out;
}

std::string binary_trailer() {
  return std::string("\xff\xff", 2);
}

void parse_binary(std::string_view buf, size_t& pos, bool final,
                  bool& header_done, bool& ended,
                  const std::vector<uint32_t>& oids,
                  std::vector<std::vector<sql::value>>& rows) {
  if (!header_done) {
    if (buf.size() - pos < signature.size() + 8) {
      if (final)
        bad("COPY file signature not recognized");
      return;
    }
    if (buf.substr(pos, signature.size()) != signature)
      bad("COPY file signature not recognized");
    auto flags = get_be(buf, pos + signature.size(), 4);
    if (flags & 0x10000)
      throw sql::sql_error("0A000", "COPY with OIDs is not supported");
    if (flags & 0xfffe0000u)
      bad("unrecognized critical flags in COPY file header");
    auto ext = get_be(buf, pos + signature.size() + 4, 4);
    if (buf.size() - pos < signature.size() + 8 + ext) {
      if (final)
        bad("invalid COPY file header (wrong length)");
      return;
    }
    pos += signature.size() + 8 + ext; // the extension is skipped
    header_done = true;
  }
  while (!ended && pos < buf.size()) {
    // a tuple is decoded only once all of it has arrived
    size_t at = pos;
    if (buf.size() - at < 2)
      break;
    auto count = static_cast<int16_t>(get_be(buf, at, 2));
    at += 2;
    if (count == -1) {
      ended = true;
      pos = at;
      return;
    }
    if (count != static_cast<int16_t>(oids.size()))
      bad("row field count is " + std::to_string(count) + ", expected " +
          std::to_string(oids.size()));
    std::vector<sql::value> row;
    bool complete = true;
    for (size_t i = 0; i < oids.size(); ++i) {
      if (buf.size() - at < 4) {
        complete = false;
        break;
      }
      auto len = static_cast<int32_t>(get_be(buf, at, 4));
      at += 4;
      if (len == -1) {
        row.emplace_back();
        continue;
      }
      if (len < 0)
        bad("invalid field size");
      if (buf.size() - at < static_cast<size_t>(len)) {
        complete = false;
        break;
      }
      row.push_back(sql::from_binary(buf.substr(at, len), oids[i]));
      at += static_cast<size_t>(len);
    }
    if (!complete)
      break;
    rows.push_back(std::move(row));
    pos = at;
  }
  if (final && !ended && pos < buf.size())
    bad("unexpected EOF in COPY data");
}

} // namespace themis::pgcopy
