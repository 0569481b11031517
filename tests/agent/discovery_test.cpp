// Discovery against kube-sim: aggregated and legacy give the same map of kinds to resources, and
// a CRD created at run time is found after a refresh, then watched.
#include <string>
#include <utility>  // before Asio (asio#944)

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#ifndef PLUMBLINE_BIN
#define PLUMBLINE_BIN "plumbline"
#endif
#include "plumbline/agent/api_client.h"
#include "plumbline/agent/discovery.h"
#include "plumbline/agent/reflector.h"

#include "agent/agent_test_util.h"
#include "cli/cli_support.h"
#include "support/kube_sim.h"
#include "support/recording_handler.h"

namespace plumbline::testing {
namespace {

using agent::ApiClient;
using agent::Discovery;

constexpr const char* kWidgetCrd = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    kind: Widget
    plural: widgets
    singular: widget
    listKind: WidgetList
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
)";

void CheckCoreKinds(const Discovery& d) {
  const auto* cm = d.Find("", "ConfigMap");
  REQUIRE(cm != nullptr);
  CHECK(cm->resource == "configmaps");
  CHECK(cm->version == "v1");
  CHECK(cm->namespaced);
  CHECK(cm->Label() == "/v1/configmaps");
  const auto* ns = d.Find("", "Namespace");
  REQUIRE(ns != nullptr);
  CHECK_FALSE(ns->namespaced);
  const auto* deploy = d.Find("apps", "Deployment");
  REQUIRE(deploy != nullptr);
  CHECK(deploy->resource == "deployments");
  CHECK(deploy->Label() == "apps/v1/deployments");
  const auto* hpa = d.Find("autoscaling", "v2", "HorizontalPodAutoscaler");
  REQUIRE(hpa != nullptr);
  CHECK(hpa->resource == "horizontalpodautoscalers");
  const auto* crb = d.Find("rbac.authorization.k8s.io", "ClusterRoleBinding");
  REQUIRE(crb != nullptr);
  CHECK_FALSE(crb->namespaced);
  auto missing = d.Lookup("example.com", "Widget");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message ==
        "no served resource lists and watches kind Widget in group "
        "example.com");
}

TEST_CASE("Discovery maps kinds to resources, aggregated or legacy", "[agent][discovery]") {
  Fixture f;
  asio::io_context io;
  ApiClient client(io.get_executor(), ConfigFor(f.sim.url()));
  Discovery aggregated(client);
  auto st = RunCoroutine(io, aggregated.Refresh());
  REQUIRE(st.has_value());
  INFO((*st ? "" : st->error().message));
  REQUIRE(*st);
  CHECK(aggregated.aggregated());
  CheckCoreKinds(aggregated);

  Discovery legacy(client, /*use_aggregated=*/false);
  auto lst = RunCoroutine(io, legacy.Refresh());
  REQUIRE(lst.has_value());
  INFO((*lst ? "" : lst->error().message));
  REQUIRE(*lst);
  CHECK_FALSE(legacy.aggregated());
  CheckCoreKinds(legacy);
  std::size_t watchable_a = 0;
  for (const auto& r : aggregated.resources()) {
    watchable_a += r.Watchable() ? 1U : 0U;
  }
  std::size_t watchable_l = 0;
  for (const auto& r : legacy.resources()) {
    watchable_l += r.Watchable() ? 1U : 0U;
  }
  CHECK(watchable_a == watchable_l);
  CHECK(watchable_a > 20);
}

TEST_CASE("Discovery finds a CRD created later and a reflector watches its objects",
          "[agent][discovery]") {
  Fixture f;
  asio::io_context io;
  ApiClient client(io.get_executor(), ConfigFor(f.sim.url()));
  Discovery discovery(client);
  REQUIRE(RunCoroutine(io, discovery.Refresh()).value());
  CHECK(discovery.Find("example.com", "Widget") == nullptr);

  WriteFileForTest(f.box.Path("crd.yaml"), kWidgetCrd);
  f.KubectlOk({"apply", "-f", f.box.Path("crd.yaml")});
  // 429 once: discovery retries after the Retry-After.
  REQUIRE(Http(f.sim.port(), "POST", "/_sim/fault?status=429&retryAfter=1&count=1").status == 200);
  auto st = RunCoroutine(io, discovery.Refresh());
  REQUIRE(st.has_value());
  INFO((*st ? "" : st->error().message));
  REQUIRE(*st);
  CHECK(discovery.refreshes() == 2);
  auto widget = discovery.Lookup("example.com", "Widget");
  REQUIRE(widget);
  CHECK(widget->resource == "widgets");
  CHECK(widget->version == "v1");
  CHECK(widget->namespaced);

  WriteFileForTest(f.box.Path("w.yaml"),
                   "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n"
                   "  namespace: default\nspec:\n  size: 3\n");
  f.KubectlOk({"apply", "-f", f.box.Path("w.yaml")});
  RecordingHandler handler;
  agent::ReflectorOptions options;
  options.backoff.initial = std::chrono::milliseconds(50);
  agent::Reflector reflector(client, *widget, handler, options);
  bool done = false;
  asio::co_spawn(io, reflector.Run(), [&done](const std::exception_ptr&) { done = true; });
  REQUIRE(RunUntil(io, [&] { return reflector.synced(); }));
  CHECK(handler.objects.count("default/w1") == 1);
  f.KubectlOk({"delete", "widget", "w1"});
  REQUIRE(RunUntil(io, [&] { return handler.Count("DELETED", "default/w1") == 1; }));
  reflector.Stop();
  REQUIRE(RunUntil(io, [&] { return done; }));
}

}  // namespace
}  // namespace plumbline::testing
