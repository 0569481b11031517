#include <chrono>
#include <cstring>
#include <string>
#include <utility>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include "plumbline/exporters/cloudevents.h"
#include "plumbline/exporters/delivery.h"
#include "plumbline/exporters/http_sender.h"
#include "plumbline/exporters/webhook_sink.h"

#include "exporters/test_support.h"

namespace plumbline::exporters {
namespace {

using namespace plumbline::testing;

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get(v) != simdjson::SUCCESS) {
    return "<absent>";
  }
  return std::string(v);
}

WebhookOptions FastOptions(const TestReceiver& receiver) {
  WebhookOptions o;
  o.name = "ops";
  o.url = receiver.Url("/hook");
  o.retry.initial_backoff = 20ms;
  o.retry.max_backoff = 100ms;
  o.http.connect_timeout = 1000ms;
  o.http.request_timeout = 1000ms;
  o.queue.close_timeout = 500ms;
  return o;
}

// Closes the sink and runs the loop to its end, so nothing outlives the test's io_context.
void Finish(asio::io_context& io, WebhookSink& sink) {
  sink.Close();
  REQUIRE(RunUntil(
      io, [&] { return sink.finished(); }, 3000ms));
}

TEST_CASE("CloudEvent: structured JSON carries the 1.0 attributes", "[exporters][cloudevents]") {
  auto event = MakeEvent("0123456789abcdef0123456789abcdef");
  const std::string json = CloudEventJson(*event);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  CHECK(Str(doc, "specversion") == "1.0");
  CHECK(Str(doc, "id") == event->id);
  CHECK(Str(doc, "source") == "plumbline://prod-eu-1");
  CHECK(Str(doc, "type") == "dev.plumbline.drift.drifted");
  CHECK(Str(doc, "subject") == "apps/Deployment/shop/web");
  CHECK(Str(doc, "time") == "2026-11-23T17:00:00.123Z");
  CHECK(Str(doc, "datacontenttype") == "application/json");
  simdjson::dom::element data;
  REQUIRE(doc["data"].get(data) == simdjson::SUCCESS);
  CHECK(Str(data, "kind") == "DriftEvent");
  CHECK(Str(data, "id") == event->id);
  // data is exactly the event's own JSON form.
  CHECK(json.find(DriftEventToJson(*event)) != std::string::npos);

  CHECK(CloudEventType(EventType::kResolved) == "dev.plumbline.drift.resolved");
  CHECK(CloudEventType(EventType::kOrphan) == "dev.plumbline.drift.orphan");
  CHECK(CloudEventSource("a b/c") == "plumbline://a%20b%2Fc");

  const std::string batch = CloudEventBatchJson({MakeEvent("a"), MakeEvent("b")});
  simdjson::dom::array array;
  REQUIRE(parser.parse(batch).get(array) == simdjson::SUCCESS);
  CHECK(array.size() == 2);
}

