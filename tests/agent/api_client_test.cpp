// ApiClient against kube-sim (plain and TLS with a token) and a scripted FakeApiServer: keep-alive,
// CA and host checks, token files and exec plugins after a 401, the QPS limiter, body bounds,
// streamed lines split across chunks, cancellation.
#include <chrono>
#include <string>
#include <utility>  // before Asio (asio#944)
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#ifndef PLUMBLINE_BIN
#define PLUMBLINE_BIN "plumbline"
#endif
#include "plumbline/agent/api_client.h"
#include "plumbline/agent/kube_config.h"
#include "plumbline/agent/reflector.h"

#include "agent/agent_test_util.h"
#include "cli/cli_support.h"
#include "support/fake_api_server.h"
#include "support/kube_sim.h"
#include "support/recording_handler.h"

namespace plumbline::testing {
namespace {

using agent::ApiClient;
using agent::ApiClientOptions;
using agent::ApiResponse;
using agent::RequestOptions;
using Response = Result<ApiResponse>;

bool HasText(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

struct CountingTelemetry : Telemetry {
  struct Request {
    std::string verb;
    std::string resource;
    int code;
  };
  void ApiRequest(std::string_view verb, std::string_view resource, int code,
                  double /*seconds*/) override {
    requests.push_back({std::string(verb), std::string(resource), code});
  }
  std::vector<Request> requests;
};

Response Get(asio::io_context& io, ApiClient& client, const std::string& target,
             RequestOptions o = {}) {
  auto r = RunCoroutine(io, client.Get(target, std::move(o)));
  REQUIRE(r.has_value());
  return std::move(*r);
}

class Lines : public agent::LineHandler {
 public:
  Status OnLine(std::string_view line, std::int64_t received) override {
    lines.emplace_back(line);
    CHECK(received > 0);
    return Status::Ok();
  }
  std::vector<std::string> lines;
};

TEST_CASE("ApiClient GETs over one keep-alive connection and reports each request",
          "[agent][api_client]") {
  Fixture f;
  asio::io_context io;
  CountingTelemetry telemetry;
  ApiClient client(io.get_executor(), ConfigFor(f.sim.url()), {}, telemetry);
  for (int i = 0; i < 3; ++i) {
    auto r = Get(io, client, "/version");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(HasText(r->body, "\"gitVersion\""));
    CHECK(HasText(r->Header("content-type"), "application/json"));
  }
  CHECK(client.connections_opened() == 1);
  RequestOptions o;
  o.verb = "list";
  o.resource = "/v1/configmaps";
  auto missing = Get(io, client, "/api/v1/namespaces/nope/configmaps/x", o);
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(HasText(missing->body, "\"reason\":\"NotFound\""));
  REQUIRE(telemetry.requests.size() == 4);
  CHECK(telemetry.requests[0].verb == "get");
  CHECK(telemetry.requests[0].resource == "other");
  CHECK(telemetry.requests[3].verb == "list");
  CHECK(telemetry.requests[3].resource == "/v1/configmaps");
  CHECK(telemetry.requests[3].code == 404);

  // A server that went away: a clear transport error.
  const std::string url = f.sim.url();
  f.sim.Stop();
  client.CloseIdle();
  auto down = Get(io, client, "/version");
  REQUIRE_FALSE(down);
  CHECK(down.error().code == ErrorCode::kUnavailable);
  CHECK(HasText(down.error().message, "connect 127.0.0.1:"));
  CHECK(telemetry.requests.back().code == 0);
}

TEST_CASE("ApiClient bounds response bodies", "[agent][api_client]") {
  Fixture f;
  f.KubectlOk({"create", "configmap", "big", "--from-literal=v=" + std::string(5000, 'x')});
  asio::io_context io;
  ApiClientOptions options;
  options.max_body_bytes = 4096;
  ApiClient client(io.get_executor(), ConfigFor(f.sim.url()), options);
  auto r = Get(io, client, "/api/v1/namespaces/default/configmaps/big");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::kLimitExceeded);
  auto small = Get(io, client, "/version");
  REQUIRE(small);
  CHECK(small->status == 200);
}

TEST_CASE("ApiClient retries a 429 or 503 after its Retry-After", "[agent][api_client]") {
  Fixture f;
  asio::io_context io;
  ApiClient client(io.get_executor(), ConfigFor(f.sim.url()));
  REQUIRE(Http(f.sim.port(), "POST", "/_sim/fault?status=503&retryAfter=1&count=1").status == 200);
  const auto start = std::chrono::steady_clock::now();
  auto r = Get(io, client, "/api/v1/namespaces");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(950));
  // Without retries (or with a Retry-After over a minute) the answer comes back.
  REQUIRE(Http(f.sim.port(), "POST", "/_sim/fault?status=429&retryAfter=1&count=1").status == 200);
  RequestOptions o;
  o.retry_after_retries = 0;
  auto throttled = Get(io, client, "/api/v1/namespaces", o);
  REQUIRE(throttled);
  CHECK(throttled->status == 429);
  CHECK(throttled->RetryAfter() == std::chrono::seconds(1));
  REQUIRE(Http(f.sim.port(), "POST", "/_sim/fault?status=429&retryAfter=120&count=1").status ==
          200);
  auto long_wait = Get(io, client, "/api/v1/namespaces");
  REQUIRE(long_wait);
  CHECK(long_wait->status == 429);
}

TEST_CASE("ApiClient's QPS limit paces requests after the burst", "[agent][api_client]") {
  Fixture f;
  asio::io_context io;
  ApiClientOptions options;
  options.qps = 20;
  options.burst = 2;
  ApiClient client(io.get_executor(), ConfigFor(f.sim.url()), options);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 12; ++i) {
    REQUIRE(Get(io, client, "/version"));
  }
  const auto took = std::chrono::steady_clock::now() - start;
  // 2 at once, then 10 at 20/s.
  CHECK(took >= std::chrono::milliseconds(480));
  CHECK(took < std::chrono::milliseconds(2000));
}

