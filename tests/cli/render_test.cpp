// `plumbline render` of plain sources (folder, multi-document YAML, List kinds, JSON), the
// byte-identical bundle contract, and `diff --target BUNDLE` agreeing with diff of manifests.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_support.h"

namespace {

using plumbline::hashing::Value;
using plumbline::testing::Base64ForTest;
using plumbline::testing::CliData;
using plumbline::testing::CliSandbox;
using plumbline::testing::ParseJsonForTest;
using plumbline::testing::ProcessResult;
using plumbline::testing::ReadFileForTest;
using plumbline::testing::StringAt;
using plumbline::testing::WriteFileForTest;
namespace fs = std::filesystem;

// Renders to stdout; requires exit 0 and returns the bundle text.
std::string RenderText(const CliSandbox& sb, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"render"};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = sb.Plumbline(argv);
  INFO(r.Describe());
  REQUIRE_FALSE(r.timed_out);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

const Value& Resources(const Value& bundle) {
  const Value* resources = bundle.Find("resources");
  REQUIRE(resources != nullptr);
  REQUIRE(resources->is_array());
  return *resources;
}

std::vector<std::string> KindsAndNames(const Value& bundle) {
  std::vector<std::string> out;
  for (const auto& r : Resources(bundle).items()) {
    out.push_back(StringAt(r, "kind") + "/" + StringAt(r, "namespace") + "/" + StringAt(r, "name"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

const Value* FindResource(const Value& doc, const std::string& kind, const std::string& name) {
  for (const auto& r : Resources(doc).items()) {
    if (StringAt(r, "kind") == kind && StringAt(r, "name") == name) {
      return &r;
    }
  }
  return nullptr;
}

// Lays `files` (name → fixture path) out in `dir`, creating them in the given order.
void Stage(const fs::path& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  for (const auto& [name, fixture] : files) {
    WriteFileForTest(dir / name, ReadFileForTest(fixture));
  }
}

// Splits a multi-document fixture into its "---"-separated parts.
std::vector<std::string> SplitDocuments(const std::string& text) {
  std::vector<std::string> docs;
  std::string current;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      nl = text.size();
    }
    const std::string line = text.substr(start, nl - start);
    if (line == "---") {
      docs.push_back(current);
      current.clear();
    } else {
      current += line + "\n";
    }
    start = nl + 1;
  }
  docs.push_back(current);
  return docs;
}

}  // namespace

TEST_CASE("render: a plain folder of manifests", "[cli][render]") {
  CliSandbox sb;
  const std::string out = sb.Path("bundle.json");
  const ProcessResult r = sb.Plumbline({"render", CliData("app"), "-o", out});
  INFO(r.Describe());
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.find("4 resources") != std::string::npos);
  // The key file was created in the sandbox's HOME, readable by the owner only.
  struct stat st {};
  REQUIRE(stat(sb.KeyFile().c_str(), &st) == 0);
  CHECK((st.st_mode & 077) == 0);

  const std::string text = ReadFileForTest(out);
  const Value bundle = ParseJsonForTest(text);
  CHECK(StringAt(bundle, "apiVersion") == "plumbline.dev/v1alpha1");
  CHECK(StringAt(bundle, "kind") == "TargetBundle");
  CHECK(KindsAndNames(bundle) ==
        std::vector<std::string>{"ConfigMap/shop/web-config", "Deployment/shop/web",
                                 "Secret/shop/web-credentials", "Service/shop/web"});
  const Value* sources = bundle.Find("sources");
  REQUIRE(sources != nullptr);
  REQUIRE(sources->items().size() == 1);
  CHECK(StringAt(sources->items()[0], "renderer") == "plain");
  // stringData was folded into data and masked: the value is not in the bundle in any form.
  const std::string password = "s3cr3t-Plumbline-Value";
  CHECK(text.find(password) == std::string::npos);
  CHECK(text.find(Base64ForTest(password)) == std::string::npos);
  const Value* secret = FindResource(bundle, "Secret", "web-credentials");
  REQUIRE(secret != nullptr);
  const Value* object = secret->Find("object");
  REQUIRE(object != nullptr);
  CHECK(object->Find("stringData") == nullptr);
  REQUIRE(object->Find("data") != nullptr);
  CHECK(object->Find("data")->Find("DB_PASSWORD") != nullptr);

  SECTION("stdout and -o give the same bytes") { CHECK(RenderText(sb, {CliData("app")}) == text); }
}

TEST_CASE("render: a multi-document YAML file", "[cli][render]") {
  CliSandbox sb;
  const Value bundle = ParseJsonForTest(RenderText(sb, {CliData("render/multidoc.yaml")}));
  CHECK(KindsAndNames(bundle) == std::vector<std::string>{"ConfigMap/demo/settings",
                                                          "Deployment/demo/api",
                                                          "Service/demo/api"});
  // Quoted scalars stay strings (YAML 1.1 would read bare 0644 and yes otherwise).
  const Value* cm = FindResource(bundle, "ConfigMap", "settings");
  REQUIRE(cm != nullptr);
  const Value* data = cm->Find("object")->Find("data");
  REQUIRE(data != nullptr);
  CHECK(StringAt(*data, "mode") == "0644");
  CHECK(StringAt(*data, "enabled") == "yes");
}

TEST_CASE("render: kind List and *List items are expanded", "[cli][render]") {
  CliSandbox sb;
  SECTION("YAML List") {
    const Value bundle = ParseJsonForTest(RenderText(sb, {CliData("render/list.yaml")}));
    CHECK(KindsAndNames(bundle) == std::vector<std::string>{"Role/demo/worker",
                                                            "RoleBinding/demo/worker",
                                                            "ServiceAccount/demo/worker"});
  }
  SECTION("JSON ConfigMapList") {
    const Value bundle = ParseJsonForTest(RenderText(sb, {CliData("render/configmaplist.json")}));
    CHECK(KindsAndNames(bundle) ==
          std::vector<std::string>{"ConfigMap/demo/json-a", "ConfigMap/demo/json-b"});
  }
}

TEST_CASE("render: a JSON manifest", "[cli][render]") {
  CliSandbox sb;
  const Value bundle = ParseJsonForTest(RenderText(sb, {CliData("render/cronjob.json")}));
  CHECK(KindsAndNames(bundle) == std::vector<std::string>{"CronJob/demo/nightly-report"});
  const Value* cj = FindResource(bundle, "CronJob", "nightly-report");
  REQUIRE(cj != nullptr);
  CHECK(StringAt(*cj, "group") == "batch");
  CHECK(StringAt(*cj, "version") == "v1");
}

TEST_CASE("render: several sources into one bundle", "[cli][render]") {
  CliSandbox sb;
  const Value bundle = ParseJsonForTest(
      RenderText(sb, {CliData("render/multidoc.yaml"), CliData("render/list.yaml"),
                      CliData("render/cronjob.json"), CliData("render/configmaplist.json")}));
  CHECK(Resources(bundle).items().size() == 9);
  CHECK(bundle.Find("sources")->items().size() == 4);
}

TEST_CASE("render: -n gives objects without a namespace the default namespace", "[cli][render]") {
  CliSandbox sb;
  WriteFileForTest(sb.dir() / "src" / "cm.yaml",
                   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: v\n");
  const Value bundle = ParseJsonForTest(RenderText(sb, {sb.Path("src"), "-n", "team-a"}));
  CHECK(KindsAndNames(bundle) == std::vector<std::string>{"ConfigMap/team-a/plain"});
  CHECK(StringAt(bundle, "defaultNamespace") == "team-a");
}

TEST_CASE("render: the bundle is byte-identical whatever the order of files, documents, keys",
          "[cli][render][determinism]") {
  CliSandbox sb;
  const fs::path src = sb.dir() / "src";
  Stage(src, {{"app.yaml", CliData("order/docs-a.yaml")}});
  const std::string baseline = RenderText(sb, {(src / "app.yaml").string()});
  REQUIRE(ParseJsonForTest(baseline).Find("resources")->items().size() == 3);

  SECTION("rendering again") { CHECK(RenderText(sb, {(src / "app.yaml").string()}) == baseline); }
  SECTION("documents in another order") {
    Stage(src, {{"app.yaml", CliData("order/docs-b.yaml")}});
    CHECK(RenderText(sb, {(src / "app.yaml").string()}) == baseline);
  }
  SECTION("keys in another order at every level") {
    Stage(src, {{"app.yaml", CliData("order/keys-b.yaml")}});
    CHECK(RenderText(sb, {(src / "app.yaml").string()}) == baseline);
  }
  SECTION("files given in another order on the command line") {
    const auto docs = SplitDocuments(ReadFileForTest(CliData("order/docs-a.yaml")));
    REQUIRE(docs.size() == 3);
    const fs::path split = sb.dir() / "split";
    WriteFileForTest(split / "one.yaml", docs[0]);
    WriteFileForTest(split / "two.yaml", docs[1]);
    WriteFileForTest(split / "three.yaml", docs[2]);
    const std::string one = (split / "one.yaml").string();
    const std::string two = (split / "two.yaml").string();
    const std::string three = (split / "three.yaml").string();
    const std::string forward = RenderText(sb, {one, two, three});
    CHECK(RenderText(sb, {three, one, two}) == forward);
    CHECK(RenderText(sb, {two, three, one}) == forward);
  }
  SECTION("a folder whose files were written in another order") {
    const auto docs = SplitDocuments(ReadFileForTest(CliData("order/docs-a.yaml")));
    REQUIRE(docs.size() == 3);
    const fs::path dir = sb.dir() / "folder";
    for (int i = 0; i < 3; ++i) {
      WriteFileForTest(dir / ("part-" + std::to_string(i) + ".yaml"),
                       docs[static_cast<std::size_t>(i)]);
    }
    const std::string forward = RenderText(sb, {dir.string()});
    fs::remove_all(dir);
    for (int i = 2; i >= 0; --i) {
      WriteFileForTest(dir / ("part-" + std::to_string(i) + ".yaml"),
                       docs[static_cast<std::size_t>(i)]);
    }
    CHECK(RenderText(sb, {dir.string()}) == forward);
  }
}

TEST_CASE("diff --target BUNDLE gives the same verdicts as diff of the manifests",
          "[cli][render][diff]") {
  CliSandbox sb;
  const std::string bundle = sb.Path("bundle.json");
  {
    const ProcessResult r = sb.Plumbline({"render", CliData("app"), "-o", bundle});
    INFO(r.Describe());
    REQUIRE(r.exit_code == 0);
  }
  int n = 0;
  for (const std::string drift :
       {"", "deployment-image-kubectl-set.yaml", "deployment-env-kubectl-set.yaml",
        "service-label-kubectl-label.yaml", "secret-edited-kubectl-edit.yaml"}) {
    const fs::path live = sb.dir() / ("live-" + std::to_string(n++));
    fs::create_directories(live);
    for (const auto& entry : fs::directory_iterator(CliData("live/in-sync"))) {
      fs::copy_file(entry.path(), live / entry.path().filename());
    }
    if (!drift.empty()) {
      fs::remove(live / (drift.substr(0, drift.find('-')) + ".yaml"));
      fs::copy_file(CliData("live/drift/" + drift), live / drift);
    }
    const ProcessResult from_manifests =
        sb.Plumbline({"diff", "--target", CliData("app"), "--live", live.string(), "-o", "json"});
    const ProcessResult from_bundle =
        sb.Plumbline({"diff", "--target", bundle, "--live", live.string(), "-o", "json"});
    INFO("live " << (drift.empty() ? "in sync" : drift) << "\nmanifests: "
                 << from_manifests.Describe() << "\nbundle: " << from_bundle.Describe());
    CHECK(from_manifests.exit_code == (drift.empty() ? 0 : 1));
    REQUIRE(from_bundle.exit_code == from_manifests.exit_code);
    const Value a = ParseJsonForTest(from_manifests.out);
    const Value b = ParseJsonForTest(from_bundle.out);
    REQUIRE(Resources(a).items().size() == Resources(b).items().size());
    for (const auto& ra : Resources(a).items()) {
      const Value* rb = FindResource(b, StringAt(ra, "kind"), StringAt(ra, "name"));
      INFO(StringAt(ra, "kind") << "/" << StringAt(ra, "name"));
      REQUIRE(rb != nullptr);
      for (const char* field :
           {"group", "version", "namespace", "verdict", "drift_kind", "paths", "suppressed"}) {
        INFO("field " << field);
        REQUIRE(ra.Find(field) != nullptr);
        REQUIRE(rb->Find(field) != nullptr);
        CHECK(*ra.Find(field) == *rb->Find(field));
      }
      // Masks of Secret values depend on the key (a fresh one for manifests), the rest not.
      if (StringAt(ra, "kind") != "Secret") {
        CHECK(StringAt(ra, "diff") == StringAt(*rb, "diff"));
      }
    }
    CHECK(*a.Find("summary") == *b.Find("summary"));
  }
}

// Large folders are parsed and prepared on every core (render/src/parallel.h): the bundle and
// the errors must be those of a sequential pass, whatever the thread timing.
TEST_CASE("render: hundreds of objects in many files, on several threads", "[cli][render]") {
  CliSandbox sb;
  const fs::path dir = sb.dir() / "many";
  fs::create_directories(dir);
  for (int f = 0; f < 12; ++f) {
    std::string text;
    for (int i = 0; i < 40; ++i) {
      const std::string n = std::to_string(f * 40 + i);
      text += "---\n{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-" +
              n + "\",\"namespace\":\"ns-" + std::to_string(i % 3) + "\"},\"data\":{\"k\":\"" + n +
              "\"}}\n";
      text += "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s-" + n +
              "\n  namespace: ns-1\nstringData:\n  password: p" + n + "\n";
    }
    WriteFileForTest(dir / ("part-" + std::to_string(100 + f) + ".yaml"), text);
  }
  const std::string first = RenderText(sb, {dir.string()});
  const Value bundle = ParseJsonForTest(first);
  CHECK(bundle.Find("resources")->items().size() == 960);
  for (int run = 0; run < 3; ++run) {
    CHECK(RenderText(sb, {dir.string()}) == first);  // same bytes every time
  }

  // Two bad files: the error names the first in file order, as a sequential pass would.
  WriteFileForTest(dir / "part-104.yaml", "---\n{\"apiVersion\":\"v1\",\"kind\": }\n");
  WriteFileForTest(dir / "part-109.yaml", "---\n{\"kind\":\"ConfigMap\"}\n");
  for (int run = 0; run < 3; ++run) {
    const ProcessResult r = sb.Plumbline({"render", dir.string()});
    INFO(r.Describe());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("part-104.yaml:2") != std::string::npos);
  }
  // A duplicate across files is reported at the later document, naming the earlier one.
  fs::remove(dir / "part-104.yaml");
  fs::remove(dir / "part-109.yaml");
  WriteFileForTest(dir / "part-999.yaml",
                   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-7\n  namespace: ns-1\n");
  const ProcessResult dup = sb.Plumbline({"render", dir.string()});
  INFO(dup.Describe());
  CHECK(dup.exit_code == 2);
  CHECK(dup.err.find("part-999.yaml:1: duplicate resource") != std::string::npos);
  CHECK(dup.err.find("part-100.yaml") != std::string::npos);
}
