// Test driver for the durability test: publishes events "ev-<FROM>".."ev-<TO-1>" into a
// CollectorSink with a spool, printing "published <i>" after each Publish() returned, so the
// test can SIGKILL it mid-way and restart it. With --drain it then waits until the collector
// acknowledged everything, prints "drained" and exits 0 (3 on a 30 s timeout).
//
//   collector_driver URL SPOOL_DIR FROM TO [--drain]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>

#include "plumbline/exporters/collector_sink.h"

#include "exporters/test_support.h"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  if (argc < 5) {
    std::fprintf(stderr, "usage: collector_driver URL SPOOL_DIR FROM TO [--drain]\n");
    return 2;
  }
  const int from = std::atoi(argv[3]);
  const int to = std::atoi(argv[4]);
  const bool drain = argc > 5 && std::string(argv[5]) == "--drain";
  boost::asio::io_context io;
  plumbline::exporters::CollectorOptions options;
  options.url = argv[1];
  options.bearer_token = "driver-token";
  options.spool.dir = argv[2];
  options.spool.segment_bytes = 16 * 1024;  // several segments
  options.spool.fsync_interval = 50ms;
  options.batch_delay = 20ms;
  options.max_batch_events = 50;
  options.retry.initial_backoff = 20ms;
  options.retry.max_backoff = 200ms;
  options.http.connect_timeout = 500ms;
  options.http.request_timeout = 2000ms;
  auto sink = plumbline::exporters::CollectorSink::Create(io, options, plumbline::NullTelemetry());
  if (!sink) {
    std::fprintf(stderr, "collector_driver: %s\n", sink.error().message.c_str());
    return 2;
  }
  for (int i = from; i < to; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "ev-%06d", i);
    (*sink)->Publish(plumbline::testing::MakeEvent(id, plumbline::EventType::kDrifted, "Deployment",
                                                   "shop", "web-" + std::to_string(i)));
    std::printf("published %d\n", i);
    std::fflush(stdout);
    io.run_for(2ms);
  }
  if (!drain) {
    io.run_for(60s);  // killed before this ends
    return 0;
  }
  const bool drained = plumbline::testing::RunUntil(
      io, [&] { return (*sink)->pending() == 0; }, 30s);
  std::printf(drained ? "drained\n" : "timeout\n");
  std::fflush(stdout);
  (*sink)->Close();
  plumbline::testing::RunUntil(
      io, [&] { return (*sink)->finished(); }, 5s);
  return drained ? 0 : 3;
}
