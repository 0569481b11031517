// `plumbline diff` end to end on the project's own fixtures (tests/testdata/cli): the shop app
// (app/: Deployment, Service, ConfigMap, Secret with stringData) against live snapshots that are
// in sync (live/in-sync/) or drifted by kubectl (live/drift/). Checks the exit status, the JSON
// contract, attribution and that Secret values never leave the process.
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "cli_support.h"

namespace {

using plumbline::hashing::Value;
using plumbline::testing::Base64ForTest;
using plumbline::testing::CheckOneLineError;
using plumbline::testing::CliData;
using plumbline::testing::CliSandbox;
using plumbline::testing::ParseJsonForTest;
using plumbline::testing::ProcessResult;
using plumbline::testing::StringAt;
namespace fs = std::filesystem;

// The in-sync snapshots, with each drift file replacing the object it shows ("deployment-..."
// replaces deployment.yaml) and the objects in `drop` removed. Returns the folder.
std::string MakeLiveDir(const CliSandbox& sb, const std::string& name,
                        const std::vector<std::string>& drift,
                        const std::vector<std::string>& drop = {}) {
  const fs::path dir = sb.dir() / name;
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(CliData("live/in-sync"))) {
    fs::copy_file(entry.path(), dir / entry.path().filename());
  }
  for (const auto& f : drift) {
    const std::string object = f.substr(0, f.find('-'));
    REQUIRE(fs::remove(dir / (object + ".yaml")));
    fs::copy_file(CliData("live/drift/" + f), dir / f);
  }
  for (const auto& f : drop) {
    REQUIRE(fs::remove(dir / f));
  }
  return dir.string();
}

const Value* FindResource(const Value& doc, const std::string& kind, const std::string& name) {
  const Value* resources = doc.Find("resources");
  if (resources == nullptr || !resources->is_array()) {
    return nullptr;
  }
  for (const auto& r : resources->items()) {
    if (StringAt(r, "kind") == kind && StringAt(r, "name") == name) {
      return &r;
    }
  }
  return nullptr;
}

std::string NumberAt(const Value& v, std::string_view key) {
  const Value* m = v.Find(key);
  return m != nullptr && m->is_number() ? m->text() : std::string("<absent>");
}

struct ExpectedPath {
  std::string pointer;
  std::string manager;
  std::string operation;
  std::string time;
};

void CheckPaths(const Value& resource, const std::vector<ExpectedPath>& expected) {
  const Value* paths = resource.Find("paths");
  REQUIRE(paths != nullptr);
  REQUIRE(paths->is_array());
  REQUIRE(paths->items().size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Value& p = paths->items()[i];
    CHECK(StringAt(p, "path") == expected[i].pointer);
    const Value* actor = p.Find("actor");
    REQUIRE(actor != nullptr);
    REQUIRE(actor->is_object());
    CHECK(StringAt(*actor, "manager") == expected[i].manager);
    CHECK(StringAt(*actor, "operation") == expected[i].operation);
    CHECK(StringAt(*actor, "time") == expected[i].time);
  }
}

// Runs diff -o json, checks the exit status and returns the parsed document.
Value DiffJson(const CliSandbox& sb, const std::string& target, const std::string& live,
               int expected_exit, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"diff", "--target", target, "--live", live, "-o", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const ProcessResult r = sb.Plumbline(args);
  INFO(r.Describe());
  REQUIRE_FALSE(r.timed_out);
  REQUIRE(r.exit_code == expected_exit);
  CHECK(r.err.empty());
  return ParseJsonForTest(r.out);
}

// The four resources of the app, all in sync except those named in `drifted` (kind/name).
void CheckOthersInSync(const Value& doc, const std::set<std::string>& drifted) {
  for (const auto& [kind, name] :
       std::vector<std::pair<std::string, std::string>>{{"Deployment", "web"},
                                                        {"Service", "web"},
                                                        {"ConfigMap", "web-config"},
                                                        {"Secret", "web-credentials"}}) {
    if (drifted.count(kind + "/" + name) != 0) {
      continue;
    }
    const Value* r = FindResource(doc, kind, name);
    INFO(kind << "/" << name);
    REQUIRE(r != nullptr);
    CHECK(StringAt(*r, "verdict") == "in_sync");
    CHECK(r->Find("drift_kind") != nullptr);
    CHECK(r->Find("drift_kind")->is_null());
  }
}

