#pragma once
// Reducing HTML to the text a reader would see.

#include <string>
#include <string_view>

namespace privmilter::content {

// Parses `html` (already UTF-8) leniently with libxml2 and returns its
// visible text: script, style, head and template content dropped, entities
// decoded, alt and title attribute text kept, whitespace collapsed, block
// boundaries turned into line breaks. Invisible formatting characters
// (zero-width spaces, soft hyphens) are dropped so they cannot split words.
std::string html_to_text(std::string_view html);

}  // namespace privmilter::content
