// groups.yaml and walls.yaml (formats in docs/DIRECTORY.md). Positions come
// from yaml-cpp's marks, which count from 0.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>

#include "directory_load_state.h"
#include "directory_syntax.h"
#include "privmilter/strings.h"

namespace privmilter::directory_files {
namespace {

constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

class YamlFile {
 public:
  YamlFile(std::string label, const YAML::Node& root) : label_(std::move(label)), root_(root) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    YAML::Mark mark = node.Mark();
    if (mark.is_null()) mark = root_.Mark();
    const auto line = static_cast<std::size_t>(std::max(mark.line, 0) + 1);
    const auto column = static_cast<std::size_t>(std::max(mark.column, 0) + 1);
    fail_at(label_, line, column, message);
  }

  // The mapping's entries; keys outside `allowed` are refused.
  std::vector<std::pair<YAML::Node, YAML::Node>> entries(const YAML::Node& node, std::string_view what,
                                                         std::initializer_list<std::string_view> allowed) const {
    if (!node.IsMap()) fail(node, std::string(what) + " must be a mapping");
    std::vector<std::pair<YAML::Node, YAML::Node>> result;
    for (const auto& entry : node) {
      const std::string key = scalar(entry.first, "a key");
      if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        fail(entry.first, "unknown key " + in_quotes(key) + " in " + std::string(what));
      }
      result.emplace_back(entry.first, entry.second);
    }
    return result;
  }

  std::string scalar(const YAML::Node& node, std::string_view what) const {
    if (!node.IsScalar()) fail(node, std::string(what) + " must be a single value");
    return node.as<std::string>();
  }

  // A list of single values; an absent or empty value is an empty list.
  std::vector<YAML::Node> scalars(const YAML::Node& node, std::string_view what) const {
    if (!node || node.IsNull()) return {};
    if (!node.IsSequence()) fail(node, std::string(what) + " must be a list");
    std::vector<YAML::Node> items;
    for (const auto& item : node) {
      scalar(item, std::string("each of ") + std::string(what));
      items.push_back(item);
    }
    return items;
  }

  std::string name(const YAML::Node& node, std::string_view what) const {
    const std::string text = ascii_lower(trim(scalar(node, what)));
    if (auto problem = name_problem(text)) fail(node, "bad " + std::string(what) + " " + in_quotes(text) + ": " + *problem);
    return text;
  }

 private:
  std::string label_;
  YAML::Node root_;
};

// The document's one top-level list or mapping, under `key`; none when the
// file is empty.
YAML::Node top_level(const YamlFile& file, const YAML::Node& root, const char* key) {
  if (!root || root.IsNull()) return {};
  const auto entries = file.entries(root, "the file", {key});
  return entries.empty() ? YAML::Node() : entries.front().second;
}

YAML::Node parse(std::string_view text, const std::string& label) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    fail_at(label, static_cast<std::size_t>(std::max(error.mark.line, 0) + 1),
            static_cast<std::size_t>(std::max(error.mark.column, 0) + 1), error.msg);
  }
}

std::size_t user_named(const YamlFile& file, const YAML::Node& node, const LoadState& state) {
  const std::string reference = file.scalar(node, "a user");
  const std::size_t user = state.find_user(reference);
  if (user == kNotFound) file.fail(node, "unknown user " + in_quotes(trim(reference)));
  return user;
}

