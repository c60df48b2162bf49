// Robustness over the shared third-party corpus: every message parses to
// facts (or hits the size limit) within the time budget, nothing crashes.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "unit/content/content_test_support.h"

namespace privmilter::testing {
namespace {

std::filesystem::path corpus_directory() {
  const char* source_dir = std::getenv("PRIVMILTER_SOURCE_DIR");
  if (source_dir == nullptr) return {};
  return std::filesystem::path(source_dir) / ".." / "shared" / "corpus";
}

bool is_message_file(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".eml" || extension == ".txt" || extension == ".msg";
}

using CorpusTest = ContentTest;

TEST_F(CorpusTest, EveryCorpusMessageYieldsFacts) {
  const std::filesystem::path directory = corpus_directory();
  std::error_code error;
  if (directory.empty() || !std::filesystem::is_directory(directory, error)) {
    GTEST_SKIP() << "no corpus at " << directory;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file() && is_message_file(entry.path())) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  std::size_t parsed = 0, too_large = 0, parts = 0, attachments = 0, segments = 0;
  std::size_t smime = 0, pgp = 0, with_defects = 0, fact_records = 0, encrypted_parts = 0;
  std::map<std::string, std::size_t> uninspectable_by_reason;
  const ContentLimits limits;
  for (const auto& file : files) {
    const auto started = std::chrono::steady_clock::now();
    const Result<MessageFacts> facts = extract(read_file(file), SpoolMode::memory, limits);
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    EXPECT_LE(static_cast<std::size_t>(elapsed.count()), limits.time_budget_ms)
        << file.filename() << " took " << elapsed.count() << " ms";
    if (!facts.ok()) {
      EXPECT_NE(facts.error().message.find("exceeds the content size limit"), std::string::npos)
          << file.filename() << ": " << facts.error().message;
      ++too_large;
      continue;
    }
    ++parsed;
    parts += facts->part_count;
    fact_records += facts->parts.size();
    for (const PartFact& part : facts->parts) {
      if (part.has(PartFlag::attachment)) ++attachments;
      if (part.has(PartFlag::encrypted)) ++encrypted_parts;
      if (part.has(PartFlag::uninspectable)) ++uninspectable_by_reason[part.uninspectable_reason];
    }
    segments += facts->segments.size();
    if (facts->encryption == EncryptionState::smime_enveloped) ++smime;
    if (facts->encryption == EncryptionState::pgp_mime_encrypted) ++pgp;
    if (!facts->defects.empty()) ++with_defects;
  }
  std::cout << "[ corpus   ] files=" << files.size() << " parsed=" << parsed
            << " too_large=" << too_large << " parts=" << parts << " segments=" << segments
            << " part_facts=" << fact_records << " attachments=" << attachments
            << " encrypted_parts=" << encrypted_parts << " smime_enveloped=" << smime
            << " pgp_mime_encrypted=" << pgp << " with_defects=" << with_defects << "\n";
  for (const auto& [reason, count] : uninspectable_by_reason) {
    std::cout << "[ corpus   ] uninspectable " << reason << ": " << count << "\n";
  }
}

}  // namespace
}  // namespace privmilter::testing
