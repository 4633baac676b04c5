#include "extender/objects/dra_decode.h"

#include <fmt/format.h>

namespace quotient::extender {
namespace {

namespace od = simdjson::ondemand;
using json::ForEachElement;
using json::ForEachField;
using json::KeyIs;
using json::Path;

bool BoolField(od::value& value, const Path* path, bool* out, DecodeError* error) {
  od::json_type type{};
  if (!json::ReadType(value, path, &type, error)) return false;
  if (type == od::json_type::null) {
    *out = false;
    return true;
  }
  if (type != od::json_type::boolean) return json::FailType(error, path, "boolean", type);
  if (auto code = value.get_bool().get(*out); code != simdjson::SUCCESS) {
    return json::FailJson(error, path, code);
  }
  return true;
}

bool TooMany(DecodeError* error, const Path* path, int64_t limit) {
  // kWrongType, as for a pod's out-of-range priority: the value is not one the API admits.
  return json::Fail(error, DecodeFailure::kWrongType, path,
                    fmt::format("more than {} entries", limit));
}

// ForEachElement with at most `limit` elements (the path of the first one beyond).
template <typename OnElement>
bool ForEachBounded(od::value& value, const Path* path, int64_t limit, DecodeError* error,
                    OnElement&& on_element) {
  int64_t seen = 0;
  return ForEachElement(value, path, error, [&](od::value& element, const Path* p) {
    if (++seen > limit) return TooMany(error, path, limit);
    return on_element(element, p);
  });
}

// A Quantity (string, or a bare number as Go's Quantity accepts) in whole units, rounded
// up. ReadResourceList with a fixed non-cpu key does exactly that.
bool ReadAmount(od::value& value, const Path* path, int64_t* out, DecodeError* error) {
  od::json_type type{};
  if (!json::ReadType(value, path, &type, error)) return false;
  if (type == od::json_type::null) {
    *out = 0;
    return true;
  }
  std::string_view text;
  if (type == od::json_type::string) {
    if (auto code = value.get_string().get(text); code != simdjson::SUCCESS) {
      return json::FailJson(error, path, code);
    }
  } else if (type == od::json_type::number) {
    text = value.raw_json_token();
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                             text.back() == '\t')) {
      text.remove_suffix(1);
    }
  } else {
    return json::FailType(error, path, "quantity string", type);
  }
  std::string reason;
  if (!quota::ParseResourceAmount("", text, out, &reason)) {
    return json::Fail(error, DecodeFailure::kInvalidQuantity, path,
                      fmt::format("invalid quantity \"{}\": {}", text, reason));
  }
  return true;
}

// {name: Quantity} in whole units, at most `limit` names.
bool ReadAmounts(od::value& value, const Path* path, int64_t limit, quota::ResourceList* out,
                 DecodeError* error) {
  int64_t seen = 0;
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (++seen > limit) return TooMany(error, path, limit);
    int64_t amount = 0;
    if (!ReadAmount(v, p, &amount, error)) return false;
    out->Set(key, amount);
    return true;
  });
}

// {name: {value: Quantity, ...}}: counters and device capacities.
bool ReadValueMap(od::value& value, const Path* path, int64_t limit, quota::ResourceList* out,
                  DecodeError* error) {
  int64_t seen = 0;
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (++seen > limit) return TooMany(error, path, limit);
    int64_t amount = 0;
    bool ok = ForEachField(v, p, error, [&](std::string_view k, od::value& vv, const Path* pp) {
      if (KeyIs(k, "value")) return ReadAmount(vv, pp, &amount, error);
      return true;
    });
    if (!ok) return false;
    out->Set(key, amount);
    return true;
  });
}

