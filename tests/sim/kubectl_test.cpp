// kube-sim driven by the real kubectl (/usr/bin/kubectl, v1.32): every test starts its own
// kube-sim on 127.0.0.1:0, runs kubectl with a private HOME (discovery cache) and checks what a
// real kube-apiserver would answer. Faults, paging and watches are driven with a raw HTTP client.
#include <chrono>
#include <string>
#include <vector>

// cli_support.h also offers a Plumbline() runner, unused here.
#ifndef PLUMBLINE_BIN
#define PLUMBLINE_BIN "plumbline"
#endif
#include "cli/cli_support.h"
#include "support/kube_sim.h"

namespace plumbline::testing {
namespace {

// ---- managedFields ----------------------------------------------------------------------------

const Value* At(const Value& v, std::initializer_list<std::string_view> path) {
  const Value* cur = &v;
  for (auto key : path) {
    cur = cur->Find(key);
    if (cur == nullptr) {
      return nullptr;
    }
  }
  return cur;
}

// The fieldsV1 of the entry for manager (and subresource, "" = none); nullptr when absent.
const Value* ManagedBy(const Value& obj, const std::string& manager,
                       const std::string& operation = "", const std::string& subresource = "") {
  const Value* mf = At(obj, {"metadata", "managedFields"});
  if (mf == nullptr || !mf->is_array()) {
    return nullptr;
  }
  for (const auto& e : mf->items()) {
    if (StringAt(e, "manager") == manager &&
        (operation.empty() || StringAt(e, "operation") == operation) &&
        StringAt(e, "subresource") == subresource) {
      return e.Find("fieldsV1");
    }
  }
  return nullptr;
}

std::string Generation(const Value& obj) {
  const Value* g = At(obj, {"metadata", "generation"});
  return g == nullptr ? "" : g->text();
}

std::string Dump(const Value& obj) {
  const Value* mf = At(obj, {"metadata", "managedFields"});
  std::string s;
  if (mf != nullptr) {
    for (const auto& e : mf->items()) {
      s += StringAt(e, "manager") + "/" + StringAt(e, "operation") + "/" +
           StringAt(e, "subresource") + "; ";
    }
  }
  return s;
}

constexpr const char* kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: web
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: MODE
          value: prod
        resources:
          requests:
            cpu: 100m
            memory: 64Mi
          limits:
            memory: 128Mi
        readinessProbe:
          httpGet:
            path: /healthz
            port: 8080
)";

constexpr const char* kService = R"(apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  labels:
    app.kubernetes.io/name: web
spec:
  selector:
    app.kubernetes.io/name: web
  ports:
  - port: 80
    targetPort: 8080
)";

constexpr const char* kConfigMap = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  labels:
    app.kubernetes.io/name: web
data:
  greeting: hello
)";

