// The Helm chart helm/plumbline-agent: `helm lint --strict` and `helm template` with each values
// file in its ci/ folder, the rendered objects read with the project's YAML reader, and the
// read-only promise checked on them: no RBAC verb but get, list and watch (the optional Lease
// Role aside), no wildcard, bindings only to the chart's own roles. The PrometheusRule must hold
// the rules of deploy/prometheus, and the rendered chart must go through `plumbline render`.
// helm is $PLUMBLINE_HELM or helm in PATH; without it the tests skip with a WARN.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plumbline/hashing/value.h"
#include "plumbline/render/yaml_reader.h"

#include "cli/cli_support.h"

namespace plumbline::testing {
namespace {

const fs::path kChart = fs::path(PLUMBLINE_SOURCE_DIR) / "helm" / "plumbline-agent";
const fs::path kRules =
    fs::path(PLUMBLINE_SOURCE_DIR) / "deploy" / "prometheus" / "plumbline-rules.yaml";

struct Rendered {
  std::vector<Value> objects;
  std::string text;
};

ProcessResult RunHelm(const CliSandbox& sandbox, const std::string& helm,
                      std::vector<std::string> args) {
  args.insert(args.begin(), helm);
  return sandbox.Run(args);
}

// `helm template` with a values file from ci/ (empty: the chart's defaults) and extra args.
Rendered Template(const CliSandbox& sandbox, const std::string& helm, const std::string& values,
                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"template", "plumbline", kChart.string(), "--namespace",
                                   "plumbline"};
  if (!values.empty()) {
    args.push_back("--values");
    args.push_back((kChart / "ci" / values).string());
  }
  args.insert(args.end(), extra.begin(), extra.end());
  const ProcessResult r = RunHelm(sandbox, helm, args);
  INFO(r.Describe());
  REQUIRE(r.exit_code == 0);
  auto docs = render::ParseYamlStream(r.out);
  INFO((docs ? "" : docs.error().message));
  REQUIRE(docs.has_value());
  Rendered out;
  out.text = r.out;
  for (auto& doc : *docs) {
    if (!doc.value.is_null()) {
      out.objects.push_back(std::move(doc.value));
    }
  }
  return out;
}

std::vector<const Value*> OfKind(const Rendered& rendered, std::string_view kind) {
  std::vector<const Value*> out;
  for (const Value& object : rendered.objects) {
    if (object.GetString("kind") == kind) {
      out.push_back(&object);
    }
  }
  return out;
}

std::set<std::string> Strings(const Value* list) {
  std::set<std::string> out;
  if (list != nullptr) {
    for (const Value& item : list->items()) {
      out.insert(item.text());
    }
  }
  return out;
}

std::string Name(const Value& object) {
  const Value* metadata = object.Find("metadata");
  return metadata == nullptr ? "" : std::string(metadata->GetString("name"));
}

// The read-only promise. Returns the resources the ClusterRole grants.
std::set<std::string> CheckRbac(const Rendered& rendered, bool leader_election) {
  const std::set<std::string> kReadVerbs = {"get", "list", "watch"};
  const std::set<std::string> kLeaseVerbs = {"get", "create", "update"};
  std::set<std::string> role_names;
  std::set<std::string> granted;

  const auto cluster_roles = OfKind(rendered, "ClusterRole");
  REQUIRE(cluster_roles.size() == 1);
  for (const Value* role : cluster_roles) {
    role_names.insert("ClusterRole/" + Name(*role));
    const Value* rules = role->Find("rules");
    REQUIRE(rules != nullptr);
    REQUIRE_FALSE(rules->items().empty());
    for (const Value& rule : rules->items()) {
      const std::set<std::string> verbs = Strings(rule.Find("verbs"));
      INFO("ClusterRole rule verbs: " << Catch::Detail::stringify(verbs));
      CHECK(verbs == kReadVerbs);
      CHECK(Strings(rule.Find("apiGroups")).count("*") == 0);
      CHECK(Strings(rule.Find("resources")).count("*") == 0);
      CHECK(rule.Find("nonResourceURLs") == nullptr);
      for (const std::string& resource : Strings(rule.Find("resources"))) {
        granted.insert(resource);
      }
    }
  }

  const auto roles = OfKind(rendered, "Role");
  if (!leader_election) {
    CHECK(roles.empty());
  } else {
    REQUIRE(roles.size() == 1);
    role_names.insert("Role/" + Name(*roles[0]));
    for (const Value& rule : roles[0]->Find("rules")->items()) {
      const std::set<std::string> verbs = Strings(rule.Find("verbs"));
      INFO("Lease Role rule verbs: " << Catch::Detail::stringify(verbs));
      CHECK(std::includes(kLeaseVerbs.begin(), kLeaseVerbs.end(), verbs.begin(), verbs.end()));
      CHECK(Strings(rule.Find("apiGroups")) == std::set<std::string>{"coordination.k8s.io"});
      CHECK(Strings(rule.Find("resources")) == std::set<std::string>{"leases"});
      if (verbs.count("update") != 0 || verbs.count("get") != 0) {
        CHECK(Strings(rule.Find("resourceNames")).size() == 1);  // only its own Lease
      }
    }
    CHECK(roles[0]->Find("metadata")->GetString("namespace") == "plumbline");
  }

  // Every binding binds the chart's ServiceAccount to one of the roles above, never to a
  // role of the cluster (cluster-admin, edit, ...).
  for (std::string_view kind : {"ClusterRoleBinding", "RoleBinding"}) {
    for (const Value* binding : OfKind(rendered, kind)) {
      const Value* ref = binding->Find("roleRef");
      REQUIRE(ref != nullptr);
      const std::string target =
          std::string(ref->GetString("kind")) + "/" + std::string(ref->GetString("name"));
      INFO(kind << " " << Name(*binding) << " refers to " << target);
      CHECK(role_names.count(target) == 1);
    }
  }
  return granted;
}

void CheckRestrictedPod(const Rendered& rendered, int replicas) {
  const auto deployments = OfKind(rendered, "Deployment");
  REQUIRE(deployments.size() == 1);
  const Value& spec = *deployments[0]->Find("spec");
  CHECK(spec.Find("replicas")->text() == std::to_string(replicas));
  const Value& pod = *spec.Find("template")->Find("spec");
  const Value* pod_security = pod.Find("securityContext");
  REQUIRE(pod_security != nullptr);
  CHECK(pod_security->Find("runAsNonRoot")->bool_value());
  CHECK(pod_security->Find("seccompProfile")->GetString("type") == "RuntimeDefault");
  std::vector<const Value*> containers;
  for (std::string_view list : {"containers", "initContainers"}) {
    if (const Value* items = pod.Find(list); items != nullptr) {
      for (const Value& c : items->items()) {
        containers.push_back(&c);
      }
    }
  }
  bool probes = false;
  for (const Value* c : containers) {
    INFO("container " << c->GetString("name"));
    const Value* security = c->Find("securityContext");
    REQUIRE(security != nullptr);
    CHECK(security->Find("readOnlyRootFilesystem")->bool_value());
    CHECK_FALSE(security->Find("allowPrivilegeEscalation")->bool_value());
    CHECK(Strings(security->Find("capabilities")->Find("drop")) == std::set<std::string>{"ALL"});
    if (c->GetString("name") == "agent") {
      probes = c->Find("livenessProbe")->Find("httpGet")->GetString("path") == "/healthz" &&
               c->Find("readinessProbe")->Find("httpGet")->GetString("path") == "/readyz";
    }
  }
  CHECK(probes);
}

}  // namespace

