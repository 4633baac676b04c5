#include "extender/kube/lease.h"

#include <fmt/format.h>

#include <ctime>

#include "extender/json/json_read.h"
#include "extender/json/json_write.h"

namespace quotient::extender::kube {

bool DecodeLease(const RequestBody& body, LeaseRecord* out, std::string* error) {
  json::od::document doc;
  DecodeError derr;
  *out = LeaseRecord{};
  bool is_lease = false;
  auto read_string = [&](json::od::value& v, const json::Path* p, std::string* field) {
    return json::ReadString(v, p, field, &derr);
  };
  bool ok = json::Iterate(body, &doc, &derr);
  if (ok) {
    json::od::value root;
    ok = doc.get_value().get(root) == simdjson::SUCCESS;
    if (!ok) derr.message = "not JSON";
    ok =
        ok &&
        json::ForEachField(
            root, nullptr, &derr,
            [&](std::string_view key, json::od::value& v, const json::Path* p) {
              if (json::KeyIs(key, "kind")) {
                std::string kind;
                if (!read_string(v, p, &kind)) return false;
                is_lease = kind == "Lease";
                return true;
              }
              if (json::KeyIs(key, "metadata")) {
                return json::ForEachField(
                    v, p, &derr, [&](std::string_view k, json::od::value& f, const json::Path* fp) {
                      return !json::KeyIs(k, "resourceVersion") ||
                             read_string(f, fp, &out->resource_version);
                    });
              }
              if (!json::KeyIs(key, "spec")) return true;
              return json::ForEachField(
                  v, p, &derr, [&](std::string_view k, json::od::value& f, const json::Path* fp) {
                    if (json::KeyIs(k, "holderIdentity")) return read_string(f, fp, &out->holder);
                    if (json::KeyIs(k, "acquireTime"))
                      return read_string(f, fp, &out->acquire_time);
                    if (json::KeyIs(k, "renewTime")) return read_string(f, fp, &out->renew_time);
                    if (json::KeyIs(k, "leaseDurationSeconds")) {
                      return json::ReadInt64(f, fp, &out->duration_seconds, &derr);
                    }
                    if (json::KeyIs(k, "leaseTransitions")) {
                      return json::ReadInt64(f, fp, &out->transitions, &derr);
                    }
                    return true;
                  });
            });
  }
  if (!ok) {
    *error = "lease: " + derr.message;
    return false;
  }
  if (!is_lease) {
    *error = "lease: the answer is not a Lease";
    return false;
  }
  return true;
}

std::string EncodeLease(const std::string& ns, const std::string& name, const LeaseRecord& record) {
  std::string out = R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":)";
  AppendJsonString(name, &out);
  out += R"(,"namespace":)";
  AppendJsonString(ns, &out);
  if (!record.resource_version.empty()) {
    out += R"(,"resourceVersion":)";
    AppendJsonString(record.resource_version, &out);
  }
  out += R"(},"spec":{"holderIdentity":)";
  AppendJsonString(record.holder, &out);
  out += fmt::format(R"(,"leaseDurationSeconds":{})", record.duration_seconds);
  if (!record.acquire_time.empty()) {
    out += R"(,"acquireTime":)";
    AppendJsonString(record.acquire_time, &out);
  }
  if (!record.renew_time.empty()) {
    out += R"(,"renewTime":)";
    AppendJsonString(record.renew_time, &out);
  }
  out += fmt::format(R"(,"leaseTransitions":{}}}}})", record.transitions);
  return out;
}

std::string FormatMicroTime(std::chrono::system_clock::time_point at) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros % 1'000'000);
}

}  // namespace quotient::extender::kube
