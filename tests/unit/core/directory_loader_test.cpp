// Loading the directory files: every validation error with its exact
// file:line:column, RFC 4180 quoting, files on disk (missing, unreadable),
// the shipped config/directory, and a directory of 100,000 matters.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "privmilter/firm_directory.h"
#include "unit/temp_dir.h"

namespace privmilter {
namespace {

using testing::TempDir;
using testing::write_file;

const std::vector<std::string> kInternal = {"examplelaw.com"};

FirmDirectorySources valid_sources() {
  FirmDirectorySources sources;
  sources.users_csv =
      "address,user,name,groups\n"
      "alice@examplelaw.com,alice,Alice,litigation\n"
      "bob@examplelaw.com,bob,Bob,corporate\n";
  sources.groups_yaml = "groups:\n  partners: [alice]\n";
  sources.clients_csv = "client,name,domains\n10042,Acme,acme.example\n";
  sources.matters_csv = "matter,client,name,authorized\n10042-0007,10042,Acme v. Globex,cocounsel.example\n";
  sources.walls_yaml = "walls:\n  - id: w\n    screened: {users: [bob]}\n    matters: [10042-0007]\n";
  sources.webmail_txt = "gmail.com\n";
  return sources;
}

TEST(DirectoryLoader, TheValidBaseLoads) {
  auto loaded = parse_firm_directory(valid_sources(), kInternal);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ((*loaded)->matter_count(), 1u);
  EXPECT_EQ((*loaded)->wall_count(), 1u);
}

struct BadFile {
  std::optional<std::string> FirmDirectorySources::*file;
  std::string content;
  std::string expected_error;
};

void PrintTo(const BadFile& bad, std::ostream* out) { *out << bad.expected_error; }

class DirectoryErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(DirectoryErrors, NameFileLineAndColumn) {
  FirmDirectorySources sources = valid_sources();
  sources.*GetParam().file = GetParam().content;
  auto loaded = parse_firm_directory(sources, kInternal);
  ASSERT_FALSE(loaded.ok()) << "loaded although " << GetParam().expected_error;
  EXPECT_EQ(loaded.error().message, GetParam().expected_error);
}

constexpr auto kUsers = &FirmDirectorySources::users_csv;
constexpr auto kGroups = &FirmDirectorySources::groups_yaml;
constexpr auto kClients = &FirmDirectorySources::clients_csv;
constexpr auto kMatters = &FirmDirectorySources::matters_csv;
constexpr auto kWalls = &FirmDirectorySources::walls_yaml;
constexpr auto kWebmail = &FirmDirectorySources::webmail_txt;

const std::string kUsersHeader = "address,user,name,groups\n";
const std::string kClientsHeader = "client,name,domains\n";
const std::string kMattersHeader = "matter,client,name,authorized\n";
const std::string kWallStart = "walls:\n  - id: w\n";

INSTANTIATE_TEST_SUITE_P(
    Csv, DirectoryErrors,
    ::testing::Values(
        BadFile{kUsers, "address,login,name,groups\n",
                "users.csv:1:1: the first line must be the header 'address,user,name,groups'"},
        BadFile{kUsers, "# people\n\naddress,user,name\n",
                "users.csv:3:1: the first line must be the header 'address,user,name,groups'"},
        BadFile{kUsers, kUsersHeader + "alice@examplelaw.com,alice,Alice,lit,extra\n",
                "users.csv:2:38: expected 4 fields (address,user,name,groups), found 5"},
        BadFile{kUsers, kUsersHeader + "alice@examplelaw.com,alice,Alice\n",
                "users.csv:2:1: expected 4 fields (address,user,name,groups), found 3"},
        BadFile{kUsers, kUsersHeader + "  ,alice,Alice,\n", "users.csv:2:1: empty address"},
        BadFile{kUsers, kUsersHeader + "alice@examplelaw.com,,Alice,\n", "users.csv:2:22: empty user"},
        BadFile{kUsers, kUsersHeader + "alice@@examplelaw.com,alice,Alice,\n",
                "users.csv:2:1: bad address 'alice@@examplelaw.com': '@' (not allowed in the local part)"},
        BadFile{kUsers, kUsersHeader + " alice@examplelaw..com,alice,Alice,\n",
                "users.csv:2:2: bad address 'alice@examplelaw..com': domain: empty label"},
        BadFile{kUsers, kUsersHeader + "alice@examp1elaw.com,alice,Alice,\n",
                "users.csv:2:1: 'alice@examp1elaw.com' is not in an internal domain"},
        BadFile{kUsers, kUsersHeader + "alice@examplelaw.com,alice,A,\nALICE@examplelaw.com,alice2,A2,\n",
                "users.csv:3:1: duplicate address 'alice@examplelaw.com' (first on line 2)"},
        BadFile{kUsers, kUsersHeader + "alice@examplelaw.com,alice,A,\nalice2@examplelaw.com,Alice,A2,\n",
                "users.csv:3:23: duplicate user 'alice' (first on line 2)"},
        BadFile{kUsers, kUsersHeader + "carol@examplelaw.com,carol smith,Carol,\n",
                "users.csv:2:22: bad user 'carol smith': a space (lowercase letters, digits, '.', '_' and '-')"},
        BadFile{kUsers, kUsersHeader + "carol@examplelaw.com,carol,Carol,lit;big law\n",
                "users.csv:2:38: bad group 'big law': a space (lowercase letters, digits, '_' and '-')"},
        // Columns count characters, not bytes: "Zoë" is three (four bytes).
        BadFile{kUsers, kUsersHeader + "zoe@examplelaw.com,zoe,Zo\xC3\xAB,lit;bad law\n",
                "users.csv:2:32: bad group 'bad law': a space (lowercase letters, digits, '_' and '-')"},
        BadFile{kUsers, kUsersHeader + "alice@examplelaw.com,alice,\"Alice,\n",
                "users.csv:2:28: quoted field is never closed"},
        BadFile{kUsers, kUsersHeader + "alice@examplelaw.com,alice,Al\"ice,\n",
                "users.csv:2:30: quote inside an unquoted field (quote the whole field and double the quote)"},
        BadFile{kUsers, kUsersHeader + "alice@examplelaw.com,alice,\"Alice\"x,\n",
                "users.csv:2:35: unexpected character after a closing quote (a quote inside a field is written \"\")"},
        BadFile{kUsers, kUsersHeader + "alice@examplelaw.com,alice,Al\xFFice,\n",
                "users.csv:2:30: not UTF-8 text (save the file as UTF-8)"},
        BadFile{kClients, "client,name\n", "clients.csv:1:1: the first line must be the header 'client,name,domains'"},
        BadFile{kClients, kClientsHeader + "10042,Acme,acme.example\n 10042 ,Acme again,acme2.example\n",
                "clients.csv:3:2: duplicate client '10042' (first on line 2)"},
        BadFile{kClients, kClientsHeader + "10042#1,Acme,acme.example\n",
                "clients.csv:2:1: bad client id '10042#1': letters and digits with separators . - / _ or space, at "
                "most 64 characters"},
        BadFile{kClients, kClientsHeader + "10042,,acme.example\n", "clients.csv:2:7: empty name"},
        BadFile{kClients, kClientsHeader + "10042,Acme,acme.example;northwind..example\n",
                "clients.csv:2:25: bad domain 'northwind..example': empty label"},
        BadFile{kClients, kClientsHeader + "10042,Acme,-acme.example\n",
                "clients.csv:2:12: bad domain '-acme.example': label starts or ends with a hyphen"},
        BadFile{kClients, kClientsHeader + "10042,Acme,localhost\n",
                "clients.csv:2:12: bad domain 'localhost': needs at least two labels"},
        BadFile{kClients, kClientsHeader + "10042,Bob Personal,gmail.com\n",
                "clients.csv:2:20: 'gmail.com' is a personal webmail domain: authorize the person's address instead"},
        BadFile{kMatters, kMattersHeader + "10042-0007,10099,Acme,\n", "matters.csv:2:12: unknown client '10099'"},
        BadFile{kMatters, kMattersHeader + "10042-0007,,Acme,\n", "matters.csv:2:12: empty client"},
        BadFile{kMatters, kMattersHeader + "10042-0007,10042,,\n", "matters.csv:2:18: empty name"},
        BadFile{kMatters, kMattersHeader + "10042-0007,10042,A,\n10042.0007,10042,Again,\n",
                "matters.csv:3:1: duplicate matter '10042-0007' (first on line 2)"},
        BadFile{kMatters, kMattersHeader + "10042-0007!,10042,Acme,\n",
                "matters.csv:2:1: bad matter number '10042-0007!': letters and digits with separators . - / _ or "
                "space, at most 64 characters"},
        BadFile{kMatters, kMattersHeader + "10042-0007,10042,Acme,cocounsel.example; expert@@x.example\n",
                "matters.csv:2:42: bad address 'expert@@x.example': '@' (not allowed in the local part)"},
        BadFile{kMatters, kMattersHeader + "10042-0007,10042,Acme,co_counsel.example\n",
                "matters.csv:2:23: bad domain 'co_counsel.example': '_' (letters, digits, hyphens and dots; "
                "international names in xn-- form)"},
        BadFile{kMatters, kMattersHeader + "10042-0007,10042,\"Acme, Inc.\",\"a.example;b..example\"\n",
                "matters.csv:2:42: bad domain 'b..example': empty label"},
        BadFile{kMatters, kMattersHeader + "10042-0007,10042,Acme,mail.gmail.com\n",
                "matters.csv:2:23: 'mail.gmail.com' is a personal webmail domain: authorize the person's address "
                "instead"}));

INSTANTIATE_TEST_SUITE_P(
    Yaml, DirectoryErrors,
    ::testing::Values(
        BadFile{kGroups, "groups:\n  partners: [alice, mallory]\n",
                "groups.yaml:2:21: unknown user 'mallory' in group 'partners'"},
        BadFile{kGroups, "groups:\n  partners: [alice]\n  Partners: [bob]\n",
                "groups.yaml:3:3: duplicate group 'partners' (first on line 2)"},
        BadFile{kGroups, "groups:\n  big law: [alice]\n",
                "groups.yaml:2:3: bad group 'big law': a space (lowercase letters, digits, '_' and '-')"},
        BadFile{kGroups, "groups:\n  partners: alice\n", "groups.yaml:2:13: members of 'partners' must be a list"},
        BadFile{kGroups, "grops:\n  partners: [alice]\n", "groups.yaml:1:1: unknown key 'grops' in the file"},
        BadFile{kGroups, "groups: [alice]\n", "groups.yaml:1:9: groups must be a mapping"},
        BadFile{kGroups, "groups:\n  partners: [alice\n", "groups.yaml:3:1: end of sequence flow not found"},
        BadFile{kWalls, kWallStart + "    screened: {users: [mallory]}\n    matters: [10042-0007]\n",
                "walls.yaml:3:24: unknown user 'mallory'"},
        BadFile{kWalls, kWallStart + "    screened: {groups: [paralegals]}\n    matters: [10042-0007]\n",
                "walls.yaml:3:25: unknown group 'paralegals'"},
        BadFile{kWalls, kWallStart + "    screened: {users: [bob]}\n    matters: [10042-0099]\n",
                "walls.yaml:4:15: unknown matter '10042-0099'"},
        BadFile{kWalls, kWallStart + "    screened: {users: [bob]}\n    clients: [99999]\n",
                "walls.yaml:4:15: unknown client '99999'"},
        BadFile{kWalls, kWallStart + "    screened: {users: [bob]}\n", "walls.yaml:2:5: wall 'w' names no matter or client"},
        BadFile{kWalls, kWallStart + "    matters: [10042-0007]\n",
                "walls.yaml:2:5: wall 'w' needs 'screened' (users and/or groups)"},
        BadFile{kWalls, kWallStart + "    screened: {users: []}\n    matters: [10042-0007]\n",
                "walls.yaml:3:15: wall 'w' screens no user or group"},
        BadFile{kWalls, kWallStart + "    screened: {users: [bob]}\n    matter: [10042-0007]\n",
                "walls.yaml:4:5: unknown key 'matter' in a wall"},
        BadFile{kWalls, "walls:\n  - screened: {users: [bob]}\n    matters: [10042-0007]\n",
                "walls.yaml:2:5: a wall needs an id"},
        BadFile{kWalls,
                kWallStart + "    screened: {users: [bob]}\n    matters: [10042-0007]\n  - id: W\n"
                             "    screened: {users: [alice]}\n    matters: [10042-0007]\n",
                "walls.yaml:5:9: duplicate wall 'w' (first on line 2)"},
        BadFile{kWebmail, "gmail.com\n  hot mail.com  # typo\n",
                "webmail.txt:2:3: bad domain 'hot mail.com': a space (letters, digits, hyphens and dots; "
                "international names in xn-- form)"}));

TEST(DirectoryLoader, ReadsQuotedFieldsCrlfCommentsAndAByteOrderMark) {
  FirmDirectorySources sources = valid_sources();
  sources.users_csv =
      "\xEF\xBB\xBF"
      "address,user,name,groups\r\n"
      "# a comment line\r\n"
      "\r\n"
      "sobrien@examplelaw.com,sobrien,\"O'Brien, Sean\",\"ip;litigation\"\r\n"
      "bob@examplelaw.com,bob,\"Robert \"\"Bob\"\" Tables\",\r\n"
      "\"multi@examplelaw.com\",multi,\"Two\r\nLines\",\"\"\r\n"
      "  last@examplelaw.com , last ,  Last  ,  staff  ";  // no final line break
  sources.groups_yaml = std::nullopt;
  sources.walls_yaml = std::nullopt;
  auto loaded = parse_firm_directory(sources, kInternal);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const FirmDirectory& firm = **loaded;
  ASSERT_EQ(firm.user_count(), 4u);
  EXPECT_EQ(firm.user_by_id("sobrien")->name, "O'Brien, Sean");
  EXPECT_EQ(firm.user_by_id("sobrien")->groups, (std::vector<std::string>{"ip", "litigation"}));
  EXPECT_EQ(firm.user_by_id("bob")->name, "Robert \"Bob\" Tables");
  EXPECT_EQ(firm.user_by_id("multi")->name, "Two\r\nLines");
  EXPECT_TRUE(firm.user_by_id("multi")->groups.empty());
  EXPECT_EQ(firm.user_by_address("last@examplelaw.com")->name, "Last");
  EXPECT_TRUE(firm.in_group(*firm.user_by_id("last"), "staff"));
}

TEST(DirectoryLoader, LinesAfterAQuotedLineBreakAreCountedInErrors) {
  FirmDirectorySources sources = valid_sources();
  sources.users_csv = kUsersHeader + "a@examplelaw.com,a,\"Two\nLines\",\nb@examplelaw.com,a,B,\n";
  auto loaded = parse_firm_directory(sources, kInternal);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message, "users.csv:4:18: duplicate user 'a' (first on line 2)");
}

TEST(DirectoryLoader, AcceptsAnyInternalSubdomainAndWebmailAddressesOnAMatter) {
  FirmDirectorySources sources = valid_sources();
  sources.users_csv = kUsersHeader + "ny@ny.examplelaw.com,ny,NY,\nbob@examplelaw.com,bob,Bob,\n";
  sources.groups_yaml = std::nullopt;
  sources.matters_csv = kMattersHeader + "10042-0007,10042,Acme,client.ceo@gmail.com;;\n";
  auto loaded = parse_firm_directory(sources, kInternal);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const FirmDirectory& firm = **loaded;
  const Matter& matter = *firm.matter("10042-0007");
  EXPECT_TRUE(firm.is_authorized(matter, "client.ceo@gmail.com", false));
  EXPECT_FALSE(firm.is_authorized(matter, "someone.else@gmail.com", false));
}

TEST(DirectoryLoader, MissingFilesAreEmptyTables) {
  auto loaded = parse_firm_directory(FirmDirectorySources{}, kInternal);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ((*loaded)->user_count() + (*loaded)->matter_count() + (*loaded)->webmail_count(), 0u);
  EXPECT_EQ((*loaded)->imitated_domain("examp1elaw.com"), "examplelaw.com");

  FirmDirectorySources empty_files;
  for (auto file : {kUsers, kGroups, kClients, kMatters, kWalls, kWebmail}) empty_files.*file = "";
  EXPECT_TRUE(parse_firm_directory(empty_files, kInternal).ok());
}

TEST(DirectoryFiles, ReadsEachFileOfTheDirectory) {
  TempDir dir;
  const FirmDirectorySources sources = valid_sources();
  write_file(dir / "users.csv", *sources.users_csv);
  write_file(dir / "groups.yaml", *sources.groups_yaml);
  write_file(dir / "clients.csv", *sources.clients_csv);
  write_file(dir / "matters.csv", *sources.matters_csv);
  write_file(dir / "walls.yaml", *sources.walls_yaml);
  write_file(dir / "webmail.txt", *sources.webmail_txt);
  auto loaded = load_firm_directory(dir.path(), kInternal);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const FirmDirectory& firm = **loaded;
  EXPECT_EQ(firm.user_count(), 2u);
  EXPECT_TRUE(firm.in_group(*firm.user_by_id("alice"), "partners"));
  EXPECT_EQ(firm.client_count(), 1u);
  EXPECT_NE(firm.screening_wall(*firm.user_by_id("bob"), *firm.matter("10042.0007")), nullptr);
  EXPECT_TRUE(firm.is_webmail("gmail.com"));
}

TEST(DirectoryFiles, ErrorsNameThePathOfTheFile) {
  TempDir dir;
  write_file(dir / "clients.csv", "client,name,domains\n10042,Acme,acme.example\n");
  write_file(dir / "matters.csv", "matter,client,name,authorized\n10042-0007,10099,Acme,\n");
  auto loaded = load_firm_directory(dir.path(), kInternal);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message, (dir / "matters.csv").string() + ":2:12: unknown client '10099'");
}

