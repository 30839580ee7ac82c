#include "cluster/cluster_rooms.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace parley {

namespace {

std::string milliseconds(double seconds) {
  return std::to_string(static_cast<long long>(seconds * 1000));
}

// A script's reply is an array whose first element names the outcome.
bool shaped(const RedisReply& reply, const char* script, std::size_t least = 1) {
  if (!reply.is_error() && reply.is_array() && reply.elements.size() >= least) return true;
  spdlog::warn("cluster: {} failed: {}", script, to_string(reply));
  return false;
}

std::vector<std::string> strings(const RedisReply& reply) {
  std::vector<std::string> result;
  result.reserve(reply.elements.size());
  for (const auto& element : reply.elements) result.push_back(element.text);
  return result;
}

// Parallel arrays of ids, nodes and metadata, as the scripts return a room's peers.
std::vector<ClusterMember> members(const RedisReply& ids, const RedisReply& nodes,
                                   const RedisReply* metas = nullptr) {
  std::vector<ClusterMember> result;
  for (std::size_t i = 0; i < ids.elements.size(); ++i) {
    ClusterMember member{ids.elements[i].text,
                         i < nodes.elements.size() ? nodes.elements[i].text : std::string()};
    if (metas && i < metas->elements.size()) member.meta = metas->elements[i].text;
    result.push_back(std::move(member));
  }
  return result;
}

ClusterLeave leave_from(const RedisReply& reply, const char* script) {
  ClusterLeave result;
  if (!shaped(reply, script)) {
    result.failed = true;
    return result;
  }
  // leave: {'left', room, ids, nodes} | {'none'};  end: {room, ids, nodes}
  const std::size_t at = std::string_view(script) == "leave" ? 1 : 0;
  if (reply.elements.size() >= at + 3) {
    result.room = reply.elements[at].text;
    result.remaining = members(reply.elements[at + 1], reply.elements[at + 2]);
  }
  return result;
}

}  // namespace

ClusterRooms::ClusterRooms(std::shared_ptr<ClusterBackplane> backplane)
    : backplane_(backplane), node_id_(backplane->node_id()) {}

void ClusterRooms::run(const std::string& script, std::vector<std::string> args,
                       RedisConnection::Callback callback) {
  if (auto backplane = backplane_.lock())
    backplane->run(script, std::move(args), std::move(callback));
  else
    callback(RedisReply::error("the node left the cluster"));
}

void ClusterRooms::connect(const std::string& id, const std::string& token, bool resumable,
                           std::function<void(bool, bool)> done) {
  run("connect", {node_id(), id, token, resumable ? "1" : "0"},
      [done = std::move(done)](RedisReply reply) {
        if (reply.is_error() || reply.kind != RedisReply::Kind::integer) {
          spdlog::warn("cluster: connect failed: {}", to_string(reply));
          done(false, false);
          return;
        }
        done(true, reply.integer == 1);
      });
}

void ClusterRooms::join(const std::string& id, const std::string& room, std::size_t max_peers,
                        std::size_t max_rooms, const ClusterSeat& seat,
                        std::function<void(ClusterJoin)> done) {
  run("join",
      {id, room, std::to_string(max_peers), std::to_string(max_rooms), node_id(), seat.meta,
       seat.pinned ? "1" : "0", seat.relays,
       seat.capacity ? std::to_string(*seat.capacity) : std::string()},
      [done = std::move(done)](RedisReply reply) {
        ClusterJoin result;
        if (shaped(reply, "join")) {
          const std::string& outcome = reply.elements[0].text;
          using S = ClusterJoin::Status;
          if (outcome == "joined" && reply.elements.size() == 5) {
            result.status = S::joined;
            result.seq = reply.elements[1].integer;
            result.others = members(reply.elements[2], reply.elements[3], &reply.elements[4]);
          } else if (outcome == "full") {
            result.status = S::full;
          } else if (outcome == "room_limit") {
            result.status = S::room_limit;
          } else if (outcome == "already_in_room") {
            result.status = S::already_in_room;
          } else if (outcome == "no_such_peer") {
            result.status = S::no_such_peer;
          }
        }
        done(std::move(result));
      });
}

