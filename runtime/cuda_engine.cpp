// CudaEngine: one GPU, bf16 weights and KV cache, fp32 residual stream and logits.
// Per layer (T tokens of a mixed prefill/decode batch, flattened as in the CPU engine):
//   add_rmsnorm(x += delta) -> xb;  qkv = xb Wqkv^T (+bias);  rope(q, k);  kv_store(k, v -> slots)
//   attention(q, paged K/V) -> att;  delta = att Wo^T (fp32);  add_rmsnorm(x += delta) -> xb
//   gu = xb Wgu^T;  h = silu(g) * u;  delta = h Wdown^T (fp32)
// then x += delta, the final norm on the rows that want logits, logits = xo Wout^T (fp32).
// Every per-step input the kernels read (tokens, positions, slots, slot table) is copied into
// fixed device buffers first, so decode steps replay CUDA graphs captured per padded batch size.
#include "cuda_engine.h"

#include "communicator.h"
#include "cuda_batch_plan.h"

#ifdef SGL_HAVE_CUDA

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <stdexcept>

#include "attention.cuh"
#include "bias.cuh"
#include "device_info.cuh"
#include "dtype.h"
#include "embedding.cuh"
#include "gemm.cuh"
#include "kv_store.cuh"
#include "rmsnorm.cuh"
#include "rope.cuh"
#include "silu_mul.cuh"

