// SlotAllocator and ReqSlotTable: page-aligned growth, all-or-nothing allocation, freeing pages,
// byte budgets, and the claimed slots going back to the KvPool.
#include "slot_allocator.h"

#include <doctest/doctest.h>

#include "req_slot_table.h"

using namespace sgl;
using namespace sgl::serve;

namespace {
ModelConfig tiny_config() {
  ModelConfig c;
  c.n_layers = 1;
  c.n_kv_heads = 1;
  c.head_dim = 2;
  return c;
}
}  // namespace

TEST_CASE("pages: slot lists are page-aligned by position and grow within the last page first") {
  KvPool pool(tiny_config(), 16);
  {
    SlotAllocator a(pool, 4);
    CHECK(a.capacity() == 16);
    CHECK(pool.free_slots() == 0);  // the allocator claimed the pool
    std::vector<int32_t> s;
    REQUIRE(a.extend(s, 3));  // one page, three positions used
    CHECK(a.free_pages() == 3);
    CHECK(a.pages_needed(3, 1) == 0);
    REQUIRE(a.extend(s, 2));  // fills the page, opens a second
    CHECK(a.free_pages() == 2);
    REQUIRE(s.size() == 5);
    CHECK(s[0] % 4 == 0);
    for (int i = 1; i < 4; ++i) CHECK(s[i] == s[0] + i);
    CHECK(s[4] % 4 == 0);
    // All or nothing: 2 free pages cannot hold 3 more positions + 8.
    std::vector<int32_t> before = s;
    CHECK_FALSE(a.extend(s, 3 + 8 + 1));
    CHECK(s == before);
    a.free(std::span<const int32_t>(s).subspan(4));  // the second page
    CHECK(a.free_pages() == 3);
    CHECK(a.is_free_slot(s[4]));
    CHECK_FALSE(a.is_free_slot(s[0]));
    // Freeing a run that does not start a page in use is our bug, reported as such.
    CHECK_THROWS_AS(a.free(std::span<const int32_t>(s).subspan(4)), std::logic_error);
    a.free(std::span<const int32_t>(s).subspan(0, 4));
    CHECK(a.free_tokens() == 16);
  }
  CHECK(pool.free_slots() == 16);  // given back on destruction
}

TEST_CASE("max_tokens caps the claim; slots that cannot form whole pages go back to the pool") {
  KvPool pool(tiny_config(), 10);
  int32_t other = pool.alloc();  // slot 0 taken by someone else: page 0 cannot form
  {
    SlotAllocator a(pool, 4);
    CHECK(a.capacity() == 4);  // only slots 4..7 make a page (8, 9 are a fragment)
    CHECK(pool.free_slots() == 5);
  }
  pool.release(other);
  SlotAllocator b(pool, 1, 6);
  CHECK(b.capacity() == 6);
  CHECK(pool.free_slots() == 4);
}

TEST_CASE("byte budget to slot count") {
  ModelConfig c = tiny_config();
  c.n_layers = 2;
  CHECK(kv_bytes_per_token(c) == 2 * 2 * 1 * 2 * 4);
  CHECK(kv_slots_for_bytes(c, 1000) == 1000 / 32);
  CHECK(kv_slots_for_bytes(c, 0) == 0);
}

TEST_CASE("request-to-slots table rows") {
  ReqSlotTable t(2);
  int32_t a = t.acquire(), b = t.acquire();
  CHECK(a != b);
  CHECK(t.acquire() == -1);  // the row count bounds running requests
  t.slots(a) = {1, 2, 3};
  t.release(a);
  CHECK_FALSE(t.in_use(a));
  CHECK_THROWS_AS(t.release(a), std::logic_error);
  int32_t c = t.acquire();
  CHECK(c == a);
  CHECK(t.slots(c).empty());  // a released row comes back empty
  CHECK(t.in_use(b));
}