TEST_CASE("ApiClient over TLS: CA, host name, token, token file and exec plugin",
          "[agent][api_client][tls]") {
  if (FindProgramForTest("openssl").empty()) {
    WARN("openssl CLI absent: TLS test skipped");
    return;
  }
  CliSandbox keys;
  auto make_cert = [&](const std::string& name, const std::string& san) {
    auto gen = keys.Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                         keys.Path(name + ".key"), "-out", keys.Path(name + ".pem"), "-days", "1",
                         "-subj", "/CN=kube-sim", "-addext", "subjectAltName=" + san});
    INFO(gen.Describe());
    REQUIRE(gen.exit_code == 0);
  };
  make_cert("server", "IP:127.0.0.1,DNS:kube-sim.test");
  make_cert("other", "IP:127.0.0.1");
  Fixture f({"--tls-cert", keys.Path("server.pem"), "--tls-key", keys.Path("server.key"), "--token",
             "s3cret"});
  REQUIRE(f.sim.url().rfind("https://", 0) == 0);
  asio::io_context io;
  auto client_for = [&](const std::string& cluster, const std::string& user) {
    const std::string path = keys.Path("kubeconfig");
    WriteFileForTest(path, KubeconfigFor(f.sim.url(), cluster, user));
    auto c = agent::LoadClusterConfig({path, "", "", {}});
    INFO((c ? "" : c.error().message));
    REQUIRE(c);
    return std::make_unique<ApiClient>(io.get_executor(), *c);
  };
  const std::string ca = "    certificate-authority: " + keys.Path("server.pem") + "\n";

  SECTION("the right CA and token") {
    auto client = client_for(ca, "    token: s3cret\n");
    auto r = Get(io, *client, "/api/v1/namespaces");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(HasText(r->body, "kube-system"));
    REQUIRE(Get(io, *client, "/api/v1/namespaces"));
    CHECK(client->connections_opened() == 1);
  }
  SECTION("a wrong token is a 401 response") {
    auto client = client_for(ca, "    token: wrong\n");
    auto r = Get(io, *client, "/api/v1/namespaces");
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  SECTION("another CA fails the handshake") {
    auto client = client_for("    certificate-authority: " + keys.Path("other.pem") + "\n",
                             "    token: s3cret\n");
    auto r = Get(io, *client, "/api/v1/namespaces");
    REQUIRE_FALSE(r);
    CHECK(HasText(r.error().message, "TLS handshake with 127.0.0.1:"));
    CHECK(HasText(r.error().message, "certificate verify failed"));
  }
  SECTION("the certificate must name the host (tls-server-name)") {
    auto good = client_for(ca + "    tls-server-name: kube-sim.test\n", "    token: s3cret\n");
    auto ok = Get(io, *good, "/version");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    auto bad = client_for(ca + "    tls-server-name: elsewhere.test\n", "    token: s3cret\n");
    auto r = Get(io, *bad, "/version");
    REQUIRE_FALSE(r);
    CHECK(HasText(r.error().message, "certificate verify failed"));
  }
  SECTION("insecure-skip-tls-verify and a client certificate") {
    auto client =
        client_for("    insecure-skip-tls-verify: true\n",
                   "    token: s3cret\n    client-certificate: " + keys.Path("other.pem") +
                       "\n    client-key: " + keys.Path("other.key") + "\n");
    auto r = Get(io, *client, "/api/v1/namespaces");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  SECTION("a rotated token file is re-read after a 401") {
    WriteFileForTest(keys.Path("token"), "old-token\n");
    auto client = client_for(ca, "    tokenFile: " + keys.Path("token") + "\n");
    auto r = Get(io, *client, "/api/v1/namespaces");
    REQUIRE(r);
    CHECK(r->status == 401);
    WriteFileForTest(keys.Path("token"), "s3cret\n");
    auto again = Get(io, *client, "/api/v1/namespaces");
    REQUIRE(again);
    CHECK(again->status == 200);
  }
  SECTION("a reflector over TLS with a token") {
    auto client = client_for(ca, "    token: s3cret\n");
    RecordingHandler handler;
    agent::Reflector reflector(
        *client, agent::ApiResource{"", "v1", "configmaps", "ConfigMap", true}, handler);
    bool done = false;
    asio::co_spawn(io, reflector.Run(), [&done](const std::exception_ptr&) { done = true; });
    REQUIRE(RunUntil(io, [&] { return reflector.synced(); }));
    auto created = f.Kubectl({"--kubeconfig", keys.Path("kubeconfig"), "create", "configmap",
                              "over-tls", "--from-literal=a=b"},
                             "none");
    INFO(created.Describe());
    REQUIRE(created.exit_code == 0);
    REQUIRE(RunUntil(io, [&] { return handler.Count("ADDED", "default/over-tls") == 1; }));
    reflector.Stop();
    REQUIRE(RunUntil(io, [&] { return done; }));
  }
  SECTION("an exec plugin's token, run again after a 401") {
    const std::string plugin = keys.Path("plugin.sh");
    WriteFileForTest(plugin, "#!/bin/sh\nn=$(cat " + keys.Path("runs") +
                                 " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " +
                                 keys.Path("runs") +
                                 "\nif [ $n -eq 1 ]; then t=stale; else t=s3cret; fi\n"
                                 "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\","
                                 "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"'$t'\"}}'\n");
    std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);
    auto client = client_for(ca,
                             "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                             "      command: " +
                                 plugin + "\n");
    auto r = Get(io, *client, "/api/v1/namespaces");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(client->exec_runs() == 2);
    REQUIRE(Get(io, *client, "/api/v1/namespaces"));
    CHECK(client->exec_runs() == 2);
  }
}

