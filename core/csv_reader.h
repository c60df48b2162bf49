#pragma once
// RFC 4180 records with the position of every field, for loaders whose
// errors must name file:line:column. Hand-written because no CSV library
// is among the project's packages and the format is small: fields
// separated by commas, quoted fields with commas, line breaks and doubled
// quotes, CRLF or LF line ends. Beyond the RFC: a UTF-8 byte order mark is
// skipped, and blank lines and lines starting with '#' (outside quotes)
// are skipped.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "privmilter/result.h"

namespace privmilter {

struct CsvField {
  std::string text;         // unquoted, untrimmed
  std::size_t line = 0;     // 1-based, where the field starts
  std::size_t column = 0;   // 1-based, in characters (UTF-8 code points)
  bool quoted = false;

  // The column of `text[offset]`: exact unless a doubled quote or a line
  // break inside quotes comes before it.
  std::size_t column_of(std::size_t offset) const;
};

struct CsvRecord {
  std::vector<CsvField> fields;
  std::size_t line = 0;
};

// Invalid UTF-8, an unclosed quote or a stray quote is an error naming
// `file_label`:line:column.
Result<std::vector<CsvRecord>> parse_csv(std::string_view text, std::string_view file_label);

// The number of characters (UTF-8 code points) in `text`.
std::size_t characters_in(std::string_view text);

}  // namespace privmilter
