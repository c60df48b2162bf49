// LookalikeIndex gives imitated_domain()'s answers without looking at every
// protected domain: equivalence over generated imitations and honest
// domains, the documented two-edit limit, and 100,000 client domains.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "privmilter/lookalike.h"

namespace privmilter {
namespace {

const std::vector<std::string> kFirm = {"examplelaw.com", "smithjones.co.uk"};
const std::vector<std::string> kSuffixes = {"com", "net", "example", "co.uk", "org"};

std::vector<std::string> concat(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> all = a;
  all.insert(all.end(), b.begin(), b.end());
  return all;
}

class Generator {
 public:
  explicit Generator(std::string alphabet) : alphabet_(std::move(alphabet)) {}

  std::size_t below(std::size_t bound) { return std::uniform_int_distribution<std::size_t>(0, bound - 1)(random_); }
  char letter() { return alphabet_[below(alphabet_.size())]; }
  std::string label(std::size_t min_length, std::size_t max_length) {
    std::string text(min_length + below(max_length - min_length + 1), ' ');
    for (char& c : text) c = letter();
    return text;
  }
  const std::string& suffix() { return kSuffixes[below(kSuffixes.size())]; }

  // One insertion, deletion, substitution or swap of neighbours.
  std::string one_edit(const std::string& label) {
    std::string edited = label;
    const std::size_t at = below(label.size());
    switch (below(4)) {
      case 0: edited.insert(edited.begin() + static_cast<long>(below(label.size() + 1)), letter()); break;
      case 1: edited.erase(at, 1); break;
      case 2: {
        char replacement = letter();
        while (replacement == edited[at]) replacement = letter();
        edited[at] = replacement;
        break;
      }
      default:
        if (at + 1 < edited.size()) std::swap(edited[at], edited[at + 1]);
    }
    return edited;
  }

 private:
  std::string alphabet_;
  std::mt19937 random_{20240611};
};

// "mail.examplelaw.co.uk" -> {"examplelaw", "co.uk"}, with the rules' split.
std::pair<std::string, std::string> label_and_suffix(const std::string& domain) {
  if (domain.ends_with(".co.uk")) {
    const std::string head = domain.substr(0, domain.size() - 6);
    return {head.substr(head.rfind('.') + 1), "co.uk"};
  }
  const std::size_t last_dot = domain.rfind('.');
  const std::string head = domain.substr(0, last_dot);
  return {head.substr(head.rfind('.') + 1), domain.substr(last_dot + 1)};
}

// Every way the rules say a domain may be imitated, and a few ways it may
// not; two-edit imitations only when asked.
std::vector<std::string> variants_of(const std::string& domain, Generator& generate, bool two_edits) {
  const auto [label, suffix] = label_and_suffix(domain);
  std::vector<std::string> variants = {domain, "mail." + domain, domain + ".", "EXAMPLE." + domain};
  for (const std::string& other_suffix : {std::string("net"), std::string("co"), std::string("com.au"), suffix}) {
    variants.push_back(label + "." + other_suffix);
  }
  std::string hyphenated = label;
  hyphenated.insert(1 + generate.below(label.size() - 1), "-");
  variants.push_back(hyphenated + "." + suffix);
  const std::vector<std::pair<char, std::string>> confusables = {{'o', "0"}, {'l', "1"}, {'e', "3"},
                                                                   {'s', "5"}, {'m', "rn"}, {'w', "vv"}};
  for (const auto& [plain, confusable] : confusables) {
    if (const std::size_t at = label.find(plain); at != std::string::npos) {
      variants.push_back(std::string(label).replace(at, 1, confusable) + "." + suffix);
    }
  }
  for (int i = 0; i < 6; ++i) {
    const std::string edited = generate.one_edit(label);
    variants.push_back(edited + "." + suffix);
    variants.push_back("www." + edited + "." + generate.suffix());
  }
  if (two_edits) variants.push_back(generate.one_edit(generate.one_edit(label)) + "." + suffix);
  variants.push_back(domain + ".evil.example");
  variants.push_back("www." + domain + ".attacker.example");
  variants.push_back("x" + domain);
  variants.push_back(label + label + "." + suffix);
  return variants;
}

TEST(LookalikeIndex, AnswersAsTheLinearCheckForGeneratedImitations) {
  // Letters that cannot form "rn" or "vv" under an edit, so that one edit
  // of the written label is one edit of the label as read.
  Generator generate("abcdefghijklopqstuxyz");
  std::vector<std::string> clients = {"acme.com", "acme.net", "abcd.com", "widgets-inc.example"};
  std::vector<std::string> labels = {"examplelaw", "smithjones", "acme", "abcd", "widgetsinc"};
  while (clients.size() < 300) {
    const std::string label = generate.label(clients.size() % 10 == 0 ? 3 : 5, 14);
    // Labels far apart, so that no one-edit imitation of one is within two
    // edits of another (the index does not look for two-edit imitations of
    // client domains; see the next test).
    if (std::any_of(labels.begin(), labels.end(),
                    [&](const std::string& other) { return edit_distance(label, other) <= 4; })) {
      continue;
    }
    labels.push_back(label);
    clients.push_back(label + "." + generate.suffix());
    if (clients.size() % 25 == 0) clients.push_back(label + ".example");  // the same name twice
  }
  const LookalikeIndex index(kFirm, clients);
  // A domain listed twice is indexed once.
  EXPECT_EQ(index.size(), kFirm.size() + std::set<std::string>(clients.begin(), clients.end()).size());
  const std::vector<std::string> all = concat(kFirm, clients);

  std::size_t imitations = 0;
  std::size_t checked = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (const std::string& variant : variants_of(all[i], generate, i < kFirm.size())) {
      const std::optional<std::string> expected = imitated_domain(variant, all);
      EXPECT_EQ(index.imitated_domain(variant), expected) << variant;
      imitations += expected.has_value();
      ++checked;
    }
  }
  for (int i = 0; i < 2000; ++i) {
    const std::string unrelated = generate.label(3, 16) + "." + generate.suffix();
    EXPECT_EQ(index.imitated_domain(unrelated), imitated_domain(unrelated, all)) << unrelated;
  }
  for (const char* odd : {"", ".", "com", "localhost", "a..b.com", "-.com", "examplelaw", ".examplelaw.com"}) {
    EXPECT_EQ(index.imitated_domain(odd), imitated_domain(odd, all)) << odd;
  }
  // The generated set really exercises both answers.
  EXPECT_GT(imitations, checked / 2);
  EXPECT_LT(imitations, checked);
}

TEST(LookalikeIndex, FindsTwoEditImitationsOfTheFirmDomainsOnly) {
  const std::vector<std::string> clients = {"northwindtraders.example"};
  const LookalikeIndex index(kFirm, clients);
  EXPECT_EQ(index.imitated_domain("exanplelaws.com"), "examplelaw.com");  // two edits of the firm's
  EXPECT_EQ(index.imitated_domain("northwindtrader.example"), "northwindtraders.example");  // one edit
  // Two edits of a client's: the linear check flags it, the index does not.
  EXPECT_EQ(imitated_domain("nrothwindtradesr.example", concat(kFirm, clients)), "northwindtraders.example");
  EXPECT_EQ(index.imitated_domain("nrothwindtradesr.example"), std::nullopt);
}

TEST(LookalikeIndex, TheFirstProtectedDomainInOrderWins) {
  const LookalikeIndex index({"examplelaw.com"}, {"acme.com", "acme.net", "examplelaw.net"});
  EXPECT_EQ(index.imitated_domain("acme.org"), "acme.com");
  EXPECT_EQ(index.imitated_domain("examplelaw.org"), "examplelaw.com");  // the firm's come first
  EXPECT_EQ(index.imitated_domain("examplelaw.net"), std::nullopt);      // protected itself
}

TEST(LookalikeIndex, AnEmptyIndexProtectsNothing) {
  const LookalikeIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.imitated_domain("examp1elaw.com"), std::nullopt);
}

