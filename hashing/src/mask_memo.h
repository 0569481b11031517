// Remembers SecretHasher masks of live values. Private to hashing/.
//
// Masking is HMAC-SHA256, the most expensive step of digesting a Secret; Secret values rarely
// change between events, so an Engine remembers the masks it computed. Entries are keyed by
// XXH3-128 of the value with a seed derived from the hasher (so from the installation key): an
// attacker who can write a Secret cannot aim a collision without the key. The memo holds masks
// only, never values, and never leaves the process (policy section 7 holds). An open-addressing
// table that grows with the number of distinct values up to kMaxSlots (64 B each, 8 MiB) and is
// cleared when full. Not thread-safe: one per Engine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plumbline/hashing/engine.h"

namespace plumbline::hashing {

class MaskMemo {
 public:
  explicit MaskMemo(const SecretHasher& hasher) : hasher_(hasher) {}

  // hasher.Mask(value). The view is valid until the next call.
  std::string_view Mask(std::string_view value);

  std::size_t MemoryBytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  static constexpr std::size_t kMinSlots = 1024;
  static constexpr std::size_t kMaxSlots = std::size_t{1} << 17;
  static constexpr std::size_t kMaxMask = 46;
  struct Slot {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::uint8_t len = 0;  // 0: empty
    char mask[kMaxMask] = {};
  };
  static_assert(sizeof(Slot) == 64);

  void Insert(const Slot& slot);

  const SecretHasher& hasher_;
  std::vector<Slot> slots_;
  std::size_t used_ = 0;
  std::uint64_t seed_ = 0;
  std::string scratch_;
};

}  // namespace plumbline::hashing