void DeployApp(Fixture& f) {
  WriteFileForTest(f.box.dir() / "app" / "deployment.yaml", kDeployment);
  WriteFileForTest(f.box.dir() / "app" / "service.yaml", kService);
  WriteFileForTest(f.box.dir() / "app" / "configmap.yaml", kConfigMap);
  f.KubectlOk({"create", "namespace", "shop"});
  f.KubectlOk(
      {"apply", "--server-side", "--field-manager=argocd-controller", "-f", f.box.Path("app")});
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// ---- tests ------------------------------------------------------------------------------------

TEST_CASE("kubectl version and api-resources", "[sim][kubectl]") {
  Fixture f;
  auto v = f.KubectlOk({"version"});
  CHECK(Contains(v.out, "Server Version: v1.32.0"));
  auto r = f.KubectlOk({"api-resources"});
  INFO(r.out);
  std::vector<std::pair<std::string, std::string>> expected = {
      {"deployments", "deploy"}, {"configmaps", "cm"}, {"services", "svc"}, {"namespaces", "ns"}};
  for (const auto& [name, shortname] : expected) {
    bool found = false;
    std::size_t pos = 0;
    while (pos < r.out.size()) {
      auto eol = r.out.find('\n', pos);
      const std::string line = r.out.substr(pos, eol - pos);
      if (line.rfind(name + " ", 0) == 0 && Contains(line, " " + shortname + " ")) {
        found = true;
      }
      pos = eol == std::string::npos ? r.out.size() : eol + 1;
    }
    CHECK(found);
  }
}

TEST_CASE("kubectl create namespace and server-side apply an app", "[sim][kubectl]") {
  Fixture f;
  DeployApp(f);
  auto g = f.KubectlOk({"get", "deploy", "-n", "shop"});
  INFO(g.out);
  CHECK(Contains(g.out, "NAME"));
  CHECK(Contains(g.out, "READY"));
  CHECK(Contains(g.out, "UP-TO-DATE"));
  CHECK(Contains(g.out, "AVAILABLE"));
  CHECK(Contains(g.out, "AGE"));
  CHECK(Contains(g.out, "web "));

  auto obj = f.GetJson({"get", "deploy", "web", "-n", "shop"});
  INFO(Dump(obj));
  CHECK(ManagedBy(obj, "argocd-controller", "Apply") != nullptr);
  CHECK(Generation(obj) == "1");
  const Value* spec = obj.Find("spec");
  REQUIRE(spec != nullptr);
  CHECK(At(*spec, {"revisionHistoryLimit"}) != nullptr);
  CHECK(At(*spec, {"revisionHistoryLimit"})->text() == "10");
  CHECK(At(*spec, {"strategy", "type"}) != nullptr);
  const Value* containers = At(*spec, {"template", "spec", "containers"});
  REQUIRE(containers != nullptr);
  REQUIRE(containers->items().size() == 1);
  CHECK(StringAt(containers->items()[0], "imagePullPolicy") == "IfNotPresent");
  CHECK(StringAt(containers->items()[0], "terminationMessagePath") == "/dev/termination-log");

  auto svc = f.KubectlOk({"get", "svc", "web", "-n", "shop"});
  CHECK(Contains(svc.out, "CLUSTER-IP"));
  f.KubectlOk({"get", "cm", "web-config", "-n", "shop"});
}

TEST_CASE("kubectl imperative commands record the real managedFields", "[sim][kubectl]") {
  Fixture f;
  DeployApp(f);
  const std::vector<std::string> web = {"get", "deploy", "web", "-n", "shop"};

  SECTION("set image") {
    f.KubectlOk({"set", "image", "deploy/web", "-n", "shop", "web=nginx:1.26"});
    auto obj = f.GetJson(web);
    INFO(Dump(obj));
    const Value* fs = ManagedBy(obj, "kubectl-set", "Update");
    REQUIRE(fs != nullptr);
    CHECK(At(*fs, {"f:spec", "f:template", "f:spec", "f:containers", R"(k:{"name":"web"})",
                   "f:image"}) != nullptr);
    CHECK(Generation(obj) == "2");
  }
  SECTION("set env") {
    f.KubectlOk({"set", "env", "deploy/web", "-n", "shop", "LEVEL=debug"});
    auto obj = f.GetJson(web);
    INFO(Dump(obj));
    const Value* fs = ManagedBy(obj, "kubectl-set", "Update");
    REQUIRE(fs != nullptr);
    CHECK(At(*fs, {"f:spec", "f:template", "f:spec", "f:containers", R"(k:{"name":"web"})", "f:env",
                   R"(k:{"name":"LEVEL"})"}) != nullptr);
  }
  SECTION("label and annotate") {
    f.KubectlOk({"label", "deploy/web", "-n", "shop", "team=payments"});
    f.KubectlOk({"annotate", "deploy/web", "-n", "shop", "owner=alice"});
    auto obj = f.GetJson(web);
    INFO(Dump(obj));
    const Value* l = ManagedBy(obj, "kubectl-label", "Update");
    REQUIRE(l != nullptr);
    CHECK(At(*l, {"f:metadata", "f:labels", "f:team"}) != nullptr);
    const Value* a = ManagedBy(obj, "kubectl-annotate", "Update");
    REQUIRE(a != nullptr);
    CHECK(At(*a, {"f:metadata", "f:annotations", "f:owner"}) != nullptr);
    CHECK(Generation(obj) == "1");
  }
  SECTION("scale") {
    f.KubectlOk({"scale", "deploy/web", "-n", "shop", "--replicas=5"});
    auto obj = f.GetJson(web);
    INFO(Dump(obj));
    const Value* fs = ManagedBy(obj, "kubectl", "Update", "scale");
    REQUIRE(fs != nullptr);
    CHECK(At(*fs, {"f:spec", "f:replicas"}) != nullptr);
    CHECK(At(obj, {"spec", "replicas"})->text() == "5");
  }
  SECTION("patch merge, json and strategic") {
    f.KubectlOk({"patch", "deploy/web", "-n", "shop", "--type", "merge", "-p",
                 R"({"metadata":{"labels":{"m":"1"}}})"});
    f.KubectlOk({"patch", "deploy/web", "-n", "shop", "--type", "json", "-p",
                 R"([{"op":"add","path":"/metadata/labels/j","value":"2"}])"});
    f.KubectlOk({"patch", "deploy/web", "-n", "shop", "--type", "strategic", "-p",
                 R"({"spec":{"minReadySeconds":3}})"});
    auto obj = f.GetJson(web);
    INFO(Dump(obj));
    const Value* fs = ManagedBy(obj, "kubectl-patch", "Update");
    REQUIRE(fs != nullptr);
    CHECK(At(*fs, {"f:metadata", "f:labels", "f:m"}) != nullptr);
    CHECK(At(*fs, {"f:metadata", "f:labels", "f:j"}) != nullptr);
    CHECK(At(*fs, {"f:spec", "f:minReadySeconds"}) != nullptr);
    CHECK(Generation(obj) == "2");
  }
  SECTION("rollout restart") {
    f.KubectlOk({"rollout", "restart", "deploy/web", "-n", "shop"});
    auto obj = f.GetJson(web);
    INFO(Dump(obj));
    const Value* fs = ManagedBy(obj, "kubectl-rollout", "Update");
    REQUIRE(fs != nullptr);
    CHECK(At(*fs, {"f:spec", "f:template", "f:metadata", "f:annotations",
                   "f:kubectl.kubernetes.io/restartedAt"}) != nullptr);
    CHECK(At(obj, {"spec", "template", "metadata", "annotations",
                   "kubectl.kubernetes.io/restartedAt"}) != nullptr);
    CHECK(Generation(obj) == "2");
  }
  SECTION("replace -f and create -f") {
    auto cm = f.KubectlOk({"get", "cm", "web-config", "-n", "shop", "-o", "json"});
    std::string text = cm.out;
    const auto at = text.find("\"hello\"");
    REQUIRE(at != std::string::npos);
    text.replace(at, 7, "\"bonjour\"");
    WriteFileForTest(f.box.dir() / "cm.json", text);
    f.KubectlOk({"replace", "-f", f.box.Path("cm.json")});
    auto obj = f.GetJson({"get", "cm", "web-config", "-n", "shop"});
    INFO(Dump(obj));
    const Value* fs = ManagedBy(obj, "kubectl-replace", "Update");
    REQUIRE(fs != nullptr);
    CHECK(At(*fs, {"f:data", "f:greeting"}) != nullptr);

    WriteFileForTest(f.box.dir() / "new.yaml",
                     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: "
                     "shop\ndata:\n  k: v\n");
    f.KubectlOk({"create", "-f", f.box.Path("new.yaml")});
    auto created = f.GetJson({"get", "cm", "extra", "-n", "shop"});
    INFO(Dump(created));
    const Value* cfs = ManagedBy(created, "kubectl-create", "Update");
    REQUIRE(cfs != nullptr);
    CHECK(At(*cfs, {"f:data", "f:k"}) != nullptr);
  }
}

// kube-apiserver bumps metadata.generation on any spec change, the /scale subresource included
// (the Deployment strategy's PrepareForUpdate runs for scale updates too).
TEST_CASE("kubectl scale increments the Deployment generation", "[sim][kubectl]") {
  Fixture f;
  DeployApp(f);
  f.KubectlOk({"scale", "deploy/web", "-n", "shop", "--replicas=5"});
  auto obj = f.GetJson({"get", "deploy", "web", "-n", "shop"});
  CHECK(At(obj, {"spec", "replicas"})->text() == "5");
  CHECK(Generation(obj) == "2");
}

TEST_CASE("kubectl get variants, errors and SSA conflicts", "[sim][kubectl]") {
  Fixture f;
  DeployApp(f);
  auto all = f.KubectlOk({"get", "deploy", "-A"});
  CHECK(Contains(all.out, "NAMESPACE"));
  CHECK(Contains(all.out, "shop"));
  auto sel =
      f.KubectlOk({"get", "cm,svc,deploy", "-n", "shop", "-l", "app.kubernetes.io/name=web"});
  INFO(sel.out);
  CHECK(Contains(sel.out, "web-config"));
  CHECK(Contains(sel.out, "service/web"));
  auto yaml = f.KubectlOk({"get", "deploy", "web", "-n", "shop", "-o", "yaml"});
  CHECK(Contains(yaml.out, "kind: Deployment"));
  CHECK(Contains(yaml.out, "image: nginx:1.25"));
  auto names = f.KubectlOk({"get", "cm", "-n", "shop", "-o", "name"});
  CHECK(Contains(names.out, "configmap/web-config"));

  f.KubectlOk({"delete", "configmap", "web-config", "-n", "shop"});
  auto gone = f.Kubectl({"get", "configmap", "web-config", "-n", "shop"});
  CHECK(gone.exit_code == 1);
  CHECK(Contains(gone.err, R"(Error from server (NotFound): configmaps "web-config" not found)"));

  auto dup = f.Kubectl({"create", "namespace", "shop"});
  CHECK(dup.exit_code == 1);
  CHECK(Contains(dup.err, "AlreadyExists"));

  f.KubectlOk({"scale", "deploy/web", "-n", "shop", "--replicas=4"});
  std::string changed = kDeployment;
  changed.replace(changed.find("replicas: 2"), 11, "replicas: 3");
  WriteFileForTest(f.box.dir() / "conflict" / "deployment.yaml", changed);
  auto conflict = f.Kubectl({"apply", "--server-side", "--field-manager=argocd-controller", "-f",
                             f.box.Path("conflict")});
  INFO(conflict.Describe());
  CHECK(conflict.exit_code == 1);
  CHECK(Contains(conflict.err + conflict.out, "conflict"));
  auto forced = f.Kubectl({"apply", "--server-side", "--field-manager=argocd-controller",
                           "--force-conflicts", "-f", f.box.Path("conflict")});
  INFO(forced.Describe());
  CHECK(forced.exit_code == 0);
  auto obj = f.GetJson({"get", "deploy", "web", "-n", "shop"});
  CHECK(At(obj, {"spec", "replicas"})->text() == "3");
}

TEST_CASE("kubectl get -w sees a scale", "[sim][kubectl]") {
  Fixture f;
  DeployApp(f);
  f.KubectlOk({"get", "deploy", "-n", "shop"});  // warm the discovery cache
  const std::string out_file = f.box.Path("watch.out");
  std::vector<std::string> args = {"timeout", "5",      kKubectl, "--server", f.sim.url(),
                                   "get",     "deploy", "-n",     "shop",     "-w"};
  std::vector<char*> argv;
  for (auto& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  auto env = f.box.Env();
  std::vector<char*> envp;
  for (auto& e : env) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  REQUIRE(posix_spawnp(&pid, "timeout", &actions, nullptr, argv.data(), envp.data()) == 0);
  posix_spawn_file_actions_destroy(&actions);
  // Wait until the initial row is printed, then scale.
  for (int i = 0; i < 60 && ReadFileForTest(out_file).find("web") == std::string::npos; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  f.KubectlOk({"scale", "deploy/web", "-n", "shop", "--replicas=3"});
  int status = 0;
  waitpid(pid, &status, 0);
  const std::string out = ReadFileForTest(out_file);
  INFO(out);
  std::size_t rows = 0;
  for (std::size_t pos = out.find("\nweb "); pos != std::string::npos;
       pos = out.find("\nweb ", pos + 1)) {
    ++rows;
  }
  CHECK(rows >= 2);
}

// A namespace with cm0..cm2 (plus whatever the server adds, e.g. kube-root-ca.crt).
void SeedConfigMaps(Fixture& f) {
  f.KubectlOk({"create", "namespace", "shop"});
  for (int i = 0; i < 3; ++i) {
    f.KubectlOk(
        {"create", "configmap", "cm" + std::to_string(i), "-n", "shop", "--from-literal=k=v"});
  }
}

constexpr const char* kCmPath = "/api/v1/namespaces/shop/configmaps";

std::vector<std::string> ItemNames(const Value& list) {
  std::vector<std::string> names;
  if (const Value* items = list.Find("items"); items != nullptr) {
    for (const auto& i : items->items()) {
      names.emplace_back(At(i, {"metadata"})->GetString("name"));
    }
  }
  return names;
}

TEST_CASE("kube-sim paging keeps one resourceVersion and expires after compaction",
          "[sim][kubectl]") {
  Fixture f;
  SeedConfigMaps(f);
  const int port = f.sim.port();
  const std::string base = kCmPath;
  auto full = ParseJsonForTest(Http(port, "GET", base).body);
  const std::size_t total = ItemNames(full).size();
  REQUIRE(total >= 3);

  auto p1 = Http(port, "GET", base + "?limit=1");
  REQUIRE(p1.status == 200);
  auto j1 = ParseJsonForTest(p1.body);
  const std::string rv = std::string(At(j1, {"metadata"})->GetString("resourceVersion"));
  const std::string cont = std::string(At(j1, {"metadata"})->GetString("continue"));
  REQUIRE(!cont.empty());
  REQUIRE(At(j1, {"metadata", "remainingItemCount"}) != nullptr);
  CHECK(At(j1, {"metadata", "remainingItemCount"})->text() == std::to_string(total - 1));
  auto p2 = Http(port, "GET", base + "?limit=1&continue=" + cont);
  REQUIRE(p2.status == 200);
  auto j2 = ParseJsonForTest(p2.body);
  CHECK(At(j2, {"metadata"})->GetString("resourceVersion") == rv);
  REQUIRE(At(j2, {"metadata", "remainingItemCount"}) != nullptr);
  CHECK(At(j2, {"metadata", "remainingItemCount"})->text() == std::to_string(total - 2));
  const std::string cont2 = std::string(At(j2, {"metadata"})->GetString("continue"));
  REQUIRE(!cont2.empty());

  // Some writes, then compaction: the old token and an old watch resourceVersion are gone.
  f.KubectlOk({"create", "configmap", "late", "-n", "shop", "--from-literal=k=v"});
  REQUIRE(Http(port, "POST", "/_sim/compact").status == 200);
  auto p3 = Http(port, "GET", base + "?limit=1&continue=" + cont2);
  INFO(p3.head << "\n" << p3.body);
  CHECK(p3.status == 410);
  CHECK(Contains(p3.body, "Expired"));

  auto w = Http(port, "GET", base + "?watch=true&resourceVersion=" + rv + "&timeoutSeconds=2");
  INFO(w.head << "\n" << w.body);
  CHECK(w.status == 200);
  CHECK(Contains(w.body, R"("type":"ERROR")"));
  CHECK(Contains(w.body, R"("code":410)"));
}

// A real server serves every page of a paged LIST from the snapshot of the first page (etcd
// revision in the continue token): a create in between shows neither in items nor in
// remainingItemCount.
TEST_CASE("kube-sim paging is snapshot-consistent across a concurrent write", "[sim][kubectl]") {
  Fixture f;
  SeedConfigMaps(f);
  const int port = f.sim.port();
  const std::string base = kCmPath;
  const auto expected = ItemNames(ParseJsonForTest(Http(port, "GET", base).body));
  auto j = ParseJsonForTest(Http(port, "GET", base + "?limit=1").body);
  std::vector<std::string> seen = ItemNames(j);
  f.KubectlOk({"create", "configmap", "late", "-n", "shop", "--from-literal=k=v"});
  for (int page = 0; page < 10; ++page) {
    const std::string cont = std::string(At(j, {"metadata"})->GetString("continue"));
    if (cont.empty()) {
      break;
    }
    j = ParseJsonForTest(Http(port, "GET", base + "?limit=1&continue=" + cont).body);
    if (page == 0) {
      const Value* remaining = At(j, {"metadata", "remainingItemCount"});
      REQUIRE(remaining != nullptr);
      CHECK(remaining->text() == std::to_string(expected.size() - 2));
    }
    for (auto& n : ItemNames(j)) {
      seen.push_back(n);
    }
  }
  CHECK(seen == expected);
}

// With count=1 the single faulted reply must be the 429 itself (with Retry-After).
TEST_CASE("kube-sim fault 429 with Retry-After, count=1", "[sim][kubectl]") {
  Fixture f;
  SeedConfigMaps(f);
  const int port = f.sim.port();
  REQUIRE(Http(port, "POST", "/_sim/fault?status=429&retryAfter=2&count=1").status == 200);
  auto r1 = Http(port, "GET", kCmPath);
  INFO(r1.head << "\n" << r1.body);
  CHECK(r1.status == 429);
  CHECK(Header(r1, "Retry-After") == "2");
  auto r2 = Http(port, "GET", kCmPath);
  CHECK(r2.status == 200);
}

TEST_CASE("kube-sim fault 429 with Retry-After, count=2, then recovery", "[sim][kubectl]") {
  Fixture f;
  SeedConfigMaps(f);
  const int port = f.sim.port();
  REQUIRE(Http(port, "POST", "/_sim/fault?status=429&retryAfter=2&count=2").status == 200);
  auto r1 = Http(port, "GET", kCmPath);
  INFO(r1.head << "\n" << r1.body);
  CHECK(r1.status == 429);
  CHECK(Header(r1, "Retry-After") == "2");
  Http(port, "GET", kCmPath);  // the second (last) faulted request
  CHECK(Http(port, "GET", kCmPath).status == 200);
  REQUIRE(Http(port, "POST", "/_sim/fault?status=503&count=5").status == 200);
  CHECK(Http(port, "GET", kCmPath).status == 503);
  REQUIRE(Http(port, "POST", "/_sim/fault?clear=true").status == 200);
  CHECK(Http(port, "GET", kCmPath).status == 200);
}

TEST_CASE("kube-sim watches: drop-watches and watch-list bookmarks", "[sim][kubectl]") {
  Fixture f({"--bookmark-interval-ms", "200"});
  SeedConfigMaps(f);
  const int port = f.sim.port();
  const std::string base = kCmPath;

  SECTION("drop-watches closes an open stream") {
    const int fd = Connect(port);
    SendRequest(fd, "GET", base + "?watch=true");
    std::string raw;
    ReadFor(fd, raw, 3s, "\"ADDED\"");
    CHECK(Contains(raw, "ADDED"));
    REQUIRE(Http(port, "POST", "/_sim/drop-watches").status == 200);
    const bool closed = ReadFor(fd, raw, 3s);
    CHECK(closed);
    close(fd);
  }
  SECTION("watch-list: initial events then the initial-events-end bookmark") {
    const int fd = Connect(port);
    SendRequest(fd, "GET",
                base +
                    "?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&"
                    "resourceVersionMatch=NotOlderThan");
    std::string raw;
    ReadFor(fd, raw, 4s, "initial-events-end");
    close(fd);
    INFO(raw);
    const auto added = raw.find("\"ADDED\"");
    const auto bookmark = raw.find("\"BOOKMARK\"");
    CHECK(added != std::string::npos);
    CHECK(bookmark != std::string::npos);
    CHECK(added < bookmark);
    CHECK(Contains(raw, "k8s.io/initial-events-end"));
  }
}

TEST_CASE("kubectl over TLS with a bearer token", "[sim][kubectl]") {
  if (FindProgramForTest("openssl").empty()) {
    WARN("openssl CLI absent: TLS test skipped");
    return;
  }
  CliSandbox keys;
  auto gen = keys.Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                       keys.Path("key.pem"), "-out", keys.Path("cert.pem"), "-days", "1", "-subj",
                       "/CN=kube-sim", "-addext", "subjectAltName=IP:127.0.0.1"});
  INFO(gen.Describe());
  REQUIRE(gen.exit_code == 0);
  Fixture f({"--tls-cert", keys.Path("cert.pem"), "--tls-key", keys.Path("key.pem"), "--token",
             "s3cret"});
  REQUIRE(f.sim.url().rfind("https://", 0) == 0);
  auto kubeconfig = [&](const std::string& token) {
    const std::string path = f.box.Path("kubeconfig-" + token);
    WriteFileForTest(path,
                     "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n"
                     "    server: " +
                         f.sim.url() + "\n    certificate-authority: " + keys.Path("cert.pem") +
                         "\nusers:\n- name: u\n  user:\n    token: " + token +
                         "\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n"
                         "    user: u\ncurrent-context: sim\n");
    return path;
  };
  auto ok = f.Kubectl({"--kubeconfig", kubeconfig("s3cret"), "get", "ns"}, "none");
  INFO(ok.Describe());
  CHECK(ok.exit_code == 0);
  CHECK(Contains(ok.out, "default"));
  auto bad = f.Kubectl({"--kubeconfig", kubeconfig("wrong"), "get", "ns"}, "none");
  INFO(bad.Describe());
  CHECK(bad.exit_code == 1);
  CHECK(Contains(bad.err, "You must be logged in to the server (Unauthorized)"));
}

TEST_CASE("kube-sim --state keeps objects across a restart", "[sim][kubectl]") {
  CliSandbox state_dir;
  const std::string state = state_dir.Path("state.json");
  {
    Fixture f({"--state", state});
    f.KubectlOk({"create", "namespace", "shop"});
    f.KubectlOk({"create", "configmap", "kept", "-n", "shop", "--from-literal=a=b"});
    CHECK(f.sim.Stop());
  }
  Fixture g({"--state", state});
  auto r = g.KubectlOk({"get", "configmap", "kept", "-n", "shop", "-o", "json"});
  auto obj = ParseJsonForTest(r.out);
  CHECK(At(obj, {"data", "a"})->text() == "b");
}

TEST_CASE("kube-sim status churn writes status only, through /status", "[sim][kubectl]") {
  Fixture f;
  DeployApp(f);
  const int port = f.sim.port();
  const Value before = f.GetJson({"get", "deploy", "web", "-n", "shop"});
  REQUIRE(Http(port, "POST", "/_sim/churn?rate=400").status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  REQUIRE(Http(port, "POST", "/_sim/churn?rate=0").status == 200);
  const Value after = f.GetJson({"get", "deploy", "web", "-n", "shop"});
  CHECK(StringAt(*after.Find("metadata"), "resourceVersion") !=
        StringAt(*before.Find("metadata"), "resourceVersion"));
  // Spec and generation untouched; the writer is the controller, through the subresource.
  CHECK(*after.Find("spec") == *before.Find("spec"));
  CHECK(Generation(after) == Generation(before));
  CHECK(ManagedBy(after, "kube-controller-manager", "Update", "status") != nullptr);
  CHECK(At(after, {"status", "conditions"}) != nullptr);
}

}  // namespace
}  // namespace plumbline::testing
