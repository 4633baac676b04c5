#include "extender/telemetry/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

#include "quota/dcheck.h"

namespace quotient::extender::metrics {

uint64_t Gauge::ToBits(double v) {
  return std::bit_cast<uint64_t>(v);
}
double Gauge::FromBits(uint64_t bits) {
  return std::bit_cast<double>(bits);
}

void Gauge::Add(double delta) {
  uint64_t old = bits_.load(std::memory_order_relaxed);
  while (
      !bits_.compare_exchange_weak(old, ToBits(FromBits(old) + delta), std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  uint64_t old = sum_bits_.load(std::memory_order_relaxed);
  while (!sum_bits_.compare_exchange_weak(
      old, std::bit_cast<uint64_t>(std::bit_cast<double>(old) + value),
      std::memory_order_relaxed)) {
  }
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = std::bit_cast<double>(sum_bits_.load(std::memory_order_relaxed));
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,    0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

Family::Family(std::string name, std::string help, Type type, std::vector<std::string> label_names,
               std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)) {}

Family::Child* Family::FindOrCreate(const std::vector<std::string>& label_values) {
  QUOTIENT_DCHECK(label_values.size() == label_names_.size());
  std::lock_guard lock(mu_);
  for (auto& child : children_) {
    if (child.label_values == label_values) return &child;
  }
  Child& child = children_.emplace_back();
  child.label_values = label_values;
  switch (type_) {
    case Type::kCounter: child.counter = std::make_unique<Counter>(); break;
    case Type::kGauge: child.gauge = std::make_unique<Gauge>(); break;
    case Type::kHistogram: child.histogram = std::make_unique<Histogram>(bounds_); break;
  }
  return &child;
}

Counter* Family::CounterWith(const std::vector<std::string>& label_values) {
  return FindOrCreate(label_values)->counter.get();
}
Gauge* Family::GaugeWith(const std::vector<std::string>& label_values) {
  return FindOrCreate(label_values)->gauge.get();
}
Histogram* Family::HistogramWith(const std::vector<std::string>& label_values) {
  return FindOrCreate(label_values)->histogram.get();
}

void Family::SetCollector(Collect collect) {
  std::lock_guard lock(mu_);
  collect_ = std::move(collect);
}

void Family::Clear() {
  std::lock_guard lock(mu_);
  children_.clear();
}

void AppendEscapedLabelValue(std::string_view value, std::string* out) {
  for (char c : value) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

void AppendEscapedHelp(std::string_view help, std::string* out) {
  for (char c : help) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

namespace {

// name{a="x",b="y"[,extra]} — `extra` is a pre-rendered pair such as le="0.5".
void AppendSeries(std::string_view name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, std::string_view extra,
                  std::string* out) {
  out->append(name);
  if (label_names.empty() && extra.empty()) return;
  out->push_back('{');
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(label_names[i]);
    out->append("=\"");
    AppendEscapedLabelValue(label_values[i], out);
    out->push_back('"');
  }
  if (!extra.empty()) {
    if (!label_names.empty()) out->push_back(',');
    out->append(extra);
  }
  out->push_back('}');
}

}  // namespace

void Family::Render(std::string* out) const {
  std::lock_guard lock(mu_);
  out->append("# HELP ").append(name_).push_back(' ');
  AppendEscapedHelp(help_, out);
  out->append("\n# TYPE ").append(name_);
  out->append(type_ == Type::kCounter ? " counter\n"
              : type_ == Type::kGauge ? " gauge\n"
                                      : " histogram\n");
  if (collect_) {
    collect_([&](const std::vector<std::string>& label_values, double value) {
      AppendSeries(name_, label_names_, label_values, {}, out);
      out->append(" ").append(FormatValue(value)).push_back('\n');
    });
    return;
  }
  for (const Child& child : children_) {
    if (child.counter) {
      AppendSeries(name_, label_names_, child.label_values, {}, out);
      out->append(" ").append(fmt::format_int(child.counter->Value()).str()).push_back('\n');
    } else if (child.gauge) {
      AppendSeries(name_, label_names_, child.label_values, {}, out);
      out->append(" ").append(FormatValue(child.gauge->Value())).push_back('\n');
    } else {
      Histogram::Snapshot s = child.histogram->Read();
      const std::string bucket = name_ + "_bucket";
      for (size_t i = 0; i <= bounds_.size(); ++i) {
        std::string le = "le=\"";
        le += i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
        le += '"';
        AppendSeries(bucket, label_names_, child.label_values, le, out);
        out->append(" ").append(fmt::format_int(s.cumulative[i]).str()).push_back('\n');
      }
      AppendSeries(name_ + "_sum", label_names_, child.label_values, {}, out);
      out->append(" ").append(FormatValue(s.sum)).push_back('\n');
      AppendSeries(name_ + "_count", label_names_, child.label_values, {}, out);
      out->append(" ").append(fmt::format_int(s.count).str()).push_back('\n');
    }
  }
}

Family* Registry::Add(std::string name, std::string help, Type type,
                      std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  QUOTIENT_DCHECK(std::none_of(families_.begin(), families_.end(),
                               [&](const Family& f) { return f.name() == name; }));
  return &families_.emplace_back(std::move(name), std::move(help), type, std::move(labels),
                                 std::move(bounds));
}

Family* Registry::AddCounter(std::string name, std::string help, std::vector<std::string> labels) {
  return Add(std::move(name), std::move(help), Type::kCounter, std::move(labels), {});
}
Family* Registry::AddGauge(std::string name, std::string help, std::vector<std::string> labels) {
  return Add(std::move(name), std::move(help), Type::kGauge, std::move(labels), {});
}
Family* Registry::AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                               std::vector<double> bounds) {
  return Add(std::move(name), std::move(help), Type::kHistogram, std::move(labels),
             std::move(bounds));
}

Family* Registry::AddCollectedGauge(std::string name, std::string help,
                                    std::vector<std::string> labels, Collect collect) {
  Family* family = Add(std::move(name), std::move(help), Type::kGauge, std::move(labels), {});
  family->SetCollector(std::move(collect));
  return family;
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const Family& family : families_) family.Render(&out);
  return out;
}

}  // namespace quotient::extender::metrics
