// Evaluating a whole target set against a whole live set: pairing by identity, HPA context,
// missing / extraneous / orphan objects. This is the code path of `plumbline diff` (and of the
// test corpus); the agent drives Engine directly per event with the same rules.
// Stateless; any thread.
#pragma once

#include <string>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/hashing/engine.h"
#include "plumbline/hashing/policy.h"
#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

struct EvaluationSummary {
  std::size_t resources = 0;
  std::size_t in_sync = 0;
  std::size_t modified = 0;
  std::size_t missing = 0;
  std::size_t extraneous = 0;
  std::size_t orphan = 0;
  std::size_t suppressed = 0;  // suppressed differences (ignore rules)
};

struct Evaluation {
  std::vector<Verdict> verdicts;  // every target, then drifted live-only objects; sorted by key
  EvaluationSummary summary;
};

// `live` are raw live objects (as the API server returns them). Two live objects with the same
// identity are an error. Targets must have unique identities (checked).
Result<Evaluation> EvaluateSet(const std::vector<Target>& targets, const std::vector<Value>& live,
                               const Policy& policy, const SecretHasher& hasher);

// Identities of the workloads that an HorizontalPodAutoscaler in `live` scales
// (spec.scaleTargetRef), as ResourceId::Key() strings.
std::vector<std::string> HpaScaledKeys(const std::vector<Value>& live);

}  // namespace plumbline::hashing
