// RTF reduced to its text, comments, tracked changes, hidden text and
// document properties.
//
// A small tokenizer rather than a library: no Debian-packaged library
// converts RTF to text in-process (the converters are whole applications),
// and the part of RTF that carries text is small. It is iterative, bounded in
// group depth, and skips what is not text (font and colour tables, style
// sheets, pictures, binary data, unknown \* destinations).

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "charset_decoder.h"
#include "document_findings.h"
#include "inspectors.h"

namespace privmilter::content {
namespace {

constexpr std::size_t kMaxGroupDepth = 512;
constexpr std::size_t kMaxControlWordLength = 32;
constexpr std::size_t kMaxPropertyBytes = 4096;
constexpr std::size_t kBytesBetweenClockChecks = 64u << 10;

enum class Destination { text, headers_footers, notes, comments, info, property, skip };

struct GroupState {
  Destination destination = Destination::text;
  std::string_view property;   // with Destination::property: its name
  bool owns_property = false;  // this group opened the property: its end completes the value
  int unicode_skip = 1;        // \ucN: fallback characters that follow each \uN
  bool hidden = false;         // \v
  bool deleted = false;        // \deleted
  bool inserted = false;       // \revised
};

struct NamedWord {
  std::string_view word;
  std::string_view name;
};

// Destinations whose content is never text.
constexpr std::array<std::string_view, 22> kSkippedDestinations = {
    "fonttbl",   "colortbl", "stylesheet", "listtable",     "listoverridetable", "revtbl",
    "rsidtbl",   "generator", "pict",      "fldinst",       "themedata",         "colorschememapping",
    "datastore", "latentstyles", "xmlnstbl", "filetbl",     "nonshppict",        "objdata",
    "datafield", "template",  "userprops", "xe"};

constexpr std::array<std::string_view, 8> kHeaderFooterDestinations = {
    "header", "headerl", "headerr", "headerf", "footer", "footerl", "footerr", "footerf"};

// \info children that name a property, and the property they name.
constexpr std::array<NamedWord, 9> kInfoProperties{{
    {"title", "title"},
    {"author", "author"},
    {"operator", "last_modified_by"},
    {"company", "company"},
    {"manager", "manager"},
    {"subject", "subject"},
    {"keywords", "keywords"},
    {"doccomm", "description"},
    {"category", "category"},
}};

constexpr std::array<NamedWord, 11> kSymbols{{
    {"emdash", "\xE2\x80\x94"},
    {"endash", "\xE2\x80\x93"},
    {"bullet", "\xE2\x80\xA2"},
    {"lquote", "\xE2\x80\x98"},
    {"rquote", "\xE2\x80\x99"},
    {"ldblquote", "\xE2\x80\x9C"},
    {"rdblquote", "\xE2\x80\x9D"},
    {"emspace", " "},
    {"enspace", " "},
    {"qmspace", " "},
    {"tab", "\t"},
}};

template <std::size_t N>
std::optional<std::string_view> lookup(const std::array<NamedWord, N>& table, std::string_view word) {
  for (const NamedWord& entry : table) {
    if (entry.word == word) return entry.name;
  }
  return std::nullopt;
}

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}


std::string charset_for_code_page(long code_page) {
  if (code_page >= 1250 && code_page <= 1258) return "windows-" + std::to_string(code_page);
  if (code_page == 65001) return "utf-8";
  if (code_page == 10000) return "macintosh";
  return "cp" + std::to_string(code_page);
}

class RtfReader {
 public:
  RtfReader(std::string_view rtf, DocumentFindings& findings, Extraction& extraction)
      : rtf_(rtf), findings_(findings), extraction_(extraction) {}

  void read() {
    std::size_t next_clock_check = kBytesBetweenClockChecks;
    while (pos_ < rtf_.size()) {
      if (pos_ >= next_clock_check) {
        next_clock_check = pos_ + kBytesBetweenClockChecks;
        if (extraction_.out_of_time()) {
          findings_.mark_uninspectable("limit:time_budget");
          break;
        }
      }
      const char c = rtf_[pos_++];
      if (c == '{') {
        if (!open_group()) return;
      } else if (c == '}') {
        if (!close_group()) break;
      } else if (c == '\\') {
        control();
      } else if (c != '\r' && c != '\n' && !stack_.empty()) {
        byte(c);
      }
    }
    flush();
    if (!stack_.empty()) findings_.mark_uninspectable("malformed");
  }

 private:
  GroupState& state() { return stack_.back(); }

