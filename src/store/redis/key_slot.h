#ifndef RECD_STORE_REDIS_KEY_SLOT_H_
#define RECD_STORE_REDIS_KEY_SLOT_H_

#include <cstdint>
#include <string_view>

namespace recd {

// Redis Cluster's key -> hash slot mapping (the cluster specification's
// "Keys distribution model"): CRC16-CCITT (XMODEM) of the key modulo 16384,
// where a key containing "{...}" with at least one byte between the first
// "{" and the next "}" hashes only those bytes (a hash tag), so keys that
// share a tag live in one slot. Pure functions; thread-safe.

inline constexpr int kRedisClusterSlots = 16384;

// CRC16 with polynomial 0x1021, initial value 0, no reflection (XMODEM).
uint16_t RedisCrc16(std::string_view bytes);

// The hash slot of `key`, in [0, kRedisClusterSlots).
int RedisKeySlot(std::string_view key);

}  // namespace recd

#endif  // RECD_STORE_REDIS_KEY_SLOT_H_
