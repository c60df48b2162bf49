// DetectorSet: one Vectorscan pass per segment picks the detectors that
// run; the findings must be exactly those of every detector's own scan.

#include "policy/detector_set.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "detector_set_testing.h"

namespace privmilter {
namespace {

// Reports `finds` wherever it occurs, but claims that its findings contain
// `claimed`: a wrong prefilter, which shows whether a segment was
// prefiltered (finding missed) or scanned by every detector (found).
class MisleadingMatcher final : public TextMatcher {
 public:
  MisleadingMatcher(std::string finds, std::string claimed)
      : name_("test:misleading"), finds_(std::move(finds)), claimed_(std::move(claimed)) {}
  const std::string& detector() const override { return name_; }
  void scan(std::string_view text, const MatchVisitor& visit) const override {
    for (std::size_t at = text.find(finds_); at != std::string_view::npos; at = text.find(finds_, at + 1)) {
      if (!visit(TextMatch{finds_, finds_, at, finds_.size()})) return;
    }
  }
  std::vector<PrefilterExpression> prefilter_expressions() const override { return {{claimed_, false}}; }

 private:
  std::string name_;
  std::string finds_;
  std::string claimed_;
};

// A matcher without prefilter expressions, like one written before them.
class PlainMatcher final : public TextMatcher {
 public:
  const std::string& detector() const override { return name_; }
  void scan(std::string_view text, const MatchVisitor& visit) const override {
    const std::size_t at = text.find("needle");
    if (at != std::string_view::npos) visit(TextMatch{"needle", "needle", at, 6});
  }

 private:
  std::string name_ = "test:plain";
};

TEST(DetectorSet, PhrasesAreFoundAsTheirOwnScanFindsThem) {
  const auto set = compile_set({
      phrases("markings", {"privileged and confidential", "attorney work product", "privileged"}),
      phrases("foreign", {"privilégié et confidentiel", "STRENG VERTRAULICH", "école", "ანგარიში"}),
      phrases("folding", {"work", "class action", "straße"}),
      phrases("punctuation", {"c.o.d. (draft)", "privileged:", "a+b"}),
  });
  ASSERT_NE(set, nullptr);
  const std::size_t found = expect_same_as_own_scans(
      *set, {"PRIVILEGED AND CONFIDENTIAL\r\nDear Bob,",
             "This e-mail is privileged and\r\n  confidential; attorney\twork   product.",
             "privileged\u00a0and\u2003confidential, and again Privileged",
             "PRIVILÉGIÉ ET CONFIDENTIEL – Streng vertraulich – l'école, préécole",
             "\u1C90\u1C9C\u1C92\u1C90\u1CA0\u1C98\u1CA8\u1C98 (Georgian capitals)",
             "WOR\u212A on the CLA\u017F\u017F ACTION in der STRASSE und Straße und STRAẞE",
             "see c.o.d. (draft) attached, PRIVILEGED:yes, a+b",
             "unprivileged network productivity",
             ""}).detectors_with_findings;
  EXPECT_EQ(found, 4u);
}

TEST(DetectorSet, RegexesFindWhatRe2FindsWhereVectorscanReadsThemDifferently) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"(\pL{3,}\d)", "\u08B3\u08B3\u08B37"},            // letters newer than Vectorscan's tables
      {R"(\p{Ll}{4})", "ანგარიში"},                         // Lo in old tables, Ll in RE2's
      {R"(\P{L}\p{L})", "1\u08B3"},
      {R"(\p{So})", "\U0001F97A"},                          // emoji newer than Vectorscan's tables
      {R"((?i)\p{Lu}{2}X)", "abx"},                         // (?i) folds \p{Lu} in RE2
      {R"(\S{3}@)", "\v\v\v@"},                             // RE2's \s has no vertical tab
      {R"([^\s]{2}@x)", "\v\v@x"},
      {R"([[:space:]]X)", "\vX"},
      {R"((?i)ანგარიში)", "\u1C90\u1C9C\u1C92\u1C90\u1CA0\u1C98\u1CA8\u1C98"},
      {R"((?i)\x{212A}elvin)", "KELVIN"},
      {R"((?i)cla[s]{2})", "CLA\u017F\u017F"},
      {R"((?i)[^a-z]{2}k)", "12\u212A"},
      {R"((?i)[^\W]+)", "\u212A"},
      {R"((?i)ß)", "STRAẞE"},
      {R"((?i)\p{Greek}+)", "ΣΊΣΥΦΟΣ"},
      {R"([à-ÿ]+z)", "éz"},
      {R"((?i)[à-ÿ]+z)", "ÉZ"},
      {R"(\x{1F97A})", "\U0001F97A"},
      {R"(.{3}X)", "éééX"},
      {R"(\bword\b)", "éwordé"},
      {R"(\Bor\B)", "word"},
      {R"(\b\d{3}-\d{2}-\d{4}\b)", "SSN 536-22-1234"},
      {R"(x{1,1000}y)", std::string(900, 'x') + "y"},
      {R"((?i)matter no\. \d+)", "MATTER NO. 2231"},
      {R"((?U)a+b)", "aab"},
      {R"((?P<name>abc)d)", "abcd"},
      {R"(a{0}bc)", "bc"},
      {R"(\Qa.b*\E)", "xa.b*"},
      {R"([[:^alpha:]]x)", "éx"},
      {R"((?s)BEGIN.END)", "BEGIN\nEND"},
      {R"((?m)^Subject: secret$)", "x\nSubject: secret\ny"},
      {R"([\d-z]{3})", "1-z"},
      {R"(\101BC)", "ABC"},
      {R"(a\x2Ab\x{2A}c)", "a*b*c"},
      {R"([]a]{2}[^]b]c)", "]axc"},
      {R"(\d{2,}|{x})", "{x}"},
      {R"(\d{01})", "5{01}"},
      {R"(a(?i:B)c(?-i)D)", "abcD"},
  };
  Matchers matchers;
  std::vector<std::string> texts;
  for (const auto& [pattern, text] : cases) {
    matchers.push_back(regex(pattern));
    texts.push_back(text);
  }
  const auto set = compile_set(matchers);
  ASSERT_NE(set, nullptr);
  // Each text on its own, so that one pattern's text cannot hide another's miss.
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto hits = set->scan({texts[i]}, kNoCap);
    ASSERT_EQ(hits.size(), cases.size());
    EXPECT_FALSE(hits[i].empty()) << cases[i].first << " missed its text";
    EXPECT_FALSE(set->always_runs(i)) << cases[i].first;
  }
  expect_same_as_own_scans(*set, texts);
}

