#include "prefilter_translation.h"

#include <optional>
#include <string>
#include <utility>

#include "prefilter_pattern_builder.h"
#include "utf8.h"

namespace privmilter {
namespace {

bool is_ascii_alnum(CodePoint c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }
bool is_perl_class(char c) { return c == 'd' || c == 'D' || c == 's' || c == 'S' || c == 'w' || c == 'W'; }

// Reads an RE2 pattern item by item, as RE2's parser does, and hands each
// to the builder in the form Vectorscan reads the same way.
class PatternRewriter {
 public:
  PatternRewriter(std::string_view pattern, bool caseless, bool may_cut, Re2CharacterSets& character_sets)
      : pattern_(pattern), fold_(caseless), may_cut_(may_cut), character_sets_(character_sets) {
    scan_flags();
  }

  std::optional<VectorscanPrefilter> run() {
    while (ok_ && position_ < pattern_.size()) step();
    if (!ok_ || builder_.has_open_groups()) return std::nullopt;
    return builder_.finish(may_cut_);
  }

 private:
  // Over-approximates: "(?" followed by flag letters anywhere, even inside
  // a class, counts. Reading a flag as set where it is not only widens.
  void scan_flags() {
    for (std::size_t i = 0; i + 1 < pattern_.size(); ++i) {
      if (pattern_[i] != '(' || pattern_[i + 1] != '?') continue;
      for (std::size_t j = i + 2; j < pattern_.size(); ++j) {
        const char c = pattern_[j];
        if (c == 'i') {
          fold_ = true;
        } else if (c == 's') {
          dot_all_ = true;
        } else if (c != 'm' && c != 'U' && c != '-') {
          break;
        }
      }
    }
  }

  void step() {
    const char c = pattern_[position_];
    switch (c) {
      case '(': group_open(); return;
      case ')':
        if (!builder_.close_group()) return fail();
        ++position_;
        return;
      case '|':
        builder_.add_alternative();
        ++position_;
        return;
      case '^':
      case '$':
        // Vectorscan refuses anchors inside an expression; without them
        // an expression only matches more.
        emit_assertion("");
        ++position_;
        return;
      case '.': {
        ++position_;
        CodePointSet dot = CodePointSet::all();
        if (!dot_all_) dot = dot.without(CodePointSet::range('\n', '\n'));
        emit_set(dot);
        return;
      }
      case '[': bracket_class(); return;
      case '*':
      case '+':
      case '?':
        ++position_;
        emit_quantifier(std::string(1, c));
        return;
      case '{':
        if (!repetition()) {
          ++position_;
          emit_set(literal_bounds('{').upper);
        }
        return;
      case '\\': escape(); return;
      default: {
        const std::optional<CodePoint> literal = next_code_point();
        if (literal) emit_set(literal_bounds(*literal).upper);
      }
    }
  }

  void group_open() {
    if (position_ + 1 >= pattern_.size() || pattern_[position_ + 1] != '?') {
      builder_.open_group();
      ++position_;
      return;
    }
    const std::string_view rest = pattern_.substr(position_);
    if (rest.starts_with("(?P<") || rest.starts_with("(?<")) {
      const std::size_t end = pattern_.find('>', position_);
      if (end == std::string_view::npos) return fail();
      builder_.open_group();
      position_ = end + 1;
      return;
    }
    std::size_t end = position_ + 2;
    while (end < pattern_.size() && std::string_view("imsU-").find(pattern_[end]) != std::string_view::npos) ++end;
    if (end >= pattern_.size()) return fail();
    if (pattern_[end] == ':') {
      builder_.open_group();
    } else if (pattern_[end] != ')') {
      return fail();
    }
    // A bare flag group emits nothing: scan_flags() applied its flags to
    // the whole pattern.
    position_ = end + 1;
  }

  void escape() {
    if (position_ + 1 >= pattern_.size()) return fail();
    const char next = pattern_[position_ + 1];
    switch (next) {
      case 'b':
      case 'B':
        // ASCII word characters in both libraries (no HS_FLAG_UCP).
        emit_assertion(pattern_.substr(position_, 2));
        position_ += 2;
        return;
      case 'A':
      case 'z':
        emit_assertion("");  // like ^ and $
        position_ += 2;
        return;
      case 'C': return fail();  // a single byte, even inside a character
      case 'Q': quoted_literals(); return;
      case 'p':
      case 'P': {
        const std::optional<std::string_view> group = unicode_group();
        if (group) emit_set(group_bounds(*group).upper);
        return;
      }
      default:
        if (is_perl_class(next)) {
          const std::string_view group = pattern_.substr(position_, 2);
          position_ += 2;
          emit_set(group_bounds(group).upper);
          return;
        }
        const std::optional<CodePoint> literal = escaped_character();
        if (literal) emit_set(literal_bounds(*literal).upper);
    }
  }

