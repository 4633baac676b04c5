// Decoding of list pages and watch event lines (simdjson On-Demand, keys in any order,
// matched as Go's encoding/json matches them). Objects are not decoded here: they are
// handed on as simdjson values, for an ObjectSink to decode.
//
// Thread safety: reentrant; each call parses with the calling thread's parser
// (json::ThreadParser), so a value handed out is valid only during the callback.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "extender/json/json_read.h"
#include "extender/json/request_body.h"

namespace quotient::extender::kube {

// The list's own metadata (a list's resourceVersion is what a watch resumes from).
struct ListMeta {
  std::string resource_version;
  std::string continue_token;  // empty on the last page
};

// Iterates `items`, calling on_item for each, and reads metadata.resourceVersion and
// metadata.continue. False with *error when the page is not a list JSON object.
bool DecodeListPage(const RequestBody& body, const std::function<void(json::od::value&)>& on_item,
                    ListMeta* meta, std::string* error);

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError, kUnknown };

// What a first pass over a watch event line finds: its type, the object's
// metadata.resourceVersion, and for ERROR events the Status' code and reason.
struct WatchEventHead {
  WatchEventType type = WatchEventType::kUnknown;
  std::string type_name;
  bool has_object = false;
  std::string resource_version;
  int64_t status_code = 0;
  std::string status_reason;
  std::string status_message;
};

// Parses `line` into *doc and reads its head. False with *error when the line is not a
// JSON object (the caller skips it). *doc then stays valid for DecodeEventObject.
bool DecodeEventHead(const RequestBody& line, json::od::document* doc, WatchEventHead* head,
                     std::string* error);

// Second pass over the same document (rewound): calls on_object with "object".
// Returns on_object's answer; false with *error when the JSON cannot be walked.
bool DecodeEventObject(json::od::document& doc,
                       const std::function<bool(json::od::value&)>& on_object, std::string* error);

}  // namespace quotient::extender::kube