void read_wall(const YamlFile& file, const YAML::Node& node, LoadState& state,
               std::unordered_map<std::string, std::size_t>& wall_lines) {
  Wall wall;
  YAML::Node screened;
  bool has_id = false;
  bool has_screened = false;
  std::vector<YAML::Node> matters;
  std::vector<YAML::Node> clients;
  for (const auto& [key, value] : file.entries(node, "a wall", {"id", "description", "screened", "matters", "clients"})) {
    const std::string name = key.as<std::string>();
    if (name == "id") {
      wall.id = file.name(value, "wall id");
      has_id = true;
      const auto line = static_cast<std::size_t>(value.Mark().line + 1);
      if (auto [seen, added] = wall_lines.emplace(wall.id, line); !added) {
        file.fail(value, "duplicate wall " + in_quotes(wall.id) + " (first on line " + std::to_string(seen->second) + ")");
      }
    } else if (name == "description") {
      wall.description = value.IsNull() ? "" : file.scalar(value, "description");
    } else if (name == "screened") {
      screened = value;
      has_screened = true;
    } else if (name == "matters") {
      matters = file.scalars(value, "matters");
    } else {
      clients = file.scalars(value, "clients");
    }
  }
  if (!has_id) file.fail(node, "a wall needs an id");
  if (!has_screened) file.fail(node, "wall " + in_quotes(wall.id) + " needs 'screened' (users and/or groups)");
  for (const auto& [key, value] : file.entries(screened, "screened", {"users", "groups"})) {
    if (key.as<std::string>() == "users") {
      for (const YAML::Node& item : file.scalars(value, "users")) {
        wall.screened_user_ids.push_back(state.tables.users[user_named(file, item, state)].id);
      }
    } else {
      for (const YAML::Node& item : file.scalars(value, "groups")) {
        const std::string group = file.name(item, "group");
        if (!state.group_by_name.contains(group)) file.fail(item, "unknown group " + in_quotes(group));
        wall.screened_groups.push_back(group);
      }
    }
  }
  if (wall.screened_user_ids.empty() && wall.screened_groups.empty()) {
    file.fail(screened, "wall " + in_quotes(wall.id) + " screens no user or group");
  }
  for (const YAML::Node& item : matters) {
    const std::string number = normalize_matter_number(file.scalar(item, "a matter"));
    if (!state.matter_by_number.contains(number)) file.fail(item, "unknown matter " + in_quotes(item.as<std::string>()));
    wall.matters.push_back(number);
  }
  for (const YAML::Node& item : clients) {
    const std::string id = normalize_matter_number(file.scalar(item, "a client"));
    if (!state.client_by_id.contains(id)) file.fail(item, "unknown client " + in_quotes(item.as<std::string>()));
    wall.clients.push_back(id);
  }
  if (wall.matters.empty() && wall.clients.empty()) {
    file.fail(node, "wall " + in_quotes(wall.id) + " names no matter or client");
  }
  state.tables.walls.push_back(std::move(wall));
}

}  // namespace

void read_groups(std::string_view text, LoadState& state) {
  const std::string label = state.file_label("groups.yaml");
  const YAML::Node root = parse(text, label);
  const YamlFile file(label, root);
  const YAML::Node groups = top_level(file, root, "groups");
  if (!groups || groups.IsNull()) return;
  std::unordered_map<std::string, std::size_t> group_lines;
  for (const auto& [key, members] : file.entries(groups, "groups", {})) {
    const std::string group = file.name(key, "group");
    const auto line = static_cast<std::size_t>(key.Mark().line + 1);
    if (auto [seen, added] = group_lines.emplace(group, line); !added) {
      file.fail(key, "duplicate group " + in_quotes(group) + " (first on line " + std::to_string(seen->second) + ")");
    }
    state.add_group(group);
    for (const YAML::Node& member : file.scalars(members, "members of " + in_quotes(group))) {
      const std::size_t user = state.find_user(member.as<std::string>());
      if (user == kNotFound) {
        file.fail(member, "unknown user " + in_quotes(trim(member.as<std::string>())) + " in group " + in_quotes(group));
      }
      state.add_membership(user, group);
    }
  }
}

void read_walls(std::string_view text, LoadState& state) {
  const std::string label = state.file_label("walls.yaml");
  const YAML::Node root = parse(text, label);
  const YamlFile file(label, root);
  const YAML::Node walls = top_level(file, root, "walls");
  if (!walls || walls.IsNull()) return;
  if (!walls.IsSequence()) file.fail(walls, "walls must be a list");
  std::unordered_map<std::string, std::size_t> wall_lines;
  for (const auto& wall : walls) read_wall(file, wall, state, wall_lines);
}

}  // namespace privmilter::directory_files
