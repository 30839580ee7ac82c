#include "http/static_files.hpp"

#include <stdlib.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace parley {
namespace {
namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream(path) << content;
}

// A temporary tree:
//   root/secret.txt            outside the static dir
//   root/web-secret/key.txt    a sibling whose name starts like the static dir's
//   root/web/index.html, app.js, a b.txt, sub/index.html, sub/style.css
//   root/web/escape -> ../secret.txt     (symlink out: must not be served)
//   root/web/outdir -> ..                (directory symlink out)
//   root/web/alias.html -> index.html    (symlink inside: fine)
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "parley-static-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    web_ = root_ / "web";
    fs::create_directories(web_ / "sub");
    fs::create_directories(root_ / "web-secret");
    write_file(root_ / "secret.txt", "secret");
    write_file(root_ / "web-secret" / "key.txt", "key");
    write_file(web_ / "index.html", "<!doctype html>");
    write_file(web_ / "app.js", "");
    write_file(web_ / "a b.txt", "");
    write_file(web_ / "sub" / "index.html", "");
    write_file(web_ / "sub" / "style.css", "");
    fs::create_symlink("../secret.txt", web_ / "escape");
    fs::create_symlink("..", web_ / "outdir");
    fs::create_symlink("index.html", web_ / "alias.html");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  StaticStatus status_of(std::string_view target) const {
    return resolve_static_path(web_, target).status;
  }
  fs::path file_of(std::string_view target) const {
    const StaticLookup lookup = resolve_static_path(web_, target);
    EXPECT_EQ(lookup.status, StaticStatus::ok) << target;
    return lookup.file;
  }
  fs::path real(const fs::path& path) const { return fs::canonical(path); }

  fs::path root_;
  fs::path web_;
};

TEST_F(StaticFilesTest, RootServesIndexHtml) {
  EXPECT_EQ(file_of("/"), real(web_ / "index.html"));
  EXPECT_EQ(file_of("/?room=abc&autostart=1"), real(web_ / "index.html"));
  EXPECT_EQ(file_of("/index.html"), real(web_ / "index.html"));
}

TEST_F(StaticFilesTest, DirectoryWithSlashServesItsIndex) {
  EXPECT_EQ(file_of("/sub/"), real(web_ / "sub" / "index.html"));
  EXPECT_EQ(status_of("/sub"), StaticStatus::not_found);  // a directory is no file
}

TEST_F(StaticFilesTest, ServesNestedAndPercentEncodedNames) {
  EXPECT_EQ(file_of("/app.js"), real(web_ / "app.js"));
  EXPECT_EQ(file_of("/sub/style.css"), real(web_ / "sub" / "style.css"));
  EXPECT_EQ(file_of("/a%20b.txt"), real(web_ / "a b.txt"));
  EXPECT_EQ(file_of("/%61pp.js"), real(web_ / "app.js"));
  EXPECT_EQ(file_of("//sub//style.css"), real(web_ / "sub" / "style.css"));
}

TEST_F(StaticFilesTest, MissingFilesAreNotFound) {
  EXPECT_EQ(status_of("/nope.html"), StaticStatus::not_found);
  EXPECT_EQ(status_of("/sub/nope/"), StaticStatus::not_found);
  EXPECT_EQ(status_of("/app.js/"), StaticStatus::not_found);
}

TEST_F(StaticFilesTest, DotSegmentsAreRefusedEncodedOrNot) {
  for (const char* target : {"/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt",
                             "/%2E%2E/secret.txt", "/.%2e/secret.txt", "/..", "/sub/..",
                             "/./index.html", "/..%2Fsecret.txt", "/sub%2F..%2F..%2Fsecret.txt"}) {
    EXPECT_EQ(status_of(target), StaticStatus::bad_request) << target;
  }
}

TEST_F(StaticFilesTest, NulAndBackslashAreRefused) {
  for (const char* target : {"/index.html%00", "/index.html%00.png", "/sub%5Cstyle.css",
                             "/..%5Csecret.txt", "/%5C..%5Csecret.txt"}) {
    EXPECT_EQ(status_of(target), StaticStatus::bad_request) << target;
  }
}

TEST_F(StaticFilesTest, MalformedTargetsAreBadRequests) {
  for (const std::string& target : std::initializer_list<std::string>{
           "", "index.html", "*", "http://example.com/index.html", "/%zz", "/%4", "/a b",
           "/\\..\\secret.txt", std::string("/index.html\0", 12), "/<script>"}) {
    EXPECT_EQ(status_of(target), StaticStatus::bad_request) << target;
  }
}

TEST_F(StaticFilesTest, SymlinksLeavingTheDirectoryAreNotServed) {
  EXPECT_EQ(status_of("/escape"), StaticStatus::not_found);
  EXPECT_EQ(status_of("/outdir/secret.txt"), StaticStatus::not_found);
  EXPECT_EQ(status_of("/outdir/web-secret/key.txt"), StaticStatus::not_found);
  EXPECT_EQ(file_of("/alias.html"), real(web_ / "index.html"));
}

TEST_F(StaticFilesTest, RelativeStaticDirWorks) {
  const fs::path previous = fs::current_path();
  fs::current_path(root_);
  const StaticLookup lookup = resolve_static_path("web", "/app.js");
  const StaticLookup outside = resolve_static_path("web", "/escape");
  fs::current_path(previous);
  EXPECT_EQ(lookup.status, StaticStatus::ok);
  EXPECT_EQ(lookup.file, real(web_ / "app.js"));
  EXPECT_EQ(outside.status, StaticStatus::not_found);
}

TEST_F(StaticFilesTest, MissingOrEmptyStaticDirFindsNothing) {
  EXPECT_EQ(resolve_static_path(root_ / "absent", "/").status, StaticStatus::not_found);
  EXPECT_EQ(resolve_static_path(root_ / "absent", "/index.html").status, StaticStatus::not_found);
  EXPECT_EQ(resolve_static_path("", "/").status, StaticStatus::not_found);
  EXPECT_EQ(resolve_static_path("", "/index.html").status, StaticStatus::not_found);
  // A static_dir that is a file is no directory either.
  EXPECT_EQ(resolve_static_path(web_ / "app.js", "/").status, StaticStatus::not_found);
}

TEST(MimeType, KnownExtensions) {
  EXPECT_EQ(mime_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("/a/b/INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(mime_type_for("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type_for("app.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mime_type_for("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mime_type_for("data.json"), "application/json");
  EXPECT_EQ(mime_type_for("app.js.map"), "application/json");
  EXPECT_EQ(mime_type_for("logo.svg"), "image/svg+xml");
  EXPECT_EQ(mime_type_for("logo.png"), "image/png");
  EXPECT_EQ(mime_type_for("photo.jpg"), "image/jpeg");
  EXPECT_EQ(mime_type_for("favicon.ico"), "image/x-icon");
  EXPECT_EQ(mime_type_for("module.wasm"), "application/wasm");
  EXPECT_EQ(mime_type_for("notes.txt"), "text/plain; charset=utf-8");
}

TEST(MimeType, UnknownExtensionsAreOctetStream) {
  EXPECT_EQ(mime_type_for("archive.tar.gz"), "application/octet-stream");
  EXPECT_EQ(mime_type_for("README"), "application/octet-stream");
  EXPECT_EQ(mime_type_for(".html"), "application/octet-stream");  // a hidden file, no extension
  EXPECT_EQ(mime_type_for("file.htmlx"), "application/octet-stream");
}

}  // namespace
}  // namespace parley
