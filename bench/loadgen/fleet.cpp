#include "fleet.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <random>

namespace loadgen {

namespace {

std::chrono::duration<double> as_duration(double seconds) {
  return std::chrono::duration<double>(seconds);
}

}  // namespace

Fleet::Fleet(const Options& options, const Dialect& dialect, Faults& faults, int rooms,
             int room_size)
    : options_(options), dialect_(dialect), faults_(faults), engine_(options.threads) {
  run_tag_ = std::string(1, 'r');
  run_tag_ += std::to_string(getpid());
  run_tag_ += 'x';
  run_tag_ += std::to_string(std::random_device{}() % 100000);
  if (options.endpoint.tls) tls_ = make_tls_client_context();
  pacers_.resize(engine_.threads());
  // With --port2 (two nodes of a cluster), a room's members alternate
  // between the two servers: each pair spans both.
  Endpoint second = options.endpoint;
  if (options.port2 != 0) second.port = options.port2;
  rooms_.resize(rooms);
  for (int r = 0; r < rooms; ++r) {
    Room& room = rooms_[r];
    room.name = run_tag_ + "-" + std::to_string(r);
    room.worker = r % engine_.threads();
    for (int m = 0; m < room_size; ++m) {
      const int index = static_cast<int>(clients_.size());
      ClientContext context;
      context.io = &engine_.io(room.worker);
      context.dialect = &dialect_;
      context.endpoint = m % 2 == 1 ? second : options.endpoint;
      context.tls = tls_.get();
      context.faults = &faults_;
      context.events = this;
      context.roster = &clients_;
      context.message_size = options.size;
      context.strict = options.strict;
      clients_.push_back(std::make_unique<Client>(index, room.worker, context));
      clients_.back()->room_index = r;
      room.members.push_back(index);
      pacers_[room.worker].queue.push_back(index);
    }
  }
}

Fleet::~Fleet() {
  engine_.stop();
}

std::string Fleet::bind_address_for(int index) const {
  if (options_.bind_from.empty()) return {};
  in_addr base{};
  if (inet_pton(AF_INET, options_.bind_from.c_str(), &base) != 1) return options_.bind_from;
  const std::uint32_t host =
      ntohl(base.s_addr) + static_cast<std::uint32_t>(index / std::max(options_.per_address, 1));
  in_addr address{htonl(host)};
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &address, text, sizeof text);
  return text;
}

// A bounded number of handshakes per thread at a time: 19k SYNs at once
// would overflow the server's accept queue and measure retransmits instead.
void Fleet::start_connects(int worker) {
  Pacer& pacer = pacers_[worker];
  while (pacer.in_progress < options_.connect_concurrency && pacer.next < pacer.queue.size()) {
    const int index = pacer.queue[pacer.next++];
    ++pacer.in_progress;
    clients_[index]->connect(bind_address_for(index));
  }
}

bool Fleet::connect_all() {
  engine_.run_everywhere([this](int worker) { start_connects(worker); });
  const bool done = ready_.wait_for(clients_.size(), as_duration(options_.setup_timeout));
  const auto failed = connected_failures_.value();
  if (!done || failed > 0) {
    faults_.add("not-connected", std::to_string(clients_.size() - ready_.value() + failed) +
                                     " of " + std::to_string(clients_.size()) +
                                     " sessions did not connect in time");
    return false;
  }
  return true;
}

int Fleet::announcements_expected(std::size_t size) const {
  return dialect_.announces_joins() ? static_cast<int>(size * (size - 1) / 2) : 0;
}

bool Fleet::room_complete(const Room& room) const {
  return room.joined == static_cast<int>(room.members.size()) &&
         room.announced == announcements_expected(room.members.size());
}

bool Fleet::join_all() {
  engine_.run_everywhere([this](int worker) {
    for (auto& room : rooms_) {
      if (room.worker != worker) continue;
      for (int member : room.members) {
        std::vector<int> mates;
        for (int other : room.members) {
          if (other != member) mates.push_back(other);
        }
        clients_[member]->join(room.name, std::move(mates));
      }
    }
  });
  if (!rooms_joined_.wait_for(rooms_.size(), as_duration(options_.setup_timeout))) {
    faults_.add("not-joined", std::to_string(rooms_.size() - rooms_joined_.value()) + " of " +
                                  std::to_string(rooms_.size()) +
                                  " rooms were not fully joined in time");
    return false;
  }
  return true;
}

bool Fleet::leave_all() {
  allow_departures(true);
  engine_.run_everywhere([this](int worker) {
    for (auto& c : clients_) {
      if (c->worker() == worker && c->joined()) c->leave();
    }
  });
  if (!clients_left_.wait_for(clients_.size(), as_duration(options_.setup_timeout))) {
    faults_.add("not-left", std::to_string(clients_.size() - clients_left_.value()) +
                                " sessions got no answer to leave in time");
    return false;
  }
  return true;
}

bool Fleet::close_all() {
  allow_departures(true);
  closing_ = true;
  engine_.run_everywhere([this](int worker) {
    for (auto& c : clients_) {
      if (c->worker() == worker) c->close();
    }
  });
  if (!clients_closed_.wait_for(clients_.size(), as_duration(options_.setup_timeout))) {
    faults_.add("not-closed", std::to_string(clients_.size() - clients_closed_.value()) +
                                  " sessions did not close in time");
    return false;
  }
  return true;
}

void Fleet::on_ready(Client& client) {
  --pacers_[client.worker()].in_progress;
  start_connects(client.worker());
  ready_.add();
}

void Fleet::on_joined(Client& client) {
  Room& room = room_of(client);
  ++room.joined;
  if (room_complete(room)) rooms_joined_.add();
}

void Fleet::on_peer_joined(Client& client) {
  Room& room = room_of(client);
  ++room.announced;
  if (room_complete(room)) rooms_joined_.add();
}

void Fleet::on_peer_left(Client& client) {
  if (!departures_allowed_.load(std::memory_order_relaxed)) {
    faults_.add("peer-left", "client " + std::to_string(client.index()) +
                                 " was told a room-mate left during traffic");
  }
}

void Fleet::on_left(Client& client) {
  ++room_of(client).left;
  clients_left_.add();
}

void Fleet::on_relayed(Client&, const RelayedFields&) {}

void Fleet::on_closed(Client& client, bool clean, const std::string& why) {
  if (!client.ready()) {
    // Failed before the session was usable: count it so connect_all stops waiting.
    faults_.add("connect-failed", why);
    --pacers_[client.worker()].in_progress;
    start_connects(client.worker());
    connected_failures_.add();
    ready_.add();
  } else if (!closing_.load()) {
    faults_.add("dropped", "client " + std::to_string(client.index()) + ": " + why);
  } else if (!clean) {
    faults_.add("unclean-close", "client " + std::to_string(client.index()) + ": " + why);
  }
  clients_closed_.add();
}

}  // namespace loadgen
