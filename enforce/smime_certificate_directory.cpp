#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <system_error>

#include "privmilter/enforce.h"
#include "privmilter/envelope.h"
#include "privmilter/smime.h"
#include "privmilter/strings.h"
#include "smime_certificate.h"

namespace privmilter {
namespace {

using CertificateList = std::vector<std::shared_ptr<const Certificate>>;

bool is_certificate_file(const std::filesystem::path& path) {
  const std::string extension = ascii_lower(path.extension().string());
  return (extension == ".pem" || extension == ".crt") && path.filename().string().front() != '.';
}

// "client.example.pem" serves client.example; "bob.pem" names no domain.
std::string domain_named_by(const std::filesystem::path& file) {
  const std::string stem = ascii_lower(file.stem().string());
  const bool looks_like_domain = stem.find('.') != std::string::npos && stem.find('@') == std::string::npos &&
                                 stem.front() != '.' && stem.back() != '.';
  return looks_like_domain ? stem : std::string();
}

// Of the usable candidates the one valid longest, so that a renewed
// certificate wins over the one it replaces; the others' faults go to
// `reasons`.
std::shared_ptr<const Certificate> pick_usable(const CertificateList& candidates,
                                               std::chrono::system_clock::time_point now,
                                               std::vector<std::string>& reasons) {
  std::shared_ptr<const Certificate> best;
  for (const auto& candidate : candidates) {
    if (auto reason = unusable_reason(*candidate, now)) {
      reasons.push_back(candidate->describe() + ": " + *reason);
    } else if (!best || candidate->not_after() > best->not_after()) {
      best = candidate;
    }
  }
  return best;
}

void add_unique(CertificateList& list, const std::shared_ptr<const Certificate>& certificate) {
  if (std::find(list.begin(), list.end(), certificate) == list.end()) list.push_back(certificate);
}

}  // namespace

struct CertificateDirectory::Entries {
  std::size_t count = 0;
  std::map<std::string, CertificateList> by_address;  // lowercased address
  std::map<std::string, CertificateList> by_domain;   // lowercased domain
};

CertificateDirectory::CertificateDirectory() : entries_(std::make_unique<Entries>()) {}
CertificateDirectory::~CertificateDirectory() = default;
CertificateDirectory::CertificateDirectory(CertificateDirectory&&) noexcept = default;
CertificateDirectory& CertificateDirectory::operator=(CertificateDirectory&&) noexcept = default;

Result<CertificateDirectory> CertificateDirectory::load(const std::filesystem::path& directory) {
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    if (is_certificate_file(it->path()) && it->is_regular_file(error)) files.push_back(it->path());
  }
  if (error) return make_error("certificate directory " + directory.string() + ": " + error.message());
  // Load order decides nothing, but a stable order keeps logs comparable.
  std::sort(files.begin(), files.end());

  CertificateDirectory loaded;
  Entries& entries = *loaded.entries_;
  for (const auto& file : files) {
    auto certificates = read_certificates(file);
    if (!certificates) return certificates.error();
    const std::string domain = domain_named_by(file);
    for (const auto& certificate : *certificates) {
      entries.count += 1;
      for (const std::string& address : certificate->addresses()) {
        add_unique(entries.by_address[ascii_lower(address)], certificate);
      }
      if (certificate->addresses().empty()) {
        if (domain.empty()) {
          spdlog::warn("{}: names no e-mail address and the file is not named after a domain; it serves nobody",
                       certificate->describe());
        } else {
          add_unique(entries.by_domain[domain], certificate);
        }
      }
    }
  }
  return loaded;
}

Result<std::shared_ptr<const Certificate>> CertificateDirectory::find(
    std::string_view address, std::chrono::system_clock::time_point now) const {
  if (!entries_) return make_error("no certificate for " + std::string(address) + ": the directory is not loaded");
  std::vector<std::string> reasons;
  if (const auto found = entries_->by_address.find(ascii_lower(address)); found != entries_->by_address.end()) {
    if (auto certificate = pick_usable(found->second, now, reasons)) return certificate;
  }
  const std::string domain = domain_of(address);
  if (const auto found = entries_->by_domain.find(domain); !domain.empty() && found != entries_->by_domain.end()) {
    if (auto certificate = pick_usable(found->second, now, reasons)) return certificate;
  }
  if (reasons.empty()) return make_error("no certificate for " + std::string(address));
  std::string message = "no usable certificate for " + std::string(address) + ": ";
  for (std::size_t index = 0; index < reasons.size(); ++index) {
    if (index > 0) message += "; ";
    message += reasons[index];
  }
  return make_error(std::move(message));
}

std::size_t CertificateDirectory::size() const { return entries_ ? entries_->count : 0; }

Result<std::shared_ptr<const Certificate>> load_certificate_file(const std::filesystem::path& path) {
  auto certificates = read_certificates(path);
  if (!certificates) return certificates.error();
  if (certificates->size() > 1) {
    return make_error(path.string() + ": holds " + std::to_string(certificates->size()) +
                      " certificates where one is expected");
  }
  return certificates->front();
}

Result<SmimeContext> load_smime_context(const SmimeSettings& settings) {
  SmimeContext context;
  if (settings.certificates) {
    auto directory = CertificateDirectory::load(*settings.certificates);
    if (!directory) return directory.error();
    context.certificates = std::move(*directory);
  }
  if (settings.escrow_certificate) {
    auto escrow = load_certificate_file(*settings.escrow_certificate);
    if (!escrow) return make_error("escrow certificate: " + escrow.error().message);
    // Dates are checked per message; a key that can never be encrypted to
    // is a configuration error now.
    if (auto reason = unusable_reason(**escrow, (*escrow)->not_before())) {
      return make_error("escrow certificate " + (*escrow)->describe() + ": " + *reason);
    }
    context.escrow = std::move(*escrow);
  }
  return context;
}

}  // namespace privmilter
