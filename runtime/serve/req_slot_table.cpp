// Free-list of rows for the request-to-slots table.
#include "req_slot_table.h"

#include <stdexcept>
#include <string>

namespace sgl::serve {

ReqSlotTable::ReqSlotTable(int32_t rows) : rows_((size_t)rows), used_((size_t)rows, 0) {
  if (rows < 1) throw std::invalid_argument("the request table needs at least one row");
  for (int32_t r = rows - 1; r >= 0; --r) free_.push_back(r);
}

int32_t ReqSlotTable::acquire() {
  if (free_.empty()) return -1;
  int32_t r = free_.back();
  free_.pop_back();
  used_[r] = 1;
  return r;
}

void ReqSlotTable::release(int32_t row) {
  if (row < 0 || row >= rows() || !used_[row])
    throw std::logic_error("ReqSlotTable::release: row " + std::to_string(row) +
                           " is not in use (internal error)");
  rows_[row].clear();
  used_[row] = 0;
  free_.push_back(row);
}

}  // namespace sgl::serve
