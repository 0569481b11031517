#include <string>
#include <utility>

#include <catch2/catch.hpp>
#include <simdjson.h>

#include "plumbline/exporters/slack_sink.h"

#include "exporters/test_support.h"

namespace plumbline::exporters {
namespace {

using namespace plumbline::testing;

std::string Text(simdjson::dom::element e) {
  std::string_view v;
  if (e.get(v) != simdjson::SUCCESS) {
    return "<absent>";
  }
  return std::string(v);
}

// Checks Slack's documented limits on a message; returns all section texts joined.
std::string CheckLimits(const std::string& json, std::size_t* block_count) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  CHECK_FALSE(Text(doc["text"]).empty());
  CHECK(Text(doc["text"]).size() <= 3000);
  simdjson::dom::array blocks;
  REQUIRE(doc["blocks"].get(blocks) == simdjson::SUCCESS);
  *block_count = blocks.size();
  CHECK(blocks.size() <= 50);
  std::string all;
  for (auto b : blocks) {
    const std::string type = Text(b["type"]);
    if (type == "header") {
      CHECK(Text(b["text"]["type"]) == "plain_text");
      CHECK(Text(b["text"]["text"]).size() <= 150);
    } else if (type == "section") {
      CHECK(Text(b["text"]["type"]) == "mrkdwn");
      const std::string t = Text(b["text"]["text"]);
      CHECK(t.size() <= 3000);
      all += t + "\n";
    } else if (type == "context") {
      simdjson::dom::array elements;
      REQUIRE(b["elements"].get(elements) == simdjson::SUCCESS);
      CHECK(elements.size() <= 10);
    } else {
      CHECK(type == "divider");
    }
  }
  return all;
}

TEST_CASE("Slack: a message a person can act on", "[exporters][slack]") {
  auto e = MakeEvent("0123abcd");
  e->changes.push_back({"/data/password", "\"hmac:1a2b\"", "\"hmac:9f8e\"",
                        EventActor{"kubectl-edit", "Update", "2026-11-23T16:58:00Z", ""}});
  e->message = "image changed by <kubectl-set> & more";
  std::size_t blocks = 0;
  const std::string json = SlackMessageJson({e}, SlackOptions{});
  const std::string text = CheckLimits(json, &blocks);
  CHECK(text.find("Deployment shop/web modified") != std::string::npos);
  CHECK(text.find("`prod-eu-1`") != std::string::npos);             // cluster
  CHECK(text.find("Git revision `3f2c1a9`") != std::string::npos);  // target revision
  CHECK(text.find("`/spec/replicas`: `3` → `5` by *kubectl-scale*") != std::string::npos);
  CHECK(text.find("at 2026-11-23T16:59:00Z") != std::string::npos);            // when
  CHECK(text.find("`\"hmac:1a2b\"` → `\"hmac:9f8e\"`") != std::string::npos);  // masked values
  CHECK(text.find("```--- git") != std::string::npos);                         // diff excerpt
  CHECK(text.find("&lt;kubectl-set&gt; &amp; more") != std::string::npos);     // escaped
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  CHECK(Text(doc["text"]).find("Deployment shop/web modified") != std::string::npos);

  auto resolved = MakeEvent("r", EventType::kResolved);
  const std::string rjson = SlackMessageJson({resolved}, SlackOptions{});
  CHECK(CheckLimits(rjson, &blocks).find("back in sync") != std::string::npos);
}

TEST_CASE("Slack: limits hold for huge events and bursts", "[exporters][slack]") {
  auto big = MakeEvent("big");
  big->diff = std::string(20000, 'x') + "```" + std::string(100, 'y');
  for (int i = 0; i < 200; ++i) {
    big->changes.push_back({"/metadata/labels/l" + std::to_string(i), std::string(500, 'g'),
                            std::string(500, 'l'), std::nullopt});
  }
  std::vector<std::shared_ptr<const DriftEvent>> burst;
  for (int i = 0; i < 30; ++i) {
    burst.push_back(i == 0 ? big : MakeEvent("e" + std::to_string(i)));
  }
  std::size_t blocks = 0;
  const std::string text = CheckLimits(SlackMessageJson(burst, SlackOptions{}), &blocks);
  CHECK(blocks <= 50);
  CHECK(text.find("more events not shown") != std::string::npos);
  CHECK(text.find("…and ") != std::string::npos);  // changes cut with a count
}

TEST_CASE("Slack: a burst becomes one message; 429 Retry-After honoured", "[exporters][slack]") {
  asio::io_context io;
  TestReceiver receiver(io);
  receiver.Script({{429, "1", "rate_limited"}});
  receiver.default_reply = {200, "", "ok"};
  RecordingTelemetry telemetry;
  SlackOptions options;
  options.name = "team";
  options.webhook_url = receiver.Url("/services/T000/B000/XXXX");
  options.grouping.window = 150ms;
  options.retry.initial_backoff = 20ms;
  auto sink = SlackSink::Create(io, options, telemetry);
  REQUIRE(sink);
  CHECK((*sink)->name() == "slack:team");
  for (int i = 0; i < 5; ++i) {
    (*sink)->Publish(MakeEvent("s" + std::to_string(i), EventType::kDrifted, "Deployment", "shop",
                               "web-" + std::to_string(i)));
  }
  REQUIRE(RunUntil(
      io, [&] { return receiver.Accepted() == 1; }, 4000ms));
  REQUIRE(receiver.requests.size() == 2);
  CHECK(receiver.requests[1].at - receiver.requests[0].at >= 950ms);
  CHECK(receiver.requests[1].body == receiver.requests[0].body);
  CHECK(receiver.requests[1].Header("content-type") == "application/json; charset=utf-8");
  std::size_t blocks = 0;
  const std::string text = CheckLimits(receiver.requests[1].body, &blocks);
  for (int i = 0; i < 5; ++i) {
    CHECK(text.find("shop/web-" + std::to_string(i)) != std::string::npos);
  }
  // The receiver records a request before it answers: wait for the sink to see the answer.
  CHECK(RunUntil(io, [&] { return telemetry.sent["slack:team"] == 5; }));
  (*sink)->Close();
  REQUIRE(RunUntil(io, [&] { return (*sink)->finished(); }));
}

}  // namespace
}  // namespace plumbline::exporters
