#pragma once
// A small firm directory for policy tests: two clients, three matters,
// litigation and corporate groups, one ethical wall, webmail domains.

#include <memory>
#include <string>
#include <vector>

#include "privmilter/directory.h"
#include "privmilter/firm_directory.h"

namespace privmilter::policy_test {

// Matter numbers look like 10042-0007; this is the policy's pattern.
inline const char* const kMatterPattern = R"('\b\d{5}[-.]\d{4}\b')";

inline Directory firm_with_matters() {
  FirmDirectoryTables tables;
  tables.users = {
      {"alice@examplelaw.com", "alice", "Alice Partner", {"litigation"}},
      {"bob@examplelaw.com", "bob", "Bob Associate", {"corporate"}},
      {"carol@examplelaw.com", "carol", "Carol Screened", {"corporate"}},
  };
  tables.clients = {
      {"10042", "Acme Widgets", {"acme-widgets.example"}},
      {"20077", "Northwind Traders", {"northwind.example"}},
  };
  tables.matters = {
      {"10042-0007", "10042", "Acme v. Globex", {"cocounsel.example"}, {"expert@forensics.example"}},
      {"10042-0008", "10042", "Acme licensing", {}, {}},
      {"20077-0001", "20077", "Northwind acquisition", {}, {}},
  };
  // Carol once worked for Globex: she is screened from the Acme litigation.
  tables.walls = {{"globex-screen", "Carol is screened from Acme v. Globex", {"carol"}, {}, {"10042-0007"}, {}}};
  tables.webmail_domains = {"gmail.com", "outlook.com"};
  auto firm = std::make_shared<const FirmDirectory>(std::move(tables), std::vector<std::string>{"examplelaw.com"});
  return Directory({"examplelaw.com"}, {}, std::move(firm));
}

}  // namespace privmilter::policy_test