TEST_CASE("Helm chart: lint --strict passes with every ci/ values file", "[helm]") {
  const std::string helm = HelmForTest();
  if (helm.empty()) {
    WARN("helm not found ($PLUMBLINE_HELM or PATH; scripts/test fetches it): chart lint skipped");
    return;
  }
  CliSandbox sandbox;
  for (const auto& entry : fs::directory_iterator(kChart / "ci")) {
    INFO("values " << entry.path());
    const ProcessResult r = RunHelm(
        sandbox, helm, {"lint", "--strict", kChart.string(), "--values", entry.path().string()});
    INFO(r.Describe());
    CHECK(r.exit_code == 0);
  }
  // Without a repository the defaults fail with a message naming the value to set.
  const ProcessResult r = RunHelm(sandbox, helm, {"template", "plumbline", kChart.string()});
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("targets.gitSync.repo is required") != std::string::npos);
}

TEST_CASE("Helm chart: RBAC grants get list watch only", "[helm]") {
  const std::string helm = HelmForTest();
  if (helm.empty()) {
    WARN("helm not found ($PLUMBLINE_HELM or PATH; scripts/test fetches it): chart test skipped");
    return;
  }
  CliSandbox sandbox;

  SECTION("git-sync, Secrets readable, one replica") {
    const Rendered r = Template(sandbox, helm, "gitsync-values.yaml");
    const auto granted = CheckRbac(r, /*leader_election=*/false);
    CHECK(granted.count("secrets") == 1);
    CheckRestrictedPod(r, 1);
    CHECK(r.text.find("--repo=https://git.example.com/platform/cluster-config.git") !=
          std::string::npos);
    CHECK(OfKind(r, "Secret").size() == 1);  // a generated HMAC key
  }
  SECTION("bundle ConfigMap, Secrets excluded") {
    const Rendered r = Template(sandbox, helm, "bundle-values.yaml");
    const auto granted = CheckRbac(r, /*leader_election=*/false);
    CHECK(granted.count("secrets") == 0);
    CHECK(granted.count("configmaps") == 1);
    CheckRestrictedPod(r, 1);
    CHECK(OfKind(r, "PersistentVolumeClaim").size() == 1);
    // The existing HMAC key Secret is used, none is created.
    CHECK(OfKind(r, "Secret").empty());
    CHECK(r.text.find("secretName: plumbline-hmac") != std::string::npos);
  }
  SECTION("leader election: two replicas and a Lease Role in the release namespace") {
    const Rendered r = Template(sandbox, helm, "leader-election-values.yaml");
    const auto granted = CheckRbac(r, /*leader_election=*/true);
    CHECK(granted.count("applications") == 1);  // extraRules get read verbs only
    CheckRestrictedPod(r, 2);
    // The spool locks its folder: each replica gets its own.
    CHECK(r.text.find("--spool-dir=/var/lib/plumbline/spool/$(POD_NAME)") != std::string::npos);
    CHECK(r.text.find("leaderElection:") != std::string::npos);
  }
  SECTION("verbs in values are refused by the values schema") {
    const ProcessResult r = RunHelm(sandbox, helm,
                                    {"template", "plumbline", kChart.string(), "--values",
                                     (kChart / "ci" / "gitsync-values.yaml").string(), "--set",
                                     "rbac.extraRules[0].apiGroups[0]=apps", "--set",
                                     "rbac.extraRules[0].resources[0]=deployments", "--set",
                                     "rbac.extraRules[0].verbs[0]=delete"});
    INFO(r.Describe());
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("verbs") != std::string::npos);
  }
  SECTION("a wildcard resource is refused by the values schema") {
    const ProcessResult r = RunHelm(
        sandbox, helm,
        {"template", "plumbline", kChart.string(), "--values",
         (kChart / "ci" / "gitsync-values.yaml").string(), "--set",
         "rbac.extraRules[0].apiGroups[0]=apps", "--set", "rbac.extraRules[0].resources[0]=*"});
    INFO(r.Describe());
    CHECK(r.exit_code != 0);
  }
}

