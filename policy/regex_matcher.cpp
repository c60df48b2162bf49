#include <re2/re2.h>

#include <algorithm>
#include <utility>

#include "masking.h"
#include "text_matcher.h"

namespace privmilter {
namespace {

re2::StringPiece piece(std::string_view text) { return {text.data(), text.size()}; }

bool is_utf8_continuation(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) == 0x80; }

class RegexMatcher final : public TextMatcher {
 public:
  RegexMatcher(std::string detector, std::unique_ptr<RE2> regex)
      : detector_(std::move(detector)), regex_(std::move(regex)) {}

  const std::string& detector() const override { return detector_; }

  void scan(std::string_view text, const MatchVisitor& visit) const override {
    const TextWindow whole{0, text.size()};
    scan_within(text, {&whole, 1}, visit);
  }

  void scan_within(std::string_view text, std::span<const TextWindow> windows,
                   const MatchVisitor& visit) const override {
    re2::StringPiece match;
    std::size_t position = 0;
    for (const TextWindow& window : windows) {
      position = std::max(position, window.begin);
      while (position <= window.end) {
        if (!regex_->Match(piece(text), position, window.end, RE2::UNANCHORED, &match, 1)) break;
        const auto end = static_cast<std::size_t>(match.data() + match.size() - text.data());
        if (match.empty()) {
          // An empty match (say of \b) is no evidence of anything; step over
          // one character and keep looking.
          position = end + 1;
          while (position < text.size() && is_utf8_continuation(text[position])) ++position;
          continue;
        }
        const std::string_view matched(match.data(), match.size());
        if (!visit(TextMatch{mask_match(matched), std::string(matched), end - match.size(), match.size()})) return;
        position = end;
      }
    }
  }

  // The pattern itself: every finding is one of its matches.
  std::vector<PrefilterExpression> prefilter_expressions() const override {
    return {{regex_->pattern(), false, true, 0}};
  }

 private:
  std::string detector_;
  std::unique_ptr<RE2> regex_;
};

}  // namespace

Result<std::unique_ptr<TextMatcher>> compile_regex_matcher(std::string detector,
                                                           const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  auto regex = std::make_unique<RE2>(pattern, options);
  if (!regex->ok()) return make_error("invalid regular expression: " + regex->error());
  if (RE2::FullMatch("", *regex)) {
    return make_error("regular expression matches the empty string, so it would match every message");
  }
  return std::unique_ptr<TextMatcher>(std::make_unique<RegexMatcher>(std::move(detector), std::move(regex)));
}

}  // namespace privmilter