  bool open_group() {
    flush();
    if (stack_.size() >= kMaxGroupDepth) {
      findings_.mark_uninspectable("malformed");
      return false;
    }
    GroupState inner = stack_.empty() ? GroupState{} : state();
    inner.owns_property = false;
    stack_.push_back(inner);
    pending_skip_ = 0;
    ignorable_ = false;
    return true;
  }

  // False once the outermost group has ended.
  bool close_group() {
    flush();
    pending_skip_ = 0;
    if (stack_.empty()) return false;
    if (state().owns_property) {
      findings_.add_property(std::string(state().property), property_value_);
      property_value_.clear();
    }
    const bool was_revision = state().deleted || state().inserted;
    stack_.pop_back();
    if (stack_.empty()) return false;
    if (was_revision && !state().deleted && !state().inserted) {
      findings_.break_line(DocumentStream::tracked_changes);  // each revision on its own line
    }
    return true;
  }

  void control() {
    if (pos_ >= rtf_.size()) return;
    const char c = rtf_[pos_];
    if (!is_letter(c)) {
      ++pos_;
      control_symbol(c);
      return;
    }
    const std::size_t start = pos_;
    while (pos_ < rtf_.size() && is_letter(rtf_[pos_])) ++pos_;
    const std::string_view word = rtf_.substr(start, std::min(pos_ - start, kMaxControlWordLength));
    std::optional<long> parameter;
    if (pos_ < rtf_.size() && (is_digit(rtf_[pos_]) || rtf_[pos_] == '-')) {
      const std::size_t number_start = pos_;
      ++pos_;
      while (pos_ < rtf_.size() && is_digit(rtf_[pos_])) ++pos_;
      long value = 0;
      const auto digits = rtf_.substr(number_start, std::min<std::size_t>(pos_ - number_start, 11));
      if (std::from_chars(digits.data(), digits.data() + digits.size(), value).ec == std::errc()) parameter = value;
    }
    if (pos_ < rtf_.size() && rtf_[pos_] == ' ') ++pos_;
    control_word(word, parameter);
  }

  void control_symbol(char symbol) {
    if (symbol == '\'') {
      const int high = pos_ < rtf_.size() ? hex_value(rtf_[pos_]) : -1;
      const int low = pos_ + 1 < rtf_.size() ? hex_value(rtf_[pos_ + 1]) : -1;
      if (high < 0 || low < 0) return;
      pos_ += 2;
      byte(static_cast<char>(high * 16 + low));
      return;
    }
    if (symbol == '*') {
      ignorable_ = true;
      return;
    }
    pending_skip_ = 0;
    if (symbol == '\\' || symbol == '{' || symbol == '}') {
      byte(symbol);
    } else if (symbol == '~') {
      code_point(0xA0);
    } else if (symbol == '_') {
      byte('-');
    } else if (symbol == '\r' || symbol == '\n') {
      break_line();
    } else if (symbol == '\t') {
      byte('\t');
    }
  }

  void control_word(std::string_view word, std::optional<long> parameter) {
    const bool ignorable = std::exchange(ignorable_, false);
    if (word == "u" && parameter) {
      unicode(*parameter);
      return;
    }
    pending_skip_ = 0;
    if (stack_.empty()) return;
    flush();
    GroupState& group = state();
    const bool on = !parameter || *parameter != 0;

    if (word == "bin") {
      // Raw binary data of the given length follows: never text.
      const std::size_t length = parameter && *parameter > 0 ? static_cast<std::size_t>(*parameter) : 0;
      pos_ += std::min(length, rtf_.size() - pos_);
    } else if (word == "annotation") {
      group.destination = Destination::comments;
      findings_.set(PartFlag::comments);
    } else if (auto property = lookup(kInfoProperties, word); property && group.destination == Destination::info) {
      // Word writes some of these as ignorable destinations ({\*\company ...}).
      group.destination = Destination::property;
      group.property = *property;
      group.owns_property = true;
      property_value_.clear();
    } else if (ignorable || std::find(kSkippedDestinations.begin(), kSkippedDestinations.end(), word) !=
                                kSkippedDestinations.end()) {
      group.destination = Destination::skip;
    } else if (word == "info") {
      group.destination = Destination::info;
    } else if (std::find(kHeaderFooterDestinations.begin(), kHeaderFooterDestinations.end(), word) !=
               kHeaderFooterDestinations.end()) {
      if (group.destination != Destination::skip) group.destination = Destination::headers_footers;
    } else if (word == "footnote") {
      if (group.destination != Destination::skip) group.destination = Destination::notes;
    } else if (word == "ansicpg" && parameter) {
      charset_ = charset_for_code_page(*parameter);
    } else if (word == "mac") {
      charset_ = "macintosh";
    } else if (word == "pc") {
      charset_ = "cp437";
    } else if (word == "pca") {
      charset_ = "cp850";
    } else if (word == "uc" && parameter) {
      group.unicode_skip = static_cast<int>(std::clamp<long>(*parameter, 0, 16));
    } else if (word == "v") {
      group.hidden = on;
    } else if (word == "deleted") {
      group.deleted = on;
      if (on) findings_.set(PartFlag::tracked_changes);
    } else if (word == "revised") {
      group.inserted = on;
      if (on) findings_.set(PartFlag::tracked_changes);
    } else if (word == "plain") {
      group.hidden = group.deleted = group.inserted = false;
    } else if (word == "par" || word == "sect" || word == "page" || word == "row") {
      break_line();
    } else if (word == "line") {
      deliver("\n");
    } else if (word == "cell") {
      deliver("\t");
    } else if (auto symbol = lookup(kSymbols, word)) {
      deliver(*symbol);
    }
  }