  void quoted_literals() {
    position_ += 2;  // "\Q"
    while (ok_ && position_ < pattern_.size()) {
      if (pattern_.substr(position_).starts_with("\\E")) {
        position_ += 2;
        return;
      }
      const std::optional<CodePoint> literal = next_code_point();
      if (literal) emit_set(literal_bounds(*literal).upper);
    }
  }

  // "\pL", "\p{Greek}", "\P{^Greek}": the whole item, as RE2 reads it.
  std::optional<std::string_view> unicode_group() {
    const std::size_t start = position_;
    position_ += 2;  // "\p"
    if (position_ < pattern_.size() && pattern_[position_] == '{') {
      const std::size_t close = pattern_.find('}', position_);
      if (close == std::string_view::npos) {
        fail();
        return std::nullopt;
      }
      position_ = close + 1;
    } else if (!next_code_point()) {
      return std::nullopt;
    }
    return pattern_.substr(start, position_ - start);
  }

  void bracket_class() {
    ++position_;  // '['
    bool negated = false;
    if (position_ < pattern_.size() && pattern_[position_] == '^') {
      negated = true;
      ++position_;
    }
    CodePointSet lower;
    CodePointSet upper;
    const auto include = [&](const CharacterBounds& item) {
      lower.add(item.lower);
      upper.add(item.upper);
    };
    bool first = true;  // ']' first in the class is a literal
    while (ok_ && position_ < pattern_.size() && (pattern_[position_] != ']' || first)) {
      first = false;
      const std::string_view rest = pattern_.substr(position_);
      if (rest.starts_with("[:")) {
        const std::size_t close = rest.find(":]", 2);
        if (close != std::string_view::npos) {
          include(group_bounds(rest.substr(0, close + 2)));
          position_ += close + 2;
          continue;
        }
      }
      if (rest.size() >= 2 && rest[0] == '\\' && (rest[1] == 'p' || rest[1] == 'P')) {
        const std::optional<std::string_view> group = unicode_group();
        if (group) include(group_bounds(*group));
        continue;
      }
      if (rest.size() >= 2 && rest[0] == '\\' && is_perl_class(rest[1])) {
        include(group_bounds(rest.substr(0, 2)));
        position_ += 2;
        continue;
      }
      const std::optional<CodePoint> lo = class_character();
      if (!lo) return;
      CodePoint hi = *lo;
      // "[a-]" is 'a' or '-'.
      if (position_ + 1 < pattern_.size() && pattern_[position_] == '-' && pattern_[position_ + 1] != ']') {
        ++position_;
        const std::optional<CodePoint> end = class_character();
        if (!end) return;
        if (*end < *lo) return fail();
        hi = *end;
      }
      include(range_bounds(*lo, hi));
    }
    if (!ok_) return;
    if (position_ >= pattern_.size()) return fail();
    ++position_;  // ']'
    // A negated class excludes only what RE2 surely excludes.
    emit_set(negated ? lower.complement() : upper);
  }

  // RE2's parse of "{2}", "{2,}", "{2,5}"; anything else is a literal '{'.
  bool repetition() {
    std::size_t at = position_ + 1;
    const auto number = [&]() -> std::optional<int> {
      if (at >= pattern_.size() || pattern_[at] < '0' || pattern_[at] > '9') return std::nullopt;
      if (pattern_[at] == '0' && at + 1 < pattern_.size() && pattern_[at + 1] >= '0' && pattern_[at + 1] <= '9') {
        return std::nullopt;  // RE2 refuses leading zeros
      }
      int value = 0;
      while (at < pattern_.size() && pattern_[at] >= '0' && pattern_[at] <= '9') {
        if (value >= 100000000) return std::nullopt;
        value = value * 10 + (pattern_[at++] - '0');
      }
      return value;
    };
    const std::optional<int> lo = number();
    if (!lo || at >= pattern_.size()) return false;
    std::optional<int> hi = lo;  // nothing: unbounded
    if (pattern_[at] == ',') {
      ++at;
      if (at >= pattern_.size()) return false;
      if (pattern_[at] == '}') {
        hi.reset();
      } else if (!(hi = number())) {
        return false;
      }
    }
    if (at >= pattern_.size() || pattern_[at] != '}') return false;
    position_ = at + 1;
    if (hi == 0) {
      emit_quantifier("?");  // x{0} matches nothing; Vectorscan refuses it, x? is wider
    } else if (hi == lo) {
      emit_quantifier('{' + std::to_string(*lo) + '}');
    } else {
      emit_quantifier('{' + std::to_string(*lo) + ',' + (hi ? std::to_string(*hi) : "") + '}');
    }
    return true;
  }

