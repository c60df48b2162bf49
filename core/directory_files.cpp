// The directory's plain-text files: users.csv, clients.csv, matters.csv and
// webmail.txt (formats in docs/DIRECTORY.md). groups.yaml and walls.yaml
// are read in directory_yaml_files.cpp.

#include <algorithm>
#include <initializer_list>

#include "csv_reader.h"
#include "directory_load_state.h"
#include "directory_syntax.h"
#include "privmilter/strings.h"

namespace privmilter::directory_files {
namespace {

constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

// A trimmed piece of a field and the column where it starts.
struct Item {
  std::string text;
  std::size_t column = 0;
};

Item trimmed(const CsvField& field) {
  const std::string_view text = field.text;
  const std::string_view value = trim(text);
  if (value.empty()) return {"", field.column};
  return {std::string(value), field.column_of(static_cast<std::size_t>(value.data() - text.data()))};
}

// "a.example; b.example;" -> its non-empty items.
std::vector<Item> list_items(const CsvField& field) {
  std::vector<Item> items;
  const std::string_view text = field.text;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(';', start), text.size());
    const std::string_view piece = text.substr(start, end - start);
    const std::string_view value = trim(piece);
    if (!value.empty()) {
      items.push_back({std::string(value), field.column_of(static_cast<std::size_t>(value.data() - text.data()))});
    }
    start = end + 1;
  }
  return items;
}

std::string joined(std::initializer_list<std::string_view> names) {
  std::string text;
  for (const std::string_view name : names) {
    if (!text.empty()) text += ',';
    text += name;
  }
  return text;
}

// The records after the header, each with exactly the header's fields.
std::vector<CsvRecord> table_records(std::string_view text, const std::string& label,
                                     std::initializer_list<std::string_view> header) {
  Result<std::vector<CsvRecord>> parsed = parse_csv(text, label);
  if (!parsed) throw LoadError(parsed.error().message);
  std::vector<CsvRecord>& records = parsed.value();
  if (records.empty()) return {};
  const CsvRecord& first = records.front();
  const bool header_matches =
      first.fields.size() == header.size() &&
      std::equal(header.begin(), header.end(), first.fields.begin(),
                 [](std::string_view name, const CsvField& field) { return iequals(trim(field.text), name); });
  if (!header_matches) {
    fail_at(label, first.line, 1, "the first line must be the header '" + joined(header) + "'");
  }
  for (std::size_t i = 1; i < records.size(); ++i) {
    const CsvRecord& record = records[i];
    if (record.fields.size() == header.size()) continue;
    const std::size_t column = record.fields.size() > header.size() ? record.fields[header.size()].column : 1;
    fail_at(label, record.line, column,
            "expected " + std::to_string(header.size()) + " fields (" + joined(header) + "), found " +
                std::to_string(record.fields.size()));
  }
  records.erase(records.begin());
  return std::move(records);
}

Item required(const CsvField& field, const std::string& label, std::string_view what) {
  Item item = trimmed(field);
  if (item.text.empty()) fail_at(label, field.line, item.column, "empty " + std::string(what));
  return item;
}

void check_domain(const Item& domain, std::size_t line, const std::string& label) {
  if (auto problem = domain_problem(domain.text)) {
    fail_at(label, line, domain.column, "bad domain " + in_quotes(domain.text) + ": " + *problem);
  }
}

void check_address(const Item& address, std::size_t line, const std::string& label) {
  if (auto problem = address_problem(address.text)) {
    fail_at(label, line, address.column, "bad address " + in_quotes(address.text) + ": " + *problem);
  }
}

// A client or matter that authorizes a whole webmail domain authorizes
// everyone who has an account there.
void refuse_webmail(const Item& domain, std::size_t line, const std::string& label, const LoadState& state) {
  if (state.is_webmail(domain.text)) {
    fail_at(label, line, domain.column,
            in_quotes(domain.text) + " is a personal webmail domain: authorize the person's address instead");
  }
}

std::string normalized_reference(const Item& item, std::size_t line, const std::string& label, std::string_view what) {
  std::string normalized = normalize_matter_number(item.text);
  if (normalized.empty()) {
    fail_at(label, line, item.column,
            "bad " + std::string(what) + " " + in_quotes(item.text) +
                ": letters and digits with separators . - / _ or space, at most 64 characters");
  }
  return normalized;
}

}  // namespace

void fail_at(const std::string& file, std::size_t line, std::size_t column, const std::string& message) {
  throw LoadError(file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message);
}

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string LoadState::file_label(std::string_view file) const {
  return directory.empty() ? std::string(file) : (directory / file).string();
}

std::size_t LoadState::find_user(std::string_view id_or_address) const {
  const std::string key = ascii_lower(trim(id_or_address));
  const auto& index = key.find('@') == std::string::npos ? user_by_id : user_by_address;
  const auto found = index.find(key);
  return found == index.end() ? kNotFound : found->second;
}

bool LoadState::is_internal(std::string_view domain) const {
  return std::any_of(internal_domains.begin(), internal_domains.end(), [&](const std::string& internal) {
    return domain == internal ||
           (domain.size() > internal.size() && domain.ends_with(internal) &&
            domain[domain.size() - internal.size() - 1] == '.');
  });
}

bool LoadState::is_webmail(std::string_view domain) const {
  for (;;) {
    if (webmail.contains(domain)) return true;
    const std::size_t dot = domain.find('.');
    if (dot == std::string_view::npos) return false;
    domain.remove_prefix(dot + 1);
  }
}

std::size_t LoadState::add_group(const std::string& name) {
  auto [entry, added] = group_by_name.emplace(name, tables.groups.size());
  if (added) tables.groups.push_back({name, {}});
  return entry->second;
}

