#include "extender/objects/pod_decode.h"

#include <fmt/format.h>

#include "extender/objects/pod_requests.h"

namespace quotient::extender {
namespace {

namespace od = simdjson::ondemand;
using json::ForEachElement;
using json::ForEachField;
using json::KeyIs;
using json::Path;

bool DecodeResources(od::value& value, const Path* path, quota::ResourceList* requests,
                     quota::ResourceList* limits, DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "requests")) return json::ReadResourceList(v, p, requests, error);
    if (KeyIs(key, "limits")) return json::ReadResourceList(v, p, limits, error);
    return true;
  });
}

bool DecodeContainer(od::value& value, const Path* path, ContainerResources* out,
                     DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "resources")) return DecodeResources(v, p, &out->requests, &out->limits, error);
    if (KeyIs(key, "restartPolicy")) {
      std::string_view policy;
      if (!json::ReadString(v, p, &policy, error)) return false;
      out->restartable = policy == "Always";
    }
    return true;
  });
}

bool DecodeContainers(od::value& value, const Path* path, std::vector<ContainerResources>* out,
                      DecodeError* error) {
  return ForEachElement(value, path, error, [&](od::value& element, const Path* p) {
    return DecodeContainer(element, p, &out->emplace_back(), error);
  });
}

// ForEachElement with at most kMaxPodResourceClaims elements.
template <typename OnElement>
bool ForEachClaimEntry(od::value& value, const Path* path, DecodeError* error,
                       OnElement&& on_element) {
  int64_t seen = 0;
  return ForEachElement(value, path, error, [&](od::value& element, const Path* p) {
    if (++seen > kMaxPodResourceClaims) {
      return json::Fail(error, DecodeFailure::kWrongType, path,
                        fmt::format("more than {} entries", kMaxPodResourceClaims));
    }
    return on_element(element, p);
  });
}

bool DecodeClaimRef(od::value& value, const Path* path, PodClaimRef* out, DecodeError* error) {
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "name")) return json::ReadString(v, p, &out->name, error);
        if (KeyIs(key, "resourceClaimName")) return json::ReadString(v, p, &out->claim_name, error);
        if (KeyIs(key, "resourceClaimTemplateName")) {
          return json::ReadString(v, p, &out->template_name, error);
        }
        return true;
      });
  if (ok && out->name.empty()) {
    return json::Fail(error, DecodeFailure::kMissingField, path, "name missing");
  }
  return ok;
}

bool DecodeClaimStatus(od::value& value, const Path* path, StringPairs* out, DecodeError* error) {
  std::string name, claim;
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "name")) return json::ReadString(v, p, &name, error);
        if (KeyIs(key, "resourceClaimName")) return json::ReadString(v, p, &claim, error);
        return true;
      });
  if (!ok) return false;
  if (name.empty()) return json::Fail(error, DecodeFailure::kMissingField, path, "name missing");
  out->emplace_back(std::move(name), std::move(claim));
  return true;
}

bool DecodeMetadata(od::value& value, const Path* path, PodInfo* pod, DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "name")) return json::ReadString(v, p, &pod->name, error);
    if (KeyIs(key, "namespace")) return json::ReadString(v, p, &pod->ns, error);
    if (KeyIs(key, "uid")) return json::ReadString(v, p, &pod->uid, error);
    if (KeyIs(key, "labels")) return json::ReadStringMap(v, p, &pod->labels, error);
    if (KeyIs(key, "annotations")) return json::ReadStringMap(v, p, &pod->annotations, error);
    if (KeyIs(key, "creationTimestamp"))
      return json::ReadString(v, p, &pod->creation_timestamp, error);
    if (KeyIs(key, "deletionTimestamp")) {
      std::string stamp;
      if (!json::ReadString(v, p, &stamp, error)) return false;
      pod->terminating = !stamp.empty();
    }
    return true;
  });
}