  void skip_lazy_marker() {
    if (position_ < pattern_.size() && pattern_[position_] == '?') ++position_;
  }

  std::optional<CodePoint> class_character() {
    if (position_ < pattern_.size() && pattern_[position_] == '\\') return escaped_character();
    return next_code_point();
  }

  // RE2's ParseEscape: octal, hexadecimal, C escapes, escaped punctuation.
  std::optional<CodePoint> escaped_character() {
    ++position_;  // backslash
    const std::optional<CodePoint> c = next_code_point();
    if (!c) return std::nullopt;
    if (*c < kFirstNonAscii && !is_ascii_alnum(*c)) return *c;
    switch (*c) {
      case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        if (position_ >= pattern_.size() || !is_octal(pattern_[position_])) break;
        [[fallthrough]];
      case '0': {
        CodePoint code = *c - '0';
        for (int digits = 0; digits < 2 && position_ < pattern_.size() && is_octal(pattern_[position_]); ++digits) {
          code = code * 8 + static_cast<CodePoint>(pattern_[position_++] - '0');
        }
        return code;
      }
      case 'x': return hexadecimal_escape();
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'a': return '\a';
      case 'f': return '\f';
      case 'v': return '\v';
      default: break;
    }
    fail();
    return std::nullopt;
  }

  std::optional<CodePoint> hexadecimal_escape() {
    CodePoint code = 0;
    if (position_ < pattern_.size() && pattern_[position_] == '{') {
      const std::size_t close = pattern_.find('}', position_);
      if (close == std::string_view::npos || close == position_ + 1) {
        fail();
        return std::nullopt;
      }
      for (std::size_t i = position_ + 1; i < close; ++i) {
        if (!is_hex(pattern_[i]) || code > kMaxCodePoint) {
          fail();
          return std::nullopt;
        }
        code = code * 16 + static_cast<CodePoint>(hex_value(pattern_[i]));
      }
      position_ = close + 1;
    } else {
      if (position_ + 2 > pattern_.size() || !is_hex(pattern_[position_]) || !is_hex(pattern_[position_ + 1])) {
        fail();
        return std::nullopt;
      }
      code = static_cast<CodePoint>(hex_value(pattern_[position_]) * 16 + hex_value(pattern_[position_ + 1]));
      position_ += 2;
    }
    if (code > kMaxCodePoint) {
      fail();
      return std::nullopt;
    }
    return code;
  }

  std::optional<CodePoint> next_code_point() {
    const std::optional<CodePoint> c = decode_utf8(pattern_, position_);
    if (!c) fail();
    return c;
  }

  CharacterBounds literal_bounds(CodePoint c) { return character_sets_.range(c, c, fold_); }
  CharacterBounds range_bounds(CodePoint lo, CodePoint hi) { return character_sets_.range(lo, hi, fold_); }

  CharacterBounds group_bounds(std::string_view item) {
    std::optional<CharacterBounds> bounds = character_sets_.group(item, fold_);
    if (!bounds) fail();
    return bounds ? std::move(*bounds) : CharacterBounds{};
  }

  void emit_set(const CodePointSet& set) {
    if (ok_ && !builder_.add_set(set)) fail();
  }

  void emit_assertion(std::string_view assertion) { builder_.add_assertion(assertion); }

  void emit_quantifier(const std::string& quantifier) {
    skip_lazy_marker();  // Vectorscan reports every match, greedy or not
    builder_.add_quantifier(quantifier);
  }

  void fail() { ok_ = false; }

  std::string_view pattern_;
  std::size_t position_ = 0;
  bool fold_;
  bool may_cut_;
  bool dot_all_ = false;
  bool ok_ = true;
  Re2CharacterSets& character_sets_;
  PrefilterPatternBuilder builder_;
};

}  // namespace

std::optional<VectorscanPrefilter> PrefilterTranslator::translate(const PrefilterExpression& expression) {
  const bool may_cut = !(expression.characters_outside_whitespace && keep_phrases_whole_);
  return PatternRewriter(expression.pattern, expression.caseless, may_cut, character_sets_).run();
}

}  // namespace privmilter
