#pragma once
// Reading the conditions about the people and matters of a message rather
// than its content: recipient classes, the sender, matter numbers and the
// sender's subject tags. Each throws PolicySyntaxError (yaml_reader.h).

#include <yaml-cpp/yaml.h>

#include "compiled_policy.h"
#include "condition_parser.h"

namespace privmilter {

RecipientCondition parse_recipient_condition(const YAML::Node& node, const ConditionContext& context);
SenderCondition parse_sender_condition(const YAML::Node& node, ConditionContext& context);
MatterCondition parse_matter_condition(const YAML::Node& node, const ConditionContext& context);
SubjectTagCondition parse_subject_tag_condition(const YAML::Node& node);

}  // namespace privmilter
