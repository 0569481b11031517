#include "plumbline/hashing/engine.h"

#define XXH_STATIC_LINKING_ONLY
#include <algorithm>
#include <cstring>

#include <xxhash.h>

#include "plumbline/hashing/json.h"
#include "plumbline/hashing/schema_tables.h"

#include "canonical.h"
#include "compiled.h"
#include "fast_path.h"
#include "managed_fields.h"
#include "mask_memo.h"
#include "normalize.h"
#include "patch.h"

namespace plumbline::hashing {

using simdjson::dom::element;
using simdjson::dom::element_type;

// ---------------------------------------------------------------------------------------------
// Small value types

std::string Digest128::Hex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[static_cast<std::size_t>(15 - i)] = kHex[(high >> (4 * i)) & 0xf];
    out[static_cast<std::size_t>(31 - i)] = kHex[(low >> (4 * i)) & 0xf];
  }
  return out;
}

Result<Digest128> Digest128::FromHex(std::string_view hex) {
  if (hex.size() != 32) {
    return MakeError(ErrorCode::kInvalidArgument, "digest must be 32 hex digits");
  }
  Digest128 d;
  for (std::size_t i = 0; i < 32; ++i) {
    const char c = hex[i];
    std::uint64_t nibble = 0;
    if (c >= '0' && c <= '9') {
      nibble = static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      nibble = static_cast<std::uint64_t>(c - 'a' + 10);
    } else {
      return MakeError(ErrorCode::kInvalidArgument, "digest must be lower-case hex");
    }
    std::uint64_t& word = i < 16 ? d.high : d.low;
    word = (word << 4) | nibble;
  }
  return d;
}

std::string ResourceId::Key() const {
  std::string out;
  out.reserve(group.size() + kind.size() + namespace_.size() + name.size() + 3);
  out.append(group)
      .append("/")
      .append(kind)
      .append("/")
      .append(namespace_)
      .append("/")
      .append(name);
  return out;
}

std::string ResourceId::DisplayName() const {
  std::string out = kind;
  if (!group.empty()) {
    out += "." + group;
  }
  out += " ";
  if (!namespace_.empty()) {
    out += namespace_ + "/";
  }
  out += name;
  return out;
}

std::string ResourceId::ApiVersion() const {
  return group.empty() ? version : group + "/" + version;
}

namespace {

Result<ResourceId> MakeIdentity(std::string_view api_version, std::string_view kind,
                                std::string_view ns, std::string_view name) {
  if (api_version.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "document has no apiVersion");
  }
  if (kind.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "document has no kind");
  }
  if (name.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(kind) + " has no metadata.name (generateName cannot be tracked)");
  }
  ResourceId id;
  if (auto slash = api_version.find('/'); slash != std::string_view::npos) {
    id.group = std::string(api_version.substr(0, slash));
    id.version = std::string(api_version.substr(slash + 1));
  } else {
    id.version = std::string(api_version);
  }
  id.kind = std::string(kind);
  id.namespace_ = std::string(ns);
  id.name = std::string(name);
  return id;
}

std::string_view ElementString(element e, std::string_view key) {
  std::string_view out;
  if (e.at_key(key).get(out) != simdjson::SUCCESS) {
    return {};
  }
  return out;
}

}  // namespace

Result<ResourceId> IdentityOf(const Value& object) {
  if (!object.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "document is not a mapping");
  }
  const Value* meta = object.Find("metadata");
  if (meta != nullptr) {
    for (const char* field : {"name", "namespace"}) {
      const Value* v = meta->Find(field);
      if (v != nullptr && !v->is_string() && !v->is_null()) {
        return MakeError(ErrorCode::kInvalidArgument,
                         std::string("metadata.") + field +
                             " must be a string (YAML 1.1 reads y, yes, on, no... as booleans "
                             "and 0644 as a number: quote it)");
      }
    }
  }
  const Value empty;
  const Value& m = meta != nullptr ? *meta : empty;
  return MakeIdentity(object.GetString("apiVersion"), object.GetString("kind"),
                      m.GetString("namespace"), m.GetString("name"));
}

Result<ResourceId> IdentityOf(element object) {
  if (object.type() != element_type::OBJECT) {
    return MakeError(ErrorCode::kInvalidArgument, "document is not an object");
  }
  element meta;
  std::string_view ns;
  std::string_view name;
  if (object.at_key("metadata").get(meta) == simdjson::SUCCESS) {
    ns = ElementString(meta, "namespace");
    name = ElementString(meta, "name");
  }
  return MakeIdentity(ElementString(object, "apiVersion"), ElementString(object, "kind"), ns, name);
}

