#include "communicator.h"

#include <barrier>
#include <cstring>
#include <stdexcept>

#include "dtype.h"

namespace sgl {

size_t comm_dtype_size(CommDType dt) { return dt == CommDType::F32 ? 4 : 2; }

CommBufferOps host_buffer_ops() {
  CommBufferOps ops;
  ops.to_host = [](void* dst, const void* src, size_t bytes, void*) { std::memcpy(dst, src, bytes); };
  ops.from_host = [](void* dst, const void* src, size_t bytes, void*) { std::memcpy(dst, src, bytes); };
  return ops;
}

namespace {

struct Group {
  explicit Group(int n_, CommBufferOps ops_) : n(n_), ops(ops_), sync(n_), staging(n_) {}
  int n;
  CommBufferOps ops;
  std::barrier<> sync;
  std::vector<std::vector<uint8_t>> staging;  // one per rank, written only by its owner
};

class InProcessCommunicator : public Communicator {
 public:
  InProcessCommunicator(std::shared_ptr<Group> g, int rank) : g_(std::move(g)), rank_(rank) {}
  int rank() const override { return rank_; }
  int size() const override { return g_->n; }

  void all_reduce_sum(void* buf, size_t count, CommDType dt, void* stream) override {
    const size_t bytes = count * comm_dtype_size(dt);
    auto& mine = g_->staging[rank_];
    mine.resize(bytes);
    g_->ops.to_host(mine.data(), buf, bytes, stream);
    g_->sync.arrive_and_wait();
    std::vector<float> acc(count, 0.0f);
    for (int r = 0; r < g_->n; ++r) {
      const uint8_t* s = g_->staging[r].data();
      if (dt == CommDType::F32) {
        const float* f = reinterpret_cast<const float*>(s);
        for (size_t i = 0; i < count; ++i) acc[i] += f[i];
      } else {
        const uint16_t* h = reinterpret_cast<const uint16_t*>(s);
        for (size_t i = 0; i < count; ++i) acc[i] += bf16_to_f32(h[i]);
      }
    }
    g_->sync.arrive_and_wait();  // everyone has read the staging buffers
    if (dt == CommDType::F32) {
      g_->ops.from_host(buf, acc.data(), bytes, stream);
    } else {
      std::vector<uint16_t> h(count);
      for (size_t i = 0; i < count; ++i) h[i] = f32_to_bf16(acc[i]);
      g_->ops.from_host(buf, h.data(), bytes, stream);
    }
  }

  void all_gather(const void* send, void* recv, size_t count, CommDType dt, void* stream) override {
    const size_t bytes = count * comm_dtype_size(dt);
    auto& mine = g_->staging[rank_];
    mine.resize(bytes);
    g_->ops.to_host(mine.data(), send, bytes, stream);
    g_->sync.arrive_and_wait();
    std::vector<uint8_t> all(bytes * g_->n);
    for (int r = 0; r < g_->n; ++r) std::memcpy(all.data() + r * bytes, g_->staging[r].data(), bytes);
    g_->sync.arrive_and_wait();
    g_->ops.from_host(recv, all.data(), all.size(), stream);
  }

 private:
  std::shared_ptr<Group> g_;
  int rank_;
};

}  // namespace

std::vector<std::unique_ptr<Communicator>> make_in_process_group(int n, CommBufferOps ops) {
  if (n < 1) throw std::invalid_argument("make_in_process_group: need at least one rank");
  auto g = std::make_shared<Group>(n, ops);
  std::vector<std::unique_ptr<Communicator>> out;
  for (int r = 0; r < n; ++r) out.push_back(std::make_unique<InProcessCommunicator>(g, r));
  return out;
}

}  // namespace sgl
