#include "extender/wire/wire_codec.h"

#include <fmt/format.h>

#include <algorithm>

#include "extender/json/json_read.h"
#include "extender/objects/pod_decode.h"

namespace quotient::extender {
namespace {

namespace od = simdjson::ondemand;
using json::ForEachElement;
using json::ForEachField;
using json::KeyIs;
using json::Path;

// Iterates the fields of the top-level object (refusing any other JSON type), then checks
// that nothing follows it. `doc` keeps the parsed views alive for the caller.
template <typename OnField>
bool ForEachRootField(const RequestBody& body, od::document* doc, DecodeError* error,
                      OnField&& on_field) {
  if (!json::Iterate(body, doc, error)) return false;
  od::json_type type{};
  if (auto code = doc->type().get(type); code != simdjson::SUCCESS) {
    return json::FailJson(error, nullptr, code);
  }
  if (type != od::json_type::object) {
    return json::Fail(
        error, DecodeFailure::kWrongType, nullptr,
        fmt::format("request body must be a JSON object, got {}", json::TypeName(type)));
  }
  od::value root;
  if (auto code = doc->get_value().get(root); code != simdjson::SUCCESS) {
    return json::FailJson(error, nullptr, code);
  }
  if (!ForEachField(root, nullptr, error, on_field)) return false;
  return json::ExpectEnd(*doc, error);
}

// Decodes "Pod"; `null` leaves *present false.
bool DecodePodField(od::value& value, const Path* path, PodInfo* pod, bool* present,
                    DecodeError* error) {
  od::json_type type{};
  if (!json::ReadType(value, path, &type, error)) return false;
  if (type == od::json_type::null) return true;
  if (type != od::json_type::object) return json::FailType(error, path, "Pod object", type);
  *present = true;
  return DecodePodObject(value, path, pod, error);
}

bool MissingPod(DecodeError* error) {
  return json::Fail(error, DecodeFailure::kMissingField, nullptr,
                    "Pod: missing or null (the request must carry the pod being scheduled)");
}

// One NodeList item: its metadata.name and its exact JSON bytes, in one pass. The
// object starts at its first token ('{'); after its fields are consumed the document's
// current location is the token that follows it (',' or ']'), so the bytes in between,
// less trailing whitespace, are exactly the object.
bool DecodeNodeItem(od::document* doc, od::value& value, const Path* path, WireNode* node,
                    DecodeError* error) {
  od::json_type type{};
  if (!json::ReadType(value, path, &type, error)) return false;
  if (type != od::json_type::object) return json::FailType(error, path, "Node object", type);
  const char* start = value.raw_json_token().data();
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (!KeyIs(key, "metadata")) return true;
        return ForEachField(v, p, error, [&](std::string_view k, od::value& mv, const Path* mp) {
          if (KeyIs(k, "name")) return json::ReadString(mv, mp, &node->name, error);
          return true;
        });
      });
  if (!ok) return false;
  const char* end = nullptr;
  if (auto code = doc->current_location().get(end); code != simdjson::SUCCESS) {
    return json::FailJson(error, path, code);
  }
  while (end > start && end[-1] != '}') --end;  // back over whitespace to the '}'
  node->raw_json = std::string_view(start, static_cast<size_t>(end - start));
  return true;
}

// Whether a request that named `count` nodes so far may name one more.
bool RoomForNode(size_t count, const Path* path, DecodeError* error) {
  if (count < kMaxNodesPerRequest) return true;
  return json::Fail(
      error, DecodeFailure::kTooManyNodes, path,
      fmt::format("more than {} nodes, the most one request may name", kMaxNodesPerRequest));
}

bool DecodeNodeList(od::document* doc, od::value& value, const Path* path, ExtenderArgs* args,
                    DecodeError* error) {
  od::json_type type{};
  if (!json::ReadType(value, path, &type, error)) return false;
  if (type == od::json_type::null) return true;
  args->has_nodes = true;
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (!KeyIs(key, "items")) return true;
    return ForEachElement(v, p, error, [&](od::value& item, const Path* ip) {
      return RoomForNode(args->nodes.size(), p, error) &&
             DecodeNodeItem(doc, item, ip, &args->nodes.emplace_back(), error);
    });
  });
}

bool DecodeNodeNames(od::value& value, const Path* path, ExtenderArgs* args, DecodeError* error) {
  od::json_type type{};
  if (!json::ReadType(value, path, &type, error)) return false;
  if (type == od::json_type::null) return true;
  args->has_node_names = true;
  return ForEachElement(value, path, error, [&](od::value& element, const Path* p) {
    return RoomForNode(args->nodes.size(), path, error) &&
           json::ReadString(element, p, &args->nodes.emplace_back().name, error);
  });
}

// metadata.uid of a victim v1.Pod.
bool DecodeVictimPodUid(od::value& value, const Path* path, std::string_view* uid,
                        DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (!KeyIs(key, "metadata")) return true;
    return ForEachField(v, p, error, [&](std::string_view k, od::value& mv, const Path* mp) {
      if (KeyIs(k, "uid")) return json::ReadString(mv, mp, uid, error);
      return true;
    });
  });
}