TEST_CASE("Helm chart: ServiceMonitor and PrometheusRule are gated on their CRDs", "[helm]") {
  const std::string helm = HelmForTest();
  if (helm.empty()) {
    WARN("helm not found ($PLUMBLINE_HELM or PATH; scripts/test fetches it): chart test skipped");
    return;
  }
  CliSandbox sandbox;
  const Rendered without_crds = Template(sandbox, helm, "gitsync-values.yaml");
  CHECK(OfKind(without_crds, "ServiceMonitor").empty());
  CHECK(OfKind(without_crds, "PrometheusRule").empty());

  const Rendered with_crds = Template(sandbox, helm, "gitsync-values.yaml",
                                      {"--api-versions", "monitoring.coreos.com/v1"});
  const auto monitors = OfKind(with_crds, "ServiceMonitor");
  REQUIRE(monitors.size() == 1);
  const Value& monitor_spec = *monitors[0]->Find("spec");
  CHECK(monitor_spec.GetString("jobLabel") == "app.kubernetes.io/name");
  CHECK(monitor_spec.Find("endpoints")->items().at(0).Find("honorLabels")->bool_value());

  // The PrometheusRule carries exactly the groups of deploy/prometheus/plumbline-rules.yaml.
  const auto rules = OfKind(with_crds, "PrometheusRule");
  REQUIRE(rules.size() == 1);
  std::ifstream in(kRules, std::ios::binary);
  const std::string rules_text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
  auto plain = render::ParseYamlStream(rules_text);
  REQUIRE(plain.has_value());
  REQUIRE(plain->size() == 1);
  const Value* plain_groups = plain->at(0).value.Find("groups");
  REQUIRE(plain_groups != nullptr);
  CHECK(plain_groups->items().size() == 3);
  CHECK(*rules[0]->Find("spec")->Find("groups") == *plain_groups);
}

