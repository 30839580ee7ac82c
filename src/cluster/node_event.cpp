#include "cluster/node_event.hpp"

#include <nlohmann/json.hpp>

namespace parley {

namespace {

std::optional<NodeEvent::Kind> kind_of(const std::string& name) {
  using Kind = NodeEvent::Kind;
  if (name == "relay") return Kind::relay;
  if (name == "joined") return Kind::joined;
  if (name == "left") return Kind::left;
  if (name == "removed") return Kind::removed;
  if (name == "seal") return Kind::seal;
  if (name == "superseded") return Kind::superseded;
  if (name == "updated") return Kind::updated;
  if (name == "hook") return Kind::hook;
  return std::nullopt;
}

void read(const nlohmann::json& object, const char* key, std::string& target) {
  auto it = object.find(key);
  if (it != object.end() && it->is_string()) target = it->get<std::string>();
}

}  // namespace

std::optional<NodeEvent> parse_node_event(std::string_view payload) {
  const auto object = nlohmann::json::parse(payload, nullptr, false);
  if (!object.is_object()) return std::nullopt;
  auto t = object.find("t");
  if (t == object.end() || !t->is_string()) return std::nullopt;
  const auto kind = kind_of(t->get<std::string>());
  if (!kind) return std::nullopt;
  NodeEvent event;
  event.kind = *kind;
  read(object, "room", event.room);
  read(object, "id", event.id);
  read(object, "from", event.from);
  read(object, "type", event.type);
  read(object, "text", event.text);
  read(object, "reason", event.reason);
  read(object, "node", event.node);
  read(object, "meta", event.meta);
  if (auto seq = object.find("seq"); seq != object.end() && seq->is_number_integer())
    event.seq = seq->get<std::int64_t>();
  // Lua's cjson writes an empty table as {}, a list as [...].
  if (auto to = object.find("to"); to != object.end() && to->is_array())
    for (const auto& id : *to)
      if (id.is_string()) event.to.push_back(id.get<std::string>());
  return event;
}

}  // namespace parley
