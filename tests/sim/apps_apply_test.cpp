// Every app of ../shared/testdata/apps, rendered (plain folders as they are, Kustomize through
// `kubectl kustomize`, Helm through `helm template` when helm is available), applied to one
// kube-sim with `kubectl apply --server-side --field-manager=argocd-controller` as Argo CD does,
// and read back with `kubectl get -f`: every object is there, owned by argocd-controller.
// Skipped without ../shared.
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#ifndef PLUMBLINE_BIN
#define PLUMBLINE_BIN "plumbline"
#endif
#include "plumbline/hashing/json.h"
#include "plumbline/render/manifest.h"

#include "cli/cli_support.h"
#include "live_diff.h"
#include "support/kube_sim.h"

namespace plumbline::testing {
namespace {

namespace fs = std::filesystem;

struct App {
  std::string name;                     // also its namespace
  fs::path dir;                         // the folder rendered
  std::string renderer;                 // plain, kustomize, helm
  std::vector<std::string> components;  // Kustomize components added to the folder
};

std::string RendererOf(const fs::path& dir) {
  for (const char* k : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    if (fs::is_regular_file(dir / k)) {
      return "kustomize";
    }
  }
  return fs::is_regular_file(dir / "Chart.yaml") ? "helm" : "plain";
}

// The apps of tests/cli/shared_apps_test.cpp, plus microservices-demo's Kustomize root with
// each of its components enabled (they add NetworkPolicies and patch Deployments).
std::vector<App> Apps(const std::string& shared) {
  std::vector<App> apps;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(shared + "/testdata/apps/argocd-example-apps")) {
    if (e.is_directory()) {
      dirs.push_back(e.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    apps.push_back({d.filename().string(), d, RendererOf(d), {}});
  }
  const fs::path demo = shared + "/testdata/apps/microservices-demo";
  apps.push_back({"msd-manifests", demo / "kubernetes-manifests", "kustomize", {}});
  apps.push_back({"msd-kustomize", demo / "kustomize", "kustomize", {}});
  if (fs::is_directory(demo / "kustomize" / "components")) {
    std::vector<fs::path> components;
    for (const auto& e : fs::directory_iterator(demo / "kustomize" / "components")) {
      if (e.is_directory() && fs::is_regular_file(e.path() / "kustomization.yaml")) {
        components.push_back(e.path());
      }
    }
    std::sort(components.begin(), components.end());
    for (const auto& c : components) {
      apps.push_back(
          {"msd-" + c.filename().string(), demo / "kustomize", "kustomize", {c.string()}});
    }
  }
  return apps;
}

// Renders an app into YAML text; "" (with a WARN) when its renderer is not installed.
std::string Render(Fixture& f, const App& app) {
  if (app.renderer == "plain") {
    std::string out;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(app.dir)) {
      const auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      out += "---\n" + ReadFileForTest(file.string()) + "\n";
    }
    return out;
  }
  if (app.renderer == "helm") {
    const std::string helm = HelmForTest();
    if (helm.empty()) {
      WARN("skipped " << app.name << ": helm is not installed (PATH or PLUMBLINE_HELM)");
      return "";
    }
    const auto r = f.box.Run({helm, "template", app.name, app.dir.string()});
    INFO(r.Describe());
    REQUIRE(r.exit_code == 0);
    return r.out;
  }
  std::string dir = app.dir.string();
  if (!app.components.empty()) {
    // A kustomization of the app's folder with the components added.
    const fs::path wrapper = f.box.dir() / ("kustomize-" + app.name);
    fs::create_directories(wrapper);
    std::string k =
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- " +
        fs::relative(app.dir, wrapper).string() + "\ncomponents:\n";
    for (const auto& c : app.components) {
      k += "- " + fs::relative(c, wrapper).string() + "\n";
    }
    WriteFileForTest(wrapper / "kustomization.yaml", k);
    dir = wrapper.string();
  }
  const auto r = f.Kubectl({"kustomize", dir}, "none");
  INFO(r.Describe());
  REQUIRE(r.exit_code == 0);
  return r.out;
}

struct Rendered {
  std::vector<Value> named;      // applied
  std::vector<Value> generated;  // only metadata.generateName: created (apply needs a name)
};

Rendered Split(Fixture& f, const App& app, const std::string& yaml) {
  const fs::path file = f.box.dir() / (app.name + "-rendered.yaml");
  WriteFileForTest(file, yaml);
  auto manifests = render::ReadManifestFile(file.string(), file.string());
  INFO(app.name << ": " << (manifests ? "" : manifests.error().message));
  REQUIRE(manifests.has_value());
  Rendered out;
  for (auto& m : *manifests) {
    const Value* meta = m.object.Find("metadata");
    const bool named = meta != nullptr && !meta->GetString("name").empty();
    (named ? out.named : out.generated).push_back(std::move(m.object));
  }
  return out;
}

// The objects as a multi-document YAML file of JSON documents. Not a `kind: List`: kubectl
// validates a List against /openapi/v2, which kube-sim does not serve (docs/kube-sim.md).
std::string WriteDocuments(Fixture& f, const std::string& name, const std::vector<Value>& objects) {
  std::string text;
  for (const auto& o : objects) {
    text += "---\n" + hashing::ToJson(o) + "\n";
  }
  const fs::path file = f.box.dir() / name;
  WriteFileForTest(file, text);
  return file.string();
}

}  // namespace

TEST_CASE("every shared app applies server-side to kube-sim and reads back",
          "[sim][kubectl][shared]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  Fixture f;
  std::size_t applied_objects = 0;
  std::size_t applied_apps = 0;
  std::set<std::string> created_namespaces = {"default"};
  for (const App& app : Apps(shared)) {
    INFO("app " << app.name << " (" << app.renderer << ", " << app.dir.string() << ")");
    const std::string yaml = Render(f, app);
    if (yaml.empty()) {
      continue;
    }
    const Rendered rendered = Split(f, app, yaml);
    REQUIRE_FALSE(rendered.named.empty());
    // Argo CD's destination namespace; objects that name their own namespace get it created.
    std::vector<std::string> namespaces = {app.name};
    for (const auto& o : rendered.named) {
      const std::string ns(o.Find("metadata")->GetString("namespace"));
      if (!ns.empty() && std::find(namespaces.begin(), namespaces.end(), ns) == namespaces.end()) {
        namespaces.push_back(ns);
      }
    }
    for (const auto& ns : namespaces) {
      if (created_namespaces.insert(ns).second) {
        f.KubectlOk({"create", "namespace", ns});
      }
    }
    const std::string file = WriteDocuments(f, app.name + ".yaml", rendered.named);
    f.KubectlOk({"apply", "--server-side", "--field-manager=argocd-controller", "-n", app.name,
                 "-f", file});
    if (!rendered.generated.empty()) {
      f.KubectlOk({"create", "-n", app.name, "-f",
                   WriteDocuments(f, app.name + "-generated.yaml", rendered.generated)});
    }

    // One GET per object, in the order of the file.
    const Value got = f.GetJson({"get", "-n", app.name, "-f", file});
    const Value* items = got.Find("items");
    const std::vector<Value> read_back =
        items != nullptr ? items->items() : std::vector<Value>{got};
    REQUIRE(read_back.size() == rendered.named.size());
    for (std::size_t i = 0; i < read_back.size(); ++i) {
      const Value& want = rendered.named[i];
      const Value& live = read_back[i];
      INFO(StringAt(want, "kind") << "/" << want.Find("metadata")->GetString("name"));
      CHECK(StringAt(live, "kind") == StringAt(want, "kind"));
      CHECK(live.Find("metadata")->GetString("name") == want.Find("metadata")->GetString("name"));
      CHECK_FALSE(live.Find("metadata")->GetString("uid").empty());
      bool owned = false;
      if (const Value* mf = live.Find("metadata")->Find("managedFields")) {
        for (const Value& e : mf->items()) {
          owned = owned || (StringAt(e, "manager") == "argocd-controller" &&
                            StringAt(e, "operation") == "Apply");
        }
      }
      // An object that declares nothing but its name (a bare ServiceAccount) gets no entry: the
      // server drops managers whose field set is empty.
      bool declares_fields = false;
      for (const auto& [key, value] : want.members()) {
        if (key == "metadata") {
          for (const auto& [mk, mv] : value.members()) {
            declares_fields = declares_fields || (mk != "name" && mk != "namespace");
          }
        } else if (key != "apiVersion" && key != "kind") {
          declares_fields = true;
        }
      }
      CHECK(owned == declares_fields);
    }
    for (const Value& g : rendered.generated) {
      const std::string prefix(g.Find("metadata")->GetString("generateName"));
      const auto r =
          f.KubectlOk({"get", std::string(StringAt(g, "kind")), "-n", app.name, "-o", "name"});
      CHECK(r.out.find("/" + prefix) != std::string::npos);
    }
    applied_objects += rendered.named.size() + rendered.generated.size();
    ++applied_apps;
  }
  WARN("applied " << applied_apps << " apps, " << applied_objects << " objects");
  CHECK(applied_apps >= 8);
}

TEST_CASE("gitops-engine configs applied with kubectl get the live objects' server defaults",
          "[sim][kubectl][shared][defaults]") {
  // The end-to-end form of defaults_test.cpp's library check: the config goes through kubectl
  // apply --server-side and kube-sim's write path, and `kubectl get -o json` is compared with the
  // object a real server returned. The expected differences are explained there.
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  struct Pair {
    const char* config;
    const char* live;
    std::set<std::string> expected;
  };
  const std::vector<Pair> pairs = {
      {"deployment-config.json",
       "deployment-live.json",
       {"missing .spec.template.spec.containers[name=guestbook-ui].env[name=VAR2]"}},
      {"endpoints-config.json", "endpoints-live.json", {}},
      {"grafana-clusterrole-config.json", "grafana-clusterrole-live.json", {}},
      {"spinnaker-sa-config.json", "spinnaker-sa-live.json", {"missing .secrets"}},
      {"wordpress-config.json", "wordpress-live.json", {"differs .data.smtp-password"}},
      {"smd-deploy-config.yaml", "smd-deploy-live.yaml", {}},
      {"smd-service-config.yaml",
       "smd-service-live.yaml",
       {"differs .spec.ports[name=rtmp].targetPort", "extra .spec.internalTrafficPolicy"}},
      {"ssd-service-config.yaml", "ssd-service-live.yaml", {}},
      {"ssd-svc-no-label-config.yaml",
       "ssd-svc-label-live.yaml",
       {"missing .metadata.labels.delete-me"}},
  };
  Fixture f;
  std::set<std::string> namespaces = {"default"};
  const std::string dir = shared + "/testdata/gitops-engine/";
  for (const Pair& pair : pairs) {
    INFO(pair.config << " vs " << pair.live);
    auto live_docs = render::ReadManifestFile(dir + pair.live, pair.live);
    REQUIRE(live_docs.has_value());
    const Value live = (*live_docs)[0].object;
    const std::string ns(live.Find("metadata")->GetString("namespace"));
    std::vector<std::string> scope;
    if (!ns.empty()) {
      if (namespaces.insert(ns).second) {
        f.KubectlOk({"create", "namespace", ns});
      }
      scope = {"-n", ns};
    }
    auto apply = scope;
    apply.insert(apply.begin(), {"apply", "--server-side", "--field-manager=argocd-controller"});
    apply.insert(apply.end(), {"-f", dir + pair.config});
    f.KubectlOk(apply);
    auto get = scope;
    get.insert(get.begin(), "get");
    get.insert(get.end(), {"-f", dir + pair.config});
    const Value produced = f.GetJson(get);
    std::vector<std::string> diffs;
    live_diff::DiffValues(live_diff::Comparable(produced), live_diff::Comparable(live), "", diffs);
    std::set<std::string> actual;
    std::string all;
    for (const std::string& d : diffs) {
      actual.insert(d.substr(0, d.find(':')));
      all += "\n  " + d;
    }
    INFO("differences:" << all);
    CHECK(actual == pair.expected);
  }
}

}  // namespace plumbline::testing