bool DecodeMetadata(od::value& value, const Path* path, std::string* name, std::string* ns,
                    std::string* uid, StringPairs* annotations, DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "name")) return json::ReadString(v, p, name, error);
    if (ns != nullptr && KeyIs(key, "namespace")) return json::ReadString(v, p, ns, error);
    if (uid != nullptr && KeyIs(key, "uid")) return json::ReadString(v, p, uid, error);
    if (annotations != nullptr && KeyIs(key, "annotations")) {
      return json::ReadStringMap(v, p, annotations, error);
    }
    return true;
  });
}

bool RequireName(const std::string& name, const Path* path, DecodeError* error) {
  if (!name.empty()) return true;
  return json::Fail(error, DecodeFailure::kMissingField, path, "metadata.name missing");
}

// The fields ExactDeviceRequest and DeviceSubRequest share (name only in the latter).
bool DecodeSubRequest(od::value& value, const Path* path, quota::DeviceSubRequest* out,
                      DecodeError* error) {
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "name")) return json::ReadString(v, p, &out->name, error);
        if (KeyIs(key, "deviceClassName")) return json::ReadString(v, p, &out->device_class, error);
        if (KeyIs(key, "allocationMode")) {
          std::string_view mode;
          if (!json::ReadString(v, p, &mode, error)) return false;
          if (mode.empty() || mode == "ExactCount") {
            out->mode = quota::AllocationMode::kExactCount;
          } else if (mode == "All") {
            out->mode = quota::AllocationMode::kAll;
          } else {
            // "Clients must refuse to handle requests with unknown modes" (types.go).
            return json::Fail(error, DecodeFailure::kWrongType, p,
                              fmt::format("unknown allocation mode \"{}\"", mode));
          }
          return true;
        }
        if (KeyIs(key, "count")) return json::ReadInt64(v, p, &out->count, error);
        if (KeyIs(key, "adminAccess")) return BoolField(v, p, &out->admin_access, error);
        if (KeyIs(key, "capacity")) {
          return ForEachField(v, p, error, [&](std::string_view k, od::value& vv, const Path* pp) {
            if (KeyIs(k, "requests")) {
              return ReadAmounts(vv, pp, kMaxCapacitiesPerDevice, &out->capacity, error);
            }
            return true;
          });
        }
        return true;
      });
  if (!ok) return false;
  // count is ExactCount's only: unset (0, omitempty) means 1; a negative one is kept for
  // the charge to refuse with its number.
  if (out->mode == quota::AllocationMode::kAll) {
    out->count = 0;
  } else if (out->count == 0) {
    out->count = 1;
  }
  if (out->device_class.empty()) {
    return json::Fail(error, DecodeFailure::kMissingField, path, "deviceClassName missing");
  }
  return true;
}

bool DecodeRequest(od::value& value, const Path* path, quota::DeviceRequest* out,
                   DecodeError* error) {
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "name")) return json::ReadString(v, p, &out->name, error);
        if (KeyIs(key, "exactly")) {
          od::json_type type{};
          if (!json::ReadType(v, p, &type, error)) return false;
          if (type == od::json_type::null) return true;
          out->alternatives.emplace_back();
          return DecodeSubRequest(v, p, &out->alternatives.back(), error);
        }
        if (KeyIs(key, "firstAvailable")) {
          out->first_available = true;
          return ForEachBounded(v, p, kMaxFirstAvailable, error, [&](od::value& e, const Path* ep) {
            return DecodeSubRequest(e, ep, &out->alternatives.emplace_back(), error);
          });
        }
        return true;
      });
  if (!ok) return false;
  if (out->name.empty())
    return json::Fail(error, DecodeFailure::kMissingField, path, "name missing");
  if (out->alternatives.empty()) {
    return json::Fail(error, DecodeFailure::kMissingField, path,
                      "neither exactly nor firstAvailable");
  }
  if (out->first_available) {
    // Exactly one of the two; an `exactly` beside firstAvailable is invalid in the API.
    for (const auto& alternative : out->alternatives) {
      if (alternative.name.empty()) {
        return json::Fail(error, DecodeFailure::kWrongType, path,
                          "exactly and firstAvailable both set, or an alternative without name");
      }
    }
  }
  return true;
}

