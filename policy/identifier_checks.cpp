#include "identifier_checks.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <iterator>
#include <string>

namespace privmilter {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number_at(std::string_view digits, std::size_t position, std::size_t count) {
  int value = 0;
  for (std::size_t i = position; i < position + count; ++i) value = value * 10 + (digits[i] - '0');
  return value;
}

bool luhn_valid(std::string_view digits) {
  int sum = 0;
  bool double_it = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int digit = *it - '0';
    if (double_it) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

struct IssuerRange {
  std::size_t prefix_digits;
  int low;
  int high;
  std::uint32_t lengths;  // bit n set: n digits is a valid length
};

constexpr std::uint32_t lengths_between(unsigned low, unsigned high) {
  std::uint32_t bits = 0;
  for (unsigned n = low; n <= high; ++n) bits |= 1u << n;
  return bits;
}

constexpr std::uint32_t kVisaLengths = (1u << 13) | (1u << 16) | (1u << 19);

// Issuer identification ranges of the networks whose cards a firm is
// likely to see; a number outside them is not treated as a card.
constexpr IssuerRange kIssuerRanges[] = {
    {1, 4, 4, kVisaLengths},                        // Visa
    {2, 51, 55, 1u << 16},                          // Mastercard
    {4, 2221, 2720, 1u << 16},                      // Mastercard 2-series
    {2, 34, 34, 1u << 15},                          // American Express
    {2, 37, 37, 1u << 15},                          // American Express
    {4, 6011, 6011, lengths_between(16, 19)},       // Discover
    {3, 644, 649, lengths_between(16, 19)},         // Discover
    {2, 65, 65, lengths_between(16, 19)},           // Discover
    {3, 300, 305, lengths_between(14, 19)},         // Diners Club
    {2, 36, 36, lengths_between(14, 19)},           // Diners Club
    {2, 38, 38, lengths_between(14, 19)},           // Diners Club
    {4, 3528, 3589, lengths_between(16, 19)},       // JCB
    {2, 62, 62, lengths_between(16, 19)},           // UnionPay
};

bool issuer_accepts(const IssuerRange& range, std::string_view digits) {
  if (digits.size() < range.prefix_digits) return false;
  const int prefix = number_at(digits, 0, range.prefix_digits);
  return prefix >= range.low && prefix <= range.high && (range.lengths & (1u << digits.size())) != 0;
}

// Published in advertising or on sample cards and never valid for a person.
constexpr std::array<std::string_view, 2> kAdvertisedSsns = {"078051120", "219099999"};

struct IbanCountry {
  std::string_view code;
  std::size_t length;
};

// ISO 13616 registry lengths: SEPA and the other countries that use IBANs.
constexpr IbanCountry kIbanCountries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28},
    {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20},
    {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
    {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SC", 31},
    {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24},
    {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"LY", 25}, {"SD", 18},
};

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string_view to_string(IdentifierKind kind) {
  switch (kind) {
    case IdentifierKind::payment_card: return "payment_card";
    case IdentifierKind::us_ssn: return "us_ssn";
    case IdentifierKind::aba_routing: return "aba_routing";
    case IdentifierKind::iban: return "iban";
  }
  return "unknown";
}

std::optional<IdentifierKind> parse_identifier_kind(std::string_view name) {
  for (const IdentifierKind kind : {IdentifierKind::payment_card, IdentifierKind::us_ssn,
                                    IdentifierKind::aba_routing, IdentifierKind::iban}) {
    if (name == to_string(kind)) return kind;
  }
  return std::nullopt;
}

std::string_view identifier_kind_names() { return "payment_card, us_ssn, aba_routing or iban"; }

bool is_valid_payment_card(std::string_view digits) {
  if (digits.size() < 13 || digits.size() > 19 || !all_digits(digits)) return false;
  if (digits.find_first_not_of(digits.front()) == std::string_view::npos) return false;
  const bool known_issuer =
      std::any_of(std::begin(kIssuerRanges), std::end(kIssuerRanges),
                  [&](const IssuerRange& range) { return issuer_accepts(range, digits); });
  return known_issuer && luhn_valid(digits);
}

bool is_valid_us_ssn(std::string_view digits) {
  if (digits.size() != 9 || !all_digits(digits)) return false;
  const int area = number_at(digits, 0, 3);
  const int group = number_at(digits, 3, 2);
  const int serial = number_at(digits, 5, 4);
  if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return false;
  return std::find(kAdvertisedSsns.begin(), kAdvertisedSsns.end(), digits) == kAdvertisedSsns.end();
}

bool is_valid_aba_routing(std::string_view digits) {
  if (digits.size() != 9 || !all_digits(digits)) return false;
  const int prefix = number_at(digits, 0, 2);
  const bool known_prefix = prefix <= 12 || (prefix >= 21 && prefix <= 32) ||
                            (prefix >= 61 && prefix <= 72) || prefix == 80;
  if (!known_prefix) return false;
  int sum = 0;
  static constexpr std::array<int, 3> kWeights = {3, 7, 1};
  for (std::size_t i = 0; i < 9; ++i) sum += kWeights[i % 3] * (digits[i] - '0');
  return sum % 10 == 0;
}

bool is_valid_iban(std::string_view compact) {
  if (compact.size() < 4 || !is_upper(compact[0]) || !is_upper(compact[1]) || !is_digit(compact[2]) ||
      !is_digit(compact[3])) {
    return false;
  }
  const auto country = std::find_if(std::begin(kIbanCountries), std::end(kIbanCountries),
                                    [&](const IbanCountry& entry) { return entry.code == compact.substr(0, 2); });
  if (country == std::end(kIbanCountries) || country->length != compact.size()) return false;
  if (!std::all_of(compact.begin(), compact.end(), [](char c) { return is_upper(c) || is_digit(c); })) return false;
  // The check runs over BBAN, country and check digits, letters as 10..35.
  const std::string rearranged = std::string(compact.substr(4)) + std::string(compact.substr(0, 4));
  int remainder = 0;
  for (const char c : rearranged) {
    if (is_digit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    }
  }
  return remainder == 1;
}

bool is_valid_identifier(IdentifierKind kind, std::string_view compact) {
  switch (kind) {
    case IdentifierKind::payment_card: return is_valid_payment_card(compact);
    case IdentifierKind::us_ssn: return is_valid_us_ssn(compact);
    case IdentifierKind::aba_routing: return is_valid_aba_routing(compact);
    case IdentifierKind::iban: return is_valid_iban(compact);
  }
  return false;
}

}  // namespace privmilter
