#include "plumbline/exporters/spool.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plumbline/exporters/crc32c.h"

#include "log.h"

namespace plumbline::exporters {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSegmentMagic = "PLSPOOL1";
constexpr std::uint64_t kSegmentHeader = 8;
constexpr std::uint32_t kRecordMagic = 0x52504C50;  // "PLPR" little-endian
constexpr std::uint64_t kRecordHeader = 12;
constexpr std::uint32_t kMaxRecord = 16U << 20;
constexpr std::size_t kAckSize = 20;

void PutU32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    p[i] = static_cast<char>((v >> (8 * i)) & 0xFFU);
  }
}
void PutU64(char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    p[i] = static_cast<char>((v >> (8 * i)) & 0xFFU);
  }
}
std::uint32_t GetU32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  }
  return v;
}
std::uint64_t GetU64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(p[i]);
  }
  return v;
}

// CRC over the length field and the payload, so a damaged length is caught too.
std::uint32_t RecordCrc(const char* length_field, const char* payload, std::size_t size) {
  return Crc32cExtend(Crc32cExtend(0, length_field, 4), payload, size);
}

Error IoError(const std::string& what, const std::string& path) {
  return MakeError(ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno));
}

bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool ReadFile(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  out.clear();
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      ::close(fd);
      return n == 0;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

void SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Spool::Spool(SpoolOptions options, Telemetry& telemetry, std::string sink)
    : options_(std::move(options)), telemetry_(telemetry), sink_(std::move(sink)) {}

Spool::~Spool() {
  if (active_fd_ >= 0) {
    (void)Sync();
    ::close(active_fd_);
  }
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock
  }
}

Result<std::unique_ptr<Spool>> Spool::Open(SpoolOptions options, Telemetry& telemetry,
                                           std::string sink) {
  if (options.dir.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "spool: dir is required");
  }
  // A segment must leave room for others under the bound, or dropping the oldest would empty it.
  options.max_bytes = std::max<std::uint64_t>(options.max_bytes, 64 * 1024);
  options.segment_bytes =
      std::clamp<std::uint64_t>(options.segment_bytes, 4096, options.max_bytes / 4);
  std::unique_ptr<Spool> spool(new Spool(std::move(options), telemetry, std::move(sink)));
  PLUMBLINE_RETURN_IF_ERROR(spool->Load());
  return spool;
}

std::string Spool::SegmentPath(std::uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.seg", static_cast<unsigned long long>(seq));
  return options_.dir + "/" + name;
}

void Spool::Corrupt(const char* reason, std::uint64_t seq, std::uint64_t offset) {
  telemetry_.Error("spool", reason);
  internal::Log()->warn("sink={} msg=\"spool damage skipped\" reason={} segment={} offset={}",
                        sink_, reason, SegmentPath(seq), offset);
}

Status Spool::Load() {
  std::error_code ec;
  fs::create_directories(options_.dir, ec);
  if (ec) {
    return MakeError(ErrorCode::kIo, "spool: create " + options_.dir + ": " + ec.message());
  }
  // One writer per folder: two agents appending to the same segments would corrupt each other
  // (two replicas on a shared volume, or a second agent started by mistake). The kernel drops
  // the lock when the process dies, SIGKILL included.
  const std::string lock_path = options_.dir + "/lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) {
    return MakeError(ErrorCode::kIo, "spool: open " + lock_path + ": " + std::strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return MakeError(ErrorCode::kIo, "spool: " + options_.dir +
                                         " is in use by another process (each agent needs its "
                                         "own spool folder)");
  }
  std::string ack;
  if (ReadFile(options_.dir + "/ack", ack)) {
    if (ack.size() == kAckSize &&
        GetU32(ack.data() + 16) == Crc32c(std::string_view(ack).substr(0, 16))) {
      ack_segment_ = GetU64(ack.data());
      ack_offset_ = GetU64(ack.data() + 8);
    } else {
      Corrupt("bad_ack", 0, 0);  // start from the oldest segment: at-least-once
    }
  }
  std::vector<std::uint64_t> seqs;
  for (const auto& entry : fs::directory_iterator(options_.dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 24 && name.substr(20) == ".seg" &&
        std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; })) {
      seqs.push_back(std::stoull(name.substr(0, 20)));
    }
  }
  if (ec) {
    return MakeError(ErrorCode::kIo, "spool: list " + options_.dir + ": " + ec.message());
  }
  std::sort(seqs.begin(), seqs.end());
  for (const std::uint64_t seq : seqs) {
    const std::string path = SegmentPath(seq);
    if (seq < ack_segment_) {
      ::unlink(path.c_str());  // fully acknowledged before the last stop
      continue;
    }
    Segment segment{seq, fs::file_size(path, ec)};
    if (ec) {
      return MakeError(ErrorCode::kIo, "spool: stat " + path + ": " + ec.message());
    }
    segments_.push_back(segment);
    total_bytes_ += segment.size;
    Scan(segment, seq == ack_segment_ ? std::max(ack_offset_, kSegmentHeader) : kSegmentHeader);
  }
  PLUMBLINE_RETURN_IF_ERROR(StartSegment());
  DeleteAcknowledgedSegments();
  while (total_bytes_ > options_.max_bytes && segments_.size() > 1) {
    DropOldest();
  }
  telemetry_.SpoolBytes(sink_, total_bytes_, options_.max_bytes);
  return Status::Ok();
}

