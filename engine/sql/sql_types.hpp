#pragma once
/// Plain data of the SQL layer: values as SQLite holds them, column
/// descriptors with PostgreSQL type OIDs, statement results and errors that
/// carry a SQLSTATE. No parser, no SQLite handle: handlers and the
/// PostgreSQL front-end exchange these.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace themis::sql {

/// A value as SQLite stores it.
struct value {
  enum class kind : uint8_t { null, integer, real, text, blob };
  kind k = kind::null;
  int64_t i = 0;
  double d = 0;
  std::string s; ///< text or blob bytes

  static value null_value() { return {}; }
  static value of(int64_t v) {
    value x;
    x.k = kind::integer;
    x.i = v;
    return x;
  }
  static value of_real(double v) {
    value x;
    x.k = kind::real;
    x.d = v;
    return x;
  }
  static value of_text(std::string v) {
    value x;
    x.k = kind::text;
    x.s = std::move(v);
    return x;
  }
  bool is_null() const { return k == kind::null; }
};

using row = std::vector<value>;

struct column {
  std::string name;
  uint32_t type_oid = 25; ///< PostgreSQL type OID (text when unknown)
  uint32_t table_oid = 0;
  int16_t attnum = 0;
  int32_t typmod = -1; ///< numeric(p,s), varchar(n): RowDescription's
};

/// A failure with the SQLSTATE the client sees.
class sql_error : public std::runtime_error {
public:
  sql_error(std::string sqlstate, const std::string& message,
            int32_t position = 0) :
    std::runtime_error(message),
    sqlstate_(std::move(sqlstate)), position_(position) {}
  const std::string& sqlstate() const { return sqlstate_; }
  int32_t position() const { return position_; }

private:
  std::string sqlstate_;
  int32_t position_;
};

} // namespace themis::sql
