// OLE compound files (libgsf): encrypted Office files of every version, and
// legacy Word, Excel and PowerPoint files, whose text no Debian library
// gives reliably: they are flagged and described, and marked unsupported.

#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile-impl.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "inspectors.h"
#include "ole_properties.h"

namespace privmilter::content {
namespace {

struct GObjectDeleter {
  void operator()(gpointer object) const { g_object_unref(object); }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectDeleter>;

struct GErrorDeleter {
  void operator()(GError* error) const { g_error_free(error); }
};
using ErrorPtr = std::unique_ptr<GError, GErrorDeleter>;

// Property streams of real documents are a few kilobytes.
constexpr gsf_off_t kMaxPropertyStreamBytes = 1 << 20;

// Opens a stream of the root storage, or nothing when it is absent or
// unreadable. Goes through the class method because gsf_infile_child_by_*
// print a warning for every stream a damaged file cannot give.
GObjectPtr<GsfInput> child(GsfInfile* storage, const char* name) {
  const int count = gsf_infile_num_children(storage);
  for (int i = 0; i < count; ++i) {
    const char* child_name = gsf_infile_name_by_index(storage, i);
    if (child_name == nullptr || std::strcmp(child_name, name) != 0) continue;
    GError* raw_error = nullptr;
    GsfInfileClass* storage_class = GSF_INFILE_CLASS(G_OBJECT_GET_CLASS(storage));
    GObjectPtr<GsfInput> stream(storage_class->child_by_index(storage, i, &raw_error));
    ErrorPtr error(raw_error);
    if (error) return nullptr;
    return stream;
  }
  return nullptr;
}

// Reads `length` bytes at `offset` of a stream; empty when it is shorter.
std::string read_at(GsfInput* stream, gsf_off_t offset, std::size_t length) {
  if (gsf_input_size(stream) < offset + static_cast<gsf_off_t>(length)) return {};
  if (gsf_input_seek(stream, offset, G_SEEK_SET)) return {};
  const guint8* data = gsf_input_read(stream, length, nullptr);
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), length);
}

std::uint16_t little_endian_16(std::string_view bytes, std::size_t offset) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(bytes[offset]) |
                                    (static_cast<unsigned char>(bytes[offset + 1]) << 8));
}

// The Word FIB's fEncrypted bit covers both RC4 encryption and XOR
// obfuscation: either way the document needs a password to open.
bool word_document_encrypted(GsfInput* word_document) {
  constexpr std::uint16_t kFibEncrypted = 0x0100;
  const std::string fib_flags = read_at(word_document, 0x0A, 2);
  return fib_flags.size() == 2 && (little_endian_16(fib_flags, 0) & kFibEncrypted) != 0;
}

// An Excel workbook protected by a password carries a FILEPASS record in
// its globals substream, before the first EOF record.
bool workbook_encrypted(GsfInput* workbook) {
  constexpr std::uint16_t kFilePass = 0x002F;
  constexpr std::uint16_t kEndOfSubstream = 0x000A;
  constexpr int kMaxRecords = 512;
  gsf_off_t offset = 0;
  for (int record = 0; record < kMaxRecords; ++record) {
    const std::string header = read_at(workbook, offset, 4);
    if (header.size() != 4) return false;
    const std::uint16_t type = little_endian_16(header, 0);
    if (type == kFilePass) return true;
    if (type == kEndOfSubstream) return false;
    offset += 4 + little_endian_16(header, 2);
  }
  return false;
}

struct LegacyFormat {
  const char* stream;
  bool (*encrypted)(GsfInput*);
};

// "Book" is the stream of Excel 5/95 workbooks, whose records match BIFF8's
// as far as FILEPASS goes.
constexpr std::array<LegacyFormat, 4> kLegacyFormats{{
    {"WordDocument", word_document_encrypted},
    {"Workbook", workbook_encrypted},
    {"Book", workbook_encrypted},
    {"PowerPoint Document", nullptr},
}};

void read_properties(GsfInfile* storage, PartFact& fact) {
  for (const char* stream_name : {"\005SummaryInformation", "\005DocumentSummaryInformation"}) {
    GObjectPtr<GsfInput> stream = child(storage, stream_name);
    if (!stream) continue;
    const gsf_off_t size = gsf_input_size(stream.get());
    if (size <= 0 || size > kMaxPropertyStreamBytes) continue;
    const std::string bytes = read_at(stream.get(), 0, static_cast<std::size_t>(size));
    for (auto& property : read_ole_properties(bytes)) fact.properties.push_back(std::move(property));
  }
}

// libgsf reports every inconsistency of a damaged file on stderr; hostile
// input must not flood the daemon's log, and the verdict says "malformed".
void silence_libgsf_warnings() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* domain : {"libgsf:msole", "libgsf"}) {
      g_log_set_handler(domain,
                        static_cast<GLogLevelFlags>(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE),
                        [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
    }
  });
}

void mark_encrypted(std::size_t part_index, Extraction& extraction) {
  PartFact& fact = extraction.part(part_index);
  fact.set(PartFlag::encrypted);
  fact.set(PartFlag::password_protected);
  extraction.mark_uninspectable(part_index, "encrypted");
}

}  // namespace

void inspect_ole(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  silence_libgsf_warnings();
  GObjectPtr<GsfInput> input(gsf_input_memory_new(reinterpret_cast<const guint8*>(file.bytes.data()),
                                                  static_cast<gsf_off_t>(file.bytes.size()), FALSE));
  GError* raw_error = nullptr;
  GObjectPtr<GsfInfile> storage(input ? gsf_infile_msole_new(input.get(), &raw_error) : nullptr);
  ErrorPtr error(raw_error);
  if (!storage) {
    extraction.mark_uninspectable(part_index, "malformed");
    return;
  }

  // Agile and standard encryption (Office 2007 and later) wrap the whole
  // OOXML package: nothing but the encryption parameters is in clear.
  if (child(storage.get(), "EncryptedPackage")) {
    mark_encrypted(part_index, extraction);
    return;
  }

  read_properties(storage.get(), extraction.part(part_index));
  // PowerPoint moves its document properties into this stream when encrypted.
  bool encrypted = static_cast<bool>(child(storage.get(), "EncryptedSummary"));
  bool legacy_office = false;
  for (const LegacyFormat& format : kLegacyFormats) {
    GObjectPtr<GsfInput> stream = child(storage.get(), format.stream);
    if (!stream) continue;
    legacy_office = true;
    if (format.encrypted != nullptr && format.encrypted(stream.get())) encrypted = true;
  }
  if (encrypted) {
    mark_encrypted(part_index, extraction);
    return;
  }
  extraction.mark_uninspectable(part_index, legacy_office ? "unsupported:legacy office" : "unsupported:ole storage");
}

}  // namespace privmilter::content
