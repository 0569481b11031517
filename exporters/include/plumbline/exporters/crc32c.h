// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of spool records.
// Table-driven software implementation; pure, any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace plumbline::exporters {

// Extends `crc` (0 to start) over `size` bytes. Crc32c("123456789") == 0xE3069283.
std::uint32_t Crc32cExtend(std::uint32_t crc, const void* data, std::size_t size);
inline std::uint32_t Crc32c(std::string_view data) {
  return Crc32cExtend(0, data.data(), data.size());
}

}  // namespace plumbline::exporters
