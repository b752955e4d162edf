// core::ZeroedBytes: zeros on every byte, writes kept, moves that hand the bytes over, and host
// memory taken only by the pages touched (read from /proc/self/statm: resident pages).
#include "support/zeroed_bytes.h"

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <utility>

#include <gtest/gtest.h>

namespace npusim::core {
namespace {

// Resident bytes of this process.
size_t ResidentBytes() {
  std::ifstream f("/proc/self/statm");
  size_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

TEST(ZeroedBytes, SmallAndLargeStartAsZerosAndKeepWrites) {
  for (size_t n : {size_t{1}, size_t{100}, ZeroedBytes::kMapThreshold - 1, ZeroedBytes::kMapThreshold,
                   size_t{3} << 20}) {
    ZeroedBytes b(n);
    ASSERT_EQ(b.size(), n);
    for (size_t i = 0; i < n; i += 997) EXPECT_EQ(b[i], 0) << n << " at " << i;
    EXPECT_EQ(b[n - 1], 0);
    b[0] = 0x12;
    b[n - 1] = 0xab;
    EXPECT_EQ(b.data()[n - 1], 0xab);
    EXPECT_EQ(*b.begin(), n > 1 ? 0x12 : 0xab);
    EXPECT_EQ(b.end() - b.begin(), static_cast<std::ptrdiff_t>(n));
  }
}

TEST(ZeroedBytes, EmptyHasNoBytes) {
  ZeroedBytes b(0);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(ZeroedBytes().size(), 0u);
}

TEST(ZeroedBytes, MoveHandsTheBytesOver) {
  ZeroedBytes a(size_t{1} << 20);
  a[5] = 9;
  uint8_t* p = a.data();
  ZeroedBytes b(std::move(a));
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b[5], 9);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  ZeroedBytes c(16);
  c = std::move(b);
  EXPECT_EQ(c.size(), size_t{1} << 20);
  EXPECT_EQ(c[5], 9);
}

// 4 GiB reserved, 8 pages touched: the resident memory grows by about those pages, not by the
// size (a zero-filled std::vector would add 4 GiB, or fail).
TEST(ZeroedBytes, OnlyTouchedPagesAreResident) {
  const size_t before = ResidentBytes();
  ZeroedBytes b(size_t{4} << 30);
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (size_t i = 0; i < 8; ++i) b[i * (size_t{512} << 20)] = 1;
  const size_t after = ResidentBytes();
  EXPECT_LT(after - std::min(after, before), 64 * page + (size_t{4} << 20)) << before << " -> " << after;
  EXPECT_EQ(b[size_t{512} << 20], 1);
  EXPECT_EQ(b[(size_t{4} << 30) - 1], 0);
}

}  // namespace
}  // namespace npusim::core
