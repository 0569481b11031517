#include "plumbline/sim/field_set.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <string>
#include <utility>

#include "plumbline/hashing/json.h"

namespace plumbline::sim {

using hashing::ListSemantics;
using hashing::ListType;
using hashing::Value;

namespace {

int CompareValues(const Value& a, const Value& b);

// structured-merge-diff's value ordering: numbers < strings < bools < lists < maps < null.
int TypeRank(const Value& v) {
  switch (v.type()) {
    case Value::Type::kNumber:
      return 0;
    case Value::Type::kString:
      return 1;
    case Value::Type::kBool:
      return 2;
    case Value::Type::kArray:
      return 3;
    case Value::Type::kObject:
      return 4;
    case Value::Type::kNull:
      return 5;
  }
  return 5;
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

int CompareNumbers(const Value& a, const Value& b) {
  if (a.text() == b.text()) {
    return 0;
  }
  const double x = std::strtod(a.text().c_str(), nullptr);
  const double y = std::strtod(b.text().c_str(), nullptr);
  if (x < y) {
    return -1;
  }
  if (x > y) {
    return 1;
  }
  return Sign(a.text().compare(b.text()));  // equal as doubles: keep a total order
}

std::vector<const Value::Member*> SortedMembers(const Value& object) {
  std::vector<const Value::Member*> out;
  out.reserve(object.members().size());
  for (const auto& m : object.members()) {
    out.push_back(&m);
  }
  std::sort(out.begin(), out.end(),
            [](const auto* x, const auto* y) { return x->first < y->first; });
  return out;
}

int CompareObjectsOrdered(const Value& a, const Value& b) {
  const auto sa = SortedMembers(a);
  const auto sb = SortedMembers(b);
  for (std::size_t i = 0; i < sa.size() && i < sb.size(); ++i) {
    if (int c = Sign(sa[i]->first.compare(sb[i]->first)); c != 0) {
      return c;
    }
    if (int c = CompareValues(sa[i]->second, sb[i]->second); c != 0) {
      return c;
    }
  }
  if (sa.size() == sb.size()) {
    return 0;
  }
  return sa.size() < sb.size() ? -1 : 1;
}

int CompareValues(const Value& a, const Value& b) {
  const int ra = TypeRank(a);
  const int rb = TypeRank(b);
  if (ra != rb) {
    return ra < rb ? -1 : 1;
  }
  switch (a.type()) {
    case Value::Type::kNumber:
      return CompareNumbers(a, b);
    case Value::Type::kString:
      return Sign(a.text().compare(b.text()));
    case Value::Type::kBool:
      return a.bool_value() == b.bool_value() ? 0 : (a.bool_value() ? 1 : -1);
    case Value::Type::kArray: {
      const auto& x = a.items();
      const auto& y = b.items();
      for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (int c = CompareValues(x[i], y[i]); c != 0) {
          return c;
        }
      }
      if (x.size() == y.size()) {
        return 0;
      }
      return x.size() < y.size() ? -1 : 1;
    }
    case Value::Type::kObject:
      return CompareObjectsOrdered(a, b);
    case Value::Type::kNull:
      return 0;
  }
  return 0;
}

// structured-merge-diff's value.ToString, used in conflict paths.
void AppendValueString(std::string& out, const Value& v) {
  switch (v.type()) {
    case Value::Type::kNull:
      out += "null";
      break;
    case Value::Type::kBool:
      out += v.bool_value() ? "true" : "false";
      break;
    case Value::Type::kNumber:
      out += v.text();
      break;
    case Value::Type::kString:
      hashing::AppendJsonString(out, v.text());
      break;
    case Value::Type::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Value& item : v.items()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        AppendValueString(out, item);
      }
      out.push_back(']');
      break;
    }
    case Value::Type::kObject: {
      out.push_back('{');
      bool first = true;
      for (const auto* m : SortedMembers(v)) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        out += m->first;
        out.push_back('=');
        AppendValueString(out, m->second);
      }
      out.push_back('}');
      break;
    }
  }
}

