// One HTTP POST on a fresh connection, with Beast (and OpenSSL for https://):
// resolve, connect, TLS handshake with SNI and host name verification, write,
// read the response head, close. The whole attempt, resolution included, has
// one deadline. Only the status matters to a webhook sender, so the response
// body is never read.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "base/http_url.hpp"

namespace parley {

struct HttpPostRequest {
  HttpUrl url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Host, Content-Length
  std::chrono::steady_clock::duration timeout = std::chrono::seconds(5);
};

struct HttpPostResult {
  unsigned status = 0;  // 0: no answer (see error)
  std::string error;    // what failed when there was no answer
  bool ok() const { return status >= 200 && status <= 299; }
};

// Starts the POST on its own strand of `ioc`; `done` is called exactly once, on
// that strand. `tls` (a client context that verifies peers) is needed for
// https:// URLs only; the attempt keeps it alive.
void http_post(boost::asio::io_context& ioc, std::shared_ptr<boost::asio::ssl::context> tls,
               HttpPostRequest request, std::function<void(HttpPostResult)> done);

// A client context that verifies servers against the system's CA store, or,
// when `ca_file` is given (tests), against that PEM file only.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file = {});

}  // namespace parley
