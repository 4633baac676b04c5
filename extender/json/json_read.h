// Shared helpers for decoding Kubernetes and extender JSON with simdjson On-Demand.
//
// Conventions (mirroring Go's encoding/json, which produced the bytes):
//  * object keys match case-insensitively (ASCII folding); unknown keys are skipped;
//  * `null` decodes to the zero value for every field;
//  * a known field holding another JSON type is an error naming its field path.
// Errors carry a DecodeError with a path like "Pod.spec.containers[1].resources".
//
// Thread safety: functions are reentrant. ThreadParser() returns a parser owned by the
// calling thread; documents parsed with it are valid until its next use on that thread.
#pragma once

#include <simdjson.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "extender/json/decode_error.h"
#include "extender/json/request_body.h"
#include "extender/json/string_pairs.h"
#include "quota/resource_list.h"

namespace quotient::extender::json {

namespace od = simdjson::ondemand;

// A field path as a chain of stack frames: rendered only when an error is reported.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;  // object key, or empty for an array element
  int64_t index = -1;    // array index when key is empty
};
std::string Render(const Path* path);

// ASCII case-insensitive equality, as Go's encoding/json matches keys to field names.
bool KeyIs(std::string_view key, std::string_view field);

std::string_view TypeName(od::json_type type);

// Sets *error and returns false.
bool Fail(DecodeError* error, DecodeFailure failure, const Path* path, std::string_view what);
bool FailType(DecodeError* error, const Path* path, std::string_view expected, od::json_type got);
bool FailJson(DecodeError* error, const Path* path, simdjson::error_code code);

// The thread's parser, for a document of `bytes`. It grows to the largest document it
// has parsed (simdjson keeps some 2-6 bytes per byte of it), and is dropped, to grow again
// as needed, when it holds more than kThreadParserKeepBytes and nothing at least half its
// capacity came for kThreadParserShrinkAfter: one large body (up to limits.maxBodyBytes)
// does not pin its parser's memory on that io thread for the life of the process, and a
// steady stream of large bodies (full Node objects) keeps its capacity. Invalidates every
// document of this thread's parser, as a parse does.
od::parser& ThreadParser(size_t bytes);
// The same at `now` (tests).
od::parser& ThreadParser(size_t bytes, std::chrono::steady_clock::time_point now);
inline constexpr size_t kThreadParserKeepBytes = 8 << 20;
inline constexpr std::chrono::seconds kThreadParserShrinkAfter{60};

// Starts iterating `body` in place (its padding satisfies simdjson).
bool Iterate(const RequestBody& body, od::document* doc, DecodeError* error);
// After the root value was consumed: only whitespace may follow.
bool ExpectEnd(od::document& doc, DecodeError* error);

// Typed readers. Each returns false (with *error set) on a type mismatch; `null`
// yields the zero value and *is_null = true where offered.
bool ReadType(od::value& value, const Path* path, od::json_type* type, DecodeError* error);
bool ReadString(od::value& value, const Path* path, std::string_view* out, DecodeError* error);
// The same, copied into *out (a field the caller keeps beyond the parsed document).
bool ReadString(od::value& value, const Path* path, std::string* out, DecodeError* error);
bool ReadInt64(od::value& value, const Path* path, int64_t* out, DecodeError* error);
bool ReadStringMap(od::value& value, const Path* path, StringPairs* out, DecodeError* error);
// A map of resource name -> Quantity (string, or number as Go's Quantity accepts).
bool ReadResourceList(od::value& value, const Path* path, quota::ResourceList* out,
                      DecodeError* error);

// Opens `value` as an object; `null` gives *is_null = true and returns true.
bool OpenObject(od::value& value, const Path* path, od::object* out, bool* is_null,
                DecodeError* error);
bool OpenArray(od::value& value, const Path* path, od::array* out, bool* is_null,
               DecodeError* error);

// Iterates the fields of an object value, calling on_field(key, value, path) for each.
// `null` is an empty object. Returns false on error.
template <typename OnField>
bool ForEachField(od::value& value, const Path* path, DecodeError* error, OnField&& on_field) {
  od::object object;
  bool is_null = false;
  if (!OpenObject(value, path, &object, &is_null, error)) return false;
  if (is_null) return true;
  for (auto field_result : object) {
    od::field field;
    std::string_view key;
    if (auto code = std::move(field_result).get(field); code != simdjson::SUCCESS) {
      return FailJson(error, path, code);
    }
    if (auto code = field.unescaped_key().get(key); code != simdjson::SUCCESS) {
      return FailJson(error, path, code);
    }
    Path child{path, key};
    if (!on_field(key, field.value(), &child)) return false;
  }
  return true;
}

// Iterates array elements; `null` is an empty array.
template <typename OnElement>
bool ForEachElement(od::value& value, const Path* path, DecodeError* error,
                    OnElement&& on_element) {
  od::array array;
  bool is_null = false;
  if (!OpenArray(value, path, &array, &is_null, error)) return false;
  if (is_null) return true;
  int64_t index = 0;
  for (auto element_result : array) {
    od::value element;
    if (auto code = std::move(element_result).get(element); code != simdjson::SUCCESS) {
      return FailJson(error, path, code);
    }
    Path child{path, {}, index++};
    if (!on_element(element, &child)) return false;
  }
  return true;
}

}  // namespace quotient::extender::json
