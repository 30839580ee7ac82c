// What arrives on a node's channel (parley:ch:<node>), published by the cluster's
// scripts (docs/cluster.md), decoded once. Which receivers on this node an event
// is for is `to`: the scripts address each node's own peers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

struct NodeEvent {
  enum class Kind {
    relay,       // `text` (the sender's message, `from` stamped) from `from` to `to`
    joined,      // `id` joined `room` (join sequence `seq`, on node `node`)
    left,        // `id` left `room` for `reason` (leave, disconnect, timeout, kicked)
    removed,     // peer `id` (on this node) was removed from `room` by an admin
    seal,        // this node's lost peer `id`: hand over what is held for it
    superseded,  // peer `id` (on this node) was resumed elsewhere: close its connection
    updated,     // `id` of `room` changed its metadata to `meta`
    hook,        // a webhook event this node made (`type`: room-started...; `seq`)
  };
  Kind kind = Kind::relay;
  std::string room;
  std::string id;
  std::string from;
  std::string type;  // the relayed message's type
  std::string text;
  std::string reason;
  std::string node;
  std::string meta;  // JSON text (joined, updated)
  std::int64_t seq = 0;
  std::vector<std::string> to;
};

// Nothing when the payload is not an event this version knows (logged by the
// caller): a newer node's event must not break an older one.
std::optional<NodeEvent> parse_node_event(std::string_view payload);

}  // namespace parley