void ClusterRooms::update_meta(const std::string& id, const std::string& meta,
                               std::function<void(ClusterMeta)> done) {
  run("update_meta", {id, node_id(), meta}, [done = std::move(done)](RedisReply reply) {
    ClusterMeta result;
    if (shaped(reply, "update_meta")) {
      const std::string& outcome = reply.elements[0].text;
      using S = ClusterMeta::Status;
      if (outcome == "updated" && reply.elements.size() == 4) {
        result.status = S::updated;
        result.room = reply.elements[1].text;
        result.members = members(reply.elements[2], reply.elements[3]);
      } else if (outcome == "not_in_room") {
        result.status = S::not_in_room;
      } else if (outcome == "forbidden") {
        result.status = S::forbidden;
      }
    }
    done(std::move(result));
  });
}

void ClusterRooms::watch(const std::string& room, bool on,
                         std::function<void(bool, std::vector<ClusterMember>)> done) {
  run("watch", {node_id(), room, on ? "1" : "0"}, [done = std::move(done)](RedisReply reply) {
    if (reply.is_error() || !(reply.is_array() || reply.is_nil())) {
      spdlog::warn("cluster: watch failed: {}", to_string(reply));
      return done(false, {});
    }
    if (reply.elements.size() != 2) return done(true, {});
    const RedisReply none;
    done(true, members(reply.elements[0], none, &reply.elements[1]));
  });
}

void ClusterRooms::leave(const std::string& id, const std::string& reason,
                         std::function<void(ClusterLeave)> done) {
  run("leave", {id, node_id(), reason},
      [done = std::move(done)](RedisReply reply) { done(leave_from(reply, "leave")); });
}

void ClusterRooms::end(const std::string& id, const std::string& reason,
                       std::function<void(ClusterLeave)> done) {
  run("end", {id, node_id(), reason},
      [done = std::move(done)](RedisReply reply) { done(leave_from(reply, "end")); });
}

void ClusterRooms::lost(const std::string& id, double grace, std::function<void(bool)> done) {
  run("lost", {id, node_id(), milliseconds(grace)}, [done = std::move(done)](RedisReply reply) {
    if (reply.is_error()) spdlog::warn("cluster: lost failed: {}", reply.text);
    done(!reply.is_error() && reply.integer > 0);
  });
}

void ClusterRooms::seal(const std::string& id, std::size_t most, std::vector<std::string> held,
                        std::function<void(bool)> done) {
  std::vector<std::string> args{id, node_id(), std::to_string(most)};
  args.insert(args.end(), std::make_move_iterator(held.begin()),
              std::make_move_iterator(held.end()));
  run("seal", std::move(args), [done = std::move(done)](RedisReply reply) {
    if (reply.is_error()) spdlog::warn("cluster: seal failed: {}", reply.text);
    done(!reply.is_error() && reply.integer == 1);
  });
}

namespace {

ClusterRelay relay_from(const RedisReply& reply) {
  ClusterRelay result;
  if (shaped(reply, "relay")) {
    const std::string& outcome = reply.elements[0].text;
    using S = ClusterRelay::Status;
    if (outcome == "ok" && reply.elements.size() == 3) {
      result.status = S::ok;
      result.here = strings(reply.elements[1]);
      result.receivers =
          static_cast<std::size_t>(std::max<long long>(0, reply.elements[2].integer));
    } else if (outcome == "not_in_room") {
      result.status = S::not_in_room;
    } else if (outcome == "unknown_peer") {
      result.status = S::unknown_peer;
    } else if (outcome == "no_room") {
      result.status = S::no_room;
    }
  }
  return result;
}

}  // namespace

void ClusterRooms::relay(const std::string& from, const std::string& to, std::size_t most,
                         const std::string& type, const std::string& text,
                         std::function<void(ClusterRelay)> done) {
  run("relay", {from, node_id(), to, std::to_string(most), type, text},
      [done = std::move(done)](RedisReply reply) { done(relay_from(reply)); });
}

