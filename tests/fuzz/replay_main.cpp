// SPDX-License-Identifier: BSD-3-Clause
// Replays a corpus through a libFuzzer entry point, for builds without libFuzzer (any compiler).
// Usage: replay <file-or-directory>...  Fails when no input was found, so a missing corpus is
// noticed rather than passing silently.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz_entry.hpp"

namespace replay_main {

int replay(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (std::filesystem::is_regular_file(p)) {
      files.push_back(p);
    } else {
      (void)std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      return 1;
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    (void)std::fprintf(stderr, "replay: no inputs\n");
    return 1;
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    // A distinct heap allocation of the exact size, so ASan builds catch reads past the end.
    LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  }
  std::printf("replay: %zu inputs, 0 failures\n", files.size());
  return 0;
}

}  // namespace replay_main

int main(int argc, char** argv) {
  // An exception (a file that cannot be read, say) is a failure reported as such, not a
  // std::terminate.
  try {
    return replay_main::replay(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "replay: %s\n", e.what());
    return 1;
  }
}
