#include "fast_path.h"

#include <charconv>
#include <cstring>

#include "canonical.h"

namespace plumbline::hashing {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

constexpr std::uint32_t kNoChild = 0xffffffffu;

bool IsFieldSegment(std::string_view key, std::string_view name) {
  return key.size() == name.size() + 2 && key[0] == 'f' && key[1] == ':' &&
         std::memcmp(key.data() + 2, name.data(), name.size()) == 0;
}

// `spec`/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt, a string.
bool RestartedAt(element spec, std::string_view& out) {
  element e;
  return spec.at_key("template").get(e) == simdjson::SUCCESS &&
         e.at_key("metadata").get(e) == simdjson::SUCCESS &&
         e.at_key("annotations").get(e) == simdjson::SUCCESS &&
         e.at_key(kRestartedAtAnnotation).get(out) == simdjson::SUCCESS;
}

}  // namespace

FastPath::FastPath(const Policy& policy, MaskMemo& memo)
    : policy_(policy),
      memo_(memo),
      policy_key_(PolicyKey(policy)),
      has_sensitive_paths_(!policy.sensitive_paths.empty()) {}

bool FastPath::InSync(const Target& target, element live, bool& restarted) {
  const CompiledTarget* ct = target.compiled.get();
  if (ct == nullptr || ct->policy_key != policy_key_ || !(ct->digest == target.digest) ||
      live.type() != element_type::OBJECT) {
    return false;
  }
  ct_ = ct;
  group_ = target.id.group;
  kind_ = target.id.kind;
  frames_.clear();
  cursors_.clear();
  items_.clear();
  flags_.clear();
  spans_.clear();
  LoadEntries(live);
  frames_.push_back(Frame{});
  for (element fields : entries_) {
    cursors_.push_back(Cursor{fields, true, false});
  }
  cursor_depth_ = 1;
  if (!Object(0, live, /*atomic=*/false)) {
    return false;
  }
  // Walker::Reset's two at_pointer reads (the last one found wins), as key lookups.
  std::string_view restarted_at;
  element spec;
  if (live.at_key("spec").get(spec) == simdjson::SUCCESS) {
    element job_spec;
    std::string_view at;
    if (RestartedAt(spec, at)) {
      restarted_at = at;
    }
    if (spec.at_key("jobTemplate").get(job_spec) == simdjson::SUCCESS &&
        job_spec.at_key("spec").get(job_spec) == simdjson::SUCCESS && RestartedAt(job_spec, at)) {
      restarted_at = at;
    }
  }
  restarted = !restarted_at.empty();
  return true;
}

// ----- the walk (mirrors Walker::WalkNode and friends, on the "everything equal" branch) -----

bool FastPath::Node(std::uint32_t index, element live, bool atomic) {
  const CompiledNode& t = ct_->nodes[index];
  // ElementIsEmpty and the type checks of Walker::WalkNode, with one type read.
  bool empty = false;
  switch (live.type()) {
    case element_type::NULL_VALUE:
      empty = true;
      break;
    case element_type::STRING:
      empty = AsString(live).empty();
      break;
    case element_type::ARRAY: {
      const simdjson::dom::array arr = AsArray(live);
      if (arr.begin() == arr.end()) {
        empty = true;
        break;
      }
      switch (t.kind) {
        case NodeKind::kKeyedList:
          return Keyed(index, live);
        case NodeKind::kSetList:
          return Set(index, live);
        case NodeKind::kAtomicList:
          return Atomic(index, live);
        default:
          return false;  // a list where Git has something else, or an unordered list
      }
    }
    case element_type::OBJECT: {
      const simdjson::dom::object obj = AsObject(live);
      if (obj.begin() == obj.end()) {
        empty = true;
        break;
      }
      return t.kind == NodeKind::kObject && Object(index, live, atomic);
    }
    default:
      break;
  }
  if (empty) {
    return (t.flags & CompiledNode::kAbsentOk) != 0;  // absent: equal only if AllZero
  }
  switch (t.kind) {
    case NodeKind::kString:
    case NodeKind::kNumber:
    case NodeKind::kBool:
    case NodeKind::kNull:
      return Leaf(t, live);
    default:
      return false;  // a scalar where Git has a map or a list
  }
}

