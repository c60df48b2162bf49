// The firm directory's queries: lookups, matter number normalization,
// authorization of recipients for a matter, ethical walls, webmail and
// lookalikes, on a small directory parsed from file text.

#include "privmilter/firm_directory.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace privmilter {
namespace {

FirmDirectorySources small_firm() {
  FirmDirectorySources sources;
  sources.users_csv =
      "address,user,name,groups\n"
      "alice@examplelaw.com,alice,Alice Partner,litigation\n"
      "Bob@ExampleLaw.com,Bob,Bob Associate,corporate\n"
      "carol@examplelaw.com,carol,Carol Counsel,\n"
      "dave@ny.examplelaw.com,dave,Dave Patent,ip\n";
  sources.groups_yaml =
      "groups:\n"
      "  partners: [alice, CAROL@examplelaw.com]\n"
      "  litigation: [carol]\n"
      "  empty: []\n";
  sources.clients_csv =
      "client,name,domains\n"
      "10042,Acme Widgets,acme-widgets.example;acme.example\n"
      "20077,Northwind,northwind.example\n";
  sources.matters_csv =
      "matter,client,name,authorized\n"
      "10042-0007,10042,Acme v. Globex,cocounsel.example;Expert@Forensics.example\n"
      "10042-0008,10042,Acme licensing,\n"
      "20077-0001,20077,Northwind deal,\n"
      "ab.12/3,20077,Lettered matter,\n";
  sources.walls_yaml =
      "walls:\n"
      "  - id: by-user\n"
      "    description: Bob worked for Globex\n"
      "    screened: {users: [bob]}\n"
      "    matters: [10042.0007]\n"
      "  - id: by-group\n"
      "    screened: {groups: [ip]}\n"
      "    clients: [20077]\n";
  sources.webmail_txt = "gmail.com\n# personal\n\nyahoo.co.uk  # trailing comment\n";
  return sources;
}

class FirmDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = parse_firm_directory(small_firm(), {"examplelaw.com"});
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    firm_ = *loaded;
  }

  const User& user(const char* id) const {
    const User* found = firm_->user_by_id(id);
    EXPECT_NE(found, nullptr) << id;
    return *found;
  }
  const Matter& matter(const char* number) const {
    const Matter* found = firm_->matter(number);
    EXPECT_NE(found, nullptr) << number;
    return *found;
  }

  std::shared_ptr<const FirmDirectory> firm_;
};

TEST(MatterNumbers, NormalizeSeparatorsCaseAndBlanks) {
  EXPECT_EQ(normalize_matter_number("10042-0007"), "10042-0007");
  EXPECT_EQ(normalize_matter_number("10042.0007"), "10042-0007");
  EXPECT_EQ(normalize_matter_number("10042/0007"), "10042-0007");
  EXPECT_EQ(normalize_matter_number("10042_0007"), "10042-0007");
  EXPECT_EQ(normalize_matter_number(" 10042 0007\t"), "10042-0007");
  EXPECT_EQ(normalize_matter_number("10042 - 0007"), "10042-0007");  // a run of separators is one
  EXPECT_EQ(normalize_matter_number("-10042-0007."), "10042-0007");
  EXPECT_EQ(normalize_matter_number("ab.12/3"), "AB-12-3");
  EXPECT_EQ(normalize_matter_number("10042"), "10042");
  EXPECT_EQ(normalize_matter_number("100420007"), "100420007");  // a separator is not optional
  EXPECT_EQ(normalize_matter_number(""), "");
  EXPECT_EQ(normalize_matter_number(" - "), "");
  EXPECT_EQ(normalize_matter_number("10042#0007"), "");
  EXPECT_EQ(normalize_matter_number("10042-0007\xC3\xA9"), "");
  EXPECT_EQ(normalize_matter_number(std::string(64, '1')), std::string(64, '1'));
  EXPECT_EQ(normalize_matter_number(std::string(65, '1')), "");
}

TEST_F(FirmDirectoryTest, FindsMattersByAnySpellingOfTheirNumber) {
  for (const char* spelling : {"10042-0007", "10042.0007", "10042/0007", " 10042 0007 ", "10042_0007"}) {
    const Matter* found = firm_->matter(spelling);
    ASSERT_NE(found, nullptr) << spelling;
    EXPECT_EQ(found->number, "10042-0007");
    EXPECT_EQ(found->client_id, "10042");
    EXPECT_EQ(found->name, "Acme v. Globex");
  }
  EXPECT_EQ(matter("AB-12-3").name, "Lettered matter");
  EXPECT_EQ(matter("ab 12 3").number, "AB-12-3");
  EXPECT_EQ(firm_->matter("10042-0009"), nullptr);
  EXPECT_EQ(firm_->matter("100420007"), nullptr);
  EXPECT_EQ(firm_->matter(""), nullptr);
}

