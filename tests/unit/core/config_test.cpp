#include <gtest/gtest.h>

#include "privmilter/config.h"
#include "privmilter/envelope.h"

namespace privmilter {
namespace {

const char* kMinimal = R"(milter:
  socket: unix:/run/privmilter/milter.sock
firm:
  internal_domains: [ExampleLaw.com]
  internal_networks: [10.0.0.0/8, "2001:db8::/32"]
policy: policy.yaml
quarantine: {directory: /var/lib/privmilter/quarantine, key_file: keys/quarantine.key}
audit: {log: audit/audit.log, key_file: keys/audit.key}
release: {key_file: keys/release.key}
log_level: info
)";

TEST(Config, ReadsTheMtaHandOffAddress) {
  auto config = load_config_string(std::string(kMinimal) + "mta: {smtp: \"[::1]:2525\", helo: filter.examplelaw.com}\n",
                                   "/etc/privmilter", "privmilter.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->mta.host, "::1");
  EXPECT_EQ(config->mta.port, 2525);
  EXPECT_EQ(config->mta.helo, "filter.examplelaw.com");
}

TEST(Config, LoadsAndResolvesRelativePaths) {
  auto config = load_config_string(kMinimal, "/etc/privmilter", "privmilter.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->socket, "unix:/run/privmilter/milter.sock");
  EXPECT_EQ(config->internal_domains, std::vector<std::string>{"examplelaw.com"});
  EXPECT_EQ(config->policy_path, "/etc/privmilter/policy.yaml");
  EXPECT_EQ(config->audit.log, "/etc/privmilter/audit/audit.log");
  EXPECT_EQ(config->quarantine.directory, "/var/lib/privmilter/quarantine");
  EXPECT_EQ(config->on_error, OnError::tempfail);
  EXPECT_FALSE(config->pid_file.has_value());
  EXPECT_EQ(config->quarantine.key_file, "/etc/privmilter/keys/quarantine.key");
  EXPECT_EQ(config->audit.key_file, "/etc/privmilter/keys/audit.key");
  EXPECT_EQ(config->release.key_file, "/etc/privmilter/keys/release.key");
  EXPECT_EQ(config->quarantine.retention_days, 30u);
  EXPECT_EQ(config->mta.host, "127.0.0.1");
  EXPECT_EQ(config->mta.port, 25);
  EXPECT_EQ(config->notify.from, "postmaster@examplelaw.com");
  EXPECT_FALSE(config->smime.certificates.has_value());
  EXPECT_FALSE(config->directory_path.has_value());
  auto directory = config->directory();
  EXPECT_TRUE(directory.is_internal_client("10.20.30.40"));
  EXPECT_TRUE(directory.is_internal_client("2001:db8::7"));
  EXPECT_FALSE(directory.is_internal_client("192.0.2.1"));
}

TEST(Config, ResolvesThePidFileAndDirectoryLikeTheOtherPaths) {
  auto config = load_config_string(std::string(kMinimal) + "pid_file: ../run/privmilter.pid\n"
                                                           "directory: /srv/firm-directory\n",
                                   "/etc/privmilter", "privmilter.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->pid_file, std::filesystem::path("/etc/run/privmilter.pid"));
  EXPECT_EQ(config->directory_path, std::filesystem::path("/srv/firm-directory"));
}

struct BadConfig {
  std::string yaml;
  std::string expected;  // part of the error message, including the line
};

class ConfigErrors : public ::testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, NameTheLineAndTheProblem) {
  auto config = load_config_string(GetParam().yaml, "/etc/privmilter", "privmilter.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find(GetParam().expected), std::string::npos) << config.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Config, ConfigErrors,
    ::testing::Values(
        BadConfig{std::string(kMinimal) + "on_error: maybe\n", "privmilter.yaml:11: on_error must be tempfail or accept"},
        BadConfig{std::string(kMinimal) + "polciy: x\n", "privmilter.yaml:11: unknown key 'polciy'"},
        BadConfig{std::string(kMinimal) + "limits:\n  max_header_count: -3\n", "privmilter.yaml:12: max_header_count"},
        BadConfig{"milter:\n  socket: tcp:25\nfirm: {internal_domains: [a.com]}\npolicy: p\nquarantine: {directory: q}\naudit: {log: a}\n",
                  "privmilter.yaml:2: milter.socket must be"},
        BadConfig{"milter: {}\nfirm: {internal_domains: [a.com], internal_networks: [10.0.0.0/33]}\npolicy: p\nquarantine: {directory: q}\naudit: {log: a}\n",
                  "bad prefix length"},
        BadConfig{"milter: {}\nfirm: {internal_domains: []}\npolicy: p\nquarantine: {directory: q}\naudit: {log: a}\n",
                  "must not be empty"},
        BadConfig{"milter: {}\nfirm: {internal_domains: [a.com]}\nquarantine: {directory: q}\naudit: {log: a}\n",
                  "missing required key 'policy'"},
        BadConfig{"milter: [unclosed\n", "privmilter.yaml:"},
        BadConfig{std::string(kMinimal) + "pid_file: ''\n", "privmilter.yaml:11: pid_file must not be empty"},
        BadConfig{std::string(kMinimal) + "pid_file: [a, b]\n", "privmilter.yaml:11: pid_file must be a string"},
        BadConfig{std::string(kMinimal) + "directory: {path: x}\n", "privmilter.yaml:11: directory must be a string"},
        BadConfig{std::string(kMinimal) + "notify: {max_attempts: 0}\n", "privmilter.yaml:11: notify.max_attempts must be between"},
        BadConfig{std::string(kMinimal) + "mta: {smtp: localhost}\n", "privmilter.yaml:11: mta.smtp must be HOST:PORT"},
        BadConfig{"milter: {}\nfirm: {internal_domains: [a.com]}\npolicy: p\nquarantine: {directory: q}\naudit: {log: a, key_file: k}\n",
                  "quarantine.key_file is required"},
        BadConfig{"milter: {}\nfirm: {internal_domains: [a.com]}\npolicy: p\nquarantine: {directory: q, key_file: k}\naudit: {log: a, key_file: k}\n",
                  "missing required key 'release'"}));

TEST(Config, BundledExampleIsValid) {
  const char* source = std::getenv("PRIVMILTER_SOURCE_DIR");
  ASSERT_NE(source, nullptr);
  auto config = load_config_file(std::filesystem::path(source) / "config" / "privmilter.yaml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->internal_domains, std::vector<std::string>{"examplelaw.com"});
  EXPECT_TRUE(std::filesystem::exists(config->policy_path));
  ASSERT_TRUE(config->pid_file.has_value());
  EXPECT_EQ(*config->pid_file, (std::filesystem::path(source) / "var" / "run" / "privmilter.pid").lexically_normal());
}

TEST(SocketSpec, AcceptsTheMilterForms) {
  EXPECT_TRUE(valid_socket_spec("inet:8891@127.0.0.1"));
  EXPECT_TRUE(valid_socket_spec("inet6:8891@::1"));
  EXPECT_TRUE(valid_socket_spec("unix:/run/privmilter.sock"));
  EXPECT_FALSE(valid_socket_spec("inet:99999@127.0.0.1"));
  EXPECT_FALSE(valid_socket_spec("inet:@127.0.0.1"));
  EXPECT_FALSE(valid_socket_spec("/run/privmilter.sock"));
}

TEST(SocketSpec, IsSpelledForPostfix) {
  EXPECT_EQ(postfix_milter_address("inet:8891@127.0.0.1"), "inet:127.0.0.1:8891");
  EXPECT_EQ(postfix_milter_address("inet6:8891@::1"), "inet:[::1]:8891");
  EXPECT_EQ(postfix_milter_address("inet:8891"), "inet:localhost:8891");
  EXPECT_EQ(postfix_milter_address("unix:/run/privmilter/milter.sock"), "unix:/run/privmilter/milter.sock");
  EXPECT_EQ(postfix_milter_address("local:/run/privmilter/milter.sock"), "unix:/run/privmilter/milter.sock");
}

TEST(Envelope, StripsSmtpPaths) {
  EXPECT_EQ(strip_smtp_path("<Alice@Example.COM>"), "Alice@Example.COM");
  EXPECT_EQ(strip_smtp_path(" <> "), "");
  EXPECT_EQ(strip_smtp_path("<@relay.example:bob@client.example>"), "bob@client.example");
  EXPECT_EQ(domain_of("Alice@Example.COM."), "example.com");
  EXPECT_EQ(domain_of("postmaster"), "");
}

TEST(Directory, ClassifiesAddressesAndSubdomains) {
  Directory directory({"examplelaw.com"}, {});
  EXPECT_TRUE(directory.is_internal_address("alice@examplelaw.com"));
  EXPECT_TRUE(directory.is_internal_address("alice@NY.ExampleLaw.com"));
  EXPECT_FALSE(directory.is_internal_address("mallory@notexamplelaw.com"));
  EXPECT_FALSE(directory.is_internal_address("mallory@examplelaw.com.evil.example"));
  EXPECT_FALSE(directory.is_internal_address("postmaster"));
  EXPECT_TRUE(directory.has_external_recipient({"a@examplelaw.com", "b@client.example"}));
  EXPECT_FALSE(directory.has_external_recipient({"a@examplelaw.com"}));
}

}  // namespace
}  // namespace privmilter
