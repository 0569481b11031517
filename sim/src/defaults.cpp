#include "plumbline/sim/defaults.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plumbline/hashing/quantity.h"
#include "plumbline/hashing/schema_tables.h"
#include "plumbline/hashing/value.h"

namespace plumbline::sim {
namespace {

using hashing::Value;

// ---------------------------------------------------------------------------------------------
// Small accessors. Every helper checks JSON types: a body with a string where an object belongs
// is left alone (the real server would refuse it in validation, which is not our job).

bool IsNil(const Value* v) { return v == nullptr || v->is_null(); }

// Unset for a Go string field: absent, null or "".
bool IsBlank(const Value* v) { return IsNil(v) || (v->is_string() && v->text().empty()); }

// Unset for a non-pointer Go int field (SetDefaults_Probe's "== 0").
bool IsNilOrZero(const Value* v) { return IsNil(v) || (v->is_number() && v->text() == "0"); }

bool IsNonEmptyString(const Value* v) {
  return v != nullptr && v->is_string() && !v->text().empty();
}

Value Str(std::string_view s) { return Value::String(std::string(s)); }

// The object member `key`, created as {} when absent or null; nullptr when `obj` is not an
// object or the member has another type.
Value* EnsureObject(Value& obj, std::string_view key) {
  if (!obj.is_object()) {
    return nullptr;
  }
  Value* v = obj.Find(key);
  if (IsNil(v)) {
    return &obj.Set(key, Value::MakeObject());
  }
  return v->is_object() ? v : nullptr;
}

Value* ObjectMember(Value& obj, std::string_view key) {
  Value* v = obj.Find(key);
  return v != nullptr && v->is_object() ? v : nullptr;
}

const Value* ObjectMember(const Value& obj, std::string_view key) {
  const Value* v = obj.Find(key);
  return v != nullptr && v->is_object() ? v : nullptr;
}

Value* ArrayMember(Value& obj, std::string_view key) {
  Value* v = obj.Find(key);
  return v != nullptr && v->is_array() ? v : nullptr;
}

// Pointer fields: set when absent or null.
void DefaultValue(Value& obj, std::string_view key, Value value) {
  if (obj.is_object() && IsNil(obj.Find(key))) {
    obj.Set(key, std::move(value));
  }
}

// String fields: set when absent, null or "".
void DefaultString(Value& obj, std::string_view key, std::string_view value) {
  if (obj.is_object() && IsBlank(obj.Find(key))) {
    obj.Set(key, Str(value));
  }
}

// Non-pointer int fields: set when absent, null or 0.
void DefaultIntIfZero(Value& obj, std::string_view key, std::int64_t value) {
  if (obj.is_object() && IsNilOrZero(obj.Find(key))) {
    obj.Set(key, Value::Int(value));
  }
}

// Calls f(item) for every object item of the list obj[key].
template <typename F>
void ForEachItem(Value& obj, std::string_view key, F&& f) {
  if (Value* list = ArrayMember(obj, key)) {
    for (Value& item : list->items()) {
      if (item.is_object()) {
        f(item);
      }
    }
  }
}

// Calls f(child) when obj[key] is an object.
template <typename F>
void WithObject(Value& obj, std::string_view key, F&& f) {
  if (Value* child = ObjectMember(obj, key)) {
    f(*child);
  }
}

// Go's encoding/json drops zero values of non-pointer `omitempty` fields (false, 0, ""): a body
// with `minReadySeconds: 0` comes back without it.
void DropZeroValues(Value& obj, std::initializer_list<std::string_view> keys) {
  if (!obj.is_object()) {
    return;
  }
  for (std::string_view key : keys) {
    const Value* v = obj.Find(key);
    if (v == nullptr) {
      continue;
    }
    if ((v->is_bool() && !v->bool_value()) || (v->is_number() && v->text() == "0") ||
        (v->is_string() && v->text().empty())) {
      obj.Erase(key);
    }
  }
}

bool ContainsString(const Value& list, std::string_view s) {
  return std::any_of(list.items().begin(), list.items().end(),
                     [&](const Value& v) { return v.is_string() && v.text() == s; });
}

// Appends s to the string list obj[key] unless present (creating the list).
void AppendUniqueString(Value& obj, std::string_view key, std::string_view s) {
  Value* list = obj.Find(key);
  if (IsNil(list)) {
    list = &obj.Set(key, Value::MakeArray());
  }
  if (list->is_array() && !ContainsString(*list, s)) {
    list->items().push_back(Str(s));
  }
}

std::uint64_t Fnv1a(std::string_view s, std::uint64_t h = 14695981039346656037ULL) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// Quantities (k8s.io/apimachinery resource.Quantity): parse, optional round-up, canonical text.

enum class QuantityFormat { kDecimalSI, kBinarySI, kDecimalExponent };

QuantityFormat FormatOf(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    ++i;
  }
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
    ++i;
  }
  const std::string_view suffix = text.substr(i);
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    return QuantityFormat::kDecimalExponent;
  }
  if (suffix.size() == 2 && suffix[1] == 'i') {
    return QuantityFormat::kBinarySI;
  }
  return QuantityFormat::kDecimalSI;
}

// value = digits * 10^exponent; digits has no leading or trailing zeros, "" for zero.
struct Decimal {
  bool negative = false;
  std::string digits;
  int exponent = 0;
};

void StripTrailingZeros(Decimal& d) {
  while (!d.digits.empty() && d.digits.back() == '0') {
    d.digits.pop_back();
    ++d.exponent;
  }
  if (d.digits.empty()) {
    d = Decimal{};
  }
}

// Parses hashing::CanonicalQuantity's output ("-0.5", "1536").
Decimal ParseCanonical(std::string_view s) {
  Decimal d;
  if (!s.empty() && s.front() == '-') {
    d.negative = true;
    s.remove_prefix(1);
  }
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  d.digits = std::string(whole) + std::string(frac);
  d.exponent = -static_cast<int>(frac.size());
  const std::size_t first = d.digits.find_first_not_of('0');
  d.digits = first == std::string::npos ? "" : d.digits.substr(first);
  StripTrailingZeros(d);
  return d;
}

void IncrementDigits(std::string& digits) {
  for (std::size_t i = digits.size(); i-- > 0;) {
    if (digits[i] != '9') {
      ++digits[i];
      return;
    }
    digits[i] = '0';
  }
  digits.insert(digits.begin(), '1');
}

// Quantity.RoundUp(-3): away from zero to a multiple of 10^-3.
void RoundUpToMilli(Decimal& d) {
  if (d.digits.empty() || d.exponent >= -3) {
    return;
  }
  const auto drop = static_cast<std::size_t>(-3 - d.exponent);
  if (drop >= d.digits.size()) {
    d.digits = "1";
  } else {
    // Trailing zeros are stripped, so the dropped part is never zero: always round up.
    d.digits.resize(d.digits.size() - drop);
    IncrementDigits(d.digits);
  }
  d.exponent = -3;
  StripTrailingZeros(d);
}

// Divides the decimal integer `n` by `divisor` when it divides exactly.
bool DivideExactly(std::string& n, unsigned divisor) {
  std::string quotient;
  unsigned long long remainder = 0;
  for (char c : n) {
    remainder = remainder * 10 + static_cast<unsigned>(c - '0');
    const auto q = static_cast<char>('0' + remainder / divisor);
    if (!quotient.empty() || q != '0') {
      quotient.push_back(q);
    }
    remainder %= divisor;
  }
  if (remainder != 0) {
    return false;
  }
  n = quotient.empty() ? "0" : quotient;
  return true;
}

bool LessThan1024(const std::string& n) { return n.size() < 4 || (n.size() == 4 && n < "1024"); }

std::string DecimalSuffix(int exponent) {
  switch (exponent) {
    case -9:
      return "n";
    case -6:
      return "u";
    case -3:
      return "m";
    case 3:
      return "k";
    case 6:
      return "M";
    case 9:
      return "G";
    case 12:
      return "T";
    case 15:
      return "P";
    case 18:
      return "E";
    default:
      return "";
  }
}

// Quantity.CanonicalizeBytes.
std::string FormatDecimal(const Decimal& d, QuantityFormat format) {
  if (d.digits.empty()) {
    return "0";
  }
  const std::string sign = d.negative ? "-" : "";
  if (format == QuantityFormat::kBinarySI) {
    if (d.exponent >= 0) {
      std::string n = d.digits + std::string(static_cast<std::size_t>(d.exponent), '0');
      if (!LessThan1024(n)) {
        int power = 0;
        while (power < 6 && DivideExactly(n, 1024)) {
          ++power;
        }
        static constexpr const char* kBinarySuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        return sign + n + kBinarySuffixes[power];
      }
    }
    // Below 1024 or fractional: shown as DecimalSI so that nothing is rounded.
    format = QuantityFormat::kDecimalSI;
  }
  // Exponent down to a multiple of 3 (AsCanonicalBytes), mantissa padded with zeros.
  int target = d.exponent >= 0 ? (d.exponent / 3) * 3 : -(((-d.exponent) + 2) / 3) * 3;
  if (format == QuantityFormat::kDecimalSI) {
    target = std::min(target, 18);
  }
  std::string mantissa = d.digits + std::string(static_cast<std::size_t>(d.exponent - target), '0');
  if (format == QuantityFormat::kDecimalExponent) {
    return sign + mantissa + (target == 0 ? "" : "e" + std::to_string(target));
  }
  return sign + mantissa + DecimalSuffix(target);
}

