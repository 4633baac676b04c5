#include "extender/kube/list_watch_decode.h"

namespace quotient::extender::kube {
namespace {

namespace od = json::od;

bool Root(od::document& doc, od::value* root, std::string* error) {
  if (auto code = doc.get_value().get(*root); code != simdjson::SUCCESS) {
    *error = std::string("malformed JSON: ") + simdjson::error_message(code);
    return false;
  }
  return true;
}

// Reads a string field if it is one; other JSON types are ignored (not an error: an
// unrelated field of an object may share the name).
bool ReadOptionalString(od::value& value, std::string* out) {
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return false;
  if (type != od::json_type::string) return true;
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return false;
  *out = std::string(text);
  return true;
}

// metadata.resourceVersion (and metadata.continue when `continue_token` is not null).
bool ReadMetadata(od::value& value, const json::Path* path, std::string* resource_version,
                  std::string* continue_token, DecodeError* derr) {
  return json::ForEachField(
      value, path, derr, [&](std::string_view key, od::value& field, const json::Path* p) {
        if (json::KeyIs(key, "resourceVersion")) {
          if (!json::ReadString(field, p, resource_version, derr)) return false;
        } else if (continue_token != nullptr && json::KeyIs(key, "continue")) {
          if (!json::ReadString(field, p, continue_token, derr)) return false;
        }
        return true;
      });
}

WatchEventType TypeOf(std::string_view name) {
  if (name == "ADDED") return WatchEventType::kAdded;
  if (name == "MODIFIED") return WatchEventType::kModified;
  if (name == "DELETED") return WatchEventType::kDeleted;
  if (name == "BOOKMARK") return WatchEventType::kBookmark;
  if (name == "ERROR") return WatchEventType::kError;
  return WatchEventType::kUnknown;
}

}  // namespace

bool DecodeListPage(const RequestBody& body, const std::function<void(od::value&)>& on_item,
                    ListMeta* meta, std::string* error) {
  DecodeError derr;
  od::document doc;
  od::value root;
  if (!json::Iterate(body, &doc, &derr)) {
    *error = derr.message;
    return false;
  }
  if (!Root(doc, &root, error)) return false;
  const bool ok = json::ForEachField(
      root, nullptr, &derr, [&](std::string_view key, od::value& value, const json::Path* path) {
        if (json::KeyIs(key, "items")) {
          return json::ForEachElement(value, path, &derr, [&](od::value& item, const json::Path*) {
            on_item(item);
            return true;
          });
        }
        if (json::KeyIs(key, "metadata")) {
          return ReadMetadata(value, path, &meta->resource_version, &meta->continue_token, &derr);
        }
        return true;
      });
  if (!ok) *error = derr.message;
  return ok;
}

bool DecodeEventHead(const RequestBody& line, od::document* doc, WatchEventHead* head,
                     std::string* error) {
  DecodeError derr;
  od::value root;
  if (!json::Iterate(line, doc, &derr)) {
    *error = derr.message;
    return false;
  }
  if (!Root(*doc, &root, error)) return false;
  const bool ok = json::ForEachField(
      root, nullptr, &derr, [&](std::string_view key, od::value& value, const json::Path* path) {
        if (json::KeyIs(key, "type")) {
          std::string_view text;
          if (!json::ReadString(value, path, &text, &derr)) return false;
          head->type_name = std::string(text);
          head->type = TypeOf(text);
          return true;
        }
        if (!json::KeyIs(key, "object")) return true;
        head->has_object = true;
        return json::ForEachField(
            value, path, &derr, [&](std::string_view k, od::value& field, const json::Path* p) {
              if (json::KeyIs(k, "metadata")) {
                return ReadMetadata(field, p, &head->resource_version, nullptr, &derr);
              }
              if (json::KeyIs(k, "code")) {  // a Status (ERROR events)
                od::json_type type{};
                if (field.type().get(type) == simdjson::SUCCESS && type == od::json_type::number) {
                  return json::ReadInt64(field, p, &head->status_code, &derr);
                }
                return true;
              }
              if (json::KeyIs(k, "reason")) return ReadOptionalString(field, &head->status_reason);
              if (json::KeyIs(k, "message")) {
                return ReadOptionalString(field, &head->status_message);
              }
              return true;
            });
      });
  if (!ok) {
    *error = derr.message.empty() ? "malformed watch event" : derr.message;
    return false;
  }
  if (head->type_name.empty()) {
    *error = "watch event without a type";
    return false;
  }
  return true;
}

bool DecodeEventObject(od::document& doc, const std::function<bool(od::value&)>& on_object,
                       std::string* error) {
  doc.rewind();
  DecodeError derr;
  od::value root;
  if (!Root(doc, &root, error)) return false;
  bool found = false;
  bool answer = false;
  const bool ok = json::ForEachField(
      root, nullptr, &derr, [&](std::string_view key, od::value& value, const json::Path*) {
        if (found || !json::KeyIs(key, "object")) return true;
        found = true;
        answer = on_object(value);
        return true;
      });
  if (!ok && !found) {
    *error = derr.message;
    return false;
  }
  // A walk error after the object was handed on does not undo it.
  return found && answer;
}

}  // namespace quotient::extender::kube