TEST_F(FirmDirectoryTest, KeepsAuthorizedRecipientsLowercaseAndSorted) {
  const Matter& acme = matter("10042-0007");
  EXPECT_EQ(acme.authorized_domains, std::vector<std::string>{"cocounsel.example"});
  EXPECT_EQ(acme.authorized_addresses, std::vector<std::string>{"expert@forensics.example"});
}

TEST_F(FirmDirectoryTest, FindsClients) {
  const Client* acme = firm_->client("10042");
  ASSERT_NE(acme, nullptr);
  EXPECT_EQ(acme->name, "Acme Widgets");
  EXPECT_EQ(acme->domains, (std::vector<std::string>{"acme-widgets.example", "acme.example"}));
  EXPECT_EQ(firm_->client(" 20077 ")->name, "Northwind");
  EXPECT_EQ(firm_->client("99999"), nullptr);
}

TEST_F(FirmDirectoryTest, FindsUsersByAddressIdOrLoginInAnyCase) {
  const User* bob = firm_->user_by_address("BOB@examplelaw.COM");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->address, "bob@examplelaw.com");
  EXPECT_EQ(bob->id, "bob");
  EXPECT_EQ(bob->name, "Bob Associate");
  EXPECT_EQ(firm_->user_by_id("BOB"), bob);
  EXPECT_EQ(firm_->user_by_login("bob"), bob);
  EXPECT_EQ(firm_->user_by_login("bob@examplelaw.com"), bob);
  EXPECT_EQ(firm_->user_by_address("bob"), nullptr);
  EXPECT_EQ(firm_->user_by_id("bob@examplelaw.com"), nullptr);
  EXPECT_EQ(firm_->user_by_address("mallory@examplelaw.com"), nullptr);
  EXPECT_EQ(firm_->user_by_login("mallory"), nullptr);
}

TEST_F(FirmDirectoryTest, MergesGroupsFromUsersCsvAndGroupsYaml) {
  EXPECT_TRUE(firm_->in_group(user("alice"), "litigation"));   // users.csv
  EXPECT_TRUE(firm_->in_group(user("alice"), "Partners"));     // groups.yaml, by id
  EXPECT_TRUE(firm_->in_group(user("carol"), "partners"));     // groups.yaml, by address
  EXPECT_TRUE(firm_->in_group(user("carol"), "litigation"));   // both files name the group
  EXPECT_FALSE(firm_->in_group(user("bob"), "litigation"));
  EXPECT_FALSE(firm_->in_group(user("bob"), "nonexistent"));
  EXPECT_EQ(user("carol").groups, (std::vector<std::string>{"litigation", "partners"}));

  EXPECT_TRUE(firm_->has_group("empty"));
  EXPECT_TRUE(firm_->has_group("corporate"));
  EXPECT_FALSE(firm_->has_group("staff"));
  const Group* litigation = firm_->group("litigation");
  ASSERT_NE(litigation, nullptr);
  EXPECT_EQ(litigation->member_ids, (std::vector<std::string>{"alice", "carol"}));
  EXPECT_TRUE(firm_->group("empty")->member_ids.empty());
}

TEST_F(FirmDirectoryTest, AuthorizesTheClientsDomainsAndTheirSubdomains) {
  const Matter& acme = matter("10042-0007");
  EXPECT_TRUE(firm_->is_authorized(acme, "ceo@acme-widgets.example", false));
  EXPECT_TRUE(firm_->is_authorized(acme, "ceo@ACME.example", false));
  EXPECT_TRUE(firm_->is_authorized(acme, "legal@eu.mail.acme-widgets.example", false));
  EXPECT_FALSE(firm_->is_authorized(acme, "ceo@acme-widgets.example.evil.example", false));
  EXPECT_FALSE(firm_->is_authorized(acme, "ceo@notacme.example", false));
  EXPECT_FALSE(firm_->is_authorized(acme, "buyer@northwind.example", false));  // another client's
  EXPECT_FALSE(firm_->is_authorized(acme, "someone@gmail.com", false));
  EXPECT_FALSE(firm_->is_authorized(acme, "no-domain", false));
}

