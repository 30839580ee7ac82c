// Every correctness violation the generator sees (lost, duplicated,
// reordered or mis-attributed messages, refused joins, dropped sessions),
// counted by kind, with the first few described in full. Shared by all
// threads; faults are rare, so a mutex is fine.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace loadgen {

class Faults {
 public:
  void add(const std::string& kind, const std::string& detail);
  std::uint64_t total() const;
  std::map<std::string, std::uint64_t> counts() const;
  std::vector<std::string> examples() const;

 private:
  static constexpr std::size_t kMaxExamples = 20;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> counts_;
  std::vector<std::string> examples_;
};

}  // namespace loadgen
