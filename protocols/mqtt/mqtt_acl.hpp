#pragma once
/// Topic access control in mosquitto's acl_file syntax, so an ACL written
/// for mosquitto works unchanged:
///
///     # comment
///     topic read $SYS/#          (before any `user` line: anonymous clients)
///     user alice
///     topic readwrite devices/#  (alice only)
///     pattern write devices/%c/# (every client; %c client id, %u user name)
///     topic deny devices/secret/#
///
/// Access is read, write, readwrite (the default) or deny; a matching deny
/// wins. With rules configured everything not granted is refused; with
/// none, everything is allowed. A SUBSCRIBE filter is granted when a read
/// rule covers all of it (`devices/+/t` under `devices/#`), and each
/// message is still checked against the deny rules when it is delivered.
/// Lines may be separated by newlines or ';' (for a one-line setting).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace themis::mqtt {

enum class acl_access : uint8_t {
  read = 1,
  write = 2,
  readwrite = 3,
  deny = 4
};

struct acl_rule {
  std::string filter;
  acl_access access = acl_access::readwrite;
};

/// The rules of one connected client (user section + substituted
/// patterns). A default-constructed set allows everything.
class acl_rules {
public:
  acl_rules() = default;
  explicit acl_rules(std::vector<acl_rule> rules) :
    enabled_(true), rules_(std::move(rules)) {}

  bool can_publish(std::string_view topic) const {
    return allows(topic, acl_access::write);
  }
  /// Every topic `filter` can match is readable.
  bool can_subscribe(std::string_view filter) const;
  bool can_read(std::string_view topic) const {
    return allows(topic, acl_access::read);
  }
  bool enabled() const { return enabled_; }
  /// A tenant's client (issue 9): the broker sees its topics under
  /// `prefix` ("$tenants/acme/"), its rules speak of its own names; the
  /// prefix is removed before matching.
  void set_namespace(std::string prefix) { ns_ = std::move(prefix); }

private:
  /// A matching deny refuses; else some matching rule must grant `want`.
  bool allows(std::string_view topic, acl_access want) const;
  std::string_view local(std::string_view t) const {
    if (!ns_.empty() && t.substr(0, ns_.size()) == ns_)
      t.remove_prefix(ns_.size());
    return t;
  }
  bool enabled_ = false;
  std::vector<acl_rule> rules_;
  std::string ns_;
};

class acl {
public:
  /// Parses the text; on a bad line returns nullopt and says which.
  static std::optional<acl> parse(std::string_view text, std::string& error);
  bool empty() const {
    return anonymous_.empty() && users_.empty() && patterns_.empty();
  }
  /// The rules for a client: its user's (or the anonymous) topic rules and
  /// every pattern, with %c and %u replaced (in topic lines too, unlike
  /// mosquitto, so a per-user rule can name the client's own subtree). A
  /// pattern whose substitution is missing, or contains '/', '+' or '#', does
  /// not apply (a client id like "a/#" must not widen its own access).
  std::shared_ptr<const acl_rules>
  for_client(const std::optional<std::string>& user,
             const std::string& client_id) const;

private:
  std::vector<acl_rule> anonymous_;
  std::vector<std::pair<std::string, std::vector<acl_rule>>> users_;
  std::vector<acl_rule> patterns_;
};

/// Whether every topic `inner` can match is matched by `outer` (both
/// filters; '$' topics are not under a leading wildcard).
bool filter_covers(std::string_view outer, std::string_view inner);

} // namespace themis::mqtt
