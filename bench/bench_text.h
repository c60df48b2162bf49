#pragma once
// Deterministic message text for the policy benchmarks: words of legal
// prose, drawn either all alike (pseudo-English) or in proportions like
// prose's, with numbers and a few findings.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

namespace privmilter::bench {

// Deterministic, so every run scans the same text.
class Lcg {
 public:
  Lcg() = default;
  explicit Lcg(std::uint64_t seed) : state_(seed) {}

  std::uint32_t next(std::uint32_t bound) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::uint32_t>(state_ >> 33) % bound;
  }

 private:
  std::uint64_t state_ = 20240607;
};

inline const std::vector<std::string>& word_list() {
  static const std::vector<std::string> kWords = {
      "the", "of", "and", "to", "a", "in", "that", "is", "for", "on", "with", "as", "by", "this", "be", "at",
      "from", "or", "an", "we", "will", "not", "are", "have", "has", "been", "which", "any", "all", "their",
      "agreement", "parties", "counsel", "client", "court", "motion", "discovery", "deposition", "witness",
      "settlement", "draft", "review", "contract", "clause", "indemnity", "liability", "damages", "claim",
      "matter", "filing", "deadline", "hearing", "judge", "exhibit", "schedule", "payment", "invoice",
      "board", "meeting", "merger", "acquisition", "shares", "regulatory", "approval", "confidential",
      "memorandum", "attached", "please", "note", "revised", "version", "comments", "Friday", "Monday",
      "office", "team", "partner", "associate", "paralegal", "email", "call", "discuss", "question",
      "response", "request", "production", "documents", "privilege", "log", "redacted", "term", "sheet",
      "closing", "conditions", "tax", "opinion", "letter", "signature", "pages", "execution", "copy",
      "trust", "estate", "property", "lease", "tenant", "landlord", "employment", "policy", "notice",
      "period", "section", "paragraph", "subject", "provided", "however", "further", "accordance", "date",
      "within", "days", "thereof", "herein", "shall", "may", "must", "should", "would", "could", "there"};
  return kWords;
}

// Words in about the proportions of prose (Zipf's law: the n-th most
// common word n times rarer than the first): word_list() starts with the
// function words, so "the" is common and "confidential" is not (drawn all
// alike, as for the synthetic policies, every word is as common as "the").
class ZipfWords {
 public:
  explicit ZipfWords(const std::vector<std::string>& words) : words_(words) {
    double total = 0;
    for (std::size_t rank = 1; rank <= words.size(); ++rank) cumulative_.push_back(total += 1.0 / static_cast<double>(rank));
  }
  const std::string& pick(Lcg& random) const {
    constexpr std::uint32_t kResolution = 1 << 24;
    const double point = cumulative_.back() * random.next(kResolution) / kResolution;
    const auto found = std::upper_bound(cumulative_.begin(), cumulative_.end(), point);
    return words_[std::min(static_cast<std::size_t>(found - cumulative_.begin()), words_.size() - 1)];
  }

 private:
  const std::vector<std::string>& words_;
  std::vector<double> cumulative_;
};

// What an outgoing message's text looks like to the policy: paragraphs of
// business prose with dates, amounts, phone and section numbers (digits
// are what the identifier detectors look at), one privilege marking, one
// known matter number, one card number, and the firm's footer, which
// carries "privileged and confidential" and is ignored as a marking.
inline std::string realistic_text(std::size_t bytes, std::uint64_t seed) {
  const ZipfWords words(word_list());
  const std::vector<std::string> numbers = {"March 14, 2024", "$1,250,000.00", "(212) 555-0142", "Section 4.2(b)",
                                            "12:30 pm", "ext. 4471", "2023-11-30", "15%", "No. 3", "page 17 of 42",
                                            "+1 646 555 0199", "Q3 2024", "$48,500", "Exhibit 12"};
  const std::string footer =
      "\r\n--\r\nThis e-mail is from Example Law LLP and may contain privileged and\r\nconfidential information. "
      "If you are not the intended recipient, please notify the sender by reply and delete this message; do not "
      "copy, forward or disclose its contents.\r\n";
  const std::vector<std::string> findings = {"Re: Acme v. Globex, our matter 10042-0007.",
                                             "The retainer was paid with card 4111 1111 1111 1111 last week."};
  Lcg random(seed);
  std::string text = "PRIVILEGED AND CONFIDENTIAL\r\nATTORNEY WORK PRODUCT\r\n\r\nDear Ms. Doe,\r\n\r\n";
  const std::size_t body_bytes = bytes > footer.size() ? bytes - footer.size() : 0;
  std::size_t sentence = 0;
  std::size_t next_finding = 0;
  while (text.size() < body_bytes) {
    const std::uint32_t length = 8 + random.next(14);
    for (std::uint32_t i = 0; i < length; ++i) {
      std::string word = random.next(12) == 0 ? numbers[random.next(static_cast<std::uint32_t>(numbers.size()))]
                                              : words.pick(random);
      if (i == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
      text += word;
      text += (i + 1 == length) ? ". " : (random.next(10) == 0 ? ", " : " ");
    }
    ++sentence;
    // The findings early in the text, as in a real message, after a few
    // paragraphs of prose.
    if (next_finding < findings.size() && sentence == 6 * (next_finding + 1)) text += findings[next_finding++] + " ";
    if (sentence % 5 == 0) text += "\r\n\r\n";
  }
  text.resize(body_bytes);
  return text + footer;
}

}  // namespace privmilter::bench