TEST_CASE("Delivery helpers: globs, routes, Retry-After, URLs, recent ids", "[exporters]") {
  CHECK(GlobMatch("*", ""));
  CHECK(GlobMatch("prod-*", "prod-eu"));
  CHECK_FALSE(GlobMatch("prod-*", "staging"));
  CHECK(GlobMatch("*.apps", "Deployment.apps"));
  CHECK(GlobMatch("a?c", "abc"));
  CHECK_FALSE(GlobMatch("a?c", "ac"));

  RouteOptions route;
  route.kinds = {"Deployment.apps", "ConfigMap"};
  route.namespaces = {"shop", "prod-*"};
  route.drift_kinds = {"modified"};
  CHECK(RouteMatches(route, *MakeEvent("1")));
  CHECK(RouteMatches(route, *MakeEvent("2", EventType::kDrifted, "ConfigMap", "prod-a")));
  CHECK_FALSE(RouteMatches(route, *MakeEvent("3", EventType::kDrifted, "Secret")));
  CHECK_FALSE(RouteMatches(route, *MakeEvent("4", EventType::kDrifted, "ConfigMap", "dev")));
  CHECK_FALSE(RouteMatches(route, *MakeEvent("5", EventType::kMissing)));
  CHECK(RouteMatches(route, *MakeEvent("6", EventType::kResolved)));  // no drift kind
  CHECK_FALSE(RouteMatches(RouteOptions{}, *MakeEvent("7", EventType::kInfo)));

  CHECK(ParseRetryAfter("7", 0) == std::chrono::seconds(7));
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111770) == std::chrono::seconds(7));
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111790) == std::chrono::seconds(0));
  CHECK_FALSE(ParseRetryAfter("soon", 0));

  auto url = ParseUrl("https://[::1]:8443/api/v2/alerts?x=1");
  REQUIRE(url);
  CHECK(url->host == "::1");
  CHECK(url->port == 8443);
  CHECK(url->target == "/api/v2/alerts?x=1");
  CHECK(ParseUrl("http://collector")->port == 80);
  CHECK(ParseUrl("https://collector")->target == "/");
  CHECK_FALSE(ParseUrl("ftp://x"));
  CHECK_FALSE(ParseUrl("http://user:pw@x/"));
  CHECK_FALSE(ParseUrl("http://x:99999/"));

  RecentIds ids(2);
  CHECK(ids.Insert("a"));
  CHECK_FALSE(ids.Insert("a"));
  CHECK(ids.Insert("b"));
  CHECK(ids.Insert("c"));  // evicts a
  CHECK(ids.Insert("a"));

  RetryOptions retry;
  retry.initial_backoff = 100ms;
  retry.max_backoff = 1000ms;
  retry.jitter = 0.5;
  Backoff backoff(retry);
  for (int i = 0; i < 50; ++i) {
    const auto d1 = backoff.Delay(1);
    CHECK((d1 >= 50ms && d1 <= 100ms));
    const auto d5 = backoff.Delay(5);
    CHECK((d5 >= 500ms && d5 <= 1000ms));
  }
}

TEST_CASE("Webhook: one signed CloudEvent per POST", "[exporters][webhook]") {
  asio::io_context io;
  TestReceiver receiver(io);
  RecordingTelemetry telemetry;
  WebhookOptions options = FastOptions(receiver);
  options.hmac_secret = "s3cret";
  options.headers = {{"Authorization", "Bearer abc"}};
  auto sink = WebhookSink::Create(io, options, telemetry);
  REQUIRE(sink);
  CHECK((*sink)->name() == "webhook:ops");
  (*sink)->Publish(MakeEvent("e1"));
  (*sink)->Publish(MakeEvent("e2", EventType::kResolved));
  REQUIRE(RunUntil(io, [&] { return receiver.Accepted() == 2; }));
  for (const auto& r : receiver.requests) {
    CHECK(r.method == "POST");
    CHECK(r.target == "/hook");
    CHECK(r.Header("content-type") == "application/cloudevents+json; charset=utf-8");
    CHECK(r.Header("authorization") == "Bearer abc");
    // The signature, recomputed independently with OpenSSL over timestamp "." body.
    const std::string timestamp = r.Header("x-plumbline-timestamp");
    REQUIRE_FALSE(timestamp.empty());
    const std::string signed_text = timestamp + "." + r.body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), "s3cret", 6, reinterpret_cast<const unsigned char*>(signed_text.data()),
         signed_text.size(), mac, &len);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned i = 0; i < len; ++i) {
      std::snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    }
    CHECK(r.Header("x-plumbline-signature") == "sha256=" + std::string(hex, 2 * len));
    const auto age =
        std::chrono::system_clock::now().time_since_epoch() / 1s - std::stoll(timestamp);
    CHECK(age <= 5);
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(receiver.requests[1].body).get(doc) == simdjson::SUCCESS);
  CHECK(Str(doc, "id") == "e2");
  CHECK(Str(doc, "type") == "dev.plumbline.drift.resolved");
  CHECK(RunUntil(io, [&] { return telemetry.sent["webhook:ops"] == 2; }));
  Finish(io, **sink);
}

