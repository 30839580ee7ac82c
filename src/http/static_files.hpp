// Mapping a request target onto a file of static_dir without ever leaving it,
// and the Content-Type of such a file.
#pragma once

#include <filesystem>
#include <string_view>

namespace parley {

enum class StaticStatus {
  ok,           // `file` is a regular file inside static_dir
  bad_request,  // a target that is malformed or tries to escape (.., NUL, backslash)
  not_found,    // no such file inside static_dir (or no usable static_dir at all)
};

struct StaticLookup {
  StaticStatus status;
  std::filesystem::path file;  // canonical path; set only when status is ok
};

// `target` is the raw request target (origin form, percent-encoded, maybe with a
// query, which is ignored). "/" and paths ending in "/" mean that directory's
// index.html. Symlinks are followed, but the file they lead to must still lie
// inside the canonical static_dir. An empty or missing static_dir finds nothing.
// Never throws for any target.
StaticLookup resolve_static_path(const std::filesystem::path& static_dir, std::string_view target);

// The Content-Type for a file, from its extension (case-insensitive);
// application/octet-stream when unknown.
std::string_view mime_type_for(const std::filesystem::path& file);

}  // namespace parley