// The chart and the agent agree: the agent container's arguments and the config file from the
// chart's ConfigMap go through `plumbline agent`'s own checks (every flag known, every key
// valid, the spool opened); it then stops at the first thing outside a pod lacks, the
// in-cluster credentials, and says so.
TEST_CASE("Helm chart: the agent accepts the chart's arguments and config", "[helm]") {
  const std::string helm = HelmForTest();
  if (helm.empty()) {
    WARN("helm not found ($PLUMBLINE_HELM or PATH; scripts/test fetches it): chart test skipped");
    return;
  }
  for (const char* values :
       {"gitsync-values.yaml", "bundle-values.yaml", "leader-election-values.yaml"}) {
    INFO(values);
    CliSandbox sandbox;
    const Rendered r = Template(sandbox, helm, values);
    const auto maps = OfKind(r, "ConfigMap");
    const Value* config = nullptr;
    for (const Value* m : maps) {
      if (const Value* data = m->Find("data"); data != nullptr && data->Find("config.yaml")) {
        config = data->Find("config.yaml");
      }
    }
    REQUIRE(config != nullptr);
    WriteFileForTest(sandbox.dir() / "config.yaml", config->text());
    const auto deployments = OfKind(r, "Deployment");
    REQUIRE(deployments.size() == 1);
    const Value* containers =
        deployments[0]->Find("spec")->Find("template")->Find("spec")->Find("containers");
    REQUIRE(containers != nullptr);
    std::vector<std::string> args = {"agent"};
    for (const Value& c : containers->items()) {
      if (c.GetString("name") != "agent") {
        continue;
      }
      for (const Value& a : c.Find("args")->items()) {
        std::string arg = a.text();
        // Paths of the pod, moved into the sandbox.
        for (const auto& [from, to] :
             {std::pair<std::string, std::string>{"/etc/plumbline/config.yaml",
                                                  sandbox.Path("config.yaml")},
              {"/var/lib/plumbline/spool/$(POD_NAME)", sandbox.Path("spool/pod-0")},
              {"/var/lib/plumbline/spool", sandbox.Path("spool")},
              {"0.0.0.0:", "127.0.0.1:"}}) {
          if (auto at = arg.find(from); at != std::string::npos) {
            arg.replace(at, from.size(), to);
          }
        }
        args.push_back(arg);
      }
    }
    REQUIRE(args.size() > 2);
    const ProcessResult out = sandbox.Plumbline(args);
    INFO(out.Describe());
    CHECK(out.exit_code == 2);
    CHECK(out.err.find("unknown") == std::string::npos);
    CHECK(out.err.find("no cluster configured") != std::string::npos);
  }
}

TEST_CASE("Helm chart: the rendered chart goes through plumbline render", "[helm]") {
  const std::string helm = HelmForTest();
  if (helm.empty()) {
    WARN("helm not found ($PLUMBLINE_HELM or PATH; scripts/test fetches it): chart test skipped");
    return;
  }
  CliSandbox sandbox;
  const Rendered r = Template(sandbox, helm, "leader-election-values.yaml",
                              {"--api-versions", "monitoring.coreos.com/v1"});
  WriteFileForTest(sandbox.dir() / "chart.yaml", r.text);
  const ProcessResult out =
      sandbox.Plumbline({"render", sandbox.Path("chart.yaml"), "-o", sandbox.Path("bundle.json")});
  INFO(out.Describe());
  REQUIRE(out.exit_code == 0);
  const Value bundle = ParseJsonForTest([&] {
    std::ifstream b(sandbox.dir() / "bundle.json", std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(b)), std::istreambuf_iterator<char>());
  }());
  CHECK(bundle.GetString("kind") == "TargetBundle");
  const Value* resources = bundle.Find("resources");
  REQUIRE(resources != nullptr);
  CHECK(resources->items().size() == r.objects.size());
}

}  // namespace plumbline::testing