TEST_CASE("Webhook: 500 retried with backoff, 429 Retry-After honoured", "[exporters][webhook]") {
  asio::io_context io;
  TestReceiver receiver(io);
  receiver.Script({{500, "", "boom"}, {429, "1", ""}});
  RecordingTelemetry telemetry;
  auto sink = WebhookSink::Create(io, FastOptions(receiver), telemetry);
  REQUIRE(sink);
  (*sink)->Publish(MakeEvent("e1"));
  REQUIRE(RunUntil(
      io, [&] { return receiver.Accepted() == 1; }, 4000ms));
  REQUIRE(receiver.requests.size() == 3);
  // Retry-After: 1 was waited out, not the 20-100 ms backoff.
  CHECK(receiver.requests[2].at - receiver.requests[1].at >= 950ms);
  CHECK(receiver.requests[1].at - receiver.requests[0].at < 900ms);
  CHECK(telemetry.failed["webhook:ops/http_5xx"] == 1);
  CHECK(telemetry.failed["webhook:ops/http_429"] == 1);
  CHECK(telemetry.retried["webhook:ops"] == 2);
  CHECK(RunUntil(io, [&] { return telemetry.sent["webhook:ops"] == 1; }));
  Finish(io, **sink);
}

TEST_CASE("Webhook: a receiver that is down, then up, gets the events", "[exporters][webhook]") {
  asio::io_context io;
  TestReceiver receiver(io);
  receiver.SetDown(true);
  RecordingTelemetry telemetry;
  auto sink = WebhookSink::Create(io, FastOptions(receiver), telemetry);
  REQUIRE(sink);
  (*sink)->Publish(MakeEvent("e1"));
  (*sink)->Publish(MakeEvent("e2"));
  RunFor(io, 300ms);
  CHECK(receiver.requests.empty());
  CHECK(telemetry.failed["webhook:ops/network"] >= 1);
  receiver.SetDown(false);
  REQUIRE(RunUntil(io, [&] { return receiver.Accepted() == 2; }));
  CHECK(RunUntil(io, [&] { return telemetry.sent["webhook:ops"] == 2; }));
  CHECK(telemetry.dropped.empty());
  Finish(io, **sink);
}

