#include "plumbline/hashing/schema_tables.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

namespace plumbline::hashing {
namespace {

// ---------------------------------------------------------------------------------------------
// Shared: tables are keyed by (group, kind). Every string_view stored in a key points into a
// string literal (static storage), so the maps never own key text.

struct GroupKind {
  std::string_view group;
  std::string_view kind;
  friend bool operator==(const GroupKind&, const GroupKind&) = default;
};

struct GroupKindHash {
  std::size_t operator()(const GroupKind& gk) const noexcept {
    const std::size_t h = std::hash<std::string_view>{}(gk.group);
    return h ^
           (std::hash<std::string_view>{}(gk.kind) + 0x9e3779b97f4a7c15ULL + (h << 6U) + (h >> 2U));
  }
};

std::vector<std::string_view> SplitComma(std::string_view text) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    parts.push_back(text.substr(0, comma));
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// List semantics (generated rows).

using enum ListType;  // list_table.inc spells the types kAtomic, kSet, kMap.

struct ListRow {
  std::string_view group;
  std::string_view kind;
  std::string_view path;
  ListType type;
  std::string_view keys;              // "containerPort,protocol"
  std::string_view key_defaults;      // "protocol=TCP"; values are strings
  std::string_view patch_strategies;  // "merge,retainKeys"; empty: SMP replaces the list
  std::string_view patch_merge_key;   // "name"
};

constexpr ListRow kListRows[] = {
#include "list_table.inc"
};

// Inside a CRD's openAPIV3Schema every nested JSONSchemaProps has the same lists; the generated
// rows name them once, at the schema root.
constexpr std::string_view kCrdGroup = "apiextensions.k8s.io";
constexpr std::string_view kCrdKind = "CustomResourceDefinition";
constexpr std::string_view kCrdSchemaPrefix = "spec.versions[].schema.openAPIV3Schema.";

using ListsByPath = std::unordered_map<std::string_view, ListSemantics>;

struct ListTables {
  std::unordered_map<GroupKind, ListsByPath, GroupKindHash> by_kind;
  // Field name (e.g. "x-kubernetes-validations") -> semantics, for any depth of a CRD schema.
  std::unordered_map<std::string_view, const ListSemantics*> crd_schema_lists;
};

ListSemantics FromRow(const ListRow& row) {
  ListSemantics semantics;
  semantics.type = row.type;
  for (std::string_view key : SplitComma(row.keys)) {
    semantics.keys.emplace_back(key);
  }
  for (std::string_view pair : SplitComma(row.key_defaults)) {
    const std::size_t eq = pair.find('=');
    semantics.key_defaults.emplace_back(std::string(pair.substr(0, eq)),
                                        Value::String(std::string(pair.substr(eq + 1))));
  }
  for (std::string_view strategy : SplitComma(row.patch_strategies)) {
    semantics.patch_merge = semantics.patch_merge || strategy == "merge";
    semantics.retain_keys = semantics.retain_keys || strategy == "retainKeys";
  }
  semantics.patch_merge_key = std::string(row.patch_merge_key);
  return semantics;
}

const ListTables& BuiltinLists() {
  static const ListTables tables = [] {
    ListTables t;
    for (const ListRow& row : kListRows) {
      const auto it = t.by_kind[{row.group, row.kind}].emplace(row.path, FromRow(row)).first;
      if (row.group == kCrdGroup && row.kind == kCrdKind &&
          row.path.starts_with(kCrdSchemaPrefix)) {
        const std::string_view field = row.path.substr(kCrdSchemaPrefix.size());
        if (field.find('.') == std::string_view::npos) {
          t.crd_schema_lists.emplace(field, &it->second);
        }
      }
    }
    return t;
  }();
  return tables;
}

// ---------------------------------------------------------------------------------------------
// Image references, after pkg/util/parsers.ParseImageName (docker/distribution reference
// grammar). Only what decides the pull policy: the tag and whether there is a digest.

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// path-component := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool IsPathComponent(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) {
    return false;
  }
  std::size_t i = 0;
  while (i < s.size()) {
    if (IsLowerAlnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < s.size() && !IsLowerAlnum(s[j])) {
      ++j;
    }
    const std::string_view sep = s.substr(i, j - i);
    if (sep != "." && sep != "_" && sep != "__" &&
        sep.find_first_not_of('-') != std::string_view::npos) {
      return false;
    }
    i = j;
  }
  return true;
}

// domain := host-component ('.' host-component)* (':' [0-9]+)?  |  '[' ipv6 ']' (':' [0-9]+)?
bool IsDomain(std::string_view s) {
  std::string_view host = s;
  if (const std::size_t colon = s.rfind(':');
      colon != std::string_view::npos && s.find(']', colon) == std::string_view::npos) {
    const std::string_view port = s.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    host = s.substr(0, colon);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.find_first_not_of("[]:.0123456789abcdefABCDEF") == std::string_view::npos;
  }
  if (host.empty()) {
    return false;
  }
  std::size_t start = 0;
  while (start <= host.size()) {
    std::size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) {
      dot = host.size();
    }
    const std::string_view part = host.substr(start, dot - start);
    if (part.empty() || !IsAlnum(part.front()) || !IsAlnum(part.back())) {
      return false;
    }
    for (char c : part) {
      if (!IsAlnum(c) && c != '-') {
        return false;
      }
    }
    start = dot + 1;
  }
  return true;
}

