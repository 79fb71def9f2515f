#include "auth/saml/assertion_checks.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace themis::auth::saml {

namespace {

bool digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size())
    return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

check_result fail(check_status s, std::string msg) {
  check_result r;
  r.status = s;
  r.message = std::move(msg);
  return r;
}

std::string clocks(int64_t now_s, int64_t skew_s) {
  return "; server time " + format_saml_time(now_s) + ", allowed clock skew " +
         std::to_string(skew_s) +
         " s (saml.clock_skew_s): check the clocks of the IdP and of this "
         "server";
}

} // namespace

std::optional<int64_t> parse_saml_time(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || s.size() > 40 || !digits(s, 0, 4, y) || s[4] != '-' ||
      !digits(s, 5, 2, mo) || s[7] != '-' || !digits(s, 8, 2, d) ||
      s[10] != 'T' || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return std::nullopt;
  size_t i = 19;
  if (s[i] == '.') { // fractional seconds are ignored
    ++i;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    if (i == start)
      return std::nullopt;
  }
  int64_t offset = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digits(s, i + 4, 2, om) || oh > 14 || om > 59)
      return std::nullopt;
    offset = (s[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    i += 6;
  } else {
    return std::nullopt; // SAML requires UTC; no zone is ambiguous
  }
  if (i != s.size())
    return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y},
                                  std::chrono::month{static_cast<unsigned>(mo)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) // 31 April, 29 February of a common year
    return std::nullopt;
  int64_t days = std::chrono::sys_days{ymd}.time_since_epoch().count();
  return days * 86400 + h * 3600 + mi * 60 + se - offset;
}

std::string format_saml_time(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

check_result check_assertion(const assertion_facts& f,
                             const check_expectations& e, int64_t now_s) {
  if (f.id.empty() || f.name_id.empty())
    return fail(check_status::malformed, "the assertion has no ID or NameID");
  // SAML core §2.3.3: an assertion MUST name its Issuer
  if (f.issuer.empty() ||
      (!e.idp_entity_id.empty() && f.issuer != e.idp_entity_id))
    return fail(check_status::wrong_issuer,
                "the assertion's issuer is not the configured IdP");
  // Destination is required on a signed response (SAML core §3.2.2); an
  // unsigned response with a signed assertion may omit it
  if (!f.response_destination.empty() && f.response_destination != e.acs_url)
    return fail(check_status::wrong_destination,
                "the response's Destination is not this SP's ACS URL " +
                  e.acs_url);
  if (!f.bearer)
    return fail(check_status::no_bearer,
                "the assertion has no bearer SubjectConfirmation");
  if (f.sc_recipient != e.acs_url)
    return fail(check_status::wrong_recipient,
                "the SubjectConfirmation's Recipient is not this SP's ACS "
                "URL " +
                  e.acs_url);
  // SAML core §2.5.1.4: several AudienceRestriction elements must ALL be
  // met (Lasso keeps one Audience per restriction)
  if (f.audience_restrictions == 0 ||
      std::any_of(f.audiences.begin(), f.audiences.end(),
                  [&](const std::string& a) { return a != e.sp_entity_id; }))
    return fail(check_status::wrong_audience,
                "the assertion's audience is not this SP (" + e.sp_entity_id +
                  ")");
  if (!f.response_in_response_to.empty() &&
      f.response_in_response_to != f.sc_in_response_to)
    return fail(check_status::in_response_mismatch,
                "the response's and the assertion's InResponseTo differ");

  // the windows: Conditions, and the bearer confirmation's NotOnOrAfter
  // (required by the Web SSO profile)
  if (f.sc_not_on_or_after.empty())
    return fail(check_status::malformed,
                "the SubjectConfirmationData has no NotOnOrAfter");
  int64_t until = INT64_MAX;
  for (auto* t : {&f.sc_not_on_or_after, &f.not_on_or_after}) {
    if (t->empty())
      continue;
    auto v = parse_saml_time(*t);
    if (!v)
      return fail(check_status::malformed, "malformed time '" + *t + "'");
    until = std::min(until, *v);
  }
  if (now_s >= until + e.skew_s)
    return fail(check_status::expired, "the assertion expired at " +
                                         format_saml_time(until) +
                                         clocks(now_s, e.skew_s));
  if (!f.not_before.empty()) {
    auto nb = parse_saml_time(f.not_before);
    if (!nb)
      return fail(check_status::malformed,
                  "malformed time '" + f.not_before + "'");
    if (now_s + e.skew_s < *nb)
      return fail(check_status::not_yet_valid,
                  "the assertion is not valid before " + format_saml_time(*nb) +
                    clocks(now_s, e.skew_s));
  }
  check_result ok;
  ok.valid_until_s = until + e.skew_s;
  ok.in_response_to = f.sc_in_response_to;
  return ok;
}

} // namespace themis::auth::saml
