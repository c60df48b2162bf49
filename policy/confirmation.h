#pragma once
// The sender's override of a reject_unless_confirmed rule: the message is
// resent with "[confirmed: short justification]" in the subject. The tag is
// read here, recorded in the verdict and stripped before delivery.

#include <optional>
#include <string>
#include <string_view>

namespace privmilter {

struct FoundConfirmation {
  std::string justification;     // trimmed, as the sender wrote it
  std::string subject_without;   // the subject with the tag removed
};

// `tag` is the policy's word ("confirmed"), matched case-insensitively.
// A justification shorter than `min_justification` characters is not a
// confirmation: the point is that the sender says why.
std::optional<FoundConfirmation> find_confirmation(std::string_view subject, std::string_view tag,
                                                   std::size_t min_justification);

// "[confirmed: <reason>]", for the instructions in the reply.
std::string confirmation_example(std::string_view tag);

}  // namespace privmilter
