// Directory tests without sockets: a RoomDirectory driven through synchronous
// calls, and peers that record what the directory delivers.
//
// SyncDirectory owns an InProcessDirectory (whose completions run inline) and
// hands each completion's value back as a return value; after every call it
// runs the peers' inbox drains, so a test reads what arrived right away, as a
// session would on its strand. FakeLink is a session stand-in: a
// PeerLink::Handler with its own PeerLink, draining on a strand of the shared
// test loop.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "base/clock.hpp"
#include "rooms/in_process_directory.hpp"
#include "rooms/peer_link.hpp"

namespace parley::testing {

// The loop the fake sessions' inboxes drain on. It never runs out of work, so
// several threads may poll it at once.
class TestLoop {
 public:
  TestLoop() : guard_(io_.get_executor()) {}
  boost::asio::io_context& io() { return io_; }
  void poll() { io_.poll(); }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
};

// Whether a connection can be resumed (the native dialect) or not (socket.io).
enum class Dialect { native, socketio };

class FakeLink final : public PeerLink::Handler {
 public:
  FakeLink(TestLoop& loop, bool resumable)
      : peer_link(std::make_shared<PeerLink>(*this, resumable)) {
    peer_link->open(boost::asio::make_strand(loop.io()), peer_link);
  }
  ~FakeLink() { peer_link->discard(); }

  void on_events(std::vector<Event>& batch) override {
    std::lock_guard lock(mutex);
    for (auto& event : batch) events.push_back(std::move(event));
  }
  std::vector<SharedMessage> take_unsent() override {
    std::lock_guard lock(mutex);
    ++take_unsent_calls;
    return std::exchange(unsent, {});
  }
  void superseded() override { superseded_count.fetch_add(1); }

  // The texts of the relayed messages delivered so far, in order.
  std::vector<std::string> relayed() const {
    std::lock_guard lock(mutex);
    std::vector<std::string> out;
    for (const auto& e : events)
      if (const auto* r = std::get_if<RelayEvent>(&e)) out.emplace_back(r->message->text);
    return out;
  }
  template <class E>
  std::vector<E> of_kind() const {
    std::lock_guard lock(mutex);
    std::vector<E> out;
    for (const auto& e : events)
      if (const auto* x = std::get_if<E>(&e)) out.push_back(*x);
    return out;
  }
  std::size_t event_count() const {
    std::lock_guard lock(mutex);
    return events.size();
  }

  // What the directory holds; a drain keeps it alive until it has run.
  std::shared_ptr<PeerLink> peer_link;
  mutable std::mutex mutex;
  std::vector<Event> events;
  std::vector<SharedMessage> unsent;  // "queued but not written", for lost()
  int take_unsent_calls = 0;
  std::atomic<int> superseded_count{0};
};

// A relayed message as a directory would build it.
inline SharedMessage relayed_message(std::string text, std::string type = "message",
                                     std::string room = "r", std::string sender = "sender") {
  return RelayedMessage::make(RelayDraft{type, text, false, RelayShape::signal}, room, sender);
}

// A draft that owns its texts, for a test that builds it ahead of the relay()
// call: a RelayDraft only views them. As a temporary argument it lives until
// relay() returns.
struct OwnedDraft {
  std::string type;
  std::string text;
  operator RelayDraft() const { return RelayDraft{type, text, false, RelayShape::signal}; }
};

inline OwnedDraft draft_of(std::string text, std::string type = "message") {
  return OwnedDraft{std::move(type), std::move(text)};
}

inline std::vector<std::string> texts(const std::vector<SharedMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.emplace_back(m->text);
  return out;
}

class SyncDirectory {
 public:
  using Connected = RoomDirectory::Connected;
  using JoinStatus = RoomDirectory::JoinStatus;
  using JoinResult = RoomDirectory::JoinResult;
  using MetaStatus = RoomDirectory::MetaStatus;
  using MetaResult = RoomDirectory::MetaResult;
  using WatchStatus = RoomDirectory::WatchStatus;
  using WatchResult = RoomDirectory::WatchResult;
  using RelayStatus = RoomDirectory::RelayStatus;
  using Resumed = RoomDirectory::Resumed;

  SyncDirectory(const Clock& clock, DirectoryLimits limits, RoomLifecycle* lifecycle = nullptr,
                std::size_t shards = InProcessDirectory::kDefaultShards)
      : directory_(clock, limits, lifecycle, shards) {}
  ~SyncDirectory() { directory_.clear(); }

