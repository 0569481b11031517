#include "plumbline/sim/server_side_apply.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "plumbline/hashing/json.h"

namespace plumbline::sim {

using hashing::ListSemantics;
using hashing::ListType;
using hashing::Value;

namespace {

constexpr std::string_view kApply = "Apply";
constexpr std::string_view kUpdate = "Update";
constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// ---------------------------------------------------------------------------------------------
// managedFields entries

// One managedFields entry, decoded. `wire` is the entry as it was read: unchanged entries are
// written back byte for byte.
struct Entry {
  std::string manager;
  std::string operation;
  std::string api_version;
  std::string subresource;
  std::optional<std::string> time;
  FieldSet fields;
  std::optional<Value> wire;
  bool changed = false;

  bool applied() const { return operation == kApply; }
};

using Managers = std::vector<Entry>;

// The manager identifier of kube's BuildManagerIdentifier: the entry without fields and time
// (and without apiVersion for appliers), as JSON.
std::string Identity(std::string_view manager, std::string_view operation,
                     std::string_view api_version, std::string_view subresource) {
  std::string out = "{\"manager\":";
  hashing::AppendJsonString(out, manager);
  out += ",\"operation\":";
  hashing::AppendJsonString(out, operation);
  if (operation != kApply && !api_version.empty()) {
    out += ",\"apiVersion\":";
    hashing::AppendJsonString(out, api_version);
  }
  if (!subresource.empty()) {
    out += ",\"subresource\":";
    hashing::AppendJsonString(out, subresource);
  }
  out.push_back('}');
  return out;
}

std::string Identity(const Entry& e) {
  return Identity(e.manager, e.operation, e.api_version, e.subresource);
}

Entry* FindEntry(Managers& managers, const std::string& identity) {
  for (Entry& e : managers) {
    if (Identity(e) == identity) {
      return &e;
    }
  }
  return nullptr;
}

const Value* ManagedFieldsOf(const Value& object) {
  const Value* meta = object.Find("metadata");
  return meta != nullptr ? meta->Find("managedFields") : nullptr;
}

void EraseManagedFields(Value& object) {
  if (Value* meta = object.Find("metadata"); meta != nullptr && meta->is_object()) {
    meta->Erase("managedFields");
  }
}

// kube's isResetManagedFields: a non-empty list of empty entries asks to clear managedFields.
bool IsReset(const Value& list) {
  if (!list.is_array() || list.items().empty()) {
    return false;
  }
  return std::all_of(list.items().begin(), list.items().end(),
                     [](const Value& e) { return e.is_object() && e.members().empty(); });
}

// kube's DecodeManagedFields: false (and nothing decoded) when any entry is invalid.
bool Decode(const Value& list, Managers& out) {
  out.clear();
  if (!list.is_array()) {
    return false;
  }
  for (const Value& item : list.items()) {
    if (!item.is_object()) {
      out.clear();
      return false;
    }
    Entry e;
    e.manager = std::string(item.GetString("manager"));
    e.operation = std::string(item.GetString("operation"));
    e.api_version = std::string(item.GetString("apiVersion"));
    e.subresource = std::string(item.GetString("subresource"));
    if (const Value* t = item.Find("time"); t != nullptr && t->is_string()) {
      e.time = t->text();
    }
    if ((e.operation != kApply && e.operation != kUpdate) || e.api_version.empty() ||
        item.GetString("fieldsType") != "FieldsV1") {
      out.clear();
      return false;
    }
    if (const Value* f = item.Find("fieldsV1"); f != nullptr && !f->is_null()) {
      auto fields = FieldSet::FromFieldsV1(*f);
      if (!fields) {
        out.clear();
        return false;
      }
      e.fields = std::move(*fields);
    }
    e.wire = item;
    // A repeated identity replaces the earlier entry, as in kube's map.
    if (Entry* existing = FindEntry(out, Identity(e))) {
      *existing = std::move(e);
    } else {
      out.push_back(std::move(e));
    }
  }
  return true;
}

// Seconds-resolution sort key of an RFC 3339 time (Go's Time.Unix()); "" for no time.
std::string TimeKey(const std::optional<std::string>& time) {
  if (!time) {
    return {};
  }
  return time->substr(0, std::min<std::size_t>(time->size(), 19));
}

Value EncodeEntry(const Entry& e) {
  if (!e.changed && e.wire) {
    return *e.wire;
  }
  Value out = Value::MakeObject();
  out.Set("manager", Value::String(e.manager));
  out.Set("operation", Value::String(e.operation));
  out.Set("apiVersion", Value::String(e.api_version));
  if (e.time) {
    out.Set("time", Value::String(*e.time));
  }
  out.Set("fieldsType", Value::String("FieldsV1"));
  out.Set("fieldsV1", e.fields.ToFieldsV1());
  if (!e.subresource.empty()) {
    out.Set("subresource", Value::String(e.subresource));
  }
  return out;
}

// kube's encodeManagedFields: Apply entries first, then by time, manager, apiVersion and
// subresource.
Value Encode(Managers managers) {
  std::stable_sort(managers.begin(), managers.end(), [](const Entry& p, const Entry& q) {
    if (p.operation != q.operation) {
      return p.operation < q.operation;
    }
    const std::string pt = TimeKey(p.time);
    const std::string qt = TimeKey(q.time);
    if (pt != qt) {
      return pt < qt;
    }
    if (p.manager != q.manager) {
      return p.manager < q.manager;
    }
    if (p.api_version != q.api_version) {
      return p.api_version < q.api_version;
    }
    return p.subresource < q.subresource;
  });
  Value out = Value::MakeArray();
  out.items().reserve(managers.size());
  for (const Entry& e : managers) {
    out.items().push_back(EncodeEntry(e));
  }
  return out;
}

void WriteManagedFields(Value& object, Managers managers) {
  Value* meta = object.Find("metadata");
  if (meta == nullptr || !meta->is_object()) {
    return;
  }
  if (managers.empty()) {
    meta->Erase("managedFields");
    return;
  }
  meta->Set("managedFields", Encode(std::move(managers)));
}

// Entries left without fields disappear.
bool DropEmpty(Managers& managers) {
  const std::size_t before = managers.size();
  managers.erase(std::remove_if(managers.begin(), managers.end(),
                                [](const Entry& e) { return e.fields.empty(); }),
                 managers.end());
  return managers.size() != before;
}

// kube's capManagersManager: at most kMaxUpdateManagers Update entries; the oldest are merged
// into one "ancient-changes" entry per apiVersion.
bool CapUpdateManagers(Managers& managers) {
  std::vector<std::size_t> updaters;
  for (std::size_t i = 0; i < managers.size(); ++i) {
    if (!managers[i].applied()) {
      updaters.push_back(i);
    }
  }
  if (updaters.size() <= kMaxUpdateManagers) {
    return false;
  }
  std::sort(updaters.begin(), updaters.end(), [&](std::size_t a, std::size_t b) {
    const std::string ta = TimeKey(managers[a].time);
    const std::string tb = TimeKey(managers[b].time);
    if (ta != tb) {
      return ta < tb;
    }
    return Identity(managers[a]) < Identity(managers[b]);
  });
  std::vector<bool> erased(managers.size(), false);
  std::map<std::string, std::size_t> first_of_version;  // apiVersion -> its first updater
  std::size_t length = updaters.size();
  for (std::size_t k = 0; k < updaters.size() && length > kMaxUpdateManagers; ++k) {
    const std::size_t index = updaters[k];
    const std::string version = managers[index].api_version;
    auto first = first_of_version.find(version);
    if (first == first_of_version.end()) {
      first_of_version.emplace(version, index);
      continue;
    }
    // The bucket: an existing "ancient-changes" entry of this version, else the first updater
    // of this version renamed.
    const std::string bucket_id = Identity("ancient-changes", kUpdate, version, "");
    std::size_t bucket = managers.size();
    for (std::size_t i = 0; i < managers.size(); ++i) {
      if (!erased[i] && i != index && Identity(managers[i]) == bucket_id) {
        bucket = i;
        break;
      }
    }
    if (bucket == managers.size()) {
      bucket = first->second;
      managers[bucket].manager = "ancient-changes";
      managers[bucket].subresource.clear();
    }
    Entry& b = managers[bucket];
    b.fields = managers[index].fields.Union(b.fields);
    b.time = managers[index].time;  // the newer of the two
    b.changed = true;
    erased[index] = true;
    --length;
  }
  Managers kept;
  for (std::size_t i = 0; i < managers.size(); ++i) {
    if (!erased[i]) {
      kept.push_back(std::move(managers[i]));
    }
  }
  managers = std::move(kept);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Field filters

FieldPath Path(std::initializer_list<std::string_view> fields) {
  FieldPath p;
  for (std::string_view f : fields) {
    p.push_back(PathElement::Field(f));
  }
  return p;
}

// kube's stripMetaManager: fields no manager ever owns.
const FieldSet& StripSet() {
  static const FieldSet* set = [] {
    auto* s = new FieldSet();
    for (const auto& p :
         {Path({"apiVersion"}), Path({"kind"}), Path({"metadata"}), Path({"metadata", "name"}),
          Path({"metadata", "namespace"}), Path({"metadata", "creationTimestamp"}),
          Path({"metadata", "selfLink"}), Path({"metadata", "uid"}),
          Path({"metadata", "clusterName"}), Path({"metadata", "generation"}),
          Path({"metadata", "managedFields"}), Path({"metadata", "resourceVersion"})}) {
      s->Insert(p);
    }
    return s;
  }();
  return *set;
}

FieldSet Single(const FieldPath& path) {
  FieldSet s;
  s.Insert(path);
  return s;
}

// The fields a write through `subresource` may attribute (kube's reset fields of the strategy,
// and the scale subresource's replicas mapping).
FieldSet FilterFor(const FieldSet& set, std::string_view subresource) {
  if (subresource.empty()) {
    return set.RecursiveDifference(Single(Path({"status"})));
  }
  if (subresource == "status") {
    return set.RecursiveDifference(Single(Path({"spec"})));
  }
  if (subresource == "scale") {
    return set.Intersection(Single(Path({"spec", "replicas"})));
  }
  return set;
}

Comparison FilterFor(Comparison c, std::string_view subresource) {
  c.added = FilterFor(c.added, subresource);
  c.modified = FilterFor(c.modified, subresource);
  c.removed = FilterFor(c.removed, subresource);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Zero values

Value Parse(const char* json) {
  auto v = hashing::ParseJson(json);
  PLUMBLINE_CHECK(v.has_value());
  return std::move(*v);
}

// The object an Update on create is compared with: the kind's Go zero value as the API server's
// converter serializes it. Only its maps, lists and nulls matter (scalars end up owned either
// way): a map or list that exists here is not "created" by the first writer, so its entry gets
// no "." there (spec, template, strategy, containers: null), while labels, ports or
// rollingUpdate do. Custom resources start from an empty unstructured object.
Value ZeroObject(const KindSchema& schema) {
  if (!schema.builtin()) {
    return Value::MakeObject();
  }
  constexpr std::string_view kTemplate =
      R"({"metadata":{"creationTimestamp":null},"spec":{"containers":null}})";
  const std::string& kind = schema.kind();
  const std::string& group = schema.group();
  std::string json;
  const std::string tmpl(kTemplate);
  if (group == "apps" && kind == "Deployment") {
    json = R"({"spec":{"selector":null,"template":)" + tmpl + R"(,"strategy":{}},"status":{}})";
  } else if (group == "apps" && kind == "ReplicaSet") {
    json = R"({"spec":{"selector":null,"template":)" + tmpl + R"(},"status":{"replicas":0}})";
  } else if (group == "apps" && kind == "StatefulSet") {
    json = R"({"spec":{"selector":null,"template":)" + tmpl +
           R"(,"updateStrategy":{}},"status":{"replicas":0,"availableReplicas":0}})";
  } else if (group == "apps" && kind == "DaemonSet") {
    json = R"({"spec":{"selector":null,"template":)" + tmpl +
           R"(,"updateStrategy":{}},"status":{"currentNumberScheduled":0,)"
           R"("numberMisscheduled":0,"desiredNumberScheduled":0,"numberReady":0}})";
  } else if (group == "batch" && kind == "Job") {
    json = R"({"spec":{"template":)" + tmpl + R"(},"status":{}})";
  } else if (group == "batch" && kind == "CronJob") {
    json = R"({"spec":{"schedule":"","jobTemplate":{"metadata":{"creationTimestamp":null},)"
           R"("spec":{"template":)" +
           tmpl + R"(}}},"status":{}})";
  } else if (group.empty() && kind == "Pod") {
    json = R"({"spec":{"containers":null},"status":{}})";
  } else if (group.empty() && kind == "PodTemplate") {
    json = R"({"template":)" + tmpl + "}";
  } else if (group.empty() && kind == "ReplicationController") {
    json = R"({"spec":{},"status":{"replicas":0}})";
  } else if ((group.empty() && kind == "Service") ||
             (group == "networking.k8s.io" && kind == "Ingress")) {
    json = R"({"spec":{},"status":{"loadBalancer":{}}})";
  } else if (group.empty() && kind == "PersistentVolumeClaim") {
    json = R"({"spec":{"resources":{}},"status":{}})";
  } else if (group == "networking.k8s.io" && kind == "NetworkPolicy") {
    json = R"({"spec":{"podSelector":{}}})";
  } else if (group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition") {
    json = R"({"spec":{"names":{},"versions":null},)"
           R"("status":{"acceptedNames":{},"storedVersions":null}})";
  } else if (group == "autoscaling" && kind == "HorizontalPodAutoscaler") {
    json = R"({"spec":{"scaleTargetRef":{"kind":"","name":""},"maxReplicas":0},)"
           R"("status":{"desiredReplicas":0}})";
  } else {
    // Most built-in kinds have a struct spec and status (omitempty does not drop structs).
    // Kinds without them (ConfigMap, Secret, RBAC) only see removals here, which cost nothing.
    json = R"({"spec":{},"status":{}})";
  }
  Value zero = Parse(json.c_str());
  zero.Set("metadata", Parse(R"({"creationTimestamp":null})"));
  return zero;
}

// ---------------------------------------------------------------------------------------------
// Merge and prune (structured-merge-diff's typed Merge and Updater.prune)

using Shape = KindSchema::Shape;

std::string ChildPath(std::string_view path, std::string_view name) {
  return KindSchema::ChildPath(path, name);
}

struct ListItem {
  PathElement element;
  const Value* value;
};

// Items of a list with their path elements; the first of duplicates wins. Items whose key
// cannot be built get their index, so they are kept as they are.
std::vector<ListItem> IndexItems(const Value& list_value, const ListSemantics& list) {
  std::vector<ListItem> out;
  if (!list_value.is_array()) {
    return out;
  }
  FieldSet seen;
  for (std::size_t i = 0; i < list_value.items().size(); ++i) {
    const Value& item = list_value.items()[i];
    auto element = KindSchema::ItemElement(list, item);
    PathElement e = element ? *element : PathElement::Index(static_cast<std::int64_t>(i));
    if (seen.Has({e})) {
      continue;
    }
    seen.Insert({e});
    out.push_back(ListItem{std::move(e), &item});
  }
  return out;
}

const ListItem* FindItem(const std::vector<ListItem>& items, const PathElement& e) {
  for (const ListItem& item : items) {
    if (item.element == e) {
      return &item;
    }
  }
  return nullptr;
}

Value Merge(const Value* lhs, const Value& rhs, const KindSchema& schema, const std::string& sp);

// structured-merge-diff's list merge order: the applied order, with live-only items kept where
// they were relative to the items both sides share.
Value MergeList(const Value& lhs, const Value& rhs, const ListSemantics& list,
                const KindSchema& schema, const std::string& sp) {
  const std::string item_path = sp + "[]";
  const std::vector<ListItem> l = IndexItems(lhs, list);
  const std::vector<ListItem> r = IndexItems(rhs, list);
  std::vector<const PathElement*> shared;
  for (const ListItem& item : r) {
    if (FindItem(l, item.element) != nullptr) {
      shared.push_back(&item.element);
    }
  }
  std::size_t next_shared_index = 0;
  const PathElement* next_shared = nullptr;
  auto advance_shared = [&] {
    next_shared = next_shared_index < shared.size() ? shared[next_shared_index++] : nullptr;
  };
  advance_shared();
  FieldSet merged_rhs;
  Value out = Value::MakeArray();
  std::size_t li = 0;
  std::size_t ri = 0;
  while (li < l.size() || ri < r.size()) {
    if (li < l.size() && ri < r.size()) {
      const PathElement& pe = l[li].element;
      if (pe == r[ri].element) {
        merged_rhs.Insert({pe});
        out.items().push_back(Merge(l[li].value, *r[ri].value, schema, item_path));
        ++li;
        ++ri;
        next_shared = nullptr;
        advance_shared();
        continue;
      }
      if (FindItem(r, pe) != nullptr && next_shared != nullptr && !(*next_shared == pe)) {
        ++li;  // a shared item, but not the one this round wants
        continue;
      }
    }
    if (li < l.size()) {
      const PathElement& pe = l[li].element;
      if (FindItem(r, pe) == nullptr) {
        out.items().push_back(*l[li].value);
        ++li;
        continue;
      }
      if (merged_rhs.Has({pe})) {
        ++li;
        continue;
      }
    }
    if (ri < r.size()) {
      const PathElement& pe = r[ri].element;
      merged_rhs.Insert({pe});
      const ListItem* match = FindItem(l, pe);
      out.items().push_back(
          Merge(match != nullptr ? match->value : nullptr, *r[ri].value, schema, item_path));
      ++ri;
      if (next_shared != nullptr && *next_shared == pe) {
        advance_shared();
      }
    }
  }
  return out;
}

Value Merge(const Value* lhs, const Value& rhs, const KindSchema& schema, const std::string& sp) {
  if (lhs == nullptr) {
    return rhs;
  }
  const ListSemantics* list = nullptr;
  switch (schema.ShapeOf(sp, lhs, &rhs, &list)) {
    case Shape::kLeaf:
      return rhs;
    case Shape::kMap: {
      const bool l_empty = !lhs->is_object() || lhs->members().empty();
      const bool r_empty = !rhs.is_object() || rhs.members().empty();
      if (l_empty && r_empty) {
        return rhs;
      }
      Value out = lhs->is_object() ? *lhs : Value::MakeObject();
      if (rhs.is_object()) {
        for (const auto& [name, child] : rhs.members()) {
          const Value* existing = out.Find(name);
          Value merged = Merge(existing, child, schema, ChildPath(sp, name));
          out.Set(name, std::move(merged));
        }
      }
      return out;
    }
    case Shape::kList: {
      const bool l_empty = !lhs->is_array() || lhs->items().empty();
      const bool r_empty = !rhs.is_array() || rhs.items().empty();
      if (l_empty && r_empty) {
        return rhs;
      }
      if (!rhs.is_array()) {
        return *lhs;
      }
      if (!lhs->is_array()) {
        return rhs;
      }
      return MergeList(*lhs, rhs, *list, schema, sp);
    }
  }
  return rhs;
}

// The item of the list `node` (at schema path `sp`) named by `e`, or -1.
std::ptrdiff_t FindIndex(const Value& node, const PathElement& e, const KindSchema& schema,
                         const std::string& sp) {
  if (!node.is_array()) {
    return -1;
  }
  if (e.kind() == PathElement::Kind::kIndex) {
    return e.index() >= 0 && static_cast<std::size_t>(e.index()) < node.items().size()
               ? static_cast<std::ptrdiff_t>(e.index())
               : -1;
  }
  const ListSemantics* list = schema.List(sp);
  if (list == nullptr || list->type == ListType::kAtomic) {
    return -1;
  }
  for (std::size_t i = 0; i < node.items().size(); ++i) {
    auto element = KindSchema::ItemElement(*list, node.items()[i]);
    if (element && *element == e) {
      return static_cast<std::ptrdiff_t>(i);
    }
  }
  return -1;
}

bool IsEmptyContainer(const Value& v) {
  return (v.is_object() && v.members().empty()) || (v.is_array() && v.items().empty());
}

// Removes from `node` every path this manager applied last time (`last`) that nobody owns now
// (`managed`, the new applied set and every other entry); both sets have their named fields as
// members. A removed map or list item goes whole, before its fields are looked at; a map or
// list emptied by pruning goes too.
void Prune(Value& node, const FieldSet& last, const FieldSet& managed, const KindSchema& schema,
           const std::string& sp) {
  static const FieldSet no_fields;
  for (const FieldSet::Node& n : last.nodes()) {
    const FieldSet::Node* m = managed.Find(n.element);
    const bool owned = m != nullptr && m->member;
    Value* child = nullptr;
    std::string child_sp;
    std::ptrdiff_t index = -1;
    if (n.element.kind() == PathElement::Kind::kField) {
      if (!node.is_object()) {
        continue;
      }
      child = node.Find(n.element.field_name());
      child_sp = ChildPath(sp, n.element.field_name());
    } else {
      index = FindIndex(node, n.element, schema, sp);
      if (index >= 0) {
        child = &node.items()[static_cast<std::size_t>(index)];
      }
      child_sp = sp + "[]";
    }
    if (child == nullptr) {
      continue;
    }
    bool remove = n.member && !owned;
    if (!remove && !n.children.empty()) {
      const bool was_empty = IsEmptyContainer(*child);
      Prune(*child, n.children, m != nullptr ? m->children : no_fields, schema, child_sp);
      remove = !was_empty && IsEmptyContainer(*child);
    }
    if (!remove) {
      continue;
    }
    if (index >= 0) {
      node.items().erase(node.items().begin() + index);
    } else {
      node.Erase(n.element.field_name());
    }
  }
}

// A null in the applied configuration clears a scalar (the typed round trip of the real server
// turns the merged null into "absent"); structs and lists it names stay as they are.
void DropAppliedNulls(Value& merged, const Value& applied, const KindSchema& schema,
                      const std::string& sp) {
  if (applied.is_object() && merged.is_object()) {
    for (const auto& [name, child] : applied.members()) {
      Value* target = merged.Find(name);
      if (target == nullptr) {
        continue;
      }
      if (child.is_null()) {
        if (target->is_null()) {
          merged.Erase(name);
        }
        continue;
      }
      DropAppliedNulls(*target, child, schema, ChildPath(sp, name));
    }
    return;
  }
  if (applied.is_array() && merged.is_array()) {
    const ListSemantics* list = schema.List(sp);
    if (list == nullptr || list->type != ListType::kMap) {
      return;
    }
    for (const Value& item : applied.items()) {
      auto element = KindSchema::ItemElement(*list, item);
      if (!element) {
        continue;
      }
      const std::ptrdiff_t i = FindIndex(merged, *element, schema, sp);
      if (i >= 0) {
        DropAppliedNulls(merged.items()[static_cast<std::size_t>(i)], item, schema, sp + "[]");
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// kubectl's client-side-apply interplay (kube's lastAppliedManager / lastAppliedUpdater)

std::string_view LastAppliedOf(const Value& object) {
  const Value* meta = object.Find("metadata");
  const Value* annotations = meta != nullptr ? meta->Find("annotations") : nullptr;
  return annotations != nullptr ? annotations->GetString(kLastApplied) : std::string_view();
}

// Fields whose live value still equals the last-applied configuration: a "kubectl" apply may
// take them over from client-side apply without a conflict.
FieldSet AllowedFromLastApplied(const Value& live_plain, const KindSchema& schema) {
  const std::string_view text = LastAppliedOf(live_plain);
  if (text.empty()) {
    return {};
  }
  auto last = hashing::ParseJson(text);
  if (!last || !last->is_object()) {
    return {};
  }
  const FieldSet last_set = FieldSet::LeavesOf(*last, schema.group(), schema.kind());
  const Comparison c = CompareObjects(&*last, &live_plain, schema.group(), schema.kind());
  return last_set.Difference(c.modified.Union(c.added));
}

// Go's encoding/json: sorted keys, HTML-safe escapes.
void AppendGoJson(std::string& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::kString: {
      out.push_back('"');
      const std::string& s = v.text();
      for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        char buf[8];
        switch (c) {
          case '"':
            out += "\\\"";
            continue;
          case '\\':
            out += "\\\\";
            continue;
          case '\n':
            out += "\\n";
            continue;
          case '\r':
            out += "\\r";
            continue;
          case '\t':
            out += "\\t";
            continue;
          case '\b':
            out += "\\b";
            continue;
          case '\f':
            out += "\\f";
            continue;
          case '<':
          case '>':
          case '&':
            std::snprintf(buf, sizeof(buf), "\\u%04x", c);
            out += buf;
            continue;
          default:
            break;
        }
        if (c < 0x20) {
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
                    static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
          out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
          i += 2;
        } else {
          out.push_back(static_cast<char>(c));
        }
      }
      out.push_back('"');
      return;
    }
    case Value::Type::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Value& item : v.items()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        AppendGoJson(out, item);
      }
      out.push_back(']');
      return;
    }
    case Value::Type::kObject: {
      std::vector<const Value::Member*> members;
      for (const auto& m : v.members()) {
        members.push_back(&m);
      }
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return a->first < b->first; });
      out.push_back('{');
      bool first = true;
      for (const auto* m : members) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        AppendGoJson(out, Value::String(m->first));
        out.push_back(':');
        AppendGoJson(out, m->second);
      }
      out.push_back('}');
      return;
    }
    default:
      hashing::AppendJson(out, v);
      return;
  }
}

// kube's buildLastApplied: the applied object without the annotation itself, as
// runtime.Encode writes it (with its trailing newline).
std::string BuildLastApplied(const Value& applied) {
  Value copy = applied;
  if (Value* meta = copy.Find("metadata"); meta != nullptr && meta->is_object()) {
    if (Value* annotations = meta->Find("annotations");
        annotations != nullptr && annotations->is_object()) {
      annotations->Erase(kLastApplied);
    }
  }
  std::string out;
  AppendGoJson(out, copy);
  out.push_back('\n');
  return out;
}

// ---------------------------------------------------------------------------------------------

bool SameExceptTimes(const Managers& a, const Managers& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (const Entry& e : a) {
    bool found = false;
    for (const Entry& f : b) {
      if (Identity(e) == Identity(f)) {
        found = e.api_version == f.api_version && e.fields == f.fields;
        break;
      }
    }
    if (!found) {
      return false;
    }
  }
  return true;
}

std::string ObjectName(const Value& object) {
  const Value* meta = object.Find("metadata");
  if (meta == nullptr) {
    return "/";
  }
  return std::string(meta->GetString("namespace")) + "/" + std::string(meta->GetString("name"));
}

std::string GvkString(std::string_view api_version, std::string_view kind) {
  std::string out;
  if (api_version.find('/') == std::string_view::npos) {
    out = "/";
  }
  out += api_version;
  out += ", Kind=";
  out += kind;
  return out;
}

// "conflict with \"x\" with subresource \"scale\" using apps/v1" without the prefix.
std::string PrintManager(const ApplyConflict& c, std::string_view api_version) {
  std::string out;
  hashing::AppendJsonString(out, c.manager);
  if (!c.subresource.empty()) {
    out += " with subresource ";
    hashing::AppendJsonString(out, c.subresource);
  }
  if (c.operation != kApply) {
    out += " using ";
    out += c.api_version.empty() ? api_version : std::string_view(c.api_version);
  }
  return out;
}

// A copy of `object` for comparing a write through `subresource`: without managedFields and
// without the root member FilterFor drops anyway (status for the main resource, spec for
// /status), which for status-only writes skips copying and walking the whole pod template.
Value ComparableCopy(const Value& object, std::string_view subresource) {
  if (!object.is_object()) {
    return object;
  }
  const std::string_view dropped = subresource.empty()       ? "status"
                                   : subresource == "status" ? "spec"
                                                             : "";
  Value out = Value::MakeObject();
  out.members().reserve(object.members().size());
  for (const auto& [key, value] : object.members()) {
    if (key == dropped) {
      continue;
    }
    if (key == "metadata" && value.is_object()) {
      Value meta = Value::MakeObject();
      meta.members().reserve(value.members().size());
      for (const auto& [mk, mv] : value.members()) {
        if (mk != "managedFields") {
          meta.members().emplace_back(mk, mv);
        }
      }
      out.members().emplace_back(key, std::move(meta));
      continue;
    }
    out.members().emplace_back(key, value);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RecordUpdate

void RecordUpdate(Value& new_obj, const Value* old_obj, std::string_view manager,
                  std::string_view subresource, std::string_view api_version, std::string_view time,
                  std::string_view group, std::string_view kind) {
  Value* meta = new_obj.Find("metadata");
  if (meta == nullptr || !meta->is_object()) {
    return;
  }
  // Which managedFields the write starts from (kube's decodeLiveOrNew).
  Managers managers;
  std::optional<Value> base_wire;
  bool reset = false;
  if (const Value* request = meta->Find("managedFields");
      request != nullptr && subresource.empty()) {
    if (IsReset(*request)) {
      reset = true;
    } else if (Decode(*request, managers) && !managers.empty()) {
      base_wire = *request;
    }
  }
  if (!reset && !base_wire) {
    const Value* stored = old_obj != nullptr ? ManagedFieldsOf(*old_obj) : nullptr;
    if (stored != nullptr && Decode(*stored, managers)) {
      base_wire = *stored;
    } else {
      managers.clear();
    }
  }
  // kube's skipNonAppliedManager: updates of objects without managedFields stay untracked.
  if (managers.empty() && old_obj != nullptr) {
    meta->Erase("managedFields");
    return;
  }

  const KindSchema schema(group, kind);
  Value lhs = old_obj != nullptr ? ComparableCopy(*old_obj, subresource) : ZeroObject(schema);
  Value rhs = ComparableCopy(new_obj, subresource);
  EraseManagedFields(lhs);
  const Comparison cmp = FilterFor(CompareObjects(&lhs, &rhs, group, kind), subresource);
  const FieldSet changed = cmp.modified.Union(cmp.added);

  bool any_change = false;
  for (Entry& e : managers) {
    FieldSet next = e.fields.Difference(changed).Difference(cmp.removed);
    if (!(next == e.fields)) {
      e.fields = std::move(next);
      e.changed = true;
      any_change = true;
    }
  }
  const FieldSet gained = changed.Difference(StripSet());
  if (!gained.empty()) {
    const std::string id = Identity(manager, kUpdate, api_version, subresource);
    Entry* self = FindEntry(managers, id);
    if (self == nullptr) {
      managers.push_back(Entry{std::string(manager), std::string(kUpdate), std::string(api_version),
                               std::string(subresource), std::nullopt, FieldSet(), std::nullopt,
                               true});
      self = &managers.back();
    }
    self->fields = self->fields.Union(gained);
    self->time = std::string(time);
    self->changed = true;
    any_change = true;
  }
  any_change = DropEmpty(managers) || any_change;
  any_change = CapUpdateManagers(managers) || any_change;

  if (!any_change) {
    // Nothing changed hands: managedFields stay exactly as they were (or as the request gave).
    if (base_wire) {
      meta->Set("managedFields", *base_wire);
    } else {
      meta->Erase("managedFields");
    }
    return;
  }
  WriteManagedFields(new_obj, std::move(managers));
}

// ---------------------------------------------------------------------------------------------
// ServerSideApply

FieldSet ApplyFieldSet(const Value& applied, std::string_view group, std::string_view kind) {
  return FilterFor(FieldSet::LeavesOf(applied, group, kind), "").Difference(StripSet());
}

Result<ApplyOutcome> ServerSideApply(const Value* live, const Value& applied,
                                     std::string_view manager, bool force,
                                     std::string_view api_version, std::string_view time,
                                     std::string_view group, std::string_view kind) {
  if (!applied.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "apply patch must be a JSON object");
  }
  if (const Value* mf = ManagedFieldsOf(applied);
      mf != nullptr && !mf->is_null() && !(mf->is_array() && mf->items().empty())) {
    return MakeError(ErrorCode::kInvalidArgument, "metadata.managedFields must be nil");
  }
  const KindSchema schema(group, kind);

  // The configuration as merged: status is the status subresource's, and server-owned metadata
  // is the server's.
  Value config = applied;
  config.Erase("status");
  if (Value* meta = config.Find("metadata"); meta != nullptr && meta->is_object()) {
    for (const char* key : {"uid", "resourceVersion", "creationTimestamp", "generation",
                            "managedFields", "selfLink"}) {
      meta->Erase(key);
    }
  }
  auto leaves = FieldSet::StrictLeavesOf(config, group, kind);
  if (!leaves) {
    return MakeError(ErrorCode::kInternal,
                     "failed to create typed patch object (" + ObjectName(applied) + "; " +
                         GvkString(api_version, kind) + "): " + leaves.error().message);
  }
  const FieldSet applied_set = FilterFor(*leaves, "").Difference(StripSet());

  // The live side, without its managedFields.
  Value live_plain = live != nullptr ? *live : Value::MakeObject();
  EraseManagedFields(live_plain);
  Managers managers;
  if (const Value* stored = live != nullptr ? ManagedFieldsOf(*live) : nullptr;
      stored == nullptr || !Decode(*stored, managers)) {
    managers.clear();
  }
  const Managers before = managers;
  if (managers.empty() && live != nullptr) {
    // kube's skipNonAppliedManager: what the object holds belongs to "before-first-apply".
    Value zero = ZeroObject(schema);
    const Comparison c = FilterFor(CompareObjects(&zero, &live_plain, group, kind), "");
    FieldSet owned = c.modified.Union(c.added).Difference(StripSet());
    if (!owned.empty()) {
      managers.push_back(Entry{"before-first-apply", std::string(kUpdate), std::string(api_version),
                               "", std::string(time), std::move(owned), std::nullopt, true});
    }
  }

  const std::string self_id = Identity(manager, kApply, api_version, "");
  FieldSet last_set;
  if (const Entry* self = FindEntry(managers, self_id)) {
    last_set = self->fields;
  }

  Value merged = Merge(&live_plain, config, schema, "");
  if (!last_set.empty()) {
    FieldSet managed = applied_set;
    for (const Entry& e : managers) {
      if (Identity(e) != self_id) {
        managed = managed.Union(e.fields);
      }
    }
    Prune(merged, last_set.WithNamedFieldsAsMembers(), managed.WithNamedFieldsAsMembers(), schema,
          "");
  }

  const Comparison cmp = FilterFor(CompareObjects(&live_plain, &merged, group, kind), "");
  const FieldSet changed = cmp.modified.Union(cmp.added);

  // Conflicts: fields of other entries whose value this apply changes.
  std::vector<std::pair<const Entry*, FieldSet>> conflicts;
  for (const Entry& e : managers) {
    if (Identity(e) == self_id) {
      continue;
    }
    FieldSet c = e.fields.Intersection(changed);
    if (!c.empty()) {
      conflicts.emplace_back(&e, std::move(c));
    }
  }
  if (!force && !conflicts.empty() && manager == "kubectl") {
    // Fields client-side apply last set to the values they still hold may be taken over.
    const FieldSet allowed = AllowedFromLastApplied(live_plain, schema);
    std::vector<std::pair<const Entry*, FieldSet>> remaining;
    for (auto& [entry, set] : conflicts) {
      FieldSet rest = set.Difference(allowed);
      if (!rest.empty()) {
        remaining.emplace_back(entry, std::move(rest));
      }
    }
    if (remaining.empty()) {
      force = true;
    } else {
      conflicts = std::move(remaining);
    }
  }
  if (!force && !conflicts.empty()) {
    std::sort(conflicts.begin(), conflicts.end(),
              [](const auto& a, const auto& b) { return Identity(*a.first) < Identity(*b.first); });
    ApplyOutcome outcome;
    outcome.object = live != nullptr ? *live : Value();
    for (const auto& [entry, set] : conflicts) {
      for (const FieldPath& p : set.Paths()) {
        outcome.conflicts.push_back(ApplyConflict{entry->manager, PathString(p), entry->operation,
                                                  entry->subresource, entry->api_version});
      }
    }
    return outcome;
  }

  // Ownership: others lose what changed (forced conflicts) and what was removed.
  for (Entry& e : managers) {
    if (Identity(e) == self_id) {
      continue;
    }
    FieldSet next = e.fields.Difference(changed).Difference(cmp.removed);
    if (!(next == e.fields)) {
      e.fields = std::move(next);
      e.changed = true;
    }
  }
  Entry* self = FindEntry(managers, self_id);
  if (self == nullptr) {
    managers.push_back(Entry{std::string(manager), std::string(kApply), std::string(api_version),
                             "", std::nullopt, FieldSet(), std::nullopt, true});
    self = &managers.back();
  }
  self->fields = applied_set;
  self->api_version = std::string(api_version);
  self->time = std::string(time);
  self->changed = true;
  DropEmpty(managers);
  CapUpdateManagers(managers);

  DropAppliedNulls(merged, config, schema, "");
  if (manager == "kubectl" && !LastAppliedOf(merged).empty()) {
    Value* meta = merged.Find("metadata");
    Value* annotations = meta != nullptr ? meta->Find("annotations") : nullptr;
    if (annotations != nullptr && annotations->is_object()) {
      annotations->Set(kLastApplied, Value::String(BuildLastApplied(applied)));
    }
  }

  ApplyOutcome outcome;
  // kube's IgnoreManagedFieldsTimestampsTransformer: when only timestamps would change, the
  // write is a no-op.
  if (live != nullptr && merged == live_plain && SameExceptTimes(managers, before)) {
    outcome.object = *live;
    return outcome;
  }
  WriteManagedFields(merged, std::move(managers));
  outcome.object = std::move(merged);
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// Messages

std::string ConflictCauseMessage(const ApplyConflict& conflict, std::string_view api_version) {
  return "conflict with " + PrintManager(conflict, api_version);
}

std::string ConflictMessage(const std::vector<ApplyConflict>& conflicts,
                            std::string_view api_version) {
  if (conflicts.size() == 1) {
    return "Apply failed with 1 conflict: conflict with " +
           PrintManager(conflicts[0], api_version) + ": " + conflicts[0].field;
  }
  // Grouped by manager, managers sorted by their identifier (kube's getConflictMessage).
  std::vector<std::pair<std::string, std::vector<const ApplyConflict*>>> groups;
  for (const ApplyConflict& c : conflicts) {
    const std::string id =
        Identity(c.manager, c.operation.empty() ? kUpdate : c.operation,
                 c.api_version.empty() ? api_version : c.api_version, c.subresource);
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == id; });
    if (it == groups.end()) {
      groups.emplace_back(id, std::vector<const ApplyConflict*>{&c});
    } else {
      it->second.push_back(&c);
    }
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: ";
  bool first = true;
  for (const auto& [id, members] : groups) {
    if (!first) {
      out.push_back('\n');
    }
    first = false;
    out += "conflicts with " + PrintManager(*members.front(), api_version) + ":";
    for (const ApplyConflict* c : members) {
      out += "\n- " + c->field;
    }
  }
  return out;
}

}  // namespace plumbline::sim
