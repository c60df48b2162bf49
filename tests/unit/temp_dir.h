#pragma once
// A private temporary directory, removed with everything in it.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace privmilter::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "privmilter-test.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Key files for the configuration's quarantine, audit and release keys,
// and the YAML that names them (relative to `directory`).
inline void write_test_keys(const std::filesystem::path& directory) {
  std::filesystem::create_directories(directory / "keys");
  const char* names[] = {"quarantine.key", "audit.key", "release.key"};
  unsigned seed = 7;
  for (const char* name : names) {
    std::string hex;
    for (int i = 0; i < 64; ++i) hex += "0123456789abcdef"[(seed = seed * 1103515245u + 12345u) >> 28];
    const auto path = directory / "keys" / name;
    if (std::filesystem::exists(path)) continue;
    std::ofstream(path) << hex << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

}  // namespace privmilter::testing
