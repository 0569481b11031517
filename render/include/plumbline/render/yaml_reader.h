// YAML reader: turns manifest text into hashing::Value documents exactly the way kubectl reads it
// (apimachinery's YAMLReader splits the stream on "---" lines, then sigs.k8s.io/yaml converts each
// part with go-yaml v2, YAML 1.1 scalar resolution, into JSON). Syntax is checked by libyaml.
// Stateless and re-entrant: any thread may call ParseYamlStream on its own input.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"

namespace plumbline::render {

// Bounds on untrusted input. Exceeding any of them fails with ErrorCode::kLimitExceeded.
struct YamlLimits {
  std::size_t max_bytes = 64U << 20;  // input size
  // YAML nodes (keys included) after alias expansion, summed over the whole stream. Checked
  // before anything is copied, so an alias bomb fails at its first oversized alias.
  std::size_t max_nodes = 2'000'000;
  // Nested mappings/sequences, counting levels reached through aliases. The decoder recurses
  // once per level, so this also bounds stack use.
  std::size_t max_depth = 256;
};

struct YamlDocument {
  hashing::Value value;  // null for an empty document (only comments or blank lines)
  int line = 0;          // 1-based line of the document's first node (or first line if empty)
};

// Parses a multi-document YAML stream: one YamlDocument per part between "---" separator lines
// (like kubectl, a part that holds no node comes back as a null Value; callers skip those). As in
// kubectl, only the first document of a part is read: text after a "..." end marker that is not
// followed by a "---" line is ignored. Errors (kInvalidArgument for bad YAML, kLimitExceeded for
// the limits above) are one line and start with "line N: " (1-based, counted in the whole
// stream), e.g. "line 7: mapping values are not allowed in this context". Never throws.
Result<std::vector<YamlDocument>> ParseYamlStream(std::string_view text,
                                                  const YamlLimits& limits = {});

}  // namespace plumbline::render
