// Collective communication between tensor-parallel ranks: all-reduce (sum, in place) and
// all-gather. Implementations: an in-process group (N ranks as threads of one process, over host
// buffers or, with device buffer ops, GPU buffers of one device; used to test the sharded math)
// and NCCL (kernels/nccl_communicator.h, CUDA builds with NCCL headers).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace sgl {

enum class CommDType : uint8_t { F32, BF16 };

size_t comm_dtype_size(CommDType dt);

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // buf[i] = sum over ranks of their buf[i], every rank the same result (bitwise). `stream` is a
  // cudaStream_t for device buffers (ignored for host buffers). Every rank must call it.
  virtual void all_reduce_sum(void* buf, size_t count, CommDType dt, void* stream = nullptr) = 0;
  // recv = rank 0's send, then rank 1's, ... (count elements each).
  virtual void all_gather(const void* send, void* recv, size_t count, CommDType dt, void* stream = nullptr) = 0;
};

// How the in-process group reaches rank buffers: plain memcpy for host memory; the CUDA engine
// supplies device copies.
struct CommBufferOps {
  void (*to_host)(void* dst, const void* src, size_t bytes, void* stream);
  void (*from_host)(void* dst, const void* src, size_t bytes, void* stream);
};
CommBufferOps host_buffer_ops();

// N communicators sharing one in-process group; give one to each of N threads. Sums run in rank
// order in fp32 (bf16 rounded once at the end), so every rank gets the same bits.
std::vector<std::unique_ptr<Communicator>> make_in_process_group(int n, CommBufferOps ops = host_buffer_ops());

}  // namespace sgl
