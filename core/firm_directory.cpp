#include "privmilter/firm_directory.h"

#include <algorithm>

#include "privmilter/envelope.h"
#include "privmilter/strings.h"

namespace privmilter {
namespace {

constexpr std::size_t kMaxMatterNumberLength = 64;

bool is_separator(char c) { return c == '.' || c == '-' || c == '/' || c == '_' || c == ' ' || c == '\t'; }

bool sorted_contains(const std::vector<std::string>& sorted, std::string_view value) {
  return std::binary_search(sorted.begin(), sorted.end(), value, std::less<>());
}

template <typename Map>
const typename Map::mapped_type* find_in(const Map& map, std::string_view key) {
  auto found = map.find(key);
  return found == map.end() ? nullptr : &found->second;
}

// "a.b.example", "b.example", "example": a domain and each domain above it.
template <typename Visit>
bool any_domain_upwards(std::string_view domain, Visit&& visit) {
  while (!domain.empty()) {
    if (visit(domain)) return true;
    const std::size_t dot = domain.find('.');
    if (dot == std::string_view::npos) break;
    domain.remove_prefix(dot + 1);
  }
  return false;
}

void sort_unique(std::vector<std::string>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

void lower_sort_unique(std::vector<std::string>& values) {
  for (std::string& value : values) value = ascii_lower(trim(value));
  sort_unique(values);
}

void normalize_sort_unique(std::vector<std::string>& numbers) {
  for (std::string& number : numbers) number = normalize_matter_number(number);
  sort_unique(numbers);
}

// The loader hands over canonical tables already; tables built by hand get
// the same form here, so that every lookup below may rely on it. Group
// membership is kept on both sides (User::groups, Group::member_ids).
void make_canonical(FirmDirectoryTables& tables) {
  std::unordered_map<std::string, std::size_t> group_positions;
  for (std::size_t i = 0; i < tables.groups.size(); ++i) {
    Group& group = tables.groups[i];
    group.name = ascii_lower(trim(group.name));
    lower_sort_unique(group.member_ids);
    group_positions.emplace(group.name, i);
  }
  std::unordered_map<std::string, std::size_t> user_positions;
  for (std::size_t i = 0; i < tables.users.size(); ++i) {
    User& user = tables.users[i];
    user.address = ascii_lower(trim(user.address));
    user.id = ascii_lower(trim(user.id));
    lower_sort_unique(user.groups);
    user_positions.emplace(user.id, i);
    for (const std::string& name : user.groups) {
      auto [group, added] = group_positions.emplace(name, tables.groups.size());
      if (added) tables.groups.push_back({name, {}});
      tables.groups[group->second].member_ids.push_back(user.id);
    }
  }
  for (Group& group : tables.groups) {
    sort_unique(group.member_ids);
    for (const std::string& id : group.member_ids) {
      if (auto user = user_positions.find(id); user != user_positions.end()) {
        tables.users[user->second].groups.push_back(group.name);
      }
    }
  }
  for (User& user : tables.users) sort_unique(user.groups);
  for (Client& client : tables.clients) {
    client.id = normalize_matter_number(client.id);
    lower_sort_unique(client.domains);
  }
  for (Matter& matter : tables.matters) {
    matter.number = normalize_matter_number(matter.number);
    matter.client_id = normalize_matter_number(matter.client_id);
    lower_sort_unique(matter.authorized_domains);
    lower_sort_unique(matter.authorized_addresses);
  }
  for (Wall& wall : tables.walls) {
    wall.id = ascii_lower(trim(wall.id));
    lower_sort_unique(wall.screened_user_ids);
    lower_sort_unique(wall.screened_groups);
    normalize_sort_unique(wall.matters);
    normalize_sort_unique(wall.clients);
  }
  lower_sort_unique(tables.webmail_domains);
}

}  // namespace

std::string normalize_matter_number(std::string_view text) {
  std::string normalized;
  bool separator_pending = false;
  for (const char c : trim(text)) {
    if (is_separator(c)) {
      separator_pending = !normalized.empty();
      continue;
    }
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!letter && !(c >= '0' && c <= '9')) return {};
    if (separator_pending) normalized += '-';
    separator_pending = false;
    normalized += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  }
  if (normalized.size() > kMaxMatterNumberLength) return {};
  return normalized;
}

FirmDirectory::FirmDirectory(FirmDirectoryTables tables, std::vector<std::string> internal_domains)
    : tables_(std::move(tables)) {
  make_canonical(tables_);
  user_address_positions_.reserve(tables_.users.size());
  user_id_positions_.reserve(tables_.users.size());
  client_positions_.reserve(tables_.clients.size());
  matter_positions_.reserve(tables_.matters.size());
  for (std::size_t i = 0; i < tables_.users.size(); ++i) {
    user_address_positions_.emplace(tables_.users[i].address, i);
    user_id_positions_.emplace(tables_.users[i].id, i);
  }
  for (std::size_t i = 0; i < tables_.groups.size(); ++i) group_positions_.emplace(tables_.groups[i].name, i);
  std::vector<std::string> client_domains;
  for (std::size_t i = 0; i < tables_.clients.size(); ++i) {
    client_positions_.emplace(tables_.clients[i].id, i);
    client_domains.insert(client_domains.end(), tables_.clients[i].domains.begin(), tables_.clients[i].domains.end());
  }
  for (std::size_t i = 0; i < tables_.matters.size(); ++i) matter_positions_.emplace(tables_.matters[i].number, i);
  for (std::size_t i = 0; i < tables_.walls.size(); ++i) {
    const Wall& wall = tables_.walls[i];
    wall_positions_.emplace(wall.id, i);
    for (const std::string& number : wall.matters) walls_by_matter_[number].push_back(i);
    for (const std::string& id : wall.clients) walls_by_client_[id].push_back(i);
  }
  webmail_.insert(tables_.webmail_domains.begin(), tables_.webmail_domains.end());
  for (std::string& domain : internal_domains) domain = ascii_lower(trim(domain));
  lookalikes_ = LookalikeIndex(internal_domains, client_domains);
}

const Matter* FirmDirectory::matter(std::string_view number) const {
  const std::size_t* position = find_in(matter_positions_, normalize_matter_number(number));
  return position == nullptr ? nullptr : &tables_.matters[*position];
}

const Client* FirmDirectory::client(std::string_view id) const {
  const std::size_t* position = find_in(client_positions_, normalize_matter_number(id));
  return position == nullptr ? nullptr : &tables_.clients[*position];
}

const Wall* FirmDirectory::wall(std::string_view id) const {
  const std::size_t* position = find_in(wall_positions_, ascii_lower(trim(id)));
  return position == nullptr ? nullptr : &tables_.walls[*position];
}

const User* FirmDirectory::user_by_address(std::string_view address) const {
  const std::size_t* position = find_in(user_address_positions_, ascii_lower(trim(address)));
  return position == nullptr ? nullptr : &tables_.users[*position];
}

const User* FirmDirectory::user_by_id(std::string_view id) const {
  const std::size_t* position = find_in(user_id_positions_, ascii_lower(trim(id)));
  return position == nullptr ? nullptr : &tables_.users[*position];
}

const User* FirmDirectory::user_by_login(std::string_view login) const {
  if (const User* user = user_by_id(login)) return user;
  return user_by_address(login);
}

const Group* FirmDirectory::group(std::string_view name) const {
  const std::size_t* position = find_in(group_positions_, ascii_lower(trim(name)));
  return position == nullptr ? nullptr : &tables_.groups[*position];
}

bool FirmDirectory::in_group(const User& user, std::string_view group) const {
  return sorted_contains(user.groups, ascii_lower(trim(group)));
}

bool FirmDirectory::in_domains(const std::vector<std::string>& sorted_domains, std::string_view domain) const {
  return any_domain_upwards(domain, [&](std::string_view d) { return sorted_contains(sorted_domains, d); });
}

bool FirmDirectory::is_authorized(const Matter& matter, std::string_view recipient_address,
                                  bool recipient_is_internal) const {
  if (recipient_is_internal) {
    const User* recipient = user_by_address(recipient_address);
    return recipient == nullptr || screening_wall(*recipient, matter) == nullptr;
  }
  if (sorted_contains(matter.authorized_addresses, ascii_lower(trim(recipient_address)))) return true;
  const std::string domain = domain_of(recipient_address);
  if (domain.empty()) return false;
  if (in_domains(matter.authorized_domains, domain)) return true;
  const Client* owner = client(matter.client_id);
  return owner != nullptr && in_domains(owner->domains, domain);
}

bool FirmDirectory::screens(const Wall& wall, const User& user) const {
  if (sorted_contains(wall.screened_user_ids, user.id)) return true;
  return std::any_of(wall.screened_groups.begin(), wall.screened_groups.end(),
                     [&](const std::string& group) { return sorted_contains(user.groups, group); });
}

const Wall* FirmDirectory::screening_wall(const User& user, const Matter& matter) const {
  std::vector<std::size_t> candidates;
  if (const auto* by_matter = find_in(walls_by_matter_, matter.number)) candidates = *by_matter;
  if (const auto* by_client = find_in(walls_by_client_, matter.client_id)) {
    candidates.insert(candidates.end(), by_client->begin(), by_client->end());
    std::sort(candidates.begin(), candidates.end());
  }
  for (const std::size_t position : candidates) {
    if (screens(tables_.walls[position], user)) return &tables_.walls[position];
  }
  return nullptr;
}

bool FirmDirectory::is_webmail(std::string_view domain) const {
  std::string lower = ascii_lower(trim(domain));
  while (!lower.empty() && lower.back() == '.') lower.pop_back();
  return any_domain_upwards(lower, [&](std::string_view d) { return webmail_.contains(d); });
}

std::optional<std::string> FirmDirectory::imitated_domain(std::string_view recipient_domain) const {
  return lookalikes_.imitated_domain(recipient_domain);
}

}  // namespace privmilter
