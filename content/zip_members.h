#pragma once
// Reads chosen members of a ZIP container held in memory (Office Open XML and
// OpenDocument files are ZIPs), with every unpacked byte bounded and charged
// to the message's budget: a document can be a zip bomb too.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "extraction.h"

namespace privmilter::content {

struct ZipMembers {
  bool opened = false;                        // false: not a readable ZIP
  std::vector<std::string> names;             // every member name, in archive order
  std::map<std::string, std::string> wanted;  // name -> unpacked bytes, for members read completely
  std::vector<std::string> encrypted;         // wanted members that are encrypted (not read)
  // The first limit hit or problem met, as an uninspectable reason ("limit:...",
  // "malformed"); empty when every wanted member was read.
  std::string problem;

  const std::string* find(const std::string& name) const {
    const auto it = wanted.find(name);
    return it == wanted.end() ? nullptr : &it->second;
  }
};

// Lists `zip` and reads the members for which `wants(name)` is true. Each
// member is limited to max_part_bytes, and the members read together to
// max_expansion_ratio times the container's size (the container is all the
// packed input there is); reading stops at max_archive_entries, the time
// budget or max_total_bytes.
ZipMembers read_zip_members(std::string_view zip, const std::function<bool(std::string_view)>& wants,
                            Extraction& extraction);

}  // namespace privmilter::content