bool DecodeClaimSpec(od::value& value, const Path* path, ResourceClaimInfo* out,
                     DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (!KeyIs(key, "devices")) return true;
    return ForEachField(v, p, error, [&](std::string_view k, od::value& vv, const Path* pp) {
      if (!KeyIs(k, "requests")) return true;
      return ForEachBounded(vv, pp, kMaxClaimRequests, error, [&](od::value& e, const Path* ep) {
        return DecodeRequest(e, ep, &out->requests.emplace_back(), error);
      });
    });
  });
}

bool DecodeResult(od::value& value, const Path* path, quota::AllocatedDevice* out,
                  DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "request")) return json::ReadString(v, p, &out->request, error);
    if (KeyIs(key, "driver")) return json::ReadString(v, p, &out->driver, error);
    if (KeyIs(key, "pool")) return json::ReadString(v, p, &out->pool, error);
    if (KeyIs(key, "device")) return json::ReadString(v, p, &out->device, error);
    if (KeyIs(key, "adminAccess")) return BoolField(v, p, &out->admin_access, error);
    if (KeyIs(key, "consumedCapacity")) {
      return ReadAmounts(v, p, kMaxCapacitiesPerDevice, &out->consumed_capacity, error);
    }
    return true;
  });
}

bool DecodeConsumer(od::value& value, const Path* path, ClaimConsumer* out, DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "apiGroup")) return json::ReadString(v, p, &out->api_group, error);
    if (KeyIs(key, "resource")) return json::ReadString(v, p, &out->resource, error);
    if (KeyIs(key, "name")) return json::ReadString(v, p, &out->name, error);
    if (KeyIs(key, "uid")) return json::ReadString(v, p, &out->uid, error);
    return true;
  });
}

bool DecodeClaimStatus(od::value& value, const Path* path, ResourceClaimInfo* out,
                       DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "allocation")) {
      od::json_type type{};
      if (!json::ReadType(v, p, &type, error)) return false;
      out->allocated = type != od::json_type::null;
      return ForEachField(v, p, error, [&](std::string_view k, od::value& vv, const Path* pp) {
        if (!KeyIs(k, "devices")) return true;
        return ForEachField(vv, pp, error, [&](std::string_view k2, od::value& v3, const Path* p3) {
          if (!KeyIs(k2, "results")) return true;
          return ForEachBounded(v3, p3, kMaxAllocationResults, error,
                                [&](od::value& e, const Path* ep) {
                                  return DecodeResult(e, ep, &out->results.emplace_back(), error);
                                });
        });
      });
    }
    if (KeyIs(key, "reservedFor")) {
      return ForEachBounded(v, p, kMaxReservedFor, error, [&](od::value& e, const Path* ep) {
        return DecodeConsumer(e, ep, &out->reserved_for.emplace_back(), error);
      });
    }
    return true;
  });
}

bool DecodeCounterConsumption(od::value& value, const Path* path, quota::CounterConsumption* out,
                              DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "counterSet")) return json::ReadString(v, p, &out->counter_set, error);
    if (KeyIs(key, "counters"))
      return ReadValueMap(v, p, kMaxCountersPerSet, &out->counters, error);
    return true;
  });
}

bool DecodeDevice(od::value& value, const Path* path, quota::PublishedDevice* out,
                  DecodeError* error) {
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "name")) return json::ReadString(v, p, &out->name, error);
        if (KeyIs(key, "capacity")) {
          return ReadValueMap(v, p, kMaxCapacitiesPerDevice, &out->capacity, error);
        }
        if (KeyIs(key, "consumesCounters")) {
          return ForEachBounded(
              v, p, kMaxDeviceCounterConsumptions, error, [&](od::value& e, const Path* ep) {
                return DecodeCounterConsumption(e, ep, &out->consumes.emplace_back(), error);
              });
        }
        return true;
      });
  if (!ok) return false;
  if (out->name.empty())
    return json::Fail(error, DecodeFailure::kMissingField, path, "name missing");
  return true;
}

