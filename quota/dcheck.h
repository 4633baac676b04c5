// QUOTIENT_DCHECK(condition): checks a precondition that a header states as `REQUIRES:`.
//
// Active in checked builds (no NDEBUG, or QUOTIENT_DCHECKS defined: the sanitizer builds of
// the test suite, see CMakeLists.txt); compiled out of Release builds, where the condition is
// not evaluated. A failed check prints the condition and its place and aborts: it is a bug in
// Quotient's own code, never a reaction to input. Input (requests, objects, files) is
// validated and refused with a reason, not checked with this.
//
// Lives in quota/, the lowest layer, so that every layer may use it.
#pragma once

#include <cstdio>
#include <cstdlib>

#if !defined(NDEBUG) || defined(QUOTIENT_DCHECKS)
#define QUOTIENT_DCHECK_IS_ON 1
#define QUOTIENT_DCHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::quotient::DcheckFailed(#condition, __FILE__, __LINE__))
#else
#define QUOTIENT_DCHECK_IS_ON 0
#define QUOTIENT_DCHECK(condition) static_cast<void>(sizeof(condition))
#endif

namespace quotient {

[[noreturn]] inline void DcheckFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: QUOTIENT_DCHECK(%s) failed\n", file, line, condition);
  std::abort();
}

}  // namespace quotient
