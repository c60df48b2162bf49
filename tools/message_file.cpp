#include "message_file.h"

#include <array>
#include <filesystem>
#include <fstream>

namespace privmilter::tools {

Result<MessageSpool> read_message_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path);
  MessageSpool spool(std::filesystem::temp_directory_path(), std::size_t{1} << 20);
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    if (in.gcount() <= 0) break;
    if (auto appended = spool.append(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
        !appended) {
      return appended.error();
    }
  }
  if (in.bad()) return make_error("cannot read " + path);
  return spool;
}

}  // namespace privmilter::tools
