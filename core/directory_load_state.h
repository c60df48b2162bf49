#pragma once
// Shared by the directory file readers: the tables being built, what has
// been seen where (for duplicate and reference checks), and the error that
// stops loading at the first problem. The error is an exception only inside
// the loader; load_firm_directory() returns it as a value.

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "privmilter/firm_directory.h"
#include "privmilter/transparent_hash.h"

namespace privmilter::directory_files {

class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "matters.csv:14:12: unknown client '10099'"
[[noreturn]] void fail_at(const std::string& file, std::size_t line, std::size_t column, const std::string& message);
std::string in_quotes(std::string_view text);

struct LoadState {
  std::filesystem::path directory;
  std::vector<std::string> internal_domains;  // lowercase
  FirmDirectoryTables tables;
  using Positions = std::unordered_map<std::string, std::size_t, TransparentStringHash, std::equal_to<>>;
  // Name -> position in the matching table.
  Positions user_by_address;
  Positions user_by_id;
  Positions group_by_name;
  Positions client_by_id;
  Positions matter_by_number;
  std::unordered_set<std::string, TransparentStringHash, std::equal_to<>> webmail;
  // The line that defined each user, client and matter, for duplicate reports.
  std::vector<std::size_t> user_lines;
  std::vector<std::size_t> client_lines;
  std::vector<std::size_t> matter_lines;

  // The name errors use for a file of the directory.
  std::string file_label(std::string_view file) const;
  // The user named by id or address (any case); npos when there is none.
  std::size_t find_user(std::string_view id_or_address) const;
  bool is_internal(std::string_view domain) const;
  bool is_webmail(std::string_view domain) const;
  // Adds `user` to `group` (creating it), both ways.
  void add_membership(std::size_t user, const std::string& group);
  std::size_t add_group(const std::string& name);
};

// Each reads one file's text into `state`, after the files it refers to
// (webmail, users, groups, clients, matters, walls, in this order).
void read_webmail(std::string_view text, LoadState& state);
void read_users(std::string_view text, LoadState& state);
void read_groups(std::string_view text, LoadState& state);
void read_clients(std::string_view text, LoadState& state);
void read_matters(std::string_view text, LoadState& state);
void read_walls(std::string_view text, LoadState& state);

}  // namespace privmilter::directory_files