TEST_CASE("Webhook: de-duplication, bounded queue, rejected and closed drops",
          "[exporters][webhook]") {
  asio::io_context io;
  TestReceiver receiver(io);
  RecordingTelemetry telemetry;
  SECTION("the same id twice is delivered once") {
    auto sink = WebhookSink::Create(io, FastOptions(receiver), telemetry);
    REQUIRE(sink);
    auto e = MakeEvent("same");
    (*sink)->Publish(e);
    (*sink)->Publish(e);
    (*sink)->Publish(MakeEvent("other"));
    REQUIRE(RunUntil(io, [&] { return receiver.Accepted() == 2; }));
    RunFor(io, 100ms);
    CHECK(receiver.requests.size() == 2);
    Finish(io, **sink);
  }
  SECTION("a full queue drops the oldest, counted") {
    WebhookOptions options = FastOptions(receiver);
    options.queue.max_events = 2;
    auto sink = WebhookSink::Create(io, options, telemetry);
    REQUIRE(sink);
    for (int i = 1; i <= 5; ++i) {
      (*sink)->Publish(MakeEvent("q" + std::to_string(i)));
    }
    CHECK(telemetry.dropped["webhook:ops/queue_full"] == 3);
    REQUIRE(RunUntil(io, [&] { return receiver.Accepted() == 2; }));
    CHECK(receiver.requests[0].body.find("\"id\":\"q4\"") != std::string::npos);
    CHECK(receiver.requests[1].body.find("\"id\":\"q5\"") != std::string::npos);
    Finish(io, **sink);
  }
  SECTION("a 400 is not retried") {
    receiver.default_reply = {400, "", "bad"};
    auto sink = WebhookSink::Create(io, FastOptions(receiver), telemetry);
    REQUIRE(sink);
    (*sink)->Publish(MakeEvent("bad"));
    REQUIRE(RunUntil(io, [&] { return telemetry.dropped["webhook:ops/rejected"] == 1; }));
    CHECK(receiver.requests.size() == 1);
    Finish(io, **sink);
  }
  SECTION("retries end after max_attempts") {
    receiver.default_reply = {503, "", ""};
    WebhookOptions options = FastOptions(receiver);
    options.retry.max_attempts = 3;
    auto sink = WebhookSink::Create(io, options, telemetry);
    REQUIRE(sink);
    (*sink)->Publish(MakeEvent("x"));
    REQUIRE(RunUntil(io, [&] { return telemetry.dropped["webhook:ops/retries_exhausted"] == 1; }));
    CHECK(receiver.requests.size() == 3);
    Finish(io, **sink);
  }
  SECTION("Close gives up on a dead receiver in bounded time") {
    receiver.SetDown(true);
    WebhookOptions options = FastOptions(receiver);
    options.retry.initial_backoff = 50ms;
    options.queue.close_timeout = 200ms;
    auto sink = WebhookSink::Create(io, options, telemetry);
    REQUIRE(sink);
    (*sink)->Publish(MakeEvent("a"));
    (*sink)->Publish(MakeEvent("b"));
    RunFor(io, 100ms);
    const auto start = std::chrono::steady_clock::now();
    (*sink)->Close();
    (*sink)->Publish(MakeEvent("late"));
    REQUIRE(RunUntil(
        io, [&] { return (*sink)->finished(); }, 2000ms));
    CHECK(std::chrono::steady_clock::now() - start < 1000ms);
    CHECK(telemetry.dropped["webhook:ops/closed"] == 3);
  }
}

TEST_CASE("Webhook: routing filter and batch grouping", "[exporters][webhook]") {
  asio::io_context io;
  TestReceiver receiver(io);
  RecordingTelemetry telemetry;
  WebhookOptions options = FastOptions(receiver);
  options.batch = true;
  options.grouping.window = 200ms;
  options.route.kinds = {"Deployment"};
  options.route.namespaces = {"shop"};
  auto sink = WebhookSink::Create(io, options, telemetry);
  REQUIRE(sink);
  const auto start = std::chrono::steady_clock::now();
  (*sink)->Publish(MakeEvent("b1"));
  (*sink)->Publish(MakeEvent("b2", EventType::kDrifted, "ConfigMap"));            // filtered out
  (*sink)->Publish(MakeEvent("b3", EventType::kDrifted, "Deployment", "other"));  // filtered out
  (*sink)->Publish(MakeEvent("b4", EventType::kMissing, "Deployment", "shop", "api"));
  (*sink)->Publish(MakeEvent("b5", EventType::kResolved));
  REQUIRE(RunUntil(io, [&] { return receiver.Accepted() == 1; }));
  CHECK(std::chrono::steady_clock::now() - start >= 190ms);
  RunFor(io, 300ms);
  REQUIRE(receiver.requests.size() == 1);
  const auto& r = receiver.requests[0];
  CHECK(r.Header("content-type") == "application/cloudevents-batch+json; charset=utf-8");
  simdjson::dom::parser parser;
  simdjson::dom::array array;
  REQUIRE(parser.parse(r.body).get(array) == simdjson::SUCCESS);
  std::vector<std::string> ids;
  for (auto e : array) {
    ids.push_back(Str(e, "id"));
  }
  CHECK(ids == std::vector<std::string>{"b1", "b4", "b5"});
  CHECK(telemetry.sent["webhook:ops"] == 3);
  Finish(io, **sink);
}

}  // namespace
}  // namespace plumbline::exporters
