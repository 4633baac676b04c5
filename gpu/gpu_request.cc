#include "gpu/gpu_request.h"

#include <fmt/format.h>

#include <cctype>

namespace quotient::gpu {
namespace {

const std::string* Find(const StringPairs& pairs, std::string_view key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace

std::string_view GpuRequestKindName(GpuRequestKind kind) {
  switch (kind) {
    case GpuRequestKind::kNone: return "none";
    case GpuRequestKind::kWhole: return "whole";
    case GpuRequestKind::kMemory: return "memory";
    case GpuRequestKind::kMig: return "mig";
    case GpuRequestKind::kFraction: return "fraction";
  }
  return "none";
}

bool ParseFraction(std::string_view text, int* milli) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  // Fixed point with up to 3 decimals (5 for percentages): no floating point rounding.
  int64_t whole = 0;
  int64_t frac = 0;
  int frac_digits = 0;
  bool digits = false;
  bool dot = false;
  for (char c : text) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
      if (!dot) {
        whole = whole * 10 + (c - '0');
        if (whole > 1000) return false;
      } else if (frac_digits < 6) {
        frac = frac * 10 + (c - '0');
        ++frac_digits;
      } else if (c != '0') {
        return false;
      }
    } else {
      return false;
    }
  }
  if (!digits) return false;
  for (int i = frac_digits; i < 6; ++i) frac *= 10;
  int64_t micro = whole * 1'000'000 + frac;  // millionths of the written number
  if (percent) micro /= 100;
  if (micro % 1000 != 0 || micro <= 0 || micro > 1'000'000) return false;
  *milli = static_cast<int>(micro / 1000);
  return true;
}

std::string FormatFraction(int milli) {
  if (milli % 1000 == 0) return fmt::format("{}", milli / 1000);
  std::string text = fmt::format("{}.{:03}", milli / 1000, milli % 1000);
  while (text.back() == '0') text.pop_back();
  return text;
}

bool ParseGpuRequest(const quota::ResourceList& requests, const StringPairs& labels,
                     const StringPairs& annotations, const MigCatalog& catalog, GpuRequest* out,
                     std::string* error) {
  *out = GpuRequest{};
  int kinds = 0;
  if (int64_t n = requests.Get(quota::kResourceNvidiaGpu); n > 0) {
    out->kind = GpuRequestKind::kWhole;
    out->count = n;
    ++kinds;
  }
  if (int64_t units = requests.Get(kResourceGpuMem); units > 0) {
    out->kind = GpuRequestKind::kMemory;
    out->share_units = units;
    out->count = 1;
    ++kinds;
  }
  for (const quota::ResourceAmount& r : requests) {
    if (!r.name.starts_with(kMigResourcePrefix) || r.amount <= 0) continue;
    if (out->kind == GpuRequestKind::kMig) {
      *error = fmt::format("the pod asks for two MIG profiles ({} and {})", out->profile,
                           r.name.substr(kMigResourcePrefix.size()));
      return false;
    }
    out->kind = GpuRequestKind::kMig;
    out->profile = r.name.substr(kMigResourcePrefix.size());
    out->count = r.amount;
    ++kinds;
  }
  if (kinds > 1) {
    *error = "the pod mixes whole GPUs, GPU memory and MIG devices";
    return false;
  }
  const std::string* fraction = Find(annotations, kFractionAnnotation);
  if (fraction == nullptr) fraction = Find(labels, kFractionLabel);
  if (fraction != nullptr) {
    int milli = 0;
    if (!ParseFraction(*fraction, &milli)) {
      *error = fmt::format("gpu fraction \"{}\" is not a number in (0, 1]", *fraction);
      return false;
    }
    if (kinds == 0) {
      out->kind = GpuRequestKind::kFraction;
      out->count = 1;
    } else if (out->kind != GpuRequestKind::kMig) {
      *error = fmt::format("gpu fraction {} with a {} GPU request", *fraction,
                           GpuRequestKindName(out->kind));
      return false;
    }
    out->fraction_milli = milli;
  }
  const std::string* model = Find(annotations, kModelKey);
  if (model == nullptr) model = Find(labels, kModelKey);
  if (model != nullptr && !model->empty()) {
    out->model = *model;
    out->catalog_model = catalog.Find(*model);
    out->model_canonical = CanonicalModelName(*model);
  }
  return true;
}

}  // namespace quotient::gpu
