// Robustness over the shared third-party corpus: every message parses to
// facts (or hits the size limit), nothing crashes.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
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
  std::size_t smime = 0, pgp = 0, with_defects = 0;
  for (const auto& file : files) {
    const Result<MessageFacts> facts = extract(read_file(file));
    if (!facts.ok()) {
      EXPECT_NE(facts.error().message.find("exceeds the content size limit"), std::string::npos)
          << file.filename() << ": " << facts.error().message;
      ++too_large;
      continue;
    }
    ++parsed;
    parts += facts->part_count;
    attachments += facts->parts.size();
    segments += facts->segments.size();
    if (facts->encryption == EncryptionState::smime_enveloped) ++smime;
    if (facts->encryption == EncryptionState::pgp_mime_encrypted) ++pgp;
    if (!facts->defects.empty()) ++with_defects;
  }
  std::cout << "[ corpus   ] files=" << files.size() << " parsed=" << parsed
            << " too_large=" << too_large << " parts=" << parts << " segments=" << segments
            << " attachments=" << attachments << " smime_enveloped=" << smime
            << " pgp_mime_encrypted=" << pgp << " with_defects=" << with_defects << "\n";
}

}  // namespace
}  // namespace privmilter::testing
