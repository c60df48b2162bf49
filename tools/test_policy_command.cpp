// privmilterctl test-policy: run policy test cases (test files or folders of
// them) through the real content extraction and policy, and report which
// decisions came out as the cases expect.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>

#include "commands.h"
#include "policy_setup.h"
#include "policy_test_case.h"
#include "privmilter/pipeline.h"
#include "verdict_printer.h"

namespace privmilter::tools {

namespace {

namespace fs = std::filesystem;

constexpr int kExitAllPassed = 0;
constexpr int kExitFailed = 1;
constexpr int kExitError = 2;
constexpr std::size_t kSpoolMemoryThreshold = std::size_t{1} << 20;

struct TestPolicyOptions {
  std::string config_path;  // empty: found beside the tests, else the default
  std::string policy_path;
  std::string directory_path;
  std::vector<std::string> tests;
  bool verbose = false;
};

struct Tally {
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t errors = 0;
};

// A suite kept beside the configuration it tests (config/policy-tests next
// to config/privmilter.yaml) runs against that configuration.
fs::path find_config(const TestPolicyOptions& options) {
  if (!options.config_path.empty()) return options.config_path;
  fs::path first = fs::absolute(options.tests.front()).lexically_normal();
  if (!first.has_filename()) first = first.parent_path();
  std::vector<fs::path> candidates{first.parent_path() / "privmilter.yaml"};
  std::error_code error;
  if (fs::is_regular_file(first, error)) candidates.push_back(first.parent_path().parent_path() / "privmilter.yaml");
  for (const fs::path& candidate : candidates) {
    if (fs::is_regular_file(candidate, error)) return candidate;
  }
  return kDefaultConfigPath;
}

bool is_test_file(const fs::path& path) {
  const std::string name = path.filename().string();
  if (name.empty() || name.front() == '.' || name.back() == '~') return false;
  return path.extension() == ".yaml" || path.extension() == ".yml";
}

// Files as given; folders contribute their test files in name order.
Result<std::vector<fs::path>> test_files(const std::vector<std::string>& tests) {
  std::vector<fs::path> files;
  for (const std::string& test : tests) {
    std::error_code error;
    if (fs::is_regular_file(test, error)) {
      files.emplace_back(test);
      continue;
    }
    if (!fs::is_directory(test, error)) return make_error("no such test file or folder: " + test);
    std::vector<fs::path> inside;
    for (fs::directory_iterator it(test, error), end; !error && it != end; it.increment(error)) {
      std::error_code type_error;
      if (is_test_file(it->path()) && it->is_regular_file(type_error)) inside.push_back(it->path());
    }
    if (error) return make_error("cannot read test folder " + test + ": " + error.message());
    if (inside.empty()) return make_error("test folder " + test + " holds no .yaml files");
    std::sort(inside.begin(), inside.end());
    files.insert(files.end(), inside.begin(), inside.end());
  }
  return files;
}

Result<Decision> decide_case(const PolicyTestCase& test, const PolicySetup& setup) {
  MessageSpool spool(fs::temp_directory_path(), kSpoolMemoryThreshold);
  if (auto appended = spool.append(test.message_text()); !appended) return appended.error();
  const Envelope envelope{.queue_id = "test-policy",
                          .sender = test.draft.from,
                          .recipients = test.draft.to,
                          .auth_authen = test.auth,
                          .client_addr = "127.0.0.1",
                          .client_name = "localhost",
                          .daemon_name = "privmilterctl"};
  return decide(envelope, spool, *setup.bundle.policy, setup.bundle.directory, setup.config.content_limits);
}

std::string failure_line(const std::vector<std::string>& unmet) {
  std::string line;
  for (const std::string& item : unmet) line += (line.empty() ? "" : "; ") + item;
  return line;
}

void run_case(const PolicyTestCase& test, const PolicySetup& setup, bool verbose, Tally& tally) {
  auto decision = decide_case(test, setup);
  if (!decision) {
    ++tally.errors;
    std::cout << "ERROR " << test.name << ": cannot inspect the message (" << test.where
              << "): " << decision.error().message << "\n";
    return;
  }
  const Verdict& verdict = decision->verdict;
  const std::vector<std::string> unmet = unmet_expectations(test.expect, verdict, decision->facts.subject);
  if (unmet.empty()) {
    ++tally.passed;
    std::cout << "PASS " << test.name << "\n";
  } else {
    ++tally.failed;
    std::cout << "FAIL " << test.name << ": " << failure_line(unmet) << " (rules fired: " << fired_rules_summary(verdict)
              << ")\n";
  }
  if (verbose) {
    std::cout << "    at " << test.where << "\n";
    print_verdict_text(std::cout, verdict, "    ");
  }
}

int run_test_policy(const TestPolicyOptions& options) {
  auto files = test_files(options.tests);
  if (!files) {
    std::cerr << "privmilterctl: " << files.error().message << std::endl;
    return kExitError;
  }
  std::vector<PolicyTestCase> cases;
  for (const fs::path& file : *files) {
    auto loaded = load_policy_test_file(file);
    if (!loaded) {
      std::cerr << loaded.error().message << std::endl;
      return kExitError;
    }
    cases.insert(cases.end(), std::make_move_iterator(loaded->begin()), std::make_move_iterator(loaded->end()));
  }
  PolicySetupOptions setup_options{.config = find_config(options), .overrides = {}};
  if (!options.policy_path.empty()) setup_options.overrides.policy = options.policy_path;
  if (!options.directory_path.empty()) setup_options.overrides.directory = options.directory_path;
  auto setup = load_policy_setup(setup_options);
  if (!setup) {
    std::cerr << "privmilterctl: " << setup.error().message << std::endl;
    return kExitError;
  }
  if (options.verbose) {
    std::cout << "configuration: " << setup->config.source.string() << "\npolicy: " << setup->policy_path.string()
              << "\n";
  }
  Tally tally;
  for (const PolicyTestCase& test : cases) run_case(test, *setup, options.verbose, tally);
  std::cout << tally.passed << " passed, " << tally.failed << " failed";
  if (tally.errors > 0) std::cout << ", " << tally.errors << (tally.errors == 1 ? " error" : " errors");
  std::cout << std::endl;
  if (tally.errors > 0) return kExitError;
  return tally.failed > 0 ? kExitFailed : kExitAllPassed;
}

}  // namespace

Subcommand add_test_policy_command(CLI::App& app) {
  auto options = std::make_shared<TestPolicyOptions>();
  auto* command = app.add_subcommand(
      "test-policy",
      "run policy test cases against the policy (exit 0 all pass, 1 a case failed, 2 invalid tests or policy)");
  command->add_option("-c,--config", options->config_path,
                      std::string("daemon configuration (default: privmilter.yaml beside the tests' folder, else ") +
                          kDefaultConfigPath + ")");
  command->add_option("--policy", options->policy_path, "policy file or folder to test instead of the configuration's");
  command->add_option("--directory", options->directory_path,
                      "firm directory folder to use instead of the configuration's");
  command->add_flag("-v,--verbose", options->verbose, "show each case's verdict: actions, rules and their hits");
  command->add_option("TESTS", options->tests, "test files (.yaml) or folders of them")->required();
  return {command, [options] {
            spdlog::set_level(spdlog::level::warn);
            return run_test_policy(*options);
          }};
}

}  // namespace privmilter::tools
