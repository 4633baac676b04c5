// A page of a pod list as the API server answers it. Oracles: a refused page or pod
// carries a message; a page's items are handed out one by one and decode or say why.
#include <cstddef>
#include <cstdint>
#include <string>

#include "extender/kube/list_watch_decode.h"
#include "extender/objects/pod_decode.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quotient;
  using namespace quotient::extender;
  const RequestBody body = RequestBody::Copy(fuzz::AsText(data, size));
  kube::ListMeta meta;
  std::string error;
  size_t items = 0;
  const bool ok = kube::DecodeListPage(
      body,
      [&](json::od::value& item) {
        ++items;
        PodInfo pod;
        DecodeError pod_error;
        if (!DecodePodObject(item, nullptr, &pod, &pod_error)) {
          FUZZ_CHECK(!pod_error.message.empty(), "a refused pod says why");
        }
      },
      &meta, &error);
  if (!ok) FUZZ_CHECK(!error.empty(), "a refused page says why");
  return 0;
}