// Rewrites obj[key] (a quantity string or number) into its serialized form; invalid quantities
// are left as they are.
void CanonicalizeQuantity(Value& obj, std::string_view key, bool round_up_to_milli) {
  Value* v = obj.Find(key);
  if (v == nullptr || !(v->is_string() || v->is_number())) {
    return;
  }
  if (auto text = SerializeQuantity(v->text(), round_up_to_milli); text) {
    *v = Value::String(std::move(*text));
  }
}

// SetDefaults_ResourceList on obj[key]: every quantity rounded up to milli and canonical; an
// empty list is dropped (omitempty map).
void DefaultResourceList(Value& obj, std::string_view key) {
  Value* list = obj.Find(key);
  if (list == nullptr || !list->is_object()) {
    return;
  }
  if (list->members().empty()) {
    obj.Erase(key);
    return;
  }
  for (auto& member : list->members()) {
    if (member.second.is_string() || member.second.is_number()) {
      if (auto text = SerializeQuantity(member.second.text(), true); text) {
        member.second = Value::String(std::move(*text));
      }
    }
  }
}

// Exact canonical decimal of a quantity value, for comparisons; "" when invalid.
std::string QuantityValue(const Value* v) {
  if (v == nullptr || !(v->is_string() || v->is_number())) {
    return "";
  }
  auto canonical = hashing::CanonicalQuantity(v->text());
  return canonical ? *canonical : "";
}

bool IsPositiveQuantity(const Value* v) {
  const std::string value = QuantityValue(v);
  return !value.empty() && value != "0" && value.front() != '-';
}

// ---------------------------------------------------------------------------------------------
// Serialization layer: what a body looks like after JSON decoding, protobuf storage and JSON
// encoding. Nulls are Go nil (omitted, or re-added below where the field has no omitempty);
// empty lists become nil the same way; empty string maps are omitted; a null inside a string
// map is the empty string.

bool IsStringMapKey(std::string_view key) {
  return key == "labels" || key == "annotations" || key == "matchLabels" || key == "nodeSelector";
}

void NormalizeStringMap(Value& map) {
  for (auto& member : map.members()) {
    if (member.second.is_null()) {
      member.second = Value::String("");
    }
  }
}

void NormalizeSerialization(Value& v, int depth) {
  if (depth > 200) {
    return;
  }
  if (v.is_array()) {
    for (Value& item : v.items()) {
      NormalizeSerialization(item, depth + 1);
    }
    return;
  }
  if (!v.is_object()) {
    return;
  }
  auto& members = v.members();
  members.erase(std::remove_if(members.begin(), members.end(),
                               [](const Value::Member& m) {
                                 if (m.second.is_null()) {
                                   return true;
                                 }
                                 if (m.second.is_array() && m.second.items().empty()) {
                                   return true;
                                 }
                                 return IsStringMapKey(m.first) && m.second.is_object() &&
                                        m.second.members().empty();
                               }),
                members.end());
  for (auto& [key, child] : members) {
    if (IsStringMapKey(key) && child.is_object()) {
      NormalizeStringMap(child);
    } else if (key == "schema" || key == "managedFields" || key == "validation") {
      // Free-form JSON (CRD openAPIV3Schema defaults and examples) and the caller's
      // managedFields: kept byte for byte.
      continue;
    } else {
      NormalizeSerialization(child, depth + 1);
    }
  }
}

// The root maps of ConfigMap and Secret (data, binaryData, stringData): omitted when empty,
// null values read back as "".
void NormalizeRootMaps(Value& object, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    Value* map = object.Find(key);
    if (map == nullptr) {
      continue;
    }
    if (map->is_null() || (map->is_object() && map->members().empty())) {
      object.Erase(key);
    } else if (map->is_object()) {
      NormalizeStringMap(*map);
    }
  }
}

// Status handling: `initial` is what the kind's status looks like right after create.
void DefaultStatus(Value& object, Value initial, const DefaultingContext& context) {
  Value* status = object.Find("status");
  if (context.reset_status || status == nullptr || !status->is_object()) {
    object.Set("status", std::move(initial));
    return;
  }
  for (auto& [key, value] : initial.members()) {
    DefaultValue(*status, key, std::move(value));
  }
}

Value EmptyObject() { return Value::MakeObject(); }

