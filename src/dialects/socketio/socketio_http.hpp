// The HTTP side of the socket.io endpoint: what a long-polling request leaves
// behind to be answered later, and the answers themselves (with the CORS
// headers that let a page on another origin poll, as engine.io's `cors` option
// does for allowed origins).
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/status.hpp>

#include "net/http_session.hpp"
#include "dialects/socketio/socketio_packets.hpp"

namespace parley {

// A polling request waiting for its answer: a GET held until there are
// packets, or a POST. Answered exactly once, from any thread.
struct PollRequest {
  unsigned version = 11;
  bool keep_alive = true;
  std::string allow_origin;  // echoed as Access-Control-Allow-Origin; empty: no CORS headers
  Respond respond;

  // Describes `request`; `origin_allowed` says whether its Origin may read answers.
  static PollRequest from(const HttpRequest& request, bool origin_allowed, Respond respond);
  void answer(boost::beast::http::status status, std::string body,
              std::string_view content_type = "text/plain; charset=UTF-8");
  void answer_error(boost::beast::http::status status, engineio::HttpErrorCode code,
                    std::string_view message = {});
};

// The answer to a CORS preflight (OPTIONS) for the endpoint.
boost::beast::http::message_generator socketio_preflight_response(const HttpRequest& request,
                                                                  bool origin_allowed);

}  // namespace parley
