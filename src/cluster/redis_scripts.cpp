#include "cluster/redis_scripts.hpp"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>

namespace parley {

std::string script_sha1(const std::string& source) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source.data()), source.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * SHA_DIGEST_LENGTH);
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

RedisScripts::RedisScripts(std::shared_ptr<RedisConnection> connection)
    : connection_(std::move(connection)) {}

RedisScripts::Id RedisScripts::add(std::string name, std::string source) {
  std::string sha = script_sha1(source);
  scripts_.push_back({std::move(name), std::move(source), std::move(sha)});
  return scripts_.size() - 1;
}

void RedisScripts::load_all(std::function<void(const std::string&)> done) {
  if (scripts_.empty()) {
    if (done) done("");
    return;
  }
  struct Progress {
    std::size_t left;
    std::string error;
    std::function<void(const std::string&)> done;
  };
  auto progress = std::make_shared<Progress>(Progress{scripts_.size(), "", std::move(done)});
  for (const RedisScript& script : scripts_) {
    connection_->command({"SCRIPT", "LOAD", script.source}, [progress, name = script.name,
                                                             sha = script.sha1](RedisReply reply) {
      if (reply.is_error() && progress->error.empty())
        progress->error = "SCRIPT LOAD " + name + ": " + reply.text;
      else if (!reply.is_error() && reply.text != sha && progress->error.empty())
        progress->error = "SCRIPT LOAD " + name + ": unexpected SHA-1 " + reply.text;
      if (--progress->left == 0) {
        if (!progress->error.empty()) spdlog::error("redis: {}", progress->error);
        if (progress->done) progress->done(progress->error);
      }
    });
  }
}

std::vector<std::string> RedisScripts::evalsha(Id id, const std::vector<std::string>& keys,
                                               const std::vector<std::string>& args) const {
  std::vector<std::string> command;
  command.reserve(3 + keys.size() + args.size());
  command.push_back("EVALSHA");
  command.push_back(scripts_.at(id).sha1);
  command.push_back(std::to_string(keys.size()));
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

void RedisScripts::run(Id id, std::vector<std::string> keys, std::vector<std::string> args,
                       RedisConnection::Callback callback) {
  connection_->command(
      evalsha(id, keys, args),
      [this, id, keys, args, callback = std::move(callback)](RedisReply reply) mutable {
        if (!reply.is_error("NOSCRIPT")) {
          callback(std::move(reply));
          return;
        }
        // Redis lost its scripts (restart, flush): load this one and retry once.
        // Both commands go out on the same connection, so the EVALSHA finds it.
        ++reloads_;
        spdlog::info("redis: script {} was not loaded; loading it again", scripts_.at(id).name);
        connection_->command({"SCRIPT", "LOAD", scripts_.at(id).source}, [](RedisReply) {});
        connection_->command(evalsha(id, keys, args), std::move(callback));
      });
}

}  // namespace parley
