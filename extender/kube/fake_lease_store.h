// Test-only: the Lease part of an API server, for leader election tests. One Lease per
// store; GET, POST (create; 409 if it exists) and PUT (409 unless the resourceVersion is the
// stored one), the resourceVersion increasing with every write, as the API server does.
// Serve() answers any request: route only Lease paths to it.
//
// Thread safety: thread-safe (the fake API server's connection threads call Serve()).
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "extender/kube/fake_api_server.h"
#include "extender/kube/lease.h"

namespace quotient::extender::kube::testing {

// One Lease, stored as its record; resourceVersion increases with every write.
class LeaseStore {
 public:
  void Serve(FakeExchange& ex) {
    const auto& r = ex.request();
    std::lock_guard lock(mu_);
    if (fail_next_ > 0) {
      --fail_next_;
      ex.Respond(500, R"({"kind":"Status","message":"etcd is sad"})");
      return;
    }
    if (r.method == "GET") {
      if (!lease_) return ex.Respond(404, R"({"kind":"Status","code":404})");
      return ex.Respond(200, EncodeLease("kube-system", "quotient", *lease_));
    }
    LeaseRecord incoming;
    std::string error;
    RequestBody body = RequestBody::Copy(r.body);
    if (!DecodeLease(body, &incoming, &error)) return ex.Respond(400, error);
    if (r.method == "POST") {
      if (lease_) return ex.Respond(409, R"({"kind":"Status","code":409})");
    } else if (r.method == "PUT") {
      if (!lease_ || incoming.resource_version != lease_->resource_version) {
        return ex.Respond(409, R"({"kind":"Status","code":409})");
      }
      ++puts_;
    }
    incoming.resource_version = std::to_string(++version_);
    lease_ = incoming;
    ex.Respond(r.method == "POST" ? 201 : 200, EncodeLease("kube-system", "quotient", incoming));
  }
  // Another replica's write: a new holder and resourceVersion (and renewTime, when given).
  void WriteHolder(const std::string& holder, int64_t seconds, const std::string& renew_time = "") {
    std::lock_guard lock(mu_);
    LeaseRecord record = lease_.value_or(LeaseRecord{});
    record.holder = holder;
    record.duration_seconds = seconds;
    if (!renew_time.empty()) record.renew_time = renew_time;
    record.resource_version = std::to_string(++version_);
    lease_ = record;
  }
  std::optional<LeaseRecord> lease() const {
    std::lock_guard lock(mu_);
    return lease_;
  }
  int puts() const {
    std::lock_guard lock(mu_);
    return puts_;
  }
  void Delete() {
    std::lock_guard lock(mu_);
    lease_.reset();
  }
  void FailNext(int n) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
  }

 private:
  mutable std::mutex mu_;
  std::optional<LeaseRecord> lease_;
  int64_t version_ = 100;
  int puts_ = 0;
  int fail_next_ = 0;
};

}  // namespace quotient::extender::kube::testing
