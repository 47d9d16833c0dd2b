#include "cuda_batch_plan.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace sgl {

std::vector<int> decode_graph_sizes(int max_batch) {
  std::vector<int> s;
  for (int b = 1; b < max_batch; b *= 2) s.push_back(b);
  if (max_batch >= 1) s.push_back(max_batch);
  return s;
}

int decode_graph_size(int batch, int max_batch) {
  if (batch < 1 || batch > max_batch) return 0;
  for (int s : decode_graph_sizes(max_batch))
    if (s >= batch) return s;
  return 0;
}

bool is_decode_batch(std::span<const SeqInput> batch) {
  if (batch.empty()) return false;
  for (const auto& s : batch)
    if (s.tokens.size() != 1) return false;
  return true;
}

void plan_batch(std::span<const SeqInput> batch, int vocab, int32_t kv_capacity, int32_t scratch_slot, int pad_to,
                BatchPlan& p) {
  p.T = 0;
  p.n_out = 0;
  p.max_ctx = 0;
  p.tokens.clear();
  p.pos.clear();
  p.slot.clear();
  p.seq_off.clear();
  p.slot_table.clear();
  p.out_rows.clear();
  for (const auto& s : batch) {
    if (s.pos < 0 || s.slots.size() < (size_t)s.pos + s.tokens.size())
      throw std::invalid_argument("forward: a sequence has fewer slots than positions");
    const int n = (int)s.tokens.size();
    const int ctx = s.pos + n;
    const int32_t off = (int32_t)p.slot_table.size();
    for (int j = 0; j < ctx; ++j) {
      const int32_t sl = s.slots[j];
      if (sl < 0 || sl >= kv_capacity) throw std::invalid_argument("forward: slot out of range");
      p.slot_table.push_back(sl);
    }
    for (int i = 0; i < n; ++i) {
      const int32_t tok = s.tokens[i];
      if (tok < 0 || tok >= vocab) throw std::invalid_argument("forward: token id " + std::to_string(tok) + " out of range");
      p.tokens.push_back(tok);
      p.pos.push_back(s.pos + i);
      p.slot.push_back(s.slots[s.pos + i]);
      p.seq_off.push_back(off);
      if (s.all_logits || i == n - 1) p.out_rows.push_back(p.T + i);
    }
    p.T += n;
    p.max_ctx = std::max(p.max_ctx, ctx);
  }
  p.n_out = (int)p.out_rows.size();
  p.T_run = std::max(p.T, pad_to);
  p.n_out_run = p.n_out;
  if (p.T_run > p.T) {
    // Padded rows: one shared table entry holding the scratch slot.
    const int32_t off = (int32_t)p.slot_table.size();
    p.slot_table.push_back(scratch_slot);
    for (int t = p.T; t < p.T_run; ++t) {
      p.tokens.push_back(0);
      p.pos.push_back(0);
      p.slot.push_back(scratch_slot);
      p.seq_off.push_back(off);
      p.out_rows.push_back(t);
    }
    p.n_out_run = (int)p.out_rows.size();
  }
}

int64_t cuda_kv_slots_for_bytes(const ModelConfig& c, int64_t bytes, int64_t cap) {
  const int64_t per_slot = (int64_t)c.n_layers * 2 * c.n_kv_heads * c.head_dim * 2;
  if (per_slot <= 0) return 0;
  return std::min(bytes / per_slot, cap);
}

}  // namespace sgl