TEST(DirectoryFiles, AnEmptyDirectoryIsAnEmptyDirectory) {
  TempDir dir;
  auto loaded = load_firm_directory(dir.path(), kInternal);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ((*loaded)->user_count(), 0u);
}

TEST(DirectoryFiles, AMissingDirectoryOrAnUnreadableFileIsAnError) {
  TempDir dir;
  auto missing = load_firm_directory(dir / "nonexistent", kInternal);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, (dir / "nonexistent").string() + ": No such file or directory");
  write_file(dir / "plain-file", "");
  auto not_directory = load_firm_directory(dir / "plain-file", kInternal);
  ASSERT_FALSE(not_directory.ok());
  EXPECT_EQ(not_directory.error().message, (dir / "plain-file").string() + ": not a directory");

  std::filesystem::create_directory(dir / "users.csv");
  auto unreadable = load_firm_directory(dir.path(), kInternal);
  ASSERT_FALSE(unreadable.ok());
  EXPECT_EQ(unreadable.error().message, (dir / "users.csv").string() + ": cannot read: Is a directory");
}

TEST(DirectoryFiles, TheShippedExampleDirectoryLoads) {
  const char* source = std::getenv("PRIVMILTER_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  auto loaded = load_firm_directory(std::filesystem::path(source) / "config" / "directory", kInternal);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  const FirmDirectory& firm = **loaded;
  EXPECT_GE(firm.user_count(), 10u);
  EXPECT_GE(firm.client_count(), 5u);
  EXPECT_GE(firm.matter_count(), 10u);
  EXPECT_EQ(firm.wall_count(), 2u);
  EXPECT_GE(firm.webmail_count(), 25u);
  for (const char* group : {"litigation", "corporate", "ip", "staff", "partners"}) {
    EXPECT_TRUE(firm.has_group(group)) << group;
  }
  EXPECT_EQ(firm.user_by_id("sobrien")->name, "O'Brien, Sean");

  // The corporate team advising Globex is walled off Acme v. Globex.
  const Matter& acme_v_globex = *firm.matter("10042.0007");
  EXPECT_EQ(firm.screening_wall(*firm.user_by_id("rpatel"), acme_v_globex)->id, "globex-corporate-team");
  EXPECT_FALSE(firm.is_authorized(acme_v_globex, "lgarcia@examplelaw.com", true));
  EXPECT_TRUE(firm.is_authorized(acme_v_globex, "jdoe@examplelaw.com", true));
  EXPECT_TRUE(firm.is_authorized(acme_v_globex, "expert.witness@forensics-lab.example", false));
  EXPECT_FALSE(firm.is_authorized(acme_v_globex, "ceo@northwind.example", false));
  // The lateral hire is walled off every Fabrikam matter.
  EXPECT_EQ(firm.screening_wall(*firm.user_by_id("dkim"), *firm.matter("10458-0002"))->id, "fabrikam-lateral");
  EXPECT_TRUE(firm.is_webmail("gmail.com"));
  EXPECT_EQ(firm.imitated_domain("acme-widgets.example.co"), "acme-widgets.example");
  EXPECT_EQ(firm.imitated_domain("northwlnd.example"), "northwind.example");
}

// 100,000 matters across 20,000 clients, as a large firm's export would
// have them. How long it takes is printed, not asserted (see bench/).
TEST(DirectoryFiles, LoadsAHundredThousandMatters) {
  constexpr int kClients = 20000;
  constexpr int kMattersPerClient = 5;
  TempDir dir;
  std::string clients = "client,name,domains\n";
  std::string matters = "matter,client,name,authorized\n";
  for (int c = 0; c < kClients; ++c) {
    const std::string id = std::to_string(100000 + c);
    clients += id + ",Client " + id + ",client" + id + ".example;" + id + "-group.example\n";
    for (int m = 1; m <= kMattersPerClient; ++m) {
      matters += id + "-000" + std::to_string(m) + "," + id + ",\"Matter " + std::to_string(m) + ", client " + id +
                 "\",cocounsel" + std::to_string(c % 97) + ".example;expert" + std::to_string(m) +
                 "@experts.example\n";
    }
  }
  write_file(dir / "clients.csv", clients);
  write_file(dir / "matters.csv", matters);

  const auto start = std::chrono::steady_clock::now();
  auto loaded = load_firm_directory(dir.path(), kInternal);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  std::cout << "loaded " << (*loaded)->matter_count() << " matters in " << elapsed.count() << " ms\n";

  const FirmDirectory& firm = **loaded;
  EXPECT_EQ(firm.matter_count(), 100000u);
  EXPECT_EQ(firm.client_count(), 20000u);
  const Matter* matter = firm.matter("119999.0005");
  ASSERT_NE(matter, nullptr);
  EXPECT_EQ(matter->name, "Matter 5, client 119999");
  EXPECT_TRUE(firm.is_authorized(*matter, "a@mail.client119999.example", false));
  EXPECT_TRUE(firm.is_authorized(*matter, "a@cocounsel" + std::to_string(19999 % 97) + ".example", false));
  EXPECT_FALSE(firm.is_authorized(*matter, "a@client119998.example", false));
  EXPECT_EQ(firm.matter("119999-0006"), nullptr);
  EXPECT_EQ(firm.imitated_domain("cl1ent119999.example"), "client119999.example");
}

}  // namespace
}  // namespace privmilter