Value SortedCopy(Value v) {
  v.SortKeysRecursive();
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PathElement

PathElement PathElement::Field(std::string_view name) {
  PathElement e;
  e.kind_ = Kind::kField;
  e.segment_.reserve(name.size() + 2);
  e.segment_ = "f:";
  e.segment_ += name;
  return e;
}

PathElement PathElement::Key(Value key) {
  PathElement e;
  e.kind_ = Kind::kKey;
  e.value_ = SortedCopy(std::move(key));
  e.segment_ = "k:" + hashing::ToJson(e.value_);
  return e;
}

PathElement PathElement::SetValue(Value value) {
  PathElement e;
  e.kind_ = Kind::kValue;
  e.value_ = SortedCopy(std::move(value));
  e.segment_ = "v:" + hashing::ToJson(e.value_);
  return e;
}

PathElement PathElement::Index(std::int64_t index) {
  PathElement e;
  e.kind_ = Kind::kIndex;
  e.index_ = index;
  e.segment_ = "i:" + std::to_string(index);
  return e;
}

Result<PathElement> PathElement::FromSegment(std::string_view segment) {
  if (segment.size() < 2 || segment[1] != ':') {
    return MakeError(ErrorCode::kInvalidArgument,
                     "unknown managedFields path segment \"" + std::string(segment) + "\"");
  }
  const std::string_view body = segment.substr(2);
  switch (segment[0]) {
    case 'f':
      return Field(body);
    case 'k': {
      auto key = hashing::ParseJson(body);
      if (!key || !key->is_object()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "bad key segment \"" + std::string(segment) + "\": not a JSON object");
      }
      return Key(std::move(*key));
    }
    case 'v': {
      auto value = hashing::ParseJson(body);
      if (!value) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "bad value segment \"" + std::string(segment) + "\": not JSON");
      }
      return SetValue(std::move(*value));
    }
    case 'i': {
      std::int64_t index = 0;
      const auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), index);
      if (ec != std::errc() || ptr != body.data() + body.size() || body.empty()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "bad index segment \"" + std::string(segment) + "\"");
      }
      return Index(index);
    }
    default:
      return MakeError(ErrorCode::kInvalidArgument,
                       "unknown managedFields path segment \"" + std::string(segment) + "\"");
  }
}

std::string_view PathElement::field_name() const {
  if (kind_ != Kind::kField) {
    return {};
  }
  return std::string_view(segment_).substr(2);
}

std::string PathElement::ToString() const {
  std::string out;
  switch (kind_) {
    case Kind::kField:
      out.push_back('.');
      out += field_name();
      break;
    case Kind::kKey: {
      out.push_back('[');
      bool first = true;
      for (const auto& [name, v] : value_.members()) {
        if (!first) {
          out.push_back(',');
        }
        first = false;
        out += name;
        out.push_back('=');
        AppendValueString(out, v);
      }
      out.push_back(']');
      break;
    }
    case Kind::kValue:
      out += "[=";
      AppendValueString(out, value_);
      out.push_back(']');
      break;
    case Kind::kIndex:
      out += "[" + std::to_string(index_) + "]";
      break;
  }
  return out;
}

int Compare(const PathElement& a, const PathElement& b) {
  if (a.kind_ != b.kind_) {
    return a.kind_ < b.kind_ ? -1 : 1;
  }
  switch (a.kind_) {
    case PathElement::Kind::kField:
      return Sign(a.segment_.compare(b.segment_));
    case PathElement::Kind::kKey:
      return CompareObjectsOrdered(a.value_, b.value_);
    case PathElement::Kind::kValue:
      return CompareValues(a.value_, b.value_);
    case PathElement::Kind::kIndex:
      return a.index_ == b.index_ ? 0 : (a.index_ < b.index_ ? -1 : 1);
  }
  return 0;
}

