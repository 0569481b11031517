// Spool: the collector's durable on-disk queue (docs/delivery.md, "Spool").
//
// A directory of append-only segment files "<20-digit sequence>.seg", each opening with the
// 8-byte magic "PLSPOOL1" and holding records:
//   u32 magic 0x52504C50 | u32 length | u32 CRC-32C over (length bytes, payload) | payload
// (integers little-endian). A file "ack" holds the cursor: the segment and offset just past the
// last record the collector acknowledged, with its own CRC; it is replaced atomically (rename).
//
// Durability: each Append is one write(2) of the whole record, so a process crash (SIGKILL
// included) loses nothing Append returned for. Sync() (fdatasync) makes it survive a power loss;
// the collector calls it every SpoolOptions::fsync_interval (0: after every append), on segment
// roll and on Close.
// Corruption: a record whose magic, length or CRC is wrong, a truncated tail and a segment
// without the magic are reported (Telemetry::Error("spool", reason) and a log line) and skipped;
// the scan resynchronises on the next record magic. Never fatal.
// Bound: when the segments would exceed max_bytes, the oldest segment is deleted and its
// unacknowledged records are counted as dropped (DeliveryDropped(sink, "spool_full", n)).
// At start the spool indexes every unacknowledged record (about 24 bytes of memory each) and
// begins a new segment for appends.
//
// Threading: not thread-safe; the collector uses it on the io thread only. One process per
// directory (not locked: the agent runs once per spool).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "plumbline/common/result.h"
#include "plumbline/common/telemetry.h"

namespace plumbline::exporters {

struct SpoolOptions {
  std::string dir;                                 // created when missing (required)
  std::uint64_t max_bytes = 256ULL << 20;          // all segments together
  std::uint64_t segment_bytes = 8ULL << 20;        // a segment is rolled once it reaches this
  std::chrono::milliseconds fsync_interval{1000};  // 0: fdatasync after every append
};

class Spool {
 public:
  struct Record {
    std::uint64_t segment = 0;
    std::uint64_t offset = 0;  // of the record header
    std::uint32_t length = 0;  // payload bytes
  };
  struct Batch {
    std::vector<std::string> payloads;
    Record last;  // the last record read (valid when payloads is not empty)
  };

  // Opens or creates the spool. Errors (kIo) only when the directory cannot be created or
  // written; corrupt content is reported through `telemetry` and skipped. `sink` names the
  // owner in telemetry and logs.
  static Result<std::unique_ptr<Spool>> Open(SpoolOptions options, Telemetry& telemetry,
                                             std::string sink);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Appends one record (one write(2)); may drop the oldest segment to stay within max_bytes.
  // Errors: kIo (disk full, ...), kLimitExceeded (record larger than a segment may hold).
  Status Append(std::string_view payload);
  // fdatasync of the active segment when it has unsynced appends.
  Status Sync();
  bool dirty() const { return dirty_; }

  // Reads the oldest unacknowledged records, up to `max_records` and about `max_bytes` (at
  // least one record). A record that fails its CRC now is reported and skipped.
  Batch Peek(std::size_t max_records, std::size_t max_bytes);
  // Acknowledges the records of a Peek, by position (records the size bound dropped meanwhile
  // are not counted twice): they are never read again, here or after a restart. Deletes
  // segments that hold nothing unacknowledged.
  Status Ack(const Batch& batch);

  std::size_t pending() const { return index_.size(); }
  std::uint64_t bytes() const { return total_bytes_; }
  const SpoolOptions& options() const { return options_; }

 private:
  struct Segment {
    std::uint64_t seq = 0;
    std::uint64_t size = 0;
  };
  Spool(SpoolOptions options, Telemetry& telemetry, std::string sink);
  Status Load();
  void Scan(const Segment& segment, std::uint64_t from);
  Status StartSegment();
  void DropOldest();
  void DeleteAcknowledgedSegments();
  Status WriteAck();
  void Corrupt(const char* reason, std::uint64_t seq, std::uint64_t offset);
  std::string SegmentPath(std::uint64_t seq) const;

  SpoolOptions options_;
  Telemetry& telemetry_;
  std::string sink_;
  std::deque<Segment> segments_;  // by sequence; the last one is active
  std::deque<Record> index_;      // unacknowledged records, oldest first
  std::uint64_t total_bytes_ = 0;
  std::uint64_t ack_segment_ = 0;
  std::uint64_t ack_offset_ = 0;
  int active_fd_ = -1;
  int lock_fd_ = -1;  // flock(LOCK_EX) on DIR/lock while open
  bool dirty_ = false;
};

}  // namespace plumbline::exporters