bool DecodeCounterSet(od::value& value, const Path* path, CounterSetInfo* out, DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "name")) return json::ReadString(v, p, &out->name, error);
    if (KeyIs(key, "counters"))
      return ReadValueMap(v, p, kMaxCountersPerSet, &out->counters, error);
    return true;
  });
}

bool DecodeSliceSpec(od::value& value, const Path* path, ResourceSliceInfo* out,
                     DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    if (KeyIs(key, "driver")) return json::ReadString(v, p, &out->driver, error);
    if (KeyIs(key, "nodeName")) return json::ReadString(v, p, &out->node_name, error);
    if (KeyIs(key, "allNodes")) return BoolField(v, p, &out->all_nodes, error);
    if (KeyIs(key, "pool")) {
      return ForEachField(v, p, error, [&](std::string_view k, od::value& vv, const Path* pp) {
        if (KeyIs(k, "name")) return json::ReadString(vv, pp, &out->pool, error);
        if (KeyIs(k, "generation")) return json::ReadInt64(vv, pp, &out->pool_generation, error);
        if (KeyIs(k, "resourceSliceCount")) {
          return json::ReadInt64(vv, pp, &out->pool_slice_count, error);
        }
        return true;
      });
    }
    if (KeyIs(key, "devices")) {
      return ForEachBounded(v, p, kMaxSliceDevices, error, [&](od::value& e, const Path* ep) {
        return DecodeDevice(e, ep, &out->devices.emplace_back(), error);
      });
    }
    if (KeyIs(key, "sharedCounters")) {
      return ForEachBounded(v, p, kMaxSliceCounterSets, error, [&](od::value& e, const Path* ep) {
        return DecodeCounterSet(e, ep, &out->shared_counters.emplace_back(), error);
      });
    }
    return true;
  });
}

}  // namespace

bool DecodeResourceClaimObject(od::value& value, const Path* path, ResourceClaimInfo* out,
                               DecodeError* error) {
  *out = ResourceClaimInfo{};
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "metadata")) {
          return DecodeMetadata(v, p, &out->name, &out->ns, &out->uid, &out->annotations, error);
        }
        if (KeyIs(key, "spec")) return DecodeClaimSpec(v, p, out, error);
        if (KeyIs(key, "status")) return DecodeClaimStatus(v, p, out, error);
        return true;
      });
  return ok && RequireName(out->name, path, error);
}

bool DecodeDeviceClassObject(od::value& value, const Path* path, DeviceClassInfo* out,
                             DecodeError* error) {
  *out = DeviceClassInfo{};
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "metadata")) {
          return DecodeMetadata(v, p, &out->name, nullptr, nullptr, nullptr, error);
        }
        if (KeyIs(key, "spec")) {
          return ForEachField(v, p, error, [&](std::string_view k, od::value& vv, const Path* pp) {
            if (KeyIs(k, "extendedResourceName")) {
              return json::ReadString(vv, pp, &out->extended_resource_name, error);
            }
            return true;
          });
        }
        return true;
      });
  return ok && RequireName(out->name, path, error);
}

bool DecodeResourceSliceObject(od::value& value, const Path* path, ResourceSliceInfo* out,
                               DecodeError* error) {
  *out = ResourceSliceInfo{};
  bool ok =
      ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
        if (KeyIs(key, "metadata")) {
          return DecodeMetadata(v, p, &out->name, nullptr, nullptr, nullptr, error);
        }
        if (KeyIs(key, "spec")) return DecodeSliceSpec(v, p, out, error);
        return true;
      });
  if (!ok || !RequireName(out->name, path, error)) return false;
  // spec.driver and spec.pool may come in any order: fill the devices afterwards.
  for (quota::PublishedDevice& device : out->devices) {
    device.driver = out->driver;
    device.pool = out->pool;
  }
  return true;
}

}  // namespace quotient::extender
