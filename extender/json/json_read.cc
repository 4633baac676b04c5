#include "extender/json/json_read.h"

#include <fmt/format.h>

namespace quotient::extender::json {

std::string Render(const Path* path) {
  if (path == nullptr) return "";
  std::string out = Render(path->parent);
  if (!path->key.empty()) {
    if (!out.empty()) out += '.';
    out += path->key;
  } else {
    out += fmt::format("[{}]", path->index);
  }
  return out;
}

bool KeyIs(std::string_view key, std::string_view field) {
  if (key.size() != field.size()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    char a = key[i];
    char b = field[i];
    if (a == b) continue;
    if ('A' <= a && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if ('A' <= b && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

std::string_view TypeName(od::json_type type) {
  switch (type) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "boolean";
    case od::json_type::null: return "null";
  }
  return "unknown";
}

bool Fail(DecodeError* error, DecodeFailure failure, const Path* path, std::string_view what) {
  error->failure = failure;
  std::string where = Render(path);
  error->message = where.empty() ? std::string(what) : fmt::format("{}: {}", where, what);
  return false;
}

bool FailType(DecodeError* error, const Path* path, std::string_view expected, od::json_type got) {
  return Fail(error, DecodeFailure::kWrongType, path,
              fmt::format("expected {}, got {}", expected, TypeName(got)));
}

bool FailJson(DecodeError* error, const Path* path, simdjson::error_code code) {
  return Fail(error, DecodeFailure::kMalformedJson, path,
              fmt::format("malformed JSON: {}", simdjson::error_message(code)));
}

od::parser& ThreadParser(size_t bytes) {
  return ThreadParser(bytes, std::chrono::steady_clock::now());
}

od::parser& ThreadParser(size_t bytes, std::chrono::steady_clock::time_point now) {
  struct State {
    od::parser parser;
    std::chrono::steady_clock::time_point last_large{};  // a document of half its capacity
  };
  thread_local State state;
  if (bytes * 2 >= state.parser.capacity()) {
    state.last_large = now;
  } else if (state.parser.capacity() > kThreadParserKeepBytes &&
             now - state.last_large > kThreadParserShrinkAfter) {
    state.parser = od::parser{};  // frees the buffers; the parse below allocates what it needs
    state.last_large = now;
  }
  return state.parser;
}

bool Iterate(const RequestBody& body, od::document* doc, DecodeError* error) {
  if (body.empty()) {
    return Fail(error, DecodeFailure::kMalformedJson, nullptr, "empty request body");
  }
  static_assert(kBodyPaddingBytes >= simdjson::SIMDJSON_PADDING);
  simdjson::padded_string_view view(body.data(), body.size(), body.size() + kBodyPaddingBytes);
  if (auto code = ThreadParser(body.size()).iterate(view).get(*doc); code != simdjson::SUCCESS) {
    return FailJson(error, nullptr, code);
  }
  return true;
}

bool ExpectEnd(od::document& doc, DecodeError* error) {
  // current_location() reports OUT_OF_BOUNDS exactly when every token was consumed.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return Fail(error, DecodeFailure::kMalformedJson, nullptr,
                "malformed JSON: unexpected data after the top-level value");
  }
  return true;
}

bool ReadType(od::value& value, const Path* path, od::json_type* type, DecodeError* error) {
  if (auto code = value.type().get(*type); code != simdjson::SUCCESS) {
    return FailJson(error, path, code);
  }
  return true;
}

bool ReadString(od::value& value, const Path* path, std::string_view* out, DecodeError* error) {
  od::json_type type{};
  if (!ReadType(value, path, &type, error)) return false;
  if (type == od::json_type::null) {
    *out = {};
    return true;
  }
  if (type != od::json_type::string) return FailType(error, path, "string", type);
  if (auto code = value.get_string().get(*out); code != simdjson::SUCCESS) {
    return FailJson(error, path, code);
  }
  return true;
}

bool ReadInt64(od::value& value, const Path* path, int64_t* out, DecodeError* error) {
  od::json_type type{};
  if (!ReadType(value, path, &type, error)) return false;
  if (type == od::json_type::null) {
    *out = 0;
    return true;
  }
  if (type != od::json_type::number) return FailType(error, path, "integer", type);
  if (auto code = value.get_int64().get(*out); code != simdjson::SUCCESS) {
    return Fail(error, DecodeFailure::kWrongType, path, "expected an integer");
  }
  return true;
}

bool OpenObject(od::value& value, const Path* path, od::object* out, bool* is_null,
                DecodeError* error) {
  od::json_type type{};
  if (!ReadType(value, path, &type, error)) return false;
  *is_null = type == od::json_type::null;
  if (*is_null) return true;
  if (type != od::json_type::object) return FailType(error, path, "object", type);
  if (auto code = value.get_object().get(*out); code != simdjson::SUCCESS) {
    return FailJson(error, path, code);
  }
  return true;
}

bool OpenArray(od::value& value, const Path* path, od::array* out, bool* is_null,
               DecodeError* error) {
  od::json_type type{};
  if (!ReadType(value, path, &type, error)) return false;
  *is_null = type == od::json_type::null;
  if (*is_null) return true;
  if (type != od::json_type::array) return FailType(error, path, "array", type);
  if (auto code = value.get_array().get(*out); code != simdjson::SUCCESS) {
    return FailJson(error, path, code);
  }
  return true;
}

bool ReadString(od::value& value, const Path* path, std::string* out, DecodeError* error) {
  std::string_view text;
  if (!ReadString(value, path, &text, error)) return false;
  out->assign(text);
  return true;
}

bool ReadStringMap(od::value& value, const Path* path, StringPairs* out, DecodeError* error) {
  out->clear();
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    std::string_view text;
    if (!ReadString(v, p, &text, error)) return false;
    out->emplace_back(std::string(key), std::string(text));
    return true;
  });
}

namespace {
std::string_view TrimSpace(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}
}  // namespace

bool ReadResourceList(od::value& value, const Path* path, quota::ResourceList* out,
                      DecodeError* error) {
  return ForEachField(value, path, error, [&](std::string_view key, od::value& v, const Path* p) {
    od::json_type type{};
    if (!ReadType(v, p, &type, error)) return false;
    std::string_view text;
    if (type == od::json_type::null) return true;
    if (type == od::json_type::string) {
      if (auto code = v.get_string().get(text); code != simdjson::SUCCESS) {
        return FailJson(error, p, code);
      }
    } else if (type == od::json_type::number) {
      // Go's Quantity.UnmarshalJSON accepts a bare number and parses its text.
      text = v.raw_json_token();
    } else {
      return FailType(error, p, "quantity string", type);
    }
    text = TrimSpace(text);  // Quantity.UnmarshalJSON trims before parsing
    int64_t amount = 0;
    std::string reason;
    if (!quota::ParseResourceAmount(key, text, &amount, &reason)) {
      return Fail(error, DecodeFailure::kInvalidQuantity, p,
                  fmt::format("invalid quantity \"{}\": {}", text, reason));
    }
    out->Set(key, amount);
    return true;
  });
}

}  // namespace quotient::extender::json

namespace quotient::extender {

std::string_view DecodeFailureName(DecodeFailure failure) {
  switch (failure) {
    case DecodeFailure::kMalformedJson: return "malformed_json";
    case DecodeFailure::kWrongType: return "wrong_type";
    case DecodeFailure::kMissingField: return "missing_field";
    case DecodeFailure::kInvalidQuantity: return "invalid_quantity";
    case DecodeFailure::kTooManyNodes: return "too_many_nodes";
  }
  return "unknown";
}

}  // namespace quotient::extender
