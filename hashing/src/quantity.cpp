#include "plumbline/hashing/quantity.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace plumbline::hashing {
namespace {

// Number of fractional decimal digits resource.Quantity keeps (nano precision).
constexpr std::int64_t kNanoDigits = 9;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

struct Suffix {
  std::int64_t decimal_exponent = 0;  // value *= 10^decimal_exponent
  unsigned binary_shift = 0;          // value *= 2^binary_shift
};

// Parses a quantity suffix. False when Kubernetes would not accept it, or when a decimal
// exponent exceeds kMaxQuantityExponent.
bool ParseSuffix(std::string_view text, Suffix& suffix) {
  struct Entry {
    std::string_view name;
    std::int64_t decimal_exponent;
    unsigned binary_shift;
  };
  static constexpr Entry kTable[] = {
      {"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"k", 3, 0},   {"M", 6, 0},
      {"G", 9, 0},   {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
      {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
  };
  for (const Entry& entry : kTable) {
    if (text == entry.name) {
      suffix = {entry.decimal_exponent, entry.binary_shift};
      return true;
    }
  }
  // Decimal exponent: e<int> or E<int>; the int may carry a sign ("1e-3", "1E+3").
  if (text.size() < 2 || (text[0] != 'e' && text[0] != 'E')) {
    return false;
  }
  text.remove_prefix(1);
  const bool negative = text[0] == '-';
  if (text[0] == '-' || text[0] == '+') {
    text.remove_prefix(1);
  }
  if (text.empty()) {
    return false;
  }
  std::int64_t exponent = 0;
  for (char c : text) {
    if (!IsDigit(c)) {
      return false;
    }
    // Saturates: below 10^-9 every non-zero value rounds to 1n however small it is.
    exponent = std::min<std::int64_t>(exponent * 10 + (c - '0'), 1'000'000'000);
  }
  if (!negative && exponent > kMaxQuantityExponent) {
    return false;
  }
  suffix = {negative ? -exponent : exponent, 0};
  return true;
}

// Removes the leading ASCII digits of text and returns them.
std::string_view TakeDigits(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && IsDigit(text[n])) {
    ++n;
  }
  const std::string_view digits = text.substr(0, n);
  text.remove_prefix(n);
  return digits;
}

// digits *= factor, digits being a decimal string. factor <= 2^60, so that
// 9 * factor + carry (carry < factor) fits in 64 bits.
void MultiplyDecimal(std::string& digits, std::uint64_t factor) {
  std::uint64_t carry = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    const std::uint64_t x = static_cast<std::uint64_t>(*it - '0') * factor + carry;
    *it = static_cast<char>('0' + x % 10);
    carry = x / 10;
  }
  for (; carry != 0; carry /= 10) {  // carry < 2^60: at most 19 more digits
    digits.insert(digits.begin(), static_cast<char>('0' + carry % 10));
  }
}

// digits += 1, digits being a decimal string.
void AddOne(std::string& digits) {
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (*it != '9') {
      ++*it;
      return;
    }
    *it = '0';
  }
  digits.insert(0, 1, '1');
}

}  // namespace

Result<std::string> CanonicalQuantity(std::string_view text) noexcept {
  std::string_view rest = text;
  const bool negative = !rest.empty() && rest[0] == '-';
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    rest.remove_prefix(1);
  }
  const std::string_view int_part = TakeDigits(rest);
  std::string_view frac_part;
  if (!rest.empty() && rest[0] == '.') {
    rest.remove_prefix(1);
    frac_part = TakeDigits(rest);
  }
  Suffix suffix;
  if ((int_part.empty() && frac_part.empty()) || !ParseSuffix(rest, suffix)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid quantity \"" + std::string(text.substr(0, 64)) + "\"");
  }

  // The magnitude in nano units (10^-9) is digits * 10^shift * 2^binary_shift. Multiply before
  // dropping digits, so the only inexact step is the final round-up, as in ParseQuantity.
  std::string digits;
  const std::int64_t shift =
      suffix.decimal_exponent + kNanoDigits - static_cast<std::int64_t>(frac_part.size());
  digits.reserve(int_part.size() + frac_part.size() +
                 static_cast<std::size_t>(std::max<std::int64_t>(shift, 0)) + 24);
  digits.append(int_part).append(frac_part);
  if (shift > 0) {
    digits.append(static_cast<std::size_t>(shift), '0');
  }
  if (suffix.binary_shift != 0) {
    MultiplyDecimal(digits, std::uint64_t{1} << suffix.binary_shift);
  }
  if (shift < 0) {
    // Kubernetes rounds a non-zero magnitude up to the next nano ("you asked for some").
    const std::size_t drop = std::min(static_cast<std::size_t>(-shift), digits.size());
    const bool inexact = digits.find_first_not_of('0', digits.size() - drop) != std::string::npos;
    digits.resize(digits.size() - drop);
    if (inexact) {
      AddOne(digits);
    }
  }

  // Format digits * 10^-9 as [-]int[.frac] without leading or trailing zeros.
  const std::size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    return std::string("0");
  }
  digits.erase(0, first);
  const auto nano_digits = static_cast<std::size_t>(kNanoDigits);
  if (digits.size() <= nano_digits) {
    digits.insert(0, nano_digits + 1 - digits.size(), '0');
  }
  digits.insert(digits.size() - nano_digits, 1, '.');
  digits.erase(digits.find_last_not_of('0') + 1);
  if (digits.back() == '.') {
    digits.pop_back();
  }
  if (negative) {
    digits.insert(0, 1, '-');
  }
  return digits;
}

}  // namespace plumbline::hashing