std::uint32_t FastPath::FindChild(const CompiledNode& t, std::string_view key) const {
  if (((t.KeyLengths() >> (key.size() % 64)) & 1) == 0) {
    return kNoChild;  // no declared key has this length
  }
  const CompiledNode* children = ct_->nodes.data() + t.first;
  if (t.count <= 16) {
    const std::uint64_t head = KeyHead(key);
    for (std::uint32_t i = 0; i < t.count; ++i) {
      const CompiledNode& c = children[i];
      if (c.key_head == head && c.key_len == key.size() &&
          (key.size() <= 8 ||
           std::memcmp(ct_->pool.data() + c.key_off + 8, key.data() + 8, key.size() - 8) == 0)) {
        return i;
      }
    }
    return kNoChild;
  }
  std::uint32_t lo = 0;
  std::uint32_t hi = t.count;
  while (lo < hi) {
    const std::uint32_t mid = lo + (hi - lo) / 2;
    const int cmp = ct_->Key(children[mid]).compare(key);
    if (cmp == 0) {
      return mid;
    }
    if (cmp < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return kNoChild;
}

bool FastPath::Object(std::uint32_t index, element live, bool atomic) {
  const CompiledNode& t = ct_->nodes[index];
  const std::uint32_t count = t.count;
  // Which declared members were seen live: a bit mask, or flags_ for large maps.
  std::uint64_t seen = 0;
  const std::size_t seen_base = flags_.size();
  if (count > 64) {
    flags_.resize(seen_base + count, 0);
  }
  simdjson::dom::object obj;
  if (live.get(obj) != simdjson::SUCCESS) {
    return false;
  }
  for (auto field : obj) {
    const std::uint32_t c = FindChild(t, field.key);
    if (c != kNoChild) {
      if (count > 64) {
        flags_[seen_base + c] = 1;
      } else {
        seen |= std::uint64_t{1} << c;
      }
      const std::uint32_t child = t.first + c;
      if ((ct_->nodes[child].flags & CompiledNode::kIdentity) != 0) {
        continue;
      }
      if (atomic) {
        if (!Node(child, field.value, true)) {
          return false;
        }
        continue;
      }
      Push(Segment::kField, field.key);
      const bool ok = Node(child, field.value, false);
      Pop();
      if (!ok) {
        return false;
      }
    } else if (!atomic && !Dropped(t.drop, field.key)) {
      Push(Segment::kField, field.key);
      const bool ok = LiveOnly(field.value);
      Pop();
      if (!ok) {
        return false;
      }
    }
  }
  // Declared members absent live: equal only when AllZero (or identity, never compared).
  for (std::uint32_t i = 0; i < count; ++i) {
    const bool was_seen = count > 64 ? flags_[seen_base + i] != 0 : ((seen >> i) & 1) != 0;
    if (!was_seen && (ct_->nodes[t.first + i].flags &
                      (CompiledNode::kAbsentOk | CompiledNode::kIdentity)) == 0) {
      return false;
    }
  }
  if (count > 64) {
    flags_.resize(seen_base);
  }
  return true;
}

bool FastPath::Leaf(const CompiledNode& t, element live) {
  const std::string_view want = ct_->Bytes(t.bytes_off, t.bytes_len);
  const element_type type = live.type();
  if ((t.flags & CompiledNode::kSensitive) != 0 && type == element_type::STRING) {
    // Walker::LiveLeaf: the live value's mask, encoded as a string.
    const std::string_view mask = memo_.Mask(AsString(live));
    char len[24];
    auto [end, ec] = std::to_chars(len, len + sizeof(len), mask.size());
    (void)ec;
    const auto digits = static_cast<std::size_t>(end - len);
    return want.size() == 2 + digits + mask.size() && want[0] == 'S' &&
           want.substr(1, digits) == std::string_view(len, digits) && want[1 + digits] == ':' &&
           want.substr(2 + digits) == mask;
  }
  if ((t.flags & CompiledNode::kQuantity) != 0) {
    EncodeLeafElement(live, true, buf_);
    return buf_ == want;
  }
  switch (type) {
    case element_type::STRING:
      return t.kind == NodeKind::kString && want.substr(t.text_skip) == AsString(live);
    case element_type::INT64: {
      if (t.kind != NodeKind::kNumber) {
        return false;
      }
      char text[24];
      auto [end, ec] = std::to_chars(text, text + sizeof(text), AsInt64(live));
      (void)ec;
      return want.substr(t.text_skip) ==
             std::string_view(text, static_cast<std::size_t>(end - text));
    }
    case element_type::UINT64:
    case element_type::DOUBLE:
      if (t.kind != NodeKind::kNumber) {
        return false;
      }
      AppendNumberText(live, buf_);
      return want.substr(t.text_skip) == buf_;
    case element_type::BOOL:
      return t.kind == NodeKind::kBool && want.size() == 1 && want[0] == (AsBool(live) ? 'T' : 'F');
    default:
      return false;  // a map or list where Git has a leaf
  }
}

bool FastPath::KeyEquals(const KeyedListInfo& info, const CompiledNode& git_item,
                         element live_item) {
  simdjson::dom::object obj;
  const bool is_object = live_item.get(obj) == simdjson::SUCCESS;
  for (std::uint32_t k = 0; k < info.key_count; ++k) {
    const KeyValue& name = ct_->key_names[info.first_key + k];
    const KeyValue& want = ct_->key_values[git_item.aux + k];
    element v;
    if (!is_object || obj.at_key(ct_->Bytes(name.off, name.len)).get(v) != simdjson::SUCCESS ||
        ElementIsEmpty(v)) {
      const KeyValue& def = ct_->key_defaults[info.first_key + k];
      if (def.tag != want.tag || ct_->Bytes(def.off, def.len) != ct_->Bytes(want.off, want.len)) {
        return false;
      }
      continue;
    }
    if (v.type() == element_type::STRING) {
      if (want.tag != 's' || ct_->Bytes(want.off, want.len) != AsString(v)) {
        return false;
      }
      continue;
    }
    buf_.clear();
    AppendJsonScalarElement(v, buf_);
    if (want.tag != 'j' || ct_->Bytes(want.off, want.len) != buf_) {
      return false;
    }
  }
  return true;
}

bool FastPath::Keyed(std::uint32_t index, element live) {
  const CompiledNode& t = ct_->nodes[index];
  const std::size_t item_base = items_.size();
  for (element item : AsArray(live)) {
    items_.push_back(item);
  }
  const std::size_t n = items_.size() - item_base;
  const std::size_t flag_base = flags_.size();
  flags_.resize(flag_base + n, 0);
  const KeyedListInfo& info = ct_->keyed_lists[t.aux];
  // Walker::WalkKeyedList matches each Git item to the first unmatched live item with its key;
  // lists are nearly always in Git order, so the scan starts at the first unmatched item.
  std::size_t first_free = 0;
  for (std::uint32_t g = 0; g < t.count; ++g) {
    const CompiledNode& git_item = ct_->nodes[t.first + g];
    std::size_t found = n;
    for (std::size_t i = first_free; i < n; ++i) {
      if (flags_[flag_base + i] == 0 && KeyEquals(info, git_item, items_[item_base + i])) {
        found = i;
        break;
      }
    }
    if (found == n) {
      if ((git_item.flags & CompiledNode::kAbsentOk) == 0) {
        return false;
      }
      continue;
    }
    flags_[flag_base + found] = 1;
    while (first_free < n && flags_[flag_base + first_free] != 0) {
      ++first_free;
    }
    if (has_sensitive_paths_ && found != g) {
      return false;  // sensitive flags were compiled with Git indices
    }
    Push(Segment::kItem, ct_->Key(git_item));
    const bool ok = Node(t.first + g, items_[item_base + found], false);
    Pop();
    if (!ok) {
      return false;
    }
  }
  // Live items with no Git item: nothing to judge unless a non-system entry can own them.
  for (std::size_t i = 0; i < n; ++i) {
    const element item = items_[item_base + i];
    if (flags_[flag_base + i] != 0 || ElementIsEmpty(item)) {
      continue;
    }
    if (LiveOnlyItemOwned(item, /*keyed=*/true)) {
      return false;
    }
  }
  items_.resize(item_base);
  flags_.resize(flag_base);
  return true;
}

bool FastPath::Set(std::uint32_t index, element live) {
  const CompiledNode& t = ct_->nodes[index];
  const std::size_t item_base = items_.size();
  const std::size_t span_base = spans_.size();
  const std::size_t bytes_base = bytes_.size();
  for (element item : AsArray(live)) {
    items_.push_back(item);
    spans_.push_back(static_cast<std::uint32_t>(bytes_.size()));
    EncodeLeafElement(item, false, buf_);
    bytes_ += buf_;
  }
  const std::size_t n = items_.size() - item_base;
  spans_.push_back(static_cast<std::uint32_t>(bytes_.size()));
  const std::size_t flag_base = flags_.size();
  flags_.resize(flag_base + n, 0);
  for (std::uint32_t g = 0; g < t.count; ++g) {
    const CompiledNode& git_item = ct_->nodes[t.first + g];
    const std::string_view want = ct_->Bytes(git_item.bytes_off, git_item.bytes_len);
    std::size_t found = n;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t begin = spans_[span_base + i];
      const std::uint32_t end = spans_[span_base + i + 1];
      if (flags_[flag_base + i] == 0 &&
          std::string_view(bytes_).substr(begin, end - begin) == want) {
        found = i;
        break;
      }
    }
    if (found == n) {
      return false;
    }
    flags_[flag_base + found] = 1;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (flags_[flag_base + i] == 0 && LiveOnlyItemOwned(items_[item_base + i], /*keyed=*/false)) {
      return false;
    }
  }
  items_.resize(item_base);
  spans_.resize(span_base);
  bytes_.resize(bytes_base);
  flags_.resize(flag_base);
  return true;
}

bool FastPath::Atomic(std::uint32_t index, element live) {
  const CompiledNode& t = ct_->nodes[index];
  const simdjson::dom::array arr = AsArray(live);
  if (arr.size() != t.count) {
    return false;
  }
  std::uint32_t i = 0;
  for (element item : arr) {
    if (!Node(t.first + i, item, /*atomic=*/true)) {
      return false;
    }
    ++i;
  }
  return true;
}

// ----- live-only fields (Walker::JudgeLiveOnly, up to the first ownership question) -----

bool FastPath::LiveOnly(element live) {
  if (ElementIsEmpty(live) || !AnyNonSystemHere()) {
    return true;  // nothing below is owned by a human or an applier
  }
  if (live.type() != element_type::OBJECT) {
    return false;  // an owned value: the full walk judges it
  }
  // A live-only map is judged key by key.
  const DropContext drop = DropContextFor(Schema(), false);
  for (auto field : AsObject(live)) {
    if (Dropped(drop, field.key)) {
      continue;
    }
    Push(Segment::kField, field.key);
    const bool ok = LiveOnly(field.value);
    Pop();
    if (!ok) {
      return false;
    }
  }
  return true;
}

// Walker::JudgeLiveOnlyItem's first question, for an unmatched item of the list at the top frame.
bool FastPath::LiveOnlyItemOwned(element item, bool keyed) {
  if (!AnyNonSystemHere()) {
    return false;  // the list's cursors are dead, so are its items'
  }
  std::string segment;
  if (keyed) {
    const ListSemantics* sem = LookupList(group_, kind_, Schema(), policy_);
    if (sem == nullptr) {
      return true;
    }
    ItemKeySegment(item, *sem, segment);
  } else {
    segment = SetSegmentElement(item);
  }
  Push(Segment::kItem, segment);
  const bool owned = AnyNonSystemHere();
  Pop();
  return owned;
}

bool FastPath::Dropped(DropContext drop, std::string_view key) const {
  switch (drop) {
    case DropContext::kNone:
      return false;
    case DropContext::kRoot:
      return key == "status" || key == "apiVersion" || key == "kind" ||
             (ct_->aggregated_role && key == "rules");
    case DropContext::kMetadata:
      return IsDroppedMetadataField(key);
    case DropContext::kAnnotations:
      return MatchesAny(policy_.dropped_annotations, key);
    case DropContext::kLabels:
      return MatchesAny(policy_.dropped_labels, key);
    case DropContext::kTemplateAnnotations:
      return key == kRestartedAtAnnotation;
  }
  return false;
}

// ----- path and managedFields cursors -----

void FastPath::Push(Segment kind, std::string_view segment) {
  Frame f;
  f.kind = kind;
  f.segment = segment;
  f.cursor_base = cursors_.size();
  frames_.push_back(f);
}

void FastPath::Pop() {
  if (frames_.size() <= cursor_depth_) {
    cursors_.resize(frames_.back().cursor_base);
    cursor_depth_ = frames_.size() - 1;
  }
  frames_.pop_back();
}

void FastPath::EnsureCursors() {
  for (std::size_t k = cursor_depth_; k < frames_.size(); ++k) {
    Frame& f = frames_[k];
    const std::size_t parent_base = frames_[k - 1].cursor_base;
    f.cursor_base = cursors_.size();
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const Cursor parent = cursors_[parent_base + i];
      Cursor child;
      child.leaf_owned = parent.leaf_owned;
      if (parent.alive) {
        simdjson::dom::object node;
        if (parent.node.get(node) == simdjson::SUCCESS) {
          if (node.begin() == node.end()) {
            child.leaf_owned = true;  // an atomic field owned whole (FieldCursor::Child)
          } else {
            for (auto field : node) {
              const bool match = f.kind == Segment::kField ? IsFieldSegment(field.key, f.segment)
                                                           : field.key == f.segment;
              if (match) {
                if (field.value.type() == element_type::OBJECT) {
                  child.node = field.value;
                  child.alive = true;
                }
                break;
              }
            }
          }
        }
      }
      cursors_.push_back(child);
    }
  }
  cursor_depth_ = frames_.size();
}

