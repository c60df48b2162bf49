#pragma once
// The SMTP envelope of one message and what the MTA told us about its
// connection. Filled by the protocol adapter, read by every later stage.

#include <string>
#include <string_view>
#include <vector>

namespace privmilter {

struct Envelope {
  std::string queue_id;               // MTA queue id ("i"); may be empty before the first RCPT
  std::string sender;                 // MAIL FROM address without angle brackets; empty for <>
  std::vector<std::string> recipients;  // RCPT TO addresses without angle brackets
  std::string auth_authen;            // SASL login name; empty when not authenticated
  std::string client_addr;            // textual IP address of the SMTP client
  std::string client_name;            // client host name as the MTA resolved it
  std::string daemon_name;            // MTA listener name ({daemon_name})

  bool authenticated() const { return !auth_authen.empty(); }
};

// Strips angle brackets and surrounding blanks from an SMTP path argument:
// "<Alice@Example.COM>" -> "Alice@Example.COM". The local part keeps its case.
std::string strip_smtp_path(std::string_view raw);

// The domain of an address, lowercased; empty when there is no '@'.
std::string domain_of(std::string_view address);

}  // namespace privmilter
