#include "confirmation.h"

#include "privmilter/strings.h"

namespace privmilter {

std::optional<FoundConfirmation> find_confirmation(std::string_view subject, std::string_view tag,
                                                   std::size_t min_justification) {
  const std::string lower = ascii_lower(subject);
  const std::string opening = "[" + ascii_lower(tag) + ":";
  const std::size_t start = lower.find(opening);
  if (start == std::string::npos) return std::nullopt;
  const std::size_t close = subject.find(']', start + opening.size());
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view justification =
      trim(subject.substr(start + opening.size(), close - start - opening.size()));
  if (justification.size() < min_justification) return std::nullopt;

  std::string rest(subject.substr(0, start));
  std::string_view after = subject.substr(close + 1);
  // "Re: [confirmed: x] Draft" becomes "Re: Draft", not "Re:  Draft".
  if (!rest.empty() && rest.back() == ' ') {
    while (!after.empty() && after.front() == ' ') after.remove_prefix(1);
  }
  rest.append(after);
  return FoundConfirmation{std::string(justification), std::string(trim(rest))};
}

std::string confirmation_example(std::string_view tag) { return "[" + std::string(tag) + ": <reason>]"; }

}  // namespace privmilter
