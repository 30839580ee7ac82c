// One simulated signaling client: its connection, the dialect's state
// machine (ready, joined, left) and the receiver-side checks that make the
// generator a correctness test as well: every relayed message must come from
// a room-mate, carry that mate's peer id as `from` (native), and arrive exactly
// once and in order (per-sender sequence numbers).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "connection.hpp"
#include "dialect.hpp"

namespace loadgen {

class Client;
class Faults;

// What a scenario hears from its clients (on the client's thread).
class ClientEvents {
 public:
  virtual void on_ready(Client& client) = 0;
  virtual void on_joined(Client& client) = 0;
  virtual void on_peer_joined(Client& client) = 0;
  virtual void on_peer_left(Client& client) = 0;
  virtual void on_left(Client& client) = 0;
  virtual void on_relayed(Client& client, const RelayedFields& message) = 0;
  virtual void on_closed(Client& client, bool clean, const std::string& why) = 0;

 protected:
  ~ClientEvents() = default;
};

// What every client of a run shares.
struct ClientContext {
  boost::asio::io_context* io = nullptr;  // of the client's own thread
  const Dialect* dialect = nullptr;
  Endpoint endpoint;
  TlsClientContext* tls = nullptr;
  Faults* faults = nullptr;
  ClientEvents* events = nullptr;
  const std::vector<std::unique_ptr<Client>>* roster = nullptr;  // by client index
  std::size_t message_size = 200;
  bool strict = false;
};

class Client final : public ConnectionHandler {
 public:
  Client(int index, int worker, ClientContext context);

  int index() const { return index_; }
  int worker() const { return worker_; }
  // The server's peer id for this client (native: from welcome); empty otherwise.
  const std::string& peer_id() const { return peer_id_; }
  bool ready() const { return ready_; }
  bool joined() const { return joined_; }
  std::int64_t sent() const { return sent_; }
  std::int64_t join_sent_at() const { return join_sent_at_; }
  std::size_t queued() const { return connection_ ? connection_->queued() : 0; }

  // A scenario's bookkeeping slot (e.g. the room index).
  int room_index = -1;

  void connect(const std::string& bind_address);
  // Joins `room`, whose other members are `mates` (client indices).
  void join(const std::string& room, std::vector<int> mates);
  void leave();
  // Sends the next relay message (to the whole room, or `to` one peer id).
  void send_relay(std::int64_t sent_at, std::string_view to = {});
  void close();

  // Checks that every mate's messages have all arrived (call once traffic has
  // drained); records a fault per mate with a gap.
  void check_all_received();

 private:
  void on_open() override;
  void on_message(std::string_view text) override;
  void on_close(bool clean, const std::string& why) override;

  void verify_relayed(const RelayedFields& message);
  void verify_peer_ids(const Incoming& in);
  int mate_slot(std::int64_t origin) const;
  const Client& client_at(std::int64_t index) const { return *(*context_.roster)[index]; }

  int index_;
  int worker_;
  ClientContext context_;
  std::shared_ptr<Connection> connection_;
  std::string peer_id_;
  std::string room_;
  std::vector<int> mates_;
  std::vector<std::int64_t> next_seq_;  // per mate, same order as mates_
  std::int64_t sent_ = 0;
  std::int64_t join_sent_at_ = 0;
  bool ready_ = false;
  bool joined_ = false;
  bool closed_ = false;
};

}  // namespace loadgen
