#include "synthetic_corpus.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <functional>
#include <iterator>
#include <numbers>
#include <string_view>
#include <utility>

#include "plumbline/hashing/schema_tables.h"

namespace plumbline::bench {

using hashing::Value;

namespace {

// ---------------------------------------------------------------------------------------------
// The model

constexpr double kClipBytes = 1.5 * 1024 * 1024;  // ../shared/bench/README.md
constexpr double kZ90 = 1.2815515655446004;       // standard normal quantile at 0.9

// ../shared/bench/cluster-mix-100-nodes.json, "totals" and "size_model_bytes_median_p90_p99_max"
// for the kinds a Git repository declares. Kept in sync by hand; LoadModel() prefers the file.
constexpr std::array<std::string_view, 7> kMixKinds = {
    "Deployment", "ConfigMap", "Secret", "Service", "StatefulSet", "DaemonSet", "ServiceAccount"};

std::vector<KindModel> MixKindsEmbedded() {
  return {
      {"Deployment", 323, 4000, 7000, 15000, 100000},
      {"ConfigMap", 324, 800, 8000, 100000, 1048576},
      {"Secret", 323, 700, 4000, 60000, 1048576},
      {"Service", 164, 1500, 2500, 5000, 50000},
      {"StatefulSet", 2, 4500, 8000, 15000, 100000},
      {"DaemonSet", 1, 4000, 7000, 15000, 100000},
      {"ServiceAccount", 1, 400, 600, 1500, 10000},
  };
}

// Kinds the clusterloader2 mix does not count. Our assumption for a Git-managed cluster of that
// size: about one Role, one RoleBinding and one custom resource (ServiceMonitor or
// PrometheusRule) per 13 Deployments; sizes from the objects of that kind we have seen.
std::vector<KindModel> ExtraKinds() {
  return {
      {"Role", 25, 1200, 2500, 6000, 20000},
      {"RoleBinding", 25, 700, 1000, 2000, 10000},
      {"CustomResource", 25, 2000, 6000, 30000, 500000},
  };
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness: splitmix64 and Box-Muller, identical on every standard library.

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11U) * 0x1.0p-53; }
  // Uniform in [0, n); n > 0.
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(Next() % n); }
  bool Chance(double p) { return Uniform() < p; }
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  template <typename T, std::size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  std::uint64_t state_;
};

// Target size of one object: lognormal fitted to median and p90, clipped at the model's max.
double SampleSize(const KindModel& m, Rng& rng) {
  const double sigma = std::log(m.p90 / m.median) / kZ90;
  const double size = m.median * std::exp(sigma * rng.Normal());
  return std::min(size, std::min(m.max, kClipBytes));
}

// ---------------------------------------------------------------------------------------------
// Words

constexpr std::array<std::string_view, 32> kWords = {
    "cart",     "checkout", "payments", "catalog",  "search",   "ledger",  "orders",  "billing",
    "identity", "gateway",  "profile",  "shipping", "pricing",  "invoice", "reviews", "media",
    "notify",   "session",  "quotes",   "ads",      "currency", "fraud",   "report",  "audit",
    "export",   "import",   "metrics",  "inbox",    "tenant",   "cache",   "queue",   "scheduler"};

constexpr std::array<std::string_view, 12> kTeams = {
    "storefront", "platform", "data",  "growth",  "risk",    "core",
    "mobile",     "infra",    "money", "partner", "support", "observability"};

std::string Hex(Rng& rng, std::size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  for (std::size_t i = 0; i < digits; ++i) {
    out.push_back(kHex[rng.Below(16)]);
  }
  return out;
}

std::string Uuid(Rng& rng) {
  return Hex(rng, 8) + "-" + Hex(rng, 4) + "-4" + Hex(rng, 3) + "-a" + Hex(rng, 3) + "-" +
         Hex(rng, 12);
}

std::string Two(std::size_t v) {
  std::string s = std::to_string(v);
  return s.size() < 2 ? "0" + s : s;
}

// An RFC 3339 time in 2024, `offset_s` seconds after a per-object base.
std::string Timestamp(std::uint64_t base_s, std::uint64_t offset_s) {
  const std::uint64_t t = base_s + offset_s;
  const auto day = static_cast<std::size_t>(t / 86400 % 365);
  const std::size_t month = day / 31 % 12 + 1;
  const std::size_t mday = day % 28 + 1;
  const auto sec = static_cast<std::size_t>(t % 86400);
  return "2024-" + Two(month) + "-" + Two(mday) + "T" + Two(sec / 3600) + ":" + Two(sec / 60 % 60) +
         ":" + Two(sec % 60) + "Z";
}

std::string Base64(Rng& rng, std::size_t chars) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  chars = (chars + 3) / 4 * 4;
  out.reserve(chars);
  for (std::size_t i = 0; i < chars; ++i) {
    out.push_back(kAlphabet[rng.Below(64)]);
  }
  return out;
}

