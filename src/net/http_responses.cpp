#include "net/http_responses.hpp"

#include <boost/beast/http.hpp>

namespace parley {

namespace http = boost::beast::http;

http::message_generator text_response(const HttpRequest& request, http::status status,
                                      std::string body, std::string_view content_type) {
  http::response<http::string_body> res{status, request.version()};
  res.set(http::field::server, "parley");
  res.set(http::field::content_type, content_type);
  res.keep_alive(request.keep_alive());
  if (request.method() != http::verb::head) res.body() = std::move(body);
  res.prepare_payload();
  if (request.method() == http::verb::head) res.content_length(body.size());
  return res;
}

}  // namespace parley
