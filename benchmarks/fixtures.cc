#include "benchmarks/fixtures.h"

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace quotient::benchmarks {
namespace {

[[noreturn]] void Fatal(const std::string& message) {
  std::fprintf(stderr, "benchmark fixtures: %s\n", message.c_str());
  std::exit(1);
}

std::string ReadGolden(const char* file) {
  std::string path = std::string(QUOTIENT_GOLDEN_DIR) + "/" + file;
  std::ifstream in(path, std::ios::binary);
  if (!in) Fatal("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The raw JSON of a top-level object member, via simdjson On-Demand (exact bytes).
std::string RawMember(const std::string& json, const char* key, const char* file) {
  simdjson::padded_string padded(json);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  std::string_view raw;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.find_field(key).get_object().get(object) != simdjson::SUCCESS ||
      object.raw_json().get(raw) != simdjson::SUCCESS) {
    Fatal(std::string(file) + ": no object member \"" + key + "\"");
  }
  return std::string(raw);
}

std::string MetadataName(const std::string& node_json) {
  simdjson::padded_string padded(node_json);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view name;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.find_field("metadata").find_field("name").get_string().get(name) != simdjson::SUCCESS) {
    Fatal("gpu_node_full.json: no metadata.name");
  }
  return std::string(name);
}

struct Golden {
  std::string pod;
  std::string node;
  std::string node_name;
  // `node` split at every quoted occurrence of its name: piece, name, piece, ..., piece.
  std::vector<std::string> node_pieces;
};

const Golden& GetGolden() {
  static const Golden golden = [] {
    Golden g;
    g.pod = RawMember(ReadGolden("filter_names_request.json"), "Pod", "filter_names_request.json");
    g.node = ReadGolden("gpu_node_full.json");
    g.node_name = MetadataName(g.node);
    const std::string quoted = "\"" + g.node_name + "\"";
    size_t start = 0;
    for (size_t at = g.node.find(quoted); at != std::string::npos;
         at = g.node.find(quoted, start)) {
      g.node_pieces.push_back(g.node.substr(start, at + 1 - start));  // keeps the open quote
      start = at + quoted.size() - 1;                                 // at the close quote
    }
    g.node_pieces.push_back(g.node.substr(start));
    return g;
  }();
  return golden;
}

extender::RequestBody ToBody(const std::string& json) {
  return extender::RequestBody::Copy(json);
}

}  // namespace

std::string NodeName(size_t index) {
  char name[32];
  std::snprintf(name, sizeof name, "gpu-node-%05zu", index);
  return name;
}

std::string_view GoldenPodJson() {
  return GetGolden().pod;
}
std::string_view GoldenGpuNodeJson() {
  return GetGolden().node;
}
std::string_view GoldenGpuNodeName() {
  return GetGolden().node_name;
}

extender::RequestBody FilterNamesRequest(size_t nodes) {
  const Golden& g = GetGolden();
  std::string json;
  json.reserve(g.pod.size() + 64 + nodes * 18);
  json.append("{\"Pod\":").append(g.pod).append(",\"Nodes\":null,\"NodeNames\":[");
  for (size_t i = 1; i <= nodes; ++i) {
    if (i > 1) json.push_back(',');
    json.append("\"").append(NodeName(i)).append("\"");
  }
  json.append("]}");
  return ToBody(json);
}

extender::RequestBody FilterFullNodesRequest(size_t nodes) {
  const Golden& g = GetGolden();
  std::string json;
  json.reserve(g.pod.size() + 64 + nodes * (g.node.size() + 1));
  json.append("{\"Pod\":").append(g.pod).append(",\"Nodes\":{\"metadata\":{},\"items\":[");
  for (size_t i = 1; i <= nodes; ++i) {
    if (i > 1) json.push_back(',');
    const std::string name = NodeName(i);
    for (size_t p = 0; p < g.node_pieces.size(); ++p) {
      if (p > 0) json.append(name);
      json.append(g.node_pieces[p]);
    }
  }
  json.append("]},\"NodeNames\":null}");
  return ToBody(json);
}

}  // namespace quotient::benchmarks
