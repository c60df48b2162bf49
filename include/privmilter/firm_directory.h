#pragma once
// The firm's directory: users, groups, clients, matters, ethical walls and
// personal webmail domains, as the administrators keep them in plain files
// (docs/DIRECTORY.md). Loaded at start and on reload, immutable afterwards,
// and shared between threads as std::shared_ptr<const FirmDirectory>.
// Every query is a hash lookup or a binary search: evaluation costs the
// same with ten matters or a hundred thousand.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "privmilter/lookalike.h"
#include "privmilter/result.h"
#include "privmilter/transparent_hash.h"

namespace privmilter {

// Matter numbers and client ids are compared in one canonical form, so that
// "10042.0007", "10042/0007" and " 10042-0007 " name the same matter:
// surrounding blanks are dropped, ASCII letters uppercased, digits kept, and
// every run of separators (. - / _ space tab) becomes one '-' (none at
// either end). Anything else (or nothing left, or more than 64 characters)
// is not a matter number: the result is empty.
std::string normalize_matter_number(std::string_view text);

struct User {
  std::string address;              // lowercase
  std::string id;                   // the SMTP AUTH login, lowercase ("jdoe")
  std::string name;                 // display name, may be empty
  std::vector<std::string> groups;  // lowercase, sorted, unique
};

struct Group {
  std::string name;                     // lowercase
  std::vector<std::string> member_ids;  // user ids, sorted, unique
};

struct Client {
  std::string id;                    // normalized like a matter number ("10042")
  std::string name;
  std::vector<std::string> domains;  // lowercase, sorted, unique
};

struct Matter {
  std::string number;     // normalized ("10042-0007")
  std::string client_id;  // normalized
  std::string name;
  // Co-counsel, opposing counsel, experts: who else may receive mail about
  // the matter besides the client's domains. Lowercase, sorted, unique.
  std::vector<std::string> authorized_domains;
  std::vector<std::string> authorized_addresses;
};

// Screens users (named, or by group) from matters (named, or every matter
// of a client).
struct Wall {
  std::string id;
  std::string description;
  std::vector<std::string> screened_user_ids;  // sorted, unique
  std::vector<std::string> screened_groups;    // sorted, unique
  std::vector<std::string> matters;            // normalized numbers, sorted, unique
  std::vector<std::string> clients;            // normalized ids, sorted, unique
};

// What FirmDirectory is built from: validated, canonical tables (the file
// loader below produces them). A reference to a name that is not in the
// tables matches nothing.
struct FirmDirectoryTables {
  std::vector<User> users;
  std::vector<Group> groups;
  std::vector<Client> clients;
  std::vector<Matter> matters;
  std::vector<Wall> walls;
  std::vector<std::string> webmail_domains;  // lowercase
};

class FirmDirectory {
 public:
  FirmDirectory() = default;  // empty: no users, clients or matters
  // `internal_domains` are the firm's (privmilter.yaml); they are protected
  // from lookalikes together with every client domain.
  FirmDirectory(FirmDirectoryTables tables, std::vector<std::string> internal_domains);

  // Null when unknown. `number` and `id` are normalized first.
  const Matter* matter(std::string_view number) const;
  const Client* client(std::string_view id) const;
  const Wall* wall(std::string_view id) const;
  bool has_wall(std::string_view id) const { return wall(id) != nullptr; }
  // Any case; null when unknown.
  const User* user_by_address(std::string_view address) const;
  const User* user_by_id(std::string_view id) const;
  // An SMTP AUTH login is a user id or, with some SASL set-ups, an address.
  const User* user_by_login(std::string_view login) const;
  const Group* group(std::string_view name) const;
  bool has_group(std::string_view name) const { return group(name) != nullptr; }
  bool in_group(const User& user, std::string_view group) const;

  // Whether mail about `matter` may go to `recipient_address`: an internal
  // recipient unless a wall screens them from the matter; an address the
  // matter names; an address in (a subdomain of) the client's domains or the
  // matter's authorized domains. The caller says what is internal
  // (Directory::is_internal_address).
  bool is_authorized(const Matter& matter, std::string_view recipient_address, bool recipient_is_internal) const;
  // The first wall (in file order) that screens `user` from `matter`: one
  // naming the user or one of their groups, and the matter or its client.
  const Wall* screening_wall(const User& user, const Matter& matter) const;

  // A personal webmail domain or a subdomain of one; any case.
  bool is_webmail(std::string_view domain) const;
  // The protected domain (internal or a client's) that `recipient_domain`
  // imitates; see LookalikeIndex for the rules.
  std::optional<std::string> imitated_domain(std::string_view recipient_domain) const;

  std::size_t user_count() const { return tables_.users.size(); }
  std::size_t group_count() const { return tables_.groups.size(); }
  std::size_t client_count() const { return tables_.clients.size(); }
  std::size_t matter_count() const { return tables_.matters.size(); }
  std::size_t wall_count() const { return tables_.walls.size(); }
  std::size_t webmail_count() const { return tables_.webmail_domains.size(); }
  const FirmDirectoryTables& tables() const { return tables_; }

 private:
  using Positions = std::unordered_map<std::string, std::size_t, TransparentStringHash, std::equal_to<>>;
  using PositionLists =
      std::unordered_map<std::string, std::vector<std::size_t>, TransparentStringHash, std::equal_to<>>;

  bool in_domains(const std::vector<std::string>& sorted_domains, std::string_view domain) const;
  bool screens(const Wall& wall, const User& user) const;

  FirmDirectoryTables tables_;
  Positions matter_positions_;
  Positions client_positions_;
  Positions wall_positions_;
  Positions user_address_positions_;
  Positions user_id_positions_;
  Positions group_positions_;
  PositionLists walls_by_matter_;  // positions in tables_.walls, ascending
  PositionLists walls_by_client_;
  std::unordered_set<std::string, TransparentStringHash, std::equal_to<>> webmail_;
  LookalikeIndex lookalikes_;
};

// The contents of the directory files; none for a file that is absent.
struct FirmDirectorySources {
  std::filesystem::path directory;  // prefixed to file names in error messages; may be empty
  std::optional<std::string> users_csv;
  std::optional<std::string> groups_yaml;
  std::optional<std::string> clients_csv;
  std::optional<std::string> matters_csv;
  std::optional<std::string> walls_yaml;
  std::optional<std::string> webmail_txt;
};

// Parses and cross-checks the files; the first problem is returned as an
// error naming file:line:column ("matters.csv:14:12: unknown client '10099'").
// User addresses must lie in `internal_domains` (when there are any).
Result<std::shared_ptr<const FirmDirectory>> parse_firm_directory(const FirmDirectorySources& sources,
                                                                  std::vector<std::string> internal_domains);

// Reads users.csv, groups.yaml, clients.csv, matters.csv, walls.yaml and
// webmail.txt from `directory` (each optional: a missing file is an empty
// table; an unreadable one, or a missing directory, is an error).
Result<std::shared_ptr<const FirmDirectory>> load_firm_directory(const std::filesystem::path& directory,
                                                                 std::vector<std::string> internal_domains);

}  // namespace privmilter
