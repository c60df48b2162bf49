#include "smime_entity.h"

#include <map>

#include "privmilter/strings.h"

namespace privmilter {
namespace {

// The line starting at `start`: its content without the line end, and
// where the next line starts.
struct Line {
  std::string_view content;
  std::size_t next;
};

Line line_at(std::string_view text, std::size_t start) {
  const std::size_t newline = text.find('\n', start);
  const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
  std::string_view content = text.substr(start, end - start);
  if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
  return {content, newline == std::string_view::npos ? text.size() : newline + 1};
}

}  // namespace

SplitMessage split_message(std::string_view message) {
  SplitMessage split;
  std::map<std::string, std::size_t> occurrences;
  std::size_t position = 0;
  std::size_t field_start = 0;
  while (position < message.size()) {
    const Line line = line_at(message, position);
    if (line.content.empty()) {
      split.body = message.substr(line.next);
      return split;
    }
    const bool continues = line.content.front() == ' ' || line.content.front() == '\t';
    if (continues && !split.fields.empty()) {
      split.fields.back().text = message.substr(field_start, line.next - field_start);
    } else {
      const std::size_t colon = line.content.find(':');
      std::string name;
      if (colon != std::string_view::npos) name = std::string(trim(line.content.substr(0, colon)));
      const std::size_t occurrence = name.empty() ? 0 : ++occurrences[ascii_lower(name)];
      field_start = position;
      split.fields.push_back({std::move(name), message.substr(position, line.next - position), occurrence});
    }
    position = line.next;
  }
  return split;
}

bool is_content_field(std::string_view name) {
  return name.size() > 8 && iequals(name.substr(0, 8), "content-");
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t index = 0; index < text.size(); ++index) {
    if (text[index] == '\n' && (index == 0 || text[index - 1] != '\r')) out += '\r';
    out += text[index];
  }
  return out;
}

std::string mime_entity(const SplitMessage& message) {
  std::string entity;
  for (const RawHeaderField& field : message.fields) {
    if (!is_content_field(field.name)) continue;
    entity += to_crlf(field.text);
    // The last field of a message without a body may lack its line end.
    if (entity.size() < 2 || entity.compare(entity.size() - 2, 2, "\r\n") != 0) entity += "\r\n";
  }
  entity += "\r\n";
  entity += to_crlf(message.body);
  return entity;
}

}  // namespace privmilter
