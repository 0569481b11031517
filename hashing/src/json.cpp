#include "plumbline/hashing/json.h"

#include <string>

#include <simdjson.h>

namespace plumbline::hashing {
namespace {

// The element's type was checked by the caller, so the conversion cannot fail.
template <typename T>
T As(simdjson::dom::element e) {
  T out{};
  if (e.get(out) != simdjson::SUCCESS) {
    return T{};
  }
  return out;
}

Value FromElement(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      auto obj = As<simdjson::dom::object>(e);
      Value::Object members;
      members.reserve(obj.size());
      for (auto field : obj) {
        // Duplicate keys: the last one wins, as in encoding/json.
        bool replaced = false;
        for (auto& m : members) {
          if (m.first == field.key) {
            m.second = FromElement(field.value);
            replaced = true;
            break;
          }
        }
        if (!replaced) {
          members.emplace_back(std::string(field.key), FromElement(field.value));
        }
      }
      return Value::MakeObject(std::move(members));
    }
    case simdjson::dom::element_type::ARRAY: {
      auto arr = As<simdjson::dom::array>(e);
      Value::Array items;
      items.reserve(arr.size());
      for (auto item : arr) {
        items.push_back(FromElement(item));
      }
      return Value::MakeArray(std::move(items));
    }
    case simdjson::dom::element_type::STRING: {
      auto s = As<std::string_view>(e);
      return Value::String(std::string(s));
    }
    case simdjson::dom::element_type::INT64: {
      auto i = As<std::int64_t>(e);
      return Value::Int(i);
    }
    case simdjson::dom::element_type::UINT64: {
      auto u = As<std::uint64_t>(e);
      return Value::Uint(u);
    }
    case simdjson::dom::element_type::DOUBLE: {
      auto d = As<double>(e);
      return Value::Double(d);
    }
    case simdjson::dom::element_type::BOOL: {
      auto b = As<bool>(e);
      return Value::Bool(b);
    }
    case simdjson::dom::element_type::NULL_VALUE:
      return Value::Null();
  }
  return Value::Null();
}

}  // namespace

Value ValueFromElement(simdjson::dom::element e) { return FromElement(e); }

Result<Value> ParseJson(std::string_view bytes) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(bytes);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  return FromElement(root);
}

Result<std::vector<Value>> ParseJsonStream(std::string_view bytes) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(bytes);
  simdjson::dom::document_stream stream;
  // The batch must hold the largest document; give it the whole input.
  const std::size_t batch = std::max<std::size_t>(bytes.size(), simdjson::dom::MINIMAL_BATCH_SIZE);
  if (auto err = parser.parse_many(padded, batch).get(stream); err) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  std::vector<Value> out;
  for (auto it = stream.begin(); it != stream.end(); ++it) {
    simdjson::dom::element e;
    if (auto err = (*it).get(e); err) {
      return MakeError(ErrorCode::kInvalidArgument, std::string("invalid JSON at byte ") +
                                                        std::to_string(it.current_index()) + ": " +
                                                        simdjson::error_message(err));
    }
    out.push_back(FromElement(e));
  }
  if (stream.truncated_bytes() > 0) {
    return MakeError(ErrorCode::kInvalidArgument, "truncated JSON document at end of input");
  }
  return out;
}

}  // namespace plumbline::hashing
