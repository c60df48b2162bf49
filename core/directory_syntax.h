#pragma once
// What the directory files accept as a domain, an address and a name. Each
// check returns why the text is refused, or nothing when it is fine.

#include <optional>
#include <string>
#include <string_view>

namespace privmilter {

// A host name of two or more labels: letters, digits and inner hyphens
// (international names in their xn-- form). Expects lowercase.
std::optional<std::string> domain_problem(std::string_view domain);
// local@domain, the local part a dot-atom of RFC 5322 characters.
std::optional<std::string> address_problem(std::string_view address);
// Group and wall names, as the policy refers to them: [a-z0-9_-]{1,64}.
std::optional<std::string> name_problem(std::string_view name);
// Login names: [a-z0-9._-]{1,64}.
std::optional<std::string> user_id_problem(std::string_view id);

}  // namespace privmilter