Value ObjectOf(std::initializer_list<std::pair<std::string_view, Value>> members) {
  Value v = Value::MakeObject();
  for (const auto& [key, value] : members) {
    v.Set(key, value);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Pod specs (section 2): Pods and every pod template.

void DefaultObjectFieldSelector(Value& holder) {
  WithObject(holder, "fieldRef", [](Value& ref) { DefaultString(ref, "apiVersion", "v1"); });
  WithObject(holder, "resourceFieldRef", [](Value& ref) {
    // Non-pointer Quantity: an unset divisor serializes as "0".
    DefaultValue(ref, "divisor", Str("0"));
    CanonicalizeQuantity(ref, "divisor", false);
  });
}

void DefaultHttpGet(Value& handler) {
  WithObject(handler, "httpGet", [](Value& get) {
    DefaultString(get, "path", "/");
    DefaultString(get, "scheme", "HTTP");
  });
}

void DefaultProbe(Value& probe) {
  DefaultIntIfZero(probe, "timeoutSeconds", 1);
  DefaultIntIfZero(probe, "periodSeconds", 10);
  DefaultIntIfZero(probe, "successThreshold", 1);
  DefaultIntIfZero(probe, "failureThreshold", 3);
  DropZeroValues(probe, {"initialDelaySeconds"});
  DefaultHttpGet(probe);
  WithObject(probe, "grpc", [](Value& grpc) { DefaultValue(grpc, "service", Str("")); });
}

void DefaultContainer(Value& container) {
  const Value* image = container.Find("image");
  DefaultString(container, "imagePullPolicy",
                hashing::DefaultImagePullPolicy(image != nullptr && image->is_string()
                                                    ? std::string_view(image->text())
                                                    : std::string_view()));
  DefaultString(container, "terminationMessagePath", "/dev/termination-log");
  DefaultString(container, "terminationMessagePolicy", "File");
  DropZeroValues(container, {"stdin", "stdinOnce", "tty", "workingDir"});
  ForEachItem(container, "ports", [](Value& port) {
    DefaultString(port, "protocol", "TCP");
    DropZeroValues(port, {"hostPort", "hostIP", "name"});
  });
  ForEachItem(container, "env", [](Value& env) {
    WithObject(env, "valueFrom", [](Value& from) { DefaultObjectFieldSelector(from); });
  });
  ForEachItem(container, "volumeMounts", [](Value& mount) {
    DropZeroValues(mount, {"readOnly", "subPath", "subPathExpr"});
  });
  if (Value* resources = EnsureObject(container, "resources")) {
    DefaultResourceList(*resources, "limits");
    DefaultResourceList(*resources, "requests");
  }
  for (std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    WithObject(container, probe, DefaultProbe);
  }
  WithObject(container, "lifecycle", [](Value& lifecycle) {
    WithObject(lifecycle, "postStart", DefaultHttpGet);
    WithObject(lifecycle, "preStop", DefaultHttpGet);
  });
}

void DefaultDownwardApiItems(Value& holder) {
  ForEachItem(holder, "items", DefaultObjectFieldSelector);
}

void DefaultPvcSpec(Value& spec) {
  DefaultValue(spec, "volumeMode", Str("Filesystem"));
  if (Value* resources = EnsureObject(spec, "resources")) {
    DefaultResourceList(*resources, "limits");
    DefaultResourceList(*resources, "requests");
  }
}

void DefaultVolume(Value& volume) {
  bool has_source = false;
  for (const auto& [key, value] : volume.members()) {
    if (key != "name" && !value.is_null()) {
      has_source = true;
    }
  }
  if (!has_source) {
    volume.Set("emptyDir", EmptyObject());
  }
  WithObject(volume, "emptyDir", [](Value& dir) { CanonicalizeQuantity(dir, "sizeLimit", false); });
  WithObject(volume, "secret", [](Value& s) { DefaultValue(s, "defaultMode", Value::Int(420)); });
  WithObject(volume, "configMap",
             [](Value& c) { DefaultValue(c, "defaultMode", Value::Int(420)); });
  WithObject(volume, "downwardAPI", [](Value& d) {
    DefaultValue(d, "defaultMode", Value::Int(420));
    DefaultDownwardApiItems(d);
  });
  WithObject(volume, "projected", [](Value& p) {
    DefaultValue(p, "defaultMode", Value::Int(420));
    ForEachItem(p, "sources", [](Value& source) {
      WithObject(source, "serviceAccountToken",
                 [](Value& t) { DefaultValue(t, "expirationSeconds", Value::Int(3600)); });
      WithObject(source, "downwardAPI", DefaultDownwardApiItems);
    });
  });
  WithObject(volume, "hostPath", [](Value& h) { DefaultValue(h, "type", Str("")); });
  WithObject(volume, "iscsi", [](Value& i) { DefaultString(i, "iscsiInterface", "default"); });
  WithObject(volume, "rbd", [](Value& r) {
    DefaultString(r, "pool", "rbd");
    DefaultString(r, "user", "admin");
    DefaultString(r, "keyring", "/etc/ceph/keyring");
  });
  WithObject(volume, "azureDisk", [](Value& a) {
    DefaultValue(a, "cachingMode", Str("ReadWrite"));
    DefaultValue(a, "fsType", Str("ext4"));
    DefaultValue(a, "readOnly", Value::Bool(false));
    DefaultValue(a, "kind", Str("Shared"));
  });
  WithObject(volume, "scaleIO", [](Value& s) {
    DefaultString(s, "storageMode", "ThinProvisioned");
    DefaultString(s, "fsType", "xfs");
  });
  WithObject(volume, "ephemeral", [](Value& e) {
    WithObject(e, "volumeClaimTemplate", [](Value& t) {
      if (Value* meta = EnsureObject(t, "metadata")) {
        DefaultValue(*meta, "creationTimestamp", Value::Null());
      }
      if (Value* spec = EnsureObject(t, "spec")) {
        DefaultPvcSpec(*spec);
      }
    });
  });
}

// spec.serviceAccount is a deprecated alias: read when serviceAccountName is empty, always
// written as a copy of serviceAccountName (conversion.go).
void SyncServiceAccountAlias(Value& spec) {
  const Value* alias = spec.Find("serviceAccount");
  if (IsBlank(spec.Find("serviceAccountName")) && IsNonEmptyString(alias)) {
    spec.Set("serviceAccountName", *alias);
  }
  const Value* name = spec.Find("serviceAccountName");
  if (IsNonEmptyString(name)) {
    spec.Set("serviceAccount", *name);
  } else {
    spec.Erase("serviceAccount");
    spec.Erase("serviceAccountName");
  }
}

// SetDefaults_PodSpec and the generated walk over everything a PodSpec embeds.
void DefaultPodSpec(Value& spec) {
  DefaultString(spec, "dnsPolicy", "ClusterFirst");
  DefaultString(spec, "restartPolicy", "Always");
  DefaultValue(spec, "securityContext", EmptyObject());
  DefaultValue(spec, "terminationGracePeriodSeconds", Value::Int(30));
  DefaultString(spec, "schedulerName", "default-scheduler");
  DropZeroValues(spec, {"hostNetwork", "hostPID", "hostIPC", "nodeName", "hostname", "subdomain",
                        "priorityClassName"});
  SyncServiceAccountAlias(spec);
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    ForEachItem(spec, list, DefaultContainer);
  }
  ForEachItem(spec, "volumes", DefaultVolume);
  DefaultResourceList(spec, "overhead");
  WithObject(spec, "resources", [](Value& resources) {
    DefaultResourceList(resources, "limits");
    DefaultResourceList(resources, "requests");
  });
}

// Every embedded ObjectMeta serializes its zero creationTimestamp as null.
void DefaultEmbeddedMeta(Value& holder) {
  if (Value* meta = EnsureObject(holder, "metadata")) {
    DefaultValue(*meta, "creationTimestamp", Value::Null());
  }
}

void DefaultPodTemplate(Value& owner, std::string_view key) {
  Value* tmpl = EnsureObject(owner, key);
  if (tmpl == nullptr) {
    return;
  }
  DefaultEmbeddedMeta(*tmpl);
  if (Value* spec = EnsureObject(*tmpl, "spec")) {
    DefaultPodSpec(*spec);
  }
}

Value* TemplateLabels(Value& spec) {
  Value* tmpl = ObjectMember(spec, "template");
  Value* meta = tmpl != nullptr ? ObjectMember(*tmpl, "metadata") : nullptr;
  return meta != nullptr ? ObjectMember(*meta, "labels") : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Pod (section 3): Pod-only defaults, ServiceAccount / DefaultTolerationSeconds / Priority
// admission, strategy.

constexpr std::string_view kTokenMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

// "kube-api-access-" + 5 characters of k8s.io/apiserver's name alphabet, derived from the UID so
// that the result is deterministic.
std::string TokenVolumeName(std::string_view seed) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::uint64_t h = Fnv1a(seed, Fnv1a("kube-api-access"));
  std::string name = "kube-api-access-";
  for (int i = 0; i < 5; ++i) {
    name.push_back(kAlphabet[h % kAlphabet.size()]);
    h /= kAlphabet.size();
  }
  return name;
}

Value TokenVolume(const std::string& name) {
  Value item_ca = ObjectOf({{"key", Str("ca.crt")}, {"path", Str("ca.crt")}});
  Value field_ref = ObjectOf({{"apiVersion", Str("v1")}, {"fieldPath", Str("metadata.namespace")}});
  Value namespace_item = ObjectOf({{"fieldRef", field_ref}, {"path", Str("namespace")}});
  Value sources = Value::MakeArray(
      {ObjectOf({{"serviceAccountToken",
                  ObjectOf({{"expirationSeconds", Value::Int(3607)}, {"path", Str("token")}})}}),
       ObjectOf({{"configMap", ObjectOf({{"items", Value::MakeArray({item_ca})},
                                         {"name", Str("kube-root-ca.crt")}})}}),
       ObjectOf({{"downwardAPI", ObjectOf({{"items", Value::MakeArray({namespace_item})}})}})});
  return ObjectOf(
      {{"name", Str(name)},
       {"projected", ObjectOf({{"defaultMode", Value::Int(420)}, {"sources", sources}})}});
}

bool HasMountAt(const Value& container, std::string_view path) {
  const Value* mounts = container.Find("volumeMounts");
  if (mounts == nullptr || !mounts->is_array()) {
    return false;
  }
  return std::any_of(mounts->items().begin(), mounts->items().end(), [&](const Value& m) {
    return m.is_object() && m.GetString("mountPath") == path;
  });
}

// plugin/pkg/admission/serviceaccount: default account, token volume and mounts.
void AdmitServiceAccount(Value& pod, Value& spec, std::string_view seed) {
  const Value* meta = ObjectMember(pod, "metadata");
  const Value* annotations = meta != nullptr ? ObjectMember(*meta, "annotations") : nullptr;
  if (annotations != nullptr && annotations->Find("kubernetes.io/config.mirror") != nullptr) {
    return;  // Mirror pods of static pods are left alone.
  }
  DefaultString(spec, "serviceAccountName", "default");
  // The namespace's ServiceAccounts are not visible here: they are taken to allow automounting.
  const Value* automount = spec.Find("automountServiceAccountToken");
  if (automount != nullptr && automount->is_bool() && !automount->bool_value()) {
    return;
  }
  std::string volume_name;
  bool has_volume = false;
  if (Value* volumes = ArrayMember(spec, "volumes")) {
    for (const Value& v : volumes->items()) {
      const std::string_view name = v.GetString("name");
      if (name.rfind("kube-api-access-", 0) == 0) {
        volume_name = std::string(name);
        has_volume = true;
        break;
      }
    }
  }
  if (volume_name.empty()) {
    volume_name = TokenVolumeName(seed);
  }
  const Value mount = ObjectOf({{"mountPath", Str(kTokenMountPath)},
                                {"name", Str(volume_name)},
                                {"readOnly", Value::Bool(true)}});
  bool needs_volume = false;
  for (std::string_view list : {"initContainers", "containers"}) {
    ForEachItem(spec, list, [&](Value& container) {
      if (HasMountAt(container, kTokenMountPath)) {
        return;
      }
      Value* mounts = container.Find("volumeMounts");
      if (IsNil(mounts)) {
        mounts = &container.Set("volumeMounts", Value::MakeArray());
      }
      if (mounts->is_array()) {
        mounts->items().push_back(mount);
        needs_volume = true;
      }
    });
  }
  if (!has_volume && needs_volume) {
    Value* volumes = spec.Find("volumes");
    if (IsNil(volumes)) {
      volumes = &spec.Set("volumes", Value::MakeArray());
    }
    if (volumes->is_array()) {
      volumes->items().push_back(TokenVolume(volume_name));
    }
  }
}

// plugin/pkg/admission/defaulttolerationseconds.
void AdmitDefaultTolerations(Value& spec) {
  bool not_ready = false;
  bool unreachable = false;
  if (const Value* tolerations = spec.Find("tolerations");
      tolerations != nullptr && tolerations->is_array()) {
    for (const Value& t : tolerations->items()) {
      const std::string_view key = t.GetString("key");
      const std::string_view effect = t.GetString("effect");
      const bool no_execute = effect.empty() || effect == "NoExecute";
      not_ready |= no_execute && (key.empty() || key == "node.kubernetes.io/not-ready");
      unreachable |= no_execute && (key.empty() || key == "node.kubernetes.io/unreachable");
    }
  }
  Value* tolerations = spec.Find("tolerations");
  if (IsNil(tolerations)) {
    if (not_ready && unreachable) {
      return;
    }
    tolerations = &spec.Set("tolerations", Value::MakeArray());
  }
  if (!tolerations->is_array()) {
    return;
  }
  auto toleration = [](std::string_view key) {
    return ObjectOf({{"effect", Str("NoExecute")},
                     {"key", Str(key)},
                     {"operator", Str("Exists")},
                     {"tolerationSeconds", Value::Int(300)}});
  };
  if (!not_ready) {
    tolerations->items().push_back(toleration("node.kubernetes.io/not-ready"));
  }
  if (!unreachable) {
    tolerations->items().push_back(toleration("node.kubernetes.io/unreachable"));
  }
}

// plugin/pkg/admission/priority with no globalDefault PriorityClass: the two built-in system
// classes, else priority 0.
void AdmitPriority(Value& spec) {
  const std::string_view class_name = spec.GetString("priorityClassName");
  std::int64_t priority = 0;
  if (class_name == "system-cluster-critical") {
    priority = 2000000000;
  } else if (class_name == "system-node-critical") {
    priority = 2000001000;
  }
  DefaultValue(spec, "priority", Value::Int(priority));
  DefaultValue(spec, "preemptionPolicy", Str("PreemptLowerPriority"));
}

// pkg/apis/core/helper/qos GetPodQOS, over cpu and memory of containers and initContainers.
std::string PodQosClass(const Value& spec) {
  bool any = false;
  bool guaranteed = true;
  for (std::string_view list : {"containers", "initContainers"}) {
    const Value* containers = spec.Find(list);
    if (containers == nullptr || !containers->is_array()) {
      continue;
    }
    for (const Value& c : containers->items()) {
      const Value* resources = ObjectMember(c, "resources");
      const Value* requests = resources != nullptr ? ObjectMember(*resources, "requests") : nullptr;
      const Value* limits = resources != nullptr ? ObjectMember(*resources, "limits") : nullptr;
      for (std::string_view name : {"cpu", "memory"}) {
        const Value* request = requests != nullptr ? requests->Find(name) : nullptr;
        const Value* limit = limits != nullptr ? limits->Find(name) : nullptr;
        const bool has_request = IsPositiveQuantity(request);
        const bool has_limit = IsPositiveQuantity(limit);
        any |= has_request || has_limit;
        if (!has_limit || !has_request || QuantityValue(request) != QuantityValue(limit)) {
          guaranteed = false;
        }
      }
    }
  }
  if (!any) {
    return "BestEffort";
  }
  return guaranteed ? "Guaranteed" : "Burstable";
}

void DefaultPod(Value& pod, const std::string& uid, const DefaultingContext& context) {
  Value* spec = EnsureObject(pod, "spec");
  if (spec == nullptr) {
    return;
  }
  // SetDefaults_Pod: requests default to limits (Pods only, not templates).
  for (std::string_view list : {"containers", "initContainers"}) {
    ForEachItem(*spec, list, [](Value& container) {
      Value* resources = ObjectMember(container, "resources");
      const Value* limits = resources != nullptr ? ObjectMember(*resources, "limits") : nullptr;
      if (limits == nullptr) {
        return;
      }
      const Value limits_copy = *limits;  // EnsureObject below may move resources' members
      Value* requests = EnsureObject(*resources, "requests");
      if (requests == nullptr) {
        return;
      }
      for (const auto& [name, quantity] : limits_copy.members()) {
        DefaultValue(*requests, name, quantity);
      }
    });
  }
  DefaultValue(*spec, "enableServiceLinks", Value::Bool(true));
  if (const Value* host_network = spec->Find("hostNetwork");
      host_network != nullptr && host_network->is_bool() && host_network->bool_value()) {
    for (std::string_view list : {"containers", "initContainers"}) {
      ForEachItem(*spec, list, [](Value& container) {
        ForEachItem(container, "ports", [](Value& port) {
          const Value* container_port = port.Find("containerPort");
          if (IsNilOrZero(port.Find("hostPort")) && container_port != nullptr) {
            port.Set("hostPort", *container_port);
          }
        });
      });
    }
  }
  DefaultPodSpec(*spec);
  AdmitServiceAccount(pod, *spec, uid);
  SyncServiceAccountAlias(*spec);
  AdmitDefaultTolerations(*spec);
  AdmitPriority(*spec);
  DefaultStatus(pod, ObjectOf({{"phase", Str("Pending")}, {"qosClass", Str(PodQosClass(*spec))}}),
                context);
}

// ---------------------------------------------------------------------------------------------
// Workloads (sections 4, 5).

void DefaultDeployment(Value& object, const DefaultingContext& context) {
  if (Value* spec = EnsureObject(object, "spec")) {
    DefaultValue(*spec, "replicas", Value::Int(1));
    if (Value* strategy = EnsureObject(*spec, "strategy")) {
      DefaultString(*strategy, "type", "RollingUpdate");
      if (strategy->GetString("type") == "RollingUpdate") {
        if (Value* rolling = EnsureObject(*strategy, "rollingUpdate")) {
          DefaultValue(*rolling, "maxUnavailable", Str("25%"));
          DefaultValue(*rolling, "maxSurge", Str("25%"));
        }
      }
    }
    DefaultValue(*spec, "revisionHistoryLimit", Value::Int(10));
    DefaultValue(*spec, "progressDeadlineSeconds", Value::Int(600));
    DropZeroValues(*spec, {"minReadySeconds", "paused"});
    DefaultPodTemplate(*spec, "template");
  }
  DefaultStatus(object, EmptyObject(), context);
}

void DefaultReplicaSet(Value& object, const DefaultingContext& context) {
  if (Value* spec = EnsureObject(object, "spec")) {
    DefaultValue(*spec, "replicas", Value::Int(1));
    DropZeroValues(*spec, {"minReadySeconds"});
    DefaultPodTemplate(*spec, "template");
  }
  DefaultStatus(object, ObjectOf({{"replicas", Value::Int(0)}}), context);
}

void DefaultReplicationController(Value& object, const DefaultingContext& context) {
  if (Value* spec = EnsureObject(object, "spec")) {
    DefaultValue(*spec, "replicas", Value::Int(1));
    DropZeroValues(*spec, {"minReadySeconds"});
    if (const Value* labels = TemplateLabels(*spec); labels != nullptr && !labels->IsEmpty()) {
      const Value copy = *labels;
      const Value* selector = spec->Find("selector");
      if (selector == nullptr || selector->IsEmpty()) {
        spec->Set("selector", copy);
      }
      if (Value* meta = ObjectMember(object, "metadata")) {
        const Value* own = meta->Find("labels");
        if (own == nullptr || own->IsEmpty()) {
          meta->Set("labels", copy);
        }
      }
    }
    DefaultPodTemplate(*spec, "template");
  }
  DefaultStatus(object, ObjectOf({{"replicas", Value::Int(0)}}), context);
}

void DefaultVolumeClaimTemplate(Value& claim) {
  // Convert_apps_StatefulSetSpec_To_v1_StatefulSetSpec writes the full PVC type meta.
  claim.Set("apiVersion", Str("v1"));
  claim.Set("kind", Str("PersistentVolumeClaim"));
  DefaultEmbeddedMeta(claim);
  if (Value* spec = EnsureObject(claim, "spec")) {
    DefaultPvcSpec(*spec);
  }
  if (Value* status = EnsureObject(claim, "status")) {
    DefaultString(*status, "phase", "Pending");
  }
}

void DefaultStatefulSet(Value& object, const DefaultingContext& context) {
  if (Value* spec = EnsureObject(object, "spec")) {
    DefaultString(*spec, "podManagementPolicy", "OrderedReady");
    if (Value* strategy = EnsureObject(*spec, "updateStrategy")) {
      if (IsBlank(strategy->Find("type"))) {
        strategy->Set("type", Str("RollingUpdate"));
        DefaultValue(*strategy, "rollingUpdate", EmptyObject());
      }
      if (strategy->GetString("type") == "RollingUpdate") {
        WithObject(*strategy, "rollingUpdate",
                   [](Value& r) { DefaultValue(r, "partition", Value::Int(0)); });
      }
    }
    if (Value* policy = EnsureObject(*spec, "persistentVolumeClaimRetentionPolicy")) {
      DefaultString(*policy, "whenDeleted", "Retain");
      DefaultString(*policy, "whenScaled", "Retain");
    }
    DefaultValue(*spec, "replicas", Value::Int(1));
    DefaultValue(*spec, "revisionHistoryLimit", Value::Int(10));
    DropZeroValues(*spec, {"minReadySeconds", "serviceName"});
    DefaultPodTemplate(*spec, "template");
    ForEachItem(*spec, "volumeClaimTemplates", DefaultVolumeClaimTemplate);
  }
  DefaultStatus(object,
                ObjectOf({{"availableReplicas", Value::Int(0)}, {"replicas", Value::Int(0)}}),
                context);
}

void DefaultDaemonSet(Value& object, const DefaultingContext& context) {
  if (Value* spec = EnsureObject(object, "spec")) {
    if (Value* strategy = EnsureObject(*spec, "updateStrategy")) {
      DefaultString(*strategy, "type", "RollingUpdate");
      if (strategy->GetString("type") == "RollingUpdate") {
        if (Value* rolling = EnsureObject(*strategy, "rollingUpdate")) {
          DefaultValue(*rolling, "maxUnavailable", Value::Int(1));
          DefaultValue(*rolling, "maxSurge", Value::Int(0));
        }
      }
    }
    DefaultValue(*spec, "revisionHistoryLimit", Value::Int(10));
    DropZeroValues(*spec, {"minReadySeconds"});
    DefaultPodTemplate(*spec, "template");
  }
  DefaultStatus(object,
                ObjectOf({{"currentNumberScheduled", Value::Int(0)},
                          {"desiredNumberScheduled", Value::Int(0)},
                          {"numberMisscheduled", Value::Int(0)},
                          {"numberReady", Value::Int(0)}}),
                context);
}

// pkg/registry/batch/job/strategy.go generateSelector.
void GenerateJobSelector(Value& object, Value& spec, const std::string& uid) {
  const Value* manual = spec.Find("manualSelector");
  if (manual != nullptr && manual->is_bool() && manual->bool_value()) {
    return;
  }
  const Value* meta = ObjectMember(object, "metadata");
  const std::string name = meta != nullptr ? std::string(meta->GetString("name")) : "";
  Value* tmpl = EnsureObject(spec, "template");
  Value* tmpl_meta = tmpl != nullptr ? EnsureObject(*tmpl, "metadata") : nullptr;
  Value* labels = tmpl_meta != nullptr ? EnsureObject(*tmpl_meta, "labels") : nullptr;
  if (labels != nullptr) {
    for (std::string_view key : {"job-name", "batch.kubernetes.io/job-name"}) {
      DefaultValue(*labels, key, Str(name));
    }
    for (std::string_view key : {"controller-uid", "batch.kubernetes.io/controller-uid"}) {
      DefaultValue(*labels, key, Str(uid));
    }
  }
  if (Value* selector = EnsureObject(spec, "selector")) {
    if (Value* match = EnsureObject(*selector, "matchLabels")) {
      DefaultValue(*match, "batch.kubernetes.io/controller-uid", Str(uid));
    }
  }
}

void DefaultJob(Value& object, const std::string& uid, const DefaultingContext& context) {
  Value* spec = EnsureObject(object, "spec");
  if (spec != nullptr) {
    if (IsNil(spec->Find("completions")) && IsNil(spec->Find("parallelism"))) {
      spec->Set("completions", Value::Int(1));
      spec->Set("parallelism", Value::Int(1));
    }
    DefaultValue(*spec, "parallelism", Value::Int(1));
    DefaultValue(*spec, "backoffLimit",
                 Value::Int(IsNil(spec->Find("backoffLimitPerIndex")) ? 6 : 2147483647));
    DefaultValue(*spec, "completionMode", Str("NonIndexed"));
    DefaultValue(*spec, "suspend", Value::Bool(false));
    const bool has_failure_policy = !IsNil(spec->Find("podFailurePolicy"));
    WithObject(*spec, "podFailurePolicy", [](Value& policy) {
      ForEachItem(policy, "rules", [](Value& rule) {
        ForEachItem(rule, "onPodConditions",
                    [](Value& pattern) { DefaultString(pattern, "status", "True"); });
      });
    });
    DefaultValue(*spec, "podReplacementPolicy",
                 Str(has_failure_policy ? "Failed" : "TerminatingOrFailed"));
    DefaultValue(*spec, "manualSelector", Value::Bool(false));
    // Strategy (PrepareForCreate) first, then SetDefaults_Job as it runs again on every read:
    // the Job's own labels are the template's, generated ones included.
    GenerateJobSelector(object, *spec, uid);
    DefaultPodTemplate(*spec, "template");
    if (const Value* labels = TemplateLabels(*spec); labels != nullptr) {
      if (Value* meta = ObjectMember(object, "metadata")) {
        const Value* own = meta->Find("labels");
        if (own == nullptr || own->IsEmpty()) {
          meta->Set("labels", *labels);
        }
      }
    }
  }
  DefaultStatus(object, EmptyObject(), context);
}

void DefaultCronJob(Value& object, const DefaultingContext& context) {
  if (Value* spec = EnsureObject(object, "spec")) {
    DefaultString(*spec, "concurrencyPolicy", "Allow");
    DefaultValue(*spec, "suspend", Value::Bool(false));
    DefaultValue(*spec, "successfulJobsHistoryLimit", Value::Int(3));
    DefaultValue(*spec, "failedJobsHistoryLimit", Value::Int(1));
    if (Value* job_template = EnsureObject(*spec, "jobTemplate")) {
      DefaultEmbeddedMeta(*job_template);
      if (Value* job_spec = EnsureObject(*job_template, "spec")) {
        DefaultPodTemplate(*job_spec, "template");
      }
    }
  }
  DefaultStatus(object, EmptyObject(), context);
}

// ---------------------------------------------------------------------------------------------
// Service (section 6): SetDefaults_Service, then allocation (alloc.go).

bool IsHeadless(const Value& spec) { return spec.GetString("clusterIP") == "None"; }

bool HasSelector(const Value& spec) {
  const Value* selector = spec.Find("selector");
  return selector != nullptr && !selector->IsEmpty();
}

std::string FallbackClusterIp(std::string_view seed) {
  const std::uint64_t h = Fnv1a(seed, Fnv1a("clusterIP"));
  // 10.96.0.1 is the kubernetes Service; .0 and .255 are avoided for looks.
  const auto third = static_cast<unsigned>(h % 256);
  auto fourth = static_cast<unsigned>(2 + (h / 256) % 253);
  return "10.96." + std::to_string(third) + "." + std::to_string(fourth);
}

std::int64_t PortNumber(const Value& port, std::string_view key) {
  const Value* v = port.Find(key);
  if (v == nullptr || !v->is_number()) {
    return 0;
  }
  std::int64_t n = 0;
  for (char c : v->text()) {
    if (c < '0' || c > '9' || n > 1000000) {
      return 0;
    }
    n = n * 10 + (c - '0');
  }
  return n;
}

class NodePortAllocator {
 public:
  NodePortAllocator(const Value& spec, const DefaultingContext& context, std::string_view seed)
      : context_(context), state_(Fnv1a(seed, Fnv1a("nodePort"))) {
    if (const Value* ports = spec.Find("ports"); ports != nullptr && ports->is_array()) {
      for (const Value& p : ports->items()) {
        if (const std::int64_t n = PortNumber(p, "nodePort"); n != 0) {
          used_.insert(n);
        }
      }
    }
    if (const std::int64_t hc = PortNumber(spec, "healthCheckNodePort"); hc != 0) {
      used_.insert(hc);
    }
  }

  std::int64_t Next() {
    if (context_.allocate_node_port) {
      const std::int64_t port = context_.allocate_node_port();
      used_.insert(port);
      return port;
    }
    constexpr std::int64_t kFirst = 30000;
    constexpr std::int64_t kSize = 2768;  // 30000-32767
    auto port = kFirst + static_cast<std::int64_t>(state_ % kSize);
    for (int i = 0; i < kSize && used_.contains(port); ++i) {
      port = port + 1 > kFirst + kSize - 1 ? kFirst : port + 1;
    }
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    used_.insert(port);
    return port;
  }

 private:
  const DefaultingContext& context_;
  std::uint64_t state_;
  std::set<std::int64_t> used_;
};

void AllocateServiceFields(Value& spec, const DefaultingContext& context, std::string_view seed) {
  const std::string type(spec.GetString("type"));
  if (type == "ExternalName") {
    return;
  }
  // Keep clusterIP and clusterIPs in step (storage.go normalizeClusterIPs).
  Value* ips = spec.Find("clusterIPs");
  const bool have_ips = ips != nullptr && ips->is_array() && !ips->items().empty();
  if (IsBlank(spec.Find("clusterIP")) && have_ips && ips->items()[0].is_string()) {
    spec.Set("clusterIP", ips->items()[0]);
  }
  const Value* ip = spec.Find("clusterIP");
  if (IsNonEmptyString(ip) && !have_ips) {
    spec.Set("clusterIPs", Value::MakeArray({*ip}));
  }
  const bool headless_selectorless = IsHeadless(spec) && !HasSelector(spec);
  DefaultValue(spec, "ipFamilyPolicy",
               Str(headless_selectorless ? "RequireDualStack" : "SingleStack"));
  if (IsNil(spec.Find("ipFamilies")) || spec.Find("ipFamilies")->IsEmpty()) {
    Value families = Value::MakeArray();
    if (const Value* given = spec.Find("clusterIPs"); given != nullptr && given->is_array()) {
      for (const Value& v : given->items()) {
        if (v.is_string() && v.text() != "None" && !v.text().empty()) {
          families.items().push_back(
              Str(v.text().find(':') != std::string::npos ? "IPv6" : "IPv4"));
        }
      }
    }
    if (families.items().empty()) {
      families.items().push_back(Str("IPv4"));
    }
    // A single-stack IPv4 cluster; only headless selector-less Services get both families.
    if (headless_selectorless && spec.GetString("ipFamilyPolicy") != "SingleStack" &&
        families.items().size() == 1) {
      families.items().push_back(Str(families.items()[0].text() == "IPv4" ? "IPv6" : "IPv4"));
    }
    spec.Set("ipFamilies", std::move(families));
  }
  if (IsBlank(spec.Find("clusterIP"))) {
    std::string allocated = context.allocate_cluster_ip ? context.allocate_cluster_ip() : "";
    if (allocated.empty()) {
      allocated = FallbackClusterIp(seed);
    }
    spec.Set("clusterIP", Str(allocated));
    spec.Set("clusterIPs", Value::MakeArray({Str(allocated)}));
  }

  // Node ports (initNodePorts): ports with the same port number share one node port.
  const Value* allocate_lb = spec.Find("allocateLoadBalancerNodePorts");
  const bool allocate_node_ports =
      type == "NodePort" ||
      (type == "LoadBalancer" &&
       !(allocate_lb != nullptr && allocate_lb->is_bool() && !allocate_lb->bool_value()));
  NodePortAllocator allocator(spec, context, seed);
  if (Value* ports = ArrayMember(spec, "ports"); ports != nullptr && allocate_node_ports) {
    std::vector<std::pair<std::int64_t, std::int64_t>> by_port;  // port -> nodePort
    auto known = [&](std::int64_t port) -> std::int64_t {
      for (const auto& [p, np] : by_port) {
        if (p == port) {
          return np;
        }
      }
      return 0;
    };
    for (Value& p : ports->items()) {
      if (!p.is_object() || PortNumber(p, "nodePort") != 0) {
        continue;
      }
      const std::int64_t port = PortNumber(p, "port");
      std::int64_t node_port = known(port);
      if (node_port == 0) {
        // A node port requested on a later item with the same port number is reused.
        for (const Value& other : ports->items()) {
          if (other.is_object() && PortNumber(other, "port") == port &&
              PortNumber(other, "nodePort") != 0) {
            node_port = PortNumber(other, "nodePort");
            break;
          }
        }
      }
      if (node_port == 0) {
        node_port = allocator.Next();
      }
      by_port.emplace_back(port, node_port);
      p.Set("nodePort", Value::Int(node_port));
    }
  }
  if (type == "LoadBalancer" && spec.GetString("externalTrafficPolicy") == "Local" &&
      PortNumber(spec, "healthCheckNodePort") == 0) {
    spec.Set("healthCheckNodePort", Value::Int(allocator.Next()));
  }
}

void DefaultService(Value& object, const std::string& uid, const DefaultingContext& context) {
  Value* spec = EnsureObject(object, "spec");
  if (spec != nullptr) {
    DropZeroValues(*spec, {"publishNotReadyAddresses", "healthCheckNodePort", "loadBalancerIP",
                           "externalName", "externalTrafficPolicy"});
    DefaultString(*spec, "sessionAffinity", "None");
    if (spec->GetString("sessionAffinity") == "None") {
      spec->Erase("sessionAffinityConfig");
    } else if (spec->GetString("sessionAffinity") == "ClientIP") {
      Value* config = EnsureObject(*spec, "sessionAffinityConfig");
      Value* client_ip = config != nullptr ? EnsureObject(*config, "clientIP") : nullptr;
      if (client_ip != nullptr) {
        DefaultValue(*client_ip, "timeoutSeconds", Value::Int(10800));
      }
    }
    DefaultString(*spec, "type", "ClusterIP");
    ForEachItem(*spec, "ports", [](Value& port) {
      DefaultString(port, "protocol", "TCP");
      const Value* target = port.Find("targetPort");
      if ((IsBlank(target) || IsNilOrZero(target)) && port.Find("port") != nullptr) {
        port.Set("targetPort", *port.Find("port"));
      }
      DropZeroValues(port, {"nodePort", "name"});
    });
    const std::string type(spec->GetString("type"));
    const Value* external_ips = spec->Find("externalIPs");
    const bool externally_accessible =
        type == "NodePort" || type == "LoadBalancer" ||
        (type == "ClusterIP" && external_ips != nullptr && !external_ips->IsEmpty());
    if (externally_accessible) {
      DefaultString(*spec, "externalTrafficPolicy", "Cluster");
    }
    if (type == "ClusterIP" || type == "NodePort" || type == "LoadBalancer") {
      DefaultValue(*spec, "internalTrafficPolicy", Str("Cluster"));
    }
    if (type == "LoadBalancer") {
      DefaultValue(*spec, "allocateLoadBalancerNodePorts", Value::Bool(true));
    }
    if (Value* selector = spec->Find("selector");
        selector != nullptr && selector->is_object() && selector->members().empty()) {
      spec->Erase("selector");
    }
    AllocateServiceFields(*spec, context, uid);
  }
  const bool load_balancer = spec != nullptr && spec->GetString("type") == "LoadBalancer";
  DefaultStatus(object, ObjectOf({{"loadBalancer", EmptyObject()}}), context);
  // SetDefaults_Service: load balancer ingress points with an IP get ipMode VIP.
  if (Value* status = ObjectMember(object, "status"); status != nullptr && load_balancer) {
    WithObject(*status, "loadBalancer", [](Value& lb) {
      ForEachItem(lb, "ingress", [](Value& ingress) {
        if (IsNonEmptyString(ingress.Find("ip"))) {
          DefaultValue(ingress, "ipMode", Str("VIP"));
        }
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Everything else (sections 7-13).

void DefaultNamespace(Value& object, const DefaultingContext& context) {
  if (Value* meta = EnsureObject(object, "metadata")) {
    if (const Value* name = meta->Find("name"); IsNonEmptyString(name)) {
      const Value name_copy = *name;
      if (Value* labels = EnsureObject(*meta, "labels")) {
        labels->Set("kubernetes.io/metadata.name", name_copy);
      }
    }
  }
  if (Value* spec = EnsureObject(object, "spec")) {
    AppendUniqueString(*spec, "finalizers", "kubernetes");
  }
  DefaultStatus(object, ObjectOf({{"phase", Str("Active")}}), context);
  if (Value* status = ObjectMember(object, "status")) {
    DefaultString(*status, "phase", "Active");
  }
}

void DefaultEndpoints(Value& object) {
  ForEachItem(object, "subsets", [](Value& subset) {
    ForEachItem(subset, "ports", [](Value& port) { DefaultString(port, "protocol", "TCP"); });
  });
}

void DefaultEndpointSlice(Value& object) {
  // Both lists have no omitempty: unset reads back as null.
  for (std::string_view key : {"endpoints", "ports"}) {
    DefaultValue(object, key, Value::Null());
  }
  ForEachItem(object, "ports", [](Value& port) {
    DefaultValue(port, "name", Str(""));
    DefaultValue(port, "protocol", Str("TCP"));
  });
  ForEachItem(object, "endpoints",
              [](Value& endpoint) { DefaultValue(endpoint, "conditions", EmptyObject()); });
}

std::string Base64Encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i]) << 16 |
                                              static_cast<unsigned char>(in[i + 1]) << 8 |
                                              static_cast<unsigned char>(in[i + 2]));
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i < in.size()) {
    auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i]) << 16);
    if (i + 1 < in.size()) {
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1]) << 8);
    }
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

