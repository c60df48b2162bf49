#include "directory_syntax.h"

#include <algorithm>
#include <cstddef>

namespace privmilter {
namespace {

constexpr std::size_t kMaxDomainLength = 253;
constexpr std::size_t kMaxLabelLength = 63;
constexpr std::size_t kMaxLocalPartLength = 64;
constexpr std::size_t kMaxNameLength = 64;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string describe(char c) {
  if (c == ' ') return "a space";
  if (static_cast<unsigned char>(c) >= 0x80) return "a non-ASCII character";
  if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return "a control character";
  return "'" + std::string(1, c) + "'";
}

std::optional<std::string> check_characters(std::string_view text, bool (*allowed)(char), std::string_view rule) {
  for (const char c : text) {
    if (!allowed(c)) return describe(c) + " (" + std::string(rule) + ")";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> domain_problem(std::string_view domain) {
  if (domain.empty()) return "empty";
  if (domain.size() > kMaxDomainLength) return "longer than 253 characters";
  const auto allowed = [](char c) { return is_lower_alnum(c) || c == '-' || c == '.'; };
  if (auto bad = check_characters(domain, allowed, "letters, digits, hyphens and dots; international names in xn-- form")) {
    return bad;
  }
  if (domain.find('.') == std::string_view::npos) return "needs at least two labels";
  std::size_t start = 0;
  while (start <= domain.size()) {
    const std::size_t dot = std::min(domain.find('.', start), domain.size());
    const std::string_view label = domain.substr(start, dot - start);
    if (label.empty()) return "empty label";
    if (label.size() > kMaxLabelLength) return "label longer than 63 characters";
    if (label.front() == '-' || label.back() == '-') return "label starts or ends with a hyphen";
    start = dot + 1;
  }
  return std::nullopt;
}

std::optional<std::string> address_problem(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "no '@'";
  const std::string_view local = address.substr(0, at);
  if (local.empty()) return "empty local part";
  if (local.size() > kMaxLocalPartLength) return "local part longer than 64 characters";
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
  };
  if (auto bad = check_characters(local, allowed, "not allowed in the local part")) return bad;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return "misplaced dot in the local part";
  }
  if (auto bad = domain_problem(address.substr(at + 1))) return "domain: " + *bad;
  return std::nullopt;
}

std::optional<std::string> name_problem(std::string_view name) {
  if (name.empty()) return "empty";
  if (name.size() > kMaxNameLength) return "longer than 64 characters";
  const auto allowed = [](char c) { return is_lower_alnum(c) || c == '_' || c == '-'; };
  return check_characters(name, allowed, "lowercase letters, digits, '_' and '-'");
}

std::optional<std::string> user_id_problem(std::string_view id) {
  if (id.empty()) return "empty";
  if (id.size() > kMaxNameLength) return "longer than 64 characters";
  const auto allowed = [](char c) { return is_lower_alnum(c) || c == '_' || c == '-' || c == '.'; };
  return check_characters(id, allowed, "lowercase letters, digits, '.', '_' and '-'");
}

}  // namespace privmilter
