#include "plumbline/hashing/report.h"

namespace plumbline::hashing {
namespace {

Value ActorToValue(const std::optional<Actor>& actor) {
  if (!actor) {
    return Value::Null();
  }
  Value a = Value::MakeObject();
  a.Set("manager", Value::String(actor->manager));
  a.Set("operation", Value::String(actor->operation));
  a.Set("time", Value::String(actor->time));
  if (!actor->subresource.empty()) {
    a.Set("subresource", Value::String(actor->subresource));
  }
  return a;
}

Value StringOrNull(std::string_view s) {
  return s.empty() ? Value::Null() : Value::String(std::string(s));
}

}  // namespace

Value VerdictToValue(const Verdict& v) {
  Value r = Value::MakeObject();
  r.Set("group", Value::String(v.id.group));
  r.Set("version", Value::String(v.id.version));
  r.Set("kind", Value::String(v.id.kind));
  r.Set("namespace", Value::String(v.id.namespace_));
  r.Set("name", Value::String(v.id.name));
  r.Set("verdict", Value::String(v.drifted() ? "drifted" : "in_sync"));
  r.Set("drift_kind", StringOrNull(DriftKindName(v.kind)));
  Value paths = Value::MakeArray();
  for (const auto& p : v.paths) {
    Value entry = Value::MakeObject();
    entry.Set("path", Value::String(p.pointer));
    entry.Set("actor", ActorToValue(p.actor));
    paths.items().push_back(std::move(entry));
  }
  r.Set("paths", std::move(paths));
  Value suppressed = Value::MakeArray();
  for (const auto& s : v.suppressed) {
    suppressed.items().push_back(Value::String(s));
  }
  r.Set("suppressed", std::move(suppressed));
  Value patch = Value::MakeArray();
  for (const auto& op : v.patch) {
    Value o = Value::MakeObject();
    o.Set("op", Value::String(op.op));
    o.Set("path", Value::String(op.path));
    if (op.value) {
      o.Set("value", *op.value);
    }
    patch.items().push_back(std::move(o));
  }
  r.Set("patch", std::move(patch));
  r.Set("diff", Value::String(v.diff));
  r.Set("uid", StringOrNull(v.uid));
  r.Set("resource_version", StringOrNull(v.resource_version));
  r.Set("restarted_at", StringOrNull(v.restarted_at));
  return r;
}

Value EvaluationToValue(const Evaluation& e) {
  Value doc = Value::MakeObject();
  Value resources = Value::MakeArray();
  for (const auto& v : e.verdicts) {
    resources.items().push_back(VerdictToValue(v));
  }
  doc.Set("resources", std::move(resources));
  Value s = Value::MakeObject();
  const auto n = [](std::size_t x) { return Value::Uint(x); };
  s.Set("resources", n(e.summary.resources));
  s.Set("in_sync", n(e.summary.in_sync));
  s.Set("drifted", n(e.summary.resources - e.summary.in_sync));
  s.Set("modified", n(e.summary.modified));
  s.Set("missing", n(e.summary.missing));
  s.Set("extraneous", n(e.summary.extraneous));
  s.Set("orphan", n(e.summary.orphan));
  s.Set("suppressed", n(e.summary.suppressed));
  doc.Set("summary", std::move(s));
  return doc;
}

std::string EvaluationToText(const Evaluation& e) {
  std::string out;
  for (const auto& v : e.verdicts) {
    out += v.drifted() ? "DRIFTED  " : "in sync  ";
    out += v.id.DisplayName();
    if (v.drifted()) {
      out += "  (" + std::string(DriftKindName(v.kind)) + ")";
    }
    if (!v.restarted_at.empty()) {
      out += "  [info: rollout restart at " + v.restarted_at + "]";
    }
    out += '\n';
    for (const auto& p : v.paths) {
      out += "    " + (p.pointer.empty() ? std::string("(whole resource)") : p.pointer);
      if (p.actor) {
        out += "  by " + p.actor->manager + " (" + p.actor->operation;
        if (!p.actor->subresource.empty()) {
          out += ", /" + p.actor->subresource;
        }
        out += ") at " + p.actor->time;
      }
      out += '\n';
    }
    for (const auto& s : v.suppressed) {
      out += "    suppressed by ignore rule: " + s + '\n';
    }
    if (v.drifted() && !v.diff.empty()) {
      std::size_t start = 0;
      while (start < v.diff.size()) {
        std::size_t nl = v.diff.find('\n', start);
        if (nl == std::string::npos) {
          nl = v.diff.size();
        }
        out += "      " + v.diff.substr(start, nl - start) + '\n';
        start = nl + 1;
      }
    }
  }
  const auto& s = e.summary;
  out += std::to_string(s.resources) + " resources: " + std::to_string(s.in_sync) + " in sync, " +
         std::to_string(s.modified) + " modified, " + std::to_string(s.missing) + " missing, " +
         std::to_string(s.extraneous) + " extraneous, " + std::to_string(s.orphan) + " orphan";
  if (s.suppressed > 0) {
    out += ", " + std::to_string(s.suppressed) + " suppressed differences";
  }
  out += '\n';
  return out;
}

}  // namespace plumbline::hashing
