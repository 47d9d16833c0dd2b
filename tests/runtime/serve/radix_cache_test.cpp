// RadixCache: scripted cases (split, lock, LRU order, disabled mode) and a seeded property test
// that runs long random sequences of match/insert/lock/unlock/evict against a plain reference
// model (a map from every cached whole-page prefix to the slots of its last page).
#include "radix_cache.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>

using namespace sgl;
using namespace sgl::serve;

namespace {

ModelConfig tiny_config() {
  ModelConfig c;
  c.n_layers = 1;
  c.n_kv_heads = 1;
  c.head_dim = 1;
  return c;
}

using Toks = std::vector<int32_t>;

// Allocates fresh slots for `t` past the matched prefix, inserts, and frees what the cache did not
// take (the scheduler's commit, minus the request bookkeeping). Returns the InsertResult.
InsertResult commit(RadixCache& c, SlotAllocator& a, const Toks& t, const PrefixMatch& m) {
  std::vector<int32_t> slots = m.slots;
  REQUIRE(a.extend(slots, (int32_t)(t.size() - slots.size())));
  InsertResult r = c.insert(t, slots);
  std::span<const int32_t> s(slots);
  if (r.dup_end > m.slots.size()) a.free(s.subspan(m.slots.size(), r.dup_end - m.slots.size()));
  if (r.taken_end < t.size()) a.free(s.subspan(r.taken_end));
  return r;
}

}  // namespace

TEST_CASE("insert, match with split, and lock counts") {
  KvPool pool(tiny_config(), 64);
  SlotAllocator a(pool, 1);
  RadixCache c(a);
  commit(c, a, {1, 2, 3, 4, 5}, c.match_prefix(Toks{}));
  CHECK(c.cached_tokens() == 5);
  // Matching a prefix that ends inside the edge splits it; the node covers exactly the match.
  PrefixMatch m = c.match_prefix(Toks{1, 2, 3, 9});
  CHECK(m.slots.size() == 3);
  CHECK(m.node->key == Toks{1, 2, 3});
  c.lock(m.node);
  CHECK(c.protected_tokens() == 3);
  CHECK(c.evictable_tokens() == 2);
  // A branch off the locked prefix shares its slots.
  InsertResult r = commit(c, a, {1, 2, 3, 9, 9}, m);
  CHECK(r.dup_end == 3);
  CHECK(r.taken_end == 5);
  CHECK(c.cached_tokens() == 7);
  // Eviction cannot touch the locked prefix: only the two unlocked leaves (2 + 2 tokens) go.
  CHECK(c.evict(100) == 4);
  CHECK(c.cached_tokens() == 3);
  CHECK(c.match_prefix(Toks{1, 2, 3, 4}).slots == m.slots);
  c.check_invariants();
  c.unlock(m.node);
  CHECK(c.evictable_tokens() == 3);
  CHECK(c.evict(1) == 3);
  CHECK(a.free_tokens() == a.capacity());
  c.check_invariants();
}

TEST_CASE("LRU: the least recently matched leaf is evicted first") {
  KvPool pool(tiny_config(), 64);
  SlotAllocator a(pool, 1);
  RadixCache c(a);
  for (int32_t first : {10, 20, 30}) commit(c, a, {first, 1, 2}, c.match_prefix(Toks{}));
  c.match_prefix(Toks{10, 1});  // touches A (and splits it)
  CHECK(c.evict(3) == 3);       // B (20...) is now the oldest
  CHECK(c.peek(Toks{20, 1, 2}) == 0);
  CHECK(c.peek(Toks{10, 1, 2}) == 3);
  CHECK(c.peek(Toks{30, 1, 2}) == 3);
  c.check_invariants();
}

TEST_CASE("page size 4: matches and inserts only whole pages") {
  KvPool pool(tiny_config(), 64);
  SlotAllocator a(pool, 4);
  RadixCache c(a);
  InsertResult r = commit(c, a, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, c.match_prefix(Toks{}));
  CHECK(r.taken_end == 8);  // the last two tokens fill no whole page
  CHECK(c.cached_tokens() == 8);
  CHECK(c.match_prefix(Toks{1, 2, 3, 4, 5, 6, 7, 0}).slots.size() == 4);  // page 2 differs
  CHECK(c.match_prefix(Toks{1, 2, 3, 4, 5, 6, 7, 8, 9}).slots.size() == 8);
  CHECK(c.match_prefix(Toks{1, 2, 3}).slots.empty());
  CHECK(a.free_tokens() + (int32_t)c.cached_tokens() == a.capacity());
  c.check_invariants();
}

TEST_CASE("disabled cache never reuses") {
  KvPool pool(tiny_config(), 16);
  SlotAllocator a(pool, 1);
  RadixCache c(a, true);
  InsertResult r = commit(c, a, {1, 2, 3}, c.match_prefix(Toks{1, 2, 3}));
  CHECK(r.taken_end == 0);
  CHECK(c.match_prefix(Toks{1, 2, 3}).slots.empty());
  CHECK(c.cached_tokens() == 0);
  CHECK(a.free_tokens() == 16);
  c.check_invariants();
}

