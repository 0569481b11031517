// Real inputs from ../shared/testdata (skipped without it): every example app renders, and the
// nine gitops-engine config/live pairs that Argo CD's own tests treat as not modified come out
// in sync.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_support.h"

namespace {

using plumbline::hashing::Value;
using plumbline::testing::CliSandbox;
using plumbline::testing::FindProgramForTest;
using plumbline::testing::HelmForTest;
using plumbline::testing::ParseJsonForTest;
using plumbline::testing::ProcessResult;
using plumbline::testing::ReadFileForTest;
using plumbline::testing::StringAt;
namespace fs = std::filesystem;

std::string RendererOf(const fs::path& dir) {
  for (const char* k : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    if (fs::is_regular_file(dir / k)) {
      return "kustomize";
    }
  }
  return fs::is_regular_file(dir / "Chart.yaml") ? "helm" : "plain";
}

// The app folders: every folder of argocd-example-apps, and the two entry points of
// microservices-demo (its plain manifests folder, which holds a kustomization.yaml, and its
// Kustomize root; kustomize/base and components/* are parts of that root, not apps).
std::vector<fs::path> AppFolders(const std::string& shared) {
  std::vector<fs::path> apps;
  for (const auto& e : fs::directory_iterator(shared + "/testdata/apps/argocd-example-apps")) {
    if (e.is_directory()) {
      apps.push_back(e.path());
    }
  }
  std::sort(apps.begin(), apps.end());
  apps.push_back(shared + "/testdata/apps/microservices-demo/kubernetes-manifests");
  apps.push_back(shared + "/testdata/apps/microservices-demo/kustomize");
  return apps;
}

void RenderApp(const CliSandbox& sb, const fs::path& app) {
  const std::string renderer = RendererOf(app);
  CliSandbox::EnvOverrides env;
  if (renderer == "kustomize" && FindProgramForTest("kubectl").empty()) {
    WARN("skipped " << app << ": kubectl is not installed");
    return;
  }
  if (renderer == "helm") {
    const std::string helm = HelmForTest();
    if (helm.empty()) {
      WARN("skipped " << app << ": helm is not installed (PATH or PLUMBLINE_HELM)");
      return;
    }
    env["PLUMBLINE_HELM"] = helm;
  }
  const ProcessResult r = sb.Plumbline({"render", app.string()}, env);
  INFO(app.string() << " (" << renderer << ")\n" << r.Describe());
  CHECK_FALSE(r.timed_out);
  REQUIRE(r.exit_code == 0);
  const Value bundle = ParseJsonForTest(r.out);
  CHECK(StringAt(bundle.Find("sources")->items().at(0), "renderer") == renderer);
  CHECK_FALSE(bundle.Find("resources")->items().empty());
}

}  // namespace

TEST_CASE("render: every app under ../shared/testdata/apps", "[cli][render][shared]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  CliSandbox sb;
  for (const auto& app : AppFolders(shared)) {
    DYNAMIC_SECTION(app.parent_path().filename().string() << "/" << app.filename().string()) {
      RenderApp(sb, app);
    }
  }
}

TEST_CASE("render: Argo CD hook resources do not stop an app from rendering",
          "[cli][render][shared]") {
  // argocd-example-apps/helm-hooks is a plain folder whose Jobs are Helm hooks; one of them has
  // only metadata.generateName, so it has no identity to track. The contract says every app
  // renders; this case isolates that app so a failure here is easy to read.
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  CliSandbox sb;
  RenderApp(sb, shared + "/testdata/apps/argocd-example-apps/helm-hooks");
}