void Spool::Scan(const Segment& segment, std::uint64_t from) {
  std::string data;
  if (!ReadFile(SegmentPath(segment.seq), data)) {
    Corrupt("unreadable_segment", segment.seq, 0);
    return;
  }
  if (data.size() < kSegmentHeader || std::string_view(data).substr(0, 8) != kSegmentMagic) {
    Corrupt("bad_segment", segment.seq, 0);
    return;
  }
  const std::uint64_t size = data.size();
  std::uint64_t offset = from;
  while (offset < size) {
    const char* p = data.data() + offset;
    bool truncated = size - offset < kRecordHeader;
    if (!truncated && GetU32(p) == kRecordMagic) {
      const std::uint32_t length = GetU32(p + 4);
      if (length <= kMaxRecord && offset + kRecordHeader + length <= size) {
        if (GetU32(p + 8) == RecordCrc(p + 4, p + kRecordHeader, length)) {
          index_.push_back({segment.seq, offset, length});
          offset += kRecordHeader + length;
          continue;
        }
      } else if (length <= kMaxRecord) {
        truncated = true;  // a record cut short, unless a later magic says otherwise
      }
    }
    // Resynchronise on the next record magic whose record checks out (or end here).
    std::uint64_t next = offset + 1;
    for (; next + kRecordHeader <= size; ++next) {
      if (GetU32(data.data() + next) == kRecordMagic) {
        break;
      }
    }
    if (next + kRecordHeader > size) {
      Corrupt(truncated ? "truncated_record" : "corrupt_record", segment.seq, offset);
      return;
    }
    Corrupt("corrupt_record", segment.seq, offset);
    offset = next;
  }
}

Status Spool::StartSegment() {
  if (active_fd_ >= 0) {
    PLUMBLINE_RETURN_IF_ERROR(Sync());
    ::close(active_fd_);
    active_fd_ = -1;
  }
  const std::uint64_t seq =
      std::max(ack_segment_, segments_.empty() ? 0 : segments_.back().seq) + 1;
  const std::string path = SegmentPath(seq);
  active_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (active_fd_ < 0) {
    return IoError("spool: create", path);
  }
  if (!WriteAll(active_fd_, kSegmentMagic.data(), kSegmentMagic.size())) {
    return IoError("spool: write", path);
  }
  ::fdatasync(active_fd_);
  SyncDir(options_.dir);  // the new file's name is durable before records go into it
  segments_.push_back({seq, kSegmentHeader});
  total_bytes_ += kSegmentHeader;
  return Status::Ok();
}

void Spool::DropOldest() {
  const Segment oldest = segments_.front();
  std::size_t dropped = 0;
  while (!index_.empty() && index_.front().segment == oldest.seq) {
    index_.pop_front();
    ++dropped;
  }
  ::unlink(SegmentPath(oldest.seq).c_str());
  segments_.pop_front();
  total_bytes_ -= oldest.size;
  if (dropped > 0) {
    telemetry_.DeliveryDropped(sink_, "spool_full", dropped);
    internal::Log()->warn("sink={} msg=\"spool full, oldest segment dropped\" events={}", sink_,
                          dropped);
  }
}

void Spool::DeleteAcknowledgedSegments() {
  const std::uint64_t keep_from = index_.empty() ? segments_.back().seq : index_.front().segment;
  while (segments_.size() > 1 && segments_.front().seq < keep_from) {
    ::unlink(SegmentPath(segments_.front().seq).c_str());
    total_bytes_ -= segments_.front().size;
    segments_.pop_front();
  }
}

