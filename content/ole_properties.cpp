#include "ole_properties.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

#include "charset_decoder.h"

namespace privmilter::content {
namespace {

constexpr std::size_t kMaxPropertiesPerSection = 256;
constexpr std::size_t kMaxValueBytes = 4096;

using namespace std::string_view_literals;

// FMTIDs as stored on disk (little-endian GUID layout); they contain NULs.
constexpr std::string_view kSummaryInformation =
    "\xE0\x85\x9F\xF2\xF9\x4F\x68\x10\xAB\x91\x08\x00\x2B\x27\xB3\xD9"sv;
constexpr std::string_view kDocumentSummaryInformation =
    "\x02\xD5\xCD\xD5\x9C\x2E\x1B\x10\x93\x97\x08\x00\x2B\x2C\xF9\xAE"sv;
static_assert(kSummaryInformation.size() == 16 && kDocumentSummaryInformation.size() == 16);

struct KnownProperty {
  std::string_view section;
  std::uint32_t id;
  std::string_view name;
};

constexpr std::array<KnownProperty, 5> kKnownProperties{{
    {kSummaryInformation, 2, "title"},
    {kSummaryInformation, 4, "author"},
    {kSummaryInformation, 8, "last_modified_by"},
    {kDocumentSummaryInformation, 0x0E, "manager"},
    {kDocumentSummaryInformation, 0x0F, "company"},
}};

constexpr std::uint32_t kCodepageProperty = 1;
constexpr std::uint32_t kTypeI2 = 0x02;
constexpr std::uint32_t kTypeString = 0x1E;      // VT_LPSTR, in the section's code page
constexpr std::uint32_t kTypeWideString = 0x1F;  // VT_LPWSTR, UTF-16LE

std::optional<std::uint32_t> read_u32(std::string_view bytes, std::size_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < 4) return std::nullopt;
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

std::string charset_of(std::uint32_t codepage) {
  if (codepage == 1200) return "utf-16le";
  if (codepage == 65001) return "utf-8";
  if (codepage == 0) return "windows-1252";
  return "cp" + std::to_string(codepage);
}

std::string trim_nuls(std::string text) {
  while (!text.empty() && text.back() == '\0') text.pop_back();
  return text;
}

std::optional<std::string> read_string(std::string_view section, std::size_t offset, std::uint32_t codepage) {
  const auto type = read_u32(section, offset);
  const auto length = read_u32(section, offset + 4);
  if (!type || !length) return std::nullopt;
  const std::size_t start = offset + 8;
  if (*type == kTypeString) {
    if (*length > kMaxValueBytes || section.size() - start < *length) return std::nullopt;
    return trim_nuls(convert_to_utf8(section.substr(start, *length), charset_of(codepage)).text);
  }
  if (*type == kTypeWideString) {
    const std::size_t bytes = std::size_t{*length} * 2;
    if (bytes > kMaxValueBytes || section.size() - start < bytes) return std::nullopt;
    return trim_nuls(convert_to_utf8(section.substr(start, bytes), "utf-16le").text);
  }
  return std::nullopt;
}

void read_section(std::string_view section, std::string_view format_id,
                  std::vector<std::pair<std::string, std::string>>& out) {
  const auto count = read_u32(section, 4);
  if (!count) return;
  const std::size_t entries = std::min<std::size_t>(*count, kMaxPropertiesPerSection);

  std::uint32_t codepage = 0;
  for (std::size_t i = 0; i < entries; ++i) {
    const auto id = read_u32(section, 8 + 8 * i);
    const auto offset = read_u32(section, 12 + 8 * i);
    if (!id || !offset) return;
    if (*id != kCodepageProperty) continue;
    const auto type = read_u32(section, *offset);
    const auto value = read_u32(section, *offset + 4);
    if (type && value && (*type & 0xFFFF) == kTypeI2) codepage = *value & 0xFFFF;
  }
  for (std::size_t i = 0; i < entries; ++i) {
    const auto id = read_u32(section, 8 + 8 * i);
    const auto offset = read_u32(section, 12 + 8 * i);
    if (!id || !offset) return;
    for (const KnownProperty& known : kKnownProperties) {
      if (known.section != format_id || known.id != *id) continue;
      std::optional<std::string> text = read_string(section, *offset, codepage);
      if (text && !text->empty()) out.emplace_back(known.name, make_valid_utf8(*text));
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> read_ole_properties(std::string_view stream) {
  std::vector<std::pair<std::string, std::string>> properties;
  // Header: byte order (2), version (2), system (4), CLSID (16), section count (4).
  constexpr std::size_t kHeaderSize = 28;
  if (stream.size() < kHeaderSize || stream.substr(0, 2) != "\xFE\xFF") return properties;
  const auto sections = read_u32(stream, 24);
  if (!sections) return properties;
  // Only the first two sections can be the standard ones.
  for (std::size_t i = 0; i < std::min<std::size_t>(*sections, 2); ++i) {
    const std::size_t entry = kHeaderSize + 20 * i;
    if (stream.size() < entry + 20) break;
    const std::string_view format_id = stream.substr(entry, 16);
    const auto offset = read_u32(stream, entry + 16);
    if (!offset || *offset >= stream.size()) continue;
    const std::string_view rest = stream.substr(*offset);
    const auto size = read_u32(rest, 0);
    if (!size) continue;
    read_section(rest.substr(0, std::min<std::size_t>(*size, rest.size())), format_id, properties);
  }
  return properties;
}

}  // namespace privmilter::content