void DefaultSecret(Value& object) {
  // Convert_v1_Secret_To_core_Secret: stringData overwrites data, base64-encoded; never stored.
  if (const Value* string_data = ObjectMember(object, "stringData");
      string_data != nullptr && !string_data->members().empty()) {
    const Value plain = *string_data;  // EnsureObject below may move the root's members
    Value* data = EnsureObject(object, "data");
    if (data != nullptr) {
      for (const auto& [key, value] : plain.members()) {
        if (value.is_string() || value.is_null()) {
          data->Set(key, Str(Base64Encode(value.is_string() ? value.text() : "")));
        }
      }
    }
  }
  object.Erase("stringData");
  NormalizeRootMaps(object, {"data"});
  DefaultString(object, "type", "Opaque");
}

void DefaultPersistentVolumeClaim(Value& object, const DefaultingContext& context) {
  if (Value* spec = EnsureObject(object, "spec")) {
    DefaultPvcSpec(*spec);
    // DefaultStorageClass admission: only a nil class (an explicit "" means "no class"), and
    // not when the beta annotation names one.
    const Value* meta = ObjectMember(object, "metadata");
    const Value* annotations = meta != nullptr ? ObjectMember(*meta, "annotations") : nullptr;
    const bool beta_class = annotations != nullptr &&
                            annotations->Find("volume.beta.kubernetes.io/storage-class") != nullptr;
    if (!context.default_storage_class.empty() && !beta_class) {
      DefaultValue(*spec, "storageClassName", Str(context.default_storage_class));
    }
  }
  if (Value* meta = ObjectMember(object, "metadata")) {
    AppendUniqueString(*meta, "finalizers", "kubernetes.io/pvc-protection");
  }
  DefaultStatus(object, ObjectOf({{"phase", Str("Pending")}}), context);
  if (Value* status = ObjectMember(object, "status")) {
    DefaultString(*status, "phase", "Pending");
  }
}