TEST_CASE("ApiClient streams lines split across chunks and reads, and bounds them",
          "[agent][api_client]") {
  asio::io_context io;
  const std::string big(2u << 20, 'b');  // one 2 MiB line, sent in three chunks
  FakeApiServer server(io, [&big](const std::string& target) -> FakeApiServer::Script {
    if (target.rfind("/rejected", 0) == 0) {
      return {FakeApiServer::Response(422, R"({"kind":"Status","code":422})")};
    }
    return {FakeApiServer::ChunkedHead(),
            FakeApiServer::Chunk("{\"a\":1}\n{\"b\""),
            FakeApiServer::Chunk(":2}\r\n\n{\"c\":"),
            FakeApiServer::Chunk("3}\n\"" + big.substr(0, 1000)),
            FakeApiServer::Chunk(big.substr(1000, 1u << 20)),
            FakeApiServer::Chunk(big.substr(1000 + (1u << 20)) + "\"\n{\"d\":4}"),
            FakeApiServer::LastChunk()};
  });
  SECTION("joined") {
    ApiClient client(io.get_executor(), ConfigFor(server.url()));
    Lines lines;
    auto r = RunCoroutine(io, client.Stream("/watch", &lines));
    REQUIRE(r.has_value());
    INFO((*r ? "" : r->error().message));
    REQUIRE(*r);
    CHECK((*r)->status == 200);
    REQUIRE(lines.lines.size() == 5);
    CHECK(lines.lines[0] == "{\"a\":1}");
    CHECK(lines.lines[1] == "{\"b\":2}");
    CHECK(lines.lines[2] == "{\"c\":3}");
    CHECK(lines.lines[3] == "\"" + big + "\"");
    CHECK(lines.lines[4] == "{\"d\":4}");  // the last line had no '\n'
  }
  SECTION("a line over the limit") {
    ApiClientOptions options;
    options.max_line_bytes = 1u << 20;
    ApiClient client(io.get_executor(), ConfigFor(server.url()), options);
    Lines lines;
    auto r = RunCoroutine(io, client.Stream("/watch", &lines));
    REQUIRE(r.has_value());
    REQUIRE_FALSE(*r);
    CHECK(r->error().code == ErrorCode::kLimitExceeded);
    CHECK(lines.lines.size() == 3);
  }
  SECTION("a non-200 answer is returned without lines") {
    ApiClient client(io.get_executor(), ConfigFor(server.url()));
    Lines lines;
    auto r = RunCoroutine(io, client.Stream("/rejected", &lines));
    REQUIRE(r.has_value());
    REQUIRE(*r);
    CHECK((*r)->status == 422);
    CHECK(HasText((*r)->body, "\"code\":422"));
    CHECK(lines.lines.empty());
  }
}

