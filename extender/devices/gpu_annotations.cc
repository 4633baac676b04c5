#include "extender/devices/gpu_annotations.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "extender/json/json_write.h"
#include "gpu/placement.h"

namespace quotient::extender::state {
namespace {

bool ParseInt(std::string_view text, int64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= 0;
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      *out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// One instance, "gpu=0,profile=3g.20gb,start=4,size=4"; `where` names it in *why.
bool ParseInstance(std::string_view text, const gpu::NodeGpus& node, std::string_view where,
                   gpu::MigSlot* out, std::string* why) {
  int64_t gpu = -1;
  int64_t start = -1;
  int64_t size = -1;
  std::string profile;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view field = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos) {
      *why = fmt::format("{}: \"{}\" is not key=value", where, field);
      return false;
    }
    const std::string_view key = field.substr(0, eq);
    const std::string_view value = field.substr(eq + 1);
    bool ok = true;
    if (key == "gpu") {
      ok = ParseInt(value, &gpu);
    } else if (key == "start") {
      ok = ParseInt(value, &start);
    } else if (key == "size") {
      ok = ParseInt(value, &size);
    } else if (key == "profile") {
      profile = value;
    }
    if (!ok) {
      *why = fmt::format("{}: {} is not a number", where, field);
      return false;
    }
  }
  if (gpu < 0 || profile.empty() || start < 0) {
    *why = fmt::format("{}: gpu, profile and start are required", where);
    return false;
  }
  const gpu::GpuModel* model = node.inventory().model;
  const int p = model == nullptr ? -1 : model->FindProfile(profile);
  if (static_cast<size_t>(gpu) >= node.inventory().gpus.size() || p < 0) {
    *why = fmt::format("{}: GPU {} profile {} is not on this node", where, gpu, profile);
    return false;
  }
  const gpu::MigProfile& mp = model->profiles[static_cast<size_t>(p)];
  if (size >= 0 && size != mp.memory_slices) {
    *why = fmt::format("{}: {} has size {}, not {}", where, profile, mp.memory_slices, size);
    return false;
  }
  if (std::find(mp.starts.begin(), mp.starts.end(), start) == mp.starts.end()) {
    *why = fmt::format("{}: {} cannot start at slice {}", where, profile, start);
    return false;
  }
  *out = gpu::MigSlot{static_cast<int>(gpu), p, static_cast<int>(start)};
  return true;
}

// "gpu=0,profile=1g.5gb,start=0,size=1;gpu=0,profile=1g.5gb,start=1,size=1", or one
// instance without ';' (what Quotient wrote before pods had several).
bool ParsePlacement(std::string_view text, const gpu::NodeGpus& node, gpu::GpuAssignment* out,
                    std::string* why) {
  const gpu::NodeGpuInventory& inv = node.inventory();
  // More instances than the node could ever hold is not a placement (and bounds the work).
  const size_t most =
      inv.gpus.size() * static_cast<size_t>(inv.model == nullptr ? 0 : inv.model->max_instances);
  const bool list = text.find(';') != std::string_view::npos;
  gpu::GpuAssignment a;
  a.kind = gpu::GpuRequestKind::kMig;
  for (size_t i = 1;; ++i) {
    const size_t semi = text.find(';');
    const std::string_view item = text.substr(0, semi);
    const std::string where =
        list ? fmt::format("{}: instance {}", kMigPlacement, i) : std::string(kMigPlacement);
    if (item.empty()) {
      *why = fmt::format("{} is empty", where);
      return false;
    }
    if (i > std::max<size_t>(most, 1)) {
      *why = fmt::format("{}: more instances than the node's {} GPUs can hold ({})", kMigPlacement,
                         inv.gpus.size(), most);
      return false;
    }
    gpu::MigSlot slot;
    if (!ParseInstance(item, node, where, &slot, why)) return false;
    a.instances.push_back(slot);
    a.gpus |= uint64_t{1} << slot.gpu;
    if (semi == std::string_view::npos) break;
    text = text.substr(semi + 1);
  }
  *out = std::move(a);
  return true;
}

}  // namespace

StringPairs BindAnnotations(const gpu::GpuAssignment& assignment, const gpu::NodeGpus& node,
                            int64_t now_ns) {
  StringPairs out;
  const int gpu = assignment.gpu();
  if (assignment.kind == gpu::GpuRequestKind::kMemory && gpu >= 0) {
    const int64_t dev = node.inventory().gpus[static_cast<size_t>(gpu)].share_units;
    out.emplace_back(kGpuMemIdx, std::to_string(gpu));
    out.emplace_back(kGpuMemPod, std::to_string(assignment.share_units));
    out.emplace_back(kGpuMemDev, std::to_string(dev));
    out.emplace_back(kGpuMemAssigned, "false");
    out.emplace_back(kGpuMemAssumeTime, std::to_string(now_ns));
  } else if (assignment.dynamic_mig() && node.inventory().model != nullptr) {
    std::string placement;
    for (const gpu::MigSlot& slot : assignment.instances) {
      const gpu::MigProfile& p =
          node.inventory().model->profiles[static_cast<size_t>(slot.profile)];
      if (!placement.empty()) placement.push_back(';');
      placement += fmt::format("gpu={},profile={},start={},size={}", slot.gpu, p.name, slot.start,
                               p.memory_slices);
    }
    out.emplace_back(kMigPlacement, std::move(placement));
  }
  return out;
}

std::string AnnotationPatch(const StringPairs& annotations, std::string_view uid) {
  std::string out = R"({"metadata":{)";
  if (!uid.empty()) {
    out += R"("uid":)";
    AppendJsonString(uid, &out);
    out.push_back(',');
  }
  out += R"("annotations":{)";
  for (size_t i = 0; i < annotations.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(annotations[i].first, &out);
    out.push_back(':');
    AppendJsonString(annotations[i].second, &out);
  }
  out += "}}}";
  return out;
}

bool AssignmentFromPod(const PodInfo& pod, const gpu::GpuRequest& request,
                       const gpu::NodeGpus& node, gpu::GpuAssignment* out, std::string* why) {
  *out = gpu::GpuAssignment{};
  if (request.kind == gpu::GpuRequestKind::kNone) return false;
  if (const std::string* placement = FindValue(pod.annotations, kMigPlacement)) {
    return ParsePlacement(*placement, node, out, why);
  }
  if (request.kind == gpu::GpuRequestKind::kMemory) {
    if (const std::string* idx = FindValue(pod.annotations, kGpuMemIdx)) {
      int64_t gpu = -1;
      if (!ParseInt(*idx, &gpu) || static_cast<size_t>(gpu) >= node.inventory().gpus.size()) {
        *why = fmt::format("{}: GPU \"{}\" is not on this node", kGpuMemIdx, *idx);
        return false;
      }
      out->kind = gpu::GpuRequestKind::kMemory;
      out->gpus = uint64_t{1} << gpu;
      out->share_units = request.share_units;
      return true;
    }
  }
  // No annotation: whole GPUs and static MIG devices (the device plugin chose, and which
  // one does not change what fits next), or a share placed by someone else.
  const gpu::GpuFit fit = gpu::FitGpuRequest(node, request, gpu::FitOptions{});
  if (!fit.fits()) {
    *why = gpu::FormatGpuFit(fit, request, node, "");
    return false;
  }
  *out = fit.assignment;
  return true;
}

}  // namespace quotient::extender::state