void DefaultPersistentVolume(Value& object, const DefaultingContext& context) {
  if (Value* spec = EnsureObject(object, "spec")) {
    DefaultString(*spec, "persistentVolumeReclaimPolicy", "Retain");
    DefaultValue(*spec, "volumeMode", Str("Filesystem"));
    DefaultResourceList(*spec, "capacity");
  }
  if (Value* meta = ObjectMember(object, "metadata")) {
    AppendUniqueString(*meta, "finalizers", "kubernetes.io/pv-protection");
  }
  DefaultStatus(object, ObjectOf({{"phase", Str("Pending")}}), context);
}

void DefaultIngress(Value& object, const DefaultingContext& context) {
  Value* meta = ObjectMember(object, "metadata");
  const Value* annotations = meta != nullptr ? ObjectMember(*meta, "annotations") : nullptr;
  const bool annotated =
      annotations != nullptr && annotations->Find("kubernetes.io/ingress.class") != nullptr;
  if (Value* spec = EnsureObject(object, "spec")) {
    if (!context.default_ingress_class.empty() && !annotated) {
      DefaultValue(*spec, "ingressClassName", Str(context.default_ingress_class));
    }
  }
  DefaultStatus(object, ObjectOf({{"loadBalancer", EmptyObject()}}), context);
}

