#include "file_type.h"

#include "encryption_detector.h"

#include <algorithm>
#include <array>

namespace privmilter::content {
namespace {

using namespace std::string_view_literals;

bool starts_with(std::string_view bytes, std::string_view magic) { return bytes.substr(0, magic.size()) == magic; }

bool contains(std::string_view bytes, std::string_view needle) {
  return std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()) != bytes.end();
}


// Office Open XML and OpenDocument files are ZIP containers; their member
// names (stored in clear in every local header) say which kind.
std::string refine_zip(std::string_view bytes) {
  // OpenDocument puts an uncompressed "mimetype" member first; its content
  // follows the name and any extra field (which many ZIP writers add).
  static constexpr std::string_view kName = "mimetype";
  static constexpr std::size_t kLocalHeaderSize = 30;
  const auto little_endian16 = [&](std::size_t offset) {
    return static_cast<std::size_t>(static_cast<unsigned char>(bytes[offset])) |
           static_cast<std::size_t>(static_cast<unsigned char>(bytes[offset + 1])) << 8;
  };
  if (bytes.size() > kLocalHeaderSize + kName.size() && little_endian16(26) == kName.size() &&
      bytes.substr(kLocalHeaderSize, kName.size()) == kName) {
    const std::size_t content_start = kLocalHeaderSize + kName.size() + little_endian16(28);
    const auto kind = content_start < bytes.size() ? bytes.substr(content_start, 64) : std::string_view();
    for (std::string_view type : {"application/vnd.oasis.opendocument.text",
                                  "application/vnd.oasis.opendocument.spreadsheet",
                                  "application/vnd.oasis.opendocument.presentation"}) {
      if (kind.starts_with(type)) return std::string(type);
    }
  }
  if (contains(bytes, "[Content_Types].xml")) {
    if (contains(bytes, "word/")) return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    if (contains(bytes, "xl/")) return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    if (contains(bytes, "ppt/")) return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
  }
  return "application/zip";
}

struct Magic {
  std::size_t offset;
  std::string_view bytes;
  std::string_view type;
};

constexpr std::array<Magic, 20> kMagic{{
    {0, "%PDF-", "application/pdf"},
    {0, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "application/x-ole-storage"},
    {0, "{\\rtf", "application/rtf"},
    {0, "\x1f\x8b", "application/gzip"},
    {0, "BZh", "application/x-bzip2"},
    {0, "\xFD" "7zXZ\0"sv, "application/x-xz"},
    {0, "7z\xBC\xAF\x27\x1C", "application/x-7z-compressed"},
    {257, "ustar", "application/x-tar"},
    {0, "Rar!\x1A\x07", "application/vnd.rar"},
    {0, "\x78\x9F\x3E\x22", "application/vnd.ms-tnef"},
    {0, "-----BEGIN PGP MESSAGE-----", "application/pgp-encrypted"},
    {0, "-----BEGIN PGP SIGNATURE-----", "application/pgp-signature"},
    {0, "MZ", "application/x-msdownload"},
    {0, "\x7F" "ELF", "application/x-executable"},
    {0, "\x89PNG\r\n\x1A\n", "image/png"},
    {0, "\xFF\xD8\xFF", "image/jpeg"},
    {0, "GIF87a", "image/gif"},
    {0, "GIF89a", "image/gif"},
    {0, "BEGIN:VCALENDAR", "text/calendar"},
    {0, "<?xml", "application/xml"},
}};

}  // namespace

std::string lowercase_extension(std::string_view filename) {
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string extension(filename.substr(dot + 1));
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension;
}

std::string detect_type(std::string_view bytes, std::string_view filename) {
  if (starts_with(bytes, "PK\x03\x04") || starts_with(bytes, "PK\x05\x06")) return refine_zip(bytes);
  for (const Magic& magic : kMagic) {
    if (bytes.size() >= magic.offset + magic.bytes.size() && bytes.substr(magic.offset, magic.bytes.size()) == magic.bytes) {
      return std::string(magic.type);
    }
  }
  const std::string extension = lowercase_extension(filename);
  // Binary OpenPGP has no magic string; its first packet and the name together do.
  if ((extension == "pgp" || extension == "gpg") && starts_with_encrypted_session_key_packet(bytes)) {
    return "application/pgp-encrypted";
  }
  // A message file carries header fields before anything else.
  if (extension == "eml" && (starts_with(bytes, "From:") || starts_with(bytes, "Received:") ||
                             starts_with(bytes, "Return-Path:") || starts_with(bytes, "MIME-Version:") ||
                             starts_with(bytes, "Date:") || starts_with(bytes, "Subject:") ||
                             starts_with(bytes, "Message-ID:") || starts_with(bytes, "To:"))) {
    return "message/rfc822";
  }
  return {};
}

}  // namespace privmilter::content
