#include "histogram.hpp"

#include <algorithm>
#include <bit>

namespace loadgen {

int Histogram::bucket_of(std::uint64_t value) {
  // Values below 2 * kSubBuckets have a bucket each; above, the top
  // kSubBucketBits + 1 bits select the bucket within the value's octave.
  if (value < 2 * kSubBuckets) return static_cast<int>(value);
  const int exponent = 63 - std::countl_zero(value);
  const int shift = exponent - kSubBucketBits;
  return shift * kSubBuckets + static_cast<int>(value >> shift);
}

std::uint64_t Histogram::bucket_upper_bound(int bucket) {
  if (bucket < 2 * kSubBuckets) return static_cast<std::uint64_t>(bucket);
  const int shift = bucket / kSubBuckets - 1;
  const std::uint64_t top = static_cast<std::uint64_t>(bucket % kSubBuckets + kSubBuckets);
  if (shift >= 58 && top == 2 * kSubBuckets - 1) return UINT64_MAX;
  return ((top + 1) << shift) - 1;
}

void Histogram::record(std::uint64_t value) {
  ++buckets_[bucket_of(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) {
  for (int i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::percentile(double fraction) const {
  if (count_ == 0) return 0;
  const double wanted = std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count_);
  std::uint64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen > 0 && static_cast<double>(seen) >= wanted) {
      return std::min(bucket_upper_bound(i), max_);
    }
  }
  return max_;
}

}  // namespace loadgen
