#pragma once
// Structure and checksum rules of the identifiers privmilter looks for, so
// that a number that merely looks like a card or an account number does
// not fire. Pure functions over the identifier with its spaces and dashes
// already removed.

#include <optional>
#include <string_view>

namespace privmilter {

enum class IdentifierKind { payment_card, us_ssn, aba_routing, iban };

std::string_view to_string(IdentifierKind kind);
std::optional<IdentifierKind> parse_identifier_kind(std::string_view name);
// "payment_card, us_ssn, aba_routing or iban", for error messages.
std::string_view identifier_kind_names();

// 13 to 19 digits, a known issuer prefix with one of its lengths, a valid
// Luhn check digit, and not a single digit repeated.
bool is_valid_payment_card(std::string_view digits);

// 9 digits AAAGGSSSS: area not 000, 666 or 900-999, group not 00, serial
// not 0000, and not one of the numbers published in advertising.
bool is_valid_us_ssn(std::string_view digits);

// 9 digits with a Federal Reserve routing symbol prefix and the ABA
// checksum 3(d1+d4+d7) + 7(d2+d5+d8) + (d3+d6+d9) = 0 mod 10.
bool is_valid_aba_routing(std::string_view digits);

// Uppercase letters and digits: a country that uses IBANs, that country's
// length, and the ISO 13616 check (mod 97 == 1).
bool is_valid_iban(std::string_view compact);

bool is_valid_identifier(IdentifierKind kind, std::string_view compact);

}  // namespace privmilter