bool FastPath::AnyNonSystemHere() {
  if (entries_.empty()) {
    return false;
  }
  EnsureCursors();
  const std::size_t base = frames_.back().cursor_base;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (cursors_[base + i].alive || cursors_[base + i].leaf_owned) {
      return true;
    }
  }
  return false;
}

std::string FastPath::Schema() const {
  std::string schema;
  for (std::size_t k = 1; k < frames_.size(); ++k) {
    if (frames_[k].kind == Segment::kField) {
      if (!schema.empty()) {
        schema.push_back('.');
      }
      schema.append(frames_[k].segment);
    } else {
      schema.append("[]");
    }
  }
  return schema;
}

ManagerClass FastPath::Classify(std::string_view manager) {
  for (const auto& [name, cls] : classes_) {
    if (name == manager) {
      return cls;
    }
  }
  const ManagerClass cls = policy_.Classify(manager);
  if (classes_.size() < 64) {
    classes_.emplace_back(std::string(manager), cls);
  }
  return cls;
}

void FastPath::LoadEntries(element live) {
  entries_.clear();
  element meta;
  element managed;
  if (live.at_key("metadata").get(meta) != simdjson::SUCCESS ||
      meta.at_key("managedFields").get(managed) != simdjson::SUCCESS ||
      managed.type() != element_type::ARRAY) {
    return;
  }
  for (element entry : AsArray(managed)) {
    simdjson::dom::object obj;
    element fields;
    if (entry.get(obj) != simdjson::SUCCESS ||
        obj.at_key("fieldsV1").get(fields) != simdjson::SUCCESS ||
        fields.type() != element_type::OBJECT) {
      continue;  // ReadManagedEntry skips it too
    }
    std::string_view manager;
    if (obj.at_key("manager").get(manager) != simdjson::SUCCESS) {
      manager = {};
    }
    if (Classify(manager) != ManagerClass::kSystem) {
      entries_.push_back(fields);
    }
  }
}

}  // namespace plumbline::hashing
