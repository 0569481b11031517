// The per-installation key for masking secret values (drift policy section 7) and the
// HMAC-SHA256 SecretHasher built on it. Keys are 32 random bytes kept in a file readable by the
// owner only; the same key gives the same masks, so bundles rendered on one installation are
// byte-identical run after run. Immutable after construction; any thread.
#pragma once

#include <string>

#include "plumbline/common/result.h"
#include "plumbline/hashing/engine.h"

namespace plumbline::render {

class HmacSecretHasher : public hashing::SecretHasher {
 public:
  explicit HmacSecretHasher(std::string key);
  ~HmacSecretHasher() override;
  HmacSecretHasher(const HmacSecretHasher&) = delete;
  HmacSecretHasher& operator=(const HmacSecretHasher&) = delete;
  std::string Mask(std::string_view value) const override;

 private:
  std::string key_;
  void* inner_ = nullptr;  // EVP_MD_CTX after (key ^ ipad)
  void* outer_ = nullptr;  // EVP_MD_CTX after (key ^ opad)
};

// Reads the key file, or creates it (mode 0600, 32 bytes from the OS CSPRNG) when `create` is
// set and it does not exist.
Result<std::string> LoadOrCreateKey(const std::string& path, bool create);

// 32 fresh random bytes, for runs whose masks never leave the process (diff of manifests).
Result<std::string> RandomKey();

// The key file to use: $PLUMBLINE_HMAC_KEY_FILE, else $XDG_CONFIG_HOME/plumbline/hmac.key, else
// ~/.config/plumbline/hmac.key.
std::string DefaultKeyPath();

}  // namespace plumbline::render