const std::string kTargetPassword = "s3cr3t-Plumbline-Value";
const std::string kLivePassword = "hunter2-Changed-Value";
const std::string kLiveToken = "tok-9f8e7d6c5b4a";

}  // namespace

TEST_CASE("diff: live snapshot in sync with the app exits 0", "[cli][diff]") {
  CliSandbox sb;
  const std::string live = MakeLiveDir(sb, "live", {});

  SECTION("text") {
    const ProcessResult r = sb.Plumbline({"diff", "--target", CliData("app"), "--live", live});
    INFO(r.Describe());
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("4 resources: 4 in sync, 0 modified, 0 missing") != std::string::npos);
    CHECK(r.out.find("DRIFTED") == std::string::npos);
  }
  SECTION("json: every field of the contract, every resource in sync") {
    const Value doc = DiffJson(sb, CliData("app"), live, 0);
    const Value* resources = doc.Find("resources");
    REQUIRE(resources != nullptr);
    REQUIRE(resources->is_array());
    REQUIRE(resources->items().size() == 4);
    std::set<std::string> identities;
    for (const auto& r : resources->items()) {
      for (const char* field : {"group", "version", "kind", "namespace", "name", "verdict",
                                "drift_kind", "paths", "suppressed", "patch", "diff"}) {
        INFO("field " << field);
        CHECK(r.Find(field) != nullptr);
      }
      CHECK(r.Find("paths")->is_array());
      CHECK(r.Find("paths")->items().empty());
      CHECK(r.Find("suppressed")->is_array());
      CHECK(r.Find("patch")->is_array());
      CHECK(StringAt(r, "verdict") == "in_sync");
      identities.insert(StringAt(r, "group") + "/" + StringAt(r, "version") + "/" +
                        StringAt(r, "kind") + "/" + StringAt(r, "namespace") + "/" +
                        StringAt(r, "name"));
    }
    CHECK(identities == std::set<std::string>{"apps/v1/Deployment/shop/web", "/v1/Service/shop/web",
                                              "/v1/ConfigMap/shop/web-config",
                                              "/v1/Secret/shop/web-credentials"});
    const Value* summary = doc.Find("summary");
    REQUIRE(summary != nullptr);
    CHECK(NumberAt(*summary, "resources") == "4");
    CHECK(NumberAt(*summary, "in_sync") == "4");
    CHECK(NumberAt(*summary, "drifted") == "0");
  }
}

TEST_CASE("diff: image changed by kubectl set image is drift attributed to kubectl-set",
          "[cli][diff]") {
  CliSandbox sb;
  const std::string live = MakeLiveDir(sb, "live", {"deployment-image-kubectl-set.yaml"});

  SECTION("json") {
    const Value doc = DiffJson(sb, CliData("app"), live, 1);
    const Value* d = FindResource(doc, "Deployment", "web");
    REQUIRE(d != nullptr);
    CHECK(StringAt(*d, "verdict") == "drifted");
    CHECK(StringAt(*d, "drift_kind") == "modified");
    CheckPaths(*d, {{"/spec/template/spec/containers/0/image", "kubectl-set", "Update",
                     "2025-06-03T14:07:19Z"}});
    const std::string diff = StringAt(*d, "diff");
    CHECK(diff.find("registry.example.com/shop/web:1.4.2") != std::string::npos);
    CHECK(diff.find("registry.example.com/shop/web:1.4.3-hotfix") != std::string::npos);
    const Value* patch = d->Find("patch");
    REQUIRE(patch != nullptr);
    CHECK_FALSE(patch->items().empty());
    CheckOthersInSync(doc, {"Deployment/web"});
    const Value* summary = doc.Find("summary");
    REQUIRE(summary != nullptr);
    CHECK(NumberAt(*summary, "drifted") == "1");
    CHECK(NumberAt(*summary, "modified") == "1");
  }
  SECTION("text names the path and the actor") {
    const ProcessResult r = sb.Plumbline({"diff", "--target", CliData("app"), "--live", live});
    INFO(r.Describe());
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("DRIFTED") != std::string::npos);
    CHECK(r.out.find("/spec/template/spec/containers/0/image") != std::string::npos);
    CHECK(r.out.find("kubectl-set") != std::string::npos);
  }
}

