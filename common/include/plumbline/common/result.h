// Result<T> and Status: errors as values (STYLE.md §5). Shaped like std::expected so it can
// become std::expected once every supported compiler has it. Plain value types; any thread.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace plumbline {

enum class ErrorCode {
  kInvalidArgument,  // bad input: malformed YAML/JSON, a document without kind, ...
  kNotFound,
  kIo,             // a file or process could not be read or run
  kLimitExceeded,  // input larger or deeper than the configured bounds
  kUnavailable,    // a tool (helm, git) or peer is missing
  kAlreadyExists,  // (API semantics) the object exists
  kConflict,       // (API semantics) stale resourceVersion, apply conflict
  kUnsupportedMediaType,
  kInternal,
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    CheckValue();
    return std::get<0>(data_);
  }
  const T& value() const& {
    CheckValue();
    return std::get<0>(data_);
  }
  T&& value() && {
    CheckValue();
    return std::get<0>(std::move(data_));
  }
  const Error& error() const {
    if (has_value()) {
      std::fputs("plumbline: Result::error() on a value\n", stderr);
      std::abort();
    }
    return std::get<1>(data_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void CheckValue() const {
    if (!has_value()) {
      std::fprintf(stderr, "plumbline: Result::value() on an error: %s\n",
                   std::get<1>(data_).message.c_str());
      std::abort();
    }
  }
  std::variant<T, Error> data_;
};

// Status is a Result without a value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit
  static Status Ok() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace plumbline

// Returns the error of a Status-returning expression from the enclosing function.
#define PLUMBLINE_RETURN_IF_ERROR(expr)           \
  do {                                            \
    if (::plumbline::Status _st = (expr); !_st) { \
      return _st.error();                         \
    }                                             \
  } while (false)

// Always-on invariant check: aborts with a message. Never used on external input.
#define PLUMBLINE_CHECK(cond)                                                                 \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "%s:%d: PLUMBLINE_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (false)

#ifdef NDEBUG
#define PLUMBLINE_DCHECK(cond) \
  do {                         \
  } while (false && (cond))
#else
#define PLUMBLINE_DCHECK(cond) PLUMBLINE_CHECK(cond)
#endif