asio::awaitable<void> CancelAfter(agent::RequestCanceller* canceller,
                                  std::chrono::milliseconds delay) {
  asio::steady_timer t(co_await asio::this_coro::executor, delay);
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  canceller->Cancel();
}

TEST_CASE("ApiClient requests can be cancelled and Retry-After is read as seconds",
          "[agent][api_client]") {
  Fixture f;
  asio::io_context io;
  ApiClient client(io.get_executor(), ConfigFor(f.sim.url()));
  agent::RequestCanceller canceller;
  Lines lines;
  RequestOptions o;
  o.canceller = &canceller;
  asio::co_spawn(io, CancelAfter(&canceller, std::chrono::milliseconds(200)),
                 [](const std::exception_ptr&) {});
  const auto start = std::chrono::steady_clock::now();
  auto r = RunCoroutine(io, client.Stream("/api/v1/configmaps?watch=true", &lines, o));
  REQUIRE(r.has_value());
  REQUIRE_FALSE(*r);
  CHECK(HasText(r->error().message, "cancelled"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK_FALSE(lines.lines.empty());  // the current objects came first

  ApiResponse resp;
  resp.headers = {{"retry-after", " 7 "}};
  CHECK(resp.RetryAfter() == std::chrono::seconds(7));
  resp.headers = {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}};
  CHECK_FALSE(resp.RetryAfter());
  resp.headers = {};
  CHECK_FALSE(resp.RetryAfter());
}

}  // namespace
}  // namespace plumbline::testing
