#include "masking.h"

#include <cstddef>
#include <vector>

namespace privmilter {
namespace {

constexpr std::size_t kMaxShownCharacters = 64;
constexpr std::size_t kMinLengthToRevealTail = 8;
constexpr std::size_t kRevealedTailCharacters = 2;

bool is_continuation_byte(char byte) {
  return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

std::size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// Splits UTF-8 into characters; a malformed byte counts as one character,
// so hostile input cannot make the mask reveal more or fewer bytes.
std::vector<std::string_view> split_characters(std::string_view text) {
  std::vector<std::string_view> characters;
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t length = utf8_sequence_length(static_cast<unsigned char>(text[position]));
    if (position + length > text.size()) length = 1;
    for (std::size_t k = 1; k < length; ++k) {
      if (!is_continuation_byte(text[position + k])) {
        length = 1;
        break;
      }
    }
    characters.push_back(text.substr(position, length));
    position += length;
  }
  return characters;
}

bool is_ascii_alphanumeric(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Non-ASCII characters are letters in most scripts, and a stray byte may be
// part of one; hiding both is the safe side.
std::string masked_character(std::string_view character) {
  const auto first = static_cast<unsigned char>(character.front());
  if (character.size() > 1 || first >= 0x80 || is_ascii_alphanumeric(first)) return "*";
  if (first < 0x20 || first == 0x7F) return " ";
  return std::string(character);
}

std::string revealed_character(std::string_view character) {
  const auto first = static_cast<unsigned char>(character.front());
  if (character.size() > 1) return std::string(character);  // a whole, valid UTF-8 sequence
  if (first >= 0x80) return "*";
  if (first < 0x20 || first == 0x7F) return " ";
  return std::string(character);
}

}  // namespace

std::string mask_match(std::string_view match) {
  const std::vector<std::string_view> characters = split_characters(match);
  std::string masked;
  if (characters.size() > kMaxShownCharacters) {
    for (std::size_t i = 0; i < kMaxShownCharacters; ++i) masked += masked_character(characters[i]);
    masked += "...";
    return masked;
  }
  const std::size_t revealed_from = characters.size() >= kMinLengthToRevealTail
                                        ? characters.size() - kRevealedTailCharacters
                                        : characters.size();
  for (std::size_t i = 0; i < characters.size(); ++i) {
    masked += i < revealed_from ? masked_character(characters[i]) : revealed_character(characters[i]);
  }
  return masked;
}

std::string mask_all_but_last(std::string_view match, std::size_t revealed) {
  if (match.size() > kMaxShownCharacters) return mask_match(match);
  std::size_t alphanumerics = 0;
  for (const char c : match) alphanumerics += is_ascii_alphanumeric(static_cast<unsigned char>(c)) ? 1 : 0;
  const std::size_t masked_count = alphanumerics > revealed ? alphanumerics - revealed : 0;
  std::string masked;
  std::size_t seen = 0;
  for (const char c : match) {
    if (is_ascii_alphanumeric(static_cast<unsigned char>(c))) {
      masked += seen++ < masked_count ? '*' : c;
    } else {
      masked += (c == ' ' || c == '-') ? c : '*';
    }
  }
  return masked;
}

}  // namespace privmilter
