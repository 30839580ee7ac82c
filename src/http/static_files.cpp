#include "http/static_files.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <system_error>
#include <utility>

#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>

namespace parley {
namespace fs = std::filesystem;

namespace {

// A decoded segment that must never reach the filesystem: it could climb out of
// static_dir ("..", or "/" hidden as %2F), truncate the path (NUL), or be read
// as a separator by some tool (backslash).
bool is_dangerous_segment(std::string_view segment) {
  return segment == "." || segment == ".." ||
         segment.find_first_of(std::string_view("/\\\0", 3)) != std::string_view::npos;
}

// True when `path` is `base` itself or below it, compared component by
// component (a string prefix would let "/srv/web-secret" pass for "/srv/web").
bool is_inside(const fs::path& base, const fs::path& path) {
  const auto [base_end, path_it] =
      std::mismatch(base.begin(), base.end(), path.begin(), path.end());
  (void)path_it;
  return base_end == base.end();
}

StaticLookup resolve(const fs::path& static_dir, std::string_view target) {
  if (static_dir.empty()) return {StaticStatus::not_found, {}};

  const auto url = boost::urls::parse_origin_form(target);
  if (!url) return {StaticStatus::bad_request, {}};

  // The segments are split here rather than taken from url->encoded_segments():
  // that view hides a leading "/." (its way of keeping "//" paths apart), and
  // every dot segment should meet the same check.
  const std::string_view path = url->encoded_path();
  if (path.empty() || path.front() != '/') return {StaticStatus::bad_request, {}};
  fs::path relative;
  std::size_t start = 1;  // an origin-form path always begins with '/'
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const auto encoded = boost::urls::make_pct_string_view(path.substr(start, end - start));
    if (!encoded) return {StaticStatus::bad_request, {}};
    const std::string segment = encoded->decode();
    if (is_dangerous_segment(segment)) return {StaticStatus::bad_request, {}};
    if (!segment.empty()) relative /= segment;
    start = end + 1;
  }
  // A path ending in '/' (the last segment empty) names a directory.
  if (path.back() == '/') relative /= "index.html";

  std::error_code error;
  const fs::path base = fs::canonical(static_dir, error);
  if (error) return {StaticStatus::not_found, {}};  // a missing static_dir serves nothing

  const fs::path file = fs::weakly_canonical(base / relative, error);
  if (error || !is_inside(base, file)) return {StaticStatus::not_found, {}};
  if (!fs::is_regular_file(file, error) || error) return {StaticStatus::not_found, {}};
  return {StaticStatus::ok, file};
}

std::string lowercase(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

}  // namespace

StaticLookup resolve_static_path(const fs::path& static_dir, std::string_view target) {
  try {
    return resolve(static_dir, target);
  } catch (...) {
    // Only allocation failure or an exotic filesystem error can get here; serving
    // nothing is the safe answer.
    return {StaticStatus::not_found, {}};
  }
}

std::string_view mime_type_for(const fs::path& file) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 17> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".wasm", "application/wasm"},
      {".woff2", "font/woff2"},
  }};
  const std::string extension = lowercase(file.extension().string());
  for (const auto& [known, type] : kTypes) {
    if (extension == known) return type;
  }
  return "application/octet-stream";
}

}  // namespace parley
