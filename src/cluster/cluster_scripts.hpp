// The cluster's Lua scripts (src/cluster/scripts/*.lua, each preceded by lib.lua),
// embedded at build time. What each does, and the keys it touches:
// docs/cluster.md and the comment at the top of each script.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace parley {

struct ClusterScriptSource {
  std::string name;    // the file's name without .lua: "join"
  std::string source;  // lib.lua + the script
};

const std::vector<ClusterScriptSource>& cluster_scripts();

inline const std::string& cluster_script(const std::string& name) {
  for (const auto& script : cluster_scripts())
    if (script.name == name) return script.source;
  throw std::out_of_range("no cluster script named " + name);
}

}  // namespace parley
