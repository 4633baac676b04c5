// Test-only: JSON builders for list and watch payloads, and an ObjectSink that keeps
// what it is given the way a watch cache would (name -> resourceVersion), deleting on
// EndList() whatever the list did not mention, and throwing on one name if told to.
//
// Thread safety: RecordingSink is thread-safe (the test thread reads while the
// reflector applies).
#pragma once

#include <map>
#include <mutex>
#include <new>
#include <set>
#include <stdexcept>
#include <string>

#include "extender/kube/reflector.h"

namespace quotient::extender::kube::testing {

namespace od = json::od;

inline std::string Obj(const std::string& name, int64_t rv, const std::string& extra = "") {
  return R"({"kind":"Pod","metadata":{"name":")" + name + R"(","resourceVersion":")" +
         std::to_string(rv) + "\"}" + extra + "}";
}
inline std::string Event(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}\n";
}
inline std::string Status(int code, const std::string& reason) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"m",)"
         R"("reason":")" +
         reason + R"(","code":)" + std::to_string(code) + "}";
}

// Keeps what the reflector delivered, as a cache would: name -> resourceVersion.
class RecordingSink : public ObjectSink {
 public:
  void BeginList() override {
    std::lock_guard lock(mu_);
    ++begins_;
    listed_.clear();
  }
  bool Apply(EventType type, od::value& object, std::string* error) override {
    std::string name;
    std::string rv;
    DecodeError derr;
    json::ForEachField(
        object, nullptr, &derr, [&](std::string_view key, od::value& v, const json::Path* p) {
          if (!json::KeyIs(key, "metadata")) return true;
          return json::ForEachField(
              v, p, &derr, [&](std::string_view k, od::value& f, const json::Path* fp) {
                std::string_view text;
                if (json::KeyIs(k, "name") && json::ReadString(f, fp, &text, &derr)) name = text;
                if (json::KeyIs(k, "resourceVersion") && json::ReadString(f, fp, &text, &derr))
                  rv = text;
                return true;
              });
        });
    if (name.empty()) {
      *error = "metadata.name missing";
      return false;
    }
    std::lock_guard lock(mu_);
    if (name == throw_on_) throw std::length_error("cannot hold " + name);
    if (name == out_of_memory_on_ && out_of_memory_times_ > 0) {
      --out_of_memory_times_;
      throw std::bad_alloc();
    }
    listed_.insert(name);
    if (type == EventType::kDeleted) {
      objects_.erase(name);
    } else {
      objects_[name] = rv;
    }
    return true;
  }
  void EndList() override {
    std::lock_guard lock(mu_);
    ++ends_;
    std::erase_if(objects_, [&](const auto& entry) { return !listed_.contains(entry.first); });
  }

  std::map<std::string, std::string> objects() const {
    std::lock_guard lock(mu_);
    return objects_;
  }
  bool Has(const std::string& name, const std::string& rv) const {
    std::lock_guard lock(mu_);
    auto it = objects_.find(name);
    return it != objects_.end() && it->second == rv;
  }
  // Apply() throws for the object of this name, as a sink with a bug would.
  void ThrowOn(std::string name) {
    std::lock_guard lock(mu_);
    throw_on_ = std::move(name);
  }
  // Apply() throws std::bad_alloc for the object of this name, the next `times` times.
  void OutOfMemoryOn(std::string name, int times) {
    std::lock_guard lock(mu_);
    out_of_memory_on_ = std::move(name);
    out_of_memory_times_ = times;
  }
  int begins() const {
    std::lock_guard lock(mu_);
    return begins_;
  }
  int ends() const {
    std::lock_guard lock(mu_);
    return ends_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> objects_;
  std::set<std::string> listed_;
  int begins_ = 0;
  int ends_ = 0;
  std::string throw_on_;
  std::string out_of_memory_on_;
  int out_of_memory_times_ = 0;
};

}  // namespace quotient::extender::kube::testing