namespace sgl {

namespace {

void ck(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

// A device allocation that frees itself.
template <class T>
struct DevBuf {
  T* p = nullptr;
  size_t n = 0;
  DevBuf() = default;
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  ~DevBuf() { reset(); }
  void reset() {
    if (p) cudaFree(p);
    p = nullptr;
    n = 0;
  }
  // Returns true when it (re)allocated (pointers captured in graphs are then stale).
  bool ensure(size_t count) {
    if (count <= n) return false;
    reset();
    ck(cudaMalloc(&p, count * sizeof(T)), "cudaMalloc");
    n = count;
    return true;
  }
};

std::vector<uint16_t> to_bf16_rows(const Matrix& m, int64_t r0, int64_t r1) {
  std::vector<uint16_t> out((size_t)(r1 - r0) * m.cols);
  std::vector<float> row(m.cols);
  for (int64_t r = r0; r < r1; ++r) {
    uint16_t* o = out.data() + (size_t)(r - r0) * m.cols;
    if (m.dtype == DType::BF16) {
      std::memcpy(o, m.row(r), sizeof(uint16_t) * m.cols);
    } else {
      dequantize_row(m.dtype, m.row(r), row.data(), m.cols);
      for (int64_t i = 0; i < m.cols; ++i) o[i] = f32_to_bf16(row[i]);
    }
  }
  return out;
}

class CudaEngine : public Engine {
 public:
  CudaEngine(std::shared_ptr<const Model> model, const CudaEngineOptions& opt);
  ~CudaEngine() override;
  const ModelConfig& config() const override { return model_->config; }
  KvPool& kv_pool() override { return *kv_; }
  void forward(std::span<const SeqInput> batch, std::vector<float>& logits) override;

 private:
  struct LayerW {
    DevBuf<uint16_t> wqkv, wo, wgu, wdown;
    DevBuf<float> attn_norm, ffn_norm, bqkv;
  };
  void upload();
  void ensure_buffers(int T, int n_out, size_t table);
  void run_model(int T, int n_out);
  void drop_graphs();

  std::shared_ptr<const Model> model_;
  CudaEngineOptions opt_;
  int qd_ = 0, kvd_ = 0, qkv_ld_ = 0;
  std::unique_ptr<KvPool> kv_;
  int32_t capacity_ = 0;
  cudaStream_t compute_ = nullptr, copy_ = nullptr;
  cudaEvent_t done_ = nullptr;
  std::unique_ptr<cuda::Gemm> gemm_;
  std::unique_ptr<LayerW[]> layers_;
  DevBuf<uint16_t> embd_, out_w_;
  bool tied_ = false;
  DevBuf<float> out_norm_, inv_freq_;
  DevBuf<uint16_t> kv_cache_;  // [layer][k|v][capacity + 1][kvd]; slot `capacity` is scratch
  // Activations and per-step inputs (grown on demand; growth drops the graphs).
  int T_cap_ = 0, out_cap_ = 0;
  DevBuf<float> x_, delta_, logits_;
  DevBuf<uint16_t> xb_, qkv_, att_, gu_, h_, xo_;
  DevBuf<int32_t> meta_;  // tokens | pos | slot | seq_off | out_rows, T_cap_ each
  DevBuf<int32_t> table_;
  int32_t* h_meta_ = nullptr;  // pinned
  size_t h_meta_n_ = 0;
  float* h_logits_ = nullptr;  // pinned
  size_t h_logits_n_ = 0;
  std::map<int, cudaGraphExec_t> graphs_;
  BatchPlan plan_;
};

CudaEngine::CudaEngine(std::shared_ptr<const Model> model, const CudaEngineOptions& opt)
    : model_(std::move(model)), opt_(opt) {
  const ModelConfig& c = model_->config;
  qd_ = c.n_heads * c.head_dim;
  kvd_ = c.n_kv_heads * c.head_dim;
  qkv_ld_ = qd_ + 2 * kvd_;
  if (c.head_dim > cuda::kAttentionMaxHeadDim) throw std::runtime_error("head_dim above 256 is not supported on CUDA");
  ck(cudaSetDevice(opt.device), "cudaSetDevice");
  ck(cudaStreamCreateWithFlags(&compute_, cudaStreamNonBlocking), "cudaStreamCreate");
  ck(cudaStreamCreateWithFlags(&copy_, cudaStreamNonBlocking), "cudaStreamCreate");
  ck(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming), "cudaEventCreate");
  std::string why;
  gemm_ = cuda::Gemm::create(&why);
  if (!gemm_) throw std::runtime_error(why);
  gemm_->set_stream(compute_);
  upload();
  // KV cache: the requested slots, or a fraction of what is free after the weights.
  const int64_t per_slot = (int64_t)c.n_layers * 2 * kvd_ * 2;
  int64_t slots = opt.kv_slots;
  if (slots <= 0) {
    size_t free_b = 0, total_b = 0;
    ck(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
    slots = cuda_kv_slots_for_bytes(c, (int64_t)((double)free_b * opt.kv_mem_fraction) - (int64_t{1} << 30));
  }
  if (slots < 1) throw std::runtime_error("no GPU memory left for the KV cache after the weights");
  capacity_ = (int32_t)std::min<int64_t>(slots, INT32_MAX - 1);
  kv_ = std::make_unique<KvPool>(c, capacity_, /*host_storage=*/false);
  kv_cache_.ensure((size_t)per_slot / 2 * (size_t)(capacity_ + 1));
  ensure_buffers(std::max(opt.max_graph_batch, 1), std::max(opt.max_graph_batch, 1),
                 (size_t)std::max(opt.max_graph_batch, 1) * c.max_seq_len + 1);
}

CudaEngine::~CudaEngine() {
  drop_graphs();
  if (h_meta_) cudaFreeHost(h_meta_);
  if (h_logits_) cudaFreeHost(h_logits_);
  if (done_) cudaEventDestroy(done_);
  if (compute_) cudaStreamDestroy(compute_);
  if (copy_) cudaStreamDestroy(copy_);
}

void CudaEngine::upload() {
  const Model& m = *model_;
  const ModelConfig& c = m.config;
  auto put16 = [&](DevBuf<uint16_t>& d, const std::vector<uint16_t>& h) {
    d.ensure(h.size());
    ck(cudaMemcpy(d.p, h.data(), h.size() * 2, cudaMemcpyHostToDevice), "upload");
  };
  auto put32 = [&](DevBuf<float>& d, const float* h, size_t n) {
    d.ensure(n);
    ck(cudaMemcpy(d.p, h, n * 4, cudaMemcpyHostToDevice), "upload");
  };
  auto cat = [](std::initializer_list<const std::vector<uint16_t>*> parts) {
    std::vector<uint16_t> out;
    for (auto* p : parts) out.insert(out.end(), p->begin(), p->end());
    return out;
  };
  layers_.reset(new LayerW[c.n_layers]);
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = m.layers[l];
    LayerW& L = layers_[l];
    auto q = to_bf16_rows(w.wq, 0, w.wq.rows), k = to_bf16_rows(w.wk, 0, w.wk.rows), v = to_bf16_rows(w.wv, 0, w.wv.rows);
    put16(L.wqkv, cat({&q, &k, &v}));
    put16(L.wo, to_bf16_rows(w.wo, 0, w.wo.rows));
    auto g = to_bf16_rows(w.w_gate, 0, w.w_gate.rows), u = to_bf16_rows(w.w_up, 0, w.w_up.rows);
    put16(L.wgu, cat({&g, &u}));
    put16(L.wdown, to_bf16_rows(w.w_down, 0, w.w_down.rows));
    put32(L.attn_norm, w.attn_norm, c.dim);
    put32(L.ffn_norm, w.ffn_norm, c.dim);
    if (w.bq || w.bk || w.bv) {
      std::vector<float> b(qkv_ld_, 0.0f);
      if (w.bq) std::copy_n(w.bq, qd_, b.begin());
      if (w.bk) std::copy_n(w.bk, kvd_, b.begin() + qd_);
      if (w.bv) std::copy_n(w.bv, kvd_, b.begin() + qd_ + kvd_);
      put32(L.bqkv, b.data(), b.size());
    }
  }
  put16(embd_, to_bf16_rows(m.tok_embd, 0, m.tok_embd.rows));
  tied_ = m.output.data == m.tok_embd.data && m.output.dtype == m.tok_embd.dtype;
  if (!tied_) put16(out_w_, to_bf16_rows(m.output, 0, m.output.rows));
  put32(out_norm_, m.out_norm, c.dim);
  put32(inv_freq_, m.rope_inv_freq.data(), m.rope_inv_freq.size());
}

void CudaEngine::drop_graphs() {
  for (auto& [n, g] : graphs_) cudaGraphExecDestroy(g);
  graphs_.clear();
}

void CudaEngine::ensure_buffers(int T, int n_out, size_t table) {
  const ModelConfig& c = model_->config;
  bool moved = false;
  if (T > T_cap_) {
    const int cap = std::max(T, T_cap_ * 2);
    moved |= x_.ensure((size_t)cap * c.dim);
    moved |= delta_.ensure((size_t)cap * c.dim);
    moved |= xb_.ensure((size_t)cap * c.dim);
    moved |= qkv_.ensure((size_t)cap * qkv_ld_);
    moved |= att_.ensure((size_t)cap * qd_);
    moved |= gu_.ensure((size_t)cap * 2 * c.hidden_dim);
    moved |= h_.ensure((size_t)cap * c.hidden_dim);
    moved |= meta_.ensure((size_t)cap * 5);
    T_cap_ = cap;
  }
  if (n_out > out_cap_) {
    const int cap = std::max(n_out, out_cap_ * 2);
    moved |= xo_.ensure((size_t)cap * c.dim);
    moved |= logits_.ensure((size_t)cap * c.vocab_size);
    out_cap_ = cap;
  }
  if (table > table_.n) moved |= table_.ensure(std::max(table, table_.n * 2));
  const size_t meta_n = (size_t)T_cap_ * 5 + table_.n;
  if (meta_n > h_meta_n_) {
    if (h_meta_) cudaFreeHost(h_meta_);
    ck(cudaMallocHost(&h_meta_, meta_n * sizeof(int32_t)), "cudaMallocHost");
    h_meta_n_ = meta_n;
  }
  const size_t lg = (size_t)out_cap_ * c.vocab_size;
  if (lg > h_logits_n_) {
    if (h_logits_) cudaFreeHost(h_logits_);
    ck(cudaMallocHost(&h_logits_, lg * sizeof(float)), "cudaMallocHost");
    h_logits_n_ = lg;
  }
  if (moved) drop_graphs();
}

void CudaEngine::run_model(int T, int n_out) {
  const ModelConfig& c = model_->config;
  const int dim = c.dim, ffn = c.hidden_dim, V = c.vocab_size;
  cudaStream_t s = compute_;
  const int32_t* d_tok = meta_.p;
  const int32_t* d_pos = meta_.p + T_cap_;
  const int32_t* d_slot = meta_.p + 2 * (size_t)T_cap_;
  const int32_t* d_seq = meta_.p + 3 * (size_t)T_cap_;
  const int32_t* d_out = meta_.p + 4 * (size_t)T_cap_;
  const size_t layer_kv = (size_t)(capacity_ + 1) * kvd_;
  cuda::embedding(embd_.p, V, dim, 0, d_tok, T, x_.p, s);
  for (int l = 0; l < c.n_layers; ++l) {
    LayerW& L = layers_[l];
    uint16_t* kc = kv_cache_.p + (size_t)l * 2 * layer_kv;
    uint16_t* vc = kc + layer_kv;
    cuda::add_rmsnorm(x_.p, l == 0 ? nullptr : delta_.p, L.attn_norm.p, dim, c.norm_eps, T, nullptr, xb_.p, s);
    gemm_->matmul(xb_.p, dim, L.wqkv.p, qkv_ld_, dim, T, qkv_.p, qkv_ld_, false);
    if (L.bqkv.p) cuda::add_bias(qkv_.p, qkv_ld_, L.bqkv.p, T, qkv_ld_, s);
    cuda::rope(qkv_.p, qkv_ld_, T, d_pos, inv_freq_.p, c.n_heads, c.n_kv_heads, c.head_dim, c.rope_interleaved, s);
    cuda::kv_store(qkv_.p, qkv_ld_, qd_, qd_ + kvd_, kvd_, T, d_slot, kc, vc, s);
    cuda::AttentionArgs a;
    a.q = qkv_.p;
    a.q_ld = qkv_ld_;
    a.k_cache = kc;
    a.v_cache = vc;
    a.slot_table = table_.p;
    a.seq_off = d_seq;
    a.pos = d_pos;
    a.T = T;
    a.n_q = c.n_heads;
    a.n_kv = c.n_kv_heads;
    a.head_dim = c.head_dim;
    a.window = c.sliding_window;
    a.scale = 1.0f / std::sqrt((float)c.head_dim);
    a.out = att_.p;
    cuda::attention(a, s);
    gemm_->matmul(att_.p, qd_, L.wo.p, dim, qd_, T, delta_.p, dim, true);
    cuda::add_rmsnorm(x_.p, delta_.p, L.ffn_norm.p, dim, c.norm_eps, T, nullptr, xb_.p, s);
    gemm_->matmul(xb_.p, dim, L.wgu.p, 2 * ffn, dim, T, gu_.p, 2 * ffn, false);
    cuda::silu_mul(gu_.p, T, ffn, h_.p, s);
    gemm_->matmul(h_.p, ffn, L.wdown.p, dim, ffn, T, delta_.p, dim, true);
  }
  // x += delta (the normalised copy in xb is unused), then the final norm of the logits rows.
  cuda::add_rmsnorm(x_.p, delta_.p, out_norm_.p, dim, c.norm_eps, T, nullptr, xb_.p, s);
  cuda::add_rmsnorm(x_.p, nullptr, out_norm_.p, dim, c.norm_eps, n_out, d_out, xo_.p, s);
  gemm_->matmul(xo_.p, dim, tied_ ? embd_.p : out_w_.p, V, dim, n_out, logits_.p, V, true);
}

void CudaEngine::forward(std::span<const SeqInput> batch, std::vector<float>& logits) {
  const ModelConfig& c = model_->config;
  const int B = (int)batch.size();
  const bool graph = opt_.cuda_graphs && is_decode_batch(batch) && B <= opt_.max_graph_batch;
  const int pad = graph ? decode_graph_size(B, opt_.max_graph_batch) : 0;
  plan_batch(batch, c.vocab_size, capacity_, capacity_, pad, plan_);
  logits.assign((size_t)plan_.n_out * c.vocab_size, 0.0f);
  if (plan_.T == 0) return;
  ensure_buffers(plan_.T_run, plan_.n_out_run, plan_.slot_table.size());
  // Per-step inputs: one pinned staging block, one H2D copy per region.
  const size_t Tc = (size_t)T_cap_;
  int32_t* h = h_meta_;
  std::copy(plan_.tokens.begin(), plan_.tokens.end(), h);
  std::copy(plan_.pos.begin(), plan_.pos.end(), h + Tc);
  std::copy(plan_.slot.begin(), plan_.slot.end(), h + 2 * Tc);
  std::copy(plan_.seq_off.begin(), plan_.seq_off.end(), h + 3 * Tc);
  std::copy(plan_.out_rows.begin(), plan_.out_rows.end(), h + 4 * Tc);
  std::copy(plan_.slot_table.begin(), plan_.slot_table.end(), h + 5 * Tc);
  ck(cudaMemcpyAsync(meta_.p, h, Tc * 5 * sizeof(int32_t), cudaMemcpyHostToDevice, compute_), "H2D meta");
  ck(cudaMemcpyAsync(table_.p, h + 5 * Tc, plan_.slot_table.size() * sizeof(int32_t), cudaMemcpyHostToDevice, compute_),
     "H2D slots");
  if (graph) {
    auto it = graphs_.find(plan_.T_run);
    if (it == graphs_.end()) {
      cudaGraph_t g = nullptr;
      ck(cudaStreamBeginCapture(compute_, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
      try {
        run_model(plan_.T_run, plan_.n_out_run);
      } catch (...) {
        cudaStreamEndCapture(compute_, &g);
        if (g) cudaGraphDestroy(g);
        throw;
      }
      ck(cudaStreamEndCapture(compute_, &g), "cudaStreamEndCapture");
      cudaGraphExec_t exec = nullptr;
      cudaError_t e = cudaGraphInstantiate(&exec, g, 0);
      cudaGraphDestroy(g);
      ck(e, "cudaGraphInstantiate");
      it = graphs_.emplace(plan_.T_run, exec).first;
    }
    ck(cudaGraphLaunch(it->second, compute_), "cudaGraphLaunch");
  } else {
    run_model(plan_.T_run, plan_.n_out_run);
  }
  // Logits back on the copy stream (the next step's inputs can be staged meanwhile).
  ck(cudaEventRecord(done_, compute_), "cudaEventRecord");
  ck(cudaStreamWaitEvent(copy_, done_, 0), "cudaStreamWaitEvent");
  const size_t nbytes = (size_t)plan_.n_out * c.vocab_size * sizeof(float);
  ck(cudaMemcpyAsync(h_logits_, logits_.p, nbytes, cudaMemcpyDeviceToHost, copy_), "D2H logits");
  ck(cudaStreamSynchronize(copy_), "forward");
  std::memcpy(logits.data(), h_logits_, nbytes);
}

}  // namespace

CommBufferOps cuda_buffer_ops() {
  CommBufferOps ops;
  ops.to_host = [](void* dst, const void* src, size_t bytes, void* stream) {
    ck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, static_cast<cudaStream_t>(stream)), "comm D2H");
    ck(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "comm D2H");
  };
  ops.from_host = [](void* dst, const void* src, size_t bytes, void* stream) {
    ck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, static_cast<cudaStream_t>(stream)), "comm H2D");
    ck(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "comm H2D");
  };
  return ops;
}

