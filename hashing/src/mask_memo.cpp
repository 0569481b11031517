#include "mask_memo.h"

#include <cstring>

#include <xxhash.h>

namespace plumbline::hashing {

std::string_view MaskMemo::Mask(std::string_view value) {
  if (slots_.empty()) {
    slots_.resize(kMinSlots);
    // A seed only the installation key can produce.
    const std::string seed_mask = hasher_.Mask("plumbline/mask-memo-seed");
    seed_ = XXH3_64bits(seed_mask.data(), seed_mask.size());
  }
  const XXH128_hash_t h = XXH3_128bits_withSeed(value.data(), value.size(), seed_);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = h.low64 & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.len == 0) {
      break;
    }
    if (slot.high == h.high64 && slot.low == h.low64) {
      return std::string_view(slot.mask, slot.len);
    }
  }
  scratch_ = hasher_.Mask(value);
  if (!scratch_.empty() && scratch_.size() <= kMaxMask) {
    Slot slot;
    slot.high = h.high64;
    slot.low = h.low64;
    slot.len = static_cast<std::uint8_t>(scratch_.size());
    std::memcpy(slot.mask, scratch_.data(), scratch_.size());
    if (2 * (used_ + 1) > slots_.size()) {
      // Grow at half load; at the cap, start over rather than evict one by one.
      std::vector<Slot> old;
      old.swap(slots_);
      slots_.resize(old.size() < kMaxSlots ? 2 * old.size() : old.size());
      used_ = 0;
      if (old.size() < kMaxSlots) {
        for (const Slot& s : old) {
          if (s.len != 0) {
            Insert(s);
          }
        }
      }
    }
    Insert(slot);
  }
  return scratch_;
}

void MaskMemo::Insert(const Slot& slot) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = slot.low & mask;
  while (slots_[i].len != 0) {
    i = (i + 1) & mask;
  }
  slots_[i] = slot;
  ++used_;
}

}  // namespace plumbline::hashing
