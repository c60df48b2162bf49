// Lookalike recipient domains: the pure check against a table of
// imitations and honest neighbours.

#include "privmilter/lookalike.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace privmilter {
namespace {

const std::vector<std::string> kProtected = {"examplelaw.com", "smithjones.co.uk"};

struct Case {
  const char* domain;
  const char* imitates;  // nullptr: imitates nothing
};

TEST(Lookalike, FlagsImitationsOfProtectedDomains) {
  for (const Case& c : std::vector<Case>{
           {"examplelaw.co", "examplelaw.com"},            // another TLD
           {"examplelaw.net", "examplelaw.com"},
           {"examplelaw.com.au", "examplelaw.com"},
           {"example-law.com", "examplelaw.com"},          // hyphen
           {"examp1elaw.com", "examplelaw.com"},           // 1 for l
           {"examplelavv.com", "examplelaw.com"},          // vv for w
           {"exarnplelaw.com", "examplelaw.com"},          // rn for m
           {"3xamp1e1aw.com", "examplelaw.com"},           // several confusables at once
           {"exmaplelaw.com", "examplelaw.com"},           // swapped letters
           {"examplelaws.com", "examplelaw.com"},          // one letter added
           {"exampleaw.com", "examplelaw.com"},            // one letter dropped
           {"exanplelaw.com", "examplelaw.com"},           // one letter changed
           {"exanplelaws.com", "examplelaw.com"},          // two edits, label of 10
           {"mail.examp1elaw.com", "examplelaw.com"},      // a subdomain of an imitation
           {"ExampleLaw.NET", "examplelaw.com"},           // any case
           {"examplelaw.com.evil.example", "examplelaw.com"},  // the real name as leading labels
           {"smithjones.com", "smithjones.co.uk"},         // registrable label under co.uk
           {"smith-jones.co.uk", "smithjones.co.uk"},
           {"srnithjones.co.uk", "smithjones.co.uk"},
       }) {
    const std::optional<std::string> imitated = imitated_domain(c.domain, kProtected);
    ASSERT_TRUE(imitated.has_value()) << c.domain;
    EXPECT_EQ(*imitated, c.imitates) << c.domain;
  }
}

TEST(Lookalike, LeavesGenuineAndUnrelatedDomainsAlone) {
  for (const char* domain : {"examplelaw.com", "ny.examplelaw.com", "EXAMPLELAW.COM.", "smithjones.co.uk",
                             "gmail.com", "client.example", "example.com", "notexamplelaw.com",
                             "lawexample.com", "exlaw.com", "co.uk", "localhost", "", "examplelaw",
                             "smith.co.uk", "jones.com", "examplelawyers.com"}) {
    EXPECT_FALSE(imitated_domain(domain, kProtected).has_value()) << domain;
  }
}

TEST(Lookalike, ShortLabelsOnlyMatchExactlyUnderAnotherSuffix) {
  const std::vector<std::string> short_name = {"abcd.com"};
  EXPECT_EQ(imitated_domain("abcd.net", short_name), "abcd.com");
  EXPECT_EQ(imitated_domain("ab-cd.com", short_name), "abcd.com");
  EXPECT_FALSE(imitated_domain("abce.com", short_name).has_value());  // too short for an edit
  EXPECT_FALSE(imitated_domain("abc.com", short_name).has_value());
}

TEST(Lookalike, EditDistanceCountsAdjacentSwapsAsOneEdit) {
  EXPECT_EQ(edit_distance("examplelaw", "examplelaw"), 0u);
  EXPECT_EQ(edit_distance("examplelaw", "exmaplelaw"), 1u);
  EXPECT_EQ(edit_distance("examplelaw", "examplela"), 1u);
  EXPECT_EQ(edit_distance("examplelaw", "exanplelaws"), 2u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("ca", "abc"), 3u);  // restricted: no edit of a swapped pair
}

}  // namespace
}  // namespace privmilter
