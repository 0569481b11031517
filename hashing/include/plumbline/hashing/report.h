// Rendering verdicts for people and programs: the `plumbline diff -o json` document and the
// text report. Stateless; any thread.
#pragma once

#include <string>

#include "plumbline/hashing/evaluate.h"
#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

// One resource as in the diff command's JSON contract (docs/diff-output.md).
Value VerdictToValue(const Verdict& v);
// {"resources": [...], "summary": {...}}
Value EvaluationToValue(const Evaluation& e);
// Human-readable report: one line per resource, then paths, owners and the diff per drift.
std::string EvaluationToText(const Evaluation& e);

}  // namespace plumbline::hashing
