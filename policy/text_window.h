#pragma once
// A span of a segment's text, in bytes: [begin, end).

#include <cstddef>

namespace privmilter {

struct TextWindow {
  std::size_t begin = 0;
  std::size_t end = 0;
};

}  // namespace privmilter
