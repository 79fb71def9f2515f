#include "handlers/changefeed_encoding.hpp"

#include <nlohmann/json.hpp>
#include <vector>

#include "themis/list_tokens.hpp"

namespace themis::ws {

std::string_view subprotocol_name(message_encoding e) {
  switch (e) {
    case message_encoding::msgpack:
      return "themis.changes.msgpack";
    case message_encoding::cbor:
      return "themis.changes.cbor";
    case message_encoding::json:
      break;
  }
  return "";
}

message_encoding pick_encoding(std::string_view offered) {
  auto enc = message_encoding::json;
  for_each_list_token(offered, [&](std::string_view tok) {
    if (tok == "themis.changes.msgpack")
      enc = message_encoding::msgpack;
    else if (tok == "themis.changes.cbor")
      enc = message_encoding::cbor;
    return enc == message_encoding::json;
  });
  return enc;
}

bool offers_subprotocol(std::string_view offered, std::string_view name) {
  bool found = false;
  for_each_list_token(offered, [&](std::string_view tok) {
    found = tok == name;
    return !found;
  });
  return found;
}

std::optional<std::string> encode_json_text(std::string_view json_text,
                                            message_encoding e) {
  // (server messages: produced by our own encoder, depth bounded there)
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded())
    return std::nullopt;
  std::string out;
  if (e == message_encoding::cbor)
    nlohmann::json::to_cbor(j, out);
  else
    nlohmann::json::to_msgpack(j, out);
  return out;
}

std::optional<std::string> decode_to_json_text(std::string_view bytes,
                                               message_encoding e) {
  if (bytes.size() > max_binary_client_message || e == message_encoding::json)
    return std::nullopt;
  nlohmann::json j;
  try {
    j =
      e == message_encoding::cbor
        ? nlohmann::json::from_cbor(bytes.begin(), bytes.end(), true, false)
        : nlohmann::json::from_msgpack(bytes.begin(), bytes.end(), true, false);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (j.is_discarded())
    return std::nullopt;
  // byte strings have no JSON text (iteratively: no recursion per level)
  std::vector<const nlohmann::json*> todo{&j};
  while (!todo.empty()) {
    auto* v = todo.back();
    todo.pop_back();
    if (v->is_binary())
      return std::nullopt;
    if (v->is_structured())
      for (auto& c : *v)
        todo.push_back(&c);
  }
  // invalid UTF-8 in strings: dump throws
  try {
    return j.dump();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace themis::ws
