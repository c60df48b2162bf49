#include "privmilter/envelope.h"

#include "privmilter/strings.h"

namespace privmilter {

std::string strip_smtp_path(std::string_view raw) {
  std::string_view path = trim(raw);
  if (path.size() >= 2 && path.front() == '<' && path.back() == '>') {
    path = trim(path.substr(1, path.size() - 2));
  }
  // A source route ("@relay1,@relay2:user@host") names the real address last.
  if (!path.empty() && path.front() == '@') {
    if (auto colon = path.find(':'); colon != std::string_view::npos) path.remove_prefix(colon + 1);
  }
  return std::string(path);
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string domain = ascii_lower(trim(address.substr(at + 1)));
  // A trailing root dot ("example.com.") names the same domain.
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  return domain;
}

}  // namespace privmilter