TEST_F(FirmDirectoryTest, AuthorizesTheMattersOwnDomainsAndAddresses) {
  const Matter& acme = matter("10042-0007");
  EXPECT_TRUE(firm_->is_authorized(acme, "partner@cocounsel.example", false));
  EXPECT_TRUE(firm_->is_authorized(acme, "partner@ny.cocounsel.example", false));
  EXPECT_TRUE(firm_->is_authorized(acme, "EXPERT@forensics.example", false));
  EXPECT_FALSE(firm_->is_authorized(acme, "intern@forensics.example", false));  // only that address
  const Matter& licensing = matter("10042-0008");
  EXPECT_FALSE(firm_->is_authorized(licensing, "partner@cocounsel.example", false));
  EXPECT_TRUE(firm_->is_authorized(licensing, "ceo@acme.example", false));
}

TEST_F(FirmDirectoryTest, AuthorizesInternalRecipientsUnlessAWallScreensThem) {
  const Matter& acme = matter("10042-0007");
  EXPECT_TRUE(firm_->is_authorized(acme, "alice@examplelaw.com", true));
  EXPECT_TRUE(firm_->is_authorized(acme, "frontdesk@examplelaw.com", true));  // not a user: no wall
  EXPECT_FALSE(firm_->is_authorized(acme, "Bob@examplelaw.com", true));       // walled by user
  EXPECT_TRUE(firm_->is_authorized(matter("10042-0008"), "bob@examplelaw.com", true));
  EXPECT_FALSE(firm_->is_authorized(matter("20077-0001"), "dave@ny.examplelaw.com", true));  // by group
}

TEST_F(FirmDirectoryTest, FindsTheWallByUserAndMatter) {
  const Wall* wall = firm_->screening_wall(user("bob"), matter("10042-0007"));
  ASSERT_NE(wall, nullptr);
  EXPECT_EQ(wall->id, "by-user");
  EXPECT_EQ(wall->description, "Bob worked for Globex");
  EXPECT_EQ(wall->matters, std::vector<std::string>{"10042-0007"});
  // The wall names one matter, not the client's others.
  EXPECT_EQ(firm_->screening_wall(user("bob"), matter("10042-0008")), nullptr);
  EXPECT_EQ(firm_->screening_wall(user("alice"), matter("10042-0007")), nullptr);
}

TEST_F(FirmDirectoryTest, FindsTheWallByGroupAndClient) {
  for (const char* number : {"20077-0001", "AB-12-3"}) {
    const Wall* wall = firm_->screening_wall(user("dave"), matter(number));
    ASSERT_NE(wall, nullptr) << number;
    EXPECT_EQ(wall->id, "by-group");
  }
  EXPECT_EQ(firm_->screening_wall(user("dave"), matter("10042-0007")), nullptr);
  EXPECT_EQ(firm_->screening_wall(user("alice"), matter("20077-0001")), nullptr);
  EXPECT_TRUE(firm_->has_wall("by-group"));
  EXPECT_TRUE(firm_->has_wall("BY-USER"));
  EXPECT_FALSE(firm_->has_wall("by-nobody"));
}

TEST(FirmDirectoryWalls, TheFirstWallInFileOrderWins) {
  FirmDirectorySources sources = small_firm();
  sources.walls_yaml =
      "walls:\n"
      "  - {id: client-wide, screened: {groups: [corporate]}, clients: [10042]}\n"
      "  - {id: one-matter, screened: {users: [bob]}, matters: [10042-0007]}\n";
  auto loaded = parse_firm_directory(sources, {"examplelaw.com"});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const FirmDirectory& firm = **loaded;
  const Wall* wall = firm.screening_wall(*firm.user_by_id("bob"), *firm.matter("10042-0007"));
  ASSERT_NE(wall, nullptr);
  EXPECT_EQ(wall->id, "client-wide");
}

TEST_F(FirmDirectoryTest, RecognizesWebmailDomainsAndTheirSubdomains) {
  EXPECT_TRUE(firm_->is_webmail("gmail.com"));
  EXPECT_TRUE(firm_->is_webmail("GMAIL.com."));
  EXPECT_TRUE(firm_->is_webmail("eu.gmail.com"));
  EXPECT_TRUE(firm_->is_webmail("yahoo.co.uk"));
  EXPECT_FALSE(firm_->is_webmail("co.uk"));
  EXPECT_FALSE(firm_->is_webmail("notgmail.com"));
  EXPECT_FALSE(firm_->is_webmail("gmail.com.evil.example"));
  EXPECT_FALSE(firm_->is_webmail(""));
}

