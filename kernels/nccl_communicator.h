// The NCCL implementation of Communicator (device buffers, one GPU per rank). libnccl is loaded
// with dlopen on first use, so binaries start without it; built only when nccl.h was found at
// configure time (SGL_HAVE_NCCL). NCCL 2.28 cannot put two ranks on one GPU: one-GPU machines
// test this with a single rank, and the sharded math with the in-process group.
#pragma once

#include <memory>
#include <string>

#include "communicator.h"

namespace sgl::cuda {

struct NcclId {
  char bytes[128];
};

// false (and *err) when libnccl cannot be loaded.
bool nccl_unique_id(NcclId* id, std::string* err);
// Call on the rank's thread after cudaSetDevice; null (and *err) on failure.
std::unique_ptr<Communicator> make_nccl_communicator(int rank, int size, const NcclId& id, std::string* err);

}  // namespace sgl::cuda
