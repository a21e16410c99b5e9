// SPDX-License-Identifier: BSD-3-Clause
// The server's per-user key directory (kms_security/key_directory.hpp): names, the current and
// pending keys, permissions, symbolic links, promotion.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "skm/kms_security/key_directory.hpp"

namespace test_key_directory {

namespace {

namespace sec = skm::kms_security;
const std::string alice = "sip:alice@example.org";

/// A fresh directory of mode 0700, removed at the end.
struct temp_dir {
  std::string path;
  temp_dir() {
    std::string pattern = "/tmp/skm-keydir-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  void write(const std::string& file, const std::string& name, char digit, mode_t mode = 0600) {
    const std::string p = path + "/" + file;
    std::ofstream(p) << name << " " << std::string(64, digit) << "\n";
    REQUIRE(::chmod(p.c_str(), mode) == 0);
  }
};

}  // namespace

TEST_CASE("key directory: which URIs may own key files", "[trk]") {
  CHECK(sec::valid_key_user(alice));
  CHECK_FALSE(sec::valid_key_user(""));
  CHECK_FALSE(sec::valid_key_user("sip:a/b@example.org"));
  CHECK_FALSE(sec::valid_key_user("sip:alice@example.org.pending"));
  CHECK_FALSE(sec::valid_key_user(std::string("sip:a\nb")));
}

TEST_CASE("key directory: current and pending keys by number", "[trk]") {
  temp_dir d;
  auto dir = sec::key_directory::open(d.path);
  REQUIRE(dir);
  auto none = dir->load(alice);
  REQUIRE(none);
  CHECK_FALSE(none->current.trk);
  CHECK(none->highest_trk == 0);

  d.write("tk.1." + alice, "tk.1." + alice, '1');
  d.write("tk.2." + alice, "tk.2." + alice, '2');
  d.write("ik.1." + alice, "ik.1." + alice, '3');
  d.write("tk.3." + alice + ".pending", "tk.3." + alice, '4');
  // Ignored: another user's key, a writer's temporary file, names of other forms.
  d.write("tk.9.sip:bob@example.org", "tk.9.sip:bob@example.org", '5');
  d.write(".tk.9." + alice + ".tmp", "tk.9." + alice, '6');
  d.write("tk.09." + alice, "tk.09." + alice, '7');
  d.write("tk.0." + alice, "tk.0." + alice, '7');
  d.write("xk.9." + alice, "xk.9." + alice, '7');
  auto f = dir->load(alice);
  REQUIRE(f);
  REQUIRE(f->current.trk);
  CHECK(f->current.trk->name == "tk.2." + alice);
  CHECK(f->current.trk->key.span()[0] == 0x22);
  REQUIRE(f->current.ink);
  CHECK(f->current.ink->name == "ik.1." + alice);
  REQUIRE(f->pending_trk);
  CHECK(f->pending_trk->name == "tk.3." + alice);
  CHECK_FALSE(f->pending_ink);
  CHECK(f->highest_trk == 3);

  // Promotion: the pending key becomes current; doing it twice (another replica) is no error.
  CHECK_FALSE(dir->promote(*f));
  CHECK_FALSE(dir->promote(*f));
  auto after = dir->load(alice);
  REQUIRE(after);
  CHECK(after->current.trk->name == "tk.3." + alice);
  CHECK_FALSE(after->pending_trk);

  // A pending key not newer than the current one is not carried again.
  d.write("ik.1." + alice + ".pending", "ik.1." + alice, '8');
  auto stale = dir->load(alice);
  REQUIRE(stale);
  CHECK_FALSE(stale->pending_ink);
}

TEST_CASE("key directory: refusals", "[trk]") {
  temp_dir d;
  auto dir = sec::key_directory::open(d.path);
  REQUIRE(dir);
  SECTION("a key file readable by the group") {
    d.write("tk.1." + alice, "tk.1." + alice, '1', 0640);
    const auto f = dir->load(alice);
    REQUIRE_FALSE(f);
    CHECK(f.error().find("mode 0600") != std::string::npos);
  }
  SECTION("a key file naming another key") {
    d.write("tk.1." + alice, "tk.2." + alice, '1');
    const auto f = dir->load(alice);
    REQUIRE_FALSE(f);
    CHECK(f.error().find("holds the key") != std::string::npos);
  }
  SECTION("a key that is not 64 hex digits") {
    const std::string p = d.path + "/tk.1." + alice;
    std::ofstream(p) << "tk.1." << alice << " 00ff\n";
    REQUIRE(::chmod(p.c_str(), 0600) == 0);
    REQUIRE_FALSE(dir->load(alice));
  }
  SECTION("a symbolic link") {
    d.write("target", "tk.1." + alice, '1');
    REQUIRE(::symlink((d.path + "/target").c_str(), (d.path + "/tk.1." + alice).c_str()) == 0);
    const auto f = dir->load(alice);
    REQUIRE_FALSE(f);
    CHECK(f.error().find("cannot be opened") != std::string::npos);
  }
  SECTION("a URI that cannot own files") { REQUIRE_FALSE(dir->load("sip:a/b")); }
  SECTION("a directory open to others, or none") {
    REQUIRE(::chmod(d.path.c_str(), 0755) == 0);
    const auto open = sec::key_directory::open(d.path);
    REQUIRE_FALSE(open);
    CHECK(open.error().find("mode 0700") != std::string::npos);
    REQUIRE_FALSE(sec::key_directory::open(d.path + "/missing"));
    d.write("file", "x", '1');
    REQUIRE_FALSE(sec::key_directory::open(d.path + "/file"));
  }
}

}  // namespace test_key_directory