bool DecodeMetaPodUid(od::value& value, const Path* path, std::string_view* uid,
                      DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "UID")) return json::ReadString(v, p, uid, error);
    return true;
  });
}

// NodeNameToVictims / NodeNameToMetaVictims: node -> {Pods, NumPDBViolations}.
bool DecodeVictimMap(od::value& value, const Path* path, bool full_pods,
                     std::vector<NodeVictims>* out, DecodeError* error) {
  out->clear();
  return ForEachField(value, path, error, [&](std::string_view node, od::value& v, const Path* p) {
    if (!RoomForNode(out->size(), path, error)) return false;
    NodeVictims victims;
    victims.node = node;
    bool ok = ForEachField(v, p, error, [&](std::string_view key, od::value& fv, const Path* fp) {
      if (KeyIs(key, "NumPDBViolations")) {
        return json::ReadInt64(fv, fp, &victims.num_pdb_violations, error);
      }
      if (!KeyIs(key, "Pods")) return true;
      return ForEachElement(fv, fp, error, [&](od::value& pod, const Path* pp) {
        std::string_view uid;
        bool decoded = full_pods ? DecodeVictimPodUid(pod, pp, &uid, error)
                                 : DecodeMetaPodUid(pod, pp, &uid, error);
        if (decoded && !uid.empty()) victims.victim_uids.push_back(uid);
        return decoded;
      });
    });
    if (ok) out->push_back(std::move(victims));
    return ok;
  });
}

}  // namespace

bool DecodeExtenderArgs(const RequestBody& body, ExtenderArgs* out, DecodeError* error) {
  *out = ExtenderArgs{};
  od::document doc;
  bool has_pod = false;
  bool ok = ForEachRootField(body, &doc, error,
                             [&](std::string_view key, od::value& value, const Path* path) {
                               if (KeyIs(key, "Pod")) {
                                 return DecodePodField(value, path, &out->pod, &has_pod, error);
                               }
                               if (KeyIs(key, "Nodes"))
                                 return DecodeNodeList(&doc, value, path, out, error);
                               if (KeyIs(key, "NodeNames")) {
                                 return DecodeNodeNames(value, path, out, error);
                               }
                               return true;
                             });
  if (!ok) return false;
  if (!has_pod) return MissingPod(error);
  // kube-scheduler sends exactly one form; both at once is ambiguous.
  if (out->has_node_names && out->has_nodes) {
    return json::Fail(error, DecodeFailure::kWrongType, nullptr,
                      "Nodes and NodeNames are both set; send exactly one");
  }
  return true;
}

bool DecodePreemptionArgs(const RequestBody& body, PreemptionArgs* out, DecodeError* error) {
  *out = PreemptionArgs{};
  od::document doc;
  bool has_pod = false;
  bool has_meta = false;
  std::vector<NodeVictims> full;
  bool ok = ForEachRootField(
      body, &doc, error, [&](std::string_view key, od::value& value, const Path* path) {
        if (KeyIs(key, "Pod")) return DecodePodField(value, path, &out->pod, &has_pod, error);
        if (KeyIs(key, "NodeNameToVictims")) {
          return DecodeVictimMap(value, path, /*full_pods=*/true, &full, error);
        }
        if (!KeyIs(key, "NodeNameToMetaVictims")) return true;
        od::json_type type{};
        if (!json::ReadType(value, path, &type, error)) return false;
        if (type == od::json_type::null) return true;
        has_meta = true;
        return DecodeVictimMap(value, path, /*full_pods=*/false, &out->nodes, error);
      });
  if (!ok) return false;
  if (!has_pod) return MissingPod(error);
  if (!has_meta) {  // nodeCacheCapable: false sends full victim pods
    out->nodes = std::move(full);
    out->full_pods = true;
  }
  return true;
}

bool DecodeBindingArgs(const RequestBody& body, BindingArgs* out, DecodeError* error) {
  *out = BindingArgs{};
  od::document doc;
  bool ok = ForEachRootField(
      body, &doc, error, [&](std::string_view key, od::value& value, const Path* path) {
        std::string* target = KeyIs(key, "PodName")        ? &out->pod_name
                              : KeyIs(key, "PodNamespace") ? &out->pod_namespace
                              : KeyIs(key, "PodUID")       ? &out->pod_uid
                              : KeyIs(key, "Node")         ? &out->node
                                                           : nullptr;
        if (target == nullptr) return true;
        return json::ReadString(value, path, target, error);
      });
  if (!ok) return false;
  for (auto [value, name] :
       {std::pair{&out->pod_name, "PodName"}, std::pair{&out->pod_namespace, "PodNamespace"},
        std::pair{&out->node, "Node"}}) {
    if (value->empty()) {
      return json::Fail(error, DecodeFailure::kMissingField, nullptr,
                        fmt::format("{}: missing or empty", name));
    }
  }
  return true;
}

