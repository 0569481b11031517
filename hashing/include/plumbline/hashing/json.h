// JSON input for the engine: simdjson (DOM API, exceptions off) into a Value. Stateless
// functions; any thread.
#pragma once

#include <string_view>
#include <vector>

#include <simdjson.h>

#include "plumbline/common/result.h"
#include "plumbline/hashing/value.h"

namespace plumbline::hashing {

// Parses one JSON document. Errors name the simdjson failure ("TAPE_ERROR: ...").
Result<Value> ParseJson(std::string_view bytes);

// Copies a simdjson element into a Value.
Value ValueFromElement(simdjson::dom::element e);

// Parses a stream of concatenated or newline-separated JSON documents (kubectl -o json of
// several objects, JSON lines).
Result<std::vector<Value>> ParseJsonStream(std::string_view bytes);

}  // namespace plumbline::hashing
