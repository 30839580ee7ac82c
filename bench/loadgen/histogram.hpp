// A log-linear histogram of non-negative integers (nanoseconds here): each
// power of two is split into 32 equal buckets, so any recorded value is
// reported within about 3% while the table stays a fixed 15 KiB, whatever the
// range. Recording is one array increment, cheap enough for every message.
#pragma once

#include <array>
#include <cstdint>

namespace loadgen {

class Histogram {
 public:
  void record(std::uint64_t value);
  void merge(const Histogram& other);
  void clear() { *this = Histogram{}; }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // The smallest bucket bound below which at least `fraction` of the values
  // lie (never above the largest value recorded); 0 when empty.
  std::uint64_t percentile(double fraction) const;

  static constexpr int kSubBucketBits = 5;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;
  static int bucket_of(std::uint64_t value);
  static std::uint64_t bucket_upper_bound(int bucket);

 private:
  std::array<std::uint64_t, kBucketCount> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace loadgen
