#include "csv_reader.h"

namespace privmilter {
namespace {

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The length of the valid UTF-8 sequence at `text[0]`, or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view text) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  unsigned minimum = 0;
  unsigned code_point = 0;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, minimum = 0x80, code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, minimum = 0x800, code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, minimum = 0x10000, code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if (!is_continuation_byte(text[i])) return 0;
    code_point = (code_point << 6) | (static_cast<unsigned char>(text[i]) & 0x3F);
  }
  const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  return (code_point < minimum || code_point > 0x10FFFF || surrogate) ? 0 : length;
}

class CsvParser {
 public:
  CsvParser(std::string_view text, std::string_view file_label) : text_(text), label_(file_label) {}

  Result<std::vector<CsvRecord>> parse() {
    if (text_.starts_with("\xEF\xBB\xBF")) position_ = 3;
    if (Status valid = check_utf8(); !valid) return valid.error();
    std::vector<CsvRecord> records;
    while (!at_end()) {
      if (skip_blank_or_comment_line()) continue;
      CsvRecord record;
      record.line = line_;
      for (;;) {
        Result<CsvField> field = read_field();
        if (!field) return field.error();
        record.fields.push_back(std::move(field).value());
        if (!at_end() && peek() == ',') {
          advance();
          continue;
        }
        consume_line_end();
        break;
      }
      records.push_back(std::move(record));
    }
    return records;
  }

 private:
  bool at_end() const { return position_ >= text_.size(); }
  char peek() const { return text_[position_]; }
  bool at_line_end() const {
    return at_end() || peek() == '\n' || (peek() == '\r' && position_ + 1 < text_.size() && text_[position_ + 1] == '\n');
  }

  void advance() {
    const char c = text_[position_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else if (!is_continuation_byte(c)) {
      ++column_;
    }
  }

  void consume_line_end() {
    if (!at_end() && peek() == '\r') advance();
    if (!at_end() && peek() == '\n') advance();
  }

  Error error_here(const std::string& message) const {
    return make_error(std::string(label_) + ":" + std::to_string(line_) + ":" + std::to_string(column_) + ": " + message);
  }

  Status check_utf8() const {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = position_; i < text_.size();) {
      const std::size_t length = utf8_sequence_length(text_.substr(i));
      if (length == 0) {
        return make_error(std::string(label_) + ":" + std::to_string(line) + ":" + std::to_string(column) +
                          ": not UTF-8 text (save the file as UTF-8)");
      }
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
      i += length;
    }
    return {};
  }

  // Lines of nothing but blanks, and '#' comments, hold no record.
  bool skip_blank_or_comment_line() {
    std::size_t end = position_;
    while (end < text_.size() && (text_[end] == ' ' || text_[end] == '\t')) ++end;
    const bool comment = position_ < text_.size() && peek() == '#';
    const bool blank = end == text_.size() || text_[end] == '\n' ||
                       (text_[end] == '\r' && end + 1 < text_.size() && text_[end + 1] == '\n');
    if (!comment && !blank) return false;
    while (!at_line_end()) advance();
    consume_line_end();
    return true;
  }

  Result<CsvField> read_field() {
    CsvField field;
    field.line = line_;
    field.column = column_;
    if (!at_end() && peek() == '"') return read_quoted(std::move(field));
    while (!at_end() && peek() != ',' && !at_line_end()) {
      if (peek() == '"') return error_here("quote inside an unquoted field (quote the whole field and double the quote)");
      field.text += peek();
      advance();
    }
    return field;
  }

  Result<CsvField> read_quoted(CsvField field) {
    field.quoted = true;
    advance();
    for (;;) {
      if (at_end()) {
        return make_error(std::string(label_) + ":" + std::to_string(field.line) + ":" +
                          std::to_string(field.column) + ": quoted field is never closed");
      }
      if (peek() == '"') {
        advance();
        if (at_end() || peek() != '"') break;
      }
      field.text += peek();
      advance();
    }
    if (!at_end() && peek() != ',' && !at_line_end()) {
      return error_here("unexpected character after a closing quote (a quote inside a field is written \"\")");
    }
    return field;
  }

  std::string_view text_;
  std::string_view label_;
  std::size_t position_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
};

}  // namespace

std::size_t characters_in(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) {
    if (!is_continuation_byte(c)) ++count;
  }
  return count;
}

std::size_t CsvField::column_of(std::size_t offset) const {
  return column + (quoted ? 1 : 0) + characters_in(std::string_view(text).substr(0, offset));
}

Result<std::vector<CsvRecord>> parse_csv(std::string_view text, std::string_view file_label) {
  return CsvParser(text, file_label).parse();
}

}  // namespace privmilter