TEST(DetectorSet, IdentifiersAreFoundAsTheirOwnScanFindsThem) {
  IdentifierOptions near_ssn;
  near_ssn.kind = IdentifierKind::us_ssn;
  near_ssn.near = {"ssn", "social security"};
  near_ssn.within = 20;
  IdentifierOptions card;
  IdentifierOptions iban;
  iban.kind = IdentifierKind::iban;
  IdentifierOptions routing;
  routing.kind = IdentifierKind::aba_routing;
  const auto set = compile_set({identifier(card), identifier(near_ssn), identifier(iban), identifier(routing)});
  ASSERT_NE(set, nullptr);
  const std::size_t found = expect_same_as_own_scans(
      *set, {"card 4111 1111 1111 1111 exp 12/27, also 5555-5555-5555-4444 and 4111111111111112",
             "Her SSN is 536-22-1234. Order 536-22-1235 shipped.",
             "IBAN DE89 3704 0044 0532 0130 00 please, or GB82WEST12345698765432.",
             "wire to routing 021000021, account 12345",
             "nothing to see here 12-4111111111111111"}).detectors_with_findings;
  EXPECT_EQ(found, 4u);
}

TEST(DetectorSet, FindingsCarryTheirByteOffsets) {
  const auto set = compile_set({phrases("markings", {"privileged and confidential"}),
                                regex(R"(\d{3}-\d{2}-\d{4})"), identifier(IdentifierKind::payment_card)});
  ASSERT_NE(set, nullptr);
  const std::string text = "Été: PRIVILEGED\n AND CONFIDENTIAL, SSN 536-22-1234, card 4111-1111-1111-1111.";
  const auto hits = set->scan({text}, kNoCap);
  ASSERT_EQ(hits[0].size(), 1u);
  EXPECT_EQ(text.substr(hits[0][0].match.offset, hits[0][0].match.length), "PRIVILEGED\n AND CONFIDENTIAL");
  ASSERT_EQ(hits[1].size(), 1u);
  EXPECT_EQ(text.substr(hits[1][0].match.offset, hits[1][0].match.length), "536-22-1234");
  ASSERT_EQ(hits[2].size(), 1u);
  EXPECT_EQ(text.substr(hits[2][0].match.offset, hits[2][0].match.length), "4111-1111-1111-1111");
  EXPECT_EQ(hits[2][0].match.shown, "****-****-****-1111");
}

TEST(DetectorSet, SkipsDetectorsThatCannotMatch) {
  // The misleading matcher's prefilter says its findings contain "zzz", so
  // the database never names it for a text without one.
  const auto set = compile_set({std::make_shared<MisleadingMatcher>("abc", "zzz")});
  ASSERT_NE(set, nullptr);
  EXPECT_FALSE(set->always_runs(0));
  EXPECT_TRUE(set->scan({"abc"}, kNoCap)[0].empty());
  EXPECT_EQ(set->scan({"abc zzz"}, kNoCap)[0].size(), 1u);
}

