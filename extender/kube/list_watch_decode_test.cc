#include "extender/kube/list_watch_decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "extender/kube/kube_test_util.h"

namespace quotient::extender::kube {
namespace {

namespace od = json::od;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string NameOf(od::value& object) {
  std::string name;
  DecodeError error;
  json::ForEachField(
      object, nullptr, &error, [&](std::string_view key, od::value& v, const json::Path* p) {
        if (!json::KeyIs(key, "metadata")) return true;
        return json::ForEachField(
            v, p, &error, [&](std::string_view k, od::value& f, const json::Path* fp) {
              std::string_view text;
              if (json::KeyIs(k, "name") && json::ReadString(f, fp, &text, &error)) name = text;
              return true;
            });
      });
  return name;
}

struct PageCase {
  std::string name;
  std::string json;
  std::vector<std::string> items;
  std::string resource_version;
  std::string continue_token;
};

class DecodeListPageTest : public ::testing::TestWithParam<PageCase> {};

TEST_P(DecodeListPageTest, ReadsItemsAndListMetadata) {
  const PageCase& c = GetParam();
  const RequestBody body = RequestBody::Copy(c.json);
  std::vector<std::string> names;
  ListMeta meta;
  std::string error;
  ASSERT_TRUE(DecodeListPage(
      body, [&](od::value& item) { names.push_back(NameOf(item)); }, &meta, &error))
      << error;
  EXPECT_EQ(names, c.items);
  EXPECT_EQ(meta.resource_version, c.resource_version);
  EXPECT_EQ(meta.continue_token, c.continue_token);
}

INSTANTIATE_TEST_SUITE_P(
    Pages, DecodeListPageTest,
    ::testing::Values(
        PageCase{"metadata before items",
                 R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42",)"
                 R"("continue":"tok"},"items":[{"metadata":{"name":"a"}},)"
                 R"({"metadata":{"name":"b"},"spec":{"x":[1,2]}}]})",
                 {"a", "b"},
                 "42",
                 "tok"},
        PageCase{"items before metadata",
                 R"({"items":[{"metadata":{"name":"a"}}],"metadata":{"resourceVersion":"7"}})",
                 {"a"},
                 "7",
                 ""},
        PageCase{
            "null items", R"({"metadata":{"resourceVersion":"1"},"items":null})", {}, "1", ""}),
    testing::SentenceName());

TEST(DecodeListPageTest, RefusesAPageThatIsNotJson) {
  const RequestBody body = RequestBody::Copy("<html>");
  ListMeta meta;
  std::string error;
  EXPECT_FALSE(DecodeListPage(
      body, [](od::value&) {}, &meta, &error));
  EXPECT_FALSE(error.empty());
}

struct EventCase {
  std::string name;
  std::string line;
  WatchEventType type;
  std::string resource_version;
  std::string object_name;  // from the second pass
};

class DecodeEventTest : public ::testing::TestWithParam<EventCase> {};

TEST_P(DecodeEventTest, ReadsTheHeadThenHandsOnTheObject) {
  const EventCase& c = GetParam();
  const RequestBody line = RequestBody::Copy(c.line);
  od::document doc;
  WatchEventHead head;
  std::string error;
  ASSERT_TRUE(DecodeEventHead(line, &doc, &head, &error)) << error;
  EXPECT_EQ(head.type, c.type);
  EXPECT_EQ(head.resource_version, c.resource_version);
  std::string name;
  const bool handed = DecodeEventObject(
      doc,
      [&](od::value& object) {
        name = NameOf(object);
        return true;
      },
      &error);
  EXPECT_TRUE(handed);
  EXPECT_EQ(name, c.object_name);
}

INSTANTIATE_TEST_SUITE_P(
    Events, DecodeEventTest,
    ::testing::Values(
        EventCase{"type first",
                  R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})",
                  WatchEventType::kAdded, "5", "a"},
        EventCase{"object first",
                  R"({"object":{"metadata":{"resourceVersion":"6","name":"b"}},"type":"MODIFIED"})",
                  WatchEventType::kModified, "6", "b"},
        EventCase{"a deletion",
                  R"({"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"c",)"
                  R"("resourceVersion":"9"},"status":{"reason":"x"}}})",
                  WatchEventType::kDeleted, "9", "c"},
        EventCase{
            "a bookmark",
            R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"77"}}})",
            WatchEventType::kBookmark, "77", ""},
        EventCase{"an unknown type", R"({"type":"SURPRISE","object":{"metadata":{"name":"d"}}})",
                  WatchEventType::kUnknown, "", "d"}),
    testing::SentenceName());

TEST(DecodeEventTest, ReadsTheStatusOfAnErrorEvent) {
  const RequestBody line = RequestBody::Copy(
      R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)"
      R"j("status":"Failure","message":"too old resource version: 5 (10)","reason":"Expired",)j"
      R"("code":410}})");
  od::document doc;
  WatchEventHead head;
  std::string error;
  ASSERT_TRUE(DecodeEventHead(line, &doc, &head, &error)) << error;
  EXPECT_EQ(head.type, WatchEventType::kError);
  EXPECT_EQ(head.status_code, 410);
  EXPECT_EQ(head.status_reason, "Expired");
  EXPECT_THAT(head.status_message, HasSubstr("too old resource version"));
}

TEST(DecodeEventTest, RefusesLinesThatAreNotEvents) {
  for (const char* text : {"not json", "[1,2,3]", R"({"object":{}})", R"({"type":5})",
                           R"({"type":"ADDED","object":{"metadata":{"name":)"}) {
    const RequestBody line = RequestBody::Copy(text);
    od::document doc;
    WatchEventHead head;
    std::string error;
    EXPECT_FALSE(DecodeEventHead(line, &doc, &head, &error)) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
}

}  // namespace
}  // namespace quotient::extender::kube