void DefaultNetworkPolicy(Value& object) {
  Value* spec = EnsureObject(object, "spec");
  if (spec == nullptr) {
    return;
  }
  DefaultValue(*spec, "podSelector", EmptyObject());
  for (std::string_view direction : {"ingress", "egress"}) {
    ForEachItem(*spec, direction, [](Value& rule) {
      ForEachItem(rule, "ports", [](Value& port) { DefaultValue(port, "protocol", Str("TCP")); });
    });
  }
  const Value* types = spec->Find("policyTypes");
  if (types == nullptr || types->IsEmpty()) {
    Value defaulted = Value::MakeArray({Str("Ingress")});
    if (const Value* egress = spec->Find("egress"); egress != nullptr && !egress->IsEmpty()) {
      defaulted.items().push_back(Str("Egress"));
    }
    spec->Set("policyTypes", std::move(defaulted));
  }
}

Value ScalingPolicy(std::string_view type, std::int64_t value) {
  return ObjectOf(
      {{"type", Str(type)}, {"value", Value::Int(value)}, {"periodSeconds", Value::Int(15)}});
}

void DefaultScalingRules(Value& behavior, std::string_view key, bool scale_up) {
  Value* rules = EnsureObject(behavior, key);
  if (rules == nullptr) {
    return;
  }
  DefaultValue(*rules, "selectPolicy", Str("Max"));
  if (IsNil(rules->Find("policies"))) {
    rules->Set("policies", scale_up ? Value::MakeArray(
                                          {ScalingPolicy("Pods", 4), ScalingPolicy("Percent", 100)})
                                    : Value::MakeArray({ScalingPolicy("Percent", 100)}));
  }
  if (scale_up) {
    DefaultValue(*rules, "stabilizationWindowSeconds", Value::Int(0));
  }
}