TEST(DetectorSet, DetectorsThatCannotBePrefilteredAlwaysRunAndStillFind) {
  const auto set = compile_set({
      regex(R"(a\Cb)"),                                           // any byte: no Vectorscan counterpart
      regex(R"((?:\bab)*\b+)"),                                   // less its \b+, matches the empty string
      std::make_shared<PlainMatcher>(),                           // no prefilter expressions
      std::make_shared<MisleadingMatcher>("abc", "(unbalanced"),  // not a pattern
      regex("privileged"),
  });
  ASSERT_NE(set, nullptr);
  EXPECT_TRUE(set->always_runs(0));
  EXPECT_TRUE(set->always_runs(1));
  EXPECT_TRUE(set->always_runs(2));
  EXPECT_TRUE(set->always_runs(3));
  EXPECT_FALSE(set->always_runs(4));
  const auto hits = set->scan({"axb", "ab abc and a needle"}, kNoCap);
  ASSERT_EQ(hits[0].size(), 1u);
  EXPECT_EQ(hits[0][0].segment, 0u);
  ASSERT_EQ(hits[1].size(), 1u);
  EXPECT_EQ(hits[1][0].segment, 1u);
  EXPECT_EQ(hits[2].size(), 1u);
  EXPECT_EQ(hits[3].size(), 1u);
  EXPECT_TRUE(hits[4].empty());
  expect_same_as_own_scans(*set, {"axb", "ab abc and a needle", "privileged"});
}

TEST(DetectorSet, TextThatIsNotUtf8IsScannedByEveryDetector) {
  const auto set = compile_set({std::make_shared<MisleadingMatcher>("abc", "zzz"), regex("privileged")});
  ASSERT_NE(set, nullptr);
  const auto hits = set->scan({"abc \xff privileged", "abc \xed\xa0\x80 (a surrogate)", "abc \xc0\xaf (overlong)"},
                              kNoCap);
  EXPECT_EQ(hits[0].size(), 3u);
  EXPECT_EQ(hits[1].size(), 1u);
}

TEST(DetectorSet, TextLongerThanVectorscanTakesIsScannedByEveryDetector) {
  DetectorSetOptions options;
  options.max_prefiltered_length = 16;  // stands in for 4 GiB
  const auto set = compile_set({std::make_shared<MisleadingMatcher>("abc", "zzz"), regex("privileged")}, options);
  ASSERT_NE(set, nullptr);
  const auto hits = set->scan({"abc 16 bytes....", "abc and 17 bytes.", "privileged, for 30 bytes or so"}, kNoCap);
  ASSERT_EQ(hits[0].size(), 1u);  // the 16-byte text was prefiltered, the longer one was not
  EXPECT_EQ(hits[0][0].segment, 1u);
  EXPECT_EQ(hits[1].size(), 1u);
}

TEST(DetectorSet, EmptyInputsWork) {
  const auto none = compile_set({});
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->size(), 0u);
  EXPECT_TRUE(none->scan({"privileged"}, kNoCap).empty());

  const auto set = compile_set({regex("privileged"), std::make_shared<PlainMatcher>()});
  ASSERT_NE(set, nullptr);
  const auto no_segments = set->scan({}, kNoCap);
  ASSERT_EQ(no_segments.size(), 2u);
  EXPECT_TRUE(no_segments[0].empty() && no_segments[1].empty());
  const auto empty_texts = set->scan({"", ""}, kNoCap);
  EXPECT_TRUE(empty_texts[0].empty() && empty_texts[1].empty());
  const auto no_room = set->scan({"privileged needle"}, 0);
  EXPECT_TRUE(no_room[0].empty() && no_room[1].empty());
  expect_same_as_own_scans(*set, {"", "privileged needle", ""});
}

TEST(DetectorSet, RefusesNullAndRepeatedMatchers) {
  const auto matcher = regex("privileged");
  EXPECT_FALSE(DetectorSet::compile({matcher, nullptr}).ok());
  const auto repeated = DetectorSet::compile({matcher, matcher});
  ASSERT_FALSE(repeated.ok());
  EXPECT_NE(repeated.error().message.find("regex:privileged given twice"), std::string::npos);
}