// tag := [\w][\w.-]{0,127}
bool IsTag(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.front() == '.' || s.front() == '-') {
    return false;
  }
  for (char c : s) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

// digest := [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ':' [0-9a-fA-F]{32,}
bool IsDigest(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  const std::string_view algorithm = s.substr(0, colon);
  const std::string_view hex = s.substr(colon + 1);
  bool need_alpha = true;
  for (char c : algorithm) {
    if (need_alpha) {
      if (!IsAlpha(c)) {
        return false;
      }
      need_alpha = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      need_alpha = true;
    } else if (!IsAlnum(c)) {
      return false;
    }
  }
  if (need_alpha || hex.size() < 32) {
    return false;
  }
  for (char c : hex) {
    if (!IsHex(c)) {
      return false;
    }
  }
  return true;
}

struct ImageRef {
  bool valid = false;
  std::string_view tag;
  bool has_digest = false;
};

ImageRef ParseImage(std::string_view image) {
  ImageRef ref;
  // A bare 64-hex string is an image ID, not a name.
  if (image.size() == 64 && image.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
    return ref;
  }
  std::string_view name = image;
  if (const std::size_t at = image.find('@'); at != std::string_view::npos) {
    if (!IsDigest(image.substr(at + 1))) {
      return ref;
    }
    ref.has_digest = true;
    name = image.substr(0, at);
  }
  const std::size_t last_slash = name.rfind('/');
  if (const std::size_t colon = name.rfind(':');
      colon != std::string_view::npos &&
      (last_slash == std::string_view::npos || colon > last_slash)) {
    ref.tag = name.substr(colon + 1);
    if (!IsTag(ref.tag)) {
      return ref;
    }
    name = name.substr(0, colon);
  }
  if (name.empty() || name.size() > 255) {
    return ref;
  }
  // The first component is a registry when it looks like a host (has '.' or ':', is
  // "localhost", or has upper case); the rest must be lower-case path components.
  std::string_view path = name;
  if (const std::size_t slash = name.find('/'); slash != std::string_view::npos) {
    const std::string_view first = name.substr(0, slash);
    const bool is_domain =
        first.find_first_of(".:") != std::string_view::npos || first == "localhost" ||
        first.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos;
    if (is_domain) {
      if (!IsDomain(first)) {
        return ref;
      }
      path = name.substr(slash + 1);
    }
  }
  while (true) {
    const std::size_t slash = path.find('/');
    if (!IsPathComponent(path.substr(0, slash))) {
      return ref;
    }
    if (slash == std::string_view::npos) {
      break;
    }
    path.remove_prefix(slash + 1);
  }
  ref.valid = true;
  return ref;
}

// ---------------------------------------------------------------------------------------------
// Schema defaults (hand-written from docs/kubernetes/defaults.md).

using Predicate = bool (*)(const Value& value, const Value& parent);

