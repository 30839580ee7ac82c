#include "faults.hpp"

namespace loadgen {

void Faults::add(const std::string& kind, const std::string& detail) {
  std::lock_guard lock(mutex_);
  ++counts_[kind];
  if (examples_.size() < kMaxExamples) examples_.push_back(kind + ": " + detail);
}

std::uint64_t Faults::total() const {
  std::lock_guard lock(mutex_);
  std::uint64_t sum = 0;
  for (const auto& [kind, count] : counts_) sum += count;
  return sum;
}

std::map<std::string, std::uint64_t> Faults::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::vector<std::string> Faults::examples() const {
  std::lock_guard lock(mutex_);
  return examples_;
}

}  // namespace loadgen