bool IsClusterScopedKind(std::string_view group, std::string_view kind) {
  struct Row {
    std::string_view group;
    std::string_view kind;
  };
  static constexpr Row kRows[] = {
      {"", "Namespace"},
      {"", "Node"},
      {"", "PersistentVolume"},
      {"", "ComponentStatus"},
      {"rbac.authorization.k8s.io", "ClusterRole"},
      {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
      {"apiextensions.k8s.io", "CustomResourceDefinition"},
      {"apiregistration.k8s.io", "APIService"},
      {"storage.k8s.io", "StorageClass"},
      {"storage.k8s.io", "CSIDriver"},
      {"storage.k8s.io", "CSINode"},
      {"storage.k8s.io", "VolumeAttachment"},
      {"scheduling.k8s.io", "PriorityClass"},
      {"node.k8s.io", "RuntimeClass"},
      {"networking.k8s.io", "IngressClass"},
      {"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
      {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
      {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"},
      {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"},
      {"certificates.k8s.io", "CertificateSigningRequest"},
      {"flowcontrol.apiserver.k8s.io", "FlowSchema"},
      {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"},
      {"policy", "PodSecurityPolicy"},
  };
  return std::any_of(std::begin(kRows), std::end(kRows),
                     [&](const Row& r) { return r.group == group && r.kind == kind; });
}

std::string_view DriftKindName(DriftKind kind) {
  switch (kind) {
    case DriftKind::kModified:
      return "modified";
    case DriftKind::kMissing:
      return "missing";
    case DriftKind::kExtraneous:
      return "extraneous";
    case DriftKind::kOrphan:
      return "orphan";
    case DriftKind::kNone:
      break;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Targets

Result<Target> PrepareTarget(Value object, const Policy& policy, const SecretHasher& hasher,
                             std::string_view default_namespace) {
  auto id = IdentityOf(object);
  if (!id) {
    return id.error();
  }
  if (id->namespace_.empty() && !default_namespace.empty() &&
      !IsClusterScopedKind(id->group, id->kind)) {
    id->namespace_ = std::string(default_namespace);
    object.Find("metadata")->Set("namespace", Value::String(id->namespace_));
  }
  if (auto st = NormalizeGitObject(object, *id, policy, hasher); !st) {
    return st.error();
  }
  Target target;
  target.id = std::move(*id);
  target.object = std::move(object);
  target.digest = CanonicalDigest(target.object, target.id, policy);
  target.compiled = CompileTarget(target, policy);
  return target;
}

Result<Target> TargetFromNormalized(Value normalized, const Policy& policy,
                                    std::string_view expected_digest_hex) {
  auto id = IdentityOf(normalized);
  if (!id) {
    return id.error();
  }
  auto expected = Digest128::FromHex(expected_digest_hex);
  if (!expected) {
    return expected.error();
  }
  Target target;
  target.id = std::move(*id);
  target.object = std::move(normalized);
  target.digest = CanonicalDigest(target.object, target.id, policy);
  if (!(target.digest == *expected)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     target.id.DisplayName() + ": stored digest " +
                         std::string(expected_digest_hex) + " does not match the object (" +
                         target.digest.Hex() + "); re-render the bundle");
  }
  target.compiled = CompileTarget(target, policy);
  return target;
}

std::size_t CompiledTargetBytes(const Target& target) {
  return target.compiled != nullptr ? target.compiled->MemoryBytes() : 0;
}

// ---------------------------------------------------------------------------------------------
// The walker

namespace {

enum class SegmentKind : std::uint8_t { kRoot, kField, kKeyedItem, kSetItem, kIndex };

struct Frame {
  SegmentKind kind = SegmentKind::kRoot;
  std::string_view name;          // field name (kField)
  const Value* target = nullptr;  // target node at this path, if any
  element live;
  bool live_present = false;
  std::size_t schema_len = 0;
  std::size_t pointer_len = 0;
  std::size_t git_pointer_len = 0;
  std::size_t managed_len = 0;
  std::size_t cursor_base = 0;
  const ListSemantics* list = nullptr;  // semantics of the list this item belongs to
};

bool IsZeroLeaf(const Value& t) {
  return (t.is_bool() && !t.bool_value()) || (t.is_number() && t.text() == "0");
}

bool AllZero(const Value& t) {
  if (t.is_object()) {
    return std::all_of(t.members().begin(), t.members().end(),
                       [](const Value::Member& m) { return AllZero(m.second); });
  }
  if (t.is_array()) {
    return false;  // a declared non-empty list is never "absent"
  }
  return IsZeroLeaf(t) || t.IsEmpty();
}

Digest128 ToDigest(XXH128_hash_t h) { return Digest128{h.high64, h.low64}; }

// A parsed jq path expression of the supported subset.
struct JqStep {
  enum class Kind { kField, kAnyItem, kSelect } kind = Kind::kField;
  std::string name;  // field name, or select's field
  Value value;       // select's value
};

std::vector<JqStep> ParseJq(std::string_view expr) {
  std::vector<JqStep> steps;
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') {
      s.remove_prefix(1);
    }
    while (!s.empty() && s.back() == ' ') {
      s.remove_suffix(1);
    }
    return s;
  };
  std::size_t start = 0;
  while (start <= expr.size()) {
    std::size_t bar = expr.find('|', start);
    std::string_view part = trim(
        expr.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    start = bar == std::string_view::npos ? expr.size() + 1 : bar + 1;
    if (part.rfind("select(", 0) == 0 && part.back() == ')') {
      std::string_view inner = trim(part.substr(7, part.size() - 8));
      auto eq = inner.find("==");
      if (eq == std::string_view::npos || inner.empty() || inner.front() != '.') {
        return {};
      }
      JqStep step;
      step.kind = JqStep::Kind::kSelect;
      step.name = std::string(trim(inner.substr(1, eq - 1)));
      auto rhs = ParseJson(trim(inner.substr(eq + 2)));
      if (!rhs) {
        return {};
      }
      step.value = std::move(*rhs);
      steps.push_back(std::move(step));
      continue;
    }
    // A path: .a.b[]."c.d"
    std::size_t i = 0;
    while (i < part.size()) {
      if (part[i] == '.') {
        ++i;
        if (i < part.size() && part[i] == '"') {
          auto close = part.find('"', i + 1);
          if (close == std::string_view::npos) {
            return {};
          }
          steps.push_back(
              {JqStep::Kind::kField, std::string(part.substr(i + 1, close - i - 1)), {}});
          i = close + 1;
        } else {
          std::size_t j = i;
          while (j < part.size() && part[j] != '.' && part[j] != '[') {
            ++j;
          }
          if (j > i) {
            steps.push_back({JqStep::Kind::kField, std::string(part.substr(i, j - i)), {}});
          }
          i = j;
        }
      } else if (part.compare(i, 2, "[]") == 0) {
        steps.push_back({JqStep::Kind::kAnyItem, {}, {}});
        i += 2;
      } else {
        return {};
      }
    }
  }
  return steps;
}

struct PreparedRule {
  const IgnoreRule* rule;
  std::vector<std::vector<JqStep>> jq;
};

}  // namespace

class Engine::Walker {
 public:
  Walker(const Policy& policy, const SecretHasher& hasher, MaskMemo& masks)
      : policy_(policy), hasher_(hasher), masks_(masks) {}

  // Runs one walk. `verdict` is null in digest mode.
  LiveDigests Run(const Target& target, element live, const LiveContext& context,
                  Verdict* verdict) {
    Reset(target, live, context, verdict);
    XXH3_128bits_reset(&declared_);
    feed_len_ = 0;
    frames_.push_back(Frame{});
    frames_.back().target = &target.object;
    frames_.back().live = live;
    frames_.back().live_present = true;
    WalkObject(target.object, live, /*atomic=*/false);
    frames_.pop_back();

    LiveDigests out;
    FlushFeed();
    out.declared = ToDigest(XXH3_128bits_digest(&declared_));
    out.live_only = Digest128{extra_high_, extra_low_};
    out.in_sync = out.declared == target.digest && extra_count_ == 0;
    out.restarted = !restarted_at_.empty();
    if (verdict != nullptr) {
      FinishVerdict(target, *verdict);
    }
    return out;
  }

 private:
  // ----- setup -----
  void Reset(const Target& target, element live, const LiveContext& context, Verdict* verdict) {
    target_ = &target;
    context_ = context;
    verdict_ = verdict;
    group_ = target.id.group;
    kind_ = target.id.kind;
    schema_.clear();
    pointer_.clear();
    git_pointer_.clear();
    managed_.clear();
    frames_.clear();
    cursors_.clear();
    extra_high_ = 0;
    extra_low_ = 0;
    extra_count_ = 0;
    probe_depth_ = 0;
    probe_failed_ = false;
    restarted_at_.clear();
    last_applied_parsed_ = false;
    last_applied_ = Value();
    drifts_.clear();
    aggregated_role_ = kind_ == "ClusterRole" && group_ == "rbac.authorization.k8s.io" &&
                       target.object.Find("aggregationRule") != nullptr;
    cursor_depth_ = 1;
    LoadManagedFields(live);
    PrepareRules(target.id);
    track_pointers_ = verdict != nullptr || !rules_.empty() || !policy_.sensitive_paths.empty() ||
                      (kind_ == "Secret" && group_.empty());
    for (const char* path :
         {"/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt",
          "/spec/jobTemplate/spec/template/metadata/annotations/"
          "kubectl.kubernetes.io~1restartedAt"}) {
      std::string_view at;
      if (live.at_pointer(path).get(at) == simdjson::SUCCESS) {
        restarted_at_ = std::string(at);
      }
    }
  }

  void LoadManagedFields(element live) {
    entries_.clear();
    element mf;
    if (live.at_pointer("/metadata/managedFields").get(mf) != simdjson::SUCCESS ||
        mf.type() != element_type::ARRAY) {
      return;
    }
    for (element entry : AsArray(mf)) {
      ManagedEntry e;
      if (ReadManagedEntry(entry, policy_, e)) {
        entries_.push_back(e);
      }
    }
    any_non_system_ = std::any_of(entries_.begin(), entries_.end(), [](const ManagedEntry& e) {
      return e.manager_class != ManagerClass::kSystem;
    });
    // Root cursors.
    for (const auto& e : entries_) {
      cursors_.push_back(FieldCursor::Root(e.fields));
    }
  }

  void PrepareRules(const ResourceId& id) {
    rules_.clear();
    for (const auto& rule : policy_.ignore) {
      if ((rule.group.empty() || GlobMatch(rule.group, id.group)) &&
          (rule.kind.empty() || GlobMatch(rule.kind, id.kind)) &&
          (rule.name.empty() || GlobMatch(rule.name, id.name)) &&
          (rule.namespace_.empty() || GlobMatch(rule.namespace_, id.namespace_))) {
        PreparedRule prepared{&rule, {}};
        for (const auto& expr : rule.jq_path_expressions) {
          prepared.jq.push_back(ParseJq(expr));
        }
        rules_.push_back(std::move(prepared));
      }
    }
  }

  // ----- path stack -----
  // `segment_prefix` + `segment_body` is the managedFields segment ("f:" + name, "k:{...}").
  void Push(SegmentKind kind, std::string_view name, const Value* t, const element* live,
            std::string_view pointer_token, std::string_view git_token,
            std::string_view segment_prefix, std::string_view segment_body,
            const ListSemantics* list = nullptr) {
    Frame f;
    f.kind = kind;
    f.name = name;
    f.target = t;
    f.live_present = live != nullptr;
    if (live != nullptr) {
      f.live = *live;
    }
    f.schema_len = schema_.size();
    f.pointer_len = pointer_.size();
    f.git_pointer_len = git_pointer_.size();
    f.managed_len = managed_.size();
    f.cursor_base = cursors_.size();
    f.list = list;
    if (kind == SegmentKind::kField) {
      if (!schema_.empty()) {
        schema_.push_back('.');
      }
      schema_.append(name);
    } else {
      schema_.append("[]");
    }
    if (track_pointers_) {
      AppendJsonPointerToken(pointer_, pointer_token);
      AppendJsonPointerToken(git_pointer_, git_token);
    }
    managed_.push_back('\x1f');
    managed_.append(segment_prefix);
    managed_.append(segment_body);
    frames_.push_back(f);  // cursors are descended lazily (EnsureCursors)
  }

  // Descends the managedFields cursors of every frame above the computed prefix.
  void EnsureCursors() {
    for (std::size_t k = cursor_depth_; k < frames_.size(); ++k) {
      Frame& f = frames_[k];
      const std::size_t end = k + 1 < frames_.size() ? frames_[k + 1].managed_len : managed_.size();
      const std::string_view segment(managed_.data() + f.managed_len + 1, end - f.managed_len - 1);
      const std::size_t parent_base = frames_[k - 1].cursor_base;
      f.cursor_base = cursors_.size();
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        cursors_.push_back(cursors_[parent_base + i].Child(segment, k));
      }
    }
    cursor_depth_ = frames_.size();
  }

  void Pop() {
    const Frame& f = frames_.back();
    schema_.resize(f.schema_len);
    pointer_.resize(f.pointer_len);
    git_pointer_.resize(f.git_pointer_len);
    managed_.resize(f.managed_len);
    if (frames_.size() <= cursor_depth_) {
      cursors_.resize(f.cursor_base);
      cursor_depth_ = frames_.size() - 1;
    }
    frames_.pop_back();
  }

  // ----- ownership -----
  const ManagedEntry* OwnerHere() {
    EnsureCursors();
    const std::size_t base = frames_.back().cursor_base;
    const std::size_t depth = frames_.size() - 1;
    const ManagedEntry* best = nullptr;
    int best_depth = -1;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      const int d = cursors_[base + i].OwnedDepth(depth);
      if (d < 0) {
        continue;
      }
      if (d > best_depth || (d == best_depth && entries_[i].time >= best->time)) {
        best = &entries_[i];
        best_depth = d;
      }
    }
    return best;
  }

  bool AnyNonSystemCursorHere() {
    if (!any_non_system_) {
      return false;
    }
    EnsureCursors();
    const std::size_t base = frames_.back().cursor_base;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].manager_class != ManagerClass::kSystem && cursors_[base + i].Alive()) {
        return true;
      }
    }
    return false;
  }

  // ----- dropped live paths (normalization, section 3) -----
  bool IsDroppedLiveField(std::string_view key) const {
    const std::size_t depth = frames_.size();  // depth of the parent frame + 1
    if (depth == 1) {
      return key == "status" || key == "apiVersion" || key == "kind" ||
             (aggregated_role_ && key == "rules");
    }
    if (depth == 2 && schema_ == "metadata") {
      return IsDroppedMetadataField(key);
    }
    if (schema_ == "metadata.annotations") {
      return MatchesAny(policy_.dropped_annotations, key);
    }
    if (schema_ == "metadata.labels") {
      return MatchesAny(policy_.dropped_labels, key);
    }
    if (key == kRestartedAtAnnotation && IsTemplateAnnotations(schema_)) {
      return true;
    }
    return false;
  }

  // ----- leaf encoding -----
  void TargetLeaf(const Value& t, std::string& out) {
    leaf_quantity_ = IsQuantityPath(schema_, policy_);
    EncodeLeafValue(t, leaf_quantity_, out);
  }

  void LiveLeaf(element l, std::string& out) {
    if (IsSensitivePath(kind_, group_, pointer_, policy_) && l.type() == element_type::STRING) {
      std::string_view s = AsString(l);
      out.clear();
      EncodeLeafValue(Value::String(std::string(masks_.Mask(s))), false, out);
      return;
    }
    EncodeLeafElement(l, leaf_quantity_, out);
  }

  Value LiveToMaskedValue(element l) {
    return ElementToNormalizedValue(l, pointer_, group_, kind_, policy_, hasher_);
  }

  // ----- hashing -----
  void Feed(std::string_view bytes) {
    if (probe_depth_ == 0) {
      if (feed_len_ + bytes.size() > sizeof(feed_buf_)) {
        FlushFeed();
        if (bytes.size() > sizeof(feed_buf_) / 2) {
          XXH3_128bits_update(&declared_, bytes.data(), bytes.size());
          return;
        }
      }
      std::memcpy(feed_buf_ + feed_len_, bytes.data(), bytes.size());
      feed_len_ += bytes.size();
    }
  }
  void FlushFeed() {
    if (feed_len_ > 0) {
      XXH3_128bits_update(&declared_, feed_buf_, feed_len_);
      feed_len_ = 0;
    }
  }
  void Feed(char c) { Feed(std::string_view(&c, 1)); }

  void FeedTargetFull(const Value& t) {
    if (probe_depth_ == 0) {
      EncodeCanonical(t, schema_, *target_, policy_, [this](std::string_view b) { Feed(b); });
    }
  }

  void FeedLiveFull(element l) {
    if (probe_depth_ == 0) {
      std::string buf;
      EncodeElementFull(l, buf);
      Feed('L');
      Feed(buf);
    }
  }

  // ----- drift recording -----
  enum class Outcome { kEqual, kDrift };

  bool SuppressedByRule(std::string_view pointer, const ManagedEntry* owner) const {
    for (const auto& prepared : rules_) {
      for (const auto& jp : prepared.rule->json_pointers) {
        if (pointer == jp ||
            (pointer.size() > jp.size() && pointer.compare(0, jp.size(), jp) == 0 &&
             pointer[jp.size()] == '/')) {
          return true;
        }
      }
      if (owner != nullptr) {
        for (const auto& m : prepared.rule->managed_fields_managers) {
          if (GlobMatch(m, owner->manager)) {
            return true;
          }
        }
      }
      for (const auto& steps : prepared.jq) {
        if (!steps.empty() && JqMatches(steps)) {
          return true;
        }
      }
    }
    return false;
  }

  bool JqMatches(const std::vector<JqStep>& steps) const {
    std::size_t f = 1;  // frames_[0] is the root
    const Frame* last_item = nullptr;
    for (const auto& step : steps) {
      if (step.kind == JqStep::Kind::kSelect) {
        if (last_item == nullptr) {
          return false;
        }
        if (!ItemFieldEquals(*last_item, step.name, step.value)) {
          return false;
        }
        continue;
      }
      if (f >= frames_.size()) {
        return false;  // the drift is above the selected path
      }
      const Frame& frame = frames_[f];
      if (step.kind == JqStep::Kind::kField) {
        if (frame.kind != SegmentKind::kField || frame.name != step.name) {
          return false;
        }
      } else if (frame.kind == SegmentKind::kField || frame.kind == SegmentKind::kRoot) {
        return false;
      } else {
        last_item = &frame;
      }
      ++f;
    }
    return true;
  }

  static bool ItemFieldEquals(const Frame& item, std::string_view field, const Value& expected) {
    if (item.live_present) {
      element v;
      if (item.live.type() != element_type::OBJECT ||
          item.live.at_key(field).get(v) != simdjson::SUCCESS) {
        return false;
      }
      std::string a;
      std::string b;
      EncodeLeafElement(v, false, a);
      EncodeLeafValue(expected, false, b);
      return a == b;
    }
    if (item.target != nullptr) {
      const Value* v = item.target->Find(field);
      return v != nullptr && *v == expected;
    }
    return false;
  }

  // A declared field differs. Decides delegation and suppression, records the drift.
  Outcome DeclaredDrift(const Value* t, const element* live) {
    if (probe_depth_ > 0) {
      probe_failed_ = true;
      return Outcome::kDrift;
    }
    const bool live_present = live != nullptr;
    const std::string& pointer = live_present ? pointer_ : git_pointer_;
    const ManagedEntry* owner = live_present ? OwnerHere() : nullptr;
    if (live_present && owner != nullptr && owner->subresource == "scale" &&
        context_.scaled_by_hpa && IsReplicasPath(schema_)) {
      return Outcome::kEqual;  // delegated to the autoscaler (policy section 4)
    }
    if (SuppressedByRule(pointer, owner)) {
      if (verdict_ != nullptr) {
        verdict_->suppressed.push_back(pointer);
      }
      return Outcome::kEqual;
    }
    if (verdict_ != nullptr) {
      DriftRecord r;
      r.pointer = pointer;
      r.git_pointer = git_pointer_;
      if (owner != nullptr) {
        r.actor = owner->ToActor();
      }
      if (live_present) {
        r.op = t != nullptr ? "replace" : "add";
        r.value = LiveToMaskedValue(*live);
      } else {
        r.op = "remove";
      }
      drifts_.push_back(std::move(r));
    }
    return Outcome::kDrift;
  }

  // A live-only field (or list item) counts as drift (section 5).
  void LiveOnlyDrift(element live, const ManagedEntry& owner) {
    if (SuppressedByRule(pointer_, &owner)) {
      if (verdict_ != nullptr) {
        verdict_->suppressed.push_back(pointer_);
      }
      return;
    }
    // Order-independent digest: sum of per-field digests keyed by the managed path.
    std::string buf = managed_;
    buf.push_back('\x1e');
    EncodeElementFull(live, buf);
    if (IsSensitivePath(kind_, group_, pointer_, policy_)) {
      buf = managed_ + '\x1e' + hasher_.Mask(buf);
    }
    const XXH128_hash_t h = XXH3_128bits(buf.data(), buf.size());
    extra_low_ += h.low64;
    extra_high_ += h.high64;
    ++extra_count_;
    if (verdict_ != nullptr) {
      DriftRecord r;
      r.pointer = pointer_;
      r.git_pointer = git_pointer_;
      r.actor = owner.ToActor();
      r.op = "add";
      r.value = LiveToMaskedValue(live);
      r.live_only = true;
      drifts_.push_back(std::move(r));
    }
  }

  // ----- the walk over declared fields -----
  void WalkNode(const Value& t, const element* live, bool atomic) {
    const bool present = live != nullptr && !ElementIsEmpty(*live);
    if (t.is_object()) {
      if (!present) {
        AbsentDeclared(t);
        return;
      }
      if (live->type() != element_type::OBJECT) {
        Mismatch(t, *live);
        return;
      }
      WalkObject(t, *live, atomic);
    } else if (t.is_array()) {
      if (!present) {
        AbsentDeclared(t);
        return;
      }
      if (live->type() != element_type::ARRAY) {
        Mismatch(t, *live);
        return;
      }
      WalkList(t, *live, atomic);
    } else {
      WalkLeaf(t, present ? live : nullptr);
    }
  }

  void AbsentDeclared(const Value& t) {
    if (AllZero(t)) {
      FeedTargetFull(t);
      return;
    }
    if (DeclaredDrift(&t, nullptr) == Outcome::kEqual) {
      FeedTargetFull(t);
    } else {
      Feed('X');
    }
  }

  void Mismatch(const Value& t, element live) {
    if (DeclaredDrift(&t, &live) == Outcome::kEqual) {
      FeedTargetFull(t);
    } else {
      FeedLiveFull(live);
    }
  }

  void WalkLeaf(const Value& t, const element* live) {
    TargetLeaf(t, tbuf_);
    if (live == nullptr) {
      if (IsZeroLeaf(t) || t.IsEmpty() || DeclaredDrift(&t, nullptr) == Outcome::kEqual) {
        Feed(tbuf_);
      } else {
        Feed('X');
      }
      return;
    }
    LiveLeaf(*live, lbuf_);
    if (tbuf_ == lbuf_) {
      Feed(tbuf_);
      return;
    }
    // DeclaredDrift may reuse the buffers (masking); keep copies of what we feed.
    std::string t_bytes = tbuf_;
    std::string l_bytes = lbuf_;
    if (DeclaredDrift(&t, live) == Outcome::kEqual) {
      Feed(t_bytes);
    } else {
      Feed(l_bytes);
    }
  }

  void WalkObject(const Value& t, element live, bool atomic) {
    const auto& members = t.members();  // sorted by key
    Feed('O');
    // One pass over the live members: slot each into its target member, judge the rest.
    const std::size_t slot_base = slots_.size();
    slots_.resize(slot_base + members.size());
    for (auto field : AsObject(live)) {
      auto it =
          std::lower_bound(members.begin(), members.end(), field.key,
                           [](const Value::Member& m, std::string_view k) { return m.first < k; });
      if (it != members.end() && it->first == field.key) {
        auto& slot = slots_[slot_base + static_cast<std::size_t>(it - members.begin())];
        slot.live = field.value;
        slot.present = true;
      } else if (!atomic && !IsDroppedLiveField(field.key)) {
        Push(SegmentKind::kField, field.key, nullptr, &field.value, field.key, field.key,
             "f:", field.key);
        JudgeLiveOnly(field.value);
        Pop();
      }
    }
    const bool root = frames_.size() == 1;
    for (std::size_t i = 0; i < members.size(); ++i) {
      const auto& [key, child] = members[i];
      if (root && (key == "apiVersion" || key == "kind")) {
        continue;  // identity, not configuration (live is read at Git's version)
      }
      const Slot slot = slots_[slot_base + i];
      Feed('K');
      FeedLength(key.size());
      Feed(key);
      Push(SegmentKind::kField, key, &child, slot.present ? &slot.live : nullptr, key, key,
           "f:", key);
      WalkNode(child, slot.present ? &slot.live : nullptr, atomic);
      Pop();
    }
    slots_.resize(slot_base);
    Feed('o');
  }

  void FeedLength(std::size_t n) {
    char buf[8];
    const auto v = static_cast<std::uint64_t>(n);
    for (int i = 0; i < 8; ++i) {
      buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    Feed(std::string_view(buf, 8));
  }

  const ListSemantics* ListHere() const { return LookupList(group_, kind_, schema_, policy_); }

  void WalkList(const Value& t, element live, bool atomic) {
    const ListSemantics* sem = atomic ? nullptr : ListHere();
    const ListType type = sem != nullptr ? sem->type : ListType::kAtomic;
    auto arr = AsArray(live);
    if (type == ListType::kMap) {
      WalkKeyedList(t, arr, *sem);
    } else if (type == ListType::kSet) {
      WalkSet(t, arr, *sem);
    } else if (IsUnorderedList(group_, kind_, schema_)) {
      WalkUnorderedAtomic(t, live);
    } else {
      WalkAtomic(t, live);
    }
  }

  void WalkKeyedList(const Value& t, simdjson::dom::array live, const ListSemantics& sem) {
    // Key strings of the live items ("k:" segments), reused between calls.
    const std::size_t key_base = live_keys_.size();
    std::size_t n = 0;
    for (element item : live) {
      live_keys_.emplace_back();
      ItemKeySegment(item, sem, live_keys_.back());
      live_items_.push_back(item);
      ++n;
    }
    const std::size_t item_base = live_items_.size() - n;
    matched_.resize(matched_.size() + n, false);
    const std::size_t matched_base = matched_.size() - n;
    Feed('M');
    std::size_t git_index = 0;
    for (const Value& item : t.items()) {
      std::string key;
      ItemKeySegment(item, sem, key);
      std::size_t found = n;
      for (std::size_t i = 0; i < n; ++i) {
        if (!matched_[matched_base + i] && live_keys_[key_base + i] == key) {
          found = i;
          break;
        }
      }
      const std::string git_token = std::to_string(git_index++);
      if (found == n) {
        Push(SegmentKind::kKeyedItem, {}, &item, nullptr, git_token, git_token, "", key, &sem);
        WalkNode(item, nullptr, false);
        Pop();
        continue;
      }
      matched_[matched_base + found] = true;
      const element live_item = live_items_[item_base + found];
      Push(SegmentKind::kKeyedItem, {}, &item, &live_item, std::to_string(found), git_token, "",
           key, &sem);
      WalkNode(item, &live_item, false);
      Pop();
    }
    Feed('m');
    // Live items with no Git item: judged once, at item level.
    for (std::size_t i = 0; i < n; ++i) {
      if (matched_[matched_base + i]) {
        continue;
      }
      const element live_item = live_items_[item_base + i];
      if (ElementIsEmpty(live_item)) {
        continue;
      }
      const std::string key = live_keys_[key_base + i];
      Push(SegmentKind::kKeyedItem, {}, nullptr, &live_item, std::to_string(i), "-", "", key, &sem);
      JudgeLiveOnlyItem(live_item);
      Pop();
    }
    live_keys_.resize(key_base);
    live_items_.resize(item_base);
    matched_.resize(matched_base);
  }

  void WalkSet(const Value& t, simdjson::dom::array live, const ListSemantics& sem) {
    Feed('M');
    std::vector<std::string> live_bytes;
    std::vector<element> live_elems;
    for (element item : live) {
      live_bytes.emplace_back();
      EncodeLeafElement(item, false, live_bytes.back());
      live_elems.push_back(item);
    }
    std::vector<bool> used(live_bytes.size(), false);
    std::size_t git_index = 0;
    for (const Value& item : t.items()) {
      std::string bytes;
      EncodeLeafValue(item, false, bytes);
      const std::string git_token = std::to_string(git_index++);
      std::size_t found = live_bytes.size();
      for (std::size_t i = 0; i < live_bytes.size(); ++i) {
        if (!used[i] && live_bytes[i] == bytes) {
          found = i;
          break;
        }
      }
      const std::string seg = SetSegment(item);
      if (found == live_bytes.size()) {
        Push(SegmentKind::kSetItem, {}, &item, nullptr, git_token, git_token, "", seg, &sem);
        if (DeclaredDrift(&item, nullptr) == Outcome::kEqual) {
          Feed(bytes);
        } else {
          Feed('X');
        }
        Pop();
        continue;
      }
      used[found] = true;
      Feed(bytes);
    }
    Feed('m');
    for (std::size_t i = 0; i < live_elems.size(); ++i) {
      if (used[i]) {
        continue;
      }
      const std::string seg = SetSegmentElement(live_elems[i]);
      Push(SegmentKind::kSetItem, {}, nullptr, &live_elems[i], std::to_string(i), "-", "", seg,
           &sem);
      JudgeLiveOnlyItem(live_elems[i]);
      Pop();
    }
  }

  void WalkAtomic(const Value& t, element live_list) {
    const simdjson::dom::array live = AsArray(live_list);
    if (live.size() != t.items().size()) {
      Mismatch(t, live_list);
      return;
    }
    Feed('A');
    std::size_t i = 0;
    for (element item : live) {
      const std::string token = std::to_string(i);
      Push(SegmentKind::kIndex, {}, &t.items()[i], &item, token, token, "i:", token);
      WalkNode(t.items()[i], &item, /*atomic=*/true);
      Pop();
      ++i;
    }
    Feed('a');
  }

  // Lists whose order the server canonicalizes (Endpoints subsets and their addresses and
  // ports): each Git item must be a subset of a distinct live item, in any order.
  void WalkUnorderedAtomic(const Value& t, element live_list) {
    const simdjson::dom::array live = AsArray(live_list);
    std::vector<element> items(live.begin(), live.end());
    if (items.size() != t.items().size()) {
      Mismatch(t, live_list);
      return;
    }
    std::vector<std::size_t> pairing(items.size(), items.size());
    std::vector<bool> used(items.size(), false);
    for (std::size_t g = 0; g < t.items().size(); ++g) {
      for (std::size_t l = 0; l < items.size(); ++l) {
        if (!used[l] && Probe(t.items()[g], items[l], g, l)) {
          used[l] = true;
          pairing[g] = l;
          break;
        }
      }
      if (pairing[g] == items.size()) {
        Mismatch(t, live_list);
        return;
      }
    }
    Feed('A');
    for (std::size_t g = 0; g < t.items().size(); ++g) {
      const std::string token = std::to_string(pairing[g]);
      const std::string git_token = std::to_string(g);
      Push(SegmentKind::kIndex, {}, &t.items()[g], &items[pairing[g]], token, git_token,
           "i:", token);
      WalkNode(t.items()[g], &items[pairing[g]], /*atomic=*/true);
      Pop();
    }
    Feed('a');
  }

  bool Probe(const Value& t, element live, std::size_t git_index, std::size_t live_index) {
    const std::string token = std::to_string(live_index);
    const std::string git_token = std::to_string(git_index);
    ++probe_depth_;
    const bool saved = probe_failed_;
    probe_failed_ = false;
    Push(SegmentKind::kIndex, {}, &t, &live, token, git_token, "i:", token);
    WalkNode(t, &live, /*atomic=*/true);
    Pop();
    const bool ok = !probe_failed_;
    probe_failed_ = saved;
    --probe_depth_;
    return ok;
  }

  // ----- live-only fields (section 5) -----
  void JudgeLiveOnly(element live) {
    if (probe_depth_ > 0 || ElementIsEmpty(live) || !AnyNonSystemCursorHere()) {
      return;  // nothing below is owned by a human or an applier
    }
    switch (live.type()) {
      case element_type::OBJECT:
        // A live-only map is judged key by key.
        for (auto field : AsObject(live)) {
          if (IsDroppedLiveField(field.key)) {
            continue;
          }
          Push(SegmentKind::kField, field.key, nullptr, &field.value, field.key, field.key,
               "f:", field.key);
          JudgeLiveOnly(field.value);
          Pop();
        }
        return;
      case element_type::ARRAY: {
        const ListSemantics* sem = ListHere();
        if (sem == nullptr || sem->type == ListType::kAtomic) {
          JudgeLiveOnlyLeaf(live);
          return;
        }
        std::size_t i = 0;
        for (element item : AsArray(live)) {
          std::string seg;
          if (sem->type == ListType::kMap) {
            ItemKeySegment(item, *sem, seg);
          } else {
            seg = SetSegmentElement(item);
          }
          Push(sem->type == ListType::kMap ? SegmentKind::kKeyedItem : SegmentKind::kSetItem, {},
               nullptr, &item, std::to_string(i), "-", "", seg, sem);
          JudgeLiveOnlyItem(item);
          Pop();
          ++i;
        }
        return;
      }
      default:
        JudgeLiveOnlyLeaf(live);
    }
  }

  // Whether the owner's class makes this live-only value drift; `leaf` enables the
  // schema-default check (list items have no defaults).
  bool CountsAsDrift(element live, const ManagedEntry& owner, bool leaf) {
    switch (owner.manager_class) {
      case ManagerClass::kSystem:
        return false;
      case ManagerClass::kApplier:
        if (owner.operation == "Apply") {
          return true;  // pending removal: Git dropped it, the cluster still has it
        }
        return InLastApplied();
      case ManagerClass::kHuman:
        if (!leaf) {
          return true;
        }
        return !IsDefaultHere(live);
    }
    return false;
  }

  void JudgeLiveOnlyLeaf(element live) {
    const ManagedEntry* owner = OwnerHere();
    if (owner == nullptr || !CountsAsDrift(live, *owner, /*leaf=*/true)) {
      return;
    }
    LiveOnlyDrift(live, *owner);
  }

  void JudgeLiveOnlyItem(element live) {
    if (probe_depth_ > 0 || !AnyNonSystemCursorHere()) {
      return;
    }
    const ManagedEntry* owner = OwnerHere();
    if (owner == nullptr || !CountsAsDrift(live, *owner, /*leaf=*/false)) {
      return;
    }
    LiveOnlyDrift(live, *owner);
  }

  bool IsDefaultHere(element live) {
    const Frame& self = frames_.back();
    const Frame& parent = frames_[frames_.size() - 2];
    Value value = ElementToValue(live);
    Value parent_value = parent.live_present ? ElementToValue(parent.live) : Value();
    (void)self;
    return IsSchemaDefault(group_, kind_, SchemaPathForDefaults(), value, parent_value);
  }

  // The defaults table uses "[]" for list items; our schema_ already does.
  const std::string& SchemaPathForDefaults() const { return schema_; }

  bool InLastApplied() {
    if (!last_applied_parsed_) {
      last_applied_parsed_ = true;
      const Frame& root = frames_.front();
      element a;
      std::string_view text;
      if (root.live
                  .at_pointer("/metadata/annotations/kubectl.kubernetes.io~1last-applied-"
                              "configuration")
                  .get(a) == simdjson::SUCCESS &&
          a.get(text) == simdjson::SUCCESS) {
        if (auto parsed = ParseJson(text)) {
          last_applied_ = std::move(*parsed);
        }
      }
    }
    const Value* node = &last_applied_;
    for (std::size_t i = 1; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (node == nullptr) {
        return false;
      }
      switch (f.kind) {
        case SegmentKind::kField:
          node = node->Find(f.name);
          break;
        case SegmentKind::kKeyedItem:
        case SegmentKind::kSetItem: {
          if (!node->is_array() || f.list == nullptr) {
            return false;
          }
          const std::string want(
              managed_.data() + f.managed_len + 1,
              (i + 1 < frames_.size() ? frames_[i + 1].managed_len : managed_.size()) -
                  f.managed_len - 1);
          const Value* hit = nullptr;
          for (const Value& item : node->items()) {
            std::string seg = f.kind == SegmentKind::kKeyedItem ? std::string() : SetSegment(item);
            if (f.kind == SegmentKind::kKeyedItem) {
              ItemKeySegment(item, *f.list, seg);
            }
            if (seg == want) {
              hit = &item;
              break;
            }
          }
          node = hit;
          break;
        }
        default:
          return node != nullptr;
      }
    }
    return node != nullptr && !node->IsEmpty();
  }

  // ----- verdict assembly -----
  void FinishVerdict(const Target& target, Verdict& v) {
    v.id = target.id;
    v.restarted_at = restarted_at_;
    if (drifts_.empty()) {
      v.kind = DriftKind::kNone;
    } else {
      v.kind = DriftKind::kModified;
    }
    std::sort(drifts_.begin(), drifts_.end(),
              [](const DriftRecord& a, const DriftRecord& b) { return a.pointer < b.pointer; });
    for (const auto& d : drifts_) {
      DriftPath path{d.pointer, d.actor, std::nullopt, d.value};
      if (d.op != "add") {
        if (const Value* git = FindByPointer(target.object, d.git_pointer); git != nullptr) {
          path.git_value = *git;
        }
      }
      v.paths.push_back(std::move(path));
    }
    std::sort(v.suppressed.begin(), v.suppressed.end());
    v.suppressed.erase(std::unique(v.suppressed.begin(), v.suppressed.end()), v.suppressed.end());
    if (!drifts_.empty()) {
      BuildPatchAndDiff(target.object, drifts_, v.patch, v.diff);
    }
  }

  struct Slot {
    element live;
    bool present = false;
  };

  const Policy& policy_;
  const SecretHasher& hasher_;
  MaskMemo& masks_;
  const Target* target_ = nullptr;
  LiveContext context_;
  Verdict* verdict_ = nullptr;
  std::string_view group_;
  std::string_view kind_;
  bool aggregated_role_ = false;

  // Path state, one entry per depth; strings grow and shrink with the walk.
  std::vector<Frame> frames_;
  std::string schema_;
  std::string pointer_;
  std::string git_pointer_;
  std::string managed_;

  std::vector<ManagedEntry> entries_;
  std::vector<FieldCursor> cursors_;  // entries_.size() per frame
  bool any_non_system_ = false;
  std::vector<PreparedRule> rules_;

  // Scratch, reused across walks.
  std::vector<Slot> slots_;
  std::vector<std::string> live_keys_;
  std::vector<element> live_items_;
  std::vector<bool> matched_;
  std::string tbuf_;
  std::string lbuf_;

  XXH3_state_t declared_{};
  bool leaf_quantity_ = false;
  bool track_pointers_ = true;
  std::size_t cursor_depth_ = 1;  // frames_[0, cursor_depth_) have their cursors descended
  char feed_buf_[1024];
  std::size_t feed_len_ = 0;
  std::uint64_t extra_high_ = 0;
  std::uint64_t extra_low_ = 0;
  std::size_t extra_count_ = 0;
  int probe_depth_ = 0;
  bool probe_failed_ = false;
  std::string restarted_at_;
  bool last_applied_parsed_ = false;
  Value last_applied_;
  std::vector<DriftRecord> drifts_;
};

// ---------------------------------------------------------------------------------------------
// Engine

Engine::Engine(const Policy& policy, const SecretHasher& hasher)
    : policy_(policy),
      hasher_(hasher),
      masks_(std::make_unique<MaskMemo>(hasher)),
      walker_(std::make_unique<Walker>(policy, hasher, *masks_)),
      fast_(std::make_unique<FastPath>(policy, *masks_)) {}

Engine::~Engine() = default;

LiveDigests Engine::Digest(const Target& target, element live, const LiveContext& context) {
  bool restarted = false;
  if (fast_->InSync(target, live, restarted)) {
    // What the full walk returns when it feeds exactly the target's canonical bytes.
    LiveDigests out;
    out.declared = target.digest;
    out.live_only = EmptyLiveOnlyDigest();
    out.in_sync = true;
    out.restarted = restarted;
    return out;
  }
  return walker_->Run(target, live, context, nullptr);
}

Verdict Engine::Compare(const Target& target, element live, const LiveContext& context) {
  Verdict v;
  walker_->Run(target, live, context, &v);
  element meta;
  if (live.at_key("metadata").get(meta) == simdjson::SUCCESS) {
    v.uid = std::string(ElementString(meta, "uid"));
    v.resource_version = std::string(ElementString(meta, "resourceVersion"));
  }
  return v;
}

Verdict Engine::Missing(const Target& target) const {
  Verdict v;
  v.id = target.id;
  v.kind = DriftKind::kMissing;
  v.paths.push_back(DriftPath{"", std::nullopt, std::nullopt, std::nullopt});
  v.patch.push_back(PatchOp{"remove", "", std::nullopt});
  v.diff = WholeObjectDiff(target.object, /*added=*/false);
  return v;
}

Digest128 Engine::EmptyLiveOnlyDigest() { return Digest128{0, 0}; }

Verdict Engine::JudgeUntracked(element live) const { return JudgeUntracked(live, "", ""); }

Verdict Engine::JudgeUntracked(element live, std::string_view api_version,
                               std::string_view kind) const {
  Verdict v;
  auto id = IdentityOf(live);
  if (!id && !api_version.empty() && !kind.empty()) {
    element meta;
    std::string_view ns;
    std::string_view name;
    if (live.type() == element_type::OBJECT &&
        live.at_key("metadata").get(meta) == simdjson::SUCCESS) {
      ns = ElementString(meta, "namespace");
      name = ElementString(meta, "name");
    }
    id = MakeIdentity(api_version, kind, ns, name);
  }
  if (!id) {
    return v;
  }
  v.id = *id;
  element meta;
  if (live.at_key("metadata").get(meta) != simdjson::SUCCESS) {
    return v;
  }
  v.uid = std::string(ElementString(meta, "uid"));
  v.resource_version = std::string(ElementString(meta, "resourceVersion"));
  element annotations;
  element labels;
  const bool has_annotations = meta.at_key("annotations").get(annotations) == simdjson::SUCCESS &&
                               annotations.type() == element_type::OBJECT;
  const bool has_labels = meta.at_key("labels").get(labels) == simdjson::SUCCESS &&
                          labels.type() == element_type::OBJECT;
  auto marker = [&](element map, const std::string& key) -> bool {
    std::string_view value;
    if (key.empty() || map.at_key(key).get(value) != simdjson::SUCCESS) {
      return false;
    }
    return policy_.tracking_value.empty() || GlobMatch(policy_.tracking_value, value);
  };
  const bool tracked = (has_annotations && marker(annotations, policy_.tracking_annotation)) ||
                       (has_labels && marker(labels, policy_.tracking_label));
  if (tracked) {
    std::string_view opt_out;
    if (has_annotations && !policy_.opt_out_annotation.empty() &&
        annotations.at_key(policy_.opt_out_annotation).get(opt_out) == simdjson::SUCCESS &&
        opt_out.find(policy_.opt_out_value) != std::string_view::npos) {
      return v;
    }
    v.kind = DriftKind::kExtraneous;
  } else {
    if (!policy_.orphans_enabled || v.id.namespace_.empty() ||
        std::none_of(policy_.orphan_namespaces.begin(), policy_.orphan_namespaces.end(),
                     [&](const std::string& ns) { return GlobMatch(ns, v.id.namespace_); })) {
      return v;
    }
    if (IsOrphanException(v.id, live, policy_) || HasControllerOwner(meta)) {
      return v;
    }
    v.kind = DriftKind::kOrphan;
  }
  std::optional<Actor> creator = CreatorOf(live, policy_);
  v.paths.push_back(DriftPath{"", creator, std::nullopt, std::nullopt});
  Value view = NormalizeLiveForView(live, v.id, policy_, hasher_);
  v.patch.push_back(PatchOp{"add", "", view});
  v.diff = WholeObjectDiff(view, /*added=*/true);
  return v;
}

// ---------------------------------------------------------------------------------------------
// LiveDocument

Result<LiveDocument> LiveDocument::FromValue(const Value& v) { return FromJson(ToJson(v)); }

Result<LiveDocument> LiveDocument::FromJson(std::string_view json) {
  LiveDocument doc;
  doc.parser_ = std::make_unique<simdjson::dom::parser>();
  if (auto err = doc.parser_->parse(json.data(), json.size()).get(doc.root_); err) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  return doc;
}

}  // namespace plumbline::hashing
