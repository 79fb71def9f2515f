/// The changefeed's binary encodings: subprotocol choice, JSON text ↔
/// MessagePack/CBOR, and hostile client input (bad bytes, too big, deep).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "handlers/changefeed_encoding.hpp"

using namespace themis::ws;

TEST(ws_encoding, pick) {
  EXPECT_EQ(pick_encoding(""), message_encoding::json);
  EXPECT_EQ(pick_encoding("foo, themis.changes.cbor"), message_encoding::cbor);
  EXPECT_EQ(pick_encoding("themis.changes.msgpack,themis.changes.cbor"),
            message_encoding::msgpack);
  EXPECT_EQ(pick_encoding("themis.changes.msgpackx"), message_encoding::json);
  EXPECT_EQ(subprotocol_name(message_encoding::cbor), "themis.changes.cbor");
}

TEST(ws_encoding, offers) {
  EXPECT_TRUE(offers_subprotocol("a, themis.changes.json", json_subprotocol));
  EXPECT_TRUE(offers_subprotocol(" themis.changes.json\t", json_subprotocol));
  EXPECT_FALSE(offers_subprotocol("themis.changes.jsonx", json_subprotocol));
  EXPECT_FALSE(offers_subprotocol("", json_subprotocol));
}

TEST(ws_encoding, round_trips) {
  std::string text =
    R"({"sequence":42,"type":"PUT","doc":{"a":[1,2.5,"x",null,true]}})";
  for (auto e : {message_encoding::msgpack, message_encoding::cbor}) {
    auto bin = encode_json_text(text, e);
    ASSERT_TRUE(bin);
    auto j = e == message_encoding::cbor ? nlohmann::json::from_cbor(*bin)
                                         : nlohmann::json::from_msgpack(*bin);
    EXPECT_EQ(j, nlohmann::json::parse(text));
    auto back = decode_to_json_text(*bin, e);
    ASSERT_TRUE(back);
    EXPECT_EQ(nlohmann::json::parse(*back), nlohmann::json::parse(text));
  }
  EXPECT_FALSE(encode_json_text("{not json", message_encoding::msgpack));
}

TEST(ws_encoding, hostile_client_messages) {
  for (auto e : {message_encoding::msgpack, message_encoding::cbor}) {
    EXPECT_FALSE(decode_to_json_text("\xc1", e));     // reserved / bad
    EXPECT_FALSE(decode_to_json_text("\x92\x01", e)); // truncated
    EXPECT_FALSE(decode_to_json_text(std::string(5000, '\x91'), e)); // big
    // nesting as deep as the size bound allows: decoded or refused, no crash
    std::string deep(max_binary_client_message - 1,
                     e == message_encoding::cbor ? '\x81' : '\x91');
    deep.push_back('\x01');
    auto r = decode_to_json_text(deep, e);
    (void)r;
    // a binary string (msgpack bin / cbor bytes) has no JSON text
    auto bin = e == message_encoding::cbor ? std::string("\x41\x00", 2)
                                           : std::string("\xc4\x01\x00", 3);
    EXPECT_FALSE(decode_to_json_text(bin, e));
  }
  EXPECT_FALSE(decode_to_json_text("x", message_encoding::json));
}
