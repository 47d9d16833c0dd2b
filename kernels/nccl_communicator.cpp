#include "nccl_communicator.h"

#include <cuda_runtime.h>
#include <dlfcn.h>
#include <nccl.h>

#include <cstring>
#include <stdexcept>

namespace sgl::cuda {

namespace {

struct NcclApi {
  ncclResult_t (*get_unique_id)(ncclUniqueId*) = nullptr;
  ncclResult_t (*comm_init_rank)(ncclComm_t*, int, ncclUniqueId, int) = nullptr;
  ncclResult_t (*comm_destroy)(ncclComm_t) = nullptr;
  ncclResult_t (*all_reduce)(const void*, void*, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t) = nullptr;
  ncclResult_t (*all_gather)(const void*, void*, size_t, ncclDataType_t, ncclComm_t, cudaStream_t) = nullptr;
  const char* (*error_string)(ncclResult_t) = nullptr;
};

const NcclApi* load_nccl(std::string* err) {
  static std::string reason;
  static const NcclApi* api = []() -> const NcclApi* {
    void* h = dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!h) h = dlopen("libnccl.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      reason = std::string("cannot load libnccl (") + (e ? e : "not found") + ")";
      return nullptr;
    }
    static NcclApi a;
    a.get_unique_id = reinterpret_cast<decltype(a.get_unique_id)>(dlsym(h, "ncclGetUniqueId"));
    a.comm_init_rank = reinterpret_cast<decltype(a.comm_init_rank)>(dlsym(h, "ncclCommInitRank"));
    a.comm_destroy = reinterpret_cast<decltype(a.comm_destroy)>(dlsym(h, "ncclCommDestroy"));
    a.all_reduce = reinterpret_cast<decltype(a.all_reduce)>(dlsym(h, "ncclAllReduce"));
    a.all_gather = reinterpret_cast<decltype(a.all_gather)>(dlsym(h, "ncclAllGather"));
    a.error_string = reinterpret_cast<decltype(a.error_string)>(dlsym(h, "ncclGetErrorString"));
    if (!a.get_unique_id || !a.comm_init_rank || !a.comm_destroy || !a.all_reduce || !a.all_gather || !a.error_string) {
      reason = "libnccl lacks an expected symbol";
      return nullptr;
    }
    return &a;
  }();
  if (!api && err) *err = reason;
  return api;
}

ncclDataType_t nccl_type(CommDType dt) { return dt == CommDType::F32 ? ncclFloat32 : ncclBfloat16; }

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(const NcclApi* api, ncclComm_t comm, int rank, int size)
      : api_(api), comm_(comm), rank_(rank), size_(size) {}
  ~NcclCommunicator() override { api_->comm_destroy(comm_); }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_reduce_sum(void* buf, size_t count, CommDType dt, void* stream) override {
    ok(api_->all_reduce(buf, buf, count, nccl_type(dt), ncclSum, comm_, static_cast<cudaStream_t>(stream)),
       "ncclAllReduce");
  }
  void all_gather(const void* send, void* recv, size_t count, CommDType dt, void* stream) override {
    ok(api_->all_gather(send, recv, count, nccl_type(dt), comm_, static_cast<cudaStream_t>(stream)), "ncclAllGather");
  }

 private:
  void ok(ncclResult_t r, const char* what) const {
    if (r != ncclSuccess) throw std::runtime_error(std::string(what) + ": " + api_->error_string(r));
  }
  const NcclApi* api_;
  ncclComm_t comm_;
  int rank_, size_;
};

}  // namespace

bool nccl_unique_id(NcclId* id, std::string* err) {
  const NcclApi* api = load_nccl(err);
  if (!api) return false;
  ncclUniqueId u;
  ncclResult_t r = api->get_unique_id(&u);
  if (r != ncclSuccess) {
    *err = std::string("ncclGetUniqueId: ") + api->error_string(r);
    return false;
  }
  static_assert(sizeof(u) == sizeof(id->bytes));
  std::memcpy(id->bytes, &u, sizeof(u));
  return true;
}

std::unique_ptr<Communicator> make_nccl_communicator(int rank, int size, const NcclId& id, std::string* err) {
  const NcclApi* api = load_nccl(err);
  if (!api) return nullptr;
  ncclUniqueId u;
  std::memcpy(&u, id.bytes, sizeof(u));
  ncclComm_t comm = nullptr;
  ncclResult_t r = api->comm_init_rank(&comm, size, u, rank);
  if (r != ncclSuccess) {
    *err = std::string("ncclCommInitRank: ") + api->error_string(r);
    return nullptr;
  }
  return std::make_unique<NcclCommunicator>(api, comm, rank, size);
}

}  // namespace sgl::cuda
