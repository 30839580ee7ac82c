// How much a join's and a leave's server frames cost to build: the frames as
// parley writes them (base/json_writer) against the same frames built as a
// nlohmann::json document and printed, the way they were built before. No
// sockets; prints nanoseconds and heap allocations per frame set.
//
//   cmake --build build-bench --target parley_server_frames &&
//   build-bench/bench/parley_server_frames
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "dialects/native/protocol.hpp"

namespace {

std::size_t allocations = 0;

}  // namespace

// This file replaces the global operator new and delete with malloc and free:
// GCC, seeing them inlined into standard containers, reports the pair as
// mismatched, which it is not here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

using nlohmann::json;
using parley::LeaveReason;

const std::vector<std::string> kPeers = {"Vx3k9QbLm2Tq"};
const json kMeta = json::object();
const json kIce = json::array();
const std::optional<json> kRid = json("r-17");

std::string dumped(json document, const std::optional<json>& rid) {
  if (rid) document["rid"] = *rid;
  return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The four frames of a room of two's life: joined, peer-joined, left, peer-left.
std::size_t frames_as_documents(const std::string& room, const std::string& id) {
  std::size_t bytes = 0;
  bytes += dumped({{"type", "joined"},
                   {"room", room},
                   {"id", id},
                   {"peers", kPeers},
                   {"meta", kMeta},
                   {"iceServers", kIce}},
                  kRid)
               .size();
  bytes +=
      dumped({{"type", "peer-joined"}, {"room", room}, {"id", id}, {"meta", kMeta}}, {}).size();
  bytes += dumped({{"type", "left"}, {"room", room}, {"reason", "leave"}}, kRid).size();
  bytes +=
      dumped({{"type", "peer-left"}, {"room", room}, {"id", id}, {"reason", "leave"}}, {}).size();
  return bytes;
}

std::size_t frames_as_written(const std::string& room, const std::string& id) {
  std::size_t bytes = 0;
  bytes += parley::encode_joined(room, id, kPeers, kMeta, kIce, kRid).size();
  bytes += parley::encode_peer_joined(room, id, kMeta).size();
  bytes += parley::encode_left(room, LeaveReason::leave, kRid).size();
  bytes += parley::encode_peer_left(room, id, LeaveReason::leave).size();
  return bytes;
}

template <class Build>
void measure(const char* name, Build build) {
  constexpr int kRounds = 200'000;
  const std::string room = "room-000123", id = "Qm8vZ2xk4TnR";
  std::size_t bytes = 0;
  const std::size_t allocations_before = allocations;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) bytes += build(room, id);
  const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
  std::printf("%-22s %8.0f ns  %5.1f allocations per join+leave (%zu bytes)\n", name,
              took.count() / kRounds,
              static_cast<double>(allocations - allocations_before) / kRounds, bytes / kRounds);
}

}  // namespace

int main() {
  for (int run = 0; run < 3; ++run) {
    measure("nlohmann documents", frames_as_documents);
    measure("json_writer", frames_as_written);
  }
}
