/// array_send / array_recv: int32 ndim, int32 has-null flag, uint32
/// element type, per dimension int32 length and int32 lower bound, then
/// each element as int32 length (-1: NULL) and its bytes in the element
/// type's own binary form (pg_binary.cpp). Every length is checked against
/// the bytes left, so no malformed input reads past the message or
/// allocates more than it could hold.

#include <string>
#include <vector>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_types.hpp"

namespace themis::sql {

using json = nlohmann::json;

namespace {

void put32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

[[noreturn]] void bad(const std::string& why) {
  throw sql_error("22P03", why);
}

class reader {
public:
  explicit reader(std::string_view b) : b_(b) {}
  int32_t i32() {
    if (b_.size() - pos_ < 4)
      bad("insufficient data left in message");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k)
      v = (v << 8) | static_cast<unsigned char>(b_[pos_++]);
    return static_cast<int32_t>(v);
  }
  std::string_view bytes(size_t n) {
    if (b_.size() - pos_ < n)
      bad("insufficient data left in message");
    auto out = b_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  size_t left() const { return b_.size() - pos_; }

private:
  std::string_view b_;
  size_t pos_ = 0;
};

void flatten(const json& j, std::vector<const json*>& out) {
  if (!j.is_array()) {
    out.push_back(&j);
    return;
  }
  for (auto& x : j) // depth ≤ 6 (array_tree checked it)
    flatten(x, out);
}

} // namespace

std::string array_to_binary(const value& v, uint32_t arr) {
  auto elem = element_type_of(arr);
  auto tree = array_tree(v, elem);
  auto dims = array_dims(tree);
  std::vector<const json*> items;
  if (!dims.empty())
    flatten(tree, items);
  bool has_null = false;
  for (auto* x : items)
    has_null = has_null || x->is_null();
  std::string out;
  put32(out, static_cast<uint32_t>(dims.size()));
  put32(out, has_null ? 1 : 0);
  put32(out, elem);
  // int2vector/oidvector count from 0, as PostgreSQL's do
  bool vec = arr == oid::int2vector || arr == oid::oidvector;
  for (auto d : dims) {
    put32(out, static_cast<uint32_t>(d));
    put32(out, vec ? 0 : 1);
  }
  for (auto* x : items) {
    if (x->is_null()) {
      put32(out, 0xffffffffu);
      continue;
    }
    auto e = to_binary(element_value(*x), elem);
    put32(out, static_cast<uint32_t>(e.size()));
    out += e;
  }
  return out;
}

value array_from_binary(std::string_view b, uint32_t arr) {
  auto elem = element_type_of(arr);
  reader r(b);
  auto ndim = r.i32();
  auto flags = r.i32();
  auto et = static_cast<uint32_t>(r.i32());
  if (ndim < 0)
    bad("invalid number of dimensions: " + std::to_string(ndim));
  if (ndim > max_array_dims)
    throw sql_error("54000", "number of array dimensions (" +
                               std::to_string(ndim) +
                               ") exceeds the maximum allowed (" +
                               std::to_string(max_array_dims) + ")");
  if (flags != 0 && flags != 1)
    bad("invalid array flags");
  if (et != elem)
    throw sql_error("42804", "binary data has array element type " +
                               std::to_string(et) + " (" + type_name(et) +
                               ") instead of expected " + std::to_string(elem) +
                               " (" + type_name(elem) + ")");
  std::vector<int64_t> dims;
  int64_t total = ndim ? 1 : 0;
  bool vec = arr == oid::int2vector || arr == oid::oidvector;
  for (int k = 0; k < ndim; ++k) {
    int64_t n = r.i32(), lb = r.i32();
    if (n < 0)
      bad("array size exceeds the maximum allowed");
    if (lb != (vec ? 0 : 1) && n > 0)
      throw sql_error("0A000",
                      "array lower bounds other than 1 are not supported");
    dims.push_back(n);
    total *= n;
    // every element takes at least its 4-byte length
    if (total > static_cast<int64_t>(r.left() / 4) + 1)
      bad("insufficient data left in message");
  }
  std::vector<json> flat;
  flat.reserve(static_cast<size_t>(total));
  for (int64_t k = 0; k < total; ++k) {
    auto len = r.i32();
    if (len == -1) {
      flat.emplace_back(nullptr);
      continue;
    }
    if (len < 0)
      bad("insufficient data left in message");
    flat.push_back(
      element_json(from_binary(r.bytes(static_cast<size_t>(len)), elem), elem));
  }
  if (r.left())
    bad("incorrect binary data format in array");
  if (total == 0)
    return value::of_text("[]");
  // rebuild the nesting, innermost dimension first
  for (size_t d = dims.size(); d-- > 1;) {
    std::vector<json> up;
    auto n = static_cast<size_t>(dims[d]);
    for (size_t k = 0; k < flat.size(); k += n) {
      json a = json::array();
      for (size_t m = 0; m < n; ++m)
        a.push_back(std::move(flat[k + m]));
      up.push_back(std::move(a));
    }
    flat = std::move(up);
  }
  json top = json::array();
  for (auto& x : flat)
    top.push_back(std::move(x));
  return value::of_text(array_json(top));
}

} // namespace themis::sql
