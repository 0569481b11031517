#include "plumbline/exporters/spool.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include <catch2/catch.hpp>
#include <unistd.h>

#include "plumbline/exporters/crc32c.h"

#include "exporters/test_support.h"

namespace plumbline::exporters {
namespace {

namespace fs = std::filesystem;
using namespace plumbline::testing;

// A fresh directory under the temp dir, removed at the end.
struct TempDir {
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "plumbline-spool-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

std::vector<std::string> Segments(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<Spool> OpenSpool(const std::string& dir, Telemetry& telemetry,
                                 std::uint64_t max_bytes = 1 << 20,
                                 std::uint64_t segment_bytes = 64 * 1024) {
  SpoolOptions options;
  options.dir = dir;
  options.max_bytes = max_bytes;
  options.segment_bytes = segment_bytes;
  auto spool = Spool::Open(options, telemetry, "collector");
  REQUIRE(spool);
  return std::move(*spool);
}

std::string Rec(int i) { return "{\"id\":\"r" + std::to_string(i) + "\"}"; }

TEST_CASE("CRC-32C check values", "[exporters][spool]") {
  CHECK(Crc32c("123456789") == 0xE3069283U);
  CHECK(Crc32c("") == 0U);
  const std::string zeros(32, '\0');
  CHECK(Crc32c(zeros) == 0x8A9136AAU);  // RFC 3720 B.4
}

TEST_CASE("Spool: append, peek, ack, and a restart resumes after the cursor",
          "[exporters][spool]") {
  TempDir dir;
  RecordingTelemetry telemetry;
  {
    auto spool = OpenSpool(dir.path, telemetry);
    for (int i = 0; i < 5; ++i) {
      REQUIRE(spool->Append(Rec(i)));
    }
    CHECK(spool->pending() == 5);
    Spool::Batch batch = spool->Peek(3, 1 << 20);
    REQUIRE(batch.payloads.size() == 3);
    CHECK(batch.payloads[0] == Rec(0));
    CHECK(batch.payloads[2] == Rec(2));
    // Peek does not consume.
    CHECK(spool->Peek(1, 1 << 20).payloads[0] == Rec(0));
    REQUIRE(spool->Ack(batch));
    CHECK(spool->pending() == 2);
    REQUIRE(spool->Sync());
  }
  auto spool = OpenSpool(dir.path, telemetry);
  CHECK(spool->pending() == 2);
  REQUIRE(spool->Append(Rec(5)));
  Spool::Batch batch = spool->Peek(10, 1 << 20);
  CHECK(batch.payloads == std::vector<std::string>{Rec(3), Rec(4), Rec(5)});
  REQUIRE(spool->Ack(batch));
  CHECK(spool->pending() == 0);
  // Acknowledged segments are deleted; only the active one remains.
  CHECK(Segments(dir.path).size() == 1);
  CHECK(telemetry.errors.empty());
}

TEST_CASE("Spool: one process per folder", "[exporters][spool]") {
  TempDir dir;
  RecordingTelemetry telemetry;
  {
    auto first = OpenSpool(dir.path, telemetry);
    SpoolOptions options;
    options.dir = dir.path;
    auto second = Spool::Open(options, telemetry, "collector");
    REQUIRE_FALSE(second);
    CHECK(second.error().message.find("in use by another process") != std::string::npos);
    REQUIRE(first->Append(Rec(1)));
  }
  auto again = OpenSpool(dir.path, telemetry);  // the lock went with the first
  CHECK(again->pending() == 1);
}

TEST_CASE("Spool: max_bytes in a batch, at least one record", "[exporters][spool]") {
  TempDir dir;
  RecordingTelemetry telemetry;
  auto spool = OpenSpool(dir.path, telemetry);
  REQUIRE(spool->Append(std::string(100, 'a')));
  REQUIRE(spool->Append(std::string(100, 'b')));
  CHECK(spool->Peek(10, 50).payloads.size() == 1);
  CHECK(spool->Peek(10, 200).payloads.size() == 2);
}

TEST_CASE("Spool: damaged records and segments are reported and skipped", "[exporters][spool]") {
  TempDir dir;
  RecordingTelemetry telemetry;
  std::string segment;
  {
    auto spool = OpenSpool(dir.path, telemetry);
    for (int i = 0; i < 4; ++i) {
      REQUIRE(spool->Append(Rec(i)));
    }
    segment = Segments(dir.path).back();
  }
  const auto size = fs::file_size(segment);
  const std::uint64_t record = 12 + Rec(0).size();
  SECTION("a flipped payload byte in the middle") {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(8 + record + 12 + 3));
    f.put('X');
    f.close();
    auto spool = OpenSpool(dir.path, telemetry);
    CHECK(spool->Peek(10, 1 << 20).payloads == std::vector<std::string>{Rec(0), Rec(2), Rec(3)});
    CHECK(telemetry.errors["spool/corrupt_record"] == 1);
  }
  SECTION("a damaged length") {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(8 + 4));
    f.put('\x7f');
    f.close();
    auto spool = OpenSpool(dir.path, telemetry);
    CHECK(spool->Peek(10, 1 << 20).payloads == std::vector<std::string>{Rec(1), Rec(2), Rec(3)});
    CHECK(telemetry.errors["spool/corrupt_record"] == 1);
  }
  SECTION("a truncated tail (crash mid-write)") {
    fs::resize_file(segment, size - 5);
    auto spool = OpenSpool(dir.path, telemetry);
    CHECK(telemetry.errors["spool/truncated_record"] == 1);
    // Appends go to a new segment and come after the survivors.
    REQUIRE(spool->Append(Rec(9)));
    CHECK(spool->Peek(10, 1 << 20).payloads ==
          std::vector<std::string>{Rec(0), Rec(1), Rec(2), Rec(9)});
  }
  SECTION("a segment without its magic, and a damaged ack file") {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.write("GARBAGE!", 8);
    f.close();
    std::ofstream(dir.path + "/ack") << "nonsense";
    auto spool = OpenSpool(dir.path, telemetry);
    CHECK(spool->pending() == 0);
    CHECK(telemetry.errors["spool/bad_segment"] == 1);
    CHECK(telemetry.errors["spool/bad_ack"] == 1);
    REQUIRE(spool->Append(Rec(7)));
    CHECK(spool->Peek(10, 1 << 20).payloads == std::vector<std::string>{Rec(7)});
  }
  SECTION("a record damaged after it was indexed") {
    auto spool = OpenSpool(dir.path, telemetry);
    {
      std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(static_cast<std::streamoff>(8 + 12 + 2));
      f.put('Z');
    }
    Spool::Batch batch = spool->Peek(10, 1 << 20);
    CHECK(batch.payloads == std::vector<std::string>{Rec(1), Rec(2), Rec(3)});
    CHECK(telemetry.errors["spool/corrupt_record"] == 1);
    REQUIRE(spool->Ack(batch));
    CHECK(spool->pending() == 0);
  }
}

TEST_CASE("Spool: the size bound drops the oldest segment, counted", "[exporters][spool]") {
  TempDir dir;
  RecordingTelemetry telemetry;
  const std::string payload(1000, 'p');
  auto spool = OpenSpool(dir.path, telemetry, 64 * 1024, 16 * 1024);
  const int appended = 200;  // ~200 KB into a 64 KiB spool
  for (int i = 0; i < appended; ++i) {
    REQUIRE(spool->Append(payload + std::to_string(i)));
  }
  CHECK(spool->bytes() <= 64 * 1024);
  const auto dropped = telemetry.dropped["collector/spool_full"];
  CHECK(dropped > 0);
  CHECK(dropped + spool->pending() == appended);
  CHECK(telemetry.spool_bytes == spool->bytes());
  CHECK(telemetry.spool_capacity == 64 * 1024);
  // The newest survive, in order.
  Spool::Batch batch = spool->Peek(1000, 1 << 30);
  REQUIRE(!batch.payloads.empty());
  CHECK(batch.payloads.back() == payload + std::to_string(appended - 1));
  CHECK(batch.payloads.front() == payload + std::to_string(appended - batch.payloads.size()));
}

}  // namespace
}  // namespace plumbline::exporters

namespace plumbline::exporters {
namespace {

TEST_CASE("Spool: an ack after the bound dropped the peeked records loses nothing newer",
          "[exporters][spool]") {
  TempDir dir;
  RecordingTelemetry telemetry;
  const std::string payload(1000, 'q');
  auto spool = OpenSpool(dir.path, telemetry, 64 * 1024, 16 * 1024);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(spool->Append(payload + std::to_string(i)));
  }
  Spool::Batch in_flight = spool->Peek(5, 1 << 20);
  REQUIRE(in_flight.payloads.size() == 5);
  for (int i = 10; i < 200; ++i) {  // meanwhile the bound drops the oldest segments
    REQUIRE(spool->Append(payload + std::to_string(i)));
  }
  REQUIRE(telemetry.dropped["collector/spool_full"] > 10);
  const std::size_t pending = spool->pending();
  REQUIRE(spool->Ack(in_flight));
  CHECK(spool->pending() == pending);
  CHECK(spool->Peek(1, 1 << 20).payloads.front() == payload + std::to_string(200 - pending));
}

}  // namespace
}  // namespace plumbline::exporters