TEST(DetectorSet, KeepsEveryDistinctIdentityAndAFewRepeatsPerSegment) {
  const auto set = compile_set({regex(R"(card \d)")});
  ASSERT_NE(set, nullptr);
  std::string repeated;
  for (int i = 0; i < 20; ++i) repeated += "card 1 ";
  const std::vector<std::string> texts = {repeated + "card 2 card 3", "card 1 card 1 card 4"};
  const std::vector<std::string_view> segments(texts.begin(), texts.end());
  const auto hits = set->scan(segments, 100);
  std::vector<std::pair<std::size_t, std::string>> kept;
  for (const DetectorHit& hit : hits[0]) kept.emplace_back(hit.segment, hit.match.identity);
  const std::vector<std::pair<std::size_t, std::string>> expected = {
      {0, "card 1"}, {0, "card 1"}, {0, "card 1"}, {0, "card 1"}, {0, "card 1"}, {0, "card 2"},
      {0, "card 3"}, {1, "card 1"}, {1, "card 1"}, {1, "card 4"}};
  EXPECT_EQ(kept, expected);
  expect_same_as_own_scans(*set, texts, 100);

  // The cap counts kept hits across segments and stops the detector.
  const auto capped = set->scan(segments, 6);
  ASSERT_EQ(capped[0].size(), 6u);
  EXPECT_EQ(capped[0].back().match.identity, "card 2");
  expect_same_as_own_scans(*set, texts, 6);
}

TEST(DetectorSet, ManyThreadsScanWithOneSet) {
  const auto set = compile_set({phrases("markings", {"privileged and confidential", "attorney work product"}),
                                regex(R"(\b\d{3}-\d{2}-\d{4}\b)"), identifier(IdentifierKind::payment_card),
                                std::make_shared<PlainMatcher>()});
  ASSERT_NE(set, nullptr);
  const std::vector<std::string> texts = {"Privileged and Confidential: SSN 536-22-1234",
                                          "card 4111 1111 1111 1111, a needle", "nothing here", "\xff needle"};
  const std::vector<std::string_view> segments(texts.begin(), texts.end());
  const auto expected = set->scan(segments, kNoCap);
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        const auto hits = set->scan(segments, kNoCap);
        for (std::size_t d = 0; d < hits.size(); ++d) {
          if (findings(hits[d]) != findings(expected[d])) ++mismatches[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
  EXPECT_EQ(expect_same_as_own_scans(*set, texts).detectors_with_findings, 4u);
}

// Names that occur in no English text: syllables from a fixed list.
std::string client_name(std::size_t n) {
  static const std::vector<std::string> kSyllables = {"zor", "qua", "vex", "bri", "tol", "nam", "kex", "dru",
                                                      "pli", "mog", "sav", "wen", "yel", "fip", "gub", "hox"};
  std::string name;
  for (std::size_t i = 0; i < 4; ++i, n /= kSyllables.size()) name += kSyllables[n % kSyllables.size()];
  return name + " holdings";
}

TEST(DetectorSet, TenThousandPatternsCompileAndOnlyTheRightDetectorsFind) {
  // 10 lists of 100 client names and 9,000 matter-number patterns.
  constexpr std::size_t kLists = 10;
  constexpr std::size_t kNamesPerList = 100;
  constexpr std::size_t kRegexes = 9000;
  Matchers matchers;
  for (std::size_t list = 0; list < kLists; ++list) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < kNamesPerList; ++i) names.push_back(client_name(list * kNamesPerList + i));
    matchers.push_back(phrases(std::to_string(list), names));
  }
  for (std::size_t i = 0; i < kRegexes; ++i) {
    matchers.push_back(regex("(?i)matter " + std::to_string(10000 + i) + R"(-\d{3}\b)"));
  }
  const auto set = compile_set(matchers);
  ASSERT_NE(set, nullptr);
  for (std::size_t i = 0; i < set->size(); ++i) ASSERT_FALSE(set->always_runs(i)) << i;

  std::string text;
  for (int i = 0; i < 2000; ++i) text += "The parties met on Tuesday to review matter 99999-123 and the draft. ";
  const std::string with_hits = "Re: " + client_name(17) + ", MATTER 10042-007; also " + client_name(999) +
                                "\nand Matter 18999-123. The parties met on Tuesday.";
  const auto hits = set->scan({text, with_hits}, kNoCap);
  ASSERT_EQ(hits.size(), kLists + kRegexes);
  std::vector<std::size_t> finders;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    if (!hits[i].empty()) finders.push_back(i);
  }
  EXPECT_EQ(finders, (std::vector<std::size_t>{0, 9, kLists + 42, kLists + 8999}));
  for (const std::size_t i : finders) {
    ASSERT_EQ(hits[i].size(), 1u) << i;
    EXPECT_EQ(hits[i][0].segment, 1u);
    std::vector<Finding> own;
    set->matcher(i).scan(with_hits, [&](TextMatch match) {
      own.push_back(finding(1, match));
      return true;
    });
    EXPECT_EQ(findings(hits[i]), own);
  }
}

}  // namespace
}  // namespace privmilter
