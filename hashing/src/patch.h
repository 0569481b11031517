// JSON Patch (RFC 6902) and unified diff for drifted resources. Private to hashing/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

// One drifted path found by the walker.
struct DriftRecord {
  std::string pointer;      // reported path (live, or Git when absent live)
  std::string git_pointer;  // the same place in the normalized Git object ("-" for new items)
  std::string op;           // replace | add | remove
  std::optional<Actor> actor;
  std::optional<Value> value;  // the live value, secrets masked
  bool live_only = false;
};

// Applies the drifts to a copy of the normalized target, emitting RFC 6902 operations that are
// valid on that object (parents created as needed), and renders the unified diff between the
// target and the resulting live view.
void BuildPatchAndDiff(const Value& target, const std::vector<DriftRecord>& drifts,
                       std::vector<PatchOp>& patch, std::string& diff);

// A diff where the whole object is added (orphan, extraneous) or removed (missing).
std::string WholeObjectDiff(const Value& object, bool added);

// Unified diff of two texts, 3 lines of context, "--- git" / "+++ live" headers.
std::string UnifiedDiff(const std::string& before, const std::string& after);

}  // namespace plumbline::hashing
