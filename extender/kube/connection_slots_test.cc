// ConnectionSlots on its own: the bound, first-in-first-out hand-over, and a waiter whose
// Operation is gone never keeps a slot.
#include "extender/kube/connection_slots.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <memory>
#include <optional>
#include <vector>

namespace quotient::extender::kube {
namespace {

namespace asio = boost::asio;

// Starts Acquire for `op` on its strand; `result` gets Acquire's answer when it returns.
void StartAcquire(ConnectionSlots& slots, const std::shared_ptr<Operation>& op,
                  std::optional<bool>* result) {
  asio::co_spawn(
      op->executor(),
      [&slots, op, result]() -> asio::awaitable<void> { *result = co_await slots.Acquire(*op); },
      asio::detached);
}

// Runs what is ready (an io_context that ran out of work stays stopped until restart()).
void Poll(asio::io_context& ioc) {
  ioc.restart();
  ioc.poll();
}

std::shared_ptr<Operation> NewOperation(asio::io_context& ioc) {
  return std::make_shared<Operation>(asio::make_strand(ioc));
}

TEST(ConnectionSlotsTest, WaitersGetReleasedSlotsInTheOrderTheyCame) {
  asio::io_context ioc;
  ConnectionSlots slots(1);
  std::vector<std::shared_ptr<Operation>> ops;
  std::vector<std::optional<bool>> results(3);
  for (size_t i = 0; i < results.size(); ++i) {
    ops.push_back(NewOperation(ioc));
    StartAcquire(slots, ops.back(), &results[i]);
    Poll(ioc);
  }
  EXPECT_EQ(results[0], true);
  EXPECT_FALSE(results[1].has_value());
  EXPECT_FALSE(results[2].has_value());
  EXPECT_EQ(slots.in_use(), 1u);
  EXPECT_EQ(slots.waiting(), 2u);

  slots.Release();
  Poll(ioc);
  EXPECT_EQ(results[1], true);
  EXPECT_FALSE(results[2].has_value());
  slots.Release();
  Poll(ioc);
  EXPECT_EQ(results[2], true);
  slots.Release();
  EXPECT_EQ(slots.in_use(), 0u);
  EXPECT_EQ(slots.waiting(), 0u);
}

TEST(ConnectionSlotsTest, AWaiterWhoseOperationIsGoneDoesNotKeepTheSlot) {
  ConnectionSlots slots(1);
  asio::io_context ioc;
  std::optional<bool> holder;
  auto holder_op = NewOperation(ioc);
  StartAcquire(slots, holder_op, &holder);
  Poll(ioc);
  ASSERT_EQ(holder, true);

  {
    // A waiter on an io_context torn down before it runs again: its coroutine is destroyed
    // without resuming, still in line, and with it the last owner of its Operation.
    asio::io_context doomed;
    std::optional<bool> never;
    StartAcquire(slots, NewOperation(doomed), &never);
    Poll(doomed);
    ASSERT_EQ(slots.waiting(), 1u);
  }

  slots.Release();
  EXPECT_EQ(slots.in_use(), 0u) << "the slot went to a waiter that no longer exists";
  EXPECT_EQ(slots.waiting(), 0u);

  std::optional<bool> next;
  StartAcquire(slots, NewOperation(ioc), &next);
  Poll(ioc);
  EXPECT_EQ(next, true);
}

TEST(ConnectionSlotsTest, AWaiterDroppedForItsOperationLeavesQuietlyIfItResumes) {
  asio::io_context ioc;
  ConnectionSlots slots(1);
  std::optional<bool> holder;
  StartAcquire(slots, NewOperation(ioc), &holder);
  Poll(ioc);
  ASSERT_EQ(holder, true);

  // This waiter's coroutine does not own its Operation: the caller lets go of it while
  // the coroutine waits, the Operation's timer is cancelled on destruction and the
  // coroutine will resume, after Release() has dropped it from the line.
  auto op = NewOperation(ioc);
  std::optional<bool> dropped;
  asio::co_spawn(
      op->executor(),
      [&slots, raw = op.get(), &dropped]() -> asio::awaitable<void> {
        dropped = co_await slots.Acquire(*raw);
      },
      asio::detached);
  Poll(ioc);
  ASSERT_EQ(slots.waiting(), 1u);
  op.reset();

  slots.Release();
  EXPECT_EQ(slots.in_use(), 0u);
  EXPECT_EQ(slots.waiting(), 0u);
  Poll(ioc);
  EXPECT_EQ(dropped, false);
  EXPECT_EQ(slots.in_use(), 0u);
}

}  // namespace
}  // namespace quotient::extender::kube
