// The clients of one run, grouped into rooms and spread over the engine's
// threads, with the phases every scenario shares: connect everyone, join
// every room, leave, close. A scenario derives from Fleet and adds its
// traffic; the default event handlers here do the shared bookkeeping.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "client.hpp"
#include "engine.hpp"
#include "faults.hpp"
#include "options.hpp"
#include "tally.hpp"

namespace loadgen {

struct Room {
  std::string name;
  std::vector<int> members;  // client indices
  int worker = 0;
  int joined = 0;     // members whose join succeeded
  int announced = 0;  // join announcements (peer-joined) received in the room
  int left = 0;
};

class Fleet : public ClientEvents {
 public:
  Fleet(const Options& options, const Dialect& dialect, Faults& faults, int rooms, int room_size);
  virtual ~Fleet();

 protected:
  // Each phase returns false (and records a fault) when it did not finish in time.
  bool connect_all();
  bool join_all();
  bool leave_all();
  bool close_all();

  Client& client(int index) { return *clients_[index]; }
  Room& room_of(const Client& c) { return rooms_[c.room_index]; }
  // Join announcements a full room of `size` hears: each member is announced
  // to those who joined before it.
  int announcements_expected(std::size_t size) const;
  bool room_complete(const Room& room) const;
  // Server-side peer-left / drop during traffic is a fault unless allowed.
  void allow_departures(bool allowed) { departures_allowed_.store(allowed); }

  void on_ready(Client& client) override;
  void on_joined(Client& client) override;
  void on_peer_joined(Client& client) override;
  void on_peer_left(Client& client) override;
  void on_left(Client& client) override;
  void on_relayed(Client& client, const RelayedFields& message) override;
  void on_closed(Client& client, bool clean, const std::string& why) override;

  const Options& options_;
  const Dialect& dialect_;
  Faults& faults_;
  std::string run_tag_;  // makes room names unique to this run
  std::shared_ptr<TlsClientContext> tls_;
  Engine engine_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<Room> rooms_;
  Tally ready_;  // clients ready, or failed before
  Tally connected_failures_;
  Tally rooms_joined_;
  Tally clients_left_;
  Tally clients_closed_;
  std::atomic<bool> departures_allowed_{false};
  std::atomic<bool> closing_{false};

 private:
  void start_connects(int worker);
  std::string bind_address_for(int index) const;
  struct Pacer {
    std::vector<int> queue;
    std::size_t next = 0;
    int in_progress = 0;
  };
  std::vector<Pacer> pacers_;  // per worker
};

}  // namespace loadgen