void DefaultHorizontalPodAutoscaler(Value& object, const DefaultingContext& context) {
  const bool v1 = object.GetString("apiVersion") == "autoscaling/v1";
  if (Value* spec = EnsureObject(object, "spec")) {
    DefaultValue(*spec, "minReplicas", Value::Int(1));
    if (!v1) {
      const Value* metrics = spec->Find("metrics");
      if (metrics == nullptr || metrics->IsEmpty()) {
        spec->Set(
            "metrics",
            Value::MakeArray({ObjectOf(
                {{"type", Str("Resource")},
                 {"resource",
                  ObjectOf({{"name", Str("cpu")},
                            {"target", ObjectOf({{"type", Str("Utilization")},
                                                 {"averageUtilization", Value::Int(80)}})}})}})}));
      }
      ForEachItem(*spec, "metrics", [](Value& metric) {
        for (std::string_view source :
             {"resource", "containerResource", "pods", "object", "external"}) {
          WithObject(metric, source, [](Value& s) {
            WithObject(s, "target", [](Value& target) {
              CanonicalizeQuantity(target, "value", false);
              CanonicalizeQuantity(target, "averageValue", false);
            });
          });
        }
      });
      WithObject(*spec, "behavior", [](Value& behavior) {
        DefaultScalingRules(behavior, "scaleUp", true);
        DefaultScalingRules(behavior, "scaleDown", false);
      });
    }
  }
  DefaultStatus(
      object,
      v1 ? ObjectOf({{"currentReplicas", Value::Int(0)}, {"desiredReplicas", Value::Int(0)}})
         : ObjectOf({{"currentMetrics", Value::Null()}, {"desiredReplicas", Value::Int(0)}}),
      context);
}

void DefaultBinding(Value& object) {
  WithObject(object, "roleRef",
             [](Value& ref) { DefaultString(ref, "apiGroup", "rbac.authorization.k8s.io"); });
  ForEachItem(object, "subjects", [](Value& subject) {
    const std::string_view kind = subject.GetString("kind");
    if (kind == "User" || kind == "Group") {
      DefaultString(subject, "apiGroup", "rbac.authorization.k8s.io");
    }
  });
}

void DefaultServiceReference(Value& client_config) {
  WithObject(client_config, "service",
             [](Value& service) { DefaultValue(service, "port", Value::Int(443)); });
}

void DefaultCustomResourceDefinition(Value& object, const DefaultingContext& context) {
  Value* spec = EnsureObject(object, "spec");
  if (spec != nullptr) {
    if (Value* names = EnsureObject(*spec, "names")) {
      const std::string kind(names->GetString("kind"));
      std::string singular = kind;
      std::transform(singular.begin(), singular.end(), singular.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      });
      DefaultString(*names, "singular", singular);
      if (!kind.empty()) {
        DefaultString(*names, "listKind", kind + "List");
      }
    }
    DefaultValue(*spec, "conversion", ObjectOf({{"strategy", Str("None")}}));
    WithObject(*spec, "conversion", [](Value& conversion) {
      WithObject(conversion, "webhook", [](Value& webhook) {
        WithObject(webhook, "clientConfig", DefaultServiceReference);
      });
    });
    DefaultValue(*spec, "versions", Value::Null());
    DropZeroValues(*spec, {"preserveUnknownFields"});
  }
  Value stored_versions = Value::MakeArray();
  if (spec != nullptr) {
    ForEachItem(*spec, "versions", [&](Value& version) {
      const Value* storage = version.Find("storage");
      if (stored_versions.items().empty() && storage != nullptr && storage->is_bool() &&
          storage->bool_value() && version.Find("name") != nullptr) {
        stored_versions.items().push_back(*version.Find("name"));
      }
    });
  }
  DefaultStatus(object,
                ObjectOf({{"acceptedNames", ObjectOf({{"kind", Str("")}, {"plural", Str("")}})},
                          {"conditions", Value::Null()},
                          {"storedVersions", Value::Null()}}),
                context);
  if (Value* status = ObjectMember(object, "status")) {
    const Value* current = status->Find("storedVersions");
    if ((current == nullptr || current->IsEmpty()) && !stored_versions.items().empty()) {
      status->Set("storedVersions", std::move(stored_versions));
    }
  }
}

void DefaultWebhookConfiguration(Value& object, bool mutating) {
  ForEachItem(object, "webhooks", [mutating](Value& webhook) {
    DefaultValue(webhook, "failurePolicy", Str("Fail"));
    DefaultValue(webhook, "matchPolicy", Str("Equivalent"));
    DefaultValue(webhook, "namespaceSelector", EmptyObject());
    DefaultValue(webhook, "objectSelector", EmptyObject());
    DefaultValue(webhook, "timeoutSeconds", Value::Int(10));
    if (mutating) {
      DefaultValue(webhook, "reinvocationPolicy", Str("Never"));
    }
    ForEachItem(webhook, "rules", [](Value& rule) { DefaultValue(rule, "scope", Str("*")); });
    WithObject(webhook, "clientConfig", DefaultServiceReference);
    // No omitempty, required in v1.
    DefaultValue(webhook, "sideEffects", Value::Null());
    DefaultValue(webhook, "admissionReviewVersions", Value::Null());
  });
}

}  // namespace

Result<std::string> SerializeQuantity(std::string_view text, bool round_up_to_milli) {
  auto canonical = hashing::CanonicalQuantity(text);
  if (!canonical) {
    return canonical.error();
  }
  Decimal d = ParseCanonical(*canonical);
  if (round_up_to_milli) {
    RoundUpToMilli(d);
  }
  return FormatDecimal(d, FormatOf(text));
}