TEST_F(FirmDirectoryTest, ProtectsTheFirmAndClientDomainsFromLookalikes) {
  EXPECT_EQ(firm_->imitated_domain("examp1elaw.com"), "examplelaw.com");
  EXPECT_EQ(firm_->imitated_domain("acmewidgets.example"), "acme-widgets.example");
  EXPECT_EQ(firm_->imitated_domain("n0rthwind.example"), "northwind.example");
  EXPECT_EQ(firm_->imitated_domain("northwind.example.mail-relay.example"), "northwind.example");
  EXPECT_EQ(firm_->imitated_domain("northwind.example"), std::nullopt);
  EXPECT_EQ(firm_->imitated_domain("mail.acme.example"), std::nullopt);
  EXPECT_EQ(firm_->imitated_domain("cocounsel.example"), std::nullopt);
  EXPECT_EQ(firm_->imitated_domain("gmail.com"), std::nullopt);
}

TEST_F(FirmDirectoryTest, CountsWhatItHolds) {
  EXPECT_EQ(firm_->user_count(), 4u);
  EXPECT_EQ(firm_->group_count(), 5u);  // litigation, corporate, ip, partners, empty
  EXPECT_EQ(firm_->client_count(), 2u);
  EXPECT_EQ(firm_->matter_count(), 4u);
  EXPECT_EQ(firm_->wall_count(), 2u);
  EXPECT_EQ(firm_->webmail_count(), 2u);
}

TEST(FirmDirectoryTables, BuiltByHandTheyAreMadeCanonical) {
  FirmDirectoryTables tables;
  tables.users = {{"Erin@ExampleLaw.com", "ERIN", "Erin", {"Tax"}}, {"frank@examplelaw.com", "frank", "", {}}};
  tables.groups = {{"audit", {"Frank", "erin"}}};
  tables.clients = {{"555", "Soylent", {"Soylent.Example", "b.example", "b.example"}}};
  tables.matters = {{"555.1", "555", "Green", {}, {"Someone@Else.Example"}}};
  tables.walls = {{"W", "", {"FRANK"}, {}, {"555/1"}, {}}};
  tables.webmail_domains = {"GMX.net"};
  const FirmDirectory firm(std::move(tables), {"ExampleLaw.com"});

  const User* erin = firm.user_by_address("erin@examplelaw.com");
  ASSERT_NE(erin, nullptr);
  EXPECT_EQ(erin->id, "erin");
  EXPECT_EQ(erin->groups, (std::vector<std::string>{"audit", "tax"}));
  EXPECT_EQ(firm.group("tax")->member_ids, std::vector<std::string>{"erin"});
  EXPECT_EQ(firm.group("audit")->member_ids, (std::vector<std::string>{"erin", "frank"}));
  EXPECT_EQ(firm.client("555")->domains, (std::vector<std::string>{"b.example", "soylent.example"}));
  const Matter* matter = firm.matter("555-1");
  ASSERT_NE(matter, nullptr);
  EXPECT_TRUE(firm.is_authorized(*matter, "someone@else.example", false));
  EXPECT_TRUE(firm.is_authorized(*matter, "x@soylent.example", false));
  ASSERT_NE(firm.screening_wall(*firm.user_by_id("frank"), *matter), nullptr);
  EXPECT_TRUE(firm.is_webmail("gmx.net"));
  EXPECT_EQ(firm.imitated_domain("examp1elaw.com"), "examplelaw.com");
}

TEST(FirmDirectoryEmpty, KnowsNobody) {
  const FirmDirectory firm;
  EXPECT_EQ(firm.matter("10042-0007"), nullptr);
  EXPECT_EQ(firm.client("10042"), nullptr);
  EXPECT_EQ(firm.user_by_address("a@examplelaw.com"), nullptr);
  EXPECT_FALSE(firm.has_group("litigation"));
  EXPECT_FALSE(firm.is_webmail("gmail.com"));
  EXPECT_EQ(firm.imitated_domain("examp1elaw.com"), std::nullopt);
  EXPECT_EQ(firm.matter_count(), 0u);
}

}  // namespace
}  // namespace privmilter
