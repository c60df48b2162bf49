#pragma once
// Lets unordered containers keyed by std::string be searched with a
// std::string_view without building a temporary string.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace privmilter {

struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  std::size_t operator()(const std::string& text) const { return std::hash<std::string_view>{}(text); }
};

}  // namespace privmilter
