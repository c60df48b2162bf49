#pragma once
// Reading one entry of `rules:`: its conditions, action and the action's
// settings (headers and subject prefix, reply, gateway, encrypt fallback,
// notification).
// Throws PolicySyntaxError (yaml_reader.h).

#include <yaml-cpp/yaml.h>

#include "compiled_policy.h"
#include "condition_parser.h"

namespace privmilter {

Rule parse_rule(const YAML::Node& node, ConditionContext& context);

}  // namespace privmilter