TEST(LookalikeIndex, BuildsAndAnswersForAHundredThousandClientDomains) {
  Generator generate("abcdefghijklmnopqrstuvwxyz");
  std::vector<std::string> clients;
  clients.reserve(100000);
  for (int i = 0; i < 100000; ++i) clients.push_back(generate.label(8, 14) + "." + generate.suffix());
  const LookalikeIndex index(kFirm, clients);
  EXPECT_EQ(index.size(), kFirm.size() + 100000);

  // Random labels of 8 to 14 letters lie far apart: an imitation of one
  // imitates that one only.
  for (int i = 0; i < 1000; ++i) {
    const std::string& domain = clients[generate.below(clients.size())];
    EXPECT_EQ(index.imitated_domain(domain), std::nullopt) << domain;
    EXPECT_EQ(index.imitated_domain("mail." + domain), std::nullopt) << domain;
    const auto [label, suffix] = label_and_suffix(domain);
    const std::string other_suffix = suffix == "net" ? "org" : "net";
    EXPECT_EQ(index.imitated_domain(label + "." + other_suffix), domain) << domain;
    EXPECT_EQ(index.imitated_domain(domain + ".evil.example"), domain) << domain;
    std::string hyphenated = label;
    hyphenated.insert(hyphenated.size() / 2, "-");
    EXPECT_EQ(index.imitated_domain(hyphenated + "." + suffix), domain) << domain;
  }
  // A few against the linear check itself, which looks at all 100,002.
  const std::vector<std::string> all = concat(kFirm, clients);
  for (int i = 0; i < 5; ++i) {
    const std::string& domain = clients[generate.below(clients.size())];
    const std::string variant = generate.one_edit(label_and_suffix(domain).first) + ".com";
    EXPECT_EQ(index.imitated_domain(variant), imitated_domain(variant, all)) << variant;
  }
  EXPECT_EQ(index.imitated_domain("examp1elaw.com"), "examplelaw.com");
  EXPECT_EQ(index.imitated_domain("gmail.com"), imitated_domain("gmail.com", all));
}

}  // namespace
}  // namespace privmilter
