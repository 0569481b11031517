#include "plumbline/render/secret_key.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

namespace plumbline::render {

HmacSecretHasher::HmacSecretHasher(std::string key) : key_(std::move(key)) {
  unsigned char block[64] = {};
  if (key_.size() > 64) {
    unsigned int n = 0;
    EVP_Digest(key_.data(), key_.size(), block, &n, EVP_sha256(), nullptr);
  } else {
    std::memcpy(block, key_.data(), key_.size());
  }
  unsigned char ipad[64];
  unsigned char opad[64];
  for (int i = 0; i < 64; ++i) {
    ipad[i] = static_cast<unsigned char>(block[i] ^ 0x36);
    opad[i] = static_cast<unsigned char>(block[i] ^ 0x5c);
  }
  auto* inner = EVP_MD_CTX_new();
  auto* outer = EVP_MD_CTX_new();
  EVP_DigestInit_ex(inner, EVP_sha256(), nullptr);
  EVP_DigestUpdate(inner, ipad, 64);
  EVP_DigestInit_ex(outer, EVP_sha256(), nullptr);
  EVP_DigestUpdate(outer, opad, 64);
  inner_ = inner;
  outer_ = outer;
}

HmacSecretHasher::~HmacSecretHasher() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(inner_));
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(outer_));
}

std::string HmacSecretHasher::Mask(std::string_view value) const {
  struct Ctx {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Ctx() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Ctx scratch;
  unsigned char inner_digest[EVP_MAX_MD_SIZE];
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX_copy_ex(scratch.ctx, static_cast<const EVP_MD_CTX*>(inner_));
  EVP_DigestUpdate(scratch.ctx, value.data(), value.size());
  EVP_DigestFinal_ex(scratch.ctx, inner_digest, &length);
  EVP_MD_CTX_copy_ex(scratch.ctx, static_cast<const EVP_MD_CTX*>(outer_));
  EVP_DigestUpdate(scratch.ctx, inner_digest, length);
  EVP_DigestFinal_ex(scratch.ctx, digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "<redacted:hmac-sha256:";
  for (unsigned int i = 0; i < 8 && i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  out.push_back('>');
  return out;
}

Result<std::string> LoadOrCreateKey(const std::string& path, bool create) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return MakeError(ErrorCode::kIo, path + ": cannot read the HMAC key file");
    }
    if (key.size() < 16) {
      return MakeError(ErrorCode::kInvalidArgument,
                       path + ": HMAC key file must hold at least 16 bytes");
    }
    return key;
  }
  if (!create) {
    return MakeError(ErrorCode::kNotFound, path + ": HMAC key file does not exist");
  }
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return MakeError(ErrorCode::kInternal, "cannot draw random bytes for the HMAC key");
  }
  const mode_t old_mask = umask(077);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes), sizeof(bytes));
  out.close();
  umask(old_mask);
  if (!out) {
    return MakeError(ErrorCode::kIo, path + ": cannot write the HMAC key file");
  }
  return std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

Result<std::string> RandomKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return MakeError(ErrorCode::kInternal, "cannot draw random bytes for the HMAC key");
  }
  return std::string(reinterpret_cast<const char*>(bytes), sizeof(bytes));
}

std::string DefaultKeyPath() {
  if (const char* explicit_path = std::getenv("PLUMBLINE_HMAC_KEY_FILE")) {
    return explicit_path;
  }
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/plumbline/hmac.key";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.config/plumbline/hmac.key";
}

}  // namespace plumbline::render
