// Small builders for the daemon's plain HTTP answers.
#pragma once

#include <string>
#include <string_view>

#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/status.hpp>

#include "net/ws_transport.hpp"

namespace parley {

boost::beast::http::message_generator text_response(const HttpRequest& request,
                                                     boost::beast::http::status status,
                                                     std::string body,
                                                     std::string_view content_type = "text/plain; charset=utf-8");

}  // namespace parley
