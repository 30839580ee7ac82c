// The one answer to a request for a file of static_dir, shared by the plain
// HTTP routes and the socket.io endpoint (which serves the client library
// below /socket.io/).
#pragma once

#include <filesystem>

#include <boost/beast/http/message_generator.hpp>

#include "net/ws_transport.hpp"

namespace parley {

// GET or HEAD only (405 otherwise). 400 for a target that tries to leave
// static_dir, 404 when there is no such file (or no static_dir); else the file
// with its Content-Type, or for HEAD the same head without the body.
boost::beast::http::message_generator static_file_response(const HttpRequest& request,
                                                           const std::filesystem::path& static_dir);

}  // namespace parley