  RoomDirectory& directory() { return directory_; }
  TestLoop& loop() { return loop_; }
  // Runs the inbox drains scheduled so far.
  void settle() { loop_.poll(); }

  std::shared_ptr<FakeLink> make_link(Dialect dialect = Dialect::native) {
    return std::make_shared<FakeLink>(loop_, dialect == Dialect::native);
  }

  void set_limits(const DirectoryLimits& limits) { directory_.set_limits(limits); }
  Connected connect(const std::shared_ptr<FakeLink>& link) {
    // The directory holds the link, which shares the fake session's ownership.
    auto held = std::shared_ptr<PeerLink>(link, link->peer_link.get());
    return directory_.connect(std::move(held));
  }
  JoinResult join(const std::string& id, const std::string& room, JoinOptions options = {}) {
    return call<JoinResult>(
        [&](auto done) { directory_.join(id, room, std::move(options), std::move(done)); });
  }
  MetaResult update_meta(const std::string& id, nlohmann::json meta) {
    return call<MetaResult>(
        [&](auto done) { directory_.update_meta(id, std::move(meta), std::move(done)); });
  }
  WatchResult watch(const std::string& id, const std::string& room) {
    return call<WatchResult>([&](auto done) { directory_.watch(id, room, std::move(done)); });
  }
  bool unwatch(const std::string& id, const std::string& room) {
    return call<bool>([&](auto done) { directory_.unwatch(id, room, std::move(done)); });
  }
  std::optional<std::string> leave(const std::string& id) {
    return call<std::optional<std::string>>(
        [&](auto done) { directory_.leave(id, std::move(done)); });
  }
  RelayStatus relay(const std::string& id, const std::string* to, RelayDraft draft) {
    auto status = directory_.relay(id, to, draft);
    settle();
    return status;
  }
  void end(const std::string& id, FakeLink* link) {
    directory_.end(id, link ? link->peer_link.get() : nullptr);
    settle();
  }
  void lost(const std::string& id, FakeLink* link) {
    directory_.lost(id, link ? link->peer_link.get() : nullptr);
    settle();
  }
  std::optional<Resumed> resume(const std::string& token, const std::string& provisional_id,
                                const std::shared_ptr<FakeLink>& link) {
    auto held = std::shared_ptr<PeerLink>(link, link->peer_link.get());
    return call<std::optional<Resumed>>([&](auto done) {
      directory_.resume(token, provisional_id, std::move(held), std::move(done));
    });
  }
  void hand_over(const std::string& id, std::vector<SharedMessage> unsent) {
    directory_.hand_over(id, std::move(unsent));
    settle();
  }
  std::size_t expire() {
    auto n = directory_.expire();
    settle();
    return n;
  }
  std::optional<double> next_deadline() const { return directory_.next_deadline(); }
  std::vector<RoomInfo> rooms() {
    return call<std::vector<RoomInfo>>([&](auto done) { directory_.rooms(std::move(done)); });
  }
  std::optional<RoomInfo> room(const std::string& name) {
    return call<std::optional<RoomInfo>>(
        [&](auto done) { directory_.room(name, std::move(done)); });
  }
  bool kick_room(const std::string& name) {
    return call<bool>([&](auto done) { directory_.kick_room(name, std::move(done)); });
  }
  bool kick_peer(const std::string& id) {
    return call<bool>([&](auto done) { directory_.kick_peer(id, std::move(done)); });
  }
  std::optional<std::string> room_of(const std::string& id) const { return directory_.room_of(id); }
  std::size_t room_count() const { return directory_.counts().rooms; }
  std::size_t peer_count() const { return directory_.counts().seated; }
  std::size_t connected_count() const { return directory_.counts().connected; }
  std::size_t watch_count() const { return directory_.counts().watches; }
  void clear() { directory_.clear(); }

 private:
  // The in-process directory completes inline: the value is there on return.
  template <class T, class Start>
  T call(Start&& start) {
    std::optional<T> result;
    start([&result](T value) { result.emplace(std::move(value)); });
    settle();
    return std::move(*result);
  }

  TestLoop loop_;  // declared first: destroyed last, with any drain still queued
  InProcessDirectory directory_;
};

}  // namespace parley::testing