std::string PathString(const FieldPath& path) {
  std::string out;
  for (const PathElement& e : path) {
    out += e.ToString();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// KindSchema

namespace {

// Structs and maps that structured-merge-diff treats as one value, by field name
// (list-semantics.md "Atomic structs/maps"): LabelSelector, NodeSelector, ScopeSelector, the
// key selectors of env valueFrom, object references, Service spec.selector and PodSpec
// nodeSelector (atomic maps).
constexpr std::array<std::string_view, 23> kAtomicFieldNames = {
    "selector",
    "podSelector",
    "namespaceSelector",
    "labelSelector",
    "objectSelector",
    "nodeSelector",
    "scopeSelector",
    "secretKeyRef",
    "configMapKeyRef",
    "fieldRef",
    "resourceFieldRef",
    "dataSource",
    "targetRef",
    "claimRef",
    "roleRef",
    "secretRef",
    "nodePublishSecretRef",
    "nodeStageSecretRef",
    "controllerPublishSecretRef",
    "controllerExpandSecretRef",
    "nodeExpandSecretRef",
    "involvedObject",
    "related",
};

// Keyed lists whose items are atomic structs (OwnerReference, LocalObjectReference,
// ObjectReference); a few atomic lists of atomic structs are listed too, harmlessly.
constexpr std::array<std::string_view, 7> kAtomicItemLists = {
    "imagePullSecrets",     "ownerReferences",   "secrets",           "subjects",
    "clusterRoleSelectors", "nodeSelectorTerms", "allowedTopologies",
};

// Atomic structs recognised by the end of their path.
constexpr std::array<std::string_view, 6> kAtomicPathSuffixes = {
    "nodeAffinity.required", "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
    "backend.service.port",  "Backend.service.port",
    "backend.resource",      "Backend.resource",
};

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& table, std::string_view s) {
  return std::find(table.begin(), table.end(), s) != table.end();
}

std::string_view LastComponent(std::string_view path) {
  const std::size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? path : path.substr(dot + 1);
}

}  // namespace

KindSchema::KindSchema(std::string_view group, std::string_view kind)
    : group_(group),
      kind_(kind),
      builtin_(hashing::LookupBuiltinList(group, kind, "metadata.managedFields") != nullptr) {}

const ListSemantics* KindSchema::List(std::string_view path) const {
  if (!builtin_) {
    return nullptr;
  }
  return hashing::LookupBuiltinList(group_, kind_, path);
}

bool KindSchema::IsAtomicMap(std::string_view path) const {
  if (!builtin_) {
    return false;
  }
  if (path.size() > 2 && path.substr(path.size() - 2) == "[]") {
    return Contains(kAtomicItemLists, LastComponent(path.substr(0, path.size() - 2)));
  }
  if (Contains(kAtomicFieldNames, LastComponent(path))) {
    return true;
  }
  return std::any_of(kAtomicPathSuffixes.begin(), kAtomicPathSuffixes.end(),
                     [&](std::string_view suffix) { return path.ends_with(suffix); });
}

Result<PathElement> KindSchema::ItemElement(const ListSemantics& list, const Value& item) {
  if (list.type != ListType::kMap) {
    return PathElement::SetValue(item);
  }
  if (!item.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "associative list with keys may not have non-map elements");
  }
  Value key = Value::MakeObject();
  for (const std::string& name : list.keys) {
    if (const Value* v = item.Find(name)) {
      key.Set(name, *v);
      continue;
    }
    bool defaulted = false;
    for (const auto& [default_name, default_value] : list.key_defaults) {
      if (default_name == name) {
        key.Set(name, default_value);
        defaulted = true;
        break;
      }
    }
    if (!defaulted) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "associative list with keys has an element that omits key field \"" + name +
                           "\" (and doesn't have default value)");
    }
  }
  return PathElement::Key(std::move(key));
}

