#include "extender/objects/node_decode.h"

namespace quotient::extender::state {
namespace {

namespace od = simdjson::ondemand;
using json::ForEachField;
using json::KeyIs;
using json::Path;

bool DecodeMetadata(od::value& value, const Path* path, NodeInfo* node, DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "name")) {
      std::string_view name;
      if (!json::ReadString(v, p, &name, error)) return false;
      node->name.assign(name);
      return true;
    }
    if (KeyIs(key, "labels")) return json::ReadStringMap(v, p, &node->labels, error);
    if (KeyIs(key, "annotations")) return json::ReadStringMap(v, p, &node->annotations, error);
    return true;
  });
}

bool DecodeSpec(od::value& value, const Path* path, NodeInfo* node, DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (!KeyIs(key, "unschedulable")) return true;
    od::json_type type{};
    if (!json::ReadType(v, p, &type, error)) return false;
    if (type == od::json_type::null) return true;
    if (type != od::json_type::boolean) return json::FailType(error, p, "boolean", type);
    bool flag = false;
    if (auto code = v.get_bool().get(flag); code != simdjson::SUCCESS) {
      return json::FailJson(error, p, code);
    }
    node->unschedulable = flag;
    return true;
  });
}

bool DecodeStatus(od::value& value, const Path* path, quota::ResourceList* allocatable,
                  quota::ResourceList* capacity, DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "allocatable")) return json::ReadResourceList(v, p, allocatable, error);
    if (KeyIs(key, "capacity")) return json::ReadResourceList(v, p, capacity, error);
    return true;
  });
}

}  // namespace

bool DecodeNodeObject(od::value& value, const Path* path, NodeInfo* out, DecodeError* error) {
  *out = NodeInfo{};
  quota::ResourceList capacity;
  bool has_allocatable = false;
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "metadata")) return DecodeMetadata(v, p, out, error);
        if (KeyIs(key, "spec")) return DecodeSpec(v, p, out, error);
        if (KeyIs(key, "status")) {
          quota::ResourceList allocatable;
          if (!DecodeStatus(v, p, &allocatable, &capacity, error)) return false;
          has_allocatable = !allocatable.empty();
          out->allocatable = std::move(allocatable);
        }
        return true;
      });
  if (!ok) return false;
  if (out->name.empty()) {
    return json::Fail(error, DecodeFailure::kMissingField, path, "metadata.name missing");
  }
  if (!has_allocatable) out->allocatable = std::move(capacity);
  return true;
}

}  // namespace quotient::extender::state