void ClusterRooms::send_to_room(const std::string& room, const std::string& to, std::size_t most,
                                const std::string& text, std::function<void(ClusterRelay)> done) {
  run("relay", {"", node_id(), to, std::to_string(most), "server-message", text, room},
      [done = std::move(done)](RedisReply reply) { done(relay_from(reply)); });
}

void ClusterRooms::claim(const std::string& token, const std::string& new_token,
                         const std::string& provisional_id,
                         std::function<void(ClusterClaim)> done) {
  run("claim", {token, node_id(), new_token, provisional_id},
      [done = std::move(done)](RedisReply reply) {
        ClusterClaim result;
        if (shaped(reply, "claim")) {
          const std::string& outcome = reply.elements[0].text;
          using S = ClusterClaim::Status;
          if (outcome == "resumed" && reply.elements.size() == 10) {
            result.status = S::resumed;
            result.id = reply.elements[1].text;
            result.room = reply.elements[2].text;
            result.others = members(reply.elements[3], reply.elements[4], &reply.elements[6]);
            result.kept = strings(reply.elements[5]);
            result.seat.meta = reply.elements[7].text;
            result.seat.pinned = reply.elements[8].text == "1";
            result.seat.relays = reply.elements[9].text;
          } else if (outcome == "failed") {
            result.status = S::failed;
          } else if (outcome == "wait") {
            result.status = S::wait;
          } else if (outcome == "retry") {
            result.status = S::retry;
          }
        }
        done(std::move(result));
      });
}

void ClusterRooms::room(const std::string& name,
                        std::function<void(bool, std::optional<ClusterRoom>)> done) {
  run("room", {name}, [name, done = std::move(done)](RedisReply reply) {
    if (reply.is_nil()) return done(true, std::nullopt);
    if (!shaped(reply, "room", 4)) return done(false, std::nullopt);
    done(true, ClusterRoom{name, reply.elements[0].integer, strings(reply.elements[1]),
                           strings(reply.elements[3])});
  });
}

void ClusterRooms::rooms(std::function<void(bool, std::vector<ClusterRoom>)> done) {
  run("rooms", {}, [done = std::move(done)](RedisReply reply) {
    std::vector<ClusterRoom> result;
    if (reply.is_error() || !(reply.is_array() || reply.is_nil())) {
      spdlog::warn("cluster: rooms failed: {}", to_string(reply));
      return done(false, std::move(result));
    }
    for (const auto& room : reply.elements)
      if (room.elements.size() == 4)
        result.push_back({room.elements[0].text, room.elements[1].integer,
                          strings(room.elements[2]), strings(room.elements[3])});
    done(true, std::move(result));
  });
}

void ClusterRooms::counts(std::function<void(bool, std::size_t, std::size_t)> done) {
  run("counts", {}, [done = std::move(done)](RedisReply reply) {
    if (reply.is_error() || !reply.is_array() || reply.elements.size() != 2) {
      spdlog::warn("cluster: counts failed: {}", to_string(reply));
      return done(false, 0, 0);
    }
    auto count = [](const RedisReply& r) {
      return static_cast<std::size_t>(r.integer > 0 ? r.integer : 0);
    };
    done(true, count(reply.elements[0]), count(reply.elements[1]));
  });
}

void ClusterRooms::restore(const std::vector<ClusterRestoredPeer>& peers,
                           std::function<void(bool, std::vector<std::string>)> done) {
  std::vector<std::string> args{node_id(), std::to_string(peers.size())};
  for (const auto& peer : peers) {
    args.push_back(peer.id);
    args.push_back(peer.token);
    args.push_back(peer.resumable ? "1" : "0");
    args.push_back(peer.room);
    args.push_back(std::to_string(peer.seq));
    args.push_back(peer.seat.meta);
    args.push_back(peer.seat.pinned ? "1" : "0");
    args.push_back(peer.seat.relays);
  }
  run("restore", std::move(args), [done = std::move(done)](RedisReply reply) {
    if (reply.is_error() || !(reply.is_array() || reply.is_nil())) {
      spdlog::warn("cluster: restore failed: {}", to_string(reply));
      return done(false, {});
    }
    done(true, strings(reply));
  });
}

}  // namespace parley