void ApplyServerDefaults(hashing::Value& object, std::string_view group, std::string_view kind,
                         const DefaultingContext& context) {
  if (!object.is_object()) {
    return;
  }
  enum class Kind {
    kUnknown,
    kNamespace,
    kPod,
    kService,
    kEndpoints,
    kEndpointSlice,
    kConfigMap,
    kSecret,
    kServiceAccount,
    kPersistentVolumeClaim,
    kPersistentVolume,
    kReplicationController,
    kPodTemplate,
    kDeployment,
    kReplicaSet,
    kStatefulSet,
    kDaemonSet,
    kJob,
    kCronJob,
    kIngress,
    kIngressClass,
    kNetworkPolicy,
    kHorizontalPodAutoscaler,
    kRole,
    kBinding,
    kLease,
    kCustomResourceDefinition,
    kStorageClass,
    kPriorityClass,
    kPodDisruptionBudget,
    kMutatingWebhookConfiguration,
    kValidatingWebhookConfiguration,
  };
  struct Entry {
    std::string_view group;
    std::string_view kind;
    Kind id;
  };
  static constexpr Entry kKinds[] = {
      {"", "Namespace", Kind::kNamespace},
      {"", "Pod", Kind::kPod},
      {"", "Service", Kind::kService},
      {"", "Endpoints", Kind::kEndpoints},
      {"discovery.k8s.io", "EndpointSlice", Kind::kEndpointSlice},
      {"", "ConfigMap", Kind::kConfigMap},
      {"", "Secret", Kind::kSecret},
      {"", "ServiceAccount", Kind::kServiceAccount},
      {"", "PersistentVolumeClaim", Kind::kPersistentVolumeClaim},
      {"", "PersistentVolume", Kind::kPersistentVolume},
      {"", "ReplicationController", Kind::kReplicationController},
      {"", "PodTemplate", Kind::kPodTemplate},
      {"apps", "Deployment", Kind::kDeployment},
      {"apps", "ReplicaSet", Kind::kReplicaSet},
      {"apps", "StatefulSet", Kind::kStatefulSet},
      {"apps", "DaemonSet", Kind::kDaemonSet},
      {"batch", "Job", Kind::kJob},
      {"batch", "CronJob", Kind::kCronJob},
      {"networking.k8s.io", "Ingress", Kind::kIngress},
      {"networking.k8s.io", "IngressClass", Kind::kIngressClass},
      {"networking.k8s.io", "NetworkPolicy", Kind::kNetworkPolicy},
      {"autoscaling", "HorizontalPodAutoscaler", Kind::kHorizontalPodAutoscaler},
      {"rbac.authorization.k8s.io", "Role", Kind::kRole},
      {"rbac.authorization.k8s.io", "ClusterRole", Kind::kRole},
      {"rbac.authorization.k8s.io", "RoleBinding", Kind::kBinding},
      {"rbac.authorization.k8s.io", "ClusterRoleBinding", Kind::kBinding},
      {"coordination.k8s.io", "Lease", Kind::kLease},
      {"apiextensions.k8s.io", "CustomResourceDefinition", Kind::kCustomResourceDefinition},
      {"storage.k8s.io", "StorageClass", Kind::kStorageClass},
      {"scheduling.k8s.io", "PriorityClass", Kind::kPriorityClass},
      {"policy", "PodDisruptionBudget", Kind::kPodDisruptionBudget},
      {"admissionregistration.k8s.io", "MutatingWebhookConfiguration",
       Kind::kMutatingWebhookConfiguration},
      {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration",
       Kind::kValidatingWebhookConfiguration},
  };
  Kind id = Kind::kUnknown;
  for (const Entry& e : kKinds) {
    if (e.group == group && e.kind == kind) {
      id = e.id;
      break;
    }
  }
  if (id == Kind::kUnknown) {
    return;
  }

  if (id == Kind::kConfigMap || id == Kind::kSecret) {
    NormalizeRootMaps(object, {"data", "binaryData", "stringData"});
  }
  NormalizeSerialization(object, 0);
  // Root members are created here, before the kind functions take pointers into the object
  // (appending to an object may move its members); status is only ever added last.
  EnsureObject(object, "metadata");
  // The UID seeds Job labels and the deterministic fallbacks (token volume, cluster IP).
  std::string uid = context.uid;
  if (uid.empty()) {
    if (const Value* meta = ObjectMember(object, "metadata")) {
      uid = std::string(meta->GetString("uid"));
    }
  }

  switch (id) {
    case Kind::kNamespace:
      DefaultNamespace(object, context);
      break;
    case Kind::kPod:
      DefaultPod(object, uid, context);
      break;
    case Kind::kService:
      DefaultService(object, uid, context);
      break;
    case Kind::kEndpoints:
      DefaultEndpoints(object);
      break;
    case Kind::kEndpointSlice:
      DefaultEndpointSlice(object);
      break;
    case Kind::kSecret:
      DefaultSecret(object);
      break;
    case Kind::kPersistentVolumeClaim:
      DefaultPersistentVolumeClaim(object, context);
      break;
    case Kind::kPersistentVolume:
      DefaultPersistentVolume(object, context);
      break;
    case Kind::kReplicationController:
      DefaultReplicationController(object, context);
      break;
    case Kind::kPodTemplate:
      DefaultPodTemplate(object, "template");
      break;
    case Kind::kDeployment:
      DefaultDeployment(object, context);
      break;
    case Kind::kReplicaSet:
      DefaultReplicaSet(object, context);
      break;
    case Kind::kStatefulSet:
      DefaultStatefulSet(object, context);
      break;
    case Kind::kDaemonSet:
      DefaultDaemonSet(object, context);
      break;
    case Kind::kJob:
      DefaultJob(object, uid, context);
      break;
    case Kind::kCronJob:
      DefaultCronJob(object, context);
      break;
    case Kind::kIngress:
      DefaultIngress(object, context);
      break;
    case Kind::kIngressClass:
      WithObject(object, "spec", [](Value& spec) {
        WithObject(spec, "parameters", [](Value& p) { DefaultValue(p, "scope", Str("Cluster")); });
      });
      break;
    case Kind::kNetworkPolicy:
      DefaultNetworkPolicy(object);
      break;
    case Kind::kHorizontalPodAutoscaler:
      DefaultHorizontalPodAutoscaler(object, context);
      break;
    case Kind::kRole:
      // `rules` has no omitempty: unset reads back as null (also while an aggregationRule's
      // controller has not filled it yet).
      DefaultValue(object, "rules", Value::Null());
      break;
    case Kind::kBinding:
      DefaultBinding(object);
      break;
    case Kind::kLease:
      DefaultValue(object, "spec", EmptyObject());
      break;
    case Kind::kCustomResourceDefinition:
      DefaultCustomResourceDefinition(object, context);
      break;
    case Kind::kStorageClass:
      DefaultString(object, "reclaimPolicy", "Delete");
      DefaultString(object, "volumeBindingMode", "Immediate");
      break;
    case Kind::kPriorityClass:
      DefaultValue(object, "preemptionPolicy", Str("PreemptLowerPriority"));
      break;
    case Kind::kPodDisruptionBudget:
      DefaultValue(object, "spec", EmptyObject());
      DefaultStatus(object,
                    ObjectOf({{"currentHealthy", Value::Int(0)},
                              {"desiredHealthy", Value::Int(0)},
                              {"disruptionsAllowed", Value::Int(0)},
                              {"expectedPods", Value::Int(0)}}),
                    context);
      break;
    case Kind::kMutatingWebhookConfiguration:
      DefaultWebhookConfiguration(object, true);
      break;
    case Kind::kValidatingWebhookConfiguration:
      DefaultWebhookConfiguration(object, false);
      break;
    case Kind::kConfigMap:
    case Kind::kServiceAccount:
    case Kind::kUnknown:
      break;
  }
}

void CarryForwardAllocations(hashing::Value& updated, const hashing::Value& stored,
                             std::string_view group, std::string_view kind) {
  if (!group.empty() || kind != "Service") {
    return;
  }
  Value* spec = ObjectMember(updated, "spec");
  const Value* old_spec = ObjectMember(stored, "spec");
  if (spec == nullptr || old_spec == nullptr) {
    return;
  }
  // Copies: setting members below may move the strings GetString points into.
  auto type_of = [](const Value& s) {
    const std::string_view t = s.GetString("type");
    return std::string(t.empty() ? std::string_view("ClusterIP") : t);
  };
  const std::string new_type = type_of(*spec);
  const std::string old_type = type_of(*old_spec);
  if (new_type != "ExternalName" && old_type != "ExternalName") {
    if (IsBlank(spec->Find("clusterIP")) && IsNonEmptyString(old_spec->Find("clusterIP"))) {
      spec->Set("clusterIP", *old_spec->Find("clusterIP"));
    }
    for (std::string_view key : {"clusterIPs", "ipFamilies", "ipFamilyPolicy"}) {
      const Value* old_value = old_spec->Find(key);
      const Value* new_value = spec->Find(key);
      if ((new_value == nullptr || new_value->IsEmpty()) && old_value != nullptr &&
          !old_value->IsEmpty()) {
        spec->Set(key, *old_value);
      }
    }
  }
  auto needs_node_port = [](std::string_view t) { return t == "NodePort" || t == "LoadBalancer"; };
  if (needs_node_port(new_type) && needs_node_port(old_type)) {
    std::set<std::int64_t> old_used;
    std::set<std::int64_t> used;
    if (const Value* ports = old_spec->Find("ports"); ports != nullptr && ports->is_array()) {
      for (const Value& p : ports->items()) {
        if (const std::int64_t n = PortNumber(p, "nodePort"); n != 0) {
          old_used.insert(n);
        }
      }
    }
    if (Value* ports = ArrayMember(*spec, "ports")) {
      for (const Value& p : ports->items()) {
        if (const std::int64_t n = PortNumber(p, "nodePort"); n != 0 && old_used.contains(n)) {
          used.insert(n);
        }
      }
      for (Value& p : ports->items()) {
        if (!p.is_object() || PortNumber(p, "nodePort") != 0) {
          continue;
        }
        const Value* old_ports = old_spec->Find("ports");
        if (old_ports == nullptr || !old_ports->is_array()) {
          break;
        }
        std::int64_t old_value = 0;
        for (const Value& q : old_ports->items()) {
          if (q.is_object() && q.GetString("name") == p.GetString("name")) {
            old_value = PortNumber(q, "nodePort");
          }
        }
        if (old_value != 0 && !used.contains(old_value)) {
          p.Set("nodePort", Value::Int(old_value));
        }
      }
    }
  }
  auto needs_health_check = [&](const Value& s, std::string_view t) {
    return t == "LoadBalancer" && s.GetString("externalTrafficPolicy") == "Local";
  };
  if (needs_health_check(*spec, new_type) && needs_health_check(*old_spec, old_type) &&
      PortNumber(*spec, "healthCheckNodePort") == 0 &&
      old_spec->Find("healthCheckNodePort") != nullptr) {
    spec->Set("healthCheckNodePort", *old_spec->Find("healthCheckNodePort"));
  }
}

}  // namespace plumbline::sim