struct DefaultRule {
  enum class Kind : std::uint8_t {
    kEquals,    // value == expected
    kSibling,   // value == parent[sibling] (and the sibling is present)
    kAnyValue,  // allocated or admission-chosen: unpredictable offline, any value is default
    kComputed,  // predicate(value, parent)
  };
  Kind kind = Kind::kEquals;
  Value expected;
  std::string_view sibling;
  Predicate predicate = nullptr;
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

using RulesByPath = std::unordered_map<std::string, DefaultRule, StringHash, std::equal_to<>>;
using DefaultsTable = std::unordered_map<GroupKind, RulesByPath, GroupKindHash>;

Value Str(std::string_view s) { return Value::String(std::string(s)); }

Value Obj(std::initializer_list<Value::Member> members) {
  return Value::MakeObject(Value::Object(members));
}

Value Arr(std::initializer_list<Value> items) { return Value::MakeArray(Value::Array(items)); }

bool IsInt(const Value& v, std::int64_t i) { return v == Value::Int(i); }

// Quantity zero in any spelling the server might print: 0, "0", "0m", "0.0", "0Ki".
bool IsZeroQuantity(const Value& value, const Value& /*parent*/) {
  if (value.is_number()) {
    return value.text() == "0";
  }
  if (!value.is_string() || value.text().empty()) {
    return false;
  }
  const std::string& t = value.text();
  const std::size_t suffix = t.find_first_not_of("+-0.");
  if (t.find('0') >= suffix) {
    return false;
  }
  return suffix == std::string::npos ||
         t.find_first_not_of("numkKMGTPEi", suffix) == std::string::npos;
}

bool ContainerPullPolicy(const Value& value, const Value& parent) {
  return value.is_string() && value.text() == DefaultImagePullPolicy(parent.GetString("image"));
}

// Image volumes (alpha ImageVolume, 1.31+) default pullPolicy with the container rule.
bool ImageVolumePullPolicy(const Value& value, const Value& parent) {
  return value.is_string() && value.text() == DefaultImagePullPolicy(parent.GetString("reference"));
}

// SetDefaults_Job: completions is defaulted (to 1) only together with parallelism.
bool JobCompletions(const Value& value, const Value& parent) {
  const Value* parallelism = parent.Find("parallelism");
  return IsInt(value, 1) && (parallelism == nullptr || IsInt(*parallelism, 1));
}

bool JobBackoffLimit(const Value& value, const Value& parent) {
  const Value* per_index = parent.Find("backoffLimitPerIndex");
  return IsInt(value, per_index != nullptr && !per_index->is_null() ? 2147483647 : 6);
}

bool JobPodReplacementPolicy(const Value& value, const Value& parent) {
  const Value* failure_policy = parent.Find("podFailurePolicy");
  const bool has_policy = failure_policy != nullptr && !failure_policy->IsEmpty();
  return value == Str(has_policy ? "Failed" : "TerminatingOrFailed");
}

// ReplicationController spec.selector defaults to the template labels.
bool RcSelector(const Value& value, const Value& parent) {
  const Value* template_spec = parent.Find("template");
  const Value* meta = template_spec != nullptr ? template_spec->Find("metadata") : nullptr;
  const Value* labels = meta != nullptr ? meta->Find("labels") : nullptr;
  return labels != nullptr && value == *labels;
}

// Headless, selector-less Services get RequireDualStack; every other one SingleStack.
bool ServiceIpFamilyPolicy(const Value& value, const Value& parent) {
  if (value == Str("SingleStack")) {
    return true;
  }
  const Value* selector = parent.Find("selector");
  return value == Str("RequireDualStack") && parent.GetString("clusterIP") == "None" &&
         (selector == nullptr || selector->IsEmpty());
}

bool NetworkPolicyTypes(const Value& value, const Value& parent) {
  const Value* egress = parent.Find("egress");
  if (egress != nullptr && !egress->IsEmpty()) {
    return value == Arr({Str("Ingress"), Str("Egress")});
  }
  return value == Arr({Str("Ingress")});
}

// ServiceAccount subjects default to "" (empty, handled generically); User and Group to RBAC.
bool RbacSubjectApiGroup(const Value& value, const Value& parent) {
  const std::string_view kind = parent.GetString("kind");
  return (kind == "User" || kind == "Group") && value == Str("rbac.authorization.k8s.io");
}

bool CrdSingular(const Value& value, const Value& parent) {
  std::string lower(parent.GetString("kind"));
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return !lower.empty() && value.is_string() && value.text() == lower;
}

bool CrdListKind(const Value& value, const Value& parent) {
  const std::string_view kind = parent.GetString("kind");
  return !kind.empty() && value.is_string() && value.text() == std::string(kind) + "List";
}

class DefaultsBuilder {
 public:
  void Equals(GroupKind gk, std::string path, Value expected) {
    DefaultRule rule;
    rule.kind = DefaultRule::Kind::kEquals;
    rule.expected = std::move(expected);
    Put(gk, std::move(path), std::move(rule));
  }
  void Sibling(GroupKind gk, std::string path, std::string_view sibling) {
    DefaultRule rule;
    rule.kind = DefaultRule::Kind::kSibling;
    rule.sibling = sibling;
    Put(gk, std::move(path), std::move(rule));
  }
  void AnyValue(GroupKind gk, std::string path) {
    DefaultRule rule;
    rule.kind = DefaultRule::Kind::kAnyValue;
    Put(gk, std::move(path), std::move(rule));
  }
  void Computed(GroupKind gk, std::string path, Predicate predicate) {
    DefaultRule rule;
    rule.kind = DefaultRule::Kind::kComputed;
    rule.predicate = predicate;
    Put(gk, std::move(path), std::move(rule));
  }
  DefaultsTable Release() { return std::move(table_); }

 private:
  void Put(GroupKind gk, std::string path, DefaultRule rule) {
    table_[gk].insert_or_assign(std::move(path), std::move(rule));
  }

