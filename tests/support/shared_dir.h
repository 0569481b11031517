// Locating the team's shared/ folder (corpus, real testdata) for tests. A user's clone has no
// ../shared: tests that need it skip with a clear message, and the project's own fixtures in
// tests/testdata cover the behaviour on their own.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

namespace plumbline::testing {

inline std::optional<std::string> SharedDir() {
  std::error_code ec;
  const std::string dir = PLUMBLINE_SHARED_DIR;
  if (std::filesystem::is_directory(dir + "/corpus", ec)) {
    return dir;
  }
  return std::nullopt;
}

inline std::string ReadFileForTest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::string TestdataDir() { return PLUMBLINE_TESTDATA_DIR; }

}  // namespace plumbline::testing

#define PLUMBLINE_SKIP_WITHOUT_SHARED(dir_var)                                              \
  auto dir_var##_opt = ::plumbline::testing::SharedDir();                                   \
  if (!dir_var##_opt) {                                                                     \
    WARN("skipped: ../shared is not present (it holds the team corpus; see tests/README)"); \
    return;                                                                                 \
  }                                                                                         \
  const std::string dir_var = *dir_var##_opt