  void unicode(long value) {
    flush();
    if (value < 0) value += 65536;
    const auto unit = static_cast<char32_t>(std::clamp<long>(value, 0, 0xFFFF));
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      high_surrogate_ = unit;
    } else if (unit >= 0xDC00 && unit <= 0xDFFF && high_surrogate_ != 0) {
      code_point(0x10000 + ((high_surrogate_ - 0xD800) << 10) + (unit - 0xDC00));
      high_surrogate_ = 0;
    } else if (unit >= 0xD800 && unit <= 0xDFFF) {
      code_point(0xFFFD);
    } else {
      code_point(unit);
    }
    pending_skip_ = stack_.empty() ? 0 : state().unicode_skip;
  }

  // A byte of text in the document's code page, unless it is a \uN fallback.
  void byte(char c) {
    if (pending_skip_ > 0) {
      --pending_skip_;
      return;
    }
    if (stack_.empty()) return;
    pending_bytes_.push_back(c);
  }

  void code_point(char32_t value) {
    std::string utf8;
    append_utf8(utf8, value);
    deliver(utf8);
  }

  void flush() {
    if (pending_bytes_.empty()) return;
    const bool ascii = std::all_of(pending_bytes_.begin(), pending_bytes_.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) {
      deliver(pending_bytes_);
    } else if (charset_ == "windows-1252") {
      deliver(windows1252_to_utf8(pending_bytes_));
    } else {
      deliver(convert_to_utf8(pending_bytes_, charset_).text);
    }
    pending_bytes_.clear();
  }

  void break_line() {
    if (stack_.empty()) return;
    const std::optional<DocumentStream> stream = text_stream();
    if (!stream) return;
    findings_.break_line(*stream);
    if (state().inserted || state().deleted) findings_.break_line(DocumentStream::tracked_changes);
  }

  std::optional<DocumentStream> text_stream() {
    switch (state().destination) {
      case Destination::text:
        return state().hidden ? DocumentStream::hidden_text : DocumentStream::body;
      case Destination::headers_footers:
        return DocumentStream::headers_footers;
      case Destination::notes:
        return DocumentStream::notes;
      case Destination::comments:
        return DocumentStream::comments;
      default:
        return std::nullopt;
    }
  }

  void deliver(std::string_view text) {
    if (text.empty() || stack_.empty()) return;
    const GroupState& group = state();
    if (group.destination == Destination::property) {
      if (property_value_.size() + text.size() <= kMaxPropertyBytes) property_value_ += text;
      return;
    }
    const std::optional<DocumentStream> stream = text_stream();
    if (!stream) return;
    if (group.deleted || group.inserted) findings_.append(DocumentStream::tracked_changes, text);
    if (group.deleted) return;
    findings_.append(*stream, text);
    if (stream == DocumentStream::hidden_text && text.find_first_not_of(" \t\n") != std::string_view::npos) {
      findings_.set(PartFlag::hidden_text);
    }
  }

  std::string_view rtf_;
  DocumentFindings& findings_;
  Extraction& extraction_;
  std::size_t pos_ = 0;
  std::vector<GroupState> stack_;
  std::string charset_ = "windows-1252";
  std::string pending_bytes_;
  std::string property_value_;
  int pending_skip_ = 0;
  char32_t high_surrogate_ = 0;
  bool ignorable_ = false;
};

}  // namespace

void inspect_rtf(const EmbeddedFile& file, std::size_t part_index, Extraction& extraction) {
  DocumentFindings findings(extraction.text_budget_left());
  RtfReader(file.bytes, findings, extraction).read();
  findings.publish(extraction, part_index, file.path);
}

}  // namespace privmilter::content
