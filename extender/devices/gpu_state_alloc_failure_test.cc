// GpuState's strong guarantee (gpu_state.h), tested the way the field tests it: every
// allocation an update makes is failed in turn (test/support/alloc_failure.h), and after
// each failure the state must print exactly as before (DebugString) with its node index
// consistent (CheckIndex). The updates that only remove must allocate nothing at all.
#include <gtest/gtest.h>

#include "extender/devices/gpu_state.h"
#include "extender/devices/gpu_test_util.h"
#include "test/support/alloc_failure.h"

namespace quotient::extender::state {
namespace {

using quotient::testing::AllocationFailureInjected;
using quotient::testing::ForEachAllocationFailure;
using quotient::testing::RunWithNthAllocationFailing;
using testing::SharedNode;
using testing::SharePod;

// A pod UID too long for the small-string buffer, as real UIDs are.
PodInfo Pod(const std::string& name, const std::string& node, int gpu, int64_t units) {
  PodInfo pod = SharePod(name, node, gpu, units);
  pod.uid = "0c6f5a52-1d0e-4f5b-9f3e-" + name + "-000000000000";
  return pod;
}

gpu::GpuRequest Memory(int64_t units) {
  gpu::GpuRequest request;
  request.kind = gpu::GpuRequestKind::kMemory;
  request.share_units = units;
  request.count = 1;
  return request;
}

GpuState::ReserveResult Reserve(GpuState& state, const std::string& uid, const std::string& node,
                                int64_t units) {
  gpu::GpuAssignment assignment;
  StringPairs annotations;
  std::string why;
  return state.Reserve(uid, node, Memory(units), {}, 0, &assignment, &annotations, &why);
}

// Two gpushare nodes; a1 counted on n1 (GPU 0), a2 counted on n2 (GPU 1), p1 pending.
void Cluster(GpuState& state) {
  state.UpsertNode(SharedNode("n1"));
  state.UpsertNode(SharedNode("n2"));
  state.UpsertPod(Pod("a1", "n1", 0, 4));
  state.UpsertPod(Pod("a2", "n2", 1, 2));
  state.UpsertPod(Pod("p1", "", 0, 3));
}

// Runs `update` on a state built by `setup` with each of its allocations failing in turn.
// A failure that comes out of the update must leave the state as it was; one the update
// absorbs (`absorbs`: UpsertNode's waiting pods) must leave it consistent. `done` checks
// the update that met no failure. Returns the number of allocations the update makes.
template <typename Setup, typename Update, typename Done>
size_t ExpectStrong(Setup setup, Update update, Done done, bool absorbs = false) {
  return ForEachAllocationFailure([&](size_t n) {
    GpuState state(&gpu::BuiltinMigCatalog(), gpu::InventoryOptions{});
    setup(state);
    const std::string before = state.DebugString();
    ASSERT_EQ(state.CheckIndex(), "");
    const bool threw = RunWithNthAllocationFailing(n, [&] { update(state); });
    EXPECT_EQ(state.CheckIndex(), "") << "allocation " << n << " failed";
    if (threw) {
      EXPECT_EQ(state.DebugString(), before) << "allocation " << n << " failed";
    } else if (AllocationFailureInjected()) {
      EXPECT_TRUE(absorbs) << "allocation " << n << " failed and the update hid it";
    } else {
      done(state);
    }
  });
}

size_t Assignments(const GpuState& state, const std::string& node) {
  return state.Read([&](auto lookup) -> size_t {
    const gpu::NodeGpus* n = lookup(node);
    return n == nullptr ? 0 : n->assignments().size();
  });
}

TEST(GpuStateAllocFailureTest, PodUpdatesAreAllOrNothing) {
  struct Case {
    const char* name;
    PodInfo pod;
    size_t n1_assignments, n2_assignments;  // after the update
    bool allocates;
  };
  PodInfo finished = Pod("a1", "n1", 0, 4);
  finished.phase = "Succeeded";
  const Case cases[] = {
      {"a new pod bound to a known node is counted", Pod("b1", "n1", 1, 4), 2, 1, true},
      {"a new pending pod is noted", Pod("b1", "", 0, 4), 1, 1, true},
      {"a pod bound to an unknown node waits for it", Pod("b1", "n9", 0, 4), 1, 1, true},
      {"a pending pod binds", Pod("p1", "n2", 0, 3), 1, 2, true},
      {"a pod counted on n1 that the API puts on n2 moves", Pod("a1", "n2", 0, 4), 0, 2, true},
      {"a finished pod releases its devices", finished, 0, 1, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const size_t allocations = ExpectStrong(
        Cluster, [&](GpuState& state) { state.UpsertPod(c.pod); },
        [&](GpuState& state) {
          EXPECT_EQ(Assignments(state, "n1"), c.n1_assignments);
          EXPECT_EQ(Assignments(state, "n2"), c.n2_assignments);
        });
    // Each update that allocates met failures; forgetting a pod allocates nothing.
    EXPECT_EQ(allocations > 0, c.allocates) << allocations;
  }
}

TEST(GpuStateAllocFailureTest, BindsAreAllOrNothing) {
  using Result = GpuState::ReserveResult;
  auto reserve = [](const std::string& node, int64_t units, Result want) {
    return [=](GpuState& state) {
      EXPECT_EQ(Reserve(state, Pod("p1", "", 0, 3).uid, node, units), want);
    };
  };
  auto reserved_on_n1 = [](GpuState& state) {
    Cluster(state);
    ASSERT_EQ(Reserve(state, Pod("p1", "", 0, 3).uid, "n1", 3), Result::kReserved);
  };
  auto failed_on_n1 = [&](GpuState& state) {
    reserved_on_n1(state);
    state.FinishBind(Pod("p1", "", 0, 3).uid, false);
  };
  auto counted = [](size_t n1, size_t n2) {
    return [=](GpuState& state) {
      EXPECT_EQ(Assignments(state, "n1"), n1);
      EXPECT_EQ(Assignments(state, "n2"), n2);
    };
  };
  SCOPED_TRACE("a first bind");
  EXPECT_GT(ExpectStrong(Cluster, reserve("n1", 3, Result::kReserved), counted(2, 1)), 0u);
  SCOPED_TRACE("a bind retried while the first is in flight changes nothing");
  EXPECT_GT(ExpectStrong(reserved_on_n1, reserve("n2", 3, Result::kDuplicate), counted(2, 1)), 0u);
  SCOPED_TRACE("a bind retried on the same node after a failed one");
  EXPECT_GT(ExpectStrong(failed_on_n1, reserve("n1", 4, Result::kReserved), counted(2, 1)), 0u);
  SCOPED_TRACE("a bind retried on another node");
  EXPECT_GT(ExpectStrong(failed_on_n1, reserve("n2", 3, Result::kReserved), counted(1, 2)), 0u);
  SCOPED_TRACE("a retried bind that does not fit");
  EXPECT_GT(ExpectStrong(failed_on_n1, reserve("n1", 64, Result::kNoFit), counted(1, 1)), 0u);
  SCOPED_TRACE("a request noted at filter");
  EXPECT_GT(
      ExpectStrong(
          Cluster, [](GpuState& state) { state.NoteRequest(Pod("x1", "", 0, 1).uid, Memory(1)); },
          [](GpuState& state) {
            gpu::GpuRequest request;
            EXPECT_TRUE(state.FindRequest(Pod("x1", "", 0, 1).uid, &request));
          }),
      0u);
}

TEST(GpuStateAllocFailureTest, NodeUpdatesAreAllOrNothingAndWaitingPodsArePlacedOneByOne) {
  // Pods listed before their node: placed when it arrives, each whole or left waiting.
  auto pods_first = [](GpuState& state) {
    state.UpsertPod(Pod("a1", "n1", 0, 4));
    state.UpsertPod(Pod("a2", "n1", 1, 2));
    state.UpsertPod(Pod("a3", "n1", 1, 1));
  };
  EXPECT_GT(ExpectStrong(
                pods_first, [](GpuState& state) { state.UpsertNode(SharedNode("n1")); },
                [](GpuState& state) { EXPECT_EQ(Assignments(state, "n1"), 3u); },
                /*absorbs=*/true),
            0u);
  // A pod left waiting for lack of memory is placed at the node's next update.
  const size_t absorbed = ForEachAllocationFailure([&](size_t n) {
    GpuState state(&gpu::BuiltinMigCatalog(), gpu::InventoryOptions{});
    pods_first(state);
    RunWithNthAllocationFailing(n, [&] { state.UpsertNode(SharedNode("n1")); });
    state.UpsertNode(SharedNode("n1"));
    EXPECT_EQ(Assignments(state, "n1"), 3u) << "allocation " << n << " failed";
    EXPECT_EQ(state.CheckIndex(), "");
  });
  EXPECT_GT(absorbed, 0u);
  // A known node relabelled: its inventory is rebuilt, its pods stay counted.
  NodeInfo relabelled = SharedNode("n1");
  relabelled.labels = {{"gpu-type", "T4"}};
  EXPECT_GT(ExpectStrong(
                Cluster, [&](GpuState& state) { state.UpsertNode(relabelled); },
                [](GpuState& state) { EXPECT_EQ(Assignments(state, "n1"), 1u); }),
            0u);
}

TEST(GpuStateAllocFailureTest, RemovalsAllocateNothing) {
  auto reserved = [](GpuState& state) {
    Cluster(state);
    ASSERT_EQ(Reserve(state, Pod("p1", "", 0, 3).uid, "n2", 3), GpuState::ReserveResult::kReserved);
  };
  const std::string a1 = Pod("a1", "", 0, 0).uid;
  const std::string p1 = Pod("p1", "", 0, 0).uid;
  EXPECT_EQ(ExpectStrong(
                Cluster, [&](GpuState& state) { state.DeletePod(a1); },
                [](GpuState& state) { EXPECT_EQ(Assignments(state, "n1"), 0u); }),
            0u);
  EXPECT_EQ(ExpectStrong(
                reserved, [&](GpuState& state) { state.FinishBind(p1, false); },
                [](GpuState& state) { EXPECT_EQ(Assignments(state, "n2"), 1u); }),
            0u);
  EXPECT_EQ(ExpectStrong(
                reserved, [](GpuState& state) { state.DeleteNode("n2"); },
                [](GpuState& state) { EXPECT_EQ(Assignments(state, "n2"), 0u); }),
            0u);
  // Relists that drop what they no longer contain.
  auto listing = [](GpuState& state) {
    Cluster(state);
    state.ObservePodList(true);
    state.ObserveNodeList(true);
    state.UpsertNode(SharedNode("n1"));
    state.UpsertPod(Pod("a1", "n1", 0, 4));
  };
  EXPECT_EQ(ExpectStrong(
                listing, [](GpuState& state) { state.ObservePodList(false); },
                [](GpuState& state) { EXPECT_EQ(Assignments(state, "n2"), 0u); }),
            0u);
  EXPECT_EQ(ExpectStrong(
                listing, [](GpuState& state) { state.ObserveNodeList(false); },
                [](GpuState& state) {
                  EXPECT_EQ(Assignments(state, "n1"), 1u);
                  EXPECT_FALSE(state.Read([](auto lookup) { return lookup("n2") != nullptr; }));
                }),
            0u);
}

}  // namespace
}  // namespace quotient::extender::state
