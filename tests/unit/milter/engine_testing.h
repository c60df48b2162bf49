#pragma once
// An Engine over a temporary directory: keys, the given policy and a
// minimal configuration for the sample firm (examplelaw.com, 10.0.0.0/8).

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine.h"
#include "unit/temp_dir.h"

namespace privmilter::milter::testing {

// `extra_config` is appended to the configuration (more top-level keys).
inline std::unique_ptr<Engine> make_test_engine(const privmilter::testing::TempDir& dir, const std::string& policy,
                                                const std::string& extra_config = "") {
  privmilter::testing::write_file(dir / "policy.yaml", policy);
  privmilter::testing::write_test_keys(dir.path());
  auto config = load_config_string("milter: {socket: 'inet:8891@127.0.0.1'}\n"
                                   "firm: {internal_domains: [examplelaw.com], internal_networks: [10.0.0.0/8]}\n"
                                   "policy: policy.yaml\n"
                                   "quarantine: {directory: quarantine, key_file: keys/quarantine.key}\n"
                                   "audit: {log: audit.log, key_file: keys/audit.key}\n"
                                   "release: {key_file: keys/release.key}\n"
                                   "spool: {directory: spool}\n" +
                                       extra_config,
                                   dir.path(), "test.yaml");
  EXPECT_TRUE(config.ok()) << config.error().message;
  if (!config.ok()) return nullptr;
  auto engine = Engine::create(std::move(config).value());
  EXPECT_TRUE(engine.ok()) << engine.error().message;
  return engine.ok() ? std::move(engine).value() : nullptr;
}

}  // namespace privmilter::milter::testing