namespace {

struct Pair {
  std::string name;
  // Argo CD's destination namespace for configs that declare none (that of the live object).
  std::string destination_namespace;
};

const std::vector<Pair>& GitopsEnginePairs() {
  static const std::vector<Pair> pairs = {{"deployment", ""},
                                          {"elasticsearch", "elasticsearch4"},
                                          {"mutatingwebhookconfig", ""},
                                          {"spinnaker-sa", ""},
                                          {"wordpress", "argocd"},
                                          {"grafana-clusterrole", ""},
                                          {"sealedsecret", ""},
                                          {"endpoints", ""},
                                          {"aggr-clusterrole", ""}};
  return pairs;
}

// Copies X-config.json and X-live.json into their own folders and diffs them.
ProcessResult DiffPair(const CliSandbox& sb, const std::string& shared, const Pair& pair,
                       bool with_namespace) {
  const std::string from = shared + "/testdata/gitops-engine/" + pair.name;
  const fs::path target = sb.dir() / pair.name / "target";
  const fs::path live = sb.dir() / pair.name / "live";
  fs::create_directories(target);
  fs::create_directories(live);
  fs::copy_file(from + "-config.json", target / (pair.name + "-config.json"),
                fs::copy_options::overwrite_existing);
  fs::copy_file(from + "-live.json", live / (pair.name + "-live.json"),
                fs::copy_options::overwrite_existing);
  std::vector<std::string> args = {"diff",        "--target", target.string(), "--live",
                                   live.string(), "-o",       "json"};
  if (with_namespace && !pair.destination_namespace.empty()) {
    args.insert(args.end(), {"-n", pair.destination_namespace});
  }
  return sb.Plumbline(args);
}

void CheckPairInSync(const ProcessResult& r, const std::string& name) {
  INFO("pair " << name << "\n" << r.Describe());
  CHECK_FALSE(r.timed_out);
  REQUIRE(r.exit_code != 2);
  const Value doc = ParseJsonForTest(r.out);
  const Value& resources = *doc.Find("resources");
  REQUIRE(resources.items().size() == 1);
  const Value& res = resources.items()[0];
  INFO("verdict " << StringAt(res, "verdict") << " drift_kind "
                  << (res.Find("drift_kind")->is_string() ? res.Find("drift_kind")->text()
                                                          : std::string("null"))
                  << "\ndiff:\n"
                  << StringAt(res, "diff"));
  CHECK(StringAt(res, "verdict") == "in_sync");
  CHECK(r.exit_code == 0);
}

}  // namespace

TEST_CASE("diff: the nine gitops-engine pairs are in sync (with Argo CD's destination namespace)",
          "[cli][diff][shared]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  CliSandbox sb;
  for (const auto& pair : GitopsEnginePairs()) {
    DYNAMIC_SECTION(pair.name) {
      CheckPairInSync(DiffPair(sb, shared, pair, /*with_namespace=*/true), pair.name);
    }
  }
}

TEST_CASE("diff: the nine gitops-engine pairs are in sync as given (no -n)",
          "[cli][diff][shared]") {
  // The contract's literal form: `plumbline diff --target CONFIG --live LIVE`. Two configs
  // (elasticsearch, wordpress) declare no namespace while their live objects have one.
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  CliSandbox sb;
  for (const auto& pair : GitopsEnginePairs()) {
    DYNAMIC_SECTION(pair.name) {
      CheckPairInSync(DiffPair(sb, shared, pair, /*with_namespace=*/false), pair.name);
    }
  }
}

TEST_CASE("render + diff: a gitops-engine config through a bundle is in sync too",
          "[cli][render][diff][shared]") {
  PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
  CliSandbox sb;
  for (const auto& pair : GitopsEnginePairs()) {
    DYNAMIC_SECTION(pair.name) {
      const std::string from = shared + "/testdata/gitops-engine/" + pair.name;
      const std::string bundle = sb.Path(pair.name + "-bundle.json");
      std::vector<std::string> render = {"render", from + "-config.json", "-o", bundle};
      if (!pair.destination_namespace.empty()) {
        render.insert(render.end(), {"-n", pair.destination_namespace});
      }
      const ProcessResult rendered = sb.Plumbline(render);
      INFO(rendered.Describe());
      REQUIRE(rendered.exit_code == 0);
      CheckPairInSync(
          sb.Plumbline({"diff", "--target", bundle, "--live", from + "-live.json", "-o", "json"}),
          pair.name);
    }
  }
}