bool DecodeSpec(od::value& value, const Path* path, PodInfo* pod, PodResourceSpec* resources,
                DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "containers")) return DecodeContainers(v, p, &resources->containers, error);
    if (KeyIs(key, "initContainers")) {
      return DecodeContainers(v, p, &resources->init_containers, error);
    }
    if (KeyIs(key, "overhead")) return json::ReadResourceList(v, p, &resources->overhead, error);
    if (KeyIs(key, "resources")) {
      return DecodeResources(v, p, &resources->pod_level_requests, &resources->pod_level_limits,
                             error);
    }
    if (KeyIs(key, "nodeName")) return json::ReadString(v, p, &pod->node_name, error);
    if (KeyIs(key, "resourceClaims")) {
      return ForEachClaimEntry(v, p, error, [&](od::value& element, const Path* ep) {
        return DecodeClaimRef(element, ep, &pod->resource_claims.emplace_back(), error);
      });
    }
    if (KeyIs(key, "schedulerName")) return json::ReadString(v, p, &pod->scheduler_name, error);
    if (KeyIs(key, "priority")) {
      int64_t priority = 0;
      if (!json::ReadInt64(v, p, &priority, error)) return false;
      if (priority < INT32_MIN || priority > INT32_MAX) {
        return json::Fail(error, DecodeFailure::kWrongType, p, "priority out of int32 range");
      }
      pod->priority = static_cast<int32_t>(priority);
      return true;
    }
    if (KeyIs(key, "preemptionPolicy")) {
      std::string_view policy;
      if (!json::ReadString(v, p, &policy, error)) return false;
      pod->preemption_never = policy == "Never";
    }
    return true;
  });
}

// The PodScheduled condition kube-scheduler sets after a failed attempt: status False,
// reason Unschedulable (a pod the scheduler could place nowhere, preemption included).
bool DecodeCondition(od::value& value, const Path* path, PodInfo* pod, DecodeError* error) {
  std::string type, status, reason;
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "type")) return json::ReadString(v, p, &type, error);
        if (KeyIs(key, "status")) return json::ReadString(v, p, &status, error);
        if (KeyIs(key, "reason")) return json::ReadString(v, p, &reason, error);
        return true;
      });
  if (ok && type == "PodScheduled") {
    pod->unschedulable = status == "False" && reason == "Unschedulable";
  }
  return ok;
}

bool DecodeStatus(od::value& value, const Path* path, PodInfo* pod, DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "phase")) return json::ReadString(v, p, &pod->phase, error);
    if (KeyIs(key, "nominatedNodeName")) {
      if (!json::ReadString(v, p, &pod->nominated_node, error)) return false;
      pod->nominated = !pod->nominated_node.empty();
      return true;
    }
    if (KeyIs(key, "conditions")) {
      return ForEachElement(v, p, error, [&](od::value& element, const Path* ep) {
        return DecodeCondition(element, ep, pod, error);
      });
    }
    if (KeyIs(key, "resourceClaimStatuses")) {
      return ForEachClaimEntry(v, p, error, [&](od::value& element, const Path* ep) {
        return DecodeClaimStatus(element, ep, &pod->resource_claim_statuses, error);
      });
    }
    if (KeyIs(key, "extendedResourceClaimStatus")) {
      return ForEachField(v, p, error, [&](std::string_view k, od::value& vv, const Path* pp) {
        if (KeyIs(k, "resourceClaimName")) {
          return json::ReadString(vv, pp, &pod->extended_resource_claim, error);
        }
        return true;
      });
    }
    return true;
  });
}

}  // namespace

bool DecodePodObject(od::value& value, const Path* path, PodInfo* out, DecodeError* error) {
  *out = PodInfo{};
  PodResourceSpec resources;
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "metadata")) return DecodeMetadata(v, p, out, error);
        if (KeyIs(key, "spec")) return DecodeSpec(v, p, out, &resources, error);
        if (KeyIs(key, "status")) return DecodeStatus(v, p, out, error);
        return true;
      });
  if (!ok) return false;
  out->requests = ComputePodRequests(resources);
  out->requests.Add(quota::kResourcePods, 1);
  return true;
}

bool DecodePodJson(const RequestBody& body, PodInfo* out, DecodeError* error) {
  od::document doc;
  if (!json::Iterate(body, &doc, error)) return false;
  od::value root;
  if (auto code = doc.get_value().get(root); code != simdjson::SUCCESS) {
    return json::FailJson(error, nullptr, code);
  }
  od::json_type type{};
  if (!json::ReadType(root, nullptr, &type, error)) return false;
  if (type != od::json_type::object) return json::FailType(error, nullptr, "Pod object", type);
  if (!DecodePodObject(root, nullptr, out, error)) return false;
  return json::ExpectEnd(doc, error);
}

}  // namespace quotient::extender
