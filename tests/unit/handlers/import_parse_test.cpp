/// The import reader (handlers/import_parse.hpp) and the streamed row
/// encoder (handlers/streaming_rows.hpp) against malformed and hostile
/// bodies: every bad item is an error of its own, never an exception, and
/// CSV round-trips what the encoder quotes.

#include <gtest/gtest.h>

#include "handlers/import_parse.hpp"
#include "handlers/streaming_query.hpp"
#include "handlers/streaming_rows.hpp"

using namespace themis;
using nlohmann::json;

namespace {

std::vector<import_item> read_all(const std::string& body, import_format f,
                                  std::string* open_error = nullptr) {
  import_reader r(body, f);
  if (open_error)
    *open_error = r.open_error();
  std::vector<import_item> out;
  import_item it;
  while (r.next(it))
    out.push_back(it);
  return out;
}

TEST(import_parse, ndjson_lines_and_errors) {
  std::string body = "{\"a\":1}\n\n  \r\n{bad\n[1]\n" + std::string(5000, '[') +
                     "\n{\"b\":\"x\"}\r\n\"s\"\n{\"c\":2}";
  auto items = read_all(body, import_format::ndjson);
  ASSERT_EQ(items.size(), 9u);
  EXPECT_EQ(items[0].doc, "{\"a\":1}");
  EXPECT_TRUE(items[1].empty);
  EXPECT_TRUE(items[2].empty);
  EXPECT_NE(items[3].error, "");
  EXPECT_EQ(items[4].error, "not a JSON object");
  EXPECT_NE(items[5].error.find("deeper"), std::string::npos);
  EXPECT_EQ(items[6].doc, "{\"b\":\"x\"}");
  EXPECT_EQ(items[6].line, 7u);
  EXPECT_EQ(items[7].error, "not a JSON object");
  EXPECT_EQ(items[8].doc, "{\"c\":2}");
  // the last line without a newline is read
  EXPECT_EQ(read_all("{\"z\":1}", import_format::ndjson).size(), 1u);
  EXPECT_TRUE(read_all("", import_format::ndjson).empty());
  // a NUL inside a line is malformed, not a truncated document
  EXPECT_NE(
    read_all(std::string("{}\0{\"x\":1}", 9), import_format::ndjson)[0].error,
    "");
}

TEST(import_parse, json_array) {
  std::string err;
  auto items =
    read_all("[{\"a\":1}, 2, \"x\", {\"b\":[1,2]}]", import_format::json_array);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].doc, "{\"a\":1}");
  EXPECT_NE(items[1].error, "");
  EXPECT_EQ(items[3].line, 4u);
  read_all("{\"a\":1}", import_format::json_array, &err);
  EXPECT_NE(err, "");
  read_all("[", import_format::json_array, &err);
  EXPECT_NE(err, "");
  read_all(std::string(100000, '['), import_format::json_array, &err);
  EXPECT_NE(err.find("deeper"), std::string::npos);
}

TEST(import_parse, csv_records_and_values) {
  std::string body = "_key,n,s,flag\r\n"
                     "k1,1,\"a,b\",true\r\n"
                     "k2,007,\"multi\nline \"\"q\"\"\",\r\n"
                     "\r\n"
                     "k3,1e3,x\r\n"
                     "k4,-0.5,\"unterminated\n";
  auto items = read_all(body, import_format::csv);
  ASSERT_EQ(items.size(), 5u);
  EXPECT_EQ(json::parse(items[0].doc),
            (json{{"_key", "k1"}, {"n", 1}, {"s", "a,b"}, {"flag", true}}));
  EXPECT_EQ(json::parse(items[1].doc),
            (json{{"_key", "k2"}, {"n", "007"}, {"s", "multi\nline \"q\""}}));
  EXPECT_EQ(items[1].line, 3u);
  EXPECT_TRUE(items[2].empty);
  EXPECT_NE(items[3].error, ""); // 3 fields, the header has 4
  EXPECT_NE(items[4].error, ""); // unterminated quote
  EXPECT_EQ(import_reader::csv_value("12"), json(12));
  EXPECT_EQ(import_reader::csv_value("1.5e2"), json(150.0));
  EXPECT_EQ(import_reader::csv_value("1e"), json("1e"));
  EXPECT_EQ(import_reader::csv_value("-"), json("-"));
  EXPECT_EQ(import_reader::csv_value("null"), json(nullptr));
  EXPECT_TRUE(import_reader::csv_value("").is_discarded());
  // a numeric key stays the key's text
  auto k = read_all("_key,v\n5,1\n", import_format::csv);
  EXPECT_EQ(json::parse(k[0].doc)["_key"], "5");
  std::string err;
  read_all("", import_format::csv, &err);
  EXPECT_NE(err, "");
  read_all("a,,b\n", import_format::csv, &err);
  EXPECT_NE(err, "");
  std::string wide;
  for (int i = 0; i < 1500; ++i)
    wide += "c" + std::to_string(i) + ",";
  read_all(wide + "\n", import_format::csv, &err);
  EXPECT_NE(err, "");
}

TEST(streaming_rows, formats_and_error_tails) {
  row_encoder nd(stream_format::ndjson);
  std::string out = nd.head();
  nd.add({{"a", 1}}, out);
  nd.add(json::array({1, 2}), out);
  EXPECT_EQ(out + nd.tail(2), "{\"a\":1}\n[1,2]\n");
  row_encoder js(stream_format::json_array);
  out = js.head();
  js.add(1, out);
  js.add("x", out);
  out += js.tail(2);
  EXPECT_EQ(json::parse(out),
            (json{{"result", {1, "x"}}, {"hasMore", false}, {"count", 2}}));
  row_encoder js2(stream_format::json_array);
  out = js2.head();
  js2.add(1, out);
  out += error_tail(stream_format::json_array, 400, "boom", "runtime", true);
  auto e = json::parse(out);
  EXPECT_TRUE(e["error"].get<bool>());
  EXPECT_EQ(e["status_code"], 400);
  row_encoder cv(stream_format::csv);
  out.clear();
  cv.add({{"b", "x,y"}, {"a", nullptr}, {"c", {{"n", 1}}}}, out);
  cv.add({{"a", 2}, {"z", 9}}, out);
  cv.add(5, out);
  EXPECT_EQ(out, "a,b,c\r\n,\"x,y\",\"{\"\"n\"\":1}\"\r\n2,,\r\n,,\r\n");
  EXPECT_EQ(csv_field("#not an error"), "\"#not an error\"");
  EXPECT_EQ(error_tail(stream_format::csv, 504, "late, very", "timeout", true),
            "#error,504,timeout,\"late, very\"\r\n");
  auto ndj =
    json::parse(error_tail(stream_format::ndjson, 500, "x", "internal", true));
  EXPECT_EQ(ndj["error_kind"], "internal");
}

} // namespace
