#pragma once
// The messages the daemon tests send most: an ordinary external one, one
// marked privileged (the shipped policy quarantines it) and one with an
// SSN (rejected).

namespace privmilter::integration {

constexpr const char* kOrdinary =
    "From: Alice <alice@examplelaw.com>\n"
    "To: Bob <bob@client.example>\n"
    "Subject: Lunch\n"
    "\n"
    "Are you free on Friday?\n";

constexpr const char* kPrivileged =
    "From: Alice <alice@examplelaw.com>\n"
    "To: Bob <bob@client.example>\n"
    "Subject: Draft settlement\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "PRIVILEGED & CONFIDENTIAL\n"
    "ATTORNEY-CLIENT COMMUNICATION\n"
    "\n"
    "Our position on the settlement figure is as follows.\n";

constexpr const char* kSsn =
    "From: Alice <alice@examplelaw.com>\n"
    "To: Bob <bob@client.example>\n"
    "Subject: Form details\n"
    "\n"
    "The claimant's number is 123-45-6789.\n";

}  // namespace privmilter::integration
