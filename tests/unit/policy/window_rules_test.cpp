// The pieces the scan windows are made of: digit groups, the whitespace of
// phrases as RE2 reads it, and the window of one prefilter match.

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "policy/digit_groups.h"
#include "policy/match_windows.h"
#include "policy/phrase_whitespace.h"
#include "policy/prefilter_translation.h"
#include "policy/utf8.h"

namespace privmilter {
namespace {

struct Group {
  std::size_t begin, end, digits, first_run;
  bool after_two_capitals;
  bool operator==(const Group&) const = default;
};

std::vector<Group> groups_of(std::string_view text, std::size_t fewest_digits) {
  std::vector<DigitGroup> found;
  find_digit_groups(text, fewest_digits, found);
  std::vector<Group> out;
  for (const DigitGroup& g : found) out.push_back({g.begin, g.end, g.digits, g.first_run, g.after_two_capitals});
  return out;
}

// The same, a byte at a time.
std::vector<Group> groups_one_byte_at_a_time(std::string_view text, std::size_t fewest_digits) {
  const auto digit = [&](std::size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  const auto capital = [&](std::size_t i) { return text[i] >= 'A' && text[i] <= 'Z'; };
  std::vector<Group> out;
  for (std::size_t i = 0; i < text.size();) {
    if (!digit(i)) {
      ++i;
      continue;
    }
    Group group{i, i, 0, 0, i >= 2 && capital(i - 1) && capital(i - 2)};
    std::size_t run = 0;
    while (true) {
      while (digit(i)) ++i, ++run, ++group.digits;
      if (group.first_run == 0) group.first_run = run;
      run = 0;
      group.end = i;
      if (i + 1 < text.size() && (text[i] == ' ' || text[i] == '-') && digit(i + 1)) {
        ++i;
        continue;
      }
      break;
    }
    if (group.digits >= fewest_digits || (group.after_two_capitals && group.first_run >= 2)) out.push_back(group);
  }
  return out;
}

TEST(DigitGroups, FindsTheGroupsThatCouldHoldAnIdentifier) {
  const std::string text = "call 555-0142 or pay 4111 1111 1111 1111 to DE89 3704 0044, ref 021000021; 12 34";
  const std::vector<Group> groups = groups_of(text, 9);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(text.substr(groups[0].begin, groups[0].end - groups[0].begin), "4111 1111 1111 1111");
  EXPECT_EQ(groups[0].digits, 16u);
  EXPECT_EQ(text.substr(groups[1].begin, groups[1].end - groups[1].begin), "89 3704 0044");
  EXPECT_TRUE(groups[1].after_two_capitals);
  EXPECT_EQ(groups[1].first_run, 2u);
  EXPECT_EQ(groups[2].first_run, 9u);
  EXPECT_EQ(groups_of(text, 2).size(), 5u);
}

TEST(DigitGroups, AgreeWithAByteByByteReadingWhateverTheBytes) {
  // Bytes next to the digits and beyond ASCII ('/' is '0' - 1, ':' is '9' + 1;
  // 0xB0-0xB9 are the digits plus 0x80), and long runs and groups that
  // cross from one 64-byte block into the next.
  std::mt19937 random(7);
  const std::string alphabet = std::string("/0:95 -AZa@[") + "\xB0\xB9\xFF\x80";
  for (int round = 0; round < 1000; ++round) {
    std::string text;
    const int length = std::uniform_int_distribution<int>(0, 300)(random);
    while (text.size() < static_cast<std::size_t>(length)) {
      if (std::uniform_int_distribution<int>(0, 20)(random) == 0) {
        text += std::string(std::uniform_int_distribution<std::size_t>(1, 150)(random), '7');
      } else {
        text += alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(random)];
      }
    }
    for (const std::size_t fewest : {1, 4, 9, 13, 65, 66, 100, 1000}) {
      ASSERT_EQ(groups_of(text, fewest), groups_one_byte_at_a_time(text, fewest)) << fewest << ": " << text;
    }
  }
}

TEST(PhraseWhitespace, IsWhatRe2CallsWhitespace) {
  const RE2 whitespace{std::string(kPhraseWhitespace)};
  const std::vector<char32_t> samples = {' ', '\t', '\n', '\r', '\f', '\v', 'a', '0', '_', 0x85, 0xA0, 0x1680,
                                         0x180E, 0x2000, 0x200A, 0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
                                         0xFEFF, 0xE9, 0x4E2D};
  for (const char32_t c : samples) {
    std::string encoded;
    append_utf8(encoded, c);
    EXPECT_EQ(is_phrase_whitespace(c), RE2::FullMatch(encoded, whitespace)) << std::hex << static_cast<unsigned>(c);
  }
  EXPECT_TRUE(is_phrase_whitespace(0x3000));
  EXPECT_FALSE(is_phrase_whitespace('\v'));  // not in RE2's \s
}

WindowRule rule(WindowRule::Reach reach, std::size_t size, std::size_t margin) {
  WindowRule made;
  made.reach = reach;
  made.max_bytes = size;
  made.characters_before = size;
  made.margin = margin;
  return made;
}

// A phrase cut down to one of its words: `before` and `after` characters
// of other words around the `reported` characters of that word.
WindowRule cut_phrase(std::size_t reported, std::size_t before, std::size_t after) {
  WindowRule made;
  made.reach = WindowRule::Reach::elastic;
  made.reported_characters = reported;
  made.characters_before = before;
  made.characters_after = after;
  made.margin = 1;
  return made;
}

std::string window_text(std::string_view text, std::size_t end, const WindowRule& made) {
  const std::optional<TextWindow> window = window_of_match(text, end, made);
  if (!window) return "(segment)";
  return std::string(text.substr(window->begin, window->end - window->begin));
}

TEST(WindowRules, BoundedWindowsReachBackTheWidthAndTheMargin) {
  const std::string text = "ab 10042-0007 cd";
  EXPECT_EQ(window_text(text, 13, rule(WindowRule::Reach::bounded, 10, 0)), "10042-0007");
  EXPECT_EQ(window_text(text, 13, rule(WindowRule::Reach::bounded, 10, 1)), " 10042-0007 ");
  EXPECT_EQ(window_text(text, 13, rule(WindowRule::Reach::bounded, 100, 0)), "ab 10042-0007");
  // Never inside a character: "é" is two bytes.
  EXPECT_EQ(window_text("éé12", 5, rule(WindowRule::Reach::bounded, 2, 0)), "é1");
  EXPECT_EQ(window_text("x12é", 3, rule(WindowRule::Reach::bounded, 2, 1)), "x12é");
  EXPECT_EQ(window_text(text, 13, rule(WindowRule::Reach::segment, 0, 0)), "(segment)");
}

TEST(WindowRules, ElasticWindowsWalkOverWhitespaceForFree) {
  const std::string text = "re: privileged \r\n\u00a0 and   confidential!";
  // 25 characters outside whitespace, and a boundary character on each
  // side; the walk stops only at a character it cannot afford, so it takes
  // the whitespace before the phrase too.
  EXPECT_EQ(window_text(text, text.size() - 1, rule(WindowRule::Reach::elastic, 25, 1)),
            ": privileged \r\n\u00a0 and   confidential!");
  EXPECT_EQ(window_text(text, text.size() - 1, rule(WindowRule::Reach::elastic, 25, 0)),
            " privileged \r\n\u00a0 and   confidential");
  const std::string long_gap = "privileged" + std::string(kMaxWhitespaceWalk + 1, ' ') + "and";
  EXPECT_EQ(window_text(long_gap, long_gap.size(), rule(WindowRule::Reach::elastic, 13, 1)), "(segment)");
}

TEST(WindowRules, CutPhrasesWalkBothWays) {
  // "privileged and confidential" reported as "confidential" (12), with
  // "privileged" and "and" (13) before it and nothing after.
  const std::string text = "x: privileged \t and\n\n confidential; y";
  const std::size_t end = text.find(';');
  EXPECT_EQ(window_text(text, end, cut_phrase(12, 13, 0)), ": privileged \t and\n\n confidential;");
  // "attorney-client privilege" reported as "attorney-client" (15), with
  // "privilege" (9) after it.
  const std::string other = "re attorney-client\u00a0  privilege. more";
  // The walks take whitespace for free: up to the first word character
  // beyond the budget on either side.
  EXPECT_EQ(window_text(other, other.find("client") + 6, cut_phrase(15, 0, 9)), "e attorney-client\u00a0  privilege. ");
  const std::string long_gap = "privileged and" + std::string(kMaxWhitespaceWalk + 1, '\n') + "confidential";
  EXPECT_EQ(window_text(long_gap, 10, cut_phrase(10, 0, 16)), "(segment)");
}

// Holds `inner`, or stands for the whole segment.
bool holds(const std::optional<TextWindow>& outer, const std::optional<TextWindow>& inner) {
  if (!outer) return true;
  return inner && outer->begin <= inner->begin && inner->end <= outer->end;
}

TEST(WindowRules, ACoveringRuleHoldsBothRulesWindows) {
  std::mt19937 random(11);
  const auto number = [&](std::size_t most) { return std::uniform_int_distribution<std::size_t>(0, most)(random); };
  const std::vector<std::string> pieces = {"privileged", "x", "é", "中", " ", "\n\n", "\u00a0", "\u3000 ", ",", "_"};
  const auto random_rule = [&](WindowRule::Reach reach) {
    WindowRule made;
    made.reach = reach;
    made.max_bytes = number(30);
    made.reported_characters = number(1) == 0 ? 0 : number(12);
    made.characters_before = number(20);
    made.characters_after = number(1) == 0 ? 0 : number(20);
    made.margin = number(1);
    return made;
  };
  for (int round = 0; round < 300; ++round) {
    std::string text;
    while (text.size() < 80) text += pieces[number(pieces.size() - 1)];
    const WindowRule first = random_rule(round % 3 == 0 ? WindowRule::Reach::bounded : WindowRule::Reach::elastic);
    const WindowRule second = random_rule(round % 5 == 0 ? WindowRule::Reach::bounded : WindowRule::Reach::elastic);
    const WindowRule both = covering_both(first, second);
    EXPECT_EQ(covering_both(first, random_rule(WindowRule::Reach::segment)).reach, WindowRule::Reach::segment);
    for (std::size_t end = 0; end <= text.size(); ++end) {
      if (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) continue;
      const std::optional<TextWindow> covering = window_of_match(text, end, both);
      ASSERT_TRUE(holds(covering, window_of_match(text, end, first))) << round << " at " << end;
      ASSERT_TRUE(holds(covering, window_of_match(text, end, second))) << round << " at " << end;
    }
  }
}

std::optional<std::size_t> outside_whitespace(const std::string& pattern) {
  PrefilterTranslator translator;
  const std::optional<VectorscanPrefilter> translated = translator.translate({pattern, false});
  EXPECT_TRUE(translated) << pattern;
  return translated ? translated->characters_outside_whitespace : std::nullopt;
}

TEST(WindowRules, RegexesKnowHowManyCharactersTheyHoldBesidesWhitespace) {
  EXPECT_EQ(outside_whitespace(R"((?i)\bmatter\s+no\.?\s*\d{3,6}\b)"), 6u + 2 + 1 + 6);
  EXPECT_EQ(outside_whitespace(R"(\b\d{5}[-./]\d{4}\b)"), 10u);
  EXPECT_EQ(outside_whitespace(R"(a[ \t]+b\s*c{0}d)"), 4u);
  EXPECT_EQ(outside_whitespace(R"(matter\s+\d+)"), std::nullopt);      // digits without bound
  EXPECT_EQ(outside_whitespace(R"(a\p{Zs}+b)"), std::nullopt);          // whitespace beyond ASCII: tables differ
  EXPECT_EQ(outside_whitespace(R"(a(?:bc)+d)"), std::nullopt);           // a group
  EXPECT_EQ(outside_whitespace(R"(ab|cd)"), std::nullopt);               // alternatives
}

TEST(WindowRules, ListsMergeOverlapsInAnyOrder) {
  WindowList list;
  list.add({10, 20});
  list.add({15, 30});
  list.add({40, 50});
  list.add({5, 12});
  list.add({50, 55});
  const std::vector<TextWindow>& merged = list.merged();
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].begin, 5u);
  EXPECT_EQ(merged[0].end, 30u);
  EXPECT_EQ(merged[1].begin, 40u);
  EXPECT_EQ(merged[1].end, 55u);
}

}  // namespace
}  // namespace privmilter
