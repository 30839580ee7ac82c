#include "client.hpp"

#include <algorithm>

#include "clock.hpp"
#include "faults.hpp"

namespace loadgen {

Client::Client(int index, int worker, ClientContext context)
    : index_(index), worker_(worker), context_(std::move(context)) {}

void Client::connect(const std::string& bind_address) {
  connection_ = make_connection(*context_.io, context_.endpoint, context_.tls, *this);
  connection_->start(bind_address);
}

void Client::join(const std::string& room, std::vector<int> mates) {
  room_ = room;
  mates_ = std::move(mates);
  next_seq_.assign(mates_.size(), 0);
  join_sent_at_ = now_ns();
  connection_->send(context_.dialect->join(room));
}

void Client::leave() {
  connection_->send(context_.dialect->leave(room_));
}

void Client::send_relay(std::int64_t sent_at, std::string_view to) {
  RelayMessage message;
  message.room = room_;
  message.origin = index_;
  message.seq = sent_++;
  message.sent_at = sent_at;
  message.size = context_.message_size;
  message.to = to;
  connection_->send(context_.dialect->relay(message));
}

void Client::close() {
  if (connection_ && !closed_) connection_->close();
}

void Client::check_all_received() {
  for (std::size_t slot = 0; slot < mates_.size(); ++slot) {
    const auto expected = client_at(mates_[slot]).sent();
    if (next_seq_[slot] != expected) {
      context_.faults->add("lost", "client " + std::to_string(index_) + " got " +
                                       std::to_string(next_seq_[slot]) + " of " +
                                       std::to_string(expected) + " messages from client " +
                                       std::to_string(mates_[slot]));
    }
  }
}

void Client::on_open() {
  if (context_.dialect->ready_on_open()) {
    ready_ = true;
    context_.events->on_ready(*this);
  }
}

void Client::on_message(std::string_view text) {
  Incoming in = context_.dialect->parse(text, context_.strict);
  if (!in.reply.empty()) connection_->send(std::move(in.reply));
  switch (in.kind) {
    case Kind::kRelayed:
      verify_relayed(in.relayed);
      context_.events->on_relayed(*this, in.relayed);
      break;
    case Kind::kReady:
      if (ready_) {
        context_.faults->add("protocol", "a second greeting");
        break;
      }
      ready_ = true;
      peer_id_ = in.id;
      context_.events->on_ready(*this);
      break;
    case Kind::kJoined:
      if (joined_) {
        context_.faults->add("protocol", "joined while in a room");
        break;
      }
      joined_ = true;
      verify_peer_ids(in);
      context_.events->on_joined(*this);
      break;
    case Kind::kPeerJoined:
      verify_peer_ids(in);
      context_.events->on_peer_joined(*this);
      break;
    case Kind::kPeerLeft:
      context_.events->on_peer_left(*this);
      break;
    case Kind::kLeft:
      if (!joined_) context_.faults->add("protocol", "left while in no room");
      joined_ = false;
      context_.events->on_left(*this);
      break;
    case Kind::kFull:
      context_.faults->add("join-refused", "room " + room_ + " was full");
      break;
    case Kind::kServerError:
      context_.faults->add("server-error", in.detail);
      break;
    case Kind::kMalformed:
      context_.faults->add("malformed", in.detail);
      break;
    case Kind::kIgnored:
      break;
  }
}

void Client::on_close(bool clean, const std::string& why) {
  closed_ = true;
  context_.events->on_closed(*this, clean, why);
}

int Client::mate_slot(std::int64_t origin) const {
  const auto it = std::find(mates_.begin(), mates_.end(), origin);
  return it == mates_.end() ? -1 : static_cast<int>(it - mates_.begin());
}

void Client::verify_relayed(const RelayedFields& message) {
  const int slot = joined_ ? mate_slot(message.origin) : -1;
  if (slot < 0) {
    context_.faults->add("misattributed", "client " + std::to_string(index_) + " in room " + room_ +
                                              " got a message of client " +
                                              std::to_string(message.origin));
    return;
  }
  if (context_.dialect->reports_peer_ids() && message.from != client_at(message.origin).peer_id()) {
    context_.faults->add("wrong-from", "message of client " + std::to_string(message.origin) +
                                           " arrived with from=" + std::string(message.from));
  }
  if (!message.room.empty() && message.room != room_) {
    context_.faults->add("wrong-room", "message for room " + std::string(message.room) +
                                           " reached a client of room " + room_);
  }
  auto& expected = next_seq_[slot];
  if (message.seq != expected) {
    context_.faults->add(message.seq > expected ? "lost" : "duplicated-or-reordered",
                         "client " + std::to_string(index_) + " expected seq " +
                             std::to_string(expected) + " from client " +
                             std::to_string(message.origin) + ", got " +
                             std::to_string(message.seq));
  }
  expected = message.seq + 1;
}

// The native dialect names peers by id: every id announced to us must be a room-mate's.
void Client::verify_peer_ids(const Incoming& in) {
  if (!context_.dialect->reports_peer_ids()) return;
  auto is_mate_id = [&](const std::string& id) {
    return std::any_of(mates_.begin(), mates_.end(),
                       [&](int mate) { return client_at(mate).peer_id() == id; });
  };
  for (const auto& id : in.peers) {
    if (!is_mate_id(id)) context_.faults->add("wrong-peer", "joined.peers lists " + id);
  }
  if (in.kind == Kind::kPeerJoined && !is_mate_id(in.id)) {
    context_.faults->add("wrong-peer", "peer-joined names " + in.id);
  }
  if (in.kind == Kind::kJoined && !in.id.empty() && in.id != peer_id_) {
    context_.faults->add("wrong-peer", "joined.id " + in.id + " is not our welcome id");
  }
}

}  // namespace loadgen
