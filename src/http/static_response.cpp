#include "http/static_response.hpp"

#include <boost/beast/http.hpp>

#include "http/static_files.hpp"
#include "net/http_responses.hpp"

namespace parley {

namespace beast = boost::beast;
namespace http = beast::http;

http::message_generator static_file_response(const HttpRequest& request,
                                             const std::filesystem::path& static_dir) {
  const bool head_only = request.method() == http::verb::head;
  if (request.method() != http::verb::get && !head_only)
    return text_response(request, http::status::method_not_allowed, "method not allowed\n");
  const auto found = resolve_static_path(static_dir, request.target());
  if (found.status == StaticStatus::bad_request)
    return text_response(request, http::status::bad_request, "bad request\n");
  http::file_body::value_type file;
  beast::error_code ec;
  if (found.status == StaticStatus::ok) file.open(found.file.c_str(), beast::file_mode::scan, ec);
  // A file that vanished or cannot be read since it was found is not there.
  if (found.status != StaticStatus::ok || ec)
    return text_response(request, http::status::not_found, "not found\n");

  http::response<http::empty_body> head{http::status::ok, request.version()};
  head.set(http::field::server, "parley");
  head.set(http::field::content_type, mime_type_for(found.file));
  head.set(http::field::cache_control, "no-cache");
  head.set("X-Content-Type-Options", "nosniff");
  head.keep_alive(request.keep_alive());
  head.content_length(file.size());
  if (head_only) return head;
  http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(file))};
  res.base() = head.base();
  return res;
}

}  // namespace parley
