#include "fast_path.h"

#include <charconv>
#include <cstring>

#include <xxhash.h>

#include "canonical.h"

namespace plumbline::hashing {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

constexpr std::uint32_t kNoChild = 0xffffffffu;

// AsString for an element known to be a string, always inlined (the hot compare).
[[gnu::always_inline]] inline std::string_view Str(element e) {
  std::string_view s;
  if (e.get(s) != simdjson::SUCCESS) {
    return {};
  }
  return s;
}

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
  table_.clear();
  live_hashes_.clear();
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
      empty = Str(live).empty();
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
  int closed = -1;  // Closed(t), computed at the first live-only member
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
    } else if (!atomic) {
      if (closed < 0) {
        closed = Closed(t) ? 1 : 0;
      }
      if (closed == 1 || Dropped(t.drop, field.key)) {
        continue;  // no non-system entry can own an undeclared member here, or never judged
      }
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
    const std::string_view mask = memo_.Mask(Str(live));
    char len[24];
    auto [end, ec] = std::to_chars(len, len + sizeof(len), mask.size());
    (void)ec;
    const auto digits = static_cast<std::size_t>(end - len);
    return want.size() == 2 + digits + mask.size() && want[0] == 'S' &&
           want.substr(1, digits) == std::string_view(len, digits) && want[1 + digits] == ':' &&
           want.substr(2 + digits) == mask;
  }
  if ((t.flags & CompiledNode::kQuantity) != 0) {
    if ((t.flags & CompiledNode::kQuantityFixed) != 0) {
      // The live text is the canonical text: it canonicalizes to it (checked when compiling).
      const std::string_view canonical = want.substr(t.text_skip);
      if (type == element_type::STRING && Str(live) == canonical) {
        return true;
      }
      if (type == element_type::INT64) {
        char text[24];
        auto [end, ec] = std::to_chars(text, text + sizeof(text), AsInt64(live));
        (void)ec;
        if (std::string_view(text, static_cast<std::size_t>(end - text)) == canonical) {
          return true;
        }
      }
    }
    EncodeLeafElement(live, true, buf_);
    return buf_ == want;
  }
  if ((t.flags & CompiledNode::kHashed) != 0) {
    // A long Git string: its length and XXH3-128 (CompiledNode::kHashed).
    if (type != element_type::STRING) {
      return false;
    }
    const std::string_view s = Str(live);
    if (s.size() != t.aux) {
      return false;
    }
    const XXH128_hash_t h = XXH3_128bits(s.data(), s.size());
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::memcpy(&high, want.data(), 8);
    std::memcpy(&low, want.data() + 8, 8);
    return h.high64 == high && h.low64 == low;
  }
  switch (type) {
    case element_type::STRING:
      return t.kind == NodeKind::kString && want.substr(t.text_skip) == Str(live);
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
      if (want.tag != 's' || ct_->Bytes(want.off, want.len) != Str(v)) {
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

std::uint64_t FastPath::LiveKeyHash(const KeyedListInfo& info, element live_item) {
  simdjson::dom::object obj;
  const bool is_object = live_item.get(obj) == simdjson::SUCCESS;
  key_hasher_.Clear();
  for (std::uint32_t k = 0; k < info.key_count; ++k) {
    const KeyValue& name = ct_->key_names[info.first_key + k];
    element v;
    if (!is_object || obj.at_key(ct_->Bytes(name.off, name.len)).get(v) != simdjson::SUCCESS ||
        ElementIsEmpty(v)) {
      const KeyValue& def = ct_->key_defaults[info.first_key + k];
      key_hasher_.Add(def.tag, ct_->Bytes(def.off, def.len));
    } else if (v.type() == element_type::STRING) {
      key_hasher_.Add('s', Str(v));
    } else {
      buf_.clear();
      AppendJsonScalarElement(v, buf_);
      key_hasher_.Add('j', buf_);
    }
  }
  return key_hasher_.Finish();
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
  // Long lists (env, volumes) are sorted by key in the target but not live: index the live items
  // by key hash. Linear probing keeps equal keys in live order, so the first unmatched match
  // found is the walk's.
  const bool indexed = n > 8 && info.key_count > 0;
  const std::size_t table_base = table_.size();
  const std::size_t hash_base = live_hashes_.size();
  std::size_t table_mask = 0;
  if (indexed) {
    std::size_t size = 16;
    while (size < 2 * n) {
      size *= 2;
    }
    table_mask = size - 1;
    table_.resize(table_base + size, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t h = LiveKeyHash(info, items_[item_base + i]);
      live_hashes_.push_back(h);
      std::size_t slot = h & table_mask;
      while (table_[table_base + slot] != 0) {
        slot = (slot + 1) & table_mask;
      }
      table_[table_base + slot] = static_cast<std::uint32_t>(i + 1);
    }
  }
  std::size_t first_free = 0;
  for (std::uint32_t g = 0; g < t.count; ++g) {
    const CompiledNode& git_item = ct_->nodes[t.first + g];
    std::size_t found = n;
    if (indexed) {
      const std::uint64_t h = ct_->key_hashes[git_item.aux];
      for (std::size_t slot = h & table_mask; table_[table_base + slot] != 0;
           slot = (slot + 1) & table_mask) {
        const std::size_t i = table_[table_base + slot] - 1;
        if (flags_[flag_base + i] == 0 && live_hashes_[hash_base + i] == h &&
            KeyEquals(info, git_item, items_[item_base + i])) {
          found = i;
          break;
        }
      }
    } else {
      for (std::size_t i = first_free; i < n; ++i) {
        if (flags_[flag_base + i] == 0 && KeyEquals(info, git_item, items_[item_base + i])) {
          found = i;
          break;
        }
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
  table_.resize(table_base);
  live_hashes_.resize(hash_base);
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

// True when no non-system entry can own an undeclared member of the declared map `t` (at the
// top frame): for each entry, its cursor here is dead, or names only "." and declared members.
// Then Walker::AnyNonSystemCursorHere is false for every live-only member, so one scan of the
// trie nodes replaces a cursor descent per live-only member.
bool FastPath::Closed(const CompiledNode& t) {
  if (entries_.empty()) {
    return true;
  }
  EnsureCursors();
  const std::size_t base = frames_.back().cursor_base;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Cursor& c = cursors_[base + i];
    if (c.leaf_owned) {
      return false;
    }
    if (!c.alive) {
      continue;
    }
    simdjson::dom::object node;
    if (c.node.get(node) != simdjson::SUCCESS || node.begin() == node.end()) {
      return false;  // a leaf {}: the map is owned whole
    }
    for (auto field : node) {
      const std::string_view key = field.key;
      if (key == ".") {
        continue;
      }
      if (key.size() < 2 || key[0] != 'f' || key[1] != ':' ||
          FindChild(t, key.substr(2)) == kNoChild) {
        return false;
      }
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
