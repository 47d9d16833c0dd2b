// Radix tree operations over token ids (SGLang's RadixCache, with page-granular keys).
#include "radix_cache.h"

#include <algorithm>
#include <queue>
#include <set>
#include <stdexcept>

namespace sgl::serve {

namespace {
[[noreturn]] void broken(const std::string& what) {
  throw std::logic_error("radix cache invariant broken: " + what);
}
}  // namespace

RadixCache::RadixCache(SlotAllocator& alloc, bool disabled)
    : alloc_(alloc),
      disabled_(disabled),
      page_(alloc.page_size()),
      root_(std::make_unique<RadixNode>()) {
  root_->lock = 1;  // the root is never evicted
}

RadixCache::~RadixCache() {
  std::vector<RadixNode*> stack = {root_.get()};
  while (!stack.empty()) {
    RadixNode* n = stack.back();
    stack.pop_back();
    if (!n->slots.empty()) alloc_.free(n->slots);
    for (auto& [k, c] : n->children) stack.push_back(c.get());
  }
}

std::vector<int32_t> RadixCache::page_key(std::span<const int32_t> tokens, size_t pos) const {
  return std::vector<int32_t>(tokens.begin() + pos, tokens.begin() + pos + page_);
}

size_t RadixCache::common_len(std::span<const int32_t> a, std::span<const int32_t> b) const {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i / page_ * page_;
}

RadixNode* RadixCache::split(RadixNode* child, size_t at) {
  // parent -> child becomes parent -> mid -> child, mid holding key[0, at). Pointers to `child`
  // stay valid (they pin the longer path, which still passes through mid).
  RadixNode* parent = child->parent;
  auto mid = std::make_unique<RadixNode>();
  mid->key.assign(child->key.begin(), child->key.begin() + at);
  mid->slots.assign(child->slots.begin(), child->slots.begin() + at);
  mid->parent = parent;
  mid->lock = child->lock;
  mid->last_access = child->last_access;
  child->key.erase(child->key.begin(), child->key.begin() + at);
  child->slots.erase(child->slots.begin(), child->slots.begin() + at);
  auto& slot_in_parent = parent->children.at(page_key(mid->key, 0));
  std::unique_ptr<RadixNode> owned_child = std::move(slot_in_parent);
  child->parent = mid.get();
  mid->children.emplace(page_key(child->key, 0), std::move(owned_child));
  RadixNode* m = mid.get();
  slot_in_parent = std::move(mid);
  return m;
}

PrefixMatch RadixCache::match_prefix(std::span<const int32_t> tokens) {
  PrefixMatch m;
  m.node = root_.get();
  if (disabled_) return m;
  ++tick_;
  RadixNode* node = root_.get();
  size_t pos = 0;
  while (pos + page_ <= tokens.size()) {
    auto it = node->children.find(page_key(tokens, pos));
    if (it == node->children.end()) break;
    RadixNode* c = it->second.get();
    c->last_access = tick_;
    size_t l = common_len(c->key, tokens.subspan(pos));  // >= one page: the first page matched
    bool inside = l < c->key.size();
    if (inside) c = split(c, l);
    m.slots.insert(m.slots.end(), c->slots.begin(), c->slots.end());
    pos += l;
    node = c;
    if (inside) break;
  }
  m.node = node;
  return m;
}

size_t RadixCache::peek(std::span<const int32_t> tokens, const RadixNode** deepest) const {
  const RadixNode* node = root_.get();
  if (deepest) *deepest = node;
  if (disabled_) return 0;
  size_t pos = 0;
  while (pos + page_ <= tokens.size()) {
    auto it = node->children.find(page_key(tokens, pos));
    if (it == node->children.end()) break;
    const RadixNode* c = it->second.get();
    size_t l = common_len(c->key, tokens.subspan(pos));
    pos += l;
    if (l < c->key.size()) break;
    node = c;
    if (deepest) *deepest = node;
  }
  return pos;
}

InsertResult RadixCache::insert(std::span<const int32_t> tokens, std::span<const int32_t> slots) {
  InsertResult r;
  if (disabled_) return r;
  if (slots.size() < tokens.size())
    throw std::invalid_argument("RadixCache::insert: too few slots");
  size_t n = tokens.size() / page_ * page_;
  ++tick_;
  RadixNode* node = root_.get();
  size_t pos = 0;
  while (pos < n) {
    auto key = page_key(tokens, pos);
    auto it = node->children.find(key);
    if (it == node->children.end()) {
      auto leaf = std::make_unique<RadixNode>();
      leaf->key.assign(tokens.begin() + pos, tokens.begin() + n);
      leaf->slots.assign(slots.begin() + pos, slots.begin() + n);
      leaf->parent = node;
      leaf->last_access = tick_;
      node->children.emplace(std::move(key), std::move(leaf));
      evictable_ += n - pos;
      r.dup_end = pos;
      r.taken_end = n;
      return r;
    }
    RadixNode* c = it->second.get();
    c->last_access = tick_;
    size_t l = common_len(c->key, tokens.subspan(pos, n - pos));
    if (l < c->key.size()) c = split(c, l);
    pos += l;
    node = c;
  }
  r.dup_end = r.taken_end = n;
  return r;
}

void RadixCache::lock(RadixNode* node) {
  if (node != root_.get()) ++direct_locks_[node];
  for (; node != root_.get(); node = node->parent) {
    if (node->lock == 0) {
      evictable_ -= node->key.size();
      protected_ += node->key.size();
    }
    ++node->lock;
  }
}

void RadixCache::unlock(RadixNode* node) {
  if (node != root_.get()) {
    auto it = direct_locks_.find(node);
    if (it == direct_locks_.end()) broken("unlock of a node that was never locked");
    if (--it->second == 0) direct_locks_.erase(it);
  }
  for (; node != root_.get(); node = node->parent) {
    if (node->lock <= 0) broken("negative lock count");
    if (--node->lock == 0) {
      protected_ -= node->key.size();
      evictable_ += node->key.size();
    }
  }
}

size_t RadixCache::evict(size_t tokens) {
  using Item = std::pair<uint64_t, RadixNode*>;  // (last_access, node): oldest first
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> heap;
  std::vector<RadixNode*> stack = {root_.get()};
  while (!stack.empty()) {
    RadixNode* n = stack.back();
    stack.pop_back();
    if (n->children.empty() && n->lock == 0) heap.push({n->last_access, n});
    for (auto& [k, c] : n->children) stack.push_back(c.get());
  }
  size_t freed = 0;
  while (freed < tokens && !heap.empty()) {
    RadixNode* n = heap.top().second;
    heap.pop();
    RadixNode* parent = n->parent;
    alloc_.free(n->slots);
    freed += n->key.size();
    evictable_ -= n->key.size();
    parent->children.erase(page_key(n->key, 0));  // deletes n
    if (parent != root_.get() && parent->children.empty() && parent->lock == 0)
      heap.push({parent->last_access, parent});
  }
  return freed;
}

std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> RadixCache::dump() const {
  std::vector<std::pair<std::vector<int32_t>, std::vector<int32_t>>> out;
  struct Frame {
    const RadixNode* n;
    std::vector<int32_t> toks, slots;
  };
  std::vector<Frame> stack = {{root_.get(), {}, {}}};
  while (!stack.empty()) {
    Frame f = std::move(stack.back());
    stack.pop_back();
    f.toks.insert(f.toks.end(), f.n->key.begin(), f.n->key.end());
    f.slots.insert(f.slots.end(), f.n->slots.begin(), f.n->slots.end());
    if (f.n->children.empty() && f.n != root_.get()) out.emplace_back(f.toks, f.slots);
    for (auto& [k, c] : f.n->children) stack.push_back({c.get(), f.toks, f.slots});
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<int32_t> RadixCache::check_invariants() const {
  std::vector<int32_t> all;
  std::set<int32_t> seen;
  size_t evictable = 0, prot = 0;
  std::vector<const RadixNode*> stack = {root_.get()};
  while (!stack.empty()) {
    const RadixNode* n = stack.back();
    stack.pop_back();
    int32_t sum = 0;
    for (auto& [k, c] : n->children) {
      if (c->parent != n) broken("parent link");
      if (c->key.empty() || k != page_key(c->key, 0)) broken("child not keyed by its first page");
      sum += c->lock;
      stack.push_back(c.get());
    }
    if (n == root_.get()) {
      if (!n->key.empty() || n->lock != 1) broken("root changed");
      continue;
    }
    if (n->key.size() != n->slots.size() || n->key.size() % page_ != 0) broken("key/slot lengths");
    auto d = direct_locks_.find(n);
    int32_t direct = d == direct_locks_.end() ? 0 : d->second;
    if (n->lock != sum + direct || n->lock < 0)
      broken("lock count is not the sum of the locks below");
    (n->lock == 0 ? evictable : prot) += n->key.size();
    for (int32_t s : n->slots) {
      if (!seen.insert(s).second) broken("slot " + std::to_string(s) + " cached twice");
      if (!alloc_.owns_slot(s) || alloc_.is_free_slot(s))
        broken("cached slot " + std::to_string(s) + " is not in use in the allocator");
      all.push_back(s);
    }
  }
  if (evictable != evictable_ || prot != protected_) broken("size counters");
  for (auto& [n, c] : direct_locks_)
    if (c <= 0) broken("direct lock entry <= 0");
  if (disabled_ && !all.empty()) broken("a disabled cache holds slots");
  return all;
}

}  // namespace sgl::serve
