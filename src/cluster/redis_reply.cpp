#include "cluster/redis_reply.hpp"

#include <hiredis/hiredis.h>

namespace parley {

RedisReply RedisReply::error(std::string message) {
  RedisReply reply;
  reply.kind = Kind::error;
  reply.text = std::move(message);
  return reply;
}

RedisReply RedisReply::from_hiredis(const redisReply& reply) {
  RedisReply result;
  switch (reply.type) {
    case REDIS_REPLY_STATUS:
      result.kind = Kind::status;
      result.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ERROR:
      result.kind = Kind::error;
      result.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_INTEGER:
      result.kind = Kind::integer;
      result.integer = reply.integer;
      break;
    case REDIS_REPLY_STRING:
      result.kind = Kind::string;
      result.text.assign(reply.str, reply.len);
      break;
    case REDIS_REPLY_ARRAY:
      result.kind = Kind::array;
      result.elements.reserve(reply.elements);
      for (std::size_t i = 0; i < reply.elements; ++i)
        result.elements.push_back(from_hiredis(*reply.element[i]));
      break;
    default:  // REDIS_REPLY_NIL (RESP2 has nothing else)
      break;
  }
  return result;
}

std::string to_string(const RedisReply& reply) {
  switch (reply.kind) {
    case RedisReply::Kind::nil:
      return "nil";
    case RedisReply::Kind::status:
      return reply.text;
    case RedisReply::Kind::error:
      return "(error) " + reply.text;
    case RedisReply::Kind::integer:
      return std::to_string(reply.integer);
    case RedisReply::Kind::string:
      return "\"" + reply.text + "\"";
    case RedisReply::Kind::array: {
      std::string text = "[";
      for (std::size_t i = 0; i < reply.elements.size(); ++i) {
        if (i) text += ", ";
        text += to_string(reply.elements[i]);
      }
      return text + "]";
    }
  }
  return "?";
}

}  // namespace parley