  DefaultsTable table_;
};

std::string Join(std::string_view prefix, std::string_view rest) {
  std::string out;
  out.reserve(prefix.size() + 1 + rest.size());
  out.append(prefix).append(".").append(rest);
  return out;
}

constexpr GroupKind kPod{"", "Pod"};
constexpr GroupKind kPodTemplate{"", "PodTemplate"};
constexpr GroupKind kReplicationController{"", "ReplicationController"};
constexpr GroupKind kDeployment{"apps", "Deployment"};
constexpr GroupKind kReplicaSet{"apps", "ReplicaSet"};
constexpr GroupKind kStatefulSet{"apps", "StatefulSet"};
constexpr GroupKind kDaemonSet{"apps", "DaemonSet"};
constexpr GroupKind kJob{"batch", "Job"};
constexpr GroupKind kCronJob{"batch", "CronJob"};

struct PodSpecHost {
  GroupKind gk;
  std::string_view prefix;  // path of the PodSpec
};

constexpr PodSpecHost kPodSpecHosts[] = {
    {kPod, "spec"},
    {kPodTemplate, "template.spec"},
    {kReplicationController, "spec.template.spec"},
    {kDeployment, "spec.template.spec"},
    {kReplicaSet, "spec.template.spec"},
    {kStatefulSet, "spec.template.spec"},
    {kDaemonSet, "spec.template.spec"},
    {kJob, "spec.template.spec"},
    {kCronJob, "spec.jobTemplate.spec.template.spec"},
};

constexpr std::string_view kContainerLists[] = {"containers", "initContainers",
                                                "ephemeralContainers"};
constexpr std::string_view kProbes[] = {"livenessProbe", "readinessProbe", "startupProbe"};

// Section 2b, for one container list of one PodSpec.
void AddContainer(DefaultsBuilder& b, GroupKind gk, const std::string& c) {
  b.Computed(gk, Join(c, "imagePullPolicy"), &ContainerPullPolicy);
  b.Equals(gk, Join(c, "terminationMessagePath"), Str("/dev/termination-log"));
  b.Equals(gk, Join(c, "terminationMessagePolicy"), Str("File"));
  b.Equals(gk, Join(c, "ports[].protocol"), Str("TCP"));
  b.Equals(gk, Join(c, "env[].valueFrom.fieldRef.apiVersion"), Str("v1"));
  b.Computed(gk, Join(c, "env[].valueFrom.resourceFieldRef.divisor"), &IsZeroQuantity);
  for (std::string_view probe : kProbes) {
    const std::string p = Join(c, probe);
    b.Equals(gk, Join(p, "timeoutSeconds"), Value::Int(1));
    b.Equals(gk, Join(p, "periodSeconds"), Value::Int(10));
    b.Equals(gk, Join(p, "successThreshold"), Value::Int(1));
    b.Equals(gk, Join(p, "failureThreshold"), Value::Int(3));
    b.Equals(gk, Join(p, "httpGet.path"), Str("/"));
    b.Equals(gk, Join(p, "httpGet.scheme"), Str("HTTP"));
    // grpc.service defaults to "" (empty: handled generically). Not materialized:
    b.Equals(gk, Join(p, "initialDelaySeconds"), Value::Int(0));
  }
  for (std::string_view hook : {"lifecycle.postStart", "lifecycle.preStop"}) {
    const std::string h = Join(c, hook);
    b.Equals(gk, Join(h, "httpGet.path"), Str("/"));
    b.Equals(gk, Join(h, "httpGet.scheme"), Str("HTTP"));
  }
  // Not materialized (defaults.md section 16), default when holding their documented value.
  // securityContext.allowPrivilegeEscalation is deliberately absent: unset means "allowed", so
  // false is a real restriction and true is only equivalent when not privileged.
  b.Equals(gk, Join(c, "stdin"), Value::Bool(false));
  b.Equals(gk, Join(c, "stdinOnce"), Value::Bool(false));
  b.Equals(gk, Join(c, "tty"), Value::Bool(false));
  b.Equals(gk, Join(c, "securityContext.privileged"), Value::Bool(false));
  b.Equals(gk, Join(c, "securityContext.readOnlyRootFilesystem"), Value::Bool(false));
  b.Equals(gk, Join(c, "securityContext.runAsNonRoot"), Value::Bool(false));
  b.Equals(gk, Join(c, "volumeMounts[].readOnly"), Value::Bool(false));
  b.Equals(gk, Join(c, "volumeMounts[].mountPropagation"), Str("None"));
  b.Equals(gk, Join(c, "resizePolicy[].restartPolicy"), Str("NotRequired"));
}

// Section 2c.
void AddVolumes(DefaultsBuilder& b, GroupKind gk, const std::string& v) {
  for (std::string_view source : {"secret", "configMap", "downwardAPI", "projected"}) {
    b.Equals(gk, Join(v, std::string(source) + ".defaultMode"), Value::Int(420));
  }
  b.Equals(gk, Join(v, "downwardAPI.items[].fieldRef.apiVersion"), Str("v1"));
  b.Computed(gk, Join(v, "downwardAPI.items[].resourceFieldRef.divisor"), &IsZeroQuantity);
  b.Equals(gk, Join(v, "projected.sources[].serviceAccountToken.expirationSeconds"),
           Value::Int(3600));
  b.Equals(gk, Join(v, "projected.sources[].downwardAPI.items[].fieldRef.apiVersion"), Str("v1"));
  b.Computed(gk, Join(v, "projected.sources[].downwardAPI.items[].resourceFieldRef.divisor"),
             &IsZeroQuantity);
  b.Equals(gk, Join(v, "iscsi.iscsiInterface"), Str("default"));
  b.Equals(gk, Join(v, "rbd.pool"), Str("rbd"));
  b.Equals(gk, Join(v, "rbd.user"), Str("admin"));
  b.Equals(gk, Join(v, "rbd.keyring"), Str("/etc/ceph/keyring"));
  b.Equals(gk, Join(v, "azureDisk.cachingMode"), Str("ReadWrite"));
  b.Equals(gk, Join(v, "azureDisk.fsType"), Str("ext4"));
  b.Equals(gk, Join(v, "azureDisk.readOnly"), Value::Bool(false));
  b.Equals(gk, Join(v, "azureDisk.kind"), Str("Shared"));
  b.Equals(gk, Join(v, "scaleIO.storageMode"), Str("ThinProvisioned"));
  b.Equals(gk, Join(v, "scaleIO.fsType"), Str("xfs"));
  b.Equals(gk, Join(v, "ephemeral.volumeClaimTemplate.spec.volumeMode"), Str("Filesystem"));
  b.Computed(gk, Join(v, "image.pullPolicy"), &ImageVolumePullPolicy);
  // Not materialized (section 16 / 2c).
  b.Equals(gk, Join(v, "secret.optional"), Value::Bool(false));
  b.Equals(gk, Join(v, "configMap.optional"), Value::Bool(false));
}

// Sections 2a-2c for one PodSpec; Pod-only (root) defaults when `is_pod`.
void AddPodSpec(DefaultsBuilder& b, GroupKind gk, std::string_view prefix, bool is_pod) {
  const std::string s(prefix);
  b.Equals(gk, Join(s, "dnsPolicy"), Str("ClusterFirst"));
  b.Equals(gk, Join(s, "restartPolicy"), Str("Always"));
  b.Equals(gk, Join(s, "schedulerName"), Str("default-scheduler"));
  b.Equals(gk, Join(s, "terminationGracePeriodSeconds"), Value::Int(30));
  // securityContext {} is empty: handled generically.
  b.Sibling(gk, Join(s, "serviceAccount"), "serviceAccountName");
  // Not materialized (section 16). hostUsers is documented as defaulting to true.
  for (std::string_view flag :
       {"hostNetwork", "hostPID", "hostIPC", "shareProcessNamespace", "setHostnameAsFQDN"}) {
    b.Equals(gk, Join(s, flag), Value::Bool(false));
  }
  b.Equals(gk, Join(s, "hostUsers"), Value::Bool(true));
  b.Equals(gk, Join(s, "securityContext.runAsNonRoot"), Value::Bool(false));
  b.Equals(gk, Join(s, "securityContext.fsGroupChangePolicy"), Str("Always"));
  b.Equals(gk, Join(s, "securityContext.supplementalGroupsPolicy"), Str("Merge"));
  b.Equals(gk, Join(s, "tolerations[].operator"), Str("Equal"));

  for (std::string_view list : kContainerLists) {
    AddContainer(b, gk, Join(s, std::string(list) + "[]"));
  }
  AddVolumes(b, gk, Join(s, "volumes[]"));

  if (is_pod) {  // Section 3: SetDefaults_Pod and admission, Pods only.
    b.Equals(gk, Join(s, "enableServiceLinks"), Value::Bool(true));
    b.Equals(gk, Join(s, "serviceAccountName"), Str("default"));
    b.Equals(gk, Join(s, "priority"), Value::Int(0));
    b.Equals(gk, Join(s, "preemptionPolicy"), Str("PreemptLowerPriority"));
    b.Sibling(gk, Join(s, "containers[].ports[].hostPort"), "containerPort");
    b.Sibling(gk, Join(s, "initContainers[].ports[].hostPort"), "containerPort");
  }
}

void AddWorkloads(DefaultsBuilder& b) {
  for (const PodSpecHost& host : kPodSpecHosts) {
    AddPodSpec(b, host.gk, host.prefix, host.gk == kPod);
  }
  // Not materialized: minReadySeconds 0 on every replicated workload.
  for (GroupKind gk :
       {kReplicationController, kDeployment, kReplicaSet, kStatefulSet, kDaemonSet}) {
    b.Equals(gk, "spec.minReadySeconds", Value::Int(0));
  }

  b.Equals(kReplicationController, "spec.replicas", Value::Int(1));
  b.Computed(kReplicationController, "spec.selector", &RcSelector);

  b.Equals(kDeployment, "spec.replicas", Value::Int(1));
  b.Equals(kDeployment, "spec.revisionHistoryLimit", Value::Int(10));
  b.Equals(kDeployment, "spec.progressDeadlineSeconds", Value::Int(600));
  b.Equals(kDeployment, "spec.strategy.type", Str("RollingUpdate"));
  b.Equals(kDeployment, "spec.strategy.rollingUpdate.maxSurge", Str("25%"));
  b.Equals(kDeployment, "spec.strategy.rollingUpdate.maxUnavailable", Str("25%"));
  b.Equals(kDeployment, "spec.paused", Value::Bool(false));  // not materialized

  b.Equals(kReplicaSet, "spec.replicas", Value::Int(1));

  b.Equals(kStatefulSet, "spec.replicas", Value::Int(1));
  b.Equals(kStatefulSet, "spec.podManagementPolicy", Str("OrderedReady"));
  b.Equals(kStatefulSet, "spec.updateStrategy.type", Str("RollingUpdate"));
  b.Equals(kStatefulSet, "spec.updateStrategy.rollingUpdate.partition", Value::Int(0));
  // Only with the alpha gate MaxUnavailableStatefulSet; without it the field cannot be live.
  b.Equals(kStatefulSet, "spec.updateStrategy.rollingUpdate.maxUnavailable", Value::Int(1));
  b.Equals(kStatefulSet, "spec.revisionHistoryLimit", Value::Int(10));
  b.Equals(kStatefulSet, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", Str("Retain"));
  b.Equals(kStatefulSet, "spec.persistentVolumeClaimRetentionPolicy.whenScaled", Str("Retain"));
  b.Equals(kStatefulSet, "spec.volumeClaimTemplates[].apiVersion", Str("v1"));
  b.Equals(kStatefulSet, "spec.volumeClaimTemplates[].kind", Str("PersistentVolumeClaim"));
  b.Equals(kStatefulSet, "spec.volumeClaimTemplates[].spec.volumeMode", Str("Filesystem"));
  b.Equals(kStatefulSet, "spec.volumeClaimTemplates[].status.phase", Str("Pending"));

  b.Equals(kDaemonSet, "spec.updateStrategy.type", Str("RollingUpdate"));
  b.Equals(kDaemonSet, "spec.updateStrategy.rollingUpdate.maxUnavailable", Value::Int(1));
  b.Equals(kDaemonSet, "spec.updateStrategy.rollingUpdate.maxSurge", Value::Int(0));
  b.Equals(kDaemonSet, "spec.revisionHistoryLimit", Value::Int(10));

  b.Equals(kJob, "spec.parallelism", Value::Int(1));
  b.Computed(kJob, "spec.completions", &JobCompletions);
  b.Computed(kJob, "spec.backoffLimit", &JobBackoffLimit);
  b.Equals(kJob, "spec.completionMode", Str("NonIndexed"));
  b.Equals(kJob, "spec.suspend", Value::Bool(false));
  b.Equals(kJob, "spec.manualSelector", Value::Bool(false));
  b.Computed(kJob, "spec.podReplacementPolicy", &JobPodReplacementPolicy);
  b.Equals(kJob, "spec.podFailurePolicy.rules[].onPodConditions[].status", Str("True"));
  // Generated from the Job's uid and name by the registry strategy (and copied from the
  // template labels to the Job's own labels by defaulting).
  for (std::string_view label : {"batch.kubernetes.io/controller-uid", "controller-uid",
                                 "batch.kubernetes.io/job-name", "job-name"}) {
    b.AnyValue(kJob, Join("spec.template.metadata.labels", label));
    b.AnyValue(kJob, Join("metadata.labels", label));
  }
  b.AnyValue(kJob, "spec.selector.matchLabels.batch.kubernetes.io/controller-uid");

  b.Equals(kCronJob, "spec.concurrencyPolicy", Str("Allow"));
  b.Equals(kCronJob, "spec.suspend", Value::Bool(false));
  b.Equals(kCronJob, "spec.successfulJobsHistoryLimit", Value::Int(3));
  b.Equals(kCronJob, "spec.failedJobsHistoryLimit", Value::Int(1));
}

void AddCore(DefaultsBuilder& b) {
  constexpr GroupKind kService{"", "Service"};
  b.Equals(kService, "spec.type", Str("ClusterIP"));
  b.Equals(kService, "spec.sessionAffinity", Str("None"));
  b.Equals(kService, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", Value::Int(10800));
  b.Equals(kService, "spec.ports[].protocol", Str("TCP"));
  // Int-or-string is not coerced: only an integer equal to `port` is the default.
  b.Sibling(kService, "spec.ports[].targetPort", "port");
  b.Equals(kService, "spec.externalTrafficPolicy", Str("Cluster"));
  b.Equals(kService, "spec.internalTrafficPolicy", Str("Cluster"));
  b.Equals(kService, "spec.allocateLoadBalancerNodePorts", Value::Bool(true));
  b.Computed(kService, "spec.ipFamilyPolicy", &ServiceIpFamilyPolicy);
  for (std::string_view allocated : {"spec.clusterIP", "spec.clusterIPs", "spec.ipFamilies",
                                     "spec.ports[].nodePort", "spec.healthCheckNodePort"}) {
    b.AnyValue(kService, std::string(allocated));
  }

  constexpr GroupKind kEndpoints{"", "Endpoints"};
  b.Equals(kEndpoints, "subsets[].ports[].protocol", Str("TCP"));
  constexpr GroupKind kEndpointSlice{"discovery.k8s.io", "EndpointSlice"};
  b.Equals(kEndpointSlice, "ports[].protocol", Str("TCP"));  // ports[].name "" is empty

  constexpr GroupKind kSecret{"", "Secret"};
  b.Equals(kSecret, "type", Str("Opaque"));
  b.Equals(kSecret, "immutable", Value::Bool(false));  // not materialized
  b.Equals({"", "ConfigMap"}, "immutable", Value::Bool(false));

  constexpr GroupKind kPvc{"", "PersistentVolumeClaim"};
  b.Equals(kPvc, "spec.volumeMode", Str("Filesystem"));
  b.Equals(kPvc, "status.phase", Str("Pending"));
  // Chosen by DefaultStorageClass admission from the cluster's default class (and immutable
  // afterwards), so it cannot be predicted offline.
  b.AnyValue(kPvc, "spec.storageClassName");

  constexpr GroupKind kPv{"", "PersistentVolume"};
  b.Equals(kPv, "spec.persistentVolumeReclaimPolicy", Str("Retain"));
  b.Equals(kPv, "spec.volumeMode", Str("Filesystem"));
  b.Equals(kPv, "status.phase", Str("Pending"));

  constexpr GroupKind kNamespace{"", "Namespace"};
  // SetDefaults_Namespace forces this label to metadata.name, whatever a client sends, so any
  // live value is the server's. (The parent passed here is the labels map, which cannot show
  // metadata.name; forcing makes the comparison unnecessary.)
  b.AnyValue(kNamespace, "metadata.labels.kubernetes.io/metadata.name");
  b.Equals(kNamespace, "spec.finalizers", Arr({Str("kubernetes")}));
  b.Equals(kNamespace, "status.phase", Str("Active"));
}

void AddOtherGroups(DefaultsBuilder& b) {
  constexpr GroupKind kStorageClass{"storage.k8s.io", "StorageClass"};
  b.Equals(kStorageClass, "reclaimPolicy", Str("Delete"));
  b.Equals(kStorageClass, "volumeBindingMode", Str("Immediate"));

  constexpr GroupKind kNetworkPolicy{"networking.k8s.io", "NetworkPolicy"};
  b.Computed(kNetworkPolicy, "spec.policyTypes", &NetworkPolicyTypes);
  b.Equals(kNetworkPolicy, "spec.ingress[].ports[].protocol", Str("TCP"));
  b.Equals(kNetworkPolicy, "spec.egress[].ports[].protocol", Str("TCP"));

  // Chosen by DefaultIngressClass admission from the cluster's default IngressClass.
  b.AnyValue({"networking.k8s.io", "Ingress"}, "spec.ingressClassName");
  b.Equals({"networking.k8s.io", "IngressClass"}, "spec.parameters.scope", Str("Cluster"));

  constexpr GroupKind kHpa{"autoscaling", "HorizontalPodAutoscaler"};
  b.Equals(kHpa, "spec.minReplicas", Value::Int(1));
  b.Equals(
      kHpa, "spec.metrics",
      Arr({Obj({{"type", Str("Resource")},
                {"resource", Obj({{"name", Str("cpu")},
                                  {"target", Obj({{"type", Str("Utilization")},
                                                  {"averageUtilization", Value::Int(80)}})}})}})}));
  // Only filled in when spec.behavior is present; then sub-field by sub-field.
  b.Equals(kHpa, "spec.behavior.scaleUp.stabilizationWindowSeconds", Value::Int(0));
  b.Equals(kHpa, "spec.behavior.scaleUp.selectPolicy", Str("Max"));
  b.Equals(kHpa, "spec.behavior.scaleUp.policies",
           Arr({Obj({{"type", Str("Pods")},
                     {"value", Value::Int(4)},
                     {"periodSeconds", Value::Int(15)}}),
                Obj({{"type", Str("Percent")},
                     {"value", Value::Int(100)},
                     {"periodSeconds", Value::Int(15)}})}));
  b.Equals(kHpa, "spec.behavior.scaleDown.selectPolicy", Str("Max"));
  b.Equals(kHpa, "spec.behavior.scaleDown.policies",
           Arr({Obj({{"type", Str("Percent")},
                     {"value", Value::Int(100)},
                     {"periodSeconds", Value::Int(15)}})}));

  for (std::string_view binding : {"RoleBinding", "ClusterRoleBinding"}) {
    const GroupKind gk{"rbac.authorization.k8s.io", binding};
    b.Equals(gk, "roleRef.apiGroup", Str("rbac.authorization.k8s.io"));
    b.Computed(gk, "subjects[].apiGroup", &RbacSubjectApiGroup);
  }

  b.Equals({"scheduling.k8s.io", "PriorityClass"}, "preemptionPolicy", Str("PreemptLowerPriority"));

  for (std::string_view webhook_kind :
       {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}) {
    const GroupKind gk{"admissionregistration.k8s.io", webhook_kind};
    b.Equals(gk, "webhooks[].failurePolicy", Str("Fail"));
    b.Equals(gk, "webhooks[].matchPolicy", Str("Equivalent"));
    b.Equals(gk, "webhooks[].timeoutSeconds", Value::Int(10));
    b.Equals(gk, "webhooks[].rules[].scope", Str("*"));
    b.Equals(gk, "webhooks[].clientConfig.service.port", Value::Int(443));
    // namespaceSelector / objectSelector default to {}: empty, handled generically.
    if (webhook_kind == "MutatingWebhookConfiguration") {
      b.Equals(gk, "webhooks[].reinvocationPolicy", Str("Never"));
    }
  }

  constexpr GroupKind kCrd{kCrdGroup, kCrdKind};
  b.Equals(kCrd, "spec.conversion.strategy", Str("None"));
  b.Equals(kCrd, "spec.conversion.webhook.clientConfig.service.port", Value::Int(443));
  b.Computed(kCrd, "spec.names.singular", &CrdSingular);
  b.Computed(kCrd, "spec.names.listKind", &CrdListKind);
}

const DefaultsTable& BuiltinDefaults() {
  static const DefaultsTable table = [] {
    DefaultsBuilder b;
    AddWorkloads(b);
    AddCore(b);
    AddOtherGroups(b);
    return b.Release();
  }();
  return table;
}

bool Matches(const DefaultRule& rule, const Value& value, const Value& parent) {
  switch (rule.kind) {
    case DefaultRule::Kind::kEquals:
      return value == rule.expected;
    case DefaultRule::Kind::kSibling: {
      const Value* sibling = parent.Find(rule.sibling);
      return sibling != nullptr && value == *sibling;
    }
    case DefaultRule::Kind::kAnyValue:
      return true;
    case DefaultRule::Kind::kComputed:
      return rule.predicate(value, parent);
  }
  return false;
}

// `path` is a scratch buffer holding the path of `value`; restored on return.
bool IsDefaultAt(const RulesByPath* rules, std::string& path, const Value& value,
                 const Value& parent) {
  if (value.IsEmpty()) {
    return true;
  }
  if (rules != nullptr) {
    if (auto it = rules->find(std::string_view(path)); it != rules->end()) {
      return Matches(it->second, value, parent);
    }
  }
  const std::size_t size = path.size();
  bool all_default = false;
  if (value.is_object()) {
    all_default = true;
    for (const auto& [key, member] : value.members()) {
      path.append(".").append(key);
      all_default = IsDefaultAt(rules, path, member, value);
      path.resize(size);
      if (!all_default) {
        break;
      }
    }
  } else if (value.is_array()) {
    all_default = true;
    path.append("[]");
    for (const Value& item : value.items()) {
      if (!IsDefaultAt(rules, path, item, value)) {
        all_default = false;
        break;
      }
    }
    path.resize(size);
  }
  return all_default;
}

}  // namespace

const ListSemantics* LookupBuiltinList(std::string_view group, std::string_view kind,
                                       std::string_view path) noexcept {
  const ListTables& tables = BuiltinLists();
  const auto kind_it = tables.by_kind.find(GroupKind{group, kind});
  if (kind_it == tables.by_kind.end()) {
    return nullptr;
  }
  if (const auto it = kind_it->second.find(path); it != kind_it->second.end()) {
    return &it->second;
  }
  if (group == kCrdGroup && kind == kCrdKind && path.starts_with(kCrdSchemaPrefix)) {
    // Nested schema (properties.x.items.required, ...): the list's own field name decides.
    const std::string_view field = path.substr(path.rfind('.') + 1);
    if (const auto it = tables.crd_schema_lists.find(field); it != tables.crd_schema_lists.end()) {
      return it->second;
    }
  }
  return nullptr;
}

bool IsSchemaDefault(std::string_view group, std::string_view kind, std::string_view path,
                     const Value& value, const Value& parent) noexcept {
  if (value.IsEmpty()) {
    return true;
  }
  const DefaultsTable& table = BuiltinDefaults();
  const auto kind_it = table.find(GroupKind{group, kind});
  const RulesByPath* rules = kind_it != table.end() ? &kind_it->second : nullptr;
  if (rules != nullptr) {
    if (const auto it = rules->find(path); it != rules->end()) {
      return Matches(it->second, value, parent);
    }
  }
  if (!value.is_object() && !value.is_array()) {
    return false;  // a scalar without a rule; no need to build a path buffer
  }
  std::string scratch(path);
  return IsDefaultAt(rules, scratch, value, parent);
}

std::string_view DefaultImagePullPolicy(std::string_view image) noexcept {
  const ImageRef ref = ParseImage(image);
  if (ref.valid && (ref.tag == "latest" || (ref.tag.empty() && !ref.has_digest))) {
    return "Always";
  }
  return "IfNotPresent";
}

}  // namespace plumbline::hashing
