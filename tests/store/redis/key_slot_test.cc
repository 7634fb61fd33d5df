#include "store/redis/key_slot.h"

#include <string>

#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(KeySlotTest, Crc16MatchesTheClusterSpecCheckValue) {
  // The cluster specification's reference: CRC16 of "123456789" is 0x31C3.
  EXPECT_EQ(RedisCrc16("123456789"), 0x31C3);
  EXPECT_EQ(RedisCrc16(""), 0);
}

TEST(KeySlotTest, KnownSlotsOfPlainKeys) {
  // CLUSTER KEYSLOT values of a Redis 7.0 server.
  EXPECT_EQ(RedisKeySlot("foo"), 12182);
  EXPECT_EQ(RedisKeySlot("bar"), 5061);
  EXPECT_EQ(RedisKeySlot("123456789"), 0x31C3 % 16384);
}

TEST(KeySlotTest, HashTagsFollowTheDocumentedExamples) {
  // The examples of the cluster specification's "Hash tags" section.
  EXPECT_EQ(RedisKeySlot("{user1000}.following"), RedisKeySlot("user1000"));
  EXPECT_EQ(RedisKeySlot("{user1000}.followers"), RedisKeySlot("user1000"));
  EXPECT_EQ(RedisKeySlot("foo{{bar}}zap"), RedisKeySlot("{bar"));
  EXPECT_EQ(RedisKeySlot("foo{bar}{zap}"), RedisKeySlot("bar"));
  // An empty tag is no tag: the whole key is hashed.
  EXPECT_EQ(RedisKeySlot("foo{}{bar}"), RedisCrc16("foo{}{bar}") % 16384);
  // A "{" without a closing "}" is no tag either.
  EXPECT_EQ(RedisKeySlot("foo{bar"), RedisCrc16("foo{bar") % 16384);
}

TEST(KeySlotTest, SlotsAreInRangeForBinaryKeys) {
  for (int i = 0; i < 1000; ++i) {
    std::string key(static_cast<size_t>(i % 7), static_cast<char>(i * 37));
    key += std::to_string(i);
    const int slot = RedisKeySlot(key);
    EXPECT_GE(slot, 0);
    EXPECT_LT(slot, kRedisClusterSlots);
  }
}

}  // namespace
}  // namespace recd
