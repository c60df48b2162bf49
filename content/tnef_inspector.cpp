// TNEF (winmail.dat): Outlook's wrapping of a message body and its
// attachments, unpacked with libytnef.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "charset_decoder.h"
#include "html_text.h"
#include "inspectors.h"

// libytnef's headers have no C++ linkage guards and define BYTE, WORD and
// DWORD as macros: they come last.
extern "C" {
#include <ytnef.h>
}

namespace privmilter::content {
namespace {

constexpr std::size_t kMegabyte = 1u << 20;
constexpr std::size_t kCompressedRtfHeader = 16;
constexpr std::uint32_t kRtfCompressed = 0x75465A4C;    // "LZFu"
constexpr std::uint32_t kRtfUncompressed = 0x414C454D;  // "MELA"
// The dictionary every compressed RTF stream starts from [MS-OXRTFCP].
constexpr std::string_view kRtfDictionaryStart =
    "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
    "\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
    "\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

class ParsedTnef {
 public:
  ParsedTnef() { TNEFInitialize(&tnef_); }
  ~ParsedTnef() { TNEFFree(&tnef_); }
  ParsedTnef(const ParsedTnef&) = delete;
  ParsedTnef& operator=(const ParsedTnef&) = delete;

  // False when the stream is damaged; what was read before the damage is
  // still available.
  bool parse(std::string_view bytes) {
    // libytnef allocates each attribute before reading it, up to this many
    // megabytes: no attribute can be larger than the stream itself.
    tnef_.attachmentSize = static_cast<int>(bytes.size() / kMegabyte + 1);
    tnef_.Debug = 0;
    // libytnef only reads the buffer, but its interface is not const.
    auto* data = reinterpret_cast<BYTE*>(const_cast<char*>(bytes.data()));
    return TNEFParseMemory(data, static_cast<long>(bytes.size()), &tnef_) == 0;
  }

  TNEFStruct& get() { return tnef_; }

