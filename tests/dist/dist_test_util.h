// Shared by the tests under mpirun (tests/dist/*_mpi_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>

#include "train/dist/communicator.h"

namespace seek::testing {

// The job's communicator, with a timeout that ends a test instead of hanging.
inline std::unique_ptr<Communicator> World(double timeout_s = 120) {
  auto w = WorldCommunicator();
  EXPECT_TRUE(w.ok()) << w.status().message();
  (*w)->set_timeout_s(timeout_s);
  return std::move(*w);
}

// A seed every rank agrees on (rank 0's, broadcast), fresh each run, printed.
inline uint64_t SharedSeed(Communicator& c) {
  uint64_t seed = std::random_device{}();
  EXPECT_TRUE(c.Broadcast(&seed, sizeof seed, 0).ok());
  if (c.rank() == 0) std::printf("seed %llu\n", static_cast<unsigned long long>(seed));
  return seed;
}

}  // namespace seek::testing