KindSchema::Shape KindSchema::ShapeOf(const std::string& path, const Value* a, const Value* b,
                                      const ListSemantics** list) const {
  bool array = false;
  bool object = false;
  bool scalar = false;
  for (const Value* v : {a, b}) {
    if (v == nullptr || v->is_null()) {
      continue;
    }
    array = array || v->is_array();
    object = object || v->is_object();
    scalar = scalar || v->is_scalar();
  }
  if (array && !object && !scalar) {
    const ListSemantics* sem = List(path);
    if (sem == nullptr || sem->type == ListType::kAtomic) {
      return Shape::kLeaf;
    }
    *list = sem;
    return Shape::kList;
  }
  if (object && !array && !scalar) {
    return IsAtomicMap(path) ? Shape::kLeaf : Shape::kMap;
  }
  return Shape::kLeaf;
}

std::string KindSchema::ChildPath(std::string_view path, std::string_view name) {
  std::string out;
  out.reserve(path.size() + name.size() + 1);
  out = path;
  if (!out.empty()) {
    out.push_back('.');
  }
  out += name;
  return out;
}

// ---------------------------------------------------------------------------------------------
// FieldSet

const FieldSet::Node* FieldSet::Find(const PathElement& element) const {
  auto it = std::lower_bound(
      nodes_.begin(), nodes_.end(), element,
      [](const Node& n, const PathElement& e) { return Compare(n.element, e) < 0; });
  if (it != nodes_.end() && it->element == element) {
    return &*it;
  }
  return nullptr;
}

FieldSet::Node& FieldSet::Upsert(const PathElement& element) {
  auto it = std::lower_bound(
      nodes_.begin(), nodes_.end(), element,
      [](const Node& n, const PathElement& e) { return Compare(n.element, e) < 0; });
  if (it != nodes_.end() && it->element == element) {
    return *it;
  }
  return *nodes_.insert(it, Node{element, false, FieldSet()});
}

std::size_t FieldSet::size() const {
  std::size_t n = 0;
  for (const Node& node : nodes_) {
    n += (node.member ? 1U : 0U) + node.children.size();
  }
  return n;
}

void FieldSet::Insert(const FieldPath& path) {
  FieldSet* level = this;
  for (std::size_t i = 0; i < path.size(); ++i) {
    Node& node = level->Upsert(path[i]);
    if (i + 1 == path.size()) {
      node.member = true;
    } else {
      level = &node.children;
    }
  }
}

bool FieldSet::Has(const FieldPath& path) const {
  const FieldSet* level = this;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const Node* node = level->Find(path[i]);
    if (node == nullptr) {
      return false;
    }
    if (i + 1 == path.size()) {
      return node->member;
    }
    level = &node->children;
  }
  return false;
}

namespace {

void CollectPaths(const FieldSet& set, FieldPath& prefix, std::vector<FieldPath>& out) {
  for (const FieldSet::Node& node : set.nodes()) {
    if (node.member) {
      prefix.push_back(node.element);
      out.push_back(prefix);
      prefix.pop_back();
    }
  }
  for (const FieldSet::Node& node : set.nodes()) {
    if (!node.children.empty()) {
      prefix.push_back(node.element);
      CollectPaths(node.children, prefix, out);
      prefix.pop_back();
    }
  }
}

}  // namespace

std::vector<FieldPath> FieldSet::Paths() const {
  std::vector<FieldPath> out;
  FieldPath prefix;
  CollectPaths(*this, prefix, out);
  return out;
}

FieldSet FieldSet::Union(const FieldSet& other) const {
  FieldSet out;
  out.nodes_.reserve(nodes_.size() + other.nodes_.size());
  auto a = nodes_.begin();
  auto b = other.nodes_.begin();
  while (a != nodes_.end() || b != other.nodes_.end()) {
    const int c = a == nodes_.end()         ? 1
                  : b == other.nodes_.end() ? -1
                                            : Compare(a->element, b->element);
    if (c < 0) {
      out.nodes_.push_back(*a++);
    } else if (c > 0) {
      out.nodes_.push_back(*b++);
    } else {
      out.nodes_.push_back(
          Node{a->element, a->member || b->member, a->children.Union(b->children)});
      ++a;
      ++b;
    }
  }
  return out;
}

