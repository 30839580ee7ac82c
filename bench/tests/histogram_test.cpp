#include "histogram.hpp"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.99), 0u);
  EXPECT_EQ(h.max(), 0u);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 0; v < 64; ++v) h.record(v);
  EXPECT_EQ(h.percentile(0.5), 31u);
  EXPECT_EQ(h.percentile(1.0), 63u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(Histogram, BucketsAreContiguousAndCoverEveryValue) {
  for (int b = 1; b < Histogram::kBucketCount; ++b) {
    EXPECT_EQ(Histogram::bucket_of(Histogram::bucket_upper_bound(b - 1) + 1), b) << b;
    EXPECT_EQ(Histogram::bucket_of(Histogram::bucket_upper_bound(b)), b) << b;
  }
  EXPECT_EQ(Histogram::bucket_of(UINT64_MAX), Histogram::kBucketCount - 1);
}

TEST(Histogram, PercentilesAreWithinThreePercent) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 us .. 100 ms
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = q * 100000 * 1000;
    const double got = static_cast<double>(h.percentile(q));
    EXPECT_GE(got, exact * 0.999) << q;
    EXPECT_LE(got, exact * 1.0315) << q;
  }
  EXPECT_EQ(h.max(), 100000u * 1000);
  EXPECT_EQ(h.percentile(1.0), h.max());
}

TEST(Histogram, MergeAddsCounts) {
  Histogram a, b;
  a.record(10);
  b.record(1000);
  b.record(5);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 5u);
  EXPECT_EQ(a.max(), 1000u);
}

}  // namespace
}  // namespace loadgen
