#include "managed_fields.h"

#include "canonical.h"

namespace plumbline::hashing {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

std::string_view StringField(element e, std::string_view key) {
  std::string_view out;
  if (e.at_key(key).get(out) != simdjson::SUCCESS) {
    return {};
  }
  return out;
}

bool IsLeaf(element node) {
  simdjson::dom::object obj;
  return node.get(obj) == simdjson::SUCCESS && obj.begin() == obj.end();
}

bool HasDot(element node) {
  element dot;
  return node.type() == element_type::OBJECT && node.at_key(".").get(dot) == simdjson::SUCCESS;
}

}  // namespace

bool ReadManagedEntry(element entry, const Policy& policy, ManagedEntry& out) {
  if (entry.type() != element_type::OBJECT) {
    return false;
  }
  element fields;
  if (entry.at_key("fieldsV1").get(fields) != simdjson::SUCCESS ||
      fields.type() != element_type::OBJECT) {
    return false;
  }
  out.manager = StringField(entry, "manager");
  out.operation = StringField(entry, "operation");
  out.time = StringField(entry, "time");
  out.subresource = StringField(entry, "subresource");
  out.manager_class = policy.Classify(out.manager);
  out.fields = fields;
  return true;
}

FieldCursor FieldCursor::Root(element fields) {
  FieldCursor c;
  c.node_ = fields;
  c.alive_ = true;
  return c;
}

FieldCursor FieldCursor::Child(std::string_view segment, std::size_t child_depth) const {
  FieldCursor c;
  c.leaf_depth_ = leaf_depth_;
  if (!alive_) {
    return c;
  }
  if (IsLeaf(node_)) {
    // An atomic field owned whole: everything below belongs to this entry.
    if (c.leaf_depth_ < 0) {
      c.leaf_depth_ = static_cast<int>(child_depth) - 1;
    }
    return c;
  }
  element child;
  if (node_.at_key(segment).get(child) == simdjson::SUCCESS &&
      child.type() == element_type::OBJECT) {
    c.node_ = child;
    c.alive_ = true;
  }
  return c;
}

int FieldCursor::OwnedDepth(std::size_t depth) const {
  if (alive_ && (IsLeaf(node_) || HasDot(node_))) {
    return static_cast<int>(depth);
  }
  return leaf_depth_;
}

std::optional<Actor> CreatorOf(element live, const Policy& policy) {
  element mf;
  if (live.at_pointer("/metadata/managedFields").get(mf) != simdjson::SUCCESS ||
      mf.type() != element_type::ARRAY) {
    return std::nullopt;
  }
  std::optional<Actor> best;
  for (element entry : AsArray(mf)) {
    ManagedEntry e;
    if (!ReadManagedEntry(entry, policy, e) || !e.subresource.empty()) {
      continue;
    }
    if (!best || e.time < best->time) {
      best = e.ToActor();
    }
  }
  return best;
}

bool HasControllerOwner(element metadata) {
  element refs;
  if (metadata.at_key("ownerReferences").get(refs) != simdjson::SUCCESS ||
      refs.type() != element_type::ARRAY) {
    return false;
  }
  for (element ref : AsArray(refs)) {
    bool controller = false;
    if (ref.at_key("controller").get(controller) == simdjson::SUCCESS && controller) {
      return true;
    }
  }
  return false;
}

}  // namespace plumbline::hashing
