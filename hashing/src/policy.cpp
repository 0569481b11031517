#include "plumbline/hashing/policy.h"

#include <algorithm>

namespace plumbline::hashing {
namespace {

Error PolicyError(std::string_view key, std::string_view what) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "policy: " + std::string(key) + ": " + std::string(what));
}

Status ReadString(const Value& v, std::string_view key, std::string& out) {
  if (!v.is_string()) {
    return PolicyError(key, "expected a string");
  }
  out = v.text();
  return Status::Ok();
}

Status ReadBool(const Value& v, std::string_view key, bool& out) {
  if (!v.is_bool()) {
    return PolicyError(key, "expected true or false");
  }
  out = v.bool_value();
  return Status::Ok();
}

Status ReadStrings(const Value& v, std::string_view key, std::vector<std::string>& out) {
  if (v.is_null()) {
    out.clear();
    return Status::Ok();
  }
  if (!v.is_array()) {
    return PolicyError(key, "expected a list of strings");
  }
  out.clear();
  for (const auto& item : v.items()) {
    if (!item.is_string()) {
      return PolicyError(key, "expected a list of strings");
    }
    out.push_back(item.text());
  }
  return Status::Ok();
}

Status CheckKeys(const Value& v, std::string_view where,
                 std::initializer_list<std::string_view> allowed) {
  if (!v.is_object()) {
    return PolicyError(where, "expected a mapping");
  }
  for (const auto& [k, child] : v.members()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      return PolicyError(std::string(where) + (where.empty() ? "" : ".") + k, "unknown key");
    }
  }
  return Status::Ok();
}

Result<IgnoreRule> ReadIgnoreRule(const Value& v, const std::string& where) {
  PLUMBLINE_RETURN_IF_ERROR(CheckKeys(v, where,
                                      {"group", "kind", "name", "namespace", "jsonPointers",
                                       "jqPathExpressions", "managedFieldsManagers"}));
  IgnoreRule rule;
  for (const auto& [k, child] : v.members()) {
    const std::string key = where + "." + k;
    if (k == "group") {
      PLUMBLINE_RETURN_IF_ERROR(ReadString(child, key, rule.group));
    } else if (k == "kind") {
      PLUMBLINE_RETURN_IF_ERROR(ReadString(child, key, rule.kind));
    } else if (k == "name") {
      PLUMBLINE_RETURN_IF_ERROR(ReadString(child, key, rule.name));
    } else if (k == "namespace") {
      PLUMBLINE_RETURN_IF_ERROR(ReadString(child, key, rule.namespace_));
    } else if (k == "jsonPointers") {
      PLUMBLINE_RETURN_IF_ERROR(ReadStrings(child, key, rule.json_pointers));
      for (const auto& p : rule.json_pointers) {
        if (!p.empty() && p.front() != '/') {
          return PolicyError(key, "JSON pointer must start with '/': " + p);
        }
      }
    } else if (k == "jqPathExpressions") {
      PLUMBLINE_RETURN_IF_ERROR(ReadStrings(child, key, rule.jq_path_expressions));
    } else if (k == "managedFieldsManagers") {
      PLUMBLINE_RETURN_IF_ERROR(ReadStrings(child, key, rule.managed_fields_managers));
    }
  }
  return rule;
}

Result<CustomList> ReadCustomList(const Value& v, const std::string& where) {
  PLUMBLINE_RETURN_IF_ERROR(CheckKeys(v, where, {"group", "kind", "path", "type", "keys"}));
  CustomList list;
  for (const auto& [k, child] : v.members()) {
    const std::string key = where + "." + k;
    if (k == "group") {
      PLUMBLINE_RETURN_IF_ERROR(ReadString(child, key, list.group));
    } else if (k == "kind") {
      PLUMBLINE_RETURN_IF_ERROR(ReadString(child, key, list.kind));
    } else if (k == "path") {
      PLUMBLINE_RETURN_IF_ERROR(ReadString(child, key, list.path));
    } else if (k == "type") {
      PLUMBLINE_RETURN_IF_ERROR(ReadString(child, key, list.type));
      if (list.type != "atomic" && list.type != "set" && list.type != "map") {
        return PolicyError(key, "expected atomic, set or map");
      }
    } else if (k == "keys") {
      PLUMBLINE_RETURN_IF_ERROR(ReadStrings(child, key, list.keys));
    }
  }
  if (list.kind.empty() || list.path.empty()) {
    return PolicyError(where, "kind and path are required");
  }
  if (list.type == "map" && list.keys.empty()) {
    return PolicyError(where, "a map list needs keys");
  }
  return list;
}

}  // namespace

ManagerClass Policy::Classify(std::string_view manager) const {
  for (const auto& m : system) {
    if (GlobMatch(m, manager)) {
      return ManagerClass::kSystem;
    }
  }
  for (const auto& m : appliers) {
    if (GlobMatch(m, manager)) {
      return ManagerClass::kApplier;
    }
  }
  return ManagerClass::kHuman;
}

