// A deterministic SecretHasher for tests: XXH3 with a fixed seed (never used outside tests: a
// real installation masks with HMAC-SHA256 and a secret key).
#pragma once

#include <cstdio>
#include <string>

#include <xxhash.h>

#include "plumbline/hashing/engine.h"

namespace plumbline::testing {

class FakeSecretHasher : public hashing::SecretHasher {
 public:
  std::string Mask(std::string_view value) const override {
    char buf[40];
    std::snprintf(
        buf, sizeof(buf), "<redacted:test:%016llx>",
        static_cast<unsigned long long>(XXH3_64bits_withSeed(value.data(), value.size(), 42)));
    return buf;
  }
};

}  // namespace plumbline::testing
