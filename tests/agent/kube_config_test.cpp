// Kubeconfig and in-cluster settings, exec credential plugins, and the errors for bad files.
// Files live in a temporary sandbox; the environment is injected, never read.
#include <chrono>
#include <map>
#include <optional>
#include <string>

#ifndef PLUMBLINE_BIN
#define PLUMBLINE_BIN "plumbline"
#endif
#include "plumbline/agent/kube_config.h"

#include "cli/cli_support.h"

namespace plumbline::testing {
namespace {

using agent::ClusterConfig;
using agent::ClusterConfigOptions;
using agent::CredentialProvider;
using agent::LoadClusterConfig;

bool HasText(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// An injected environment.
std::function<std::optional<std::string>(const std::string&)> Env(
    std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

constexpr const char* kCaPem = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";

std::string Config(const std::string& user_lines, const std::string& cluster_lines = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
         "clusters:\n- name: c1\n  cluster:\n    server: https://k8s.example.com:6443/prefix/\n" +
         cluster_lines +
         "- name: c2\n  cluster:\n    server: http://127.0.0.1:8080\n"
         "users:\n- name: u1\n  user:\n" +
         user_lines +
         "- name: u2\n  user:\n    token: other\n"
         "contexts:\n- name: main\n  context:\n    cluster: c1\n    user: u1\n"
         "    namespace: shop\n- name: second\n  context:\n    cluster: c2\n    user: u2\n";
}

TEST_CASE("kubeconfig: server, context, inline data and files", "[agent][kubeconfig]") {
  CliSandbox box;
  WriteFileForTest(box.Path("ca.crt"), kCaPem);
  WriteFileForTest(box.Path("client.crt"), "CERT");
  WriteFileForTest(box.Path("client.key"), "KEY");

  SECTION("inline data and a token, current-context") {
    const std::string path = box.Path("inline.yaml");
    WriteFileForTest(
        path, Config("    token: abc\n    client-certificate-data: " + Base64ForTest("CERT") +
                         "\n    client-key-data: " + Base64ForTest("KEY") + "\n",
                     "    certificate-authority-data: " + Base64ForTest(kCaPem) +
                         "\n    tls-server-name: api.internal\n"));
    auto c = LoadClusterConfig({path, "", "", {}});
    INFO((c ? "" : c.error().message));
    REQUIRE(c);
    CHECK(c->tls);
    CHECK(c->host == "k8s.example.com");
    CHECK(c->port == "6443");
    CHECK(c->base_path == "/prefix");
    CHECK(c->tls_server_name == "api.internal");
    CHECK(c->ca_pem == kCaPem);
    CHECK(c->client_cert_pem == "CERT");
    CHECK(c->client_key_pem == "KEY");
    CHECK(c->token == "abc");
    CHECK(c->namespace_ == "shop");
    CHECK_FALSE(c->in_cluster);
    CHECK(HasText(c->origin, "context main"));
  }
  SECTION("files relative to the kubeconfig, --context") {
    const std::string path = box.Path("files.yaml");
    WriteFileForTest(path, Config("    client-certificate: client.crt\n    client-key: " +
                                      box.Path("client.key") + "\n",
                                  "    certificate-authority: ca.crt\n"
                                  "    insecure-skip-tls-verify: true\n"));
    auto c = LoadClusterConfig({path, "", "", {}});
    INFO((c ? "" : c.error().message));
    REQUIRE(c);
    CHECK(c->ca_pem == kCaPem);
    CHECK(c->client_cert_pem == "CERT");
    CHECK(c->client_key_pem == "KEY");
    CHECK(c->insecure_skip_tls_verify);
    auto second = LoadClusterConfig({path, "second", "", {}});
    REQUIRE(second);
    CHECK_FALSE(second->tls);
    CHECK(second->host == "127.0.0.1");
    CHECK(second->port == "8080");
    CHECK(second->token == "other");
    CHECK(second->namespace_.empty());
  }
  SECTION("tokenFile is read at request time and re-read when due") {
    WriteFileForTest(box.Path("token"), "first\n");
    const std::string path = box.Path("tf.yaml");
    WriteFileForTest(path, Config("    tokenFile: token\n"));
    auto c = LoadClusterConfig({path, "", "", {}});
    REQUIRE(c);
    CHECK(c->token_file == box.Path("token"));
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    CredentialProvider p(*c, std::chrono::minutes(1), [&now] { return now; });
    REQUIRE(p.Get());
    CHECK(p.Get()->bearer_token == "first");
    WriteFileForTest(box.Path("token"), "second");
    CHECK(p.Get()->bearer_token == "first");  // not due yet
    now += std::chrono::seconds(61);
    CHECK(p.Get()->bearer_token == "second");
    WriteFileForTest(box.Path("token"), "third");
    CHECK(p.Invalidate());  // after a 401
    CHECK(p.Get()->bearer_token == "third");
    // An unreadable file later keeps the last good token.
    std::filesystem::remove(box.Path("token"));
    now += std::chrono::seconds(61);
    REQUIRE(p.Get());
    CHECK(p.Get()->bearer_token == "third");
  }
  SECTION("$KUBECONFIG lists are merged, first file wins; ~/.kube/config is the default") {
    WriteFileForTest(box.Path("a.yaml"),
                     "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
                     "clusters:\n- name: c\n  cluster:\n"
                     "    server: http://first:1\n");
    WriteFileForTest(box.Path("b.yaml"),
                     "apiVersion: v1\nkind: Config\ncurrent-context: y\n"
                     "clusters:\n- name: c\n  cluster:\n    server: http://second:2\n"
                     "contexts:\n- name: x\n  context:\n    cluster: c\n");
    auto c =
        LoadClusterConfig({"", "", "",
                           Env({{"KUBECONFIG", box.Path("missing.yaml") + ":" + box.Path("a.yaml") +
                                                   ":" + box.Path("b.yaml")}})});
    INFO((c ? "" : c.error().message));
    REQUIRE(c);
    CHECK(c->host == "first");
    std::filesystem::create_directories(box.Path("home/.kube"));
    WriteFileForTest(box.Path("home/.kube/config"), Config("    token: home\n"));
    auto home = LoadClusterConfig({"", "", "", Env({{"HOME", box.Path("home")}})});
    REQUIRE(home);
    CHECK(home->token == "home");
  }
}

TEST_CASE("kubeconfig errors name the file and the key", "[agent][kubeconfig]") {
  CliSandbox box;
  auto error_of = [&](const std::string& text, const std::string& context = "") {
    const std::string path = box.Path("bad.yaml");
    WriteFileForTest(path, text);
    auto c = LoadClusterConfig({path, context, "", {}});
    REQUIRE_FALSE(c);
    return c.error().message;
  };
  const std::string path = box.Path("bad.yaml");
  auto e = error_of(Config("    client-certificate: nope.crt\n    client-key: nope.key\n"));
  CHECK(HasText(e, "kubeconfig " + path + ": users[u1].user.client-certificate: open " +
                       box.Path("nope.crt")));
  e = error_of(Config("    token: a\n", "    certificate-authority-data: '%%%'\n"));
  CHECK(HasText(e, "clusters[c1].cluster.certificate-authority-data: not valid base64"));
  e = error_of(Config("    tokenFile: /nonexistent/token\n"));
  CHECK(HasText(e, "users[u1].user.tokenFile: open /nonexistent/token"));
  e = error_of(Config("    token: a\n"), "nope");
  CHECK(HasText(e, "context 'nope' not found"));
  e = error_of("clusters: [\n");
  CHECK(HasText(e, "kubeconfig " + path + ": line"));
  e = error_of(Config("    client-certificate-data: " + Base64ForTest("C") + "\n"));
  CHECK(HasText(e, "users[u1].user.client-key: missing"));
  e =
      error_of(Config("    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n"
                      "      command: x\n"));
  CHECK(HasText(e, "users[u1].user.exec.apiVersion"));
  e = error_of("apiVersion: v1\nkind: Config\n");
  CHECK(HasText(e, "no current-context"));
  auto missing = LoadClusterConfig({box.Path("absent.yaml"), "", "", {}});
  REQUIRE_FALSE(missing);
  CHECK(HasText(missing.error().message, "kubeconfig: open " + box.Path("absent.yaml")));
  auto nothing = LoadClusterConfig({"", "", "", Env({{"HOME", box.Path("nohome")}})});
  REQUIRE_FALSE(nothing);
  CHECK(HasText(nothing.error().message, "no cluster configured"));
}

TEST_CASE("in-cluster settings from the service account folder", "[agent][kubeconfig]") {
  CliSandbox box;
  const std::string sa = box.Path("sa");
  std::filesystem::create_directories(sa);
  WriteFileForTest(sa + "/token", "sa-token-1\n");
  WriteFileForTest(sa + "/ca.crt", kCaPem);
  WriteFileForTest(sa + "/namespace", "plumbline\n");
  const auto env = Env({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                        {"KUBERNETES_SERVICE_PORT", "443"},
                        {"HOME", box.Path("nohome")}});
  auto c = LoadClusterConfig({"", "", sa, env});
  INFO((c ? "" : c.error().message));
  REQUIRE(c);
  CHECK(c->in_cluster);
  CHECK(c->server == "https://10.96.0.1:443");
  CHECK(c->ca_pem == kCaPem);
  CHECK(c->namespace_ == "plumbline");
  CHECK(c->token_file == sa + "/token");
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CredentialProvider p(*c, std::chrono::minutes(1), [&now] { return now; });
  CHECK(p.Get()->bearer_token == "sa-token-1");
  WriteFileForTest(sa + "/token", "sa-token-2\n");  // the kubelet rotated it
  now += std::chrono::minutes(1);
  CHECK(p.Get()->bearer_token == "sa-token-2");

  auto v6 = agent::LoadInClusterConfig(
      {"", "", sa,
       Env({{"KUBERNETES_SERVICE_HOST", "fd00::1"}, {"KUBERNETES_SERVICE_PORT", "443"}})});
  REQUIRE(v6);
  CHECK(v6->server == "https://[fd00::1]:443");
  CHECK(v6->host == "fd00::1");

  std::filesystem::remove(sa + "/ca.crt");
  auto bad = LoadClusterConfig({"", "", sa, env});
  REQUIRE_FALSE(bad);
  CHECK(HasText(bad.error().message, "in-cluster: ca.crt: open " + sa + "/ca.crt"));
  auto outside = agent::LoadInClusterConfig({"", "", sa, Env({})});
  REQUIRE_FALSE(outside);
  CHECK(HasText(outside.error().message, "KUBERNETES_SERVICE_HOST"));
}

TEST_CASE("exec credential plugins (v1 and v1beta1)", "[agent][kubeconfig]") {
  CliSandbox box;
  // The plugin records how it was run and prints an ExecCredential.
  const std::string plugin = box.Path("plugin.sh");
  WriteFileForTest(plugin,
                   "#!/bin/sh\n"
                   "echo \"$KUBERNETES_EXEC_INFO\" > \"$OUT_DIR/info.json\"\n"
                   "echo \"$@\" > \"$OUT_DIR/args\"\n"
                   "n=$(cat \"$OUT_DIR/count\" 2>/dev/null || echo 0); n=$((n+1)); "
                   "echo $n > \"$OUT_DIR/count\"\n"
                   "cat <<JSON\n"
                   "{\"apiVersion\":\"$API\",\"kind\":\"ExecCredential\",\"status\":"
                   "{\"token\":\"tok-$n\",\"expirationTimestamp\":\"$EXP\"}}\n"
                   "JSON\n");
  std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
  const std::string api = GENERATE(std::string("client.authentication.k8s.io/v1"),
                                   std::string("client.authentication.k8s.io/v1beta1"));
  INFO(api);
  const std::string path = box.Path("exec.yaml");
  WriteFileForTest(path, Config("    exec:\n      apiVersion: " + api +
                                "\n      command: ./plugin.sh\n      args: [get-token, --x]\n"
                                "      provideClusterInfo: true\n"
                                "      env:\n      - name: OUT_DIR\n        value: " +
                                box.dir().string() + "\n      - name: API\n        value: " + api +
                                "\n      - name: EXP\n        value: 2026-01-02T03:04:05Z\n"));
  auto c = LoadClusterConfig({path, "", "", {}});
  INFO((c ? "" : c.error().message));
  REQUIRE(c);
  REQUIRE(c->exec);
  CHECK(c->exec->command == box.Path("./plugin.sh"));
  auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
  auto expiry = agent::ParseRfc3339("2026-01-02T03:04:05Z");
  REQUIRE(expiry);
  now = *expiry - std::chrono::minutes(5);
  CredentialProvider p(*c, std::chrono::minutes(1), {}, [&now] { return now; });
  auto first = p.Get();
  INFO((first ? "" : first.error().message));
  REQUIRE(first);
  CHECK(first->bearer_token == "tok-1");
  CHECK(p.Get()->bearer_token == "tok-1");  // cached until it expires
  CHECK(p.exec_runs() == 1);
  std::ifstream info_file(box.Path("info.json"));
  std::string info((std::istreambuf_iterator<char>(info_file)), std::istreambuf_iterator<char>());
  CHECK(HasText(info, "\"apiVersion\":\"" + api + "\""));
  CHECK(HasText(info, "\"kind\":\"ExecCredential\""));
  CHECK(HasText(info, "\"server\":\"https://k8s.example.com:6443/prefix/\""));
  std::ifstream args_file(box.Path("args"));
  std::string args((std::istreambuf_iterator<char>(args_file)), std::istreambuf_iterator<char>());
  CHECK(args == "get-token --x\n");
  now = *expiry;  // expired
  CHECK(p.Get()->bearer_token == "tok-2");
  CHECK(p.Invalidate());  // a 401
  CHECK(p.Get()->bearer_token == "tok-3");
  CHECK(p.exec_runs() == 3);
}

TEST_CASE("exec plugin failures are clear", "[agent][kubeconfig]") {
  CliSandbox box;
  const std::string path = box.Path("exec.yaml");
  SECTION("missing plugin, with the install hint") {
    WriteFileForTest(path, Config("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                  "      command: plumbline-no-such-plugin\n"
                                  "      installHint: install it from example.com\n"));
    auto c = LoadClusterConfig({path, "", "", {}});
    REQUIRE(c);
    CredentialProvider p(*c);
    auto r = p.Get();
    REQUIRE_FALSE(r);
    CHECK(HasText(r.error().message, "exec plugin plumbline-no-such-plugin: exit status 127"));
    CHECK(HasText(r.error().message, "install it from example.com"));
  }
  SECTION("bad output") {
    WriteFileForTest(box.Path("bad.sh"), "#!/bin/sh\necho '{\"kind\":\"Nope\"}'\n");
    std::filesystem::permissions(box.Path("bad.sh"), std::filesystem::perms::owner_all);
    WriteFileForTest(path, Config("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                  "      command: " +
                                  box.Path("bad.sh") + "\n"));
    auto c = LoadClusterConfig({path, "", "", {}});
    REQUIRE(c);
    CredentialProvider p(*c);
    auto r = p.Get();
    REQUIRE_FALSE(r);
    CHECK(HasText(r.error().message, "ExecCredential: kind is 'Nope'"));
  }
  SECTION("RFC 3339 parsing") {
    auto t = agent::ParseRfc3339("1970-01-01T00:01:00.5+00:01");
    REQUIRE(t);
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count() ==
          500);
    CHECK_FALSE(agent::ParseRfc3339("2026-13-01T00:00:00Z"));
    CHECK_FALSE(agent::ParseRfc3339("yesterday"));
  }
}

}  // namespace
}  // namespace plumbline::testing
