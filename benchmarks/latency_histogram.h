// A log-linear latency histogram (HdrHistogram-style) for the load driver.
//
// Values are nanoseconds. Values below 64 ns have their own bucket; above, each power of
// two is split into 64 linear sub-buckets, so a reported percentile is within 1/128 (0.8 %)
// of the recorded value (the bucket midpoint is reported). Fixed memory (~20 KB), no
// allocation after construction, so recording is cheap enough for every request.
//
// Thread safety: thread-compatible. Use one per connection and Merge() them at the end.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace quotient::benchmarks {

class LatencyHistogram {
 public:
  void Record(uint64_t nanos) {
    ++counts_[Index(nanos)];
    ++count_;
    max_ = std::max(max_, nanos);
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }

  // The value at `quantile` (0..1), in nanoseconds; 0 when empty.
  uint64_t Percentile(double quantile) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<uint64_t>(quantile * static_cast<double>(count_));
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(Midpoint(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int kSubBits = 6;  // 64 sub-buckets per power of two
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr int kMaxExponent = 44;  // ~4.9 hours in ns; larger values are clamped
  static constexpr size_t kBuckets = kSub * (kMaxExponent - kSubBits + 2);

  static size_t Index(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    int exponent = std::min(static_cast<int>(std::bit_width(v)) - 1, kMaxExponent);  // >= 6
    int shift = exponent - kSubBits;
    uint64_t sub = std::min<uint64_t>((v >> shift) - kSub, kSub - 1);
    return static_cast<size_t>(kSub * static_cast<uint64_t>(exponent - kSubBits + 1) + sub);
  }

  static uint64_t Midpoint(size_t index) {
    if (index < kSub) return index;
    int exponent = static_cast<int>(index / kSub) - 1 + kSubBits;
    int shift = exponent - kSubBits;
    uint64_t low = (kSub + index % kSub) << shift;
    return low + ((uint64_t{1} << shift) >> 1);
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

}  // namespace quotient::benchmarks