TEST_CASE("diff: env var added by kubectl set env is live-only drift", "[cli][diff]") {
  CliSandbox sb;
  const std::string live = MakeLiveDir(sb, "live", {"deployment-env-kubectl-set.yaml"});
  const Value doc = DiffJson(sb, CliData("app"), live, 1);
  const Value* d = FindResource(doc, "Deployment", "web");
  REQUIRE(d != nullptr);
  CHECK(StringAt(*d, "verdict") == "drifted");
  CHECK(StringAt(*d, "drift_kind") == "modified");
  CheckPaths(*d, {{"/spec/template/spec/containers/0/env/1", "kubectl-set", "Update",
                   "2025-06-04T09:12:44Z"}});
  CHECK(StringAt(*d, "diff").find("DEBUG") != std::string::npos);
  CheckOthersInSync(doc, {"Deployment/web"});
}

TEST_CASE("diff: label added by kubectl label is live-only drift", "[cli][diff]") {
  CliSandbox sb;
  const std::string live = MakeLiveDir(sb, "live", {"service-label-kubectl-label.yaml"});
  const Value doc = DiffJson(sb, CliData("app"), live, 1);
  const Value* s = FindResource(doc, "Service", "web");
  REQUIRE(s != nullptr);
  CHECK(StringAt(*s, "verdict") == "drifted");
  CHECK(StringAt(*s, "drift_kind") == "modified");
  CheckPaths(*s, {{"/metadata/labels/team", "kubectl-label", "Update", "2025-06-05T16:40:03Z"}});
  CheckOthersInSync(doc, {"Service/web"});
}

TEST_CASE("diff: several drifted resources at once", "[cli][diff]") {
  CliSandbox sb;
  const std::string live =
      MakeLiveDir(sb, "live",
                  {"deployment-image-kubectl-set.yaml", "service-label-kubectl-label.yaml",
                   "secret-edited-kubectl-edit.yaml"});
  const Value doc = DiffJson(sb, CliData("app"), live, 1);
  CheckOthersInSync(doc, {"Deployment/web", "Service/web", "Secret/web-credentials"});
  const Value* summary = doc.Find("summary");
  REQUIRE(summary != nullptr);
  CHECK(NumberAt(*summary, "resources") == "4");
  CHECK(NumberAt(*summary, "in_sync") == "1");
  CHECK(NumberAt(*summary, "drifted") == "3");
  CHECK(NumberAt(*summary, "modified") == "3");
}

TEST_CASE("diff: an object absent live is missing", "[cli][diff]") {
  CliSandbox sb;
  const std::string live = MakeLiveDir(sb, "live", {}, {"configmap.yaml"});
  const Value doc = DiffJson(sb, CliData("app"), live, 1);
  const Value* c = FindResource(doc, "ConfigMap", "web-config");
  REQUIRE(c != nullptr);
  CHECK(StringAt(*c, "verdict") == "drifted");
  CHECK(StringAt(*c, "drift_kind") == "missing");
  CheckOthersInSync(doc, {"ConfigMap/web-config"});
  CHECK(NumberAt(*doc.Find("summary"), "missing") == "1");
}