FieldSet FieldSet::Intersection(const FieldSet& other) const {
  FieldSet out;
  for (const Node& node : nodes_) {
    const Node* o = other.Find(node.element);
    if (o == nullptr) {
      continue;
    }
    Node n{node.element, node.member && o->member, node.children.Intersection(o->children)};
    if (n.member || !n.children.empty()) {
      out.nodes_.push_back(std::move(n));
    }
  }
  return out;
}

FieldSet FieldSet::Difference(const FieldSet& other) const {
  FieldSet out;
  for (const Node& node : nodes_) {
    const Node* o = other.Find(node.element);
    if (o == nullptr) {
      out.nodes_.push_back(node);
      continue;
    }
    Node n{node.element, node.member && !o->member, node.children.Difference(o->children)};
    if (n.member || !n.children.empty()) {
      out.nodes_.push_back(std::move(n));
    }
  }
  return out;
}

FieldSet FieldSet::RecursiveDifference(const FieldSet& other) const {
  FieldSet out;
  for (const Node& node : nodes_) {
    const Node* o = other.Find(node.element);
    if (o == nullptr) {
      out.nodes_.push_back(node);
      continue;
    }
    if (o->member) {
      continue;
    }
    Node n{node.element, node.member, node.children.RecursiveDifference(o->children)};
    if (n.member || !n.children.empty()) {
      out.nodes_.push_back(std::move(n));
    }
  }
  return out;
}

FieldSet FieldSet::WithNamedFieldsAsMembers() const {
  FieldSet out;
  out.nodes_.reserve(nodes_.size());
  for (const Node& node : nodes_) {
    Node n{node.element, node.member, node.children.WithNamedFieldsAsMembers()};
    if (n.element.kind() == PathElement::Kind::kField && !n.children.empty()) {
      n.member = true;
    }
    out.nodes_.push_back(std::move(n));
  }
  return out;
}

bool operator==(const FieldSet& a, const FieldSet& b) { return a.nodes_ == b.nodes_; }

Result<FieldSet> FieldSet::FromFieldsV1(const Value& fields) {
  if (!fields.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "fieldsV1 must be a JSON object");
  }
  FieldSet out;
  for (const auto& [segment, child] : fields.members()) {
    if (segment == ".") {
      continue;  // read by the parent
    }
    auto element = PathElement::FromSegment(segment);
    if (!element) {
      return element.error();
    }
    if (!child.is_object()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "fieldsV1 value of \"" + segment + "\" must be a JSON object");
    }
    auto children = FromFieldsV1(child);
    if (!children) {
      return children.error();
    }
    const bool member = child.members().empty() || child.Find(".") != nullptr;
    if (!member && children->empty()) {
      continue;
    }
    Node& node = out.Upsert(*element);
    node.member = node.member || member;
    node.children = node.children.Union(*children);
  }
  return out;
}