 private:
  TNEFStruct tnef_{};
};

std::uint32_t little_endian_32(std::string_view bytes, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

bool is_attachment_attribute(std::uint32_t id) {
  return id == attAttachData || id == attAttachTitle || id == attAttachMetaFile || id == attAttachment ||
         id == attAttachCreateDate || id == attAttachModifyDate || id == attAttachTransportFilename;
}

// libytnef overwrites, and so leaks, whatever an attribute that occurs twice
// allocated the first time. Outlook never repeats one (per message, or per
// attachment after its rendering attribute), so such a stream is refused
// before libytnef sees it.
bool repeats_an_attribute(std::string_view stream) {
  constexpr std::size_t kSignatureAndKey = 6;
  constexpr std::size_t kAttributeHeader = 9;  // level, id, length
  constexpr std::size_t kChecksum = 2;
  std::vector<std::uint32_t> message_attributes;
  std::vector<std::uint32_t> attachment_attributes;
  std::size_t offset = kSignatureAndKey;
  while (offset + kAttributeHeader <= stream.size()) {
    const std::uint32_t id = little_endian_32(stream, offset + 1);
    const std::size_t length = little_endian_32(stream, offset + 5);
    if (id == attAttachRenddata) {
      attachment_attributes.clear();
    } else {
      auto& seen = is_attachment_attribute(id) ? attachment_attributes : message_attributes;
      if (std::find(seen.begin(), seen.end(), id) != seen.end()) return true;
      seen.push_back(id);
    }
    if (length > stream.size()) break;  // truncated: libytnef stops there too
    offset += kAttributeHeader + length + kChecksum;
  }
  return false;
}

const variableLength* find_property(MAPIProps& properties, unsigned int type, unsigned int id) {
  const variableLength* found = MAPIFindProperty(&properties, PROP_TAG(type, id));
  if (found == MAPI_UNDEFINED || found == nullptr || found->data == nullptr || found->size <= 0) return nullptr;
  return found;
}

std::string_view bytes_of(const variableLength& value) {
  return {reinterpret_cast<const char*>(value.data), static_cast<std::size_t>(value.size)};
}

// A string property or attribute as UTF-8, without its terminating NULs.
// libytnef converts PT_UNICODE values to NUL-terminated UTF-8 in place but
// keeps their original UTF-16 size, which the UTF-8 may exceed by half.
std::string string_of(const variableLength& value, bool converted_unicode) {
  // libytnef allocates 3 * size / 2 + 1 bytes for the UTF-8 and always ends it with a NUL.
  const std::size_t utf8_capacity = static_cast<std::size_t>(value.size) * 3 / 2 + 1;
  const std::size_t length = converted_unicode
                                 ? strnlen(reinterpret_cast<const char*>(value.data), utf8_capacity)
                                 : bytes_of(value).size();
  std::string_view text(reinterpret_cast<const char*>(value.data), length);
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  return converted_unicode ? make_valid_utf8(text) : convert_to_utf8(text, "").text;
}

std::string string_property(MAPIProps& properties, unsigned int id) {
  if (const variableLength* unicode = find_property(properties, PT_UNICODE, id)) return string_of(*unicode, true);
  if (const variableLength* ansi = find_property(properties, PT_STRING8, id)) return string_of(*ansi, false);
  return {};
}

// The stream with its MAPI property blocks (message and attachment level)
// left out: attachment titles and data remain.
std::string without_mapi_blocks(std::string_view stream) {
  constexpr std::size_t kSignatureAndKey = 6;
  constexpr std::size_t kAttributeFraming = 11;  // level, id, length, checksum
  std::string kept(stream.substr(0, std::min(stream.size(), kSignatureAndKey)));
  std::size_t offset = kSignatureAndKey;
  while (offset + kAttributeFraming <= stream.size()) {
    const std::uint32_t id = little_endian_32(stream, offset + 1);
    const std::size_t length = little_endian_32(stream, offset + 5);
    if (length > stream.size() - offset - kAttributeFraming) break;
    if (id != attMAPIProps && id != attAttachment) kept.append(stream.substr(offset, kAttributeFraming + length));
    offset += kAttributeFraming + length;
  }
  return kept;
}

enum class RtfOutcome { ok, malformed, over_limit };

// Decompresses [MS-OXRTFCP] itself rather than through libytnef's
// DecompressRTF, which trusts the declared sizes (it allocates whatever the
// header claims and reads past the end of a truncated stream).
RtfOutcome decompress_rtf(std::string_view compressed, std::size_t max_bytes, std::string& rtf) {
  if (compressed.size() < kCompressedRtfHeader) return RtfOutcome::malformed;
  const std::size_t raw_size = little_endian_32(compressed, 4);
  const std::uint32_t kind = little_endian_32(compressed, 8);
  const std::string_view payload = compressed.substr(kCompressedRtfHeader);
  if (raw_size > max_bytes) return RtfOutcome::over_limit;
  if (kind == kRtfUncompressed) {
    rtf.assign(payload.substr(0, raw_size));
    return RtfOutcome::ok;
  }
  if (kind != kRtfCompressed) return RtfOutcome::malformed;

  constexpr std::size_t kDictionarySize = 4096;
  std::vector<char> dictionary(kDictionarySize, '\0');
  std::copy(kRtfDictionaryStart.begin(), kRtfDictionaryStart.end(), dictionary.begin());
  std::size_t write = kRtfDictionaryStart.size();
  rtf.clear();
  rtf.reserve(raw_size);
  std::size_t in = 0;
  while (in < payload.size() && rtf.size() < raw_size) {
    const auto control = static_cast<unsigned char>(payload[in++]);
    for (int bit = 0; bit < 8 && rtf.size() < raw_size; ++bit) {
      if ((control & (1u << bit)) == 0) {
        if (in >= payload.size()) return RtfOutcome::malformed;
        rtf.push_back(payload[in]);
        dictionary[write] = payload[in++];
        write = (write + 1) % kDictionarySize;
        continue;
      }
      if (in + 2 > payload.size()) return RtfOutcome::malformed;
      const unsigned reference = (static_cast<unsigned char>(payload[in]) << 8) |
                                 static_cast<unsigned char>(payload[in + 1]);
      in += 2;
      std::size_t offset = reference >> 4;
      const std::size_t length = (reference & 0xF) + 2;
      if (offset == write) return RtfOutcome::ok;  // the end marker
      for (std::size_t i = 0; i < length && rtf.size() < raw_size; ++i) {
        const char byte = dictionary[offset];
        rtf.push_back(byte);
        dictionary[write] = byte;
        write = (write + 1) % kDictionarySize;
        offset = (offset + 1) % kDictionarySize;
      }
    }
  }
  return RtfOutcome::ok;
}

// The message body: the plain text when Outlook included it, else the RTF
// (handed to the RTF inspector as "body.rtf"), else the HTML. One form only,
// so the same words are not counted twice.
void inspect_body(TNEFStruct& tnef, const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  std::string plain;
  if (tnef.body.data != nullptr && tnef.body.size > 0) {
    plain = string_of(tnef.body, false);
  } else {
    plain = string_property(tnef.MapiProperties, PR_BODY);
  }
  if (!plain.empty()) {
    if (!extraction.add_text(SegmentKind::attachment, file.path + "/body", std::move(plain))) {
      extraction.mark_uninspectable(part_index, "limit:max_text_bytes");
    }
    return;
  }
  if (const variableLength* compressed = find_property(tnef.MapiProperties, PT_BINARY, PR_RTF_COMPRESSED)) {
    std::string rtf;
    switch (decompress_rtf(bytes_of(*compressed), extraction.limits().max_part_bytes, rtf)) {
      case RtfOutcome::malformed:
        extraction.mark_uninspectable(part_index, "malformed");
        return;
      case RtfOutcome::over_limit:
        extraction.mark_uninspectable(part_index, "limit:max_part_bytes");
        return;
      case RtfOutcome::ok:
        break;
    }
    if (!extraction.charge_bytes(rtf.size())) {
      extraction.mark_uninspectable(part_index, "limit:max_total_bytes");
      return;
    }
    extraction.inspect({.path = file.path + "/body.rtf", .filename = "body.rtf", .declared_type = "application/rtf",
                        .bytes = rtf, .depth = file.depth + 1});
    return;
  }
  const variableLength* html = find_property(tnef.MapiProperties, PT_BINARY, PR_BODY_HTML);
  if (html == nullptr) html = find_property(tnef.MapiProperties, PT_STRING8, PR_BODY_HTML);
  if (html != nullptr) {
    const std::string text = html_to_text(convert_to_utf8(bytes_of(*html), "").text);
    if (!extraction.add_text(SegmentKind::attachment, file.path + "/body", text)) {
      extraction.mark_uninspectable(part_index, "limit:max_text_bytes");
    }
  }
}

std::string attachment_name(Attachment& attachment, std::size_t number) {
  for (unsigned int id : {PR_ATTACH_LONG_FILENAME, PR_ATTACH_FILENAME, PR_DISPLAY_NAME}) {
    std::string name = string_property(attachment.MAPI, id);
    if (!name.empty()) return name;
  }
  if (attachment.Title.data != nullptr && attachment.Title.size > 0) {
    std::string title = string_of(attachment.Title, false);
    if (!title.empty()) return title;
  }
  return "attachment-" + std::to_string(number);
}

// An attached Outlook item (PR_ATTACH_DATA_OBJ) is an interface identifier
// followed by a TNEF stream of its own; a file is its bytes.
std::string_view attachment_bytes(Attachment& attachment) {
  constexpr std::size_t kInterfaceIdentifier = 16;
  for (unsigned int type : {PT_OBJECT, PT_BINARY}) {
    if (const variableLength* object = find_property(attachment.MAPI, type, PR_ATTACH_DATA_OBJ)) {
      const std::string_view bytes = bytes_of(*object);
      if (type == PT_OBJECT && bytes.size() > kInterfaceIdentifier) return bytes.substr(kInterfaceIdentifier);
      return bytes;
    }
  }
  if (attachment.FileData.data == nullptr || attachment.FileData.size <= 0) return {};
  return bytes_of(attachment.FileData);
}

void inspect_attachments(TNEFStruct& tnef, const EmbeddedFile& file, std::size_t part_index,
                         Extraction& extraction) {
  std::size_t number = 0;
  std::size_t entries = 0;
  for (Attachment* attachment = tnef.starting_attach.next; attachment != nullptr; attachment = attachment->next) {
    ++number;
    const std::string_view bytes = attachment_bytes(*attachment);
    if (bytes.empty()) continue;
    if (++entries > extraction.limits().max_archive_entries) {
      extraction.mark_uninspectable(part_index, "limit:max_archive_entries");
      return;
    }
    if (!extraction.part_allowed()) return;
    if (extraction.out_of_time()) {
      extraction.mark_uninspectable(part_index, "limit:time_budget");
      return;
    }
    const std::string name = attachment_name(*attachment, number);
    extraction.inspect({.path = file.path + "/" + name, .filename = name, .declared_type = {}, .bytes = bytes,
                        .depth = file.depth + 1});
  }
}

}  // namespace

void inspect_tnef(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  ParsedTnef parsed;
  // libytnef copies every attribute out of the stream: the copy counts
  // against the message's byte budget.
  if (!extraction.charge_bytes(file.bytes.size())) {
    extraction.mark_uninspectable(part_index, "limit:max_total_bytes");
    return;
  }
  if (repeats_an_attribute(file.bytes)) {
    extraction.mark_uninspectable(part_index, "malformed");
    return;
  }
  // A damaged stream is still searched: what came before the damage may be
  // exactly what a sender hoped would go unseen.
  if (parsed.parse(file.bytes)) {
    inspect_body(parsed.get(), file, part_index, extraction);
    inspect_attachments(parsed.get(), file, part_index, extraction);
    return;
  }
  extraction.mark_uninspectable(part_index, "malformed");
  inspect_body(parsed.get(), file, part_index, extraction);
  // libytnef gives up on a whole stream over one MAPI property block it
  // dislikes (some of its limits are stricter than Outlook), losing every
  // attachment after it: the files are read again without those blocks.
  const std::string files_only = without_mapi_blocks(file.bytes);
  ParsedTnef reparsed;
  reparsed.parse(files_only);
  inspect_attachments(reparsed.get(), file, part_index, extraction);
}

}  // namespace privmilter::content