void LoadState::add_membership(std::size_t user, const std::string& group) {
  tables.groups[add_group(group)].member_ids.push_back(tables.users[user].id);
  tables.users[user].groups.push_back(group);
}

void read_webmail(std::string_view text, LoadState& state) {
  const std::string label = state.file_label("webmail.txt");
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    const std::string_view whole_line = line;
    start = end + 1;
    ++line_number;
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    const std::string_view value = trim(line);
    if (value.empty()) continue;
    const Item domain{ascii_lower(value), 1 + characters_in(whole_line.substr(0, value.data() - whole_line.data()))};
    check_domain(domain, line_number, label);
    state.webmail.insert(domain.text);
    state.tables.webmail_domains.push_back(domain.text);
  }
}

void read_users(std::string_view text, LoadState& state) {
  const std::string label = state.file_label("users.csv");
  const std::vector<CsvRecord> records = table_records(text, label, {"address", "user", "name", "groups"});
  state.user_by_address.reserve(records.size());
  state.user_by_id.reserve(records.size());
  state.tables.users.reserve(records.size());
  for (const CsvRecord& record : records) {
    Item address = required(record.fields[0], label, "address");
    address.text = ascii_lower(address.text);
    check_address(address, record.line, label);
    const std::string domain = address.text.substr(address.text.rfind('@') + 1);
    if (!state.internal_domains.empty() && !state.is_internal(domain)) {
      fail_at(label, record.line, address.column, in_quotes(address.text) + " is not in an internal domain");
    }
    Item id = required(record.fields[1], label, "user");
    id.text = ascii_lower(id.text);
    if (auto problem = user_id_problem(id.text)) {
      fail_at(label, record.line, id.column, "bad user " + in_quotes(id.text) + ": " + *problem);
    }
    const std::size_t position = state.tables.users.size();
    if (auto [seen, added] = state.user_by_address.emplace(address.text, position); !added) {
      fail_at(label, record.line, address.column,
              "duplicate address " + in_quotes(address.text) + " (first on line " +
                  std::to_string(state.user_lines[seen->second]) + ")");
    }
    if (auto [seen, added] = state.user_by_id.emplace(id.text, position); !added) {
      fail_at(label, record.line, id.column,
              "duplicate user " + in_quotes(id.text) + " (first on line " +
                  std::to_string(state.user_lines[seen->second]) + ")");
    }
    state.tables.users.push_back({address.text, id.text, trimmed(record.fields[2]).text, {}});
    state.user_lines.push_back(record.line);
    for (Item& group : list_items(record.fields[3])) {
      group.text = ascii_lower(group.text);
      if (auto problem = name_problem(group.text)) {
        fail_at(label, record.line, group.column, "bad group " + in_quotes(group.text) + ": " + *problem);
      }
      state.add_membership(position, group.text);
    }
  }
}

void read_clients(std::string_view text, LoadState& state) {
  const std::string label = state.file_label("clients.csv");
  const std::vector<CsvRecord> records = table_records(text, label, {"client", "name", "domains"});
  state.client_by_id.reserve(records.size());
  state.tables.clients.reserve(records.size());
  for (const CsvRecord& record : records) {
    const Item id = required(record.fields[0], label, "client");
    const std::string normalized = normalized_reference(id, record.line, label, "client id");
    const std::size_t position = state.tables.clients.size();
    if (auto [seen, added] = state.client_by_id.emplace(normalized, position); !added) {
      fail_at(label, record.line, id.column,
              "duplicate client " + in_quotes(normalized) + " (first on line " +
                  std::to_string(state.client_lines[seen->second]) + ")");
    }
    Client client{normalized, required(record.fields[1], label, "name").text, {}};
    for (Item& domain : list_items(record.fields[2])) {
      domain.text = ascii_lower(domain.text);
      check_domain(domain, record.line, label);
      refuse_webmail(domain, record.line, label, state);
      client.domains.push_back(domain.text);
    }
    state.tables.clients.push_back(std::move(client));
    state.client_lines.push_back(record.line);
  }
}

void read_matters(std::string_view text, LoadState& state) {
  const std::string label = state.file_label("matters.csv");
  const std::vector<CsvRecord> records = table_records(text, label, {"matter", "client", "name", "authorized"});
  state.matter_by_number.reserve(records.size());
  state.tables.matters.reserve(records.size());
  for (const CsvRecord& record : records) {
    const Item number = required(record.fields[0], label, "matter");
    const std::string normalized = normalized_reference(number, record.line, label, "matter number");
    const std::size_t position = state.tables.matters.size();
    if (auto [seen, added] = state.matter_by_number.emplace(normalized, position); !added) {
      fail_at(label, record.line, number.column,
              "duplicate matter " + in_quotes(normalized) + " (first on line " +
                  std::to_string(state.matter_lines[seen->second]) + ")");
    }
    const Item client = required(record.fields[1], label, "client");
    const std::string client_id = normalize_matter_number(client.text);
    if (!state.client_by_id.contains(client_id)) {
      fail_at(label, record.line, client.column, "unknown client " + in_quotes(client.text));
    }
    Matter matter{normalized, client_id, required(record.fields[2], label, "name").text, {}, {}};
    for (Item& recipient : list_items(record.fields[3])) {
      recipient.text = ascii_lower(recipient.text);
      if (recipient.text.find('@') != std::string::npos) {
        check_address(recipient, record.line, label);
        matter.authorized_addresses.push_back(recipient.text);
      } else {
        check_domain(recipient, record.line, label);
        refuse_webmail(recipient, record.line, label, state);
        matter.authorized_domains.push_back(recipient.text);
      }
    }
    state.tables.matters.push_back(std::move(matter));
    state.matter_lines.push_back(record.line);
  }
}

}  // namespace privmilter::directory_files