std::unique_ptr<Engine> make_cuda_engine(std::shared_ptr<const Model> model, const CudaEngineOptions& opt,
                                         std::string* err) {
  cuda::DeviceSummary d = cuda::query_devices();
  if (d.count == 0) {
    *err = d.driver_version == 0 ? "CUDA engine unavailable: no NVIDIA driver on this machine"
                                 : "CUDA engine unavailable: no CUDA GPU found";
    return nullptr;
  }
  if (opt.device < 0 || opt.device >= d.count) {
    *err = "CUDA engine unavailable: device " + std::to_string(opt.device) + " does not exist (" +
           std::to_string(d.count) + " found)";
    return nullptr;
  }
  try {
    return std::make_unique<CudaEngine>(std::move(model), opt);
  } catch (const std::exception& e) {
    *err = std::string("CUDA engine unavailable: ") + e.what();
    cudaGetLastError();
    return nullptr;
  }
}

}  // namespace sgl

#else  // !SGL_HAVE_CUDA

namespace sgl {

CommBufferOps cuda_buffer_ops() { return host_buffer_ops(); }

std::unique_ptr<Engine> make_cuda_engine(std::shared_ptr<const Model>, const CudaEngineOptions&, std::string* err) {
  *err = "CUDA engine unavailable: this binary was built without CUDA (rebuild with -DSGL_CUDA=ON)";
  return nullptr;
}

}  // namespace sgl

#endif
