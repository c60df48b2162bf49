#pragma once
// Carrying out a verdict: the enforcer turns a Verdict into MTA edits plus
// the side effects that go with it (quarantine, S/MIME, notification,
// audit record).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "privmilter/audit.h"
#include "privmilter/config.h"
#include "privmilter/envelope.h"
#include "privmilter/mta_edits.h"
#include "privmilter/notify.h"
#include "privmilter/quarantine.h"
#include "privmilter/result.h"
#include "privmilter/smime.h"
#include "privmilter/spool.h"
#include "privmilter/verdict.h"

namespace privmilter {

// A unique, unguessable id for a decision: "20261128T163301Z-9f2c41d07a3be815".
// Quoted to senders in replies and notifications, and keys the quarantine.
std::string make_reference_id(std::chrono::system_clock::time_point now);

// The certificates encryption uses; part of the reloadable configuration.
struct SmimeContext {
  std::optional<CertificateDirectory> certificates;  // absent: every encrypt takes its fallback
  std::shared_ptr<const Certificate> escrow;         // may be null
};

// Loads the certificate directory and escrow certificate the settings name
// (either may be absent). An unreadable file, or an escrow certificate no
// mail can be encrypted to, is an error naming the file.
Result<SmimeContext> load_smime_context(const SmimeSettings& settings);

// What the enforcer needs that may change on reload.
struct EnforcementContext {
  const SmimeContext* smime = nullptr;
  const NotifySettings* notify = nullptr;
  std::string firm_name;
};

// Why the verdict could not be carried out; the message is then deferred
// (a completed quarantine stands).
enum class EnforcementFailure {
  none,
  quarantine_write,  // the message to hold could not be stored
  audit_write,       // the decision could not be recorded
  enforcement,       // anything else: an encrypt fallback without a gateway, an exception
};

struct EnforcementResult {
  MtaEdits edits;
  std::string reference;
  std::string quarantine_id;  // set when the message was quarantined
  EnforcementFailure failure = EnforcementFailure::none;
};

// Never throws and never loses a message: when a side effect that protects
// the message (quarantine, audit) fails, the result is a tempfail.
class Enforcer {
 public:
  Enforcer(QuarantineStore& quarantine, AuditLog& audit, NotificationSink* notifier = nullptr)
      : quarantine_(quarantine), audit_(audit), notifier_(notifier) {}

  EnforcementResult enforce(const Envelope& envelope, const Verdict& verdict, const MessageSpool& message,
                            std::chrono::system_clock::time_point now,
                            const EnforcementContext& context = {}) const;

  QuarantineStore& quarantine() const { return quarantine_; }
  AuditLog& audit() const { return audit_; }

 private:
  // Tells the sender and compliance, when the verdict asks for it, what
  // became of the message; a failure is logged and changes nothing.
  void notify(const Envelope& envelope, const Verdict& verdict, const EnforcementResult& result,
              const std::string& outcome, const EnforcementContext& context) const;

  QuarantineStore& quarantine_;
  AuditLog& audit_;
  NotificationSink* notifier_;
};

}  // namespace privmilter
