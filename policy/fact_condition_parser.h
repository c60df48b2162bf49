#pragma once
// Reading the conditions over what content extraction found out about a
// message rather than its text: attachment properties, inspectability,
// protection and size. Each throws PolicySyntaxError (yaml_reader.h).

#include <yaml-cpp/yaml.h>

#include "compiled_policy.h"

namespace privmilter {

AttachmentCondition parse_attachment_condition(const YAML::Node& node);
UninspectableCondition parse_uninspectable_condition(const YAML::Node& node);
ProtectionCondition parse_protection_condition(const YAML::Node& node);
SizeCondition parse_size_condition(const YAML::Node& node);

}  // namespace privmilter