Value FieldSet::ToFieldsV1() const {
  Value out = Value::MakeObject();
  out.members().reserve(nodes_.size());
  for (const Node& node : nodes_) {
    Value child = node.children.ToFieldsV1();
    if (node.member && !node.children.empty()) {
      Value with_dot = Value::MakeObject();
      with_dot.members().reserve(child.members().size() + 1);
      with_dot.members().emplace_back(".", Value::MakeObject());
      for (auto& m : child.members()) {
        with_dot.members().push_back(std::move(m));
      }
      child = std::move(with_dot);
    }
    out.members().emplace_back(node.element.segment(), std::move(child));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Walks

namespace {

using Shape = KindSchema::Shape;

class LeavesWalker {
 public:
  LeavesWalker(const KindSchema& schema, bool strict) : schema_(schema), strict_(strict) {}

  Status WalkObject(const Value& object, FieldPath& fp, const std::string& sp) {
    for (const auto& [name, child] : object.members()) {
      fp.push_back(PathElement::Field(name));
      Status st = Walk(child, fp, KindSchema::ChildPath(sp, name));
      fp.pop_back();
      if (!st) {
        return st;
      }
    }
    return Status::Ok();
  }

  FieldSet& out() { return out_; }

 private:
  Status Walk(const Value& v, FieldPath& fp, const std::string& sp) {
    const ListSemantics* list = nullptr;
    switch (schema_.ShapeOf(sp, &v, nullptr, &list)) {
      case Shape::kLeaf:
        out_.Insert(fp);
        return Status::Ok();
      case Shape::kMap:
        if (v.members().empty()) {
          out_.Insert(fp);
          return Status::Ok();
        }
        return WalkObject(v, fp, sp);
      case Shape::kList:
        return WalkList(v, *list, fp, sp);
    }
    return Status::Ok();
  }

  Status WalkList(const Value& v, const ListSemantics& list, FieldPath& fp, const std::string& sp) {
    const std::string item_path = sp + "[]";
    FieldSet seen;
    for (std::size_t i = 0; i < v.items().size(); ++i) {
      const Value& item = v.items()[i];
      auto element = KindSchema::ItemElement(list, item);
      if (!element) {
        if (strict_) {
          return MakeError(
              ErrorCode::kInvalidArgument,
              PathString(fp) + ": element " + std::to_string(i) + ": " + element.error().message);
        }
        continue;
      }
      if (seen.Has({*element})) {
        if (strict_) {
          return MakeError(ErrorCode::kInvalidArgument,
                           PathString(fp) + ": duplicate entries for key " + element->ToString());
        }
        continue;
      }
      seen.Insert({*element});
      fp.push_back(*element);
      Status st = Walk(item, fp, item_path);
      out_.Insert(fp);
      fp.pop_back();
      if (!st) {
        return st;
      }
    }
    return Status::Ok();
  }

  const KindSchema& schema_;
  bool strict_;
  FieldSet out_;
};

class CompareWalker {
 public:
  CompareWalker(const KindSchema& schema, Comparison& out) : schema_(schema), out_(out) {}

  void Walk(const Value* lhs, const Value* rhs, FieldPath& fp, const std::string& sp) {
    bool in_leaf = false;
    const ListSemantics* list = nullptr;
    switch (schema_.ShapeOf(sp, lhs, rhs, &list)) {
      case Shape::kLeaf:
        Leaf(lhs, rhs, fp);
        in_leaf = true;
        break;
      case Shape::kMap:
        in_leaf = WalkMap(lhs, rhs, fp, sp);
        break;
      case Shape::kList:
        in_leaf = WalkList(lhs, rhs, *list, fp, sp);
        break;
    }
    // A map, list or list item that exists on one side only is itself added or removed.
    if (!in_leaf && !fp.empty()) {
      if (lhs == nullptr) {
        out_.added.Insert(fp);
      } else if (rhs == nullptr) {
        out_.removed.Insert(fp);
      }
    }
  }

 private:
  void Leaf(const Value* lhs, const Value* rhs, const FieldPath& fp) {
    if (fp.empty()) {
      return;
    }
    if (lhs == nullptr) {
      out_.added.Insert(fp);
    } else if (rhs == nullptr) {
      out_.removed.Insert(fp);
    } else if (!(*lhs == *rhs)) {
      out_.modified.Insert(fp);
    }
  }

  // Returns true when the node was compared as a leaf.
  bool WalkMap(const Value* lhs, const Value* rhs, FieldPath& fp, const std::string& sp) {
    const Value* lm = lhs != nullptr && lhs->is_object() ? lhs : nullptr;
    const Value* rm = rhs != nullptr && rhs->is_object() ? rhs : nullptr;
    const bool l_empty = lm == nullptr || lm->members().empty();
    const bool r_empty = rm == nullptr || rm->members().empty();
    if (l_empty && r_empty) {
      // Both empty or null: a leaf, which keeps the difference between {} and null.
      Leaf(lhs, rhs, fp);
      return true;
    }
    if (rm != nullptr) {
      for (const auto& [name, child] : rm->members()) {
        fp.push_back(PathElement::Field(name));
        Walk(lm != nullptr ? lm->Find(name) : nullptr, &child, fp, KindSchema::ChildPath(sp, name));
        fp.pop_back();
      }
    }
    if (lm != nullptr) {
      for (const auto& [name, child] : lm->members()) {
        if (rm != nullptr && rm->Find(name) != nullptr) {
          continue;
        }
        fp.push_back(PathElement::Field(name));
        Walk(&child, nullptr, fp, KindSchema::ChildPath(sp, name));
        fp.pop_back();
      }
    }
    return false;
  }

  struct Item {
    PathElement element;
    const Value* value;
  };

  static std::vector<Item> Index(const Value* list_value, const ListSemantics& list) {
    std::vector<Item> out;
    if (list_value == nullptr || !list_value->is_array()) {
      return out;
    }
    FieldSet seen;
    for (const Value& item : list_value->items()) {
      auto element = KindSchema::ItemElement(list, item);
      if (!element || seen.Has({*element})) {
        continue;  // the first of duplicates wins; items without keys are not tracked
      }
      seen.Insert({*element});
      out.push_back(Item{*element, &item});
    }
    return out;
  }

  static const Value* FindItem(const std::vector<Item>& items, const PathElement& e) {
    for (const Item& item : items) {
      if (item.element == e) {
        return item.value;
      }
    }
    return nullptr;
  }

  bool WalkList(const Value* lhs, const Value* rhs, const ListSemantics& list, FieldPath& fp,
                const std::string& sp) {
    const bool l_empty = lhs == nullptr || !lhs->is_array() || lhs->items().empty();
    const bool r_empty = rhs == nullptr || !rhs->is_array() || rhs->items().empty();
    if (l_empty && r_empty) {
      Leaf(lhs, rhs, fp);
      return true;
    }
    const std::string item_path = sp + "[]";
    const std::vector<Item> left = Index(lhs, list);
    const std::vector<Item> right = Index(rhs, list);
    for (const Item& r : right) {
      fp.push_back(r.element);
      Walk(FindItem(left, r.element), r.value, fp, item_path);
      fp.pop_back();
    }
    for (const Item& l : left) {
      if (FindItem(right, l.element) != nullptr) {
        continue;
      }
      fp.push_back(l.element);
      Walk(l.value, nullptr, fp, item_path);
      fp.pop_back();
    }
    return false;
  }

  const KindSchema& schema_;
  Comparison& out_;
};

}  // namespace

FieldSet FieldSet::LeavesOf(const Value& object, std::string_view group, std::string_view kind) {
  const KindSchema schema(group, kind);
  LeavesWalker walker(schema, /*strict=*/false);
  FieldPath fp;
  if (object.is_object()) {
    (void)walker.WalkObject(object, fp, "");
  }
  return std::move(walker.out());
}

Result<FieldSet> FieldSet::StrictLeavesOf(const Value& object, std::string_view group,
                                          std::string_view kind) {
  if (!object.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "the object must be a JSON object");
  }
  const KindSchema schema(group, kind);
  LeavesWalker walker(schema, /*strict=*/true);
  FieldPath fp;
  if (Status st = walker.WalkObject(object, fp, ""); !st) {
    return st.error();
  }
  return std::move(walker.out());
}

Comparison CompareObjects(const Value* lhs, const Value* rhs, std::string_view group,
                          std::string_view kind) {
  const KindSchema schema(group, kind);
  Comparison out;
  CompareWalker walker(schema, out);
  FieldPath fp;
  walker.Walk(lhs, rhs, fp, "");
  return out;
}

}  // namespace plumbline::sim