// Text shaped like a config file: "section.key = value" lines.
std::string ConfigText(Rng& rng, std::size_t bytes) {
  std::string out;
  out.reserve(bytes + 64);
  std::size_t line = 0;
  while (out.size() < bytes) {
    out += rng.Pick(kWords);
    out += ".";
    out += rng.Pick(kWords);
    out += ".setting";
    out += std::to_string(line++);
    out += " = ";
    out += rng.Chance(0.5) ? std::to_string(rng.Below(100000)) : std::string(rng.Pick(kWords));
    out += "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Value helpers

Value S(std::string_view s) { return Value::String(std::string(s)); }
Value I(std::int64_t i) { return Value::Int(i); }
Value B(bool b) { return Value::Bool(b); }
Value Obj(std::initializer_list<Value::Member> members = {}) {
  return Value::MakeObject(Value::Object(members));
}
Value Arr(std::initializer_list<Value> items = {}) { return Value::MakeArray(Value::Array(items)); }

// Appends key (callers guarantee it is new): O(1), unlike Value::Set.
void Add(Value& obj, std::string key, Value v) {
  obj.members().emplace_back(std::move(key), std::move(v));
}

void SetIfAbsent(Value& obj, std::string_view key, Value v) {
  if (obj.Find(key) == nullptr) {
    Add(obj, std::string(key), std::move(v));
  }
}

void SortMembers(Value& map) {
  std::sort(map.members().begin(), map.members().end(),
            [](const Value::Member& a, const Value::Member& b) { return a.first < b.first; });
}

Value& Path(Value& v, std::initializer_list<std::string_view> keys) {
  Value* node = &v;
  for (auto k : keys) {
    Value* next = node->Find(k);
    if (next == nullptr) {
      next = &node->Set(k, Value::MakeObject());
    }
    node = next;
  }
  return *node;
}

// ---------------------------------------------------------------------------------------------
// managedFields (fieldsV1), built the way structured-merge-diff writes them.

struct Gvk {
  std::string_view group;
  std::string_view version;
  std::string_view kind;  // the real kind ("ServiceMonitor", not "CustomResource")

  std::string ApiVersion() const {
    return group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  }
};

std::string KeySegment(const Value& item, const hashing::ListSemantics& sem) {
  std::vector<std::string> keys = sem.keys;
  std::sort(keys.begin(), keys.end());
  std::string out = "k:{";
  bool first = true;
  for (const auto& key : keys) {
    const Value* v = item.Find(key);
    if (v == nullptr) {
      for (const auto& [name, value] : sem.key_defaults) {
        if (name == key) {
          v = &value;
        }
      }
    }
    if (v == nullptr) {
      continue;
    }
    if (!first) {
      out.push_back(',');
    }
    first = false;
    hashing::AppendJsonString(out, key);
    out.push_back(':');
    hashing::AppendJson(out, *v);
  }
  out.push_back('}');
  return out;
}

// The fieldsV1 trie of `node` (an object at schema path `path`) into `out`.
void AppendFields(const Value& node, const std::string& path, const Gvk& gvk, bool root,
                  Value& out) {
  for (const auto& [key, child] : node.members()) {
    if (root && (key == "apiVersion" || key == "kind")) {
      continue;
    }
    if (path == "metadata" && (key == "name" || key == "namespace")) {
      continue;  // identity, never listed
    }
    std::string child_path = path;
    if (!child_path.empty()) {
      child_path += '.';
    }
    child_path += key;
    Value fields = Value::MakeObject();
    if (child.is_object()) {
      AppendFields(child, child_path, gvk, false, fields);
    } else if (child.is_array()) {
      const hashing::ListSemantics* sem =
          hashing::LookupBuiltinList(gvk.group, gvk.kind, child_path);
      if (sem != nullptr && sem->type == hashing::ListType::kMap) {
        for (const Value& item : child.items()) {
          Value item_fields = Obj({{".", Obj()}});
          AppendFields(item, child_path + "[]", gvk, false, item_fields);
          Add(fields, KeySegment(item, *sem), std::move(item_fields));
        }
      } else if (sem != nullptr && sem->type == hashing::ListType::kSet) {
        for (const Value& item : child.items()) {
          Add(fields, "v:" + hashing::ToJson(item), Obj());
        }
      }
      // Atomic lists are owned whole: an empty object.
    }
    Add(out, "f:" + key, std::move(fields));
  }
}

// Keys sorted, as structured-merge-diff serializes them ("." first).
Value FieldsOf(const Value& object, const Gvk& gvk) {
  Value out = Value::MakeObject();
  AppendFields(object, "", gvk, true, out);
  out.SortKeysRecursive();
  return out;
}

Value ManagedEntry(std::string_view manager, std::string_view operation, const Gvk& gvk,
                   const std::string& time, Value fields, std::string_view subresource = {}) {
  Value e = Obj({{"manager", S(manager)},
                 {"operation", S(operation)},
                 {"apiVersion", S(gvk.ApiVersion())},
                 {"time", S(time)},
                 {"fieldsType", S("FieldsV1")},
                 {"fieldsV1", std::move(fields)}});
  if (!subresource.empty()) {
    Add(e, "subresource", S(subresource));
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Kinds

enum class Kind {
  kDeployment,
  kStatefulSet,
  kDaemonSet,
  kService,
  kConfigMap,
  kSecret,
  kServiceAccount,
  kRole,
  kRoleBinding,
  kServiceMonitor,
  kPrometheusRule,
};

Gvk GvkOf(Kind k) {
  switch (k) {
    case Kind::kDeployment:
      return {"apps", "v1", "Deployment"};
    case Kind::kStatefulSet:
      return {"apps", "v1", "StatefulSet"};
    case Kind::kDaemonSet:
      return {"apps", "v1", "DaemonSet"};
    case Kind::kService:
      return {"", "v1", "Service"};
    case Kind::kConfigMap:
      return {"", "v1", "ConfigMap"};
    case Kind::kSecret:
      return {"", "v1", "Secret"};
    case Kind::kServiceAccount:
      return {"", "v1", "ServiceAccount"};
    case Kind::kRole:
      return {"rbac.authorization.k8s.io", "v1", "Role"};
    case Kind::kRoleBinding:
      return {"rbac.authorization.k8s.io", "v1", "RoleBinding"};
    case Kind::kServiceMonitor:
      return {"monitoring.coreos.com", "v1", "ServiceMonitor"};
    case Kind::kPrometheusRule:
      return {"monitoring.coreos.com", "v1", "PrometheusRule"};
  }
  return {};
}

bool IsWorkload(Kind k) {
  return k == Kind::kDeployment || k == Kind::kStatefulSet || k == Kind::kDaemonSet;
}

// Identity and per-object randomness.
struct Ident {
  Kind kind = Kind::kConfigMap;
  std::string ns;
  std::string app;
  std::string name;
  std::uint64_t live_seed = 0;  // uid, times, resourceVersion, cluster IP
};

// Labels and annotations as Git manifests carry them: the app name always, the rest sometimes.
Value GitMetadata(const Ident& id, Rng& rng) {
  Value labels = Obj({{"app.kubernetes.io/name", S(id.app)}});
  if (rng.Chance(0.5)) {
    Add(labels, "app.kubernetes.io/part-of", S(id.ns.substr(5)));
  }
  if (rng.Chance(0.3)) {
    Add(labels, "app.kubernetes.io/version", S("v1." + std::to_string(rng.Below(40)) + ".0"));
  }
  SortMembers(labels);
  Value meta = Obj({{"name", S(id.name)}, {"namespace", S(id.ns)}, {"labels", std::move(labels)}});
  if (rng.Chance(0.15)) {
    Add(meta, "annotations",
        Obj({{"example.com/owner", S(id.ns.substr(5) + "@example.com")},
             {"example.com/runbook", S("https://runbooks.example.com/" + id.app)}}));
  }
  return meta;
}

// ----- workloads -----

Value Quantity(Rng& rng, bool cpu) {
  if (cpu) {
    switch (rng.Below(6)) {
      case 0:
        return S("100m");
      case 1:
        return S("250m");
      case 2:
        return S("0.5");  // served as "500m"
      case 3:
        return I(1);  // served as "1"
      case 4:
        return S("1500m");
      default:
        return I(2);
    }
  }
  switch (rng.Below(5)) {
    case 0:
      return S("128Mi");
    case 1:
      return S("256Mi");
    case 2:
      return S("512Mi");
    case 3:
      return S("1024Mi");  // served as "1Gi"
    default:
      return S("2Gi");
  }
}

// What the API server stores for a quantity Git declared.
Value LiveQuantity(const Value& q) {
  if (q.is_number()) {
    return S(q.text());
  }
  if (q.text() == "0.5") {
    return S("500m");
  }
  if (q.text() == "1024Mi") {
    return S("1Gi");
  }
  return q;
}

Value EnvVar(Rng& rng, std::size_t n) {
  std::string name = "APP_";
  name += rng.Pick(kWords);
  name += "_SETTING_";
  name += std::to_string(n);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
  const std::size_t shape = rng.Below(10);
  if (shape == 0) {
    return Obj(
        {{"name", S(name)},
         {"valueFrom",
          Obj({{"secretKeyRef", Obj({{"key", S("password")}, {"name", S("db-credentials")}})}})}});
  }
  if (shape == 1) {
    return Obj({{"name", S(name)},
                {"valueFrom",
                 Obj({{"configMapKeyRef", Obj({{"key", S(std::string(rng.Pick(kWords)) + ".url")},
                                               {"name", S("shared-endpoints")}})}})}});
  }
  if (shape == 2) {
    // fieldRef: the server adds apiVersion: v1 inside the keyed item.
    return Obj({{"name", S(name)},
                {"valueFrom", Obj({{"fieldRef", Obj({{"fieldPath", S("metadata.namespace")}})}})}});
  }
  std::string value = std::string(rng.Pick(kWords)) + "-" + std::to_string(rng.Below(10000));
  if (rng.Chance(0.3)) {
    value = "https://" + std::string(rng.Pick(kWords)) + ".svc.cluster.local:8080/api/v1";
  }
  return Obj({{"name", S(name)}, {"value", S(value)}});
}

Value Probe(std::string_view path, std::int64_t delay) {
  return Obj({{"httpGet", Obj({{"path", S(path)}, {"port", S("http")}})},
              {"initialDelaySeconds", I(delay)}});
}

Value Container(Rng& rng, const std::string& name, bool main, bool with_volume,
                std::size_t& env_counter) {
  Value c = Obj({{"name", S(name)}});
  if (main) {
    Add(c, "image",
        S("registry.example.com/" + name + ":v1." + std::to_string(rng.Below(60)) + "." +
          std::to_string(rng.Below(10))));
    Value ports = Arr({Obj({{"name", S("http")}, {"containerPort", I(8080)}})});
    if (rng.Chance(0.3)) {
      ports.items().push_back(Obj({{"name", S("metrics")}, {"containerPort", I(9090)}}));
    }
    Add(c, "ports", std::move(ports));
  } else {
    Add(c, "image", S("registry.example.com/sidecars/" + name + ":1.4.2"));
    Add(c, "args", Arr({S("--listen=:15000"), S("--upstream=127.0.0.1:8080"), S("--log=info")}));
  }
  Value env = Value::MakeArray();
  const std::size_t n = 1 + rng.Below(main ? 5 : 2);
  for (std::size_t i = 0; i < n; ++i) {
    env.items().push_back(EnvVar(rng, env_counter++));
  }
  Add(c, "env", std::move(env));
  Value requests = Obj({{"cpu", Quantity(rng, true)}, {"memory", Quantity(rng, false)}});
  Value limits = Obj({{"memory", Quantity(rng, false)}});
  Add(c, "resources", Obj({{"limits", std::move(limits)}, {"requests", std::move(requests)}}));
  if (main && rng.Chance(0.7)) {
    Add(c, "readinessProbe", Probe("/readyz", 5));
    if (rng.Chance(0.5)) {
      Add(c, "livenessProbe", Probe("/healthz", 15));
    }
  }
  if (with_volume) {
    Add(c, "volumeMounts",
        Arr({Obj(
            {{"name", S("config")}, {"mountPath", S("/etc/" + name)}, {"readOnly", B(true)}})}));
  }
  return c;
}

Value PodTemplate(const Ident& id, Rng& rng, std::size_t& env_counter) {
  Value labels = Obj({{"app.kubernetes.io/name", S(id.app)}});
  Value meta = Obj({{"labels", std::move(labels)}});
  if (rng.Chance(0.3)) {
    Add(meta, "annotations",
        Obj({{"prometheus.io/port", S("9090")}, {"prometheus.io/scrape", S("true")}}));
  }
  const bool with_volume = rng.Chance(0.5);
  Value containers = Arr({Container(rng, id.app, true, with_volume, env_counter)});
  if (rng.Chance(0.15)) {
    containers.items().push_back(Container(rng, "proxy", false, false, env_counter));
  }
  Value spec = Obj({{"containers", std::move(containers)}});
  if (rng.Chance(0.6)) {
    Add(spec, "serviceAccountName", S(id.app));
  }
  if (with_volume) {
    Add(spec, "volumes",
        Arr({Obj({{"name", S("config")}, {"configMap", Obj({{"name", S(id.app + "-config")}})}})}));
  }
  return Obj({{"metadata", std::move(meta)}, {"spec", std::move(spec)}});
}

Value WorkloadGit(const Ident& id, Rng& rng) {
  const Gvk gvk = GvkOf(id.kind);
  std::size_t env_counter = 0;
  Value spec = Value::MakeObject();
  if (id.kind != Kind::kDaemonSet) {
    Add(spec, "replicas", I(static_cast<std::int64_t>(1 + rng.Below(5))));
  }
  if (id.kind == Kind::kStatefulSet) {
    Add(spec, "serviceName", S(id.app));
  }
  Add(spec, "selector", Obj({{"matchLabels", Obj({{"app.kubernetes.io/name", S(id.app)}})}}));
  Add(spec, "template", PodTemplate(id, rng, env_counter));
  if (id.kind == Kind::kStatefulSet) {
    Add(spec, "volumeClaimTemplates",
        Arr({Obj({{"metadata", Obj({{"name", S("data")}})},
                  {"spec",
                   Obj({{"accessModes", Arr({S("ReadWriteOnce")})},
                        {"resources", Obj({{"requests", Obj({{"storage", S("10Gi")}})}})}})}})}));
  }
  return Obj({{"apiVersion", S(gvk.ApiVersion())},
              {"kind", S(gvk.kind)},
              {"metadata", GitMetadata(id, rng)},
              {"spec", std::move(spec)}});
}

Value& Containers(Value& git) { return Path(git, {"spec", "template", "spec", "containers"}); }

void PadWorkload(Value& git, Rng& rng, std::size_t deficit) {
  Value& containers = Containers(git);
  std::size_t env_counter = 1000;
  for (const Value& c : containers.items()) {
    env_counter += c.Find("env")->items().size();
  }
  while (deficit > 0) {
    Value* fewest = nullptr;
    for (Value& c : containers.items()) {
      if (fewest == nullptr ||
          c.Find("env")->items().size() < fewest->Find("env")->items().size()) {
        fewest = &c;
      }
    }
    if (fewest == nullptr) {
      return;  // every workload has a container; keeps the analyzer sure of it
    }
    if (fewest->Find("env")->items().size() < 60) {
      fewest->Find("env")->items().push_back(EnvVar(rng, env_counter++));
      deficit = deficit > 120 ? deficit - 120 : 0;
    } else if (containers.items().size() < 4) {
      containers.items().push_back(Container(
          rng, "sidecar-" + std::to_string(containers.items().size()), false, false, env_counter));
      deficit = deficit > 900 ? deficit - 900 : 0;
    } else {
      // Large workloads carry large annotations (checksums, JSON config blobs).
      Value& annotations = Path(git, {"spec", "template", "metadata", "annotations"});
      const std::size_t n = annotations.members().size();
      Add(annotations, "example.com/config-blob-" + std::to_string(n),
          S(Base64(rng, std::min<std::size_t>(deficit, 32768))));
      deficit = deficit > 32768 ? deficit - 32768 : 0;
    }
  }
}

Value LiveContainer(const Value& git) {
  Value c = git;
  if (Value* ports = c.Find("ports")) {
    for (Value& p : ports->items()) {
      SetIfAbsent(p, "protocol", S("TCP"));
    }
  }
  if (Value* env = c.Find("env")) {
    for (Value& e : env->items()) {
      if (Value* vf = e.Find("valueFrom"); vf != nullptr) {
        if (Value* fr = vf->Find("fieldRef"); fr != nullptr) {
          fr->members().insert(fr->members().begin(), Value::Member("apiVersion", S("v1")));
        }
      }
    }
  }
  if (Value* res = c.Find("resources")) {
    for (auto& [_, group] : res->members()) {
      for (auto& [name, q] : group.members()) {
        q = LiveQuantity(q);
      }
    }
  } else {
    Add(c, "resources", Obj());
  }
  for (const char* probe : {"livenessProbe", "readinessProbe"}) {
    if (Value* p = c.Find(probe)) {
      SetIfAbsent(*p->Find("httpGet"), "scheme", S("HTTP"));
      SetIfAbsent(*p, "timeoutSeconds", I(1));
      SetIfAbsent(*p, "periodSeconds", I(10));
      SetIfAbsent(*p, "successThreshold", I(1));
      SetIfAbsent(*p, "failureThreshold", I(3));
    }
  }
  Add(c, "terminationMessagePath", S("/dev/termination-log"));
  Add(c, "terminationMessagePolicy", S("File"));
  SetIfAbsent(c, "imagePullPolicy", S("IfNotPresent"));
  return c;
}

Value LivePodTemplate(const Value& git) {
  Value t = git;
  Value& meta = *t.Find("metadata");
  meta.members().insert(meta.members().begin(), Value::Member("creationTimestamp", Value()));
  Value& spec = *t.Find("spec");
  for (Value& c : spec.Find("containers")->items()) {
    c = LiveContainer(c);
  }
  if (Value* vols = spec.Find("volumes")) {
    for (Value& v : vols->items()) {
      if (Value* cm = v.Find("configMap")) {
        SetIfAbsent(*cm, "defaultMode", I(420));
      }
    }
  }
  SetIfAbsent(spec, "restartPolicy", S("Always"));
  SetIfAbsent(spec, "terminationGracePeriodSeconds", I(30));
  SetIfAbsent(spec, "dnsPolicy", S("ClusterFirst"));
  if (const Value* sa = spec.Find("serviceAccountName")) {
    SetIfAbsent(spec, "serviceAccount", *sa);
  }
  SetIfAbsent(spec, "securityContext", Obj());
  SetIfAbsent(spec, "schedulerName", S("default-scheduler"));
  return t;
}

// ----- the other kinds -----

Value ServiceGit(const Ident& id, Rng& rng) {
  Value ports = Arr({Obj({{"name", S("http")},
                          {"port", I(80)},
                          {"targetPort", rng.Chance(0.5) ? S("http") : I(8080)}})});
  if (rng.Chance(0.4)) {
    ports.items().push_back(Obj({{"name", S("metrics")}, {"port", I(9090)}}));
  }
  Value spec = Obj(
      {{"selector", Obj({{"app.kubernetes.io/name", S(id.app)}})}, {"ports", std::move(ports)}});
  if (rng.Chance(0.5)) {
    Add(spec, "type", S("ClusterIP"));
  }
  return Obj({{"apiVersion", S("v1")},
              {"kind", S("Service")},
              {"metadata", GitMetadata(id, rng)},
              {"spec", std::move(spec)}});
}

void PadService(Value& git, Rng& rng, std::size_t deficit) {
  Value& annotations = Path(git, {"metadata", "annotations"});
  Value& ports = Path(git, {"spec", "ports"});
  while (deficit > 0) {
    if (annotations.members().size() < 24) {
      Add(annotations,
          "service.example.com/setting-" + std::to_string(annotations.members().size()),
          S(std::string(rng.Pick(kWords)) + "," + std::string(rng.Pick(kWords)) + "," +
            std::to_string(rng.Below(1000000))));
      deficit = deficit > 110 ? deficit - 110 : 0;
    } else {
      const auto port = static_cast<std::int64_t>(10000 + ports.items().size());
      ports.items().push_back(
          Obj({{"name", S("port-" + std::to_string(port))}, {"port", I(port)}}));
      deficit = deficit > 170 ? deficit - 170 : 0;
    }
  }
}

Value ConfigMapGit(const Ident& id, Rng& rng) {
  Value data = Value::MakeObject();
  const std::size_t n = 1 + rng.Below(2);
  for (std::size_t i = 0; i < n; ++i) {
    Add(data, std::string(rng.Pick(kWords)) + "_" + std::to_string(i),
        S(std::string(rng.Pick(kWords)) + "-" + std::to_string(rng.Below(1000))));
  }
  return Obj({{"apiVersion", S("v1")},
              {"kind", S("ConfigMap")},
              {"metadata", GitMetadata(id, rng)},
              {"data", std::move(data)}});
}

Value SecretGit(const Ident& id, Rng& rng) {
  Value data = Value::MakeObject();
  const std::size_t n = 1 + rng.Below(2);
  for (std::size_t i = 0; i < n; ++i) {
    Add(data, std::string(rng.Pick(kWords)) + "-key-" + std::to_string(i),
        S(Base64(rng, 16 + rng.Below(48))));
  }
  return Obj({{"apiVersion", S("v1")},
              {"kind", S("Secret")},
              {"metadata", GitMetadata(id, rng)},
              {"type", S("Opaque")},
              {"data", std::move(data)}});
}

// ConfigMap and Secret: small keys for small deficits, file-sized values for large ones.
void PadData(Value& git, Rng& rng, std::size_t deficit, bool secret) {
  Value& data = *git.Find("data");
  while (deficit > 0) {
    const std::size_t n = data.members().size();
    if (deficit < 600) {
      Add(data, "SETTING_" + std::to_string(n),
          secret ? S(Base64(rng, 24)) : S(std::string(rng.Pick(kWords)) + "-" + std::to_string(n)));
      deficit = deficit > 70 ? deficit - 70 : 0;
      continue;
    }
    const std::size_t chunk = std::min<std::size_t>(deficit - 60, 65536);
    if (secret) {
      Add(data, "bundle-" + std::to_string(n) + ".pem", S(Base64(rng, chunk)));
    } else {
      Add(data, std::string(rng.Pick(kWords)) + "-" + std::to_string(n) + ".properties",
          S(ConfigText(rng, chunk)));
    }
    deficit = deficit > chunk + 60 ? deficit - chunk - 60 : 0;
  }
}

Value ServiceAccountGit(const Ident& id, Rng& rng) {
  Value meta = GitMetadata(id, rng);
  Path(meta, {"annotations"})
      .Set("eks.amazonaws.com/role-arn",
           S("arn:aws:iam::123456789012:role/" + id.ns + "-" + id.app));
  return Obj(
      {{"apiVersion", S("v1")}, {"kind", S("ServiceAccount")}, {"metadata", std::move(meta)}});
}

void PadAnnotations(Value& git, Rng& rng, std::size_t deficit) {
  Value& annotations = Path(git, {"metadata", "annotations"});
  while (deficit > 0) {
    Add(annotations, "example.com/note-" + std::to_string(annotations.members().size()),
        S(ConfigText(rng, 60)));
    deficit = deficit > 130 ? deficit - 130 : 0;
  }
}

Value Rule(Rng& rng) {
  Value resources = Arr({S(std::string(rng.Pick(kWords)) + "s")});
  if (rng.Chance(0.5)) {
    resources.items().push_back(S("configmaps"));
  }
  Value rule = Obj({{"apiGroups", Arr({S(rng.Chance(0.5) ? "" : "apps")})},
                    {"resources", std::move(resources)},
                    {"verbs", Arr({S("get"), S("list"), S("watch")})}});
  if (rng.Chance(0.3)) {
    Add(rule, "resourceNames", Arr({S(std::string(rng.Pick(kWords)) + "-lock")}));
  }
  return rule;
}

Value RoleGit(const Ident& id, Rng& rng) {
  Value rules = Value::MakeArray();
  const std::size_t n = 2 + rng.Below(4);
  for (std::size_t i = 0; i < n; ++i) {
    rules.items().push_back(Rule(rng));
  }
  return Obj({{"apiVersion", S("rbac.authorization.k8s.io/v1")},
              {"kind", S("Role")},
              {"metadata", GitMetadata(id, rng)},
              {"rules", std::move(rules)}});
}

Value Subject(const Ident& id, Rng& rng, std::size_t n) {
  if (n == 0 || rng.Chance(0.3)) {
    return Obj({{"kind", S("ServiceAccount")},
                {"name", S(n == 0 ? id.app : std::string(rng.Pick(kWords)))},
                {"namespace", S(id.ns)}});
  }
  return Obj({{"apiGroup", S("rbac.authorization.k8s.io")},
              {"kind", S("User")},
              {"name", S(std::string(rng.Pick(kWords)) + std::to_string(n) + "@example.com")}});
}

Value RoleBindingGit(const Ident& id, Rng& rng) {
  Value subjects = Arr({Subject(id, rng, 0)});
  return Obj({{"apiVersion", S("rbac.authorization.k8s.io/v1")},
              {"kind", S("RoleBinding")},
              {"metadata", GitMetadata(id, rng)},
              {"roleRef", Obj({{"apiGroup", S("rbac.authorization.k8s.io")},
                               {"kind", S("Role")},
                               {"name", S(id.app)}})},
              {"subjects", std::move(subjects)}});
}

Value Relabeling(Rng& rng) {
  return Obj(
      {{"sourceLabels", Arr({S("__meta_kubernetes_pod_label_" + std::string(rng.Pick(kWords)))})},
       {"targetLabel", S(rng.Pick(kWords))},
       {"action", S("replace")},
       {"regex", S("(.+)")}});
}

Value ServiceMonitorGit(const Ident& id, Rng& rng) {
  Value endpoint = Obj({{"port", S("metrics")},
                        {"interval", S("30s")},
                        {"path", S("/metrics")},
                        {"relabelings", Arr({Relabeling(rng)})}});
  return Obj(
      {{"apiVersion", S("monitoring.coreos.com/v1")},
       {"kind", S("ServiceMonitor")},
       {"metadata", GitMetadata(id, rng)},
       {"spec", Obj({{"endpoints", Arr({std::move(endpoint)})},
                     {"namespaceSelector", Obj({{"matchNames", Arr({S(id.ns)})}})},
                     {"selector",
                      Obj({{"matchLabels", Obj({{"app.kubernetes.io/name", S(id.app)}})}})}})}});
}

Value AlertRule(Rng& rng, std::size_t n) {
  const std::string metric = std::string(rng.Pick(kWords)) + "_requests_total";
  return Obj(
      {{"alert", S(std::string(rng.Pick(kWords)) + "HighErrorRate" + std::to_string(n))},
       {"expr", S("sum(rate(" + metric + "{code=~\"5..\"}[5m])) / sum(rate(" + metric +
                  "[5m])) > 0.0" + std::to_string(1 + rng.Below(9)))},
       {"for", S(std::to_string(5 * (1 + rng.Below(6))) + "m")},
       {"labels", Obj({{"severity", S(rng.Chance(0.3) ? "critical" : "warning")}})},
       {"annotations",
        Obj({{"summary", S("High error rate on " + metric)},
             {"description", S("More than a few percent of requests to {{ $labels.service }} "
                               "fail with 5xx over the last five minutes.")},
             {"runbook_url", S("https://runbooks.example.com/alerts/" + metric)}})}});
}

Value PrometheusRuleGit(const Ident& id, Rng& rng) {
  Value rules = Arr({AlertRule(rng, 0), AlertRule(rng, 1)});
  return Obj({{"apiVersion", S("monitoring.coreos.com/v1")},
              {"kind", S("PrometheusRule")},
              {"metadata", GitMetadata(id, rng)},
              {"spec", Obj({{"groups", Arr({Obj({{"name", S(id.app + ".rules")},
                                                 {"rules", std::move(rules)}})})}})}});
}

void PadCustom(Value& git, Kind kind, Rng& rng, std::size_t deficit) {
  if (kind == Kind::kServiceMonitor) {
    Value& relabelings = *Path(git, {"spec", "endpoints"}).items()[0].Find("relabelings");
    while (deficit > 0) {
      relabelings.items().push_back(Relabeling(rng));
      deficit = deficit > 120 ? deficit - 120 : 0;
    }
    return;
  }
  Value& groups = Path(git, {"spec", "groups"});
  while (deficit > 0) {
    Value& last = groups.items().back();
    Value& rules = *last.Find("rules");
    if (rules.items().size() >= 40) {
      groups.items().push_back(
          Obj({{"name", S("group-" + std::to_string(groups.items().size()) + ".rules")},
               {"rules", Value::MakeArray()}}));
      continue;
    }
    rules.items().push_back(AlertRule(rng, rules.items().size()));
    deficit = deficit > 420 ? deficit - 420 : 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Declared -> live

Value Git(const Ident& id, Rng& rng) {
  switch (id.kind) {
    case Kind::kDeployment:
    case Kind::kStatefulSet:
    case Kind::kDaemonSet:
      return WorkloadGit(id, rng);
    case Kind::kService:
      return ServiceGit(id, rng);
    case Kind::kConfigMap:
      return ConfigMapGit(id, rng);
    case Kind::kSecret:
      return SecretGit(id, rng);
    case Kind::kServiceAccount:
      return ServiceAccountGit(id, rng);
    case Kind::kRole:
      return RoleGit(id, rng);
    case Kind::kRoleBinding:
      return RoleBindingGit(id, rng);
    case Kind::kServiceMonitor:
      return ServiceMonitorGit(id, rng);
    case Kind::kPrometheusRule:
      return PrometheusRuleGit(id, rng);
  }
  return Value();
}

void Pad(const Ident& id, Value& git, Rng& rng, std::size_t deficit) {
  switch (id.kind) {
    case Kind::kDeployment:
    case Kind::kStatefulSet:
    case Kind::kDaemonSet:
      PadWorkload(git, rng, deficit);
      return;
    case Kind::kService:
      PadService(git, rng, deficit);
      return;
    case Kind::kConfigMap:
      PadData(git, rng, deficit, false);
      return;
    case Kind::kSecret:
      PadData(git, rng, deficit, true);
      return;
    case Kind::kServiceAccount:
      PadAnnotations(git, rng, deficit);
      return;
    case Kind::kRole: {
      Value& rules = *git.Find("rules");
      for (std::size_t d = 0; d < deficit; d += 150) {
        rules.items().push_back(Rule(rng));
      }
      return;
    }
    case Kind::kRoleBinding: {
      Value& subjects = *git.Find("subjects");
      for (std::size_t d = 0; d < deficit; d += 100) {
        subjects.items().push_back(Subject(id, rng, subjects.items().size()));
      }
      return;
    }
    case Kind::kServiceMonitor:
    case Kind::kPrometheusRule:
      PadCustom(git, id.kind, rng, deficit);
      return;
  }
}

Value StatusOf(const Ident& id, std::int64_t generation, std::int64_t replicas, Rng& rng,
               std::uint64_t base) {
  auto condition = [&](std::string_view type, std::string_view reason, const std::string& message) {
    return Obj({{"type", S(type)},
                {"status", S("True")},
                {"lastUpdateTime", S(Timestamp(base, 3600 + rng.Below(86400)))},
                {"lastTransitionTime", S(Timestamp(base, 60 + rng.Below(3600)))},
                {"reason", S(reason)},
                {"message", S(message)}});
  };
  switch (id.kind) {
    case Kind::kDeployment:
      return Obj({{"observedGeneration", I(generation)},
                  {"replicas", I(replicas)},
                  {"updatedReplicas", I(replicas)},
                  {"readyReplicas", I(replicas)},
                  {"availableReplicas", I(replicas)},
                  {"conditions", Arr({condition("Available", "MinimumReplicasAvailable",
                                                "Deployment has minimum availability."),
                                      condition("Progressing", "NewReplicaSetAvailable",
                                                "ReplicaSet \"" + id.name + "-" + Hex(rng, 10) +
                                                    "\" has successfully progressed.")})}});
    case Kind::kStatefulSet: {
      const std::string revision = id.name + "-" + Hex(rng, 10);
      return Obj({{"observedGeneration", I(generation)},
                  {"replicas", I(replicas)},
                  {"readyReplicas", I(replicas)},
                  {"currentReplicas", I(replicas)},
                  {"updatedReplicas", I(replicas)},
                  {"currentRevision", S(revision)},
                  {"updateRevision", S(revision)},
                  {"collisionCount", I(0)},
                  {"availableReplicas", I(replicas)}});
    }
    case Kind::kDaemonSet:
      return Obj({{"currentNumberScheduled", I(100)},
                  {"numberMisscheduled", I(0)},
                  {"desiredNumberScheduled", I(100)},
                  {"numberReady", I(100)},
                  {"observedGeneration", I(generation)},
                  {"updatedNumberScheduled", I(100)},
                  {"numberAvailable", I(100)}});
    case Kind::kService:
      return Obj({{"loadBalancer", Obj()}});
    case Kind::kServiceMonitor:
    case Kind::kPrometheusRule:
      return Obj(
          {{"bindings",
            Arr({Obj({{"group", S("monitoring.coreos.com")},
                      {"resource", S("prometheuses")},
                      {"name", S("k8s")},
                      {"namespace", S("monitoring")},
                      {"conditions", Arr({Obj({{"type", S("Accepted")},
                                               {"status", S("True")},
                                               {"lastTransitionTime", S(Timestamp(base, 120))},
                                               {"observedGeneration", I(generation)},
                                               {"reason", S("")}})})}})})}});
    default:
      return Value();
  }
}

Value Live(const Ident& id, const Value& git, bool drift) {
  Rng rng(id.live_seed);
  const Gvk gvk = GvkOf(id.kind);
  const std::uint64_t base = 1700000000ULL + rng.Below(20000000);
  const bool has_generation =
      IsWorkload(id.kind) || id.kind == Kind::kServiceMonitor || id.kind == Kind::kPrometheusRule;
  const auto generation = static_cast<std::int64_t>(1 + rng.Below(12));

  // What the applier sent: Git plus the tracking annotation.
  Value applied = git;
  Path(applied, {"metadata", "annotations"})
      .Set("argocd.argoproj.io/tracking-id",
           S(id.ns + ":" + std::string(gvk.group) + "/" + std::string(gvk.kind) + ":" + id.ns +
             "/" + id.name));
  SortMembers(*applied.Find("metadata")->Find("annotations"));

  Value managed = Arr({ManagedEntry("argocd-controller", "Apply", gvk, Timestamp(base, 5),
                                    FieldsOf(applied, gvk))});

  // Metadata, in the API server's field order.
  const Value& git_meta = *applied.Find("metadata");
  Value annotations = *git_meta.Find("annotations");
  Value meta = Obj({{"name", S(id.name)},
                    {"namespace", S(id.ns)},
                    {"uid", S(Uuid(rng))},
                    {"resourceVersion", S(std::to_string(10000000 + rng.Below(90000000)))}});
  if (has_generation) {
    Add(meta, "generation", I(generation));
  }
  Add(meta, "creationTimestamp", S(Timestamp(base, 0)));
  Add(meta, "labels", *git_meta.Find("labels"));

  // Body: the declared fields with the server's defaults.
  Value live = Obj({{"kind", S(gvk.kind)}, {"apiVersion", S(gvk.ApiVersion())}});
  Value body = Value::MakeObject();
  std::int64_t replicas = 1;
  for (const auto& [key, value] : git.members()) {
    if (key == "apiVersion" || key == "kind" || key == "metadata") {
      continue;
    }
    Add(body, key, value);
  }
  if (IsWorkload(id.kind)) {
    Value& spec = *body.Find("spec");
    if (const Value* r = spec.Find("replicas")) {
      replicas = std::stoll(r->text());
    }
    *spec.Find("template") = LivePodTemplate(*spec.Find("template"));
    SetIfAbsent(spec, "revisionHistoryLimit", I(10));
    if (id.kind == Kind::kDeployment) {
      SetIfAbsent(
          spec, "strategy",
          Obj({{"type", S("RollingUpdate")},
               {"rollingUpdate", Obj({{"maxUnavailable", S("25%")}, {"maxSurge", S("25%")}})}}));
      SetIfAbsent(spec, "progressDeadlineSeconds", I(600));
      annotations.Set("deployment.kubernetes.io/revision", S(std::to_string(generation)));
    } else if (id.kind == Kind::kStatefulSet) {
      for (Value& vct : spec.Find("volumeClaimTemplates")->items()) {
        Value item = Obj({{"kind", S("PersistentVolumeClaim")}, {"apiVersion", S("v1")}});
        Value vmeta = *vct.Find("metadata");
        vmeta.members().insert(vmeta.members().begin(),
                               Value::Member("creationTimestamp", Value()));
        Add(item, "metadata", std::move(vmeta));
        Value vspec = *vct.Find("spec");
        Add(vspec, "volumeMode", S("Filesystem"));
        Add(item, "spec", std::move(vspec));
        Add(item, "status", Obj({{"phase", S("Pending")}}));
        vct = std::move(item);
      }
      SetIfAbsent(spec, "podManagementPolicy", S("OrderedReady"));
      SetIfAbsent(
          spec, "updateStrategy",
          Obj({{"type", S("RollingUpdate")}, {"rollingUpdate", Obj({{"partition", I(0)}})}}));
      SetIfAbsent(spec, "persistentVolumeClaimRetentionPolicy",
                  Obj({{"whenDeleted", S("Retain")}, {"whenScaled", S("Retain")}}));
    } else {
      SetIfAbsent(spec, "updateStrategy",
                  Obj({{"type", S("RollingUpdate")},
                       {"rollingUpdate", Obj({{"maxUnavailable", I(1)}, {"maxSurge", I(0)}})}}));
      annotations.Set("deprecated.daemonset.template.generation", S(std::to_string(generation)));
    }
  } else if (id.kind == Kind::kService) {
    Value& spec = *body.Find("spec");
    for (Value& p : spec.Find("ports")->items()) {
      SetIfAbsent(p, "protocol", S("TCP"));
      if (p.Find("targetPort") == nullptr) {
        Add(p, "targetPort", *p.Find("port"));
      }
    }
    const std::string ip =
        "10.96." + std::to_string(rng.Below(256)) + "." + std::to_string(1 + rng.Below(254));
    SetIfAbsent(spec, "clusterIP", S(ip));
    SetIfAbsent(spec, "clusterIPs", Arr({S(ip)}));
    SetIfAbsent(spec, "type", S("ClusterIP"));
    SetIfAbsent(spec, "sessionAffinity", S("None"));
    SetIfAbsent(spec, "ipFamilies", Arr({S("IPv4")}));
    SetIfAbsent(spec, "ipFamilyPolicy", S("SingleStack"));
    SetIfAbsent(spec, "internalTrafficPolicy", S("Cluster"));
  }

  // The controllers' managedFields entries.
  if (id.kind == Kind::kDeployment || id.kind == Kind::kDaemonSet) {
    const std::string key = id.kind == Kind::kDeployment
                                ? "f:deployment.kubernetes.io/revision"
                                : "f:deprecated.daemonset.template.generation";
    Value fields =
        Obj({{"f:metadata", Obj({{"f:annotations", Obj({{".", Obj()}, {key, Obj()}})}})}});
    managed.items().push_back(ManagedEntry("kube-controller-manager", "Update", gvk,
                                           Timestamp(base, 6), std::move(fields)));
  }
  Value status = StatusOf(id, generation, replicas, rng, base);
  if (!status.is_null() && id.kind != Kind::kService) {  // Service: empty, no manager
    Value holder = Obj({{"status", status}});
    const bool system = IsWorkload(id.kind);
    managed.items().push_back(
        ManagedEntry(system ? "kube-controller-manager" : "PrometheusOperator", "Update", gvk,
                     Timestamp(base, 7 + rng.Below(86400)), FieldsOf(holder, gvk), "status"));
  }

  // ~1% real drift: a human edit the engine must report.
  if (drift) {
    const std::string t = Timestamp(base, 90000 + rng.Below(3600));
    if (IsWorkload(id.kind) && id.kind != Kind::kDaemonSet) {
      Value& spec = *body.Find("spec");
      spec.Set("replicas", I(replicas + 3));
      managed.items().push_back(ManagedEntry("kubectl-scale", "Update", gvk, t,
                                             Obj({{"f:spec", Obj({{"f:replicas", Obj()}})}}),
                                             "scale"));
    } else {
      Value& labels = *meta.Find("labels");
      Add(labels, "debug-session", S("true"));
      managed.items().push_back(ManagedEntry(
          "kubectl-label", "Update", gvk, t,
          Obj({{"f:metadata", Obj({{"f:labels", Obj({{"f:debug-session", Obj()}})}})}})));
    }
  }

  SortMembers(annotations);
  Add(meta, "annotations", std::move(annotations));
  Add(meta, "managedFields", std::move(managed));
  Add(live, "metadata", std::move(meta));
  for (auto& member : body.members()) {
    live.members().push_back(std::move(member));
  }
  if (!status.is_null()) {
    Add(live, "status", std::move(status));
  }
  return live;
}

// ---------------------------------------------------------------------------------------------

Kind KindFor(const std::string& model_kind, Rng& rng) {
  if (model_kind == "Deployment") return Kind::kDeployment;
  if (model_kind == "StatefulSet") return Kind::kStatefulSet;
  if (model_kind == "DaemonSet") return Kind::kDaemonSet;
  if (model_kind == "Service") return Kind::kService;
  if (model_kind == "ConfigMap") return Kind::kConfigMap;
  if (model_kind == "Secret") return Kind::kSecret;
  if (model_kind == "ServiceAccount") return Kind::kServiceAccount;
  if (model_kind == "Role") return Kind::kRole;
  if (model_kind == "RoleBinding") return Kind::kRoleBinding;
  return rng.Chance(0.6) ? Kind::kServiceMonitor : Kind::kPrometheusRule;
}

}  // namespace

std::vector<KindModel> EmbeddedModel() {
  std::vector<KindModel> model = MixKindsEmbedded();
  for (auto& extra : ExtraKinds()) {
    model.push_back(extra);
  }
  return model;
}

std::vector<KindModel> LoadModel(const std::string& mix_file, std::string& source) {
  source = "embedded copy of cluster-mix-100-nodes.json";
  std::vector<KindModel> embedded = EmbeddedModel();
  if (mix_file.empty()) {
    return embedded;
  }
  std::ifstream in(mix_file, std::ios::binary);
  if (!in) {
    return embedded;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) {
    source += " (" + mix_file + " did not parse)";
    return embedded;
  }
  std::vector<KindModel> model;
  for (std::string_view kind : kMixKinds) {
    KindModel m;
    m.kind = std::string(kind);
    simdjson::dom::array sizes;
    double count = 0;
    if (root["totals"][kind].get(count) != simdjson::SUCCESS ||
        root["size_model_bytes_median_p90_p99_max"][kind].get(sizes) != simdjson::SUCCESS ||
        sizes.size() != 4) {
      source += " (" + mix_file + " lacks " + std::string(kind) + ")";
      return embedded;
    }
    m.count = count;
    double* fields[] = {&m.median, &m.p90, &m.p99, &m.max};
    std::size_t i = 0;
    for (simdjson::dom::element v : sizes) {
      if (v.get(*fields[i++]) != simdjson::SUCCESS) {
        return embedded;
      }
    }
    model.push_back(m);
  }
  for (auto& extra : ExtraKinds()) {
    model.push_back(extra);
  }
  source = mix_file;
  return model;
}

Corpus GenerateCorpus(const CorpusOptions& options, const std::vector<KindModel>& model) {
  Rng rng(options.seed);

  // Counts per kind by largest remainder, then a shuffle so kinds interleave.
  double total = 0;
  for (const auto& m : model) {
    total += m.count;
  }
  std::vector<std::size_t> counts(model.size());
  std::vector<std::pair<double, std::size_t>> remainders;
  std::size_t assigned = 0;
  for (std::size_t i = 0; i < model.size(); ++i) {
    const double exact = static_cast<double>(options.objects) * model[i].count / total;
    counts[i] = static_cast<std::size_t>(exact);
    assigned += counts[i];
    remainders.emplace_back(exact - static_cast<double>(counts[i]), i);
  }
  std::sort(remainders.begin(), remainders.end(), std::greater<>());
  for (std::size_t i = 0; assigned < options.objects; ++i, ++assigned) {
    ++counts[remainders[i % remainders.size()].second];
  }
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < model.size(); ++i) {
    order.insert(order.end(), counts[i], i);
  }
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[rng.Below(i)]);
  }

  Corpus corpus;
  corpus.objects.reserve(order.size());
  std::size_t large_left = options.large_custom_resources;
  for (std::size_t index = 0; index < order.size(); ++index) {
    const KindModel& m = model[order[index]];
    Rng object_rng(rng.Next());
    Ident id;
    id.kind = KindFor(m.kind, object_rng);
    id.ns = "team-" + std::string(kTeams[index % kTeams.size()]);
    id.app = std::string(object_rng.Pick(kWords)) + "-" + std::string(object_rng.Pick(kWords));
    id.name = id.app + "-" + std::to_string(index);
    id.live_seed = object_rng.Next();
    const bool drift = object_rng.Chance(options.drift_fraction);

    double target = SampleSize(m, object_rng);
    if (m.kind == "CustomResource" && large_left > 0) {
      --large_left;
      id.kind = Kind::kPrometheusRule;
      target = 100e3 + 400e3 * object_rng.Uniform();
    }

    Value git = Git(id, object_rng);
    std::string json = hashing::ToJson(Live(id, git, drift));
    // Pad towards the sampled size; units are estimates, so a few rounds converge.
    for (int round = 0; round < 8 && static_cast<double>(json.size()) < 0.97 * target; ++round) {
      Pad(id, git, object_rng, static_cast<std::size_t>(target) - json.size());
      json = hashing::ToJson(Live(id, git, drift));
    }

    CorpusObject obj;
    obj.kind = std::string(GvkOf(id.kind).kind);
    obj.live = simdjson::padded_string(json);
    obj.git_bytes = hashing::ToJson(git).size();
    obj.git = std::move(git);
    obj.drifted = drift;
    corpus.live_bytes += json.size();
    corpus.git_bytes += obj.git_bytes;
    corpus.objects.push_back(std::move(obj));
  }
  return corpus;
}

}  // namespace plumbline::bench
