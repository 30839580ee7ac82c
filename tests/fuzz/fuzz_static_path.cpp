// Fuzz target: mapping a request target onto static_dir. Whatever the target,
// a file that is found lies inside the canonical static_dir (a symlink that
// points out of it, and a sibling directory whose name extends it, are there
// to be found by mistake).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "http/static_files.hpp"

namespace fs = std::filesystem;

namespace {

struct Tree {
  fs::path web;
  fs::path canonical_web;
};

const Tree& tree() {
  static const Tree instance = [] {
    const fs::path root =
        fs::temp_directory_path() / ("parley-fuzz-static-" + std::to_string(::getpid()));
    fs::create_directories(root / "web" / "sub");
    fs::create_directories(root / "web-secret");
    std::ofstream(root / "web" / "index.html") << "index";
    std::ofstream(root / "web" / "sub" / "index.html") << "sub index";
    std::ofstream(root / "web" / "app.js") << "app";
    std::ofstream(root / "web-secret" / "key.txt") << "secret";
    std::ofstream(root / "secret.txt") << "secret";
    std::error_code ignored;
    fs::create_symlink(root / "secret.txt", root / "web" / "escape.txt", ignored);
    fs::create_directory_symlink(root / "web-secret", root / "web" / "escape-dir", ignored);
    // Left behind on purpose: a fuzzing run is one process and a few bytes.
    return Tree{root / "web", fs::canonical(root / "web")};
  }();
  return instance;
}

bool inside(const fs::path& base, const fs::path& file) {
  auto b = base.begin();
  auto f = file.begin();
  for (; b != base.end(); ++b, ++f)
    if (f == file.end() || *b != *f) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  const auto& t = tree();
  const auto found = parley::resolve_static_path(t.web, target);
  if (found.status == parley::StaticStatus::ok) {
    if (!inside(t.canonical_web, found.file)) {
      __builtin_fprintf(stderr, "escaped static_dir: %s\n", found.file.c_str());
      std::abort();
    }
    (void)parley::mime_type_for(found.file);
  } else if (!found.file.empty()) {
    std::abort();  // a file is named only when it is served
  }
  return 0;
}
