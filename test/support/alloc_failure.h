// Allocation-failure injection for exception-safety tests: the n-th allocation made by the
// calling thread throws std::bad_alloc, the way the field tests the strong guarantee
// (every allocation of an update is made to fail in turn).
//
// Linking test/support/alloc_failure.cc into a test executable replaces the global
// operator new for the whole binary; it then counts allocations on threads that armed it
// and passes every other one to malloc. Link it only into executables meant for this.
//
// Thread safety: the arming is per thread (thread_local); other threads are never failed.
#pragma once

#include <cstddef>
#include <new>

namespace quotient::testing {

// Makes the `n`-th allocation from now on this thread throw std::bad_alloc (n >= 1), once.
void ArmAllocationFailure(size_t n);
// Stops counting and failing on this thread (AllocationFailureInjected keeps its answer).
void DisarmAllocationFailure();
// Whether the armed failure was thrown since the last ArmAllocationFailure.
bool AllocationFailureInjected();

// Runs update() with its `n`-th allocation failing; returns whether std::bad_alloc came
// out of it (false also when the update caught it, see AllocationFailureInjected).
template <typename Update>
bool RunWithNthAllocationFailing(size_t n, Update&& update) {
  bool threw = false;
  ArmAllocationFailure(n);
  try {
    update();
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  DisarmAllocationFailure();
  return threw;
}

// Calls attempt(n) for n = 1, 2, ... until an attempt's update completes without meeting
// its injected failure. `attempt` sets its state up, runs the update through
// RunWithNthAllocationFailing(n, ...) and checks what it must. Returns the number of
// attempts that met a failure: the allocations the update makes.
template <typename Attempt>
size_t ForEachAllocationFailure(Attempt&& attempt) {
  for (size_t n = 1; n <= 100000; ++n) {
    attempt(n);
    if (!AllocationFailureInjected()) return n - 1;
  }
  return 100000;  // a runaway update: the caller's expectations fail on it
}

}  // namespace quotient::testing
