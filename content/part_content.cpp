#include "part_content.h"

#include <array>

#include "gmime_handles.h"

namespace privmilter::content {

std::string decoded_bytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return {};
  auto sink = adopt(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(content, sink.get()) < 0) return {};
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(sink.get()));
  if (bytes == nullptr || bytes->len == 0) return {};
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::size_t decoded_size(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return 0;
  auto counter = adopt(g_mime_stream_null_new());
  const ssize_t written = g_mime_data_wrapper_write_to_stream(content, counter.get());
  return written > 0 ? static_cast<std::size_t>(written) : 0;
}

namespace {

bool is_base64_alphabet(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

bool is_line_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Reads the still-encoded content and checks it against RFC 2045 base64:
// alphabet, padding only at the end, whole 4-character groups.
std::optional<std::string> base64_problem(GMimeStream* encoded) {
  g_mime_stream_reset(encoded);
  std::array<char, 8192> buffer{};
  std::size_t significant = 0;
  bool seen_padding = false;
  std::optional<std::string> problem;
  ssize_t count = 0;
  while (!problem && (count = g_mime_stream_read(encoded, buffer.data(), buffer.size())) > 0) {
    for (ssize_t i = 0; i < count; ++i) {
      const auto c = static_cast<unsigned char>(buffer[static_cast<std::size_t>(i)]);
      if (is_line_space(c)) continue;
      if (c == '=') {
        seen_padding = true;
        ++significant;
      } else if (!is_base64_alphabet(c)) {
        problem = "invalid base64 (character outside the alphabet)";
        break;
      } else if (seen_padding) {
        problem = "invalid base64 (data after padding)";
        break;
      } else {
        ++significant;
      }
    }
  }
  g_mime_stream_reset(encoded);
  if (!problem && significant % 4 != 0) problem = "invalid base64 (incomplete final group)";
  return problem;
}

}  // namespace

std::optional<std::string> transfer_encoding_problem(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return std::nullopt;
  if (g_mime_data_wrapper_get_encoding(content) != GMIME_CONTENT_ENCODING_BASE64) {
    return std::nullopt;
  }
  GMimeStream* encoded = g_mime_data_wrapper_get_stream(content);
  if (encoded == nullptr) return std::nullopt;
  return base64_problem(encoded);
}

std::string mime_type_of(GMimeObject* object) {
  GMimeContentType* content_type = g_mime_object_get_content_type(object);
  std::string type = "application/octet-stream";
  if (content_type != nullptr) {
    const char* media = g_mime_content_type_get_media_type(content_type);
    const char* subtype = g_mime_content_type_get_media_subtype(content_type);
    type = std::string(media != nullptr ? media : "application") + "/" +
           (subtype != nullptr ? subtype : "octet-stream");
  }
  for (char& c : type) c = g_ascii_tolower(c);
  return type;
}

}  // namespace privmilter::content
