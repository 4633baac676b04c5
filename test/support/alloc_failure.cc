#include "test/support/alloc_failure.h"

#include <cstdlib>

namespace quotient::testing {
namespace {

thread_local size_t fail_at = 0;  // 0: disarmed
thread_local size_t counted = 0;  // allocations since ArmAllocationFailure
thread_local bool injected = false;

// Called by every operator new; throws when this thread's armed count is reached.
void CountAllocation() {
  ++counted;
  if (fail_at != 0 && counted == fail_at) {
    fail_at = 0;
    injected = true;
    throw std::bad_alloc();
  }
}

void* Allocate(size_t size) {
  CountAllocation();
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* AllocateAligned(size_t size, std::align_val_t align) {
  CountAllocation();
  const size_t a = static_cast<size_t>(align);
  void* p = std::aligned_alloc(a, (size + a - 1) / a * a);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

void ArmAllocationFailure(size_t n) {
  fail_at = n;
  counted = 0;
  injected = false;
}

void DisarmAllocationFailure() {
  fail_at = 0;
}

bool AllocationFailureInjected() {
  return injected;
}

}  // namespace quotient::testing

// The replaceable global allocation functions ([new.delete]); the nothrow forms return
// nullptr on the injected failure.
void* operator new(size_t size) {
  return quotient::testing::Allocate(size);
}
void* operator new[](size_t size) {
  return quotient::testing::Allocate(size);
}
void* operator new(size_t size, std::align_val_t align) {
  return quotient::testing::AllocateAligned(size, align);
}
void* operator new[](size_t size, std::align_val_t align) {
  return quotient::testing::AllocateAligned(size, align);
}
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  try {
    return quotient::testing::Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  try {
    return quotient::testing::Allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  std::free(p);
}
