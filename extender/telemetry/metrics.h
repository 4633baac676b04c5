// Prometheus metrics: lock-free instruments and text exposition format 0.0.4.
//
// Thread safety:
//  * Counter, Gauge and Histogram are updated with relaxed atomics only: safe from any
//    thread, never block, never allocate. Hot paths hold pointers to them.
//  * Family::With() looks up or creates a labelled child under the family's mutex
//    (registration time, or the first time a label value appears) and returns a
//    pointer that stays valid for the registry's lifetime.
//  * Registry::Render() takes each family's mutex briefly; values are read with
//    relaxed loads, so a scrape may see a histogram mid-update (count and buckets are
//    made consistent with each other; sum may lag by one observation).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace quotient::extender::metrics {

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { bits_.store(ToBits(v), std::memory_order_relaxed); }
  void Add(double delta);
  double Value() const { return FromBits(bits_.load(std::memory_order_relaxed)); }

 private:
  static uint64_t ToBits(double v);
  static double FromBits(uint64_t bits);
  std::atomic<uint64_t> bits_{0};  // a double's bit pattern (0 == +0.0)
};

class Histogram {
 public:
  // `upper_bounds` strictly increasing, finite; +Inf is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // non-cumulative, bounds_.size()+1
  std::atomic<uint64_t> sum_bits_{0};
};

// Latency buckets in seconds, 25 µs .. 10 s.
std::vector<double> LatencyBuckets();

enum class Type { kCounter, kGauge, kHistogram };

// Values computed at scrape time (e.g. quota usage read from the accounting core):
// the callback calls emit(label_values, value) once per series.
using Emit = std::function<void(const std::vector<std::string>& label_values, double value)>;
using Collect = std::function<void(const Emit& emit)>;

class Family {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> label_names,
         std::vector<double> bounds);

  // The child with these label values (one per label name). REQUIRES: the right count.
  Counter* CounterWith(const std::vector<std::string>& label_values);
  Gauge* GaugeWith(const std::vector<std::string>& label_values);
  Histogram* HistogramWith(const std::vector<std::string>& label_values);
  // Drops every child (for gauges describing a set that was replaced, e.g. a new quota tree).
  void Clear();

  // Makes this a collected family: Render() calls `collect` instead of listing children.
  void SetCollector(Collect collect);

  void Render(std::string* out) const;
  const std::string& name() const { return name_; }

 private:
  struct Child {
    std::vector<std::string> label_values;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  Child* FindOrCreate(const std::vector<std::string>& label_values);

  // Constant after construction.
  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;

  mutable std::mutex mu_;
  std::deque<Child> children_;  // guarded by mu_; deque keeps addresses stable
  Collect collect_;             // guarded by mu_
};

class Registry {
 public:
  // Adds a family; names must be unique (REQUIRES). The family lives as long as the registry.
  Family* AddCounter(std::string name, std::string help, std::vector<std::string> labels = {});
  Family* AddGauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family* AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                       std::vector<double> bounds);
  // A gauge family whose series are computed by `collect` at each scrape.
  Family* AddCollectedGauge(std::string name, std::string help, std::vector<std::string> labels,
                            Collect collect);

  // The whole exposition in text format 0.0.4, families in registration order.
  std::string Render() const;

 private:
  Family* Add(std::string name, std::string help, Type type, std::vector<std::string> labels,
              std::vector<double> bounds);
  mutable std::mutex mu_;
  std::deque<Family> families_;  // guarded by mu_
};

// Formatting helpers of the text format, exposed for tests.
void AppendEscapedLabelValue(std::string_view value, std::string* out);  // \\ \" \n
void AppendEscapedHelp(std::string_view help, std::string* out);         // \\ \n
std::string FormatValue(double value);  // Go-compatible: +Inf, -Inf, NaN, shortest repr

}  // namespace quotient::extender::metrics