namespace {

// Appends {"name":"message",...} sorted by node name, as Go marshals a map.
void AppendFailureMap(const ExtenderArgs& args, std::vector<NodeFailure> failures,
                      std::string* out) {
  std::sort(failures.begin(), failures.end(), [&](const NodeFailure& a, const NodeFailure& b) {
    return args.nodes[a.first].name < args.nodes[b.first].name;
  });
  out->push_back('{');
  std::string_view previous;
  bool first = true;
  for (const auto& [index, message] : failures) {
    std::string_view name = args.nodes[index].name;
    if (!first && name == previous) continue;  // a map holds each node once
    if (!first) out->push_back(',');
    first = false;
    previous = name;
    AppendJsonString(name, out);
    out->push_back(':');
    AppendJsonString(message, out);
  }
  out->push_back('}');
}

}  // namespace

void EncodeFilterResult(const ExtenderArgs& args, const FilterAnswer& answer, std::string* out) {
  // Size the answer once: echoing 5,000 full nodes is ~90 MB, and growing a string to
  // that by doubling copies it ~twice and faults every new page in again.
  size_t size = 128 + answer.error.size();
  for (size_t i : answer.passed) {
    size += (args.has_nodes ? args.nodes[i].raw_json.size() : args.nodes[i].name.size() + 8) + 1;
  }
  for (const auto* failures : {&answer.failed, &answer.failed_unresolvable}) {
    for (const auto& [i, message] : *failures)
      size += args.nodes[i].name.size() + message.size() + 8;
  }
  out->reserve(out->size() + size);
  out->append("{\"Nodes\":");
  if (args.has_nodes) {
    out->append("{\"metadata\":{},\"items\":[");
    for (size_t i = 0; i < answer.passed.size(); ++i) {
      if (i > 0) out->push_back(',');
      out->append(args.nodes[answer.passed[i]].raw_json);
    }
    out->append("]}");
  } else {
    out->append("null");
  }
  out->append(",\"NodeNames\":");
  if (args.has_nodes) {
    out->append("null");
  } else {
    out->push_back('[');
    for (size_t i = 0; i < answer.passed.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(args.nodes[answer.passed[i]].name, out);
    }
    out->push_back(']');
  }
  out->append(",\"FailedNodes\":");
  AppendFailureMap(args, answer.failed, out);
  out->append(",\"FailedAndUnresolvableNodes\":");
  AppendFailureMap(args, answer.failed_unresolvable, out);
  out->append(",\"Error\":");
  AppendJsonString(answer.error, out);
  out->push_back('}');
}

void EncodeHostPriorities(const ExtenderArgs& args, const std::vector<int64_t>& scores,
                          std::string* out) {
  size_t size = 2;
  for (const WireNode& node : args.nodes) size += node.name.size() + 24;
  out->reserve(out->size() + size);
  out->push_back('[');
  for (size_t i = 0; i < args.nodes.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append("{\"Host\":");
    AppendJsonString(args.nodes[i].name, out);
    out->append(",\"Score\":");
    const fmt::format_int score(i < scores.size() ? scores[i] : 0);
    out->append(score.data(), score.size());
    out->push_back('}');
  }
  out->push_back(']');
}

void EncodePreemptionResult(const std::vector<NodeVictims>& nodes, std::string* out) {
  std::vector<const NodeVictims*> sorted;
  sorted.reserve(nodes.size());
  for (const auto& n : nodes) {
    if (!n.victim_uids.empty()) sorted.push_back(&n);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const NodeVictims* a, const NodeVictims* b) { return a->node < b->node; });
  out->append("{\"NodeNameToMetaVictims\":{");
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(sorted[i]->node, out);
    out->append(":{\"Pods\":[");
    for (size_t j = 0; j < sorted[i]->victim_uids.size(); ++j) {
      if (j > 0) out->push_back(',');
      out->append("{\"UID\":");
      AppendJsonString(sorted[i]->victim_uids[j], out);
      out->push_back('}');
    }
    out->append("],\"NumPDBViolations\":");
    const fmt::format_int violations(sorted[i]->num_pdb_violations);
    out->append(violations.data(), violations.size());
    out->push_back('}');
  }
  out->append("}}");
}

void EncodeBindingResult(std::string_view error, std::string* out) {
  out->append("{\"Error\":");
  AppendJsonString(error, out);
  out->push_back('}');
}

void EncodeErrorBody(std::string_view message, std::string_view reason, std::string* out) {
  out->append("{\"Error\":");
  AppendJsonString(message, out);
  out->append(",\"Reason\":");
  AppendJsonString(reason, out);
  out->push_back('}');
}

std::string_view VerbName(Verb verb) {
  switch (verb) {
    case Verb::kFilter: return "filter";
    case Verb::kPrioritize: return "prioritize";
    case Verb::kPreempt: return "preempt";
    case Verb::kBind: return "bind";
  }
  return "unknown";
}

}  // namespace quotient::extender