Result<Policy> MergePolicy(Policy policy, const Value& doc) {
  if (doc.is_null()) {
    return policy;
  }
  PLUMBLINE_RETURN_IF_ERROR(CheckKeys(doc, "",
                                      {"managers", "tracking", "orphans", "ignore", "quantityPaths",
                                       "sensitivePaths", "normalization", "lists"}));
  for (const auto& [k, v] : doc.members()) {
    if (k == "managers") {
      PLUMBLINE_RETURN_IF_ERROR(CheckKeys(v, "managers", {"appliers", "system"}));
      if (const Value* a = v.Find("appliers")) {
        PLUMBLINE_RETURN_IF_ERROR(ReadStrings(*a, "managers.appliers", policy.appliers));
      }
      if (const Value* s = v.Find("system")) {
        PLUMBLINE_RETURN_IF_ERROR(ReadStrings(*s, "managers.system", policy.system));
      }
    } else if (k == "tracking") {
      PLUMBLINE_RETURN_IF_ERROR(CheckKeys(
          v, "tracking", {"annotation", "label", "value", "optOutAnnotation", "optOutValue"}));
      for (const auto& [tk, tv] : v.members()) {
        std::string* dst = tk == "annotation"         ? &policy.tracking_annotation
                           : tk == "label"            ? &policy.tracking_label
                           : tk == "value"            ? &policy.tracking_value
                           : tk == "optOutAnnotation" ? &policy.opt_out_annotation
                                                      : &policy.opt_out_value;
        PLUMBLINE_RETURN_IF_ERROR(ReadString(tv, "tracking." + tk, *dst));
      }
    } else if (k == "orphans") {
      PLUMBLINE_RETURN_IF_ERROR(CheckKeys(v, "orphans", {"enabled", "namespaces", "exceptions"}));
      if (const Value* e = v.Find("enabled")) {
        PLUMBLINE_RETURN_IF_ERROR(ReadBool(*e, "orphans.enabled", policy.orphans_enabled));
      }
      if (const Value* n = v.Find("namespaces")) {
        PLUMBLINE_RETURN_IF_ERROR(ReadStrings(*n, "orphans.namespaces", policy.orphan_namespaces));
      }
      if (const Value* x = v.Find("exceptions")) {
        PLUMBLINE_RETURN_IF_ERROR(ReadStrings(*x, "orphans.exceptions", policy.orphan_exceptions));
      }
    } else if (k == "ignore") {
      if (!v.is_array() && !v.is_null()) {
        return PolicyError("ignore", "expected a list of rules");
      }
      policy.ignore.clear();
      for (std::size_t i = 0; i < v.items().size(); ++i) {
        auto rule = ReadIgnoreRule(v.items()[i], "ignore[" + std::to_string(i) + "]");
        if (!rule) {
          return rule.error();
        }
        policy.ignore.push_back(std::move(*rule));
      }
    } else if (k == "quantityPaths") {
      PLUMBLINE_RETURN_IF_ERROR(ReadStrings(v, "quantityPaths", policy.quantity_paths));
    } else if (k == "sensitivePaths") {
      PLUMBLINE_RETURN_IF_ERROR(ReadStrings(v, "sensitivePaths", policy.sensitive_paths));
    } else if (k == "normalization") {
      PLUMBLINE_RETURN_IF_ERROR(
          CheckKeys(v, "normalization", {"droppedAnnotations", "droppedLabels"}));
      if (const Value* a = v.Find("droppedAnnotations")) {
        PLUMBLINE_RETURN_IF_ERROR(
            ReadStrings(*a, "normalization.droppedAnnotations", policy.dropped_annotations));
      }
      if (const Value* l = v.Find("droppedLabels")) {
        PLUMBLINE_RETURN_IF_ERROR(
            ReadStrings(*l, "normalization.droppedLabels", policy.dropped_labels));
      }
    } else if (k == "lists") {
      if (!v.is_array() && !v.is_null()) {
        return PolicyError("lists", "expected a list");
      }
      policy.lists.clear();
      for (std::size_t i = 0; i < v.items().size(); ++i) {
        auto list = ReadCustomList(v.items()[i], "lists[" + std::to_string(i) + "]");
        if (!list) {
          return list.error();
        }
        policy.lists.push_back(std::move(*list));
      }
    }
  }
  policy.list_semantics.clear();
  for (const auto& list : policy.lists) {
    ListSemantics sem;
    sem.type = list.type == "map"   ? ListType::kMap
               : list.type == "set" ? ListType::kSet
                                    : ListType::kAtomic;
    sem.keys = list.keys;
    policy.list_semantics.push_back(std::move(sem));
  }
  // The tracking annotation is a marker, never configuration: keep it out of comparisons.
  if (!policy.tracking_annotation.empty() &&
      std::find(policy.dropped_annotations.begin(), policy.dropped_annotations.end(),
                policy.tracking_annotation) == policy.dropped_annotations.end()) {
    policy.dropped_annotations.push_back(policy.tracking_annotation);
  }
  return policy;
}

Result<Policy> ParsePolicy(const Value& doc) { return MergePolicy(Policy{}, doc); }

}  // namespace plumbline::hashing
