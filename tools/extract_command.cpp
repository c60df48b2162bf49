// privmilterctl extract: what content extraction saw in a message, for
// admins asking why a message was (or was not) caught.

#include <spdlog/spdlog.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "commands.h"
#include "message_file.h"
#include "privmilter/config.h"
#include "privmilter/content.h"
#include "privmilter/json.h"
#include "privmilter/spool.h"

namespace privmilter::tools {
namespace {

constexpr std::size_t kPreviewCharacters = 80;

struct ExtractOptions {
  std::string message_path;
  std::string config_path;  // default content limits when empty
  bool all_text = false;
  bool json = false;
};

// The first `characters` UTF-8 characters of `text` (never cutting one in two).
std::string preview(std::string_view text, std::size_t characters) {
  std::size_t end = 0;
  for (std::size_t count = 0; end < text.size() && count < characters; ++count) {
    ++end;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
  }
  return std::string(text.substr(0, end));
}

// Text shown on one line: line breaks and tabs made visible.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string shown_text(const ExtractOptions& options, const std::string& text) {
  return options.all_text ? text : preview(text, kPreviewCharacters);
}

std::string preview_line(const std::string& text) {
  const std::string shown = preview(text, kPreviewCharacters);
  return one_line(shown) + (shown.size() < text.size() ? "..." : "");
}

std::string flag_list(const PartFact& part) {
  std::string flags;
  for (std::uint32_t bit = 1; bit != 0 && bit <= part.flags; bit <<= 1) {
    if ((part.flags & bit) == 0) continue;
    if (!flags.empty()) flags += ",";
    flags += to_string(static_cast<PartFlag>(bit));
  }
  return flags;
}

void print_text(const ExtractOptions& options, const MessageFacts& facts) {
  std::cout << "message: " << options.message_path << " (" << facts.message_bytes << " bytes, "
            << facts.part_count << " MIME parts, encryption: " << to_string(facts.encryption)
            << ", all content protected: " << (facts.all_content_protected ? "yes" : "no") << ")\n";
  std::cout << "parts: " << facts.parts.size() << "\n";
  for (const PartFact& part : facts.parts) {
    std::cout << "  " << part.path;
    if (!part.filename.empty()) std::cout << " '" << part.filename << "'";
    std::cout << " declared=" << (part.content_type.empty() ? "-" : part.content_type)
              << " detected=" << (part.detected_type.empty() ? "-" : part.detected_type) << " size=" << part.size;
    if (part.flags != 0) std::cout << " flags=" << flag_list(part);
    if (!part.uninspectable_reason.empty()) std::cout << " uninspectable=\"" << part.uninspectable_reason << "\"";
    std::cout << "\n";
    for (const auto& [name, value] : part.properties) std::cout << "    " << name << ": " << value << "\n";
  }
  std::cout << "text segments: " << facts.segments.size() << "\n";
  for (const TextSegment& segment : facts.segments) {
    std::cout << "  " << to_string(segment.kind) << " " << segment.location << " (" << segment.text.size()
              << " bytes)";
    if (options.all_text) {
      std::cout << ":\n" << segment.text << "\n";
    } else {
      std::cout << ": " << preview_line(segment.text) << "\n";
    }
  }
  std::cout << "defects: " << facts.defects.size() << "\n";
  for (const std::string& defect : facts.defects) std::cout << "  " << defect << "\n";
}

void print_json(const ExtractOptions& options, const MessageFacts& facts) {
  nlohmann::json parts = nlohmann::json::array();
  for (const PartFact& part : facts.parts) parts.push_back(to_json_value(part));
  nlohmann::json segments = nlohmann::json::array();
  for (const TextSegment& segment : facts.segments) {
    segments.push_back({{"kind", to_string(segment.kind)},
                        {"location", segment.location},
                        {"length", segment.text.size()},
                        {"text", shown_text(options, segment.text)}});
  }
  const nlohmann::json out{{"message", options.message_path},
                           {"bytes", facts.message_bytes},
                           {"mime_parts", facts.part_count},
                           {"encryption", to_string(facts.encryption)},
                           {"encrypted", facts.encrypted()},
                           {"all_content_protected", facts.all_content_protected},
                           {"subject", facts.subject},
                           {"parts", parts},
                           {"segments", segments},
                           {"defects", facts.defects}};
  std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

int run_extract(const ExtractOptions& options) {
  ContentLimits limits;
  if (!options.config_path.empty()) {
    auto config = load_config_file(options.config_path);
    if (!config) {
      std::cerr << "privmilterctl: " << config.error().message << std::endl;
      return 2;
    }
    limits = config->content_limits;
  }
  auto spool = read_message_file(options.message_path);
  if (!spool) {
    std::cerr << "privmilterctl: " << spool.error().message << std::endl;
    return 2;
  }
  auto facts = extract_facts(*spool, limits);
  if (!facts) {
    std::cerr << "privmilterctl: cannot inspect " << options.message_path << ": " << facts.error().message
              << std::endl;
    return 2;
  }
  if (options.json) {
    print_json(options, *facts);
  } else {
    print_text(options, *facts);
  }
  return 0;
}

}  // namespace

Subcommand add_extract_command(CLI::App& app) {
  auto options = std::make_shared<ExtractOptions>();
  auto* command = app.add_subcommand("extract", "show what content extraction sees in a message: parts, flags, text");
  command->add_option("FILE", options->message_path, "message file (RFC 5322, .eml)")->required();
  command->add_option("-c,--config", options->config_path, "daemon configuration whose content limits apply");
  command->add_flag("--all-text", options->all_text, "print every text segment in full, not its first characters");
  command->add_flag("--json", options->json, "print JSON instead of text");
  return {command, [options] {
            spdlog::set_level(spdlog::level::warn);
            return run_extract(*options);
          }};
}

}  // namespace privmilter::tools
