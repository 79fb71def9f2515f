#include "engine/sql/pg_numeric_mag.hpp"

#include <algorithm>

namespace themis::sql::num::mag {

namespace {
constexpr uint32_t pow10[10] = {1,      10,      100,      1000,      10000,
                                100000, 1000000, 10000000, 100000000, base};
} // namespace

void trim(mag_t& a) {
  while (!a.empty() && a.back() == 0)
    a.pop_back();
}

int ndigits(const mag_t& a) {
  if (a.empty())
    return 0;
  int n = static_cast<int>(a.size() - 1) * 9;
  for (uint32_t top = a.back(); top; top /= 10)
    ++n;
  return n;
}

int digit_at(const mag_t& a, int pos) {
  auto limb = static_cast<size_t>(pos / 9);
  if (pos < 0 || limb >= a.size())
    return 0;
  return static_cast<int>(a[limb] / pow10[pos % 9] % 10);
}

int mag_cmp(const mag_t& a, const mag_t& b) {
  if (a.size() != b.size())
    return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;)
    if (a[i] != b[i])
      return a[i] < b[i] ? -1 : 1;
  return 0;
}

mag_t mag_add(const mag_t& a, const mag_t& b) {
  mag_t r(std::max(a.size(), b.size()) + 1, 0);
  uint32_t carry = 0;
  for (size_t i = 0; i + 1 < r.size(); ++i) {
    uint64_t s =
      uint64_t{carry} + (i < a.size() ? a[i] : 0) + (i < b.size() ? b[i] : 0);
    carry = s >= base;
    r[i] = static_cast<uint32_t>(carry ? s - base : s);
  }
  r.back() = carry;
  trim(r);
  return r;
}

mag_t mag_sub(const mag_t& a, const mag_t& b) {
  mag_t r(a.size(), 0);
  int64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t s = int64_t{a[i]} - (i < b.size() ? b[i] : 0) - borrow;
    borrow = s < 0;
    r[i] = static_cast<uint32_t>(borrow ? s + base : s);
  }
  trim(r);
  return r;
}

void mul_small_add(mag_t& a, uint32_t m, uint32_t add) {
  uint64_t carry = add;
  for (auto& x : a) {
    uint64_t p = uint64_t{x} * m + carry;
    x = static_cast<uint32_t>(p % base);
    carry = p / base;
  }
  while (carry) {
    a.push_back(static_cast<uint32_t>(carry % base));
    carry /= base;
  }
  trim(a);
}

uint32_t div_small(mag_t& a, uint32_t d) {
  uint64_t rem = 0;
  for (size_t i = a.size(); i-- > 0;) {
    uint64_t cur = rem * base + a[i];
    a[i] = static_cast<uint32_t>(cur / d);
    rem = cur % d;
  }
  trim(a);
  return static_cast<uint32_t>(rem);
}

mag_t mag_mul(const mag_t& a, const mag_t& b) {
  if (a.empty() || b.empty())
    return {};
  std::vector<uint64_t> acc(a.size() + b.size(), 0);
  for (size_t i = 0; i < a.size(); ++i) {
    uint64_t carry = 0;
    for (size_t j = 0; j < b.size(); ++j) {
      uint64_t cur = acc[i + j] + uint64_t{a[i]} * b[j] + carry;
      acc[i + j] = cur % base;
      carry = cur / base;
    }
    size_t k = i + b.size();
    while (carry) {
      uint64_t cur = acc[k] + carry;
      acc[k++] = cur % base;
      carry = cur / base;
    }
  }
  mag_t r(acc.begin(), acc.end());
  trim(r);
  return r;
}

void mag_divmod(const mag_t& a, const mag_t& b, mag_t& q, mag_t& r) {
  if (mag_cmp(a, b) < 0) {
    q.clear();
    r = a;
    return;
  }
  if (b.size() == 1) {
    q = a;
    auto rem = div_small(q, b[0]);
    r.clear();
    if (rem)
      r.push_back(rem);
    return;
  }
  // normalise so the divisor's top limb is >= base / 2
  uint32_t d = base / (b.back() + 1);
  mag_t u = a, v = b;
  size_t usize = u.size();
  mul_small_add(u, d);
  mul_small_add(v, d);
  u.resize(usize + 1, 0);
  size_t n = v.size(), m = u.size() - n;
  q.assign(m, 0);
  for (size_t j = m; j-- > 0;) {
    uint64_t num = uint64_t{u[j + n]} * base + u[j + n - 1];
    uint64_t qhat = num / v[n - 1], rhat = num % v[n - 1];
    while (qhat >= base || qhat * v[n - 2] > rhat * base + u[j + n - 2]) {
      --qhat;
      rhat += v[n - 1];
      if (rhat >= base)
        break;
    }
    int64_t borrow = 0;
    uint64_t carry = 0;
    for (size_t i = 0; i < n; ++i) {
      uint64_t p = qhat * v[i] + carry;
      carry = p / base;
      int64_t t = int64_t{u[i + j]} - static_cast<int64_t>(p % base) - borrow;
      borrow = t < 0;
      u[i + j] = static_cast<uint32_t>(borrow ? t + base : t);
    }
    int64_t t = int64_t{u[j + n]} - static_cast<int64_t>(carry) - borrow;
    if (t < 0) { // qhat was one too large: add the divisor back
      --qhat;
      uint64_t c = 0;
      for (size_t i = 0; i < n; ++i) {
        uint64_t s = uint64_t{u[i + j]} + v[i] + c;
        c = s >= base;
        u[i + j] = static_cast<uint32_t>(c ? s - base : s);
      }
      t += static_cast<int64_t>(c);
    }
    u[j + n] = static_cast<uint32_t>(t < 0 ? t + base : t);
    q[j] = static_cast<uint32_t>(qhat);
  }
  trim(q);
  r.assign(u.begin(), u.begin() + static_cast<std::ptrdiff_t>(n));
  trim(r);
  div_small(r, d);
}

mag_t shift_up(const mag_t& a, int k) {
  if (a.empty() || k <= 0)
    return a;
  mag_t r(static_cast<size_t>(k / 9), 0);
  r.insert(r.end(), a.begin(), a.end());
  mul_small_add(r, pow10[k % 9]);
  return r;
}

mag_t shift_down(const mag_t& a, int k, int& first) {
  first = 0;
  if (k <= 0)
    return a;
  first = digit_at(a, k - 1);
  auto limbs = static_cast<size_t>(k / 9);
  if (limbs >= a.size())
    return {};
  mag_t r(a.begin() + static_cast<std::ptrdiff_t>(limbs), a.end());
  div_small(r, pow10[k % 9]);
  return r;
}

mag_t from_decimal(std::string_view d) {
  mag_t r;
  r.reserve(d.size() / 9 + 1);
  for (size_t end = d.size(); end > 0;) {
    size_t begin = end >= 9 ? end - 9 : 0;
    uint32_t limb = 0;
    for (size_t i = begin; i < end; ++i)
      limb = limb * 10 + static_cast<uint32_t>(d[i] - '0');
    r.push_back(limb);
    end = begin;
  }
  trim(r);
  return r;
}

std::string to_decimal(const mag_t& a) {
  if (a.empty())
    return "";
  std::string out = std::to_string(a.back());
  for (size_t i = a.size() - 1; i-- > 0;) {
    auto s = std::to_string(a[i]);
    out.append(9 - s.size(), '0');
    out += s;
  }
  return out;
}

} // namespace themis::sql::num::mag