Status Spool::Append(std::string_view payload) {
  const std::uint64_t record = kRecordHeader + payload.size();
  if (payload.size() > kMaxRecord || record > options_.segment_bytes) {
    return MakeError(ErrorCode::kLimitExceeded,
                     "spool: record of " + std::to_string(payload.size()) + " bytes too large");
  }
  if (segments_.back().size + record > options_.segment_bytes &&
      segments_.back().size > kSegmentHeader) {
    PLUMBLINE_RETURN_IF_ERROR(StartSegment());
  }
  while (total_bytes_ + record > options_.max_bytes && segments_.size() > 1) {
    DropOldest();
  }
  std::string buffer(kRecordHeader, '\0');
  PutU32(buffer.data(), kRecordMagic);
  PutU32(buffer.data() + 4, static_cast<std::uint32_t>(payload.size()));
  PutU32(buffer.data() + 8, RecordCrc(buffer.data() + 4, payload.data(), payload.size()));
  buffer.append(payload);
  Segment& active = segments_.back();
  if (!WriteAll(active_fd_, buffer.data(), buffer.size())) {
    Error error = IoError("spool: append to", SegmentPath(active.seq));
    // Cut a partial record off so the segment stays well formed.
    (void)::ftruncate(active_fd_, static_cast<off_t>(active.size));
    return error;
  }
  index_.push_back({active.seq, active.size, static_cast<std::uint32_t>(payload.size())});
  active.size += record;
  total_bytes_ += record;
  dirty_ = true;
  if (options_.fsync_interval.count() == 0) {
    PLUMBLINE_RETURN_IF_ERROR(Sync());
  }
  telemetry_.SpoolBytes(sink_, total_bytes_, options_.max_bytes);
  return Status::Ok();
}

Status Spool::Sync() {
  if (!dirty_ || active_fd_ < 0) {
    return Status::Ok();
  }
  if (::fdatasync(active_fd_) != 0) {
    return IoError("spool: fdatasync", SegmentPath(segments_.back().seq));
  }
  dirty_ = false;
  return Status::Ok();
}

Spool::Batch Spool::Peek(std::size_t max_records, std::size_t max_bytes) {
  Batch batch;
  std::size_t bytes = 0;
  int fd = -1;
  std::uint64_t fd_seq = 0;
  std::size_t i = 0;
  while (i < index_.size() && batch.payloads.size() < std::max<std::size_t>(max_records, 1)) {
    const Record r = index_[i];
    if (!batch.payloads.empty() && bytes + r.length > max_bytes) {
      break;
    }
    if (fd < 0 || fd_seq != r.segment) {
      if (fd >= 0) {
        ::close(fd);
      }
      fd = ::open(SegmentPath(r.segment).c_str(), O_RDONLY | O_CLOEXEC);
      fd_seq = r.segment;
    }
    std::string data(kRecordHeader + r.length, '\0');
    const ssize_t n =
        fd < 0 ? -1 : ::pread(fd, data.data(), data.size(), static_cast<off_t>(r.offset));
    if (n != static_cast<ssize_t>(data.size()) || GetU32(data.data()) != kRecordMagic ||
        GetU32(data.data() + 4) != r.length ||
        GetU32(data.data() + 8) !=
            RecordCrc(data.data() + 4, data.data() + kRecordHeader, r.length)) {
      // Damaged since it was indexed (or the file vanished): report once, forget it.
      Corrupt("corrupt_record", r.segment, r.offset);
      index_.erase(index_.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    bytes += r.length;
    batch.payloads.push_back(data.substr(kRecordHeader));
    batch.last = r;
    ++i;
  }
  if (fd >= 0) {
    ::close(fd);
  }
  return batch;
}

Status Spool::Ack(const Batch& batch) {
  if (batch.payloads.empty()) {
    return Status::Ok();
  }
  const Record last = batch.last;
  auto at_or_before = [&](const Record& r) {
    return r.segment < last.segment || (r.segment == last.segment && r.offset <= last.offset);
  };
  while (!index_.empty() && at_or_before(index_.front())) {
    index_.pop_front();
  }
  if (last.segment < ack_segment_ ||
      (last.segment == ack_segment_ && last.offset + kRecordHeader + last.length <= ack_offset_)) {
    return Status::Ok();  // nothing new (already acknowledged)
  }
  ack_segment_ = last.segment;
  ack_offset_ = last.offset + kRecordHeader + last.length;
  Status st = WriteAck();
  DeleteAcknowledgedSegments();
  telemetry_.SpoolBytes(sink_, total_bytes_, options_.max_bytes);
  return st;
}

Status Spool::WriteAck() {
  char buf[kAckSize];
  PutU64(buf, ack_segment_);
  PutU64(buf + 8, ack_offset_);
  PutU32(buf + 16, Crc32c(std::string_view(buf, 16)));
  const std::string tmp = options_.dir + "/ack.tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return IoError("spool: write", tmp);
  }
  const bool ok = WriteAll(fd, buf, sizeof buf);
  ::close(fd);
  // No fsync: losing the newest cursor only means re-sending, which receivers de-duplicate.
  if (!ok || ::rename(tmp.c_str(), (options_.dir + "/ack").c_str()) != 0) {
    return IoError("spool: replace", options_.dir + "/ack");
  }
  return Status::Ok();
}

}  // namespace plumbline::exporters