// The property test. The reference model maps every cached prefix of whole pages (as a token
// sequence) to the slots of its last page; the tree is prefix-closed, so a cached sequence
// implies its prefixes. (Keys are whole pages because two cached sequences may share a partial
// page's tokens but not its slots.)
namespace {

using Ref = std::map<Toks, std::vector<int32_t>>;

struct Model {
  Ref ref;
  // Longest prefix of t (whole pages) present in ref, with its slots.
  std::vector<int32_t> match(const Toks& t, int32_t page) const {
    std::vector<int32_t> out;
    for (size_t n = page; n <= t.size(); n += page) {
      auto it = ref.find(Toks(t.begin(), t.begin() + n));
      if (it == ref.end()) break;
      out.insert(out.end(), it->second.begin(), it->second.end());
    }
    return out;
  }
  void add(const Toks& t, const std::vector<int32_t>& slots, int32_t page) {
    for (size_t n = page; n <= t.size() && n <= slots.size(); n += page)
      ref[Toks(t.begin(), t.begin() + n)] =
          std::vector<int32_t>(slots.begin() + n - page, slots.begin() + n);
  }
};

void run_property(uint64_t seed, int32_t page, int ops) {
  INFO("seed " << seed << " page " << page << " (rerun: SGL_RADIX_SEED=" << seed << ")");
  std::mt19937_64 rng(seed);
  auto rnd = [&](int n) { return (int)(rng() % (uint64_t)n); };
  KvPool pool(tiny_config(), 96);
  SlotAllocator a(pool, page);
  RadixCache c(a);
  Model m;
  std::vector<Toks> bases;  // shared stems so that sequences overlap and edges split
  for (int i = 0; i < 4; ++i) {
    Toks b;
    for (int j = rnd(10); j > 0; --j) b.push_back(rnd(3));
    bases.push_back(b);
  }
  auto random_seq = [&]() {
    Toks t = bases[rnd((int)bases.size())];
    t.resize(rnd((int)t.size() + 1));
    for (int j = rnd(12); j > 0; --j) t.push_back(rnd(4));
    return t;
  };
  struct Held {
    RadixNode* node;
    Toks toks;
    std::vector<int32_t> slots;
  };
  std::vector<Held> held;
  // Evicts, checks the amount, and rebuilds the reference from the tree: what remains must be a
  // subset of what was cached, with the same slots.
  auto evict = [&](size_t want) {
    size_t before = c.cached_tokens(), evictable = c.evictable_tokens();
    size_t freed = c.evict(want);
    REQUIRE(c.cached_tokens() == before - freed);
    REQUIRE(freed >= std::min(want, evictable));
    Model now;
    for (auto& [toks, slots] : c.dump()) now.add(toks, slots, page);
    for (auto& [k, s] : now.ref) {
      auto it = m.ref.find(k);
      REQUIRE(it != m.ref.end());
      REQUIRE(it->second == s);
    }
    REQUIRE(now.ref.size() * page == before - freed);
    m.ref = std::move(now.ref);
  };
  for (int op = 0; op < ops; ++op) {
    int kind = rnd(10);
    CAPTURE(op);
    CAPTURE(kind);
    if (kind < 4) {  // match (and maybe insert the full sequence on top, like a finished request)
      Toks t = random_seq();
      std::vector<int32_t> want = m.match(t, page);
      PrefixMatch pm = c.match_prefix(t);
      REQUIRE(pm.slots == want);
      if (rnd(2)) {
        int32_t need =
            a.pages_needed((int32_t)pm.slots.size(), (int32_t)(t.size() - pm.slots.size()));
        if (need > a.free_pages()) {
          c.lock(pm.node);  // as a running request would: its own prefix must survive
          evict((size_t)(need - a.free_pages()) * page);
          c.unlock(pm.node);
        }
        if (need > a.free_pages()) continue;
        InsertResult r = commit(c, a, t, pm);
        size_t n = t.size() / page * page;
        REQUIRE(r.dup_end == pm.slots.size());  // nothing changed between match and insert
        REQUIRE(r.taken_end == n);
        // The cache's slots for t are the match followed by the new ones.
        std::vector<int32_t> got = c.match_prefix(t).slots;
        REQUIRE(got.size() == n);
        REQUIRE(std::equal(pm.slots.begin(), pm.slots.end(), got.begin()));
        m.add(t, got, page);
      }
    } else if (kind < 6) {  // lock a match
      Toks t = random_seq();
      PrefixMatch pm = c.match_prefix(t);
      REQUIRE(pm.slots == m.match(t, page));
      c.lock(pm.node);
      held.push_back({pm.node, Toks(t.begin(), t.begin() + pm.slots.size()), pm.slots});
    } else if (kind < 8) {  // unlock one
      if (held.empty()) continue;
      size_t i = (size_t)rnd((int)held.size());
      c.unlock(held[i].node);
      held.erase(held.begin() + (long)i);
    } else {  // evict
      evict((size_t)rnd(20));
    }
    // Locked prefixes are never evicted and keep their slots.
    for (auto& h : held) REQUIRE(m.match(h.toks, page) == h.slots);
    std::vector<int32_t> cached = c.check_invariants();
    REQUIRE(cached.size() == m.ref.size() * page);
    // Every slot is either free or cached: the test holds none between operations.
    REQUIRE(a.free_tokens() + (int32_t)cached.size() == a.capacity());
  }
  for (auto& h : held) c.unlock(h.node);
  c.evict(SIZE_MAX);
  REQUIRE(c.cached_tokens() == 0);
  REQUIRE(a.free_tokens() == a.capacity());
}

}  // namespace

TEST_CASE("property: random match/insert/lock/unlock/evict agree with a reference model") {
  if (const char* s = std::getenv("SGL_RADIX_SEED")) {
    uint64_t seed = std::strtoull(s, nullptr, 10);
    for (int32_t page : {1, 2, 4}) run_property(seed, page, 2000);
    return;
  }
  for (uint64_t seed = 1; seed <= 60; ++seed)
    for (int32_t page : {1, 2, 4}) run_property(seed, page, 600);
}
