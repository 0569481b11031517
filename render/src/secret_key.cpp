#include "plumbline/render/secret_key.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

namespace plumbline::render {

std::string HmacSecretHasher::Mask(std::string_view value) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(), digest, &length);
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
