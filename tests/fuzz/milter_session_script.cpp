#include "milter_session_script.h"

#include <array>
#include <utility>

namespace privmilter::fuzzing {

namespace {

constexpr std::array<std::pair<std::string_view, Stage>, 11> kStages{{
    {"connect", Stage::connect},
    {"mail", Stage::mail},
    {"rcpt", Stage::rcpt},
    {"data", Stage::data},
    {"header", Stage::header},
    {"eoh", Stage::eoh},
    {"body", Stage::body},
    {"eom", Stage::eom},
    {"abort", Stage::abort},
    {"close", Stage::close},
    {"release", Stage::release},
}};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char next = text[++i];
    switch (next) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '0': out += '\0'; break;
      case 'x':
        if (i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
          out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
          i += 2;
        } else {
          out += 'x';
        }
        break;
      default: out += next;
    }
  }
  return out;
}

// Blank-separated words, each unescaped.
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t position = 0;
  while (position < text.size()) {
    const auto start = text.find_first_not_of(' ', position);
    if (start == std::string_view::npos) break;
    auto end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(unescape(text.substr(start, end - start)));
    position = end;
  }
  return out;
}

// A header field's lines, unfolded the way an MTA hands them to a milter:
// the value keeps its inner line breaks and loses the blank after the colon.
void add_raw_header(std::string_view field, std::vector<ScriptStep>& steps) {
  const auto colon = field.find(':');
  std::string name(field.substr(0, colon));
  std::string_view value = colon == std::string_view::npos ? std::string_view() : field.substr(colon + 1);
  if (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  steps.push_back({Stage::header, {std::move(name), std::string(value)}});
}

void add_raw_message(std::string_view message, std::vector<ScriptStep>& steps) {
  std::size_t position = 0;
  std::string field;
  while (position < message.size()) {
    auto end = message.find('\n', position);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(position, end - position);
    position = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !field.empty()) {
      field.append("\n").append(line);
      continue;
    }
    if (!field.empty()) add_raw_header(field, steps);
    field = std::string(line);
  }
  if (!field.empty()) add_raw_header(field, steps);
  steps.push_back({Stage::eoh, {}});
  if (position > message.size()) position = message.size();
  for (std::size_t chunk = position; chunk < message.size(); chunk += kBodyChunkBytes) {
    steps.push_back({Stage::body, {std::string(message.substr(chunk, kBodyChunkBytes))}});
  }
  steps.push_back({Stage::eom, {}});
}

}  // namespace

std::vector<ScriptStep> parse_script(std::string_view input) {
  std::vector<ScriptStep> steps;
  std::size_t position = 0;
  while (position < input.size() && steps.size() < kMaxScriptSteps) {
    auto end = input.find('\n', position);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(position, end - position);
    position = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto space = line.find(' ');
    const std::string_view command = line.substr(0, space);
    const std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    if (command == "message") {
      add_raw_message(input.substr(std::min(position, input.size())), steps);
      break;
    }
    if (command == "header") {
      add_raw_header(unescape(rest), steps);
      continue;
    }
    if (command == "body") {
      steps.push_back({Stage::body, {unescape(rest)}});
      continue;
    }
    for (const auto& [name, stage] : kStages) {
      if (command == name) steps.push_back({stage, words(rest)});
    }
  }
  return steps;
}

}  // namespace privmilter::fuzzing
