// Extraction throughput in MB/s of raw message input, on a mixed set of
// generated messages and on single large attachments. Also reports how much
// the peak resident set grew while a benchmark ran.

#include <archive.h>
#include <archive_entry.h>
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_base64.h"
#include "privmilter/content.h"
#include "privmilter/spool.h"

namespace {

using privmilter::ContentLimits;
using privmilter::MessageSpool;

// Varied prose, so that compression and text handling do realistic work.
std::string prose(std::size_t bytes) {
  static const std::vector<std::string> kSentences = {
      "The parties agree that the settlement amount remains confidential. ",
      "Counsel will circulate a revised draft of the indemnity clause by Friday. ",
      "Please treat this memorandum as privileged and do not forward it outside the firm. ",
      "The board approved the acquisition subject to regulatory clearance in three jurisdictions. ",
      "Invoice 4471 covers the review of 1,284 documents produced in discovery. "};
  std::string text;
  for (std::size_t i = 0; text.size() < bytes; ++i) {
    text += kSentences[(i * 7 + i / 5) % kSentences.size()];
    if (i % 6 == 5) text += "\r\n";
  }
  text.resize(bytes);
  return text;
}

struct ArchiveDeleter {
  void operator()(archive* handle) const { archive_write_free(handle); }
};

std::string zip_of(const std::vector<std::pair<std::string, std::string>>& members) {
  std::unique_ptr<archive, ArchiveDeleter> writer(archive_write_new());
  archive_write_set_format_zip(writer.get());
  std::size_t capacity = 4096;  // stored members at worst, plus headers
  for (const auto& [name, content] : members) capacity += content.size() + 2 * name.size() + 256;
  std::vector<char> buffer(capacity);
  std::size_t used = 0;
  if (archive_write_open_memory(writer.get(), buffer.data(), buffer.size(), &used) != ARCHIVE_OK) {
    throw std::runtime_error("archive_write_open_memory failed");
  }
  for (const auto& [name, content] : members) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_write_header(writer.get(), entry.get());
    archive_write_data(writer.get(), content.data(), content.size());
  }
  archive_write_close(writer.get());
  return std::string(buffer.data(), used);
}

std::string docx_of(const std::string& text) {
  const std::string content_types =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Override PartName=\"/word/document.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
  std::string body;
  for (std::size_t i = 0; i < text.size(); i += 400) body += "<w:p><w:r><w:t>" + text.substr(i, 400) + "</w:t></w:r></w:p>";
  const std::string document =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document "
      "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>" +
      body + "</w:body></w:document>";
  return zip_of({{"[Content_Types].xml", content_types}, {"word/document.xml", document}});
}

std::string pdf_of(const std::string& line) {
  const std::string content = "BT /F1 12 Tf 72 720 Td (" + line + ") Tj ET";
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream"};
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t n = 0; n < objects.size(); ++n) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(n + 1) + " 0 obj\n" + objects[n] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 6\n0000000000 65535 f \n";
  for (std::size_t offset : offsets) {
    char entry[21];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", offset);
    pdf += entry;
  }
  return pdf + "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
}

std::string message(const std::string& body_type, const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& attachments = {}) {
  std::string raw =
      "From: alice@examplelaw.com\r\nTo: bob@client.example\r\nSubject: Matter 2291 update\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: " +
      body_type + "; charset=utf-8\r\n\r\n" + body + "\r\n";
  for (const auto& [name, bytes] : attachments) {
    raw += "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"" + name +
           "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + privmilter::bench::base64_lines(bytes);
  }
  return raw + "--b--\r\n";
}

std::vector<std::string> mixed_messages() {
  const std::string paragraph = prose(3000);
  std::string html = "<html><head><style>p{margin:0}</style></head><body>";
  for (std::size_t i = 0; i < paragraph.size(); i += 300) html += "<p>" + paragraph.substr(i, 300) + "</p>";
  html += "</body></html>";
  return {
      message("text/plain", prose(2000)),
      message("text/plain", prose(12000)),
      message("text/html", html),
      message("text/plain", prose(800), {{"memo.docx", docx_of(prose(20000))}}),
      message("text/plain", prose(800), {{"bundle.zip", zip_of({{"a.txt", prose(30000)}, {"b.csv", prose(10000)}})}}),
      message("text/plain", prose(800), {{"brief.pdf", pdf_of("Privileged and confidential settlement brief")}}),
  };
}

long peak_rss_kilobytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

long current_rss_kilobytes() {
  long pages = 0;
  long resident = 0;
  if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(statm);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

void run_extraction(benchmark::State& state, const std::vector<std::string>& messages) {
  const ContentLimits limits;
  const std::filesystem::path spool_directory = std::filesystem::temp_directory_path();
  std::size_t bytes = 0;
  // Peak over the resident set at the start: an upper bound on what
  // extraction added, since the peak may date from building the inputs.
  const long rss_before = current_rss_kilobytes();
  for (auto _ : state) {
    for (const std::string& raw : messages) {
      MessageSpool spool(spool_directory, raw.size() + 1);
      if (!spool.append(raw).ok()) {
        state.SkipWithError("cannot spool the message");
        return;
      }
      auto facts = privmilter::extract_facts(spool, limits);
      if (!facts.ok()) {
        state.SkipWithError("extraction failed");
        return;
      }
      benchmark::DoNotOptimize(facts->segments.data());
      bytes += raw.size();
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["messages"] = static_cast<double>(messages.size());
  std::size_t input = 0;
  for (const std::string& raw : messages) input += raw.size();
  state.counters["input_MB"] = static_cast<double>(input) / (1 << 20);
  state.counters["peak_rss_growth_MB"] = static_cast<double>(std::max(0L, peak_rss_kilobytes() - rss_before)) / 1024.0;
}

void BM_MixedMessages(benchmark::State& state) {
  static const std::vector<std::string> messages = mixed_messages();
  run_extraction(state, messages);
}
BENCHMARK(BM_MixedMessages)->Unit(benchmark::kMillisecond);

void BM_LargeTextAttachment(benchmark::State& state) {
  static const std::vector<std::string> messages = {
      message("text/plain", "See the attached log.", {{"export.txt", prose(20u << 20)}})};
  run_extraction(state, messages);
}
BENCHMARK(BM_LargeTextAttachment)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_LargeZipAttachment(benchmark::State& state) {
  static const std::vector<std::string> messages = {
      message("text/plain", "See the attached archive.", {{"export.zip", zip_of({{"export.txt", prose(20u << 20)}})}})};
  run_extraction(state, messages);
}
BENCHMARK(BM_LargeZipAttachment)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

BENCHMARK_MAIN();
