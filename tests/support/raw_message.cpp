#include "support/raw_message.h"

#include <algorithm>

namespace privmilter::miltertest {
namespace {

// Calls `visit(line)` for each line without its LF or CRLF ending.
template <typename Visitor>
void for_each_line(std::string_view text, Visitor&& visit) {
  while (!text.empty()) {
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    if (!line.empty() && line.back() == '\r' && newline != std::string_view::npos) line.remove_suffix(1);
    if (!visit(line)) return;
    if (newline == std::string_view::npos) return;
    text.remove_prefix(newline + 1);
  }
}

// Length of the field name when `line` starts a header field, else 0;
// mirrors Postfix's is_header(), which allows blanks before the colon.
std::size_t header_name_length(std::string_view line) {
  std::size_t name_length = 0;
  bool after_blank = false;
  for (const char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == ':') return name_length;
    if (c == ' ' || c == '\t') {
      if (name_length == 0) return 0;
      after_blank = true;
      continue;
    }
    if (byte < 33 || byte > 126 || after_blank) return 0;
    ++name_length;
  }
  return 0;
}

bool is_continuation(std::string_view line) {
  return !line.empty() && (line.front() == ' ' || line.front() == '\t');
}

}  // namespace

std::string to_crlf_lines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32 + 2);
  for_each_line(text, [&out](std::string_view line) {
    out.append(line);
    out.append("\r\n");
    return true;
  });
  return out;
}

SplitMessage split_raw_message(std::string_view raw, bool keep_leading_space) {
  SplitMessage message;
  std::size_t consumed = 0;
  for_each_line(raw, [&](std::string_view line) {
    const std::size_t line_start = static_cast<std::size_t>(line.data() - raw.data());
    if (line.empty()) {
      consumed = std::min(raw.size(), raw.find('\n', line_start) + 1);
      return false;
    }
    if (is_continuation(line) && !message.headers.empty()) {
      message.headers.back().value.append("\n").append(line);
    } else if (const std::size_t name_length = header_name_length(line); name_length > 0) {
      std::string_view value = line.substr(line.find(':') + 1);
      if (!keep_leading_space && !value.empty() && value.front() == ' ') value.remove_prefix(1);
      message.headers.push_back({std::string(line.substr(0, name_length)), std::string(value)});
    } else {
      consumed = line_start;
      return false;
    }
    consumed = raw.size();
    return true;
  });
  message.body = to_crlf_lines(raw.substr(std::min(consumed, raw.size())));
  return message;
}

}  // namespace privmilter::miltertest