TEST_CASE("diff: an ignore rule in --policy suppresses the image change", "[cli][diff]") {
  CliSandbox sb;
  const std::string live = MakeLiveDir(sb, "live", {"deployment-image-kubectl-set.yaml"});
  const Value doc =
      DiffJson(sb, CliData("app"), live, 0, {"--policy", CliData("policy/ignore-image.yaml")});
  const Value* d = FindResource(doc, "Deployment", "web");
  REQUIRE(d != nullptr);
  CHECK(StringAt(*d, "verdict") == "in_sync");
  const Value* suppressed = d->Find("suppressed");
  REQUIRE(suppressed != nullptr);
  REQUIRE(suppressed->items().size() == 1);
  CHECK(suppressed->items()[0].text() == "/spec/template/spec/containers/0/image");
  CHECK(NumberAt(*doc.Find("summary"), "suppressed") == "1");
}

TEST_CASE("diff: Secret values are never printed, raw or base64", "[cli][diff][secret]") {
  CliSandbox sb;
  const std::vector<std::string> forbidden = {kTargetPassword, Base64ForTest(kTargetPassword),
                                              kLivePassword,   Base64ForTest(kLivePassword),
                                              kLiveToken,      Base64ForTest(kLiveToken)};
  // The check is only meaningful if the inputs really hold these values.
  REQUIRE(plumbline::testing::ReadFileForTest(CliData("app/secret.yaml")).find(kTargetPassword) !=
          std::string::npos);
  const std::string edited =
      plumbline::testing::ReadFileForTest(CliData("live/drift/secret-edited-kubectl-edit.yaml"));
  REQUIRE(edited.find(Base64ForTest(kLivePassword)) != std::string::npos);
  REQUIRE(edited.find(Base64ForTest(kLiveToken)) != std::string::npos);

  const std::string in_sync = MakeLiveDir(sb, "in-sync", {});
  const std::string drifted = MakeLiveDir(sb, "drifted", {"secret-edited-kubectl-edit.yaml"});
  for (const auto& [live, exit_code] :
       std::vector<std::pair<std::string, int>>{{in_sync, 0}, {drifted, 1}}) {
    for (const char* format : {"text", "json"}) {
      const ProcessResult r =
          sb.Plumbline({"diff", "--target", CliData("app"), "--live", live, "-o", format});
      INFO(format << " " << live << "\n" << r.Describe());
      CHECK(r.exit_code == exit_code);
      for (const auto& secret : forbidden) {
        INFO("must not appear: " << secret);
        CHECK(r.out.find(secret) == std::string::npos);
        CHECK(r.err.find(secret) == std::string::npos);
        // Unpadded base64 of the same value.
        const std::string bare = secret.substr(0, secret.find_last_not_of('=') + 1);
        CHECK(r.out.find(bare) == std::string::npos);
      }
    }
  }

  SECTION("the drifted Secret is reported key by key, with masks that keep values apart") {
    const Value doc = DiffJson(sb, CliData("app"), drifted, 1);
    const Value* s = FindResource(doc, "Secret", "web-credentials");
    REQUIRE(s != nullptr);
    CHECK(StringAt(*s, "verdict") == "drifted");
    CheckPaths(*s, {{"/data/API_TOKEN", "kubectl-edit", "Update", "2025-06-06T11:20:31Z"},
                    {"/data/DB_PASSWORD", "kubectl-edit", "Update", "2025-06-06T11:20:31Z"}});
    // The diff shows DB_PASSWORD on both sides; different values must get different masks.
    const std::string diff = StringAt(*s, "diff");
    std::string git_side;
    std::string live_side;
    std::size_t start = 0;
    while (start < diff.size()) {
      std::size_t nl = diff.find('\n', start);
      if (nl == std::string::npos) {
        nl = diff.size();
      }
      const std::string line = diff.substr(start, nl - start);
      if (const auto at = line.find("DB_PASSWORD:"); at != std::string::npos) {
        (line[0] == '-' ? git_side : live_side) = line.substr(at);
      }
      start = nl + 1;
    }
    INFO(diff);
    CHECK_FALSE(git_side.empty());
    CHECK_FALSE(live_side.empty());
    CHECK(git_side != live_side);
  }
}
