// The request-to-slots table: one row per running request, listing the K/V slot of each of its
// positions (the engine's SeqInput::slots). The number of rows bounds --max-running-requests.
#pragma once

#include <cstdint>
#include <vector>

namespace sgl::serve {

class ReqSlotTable {
 public:
  explicit ReqSlotTable(int32_t rows);

  int32_t rows() const { return (int32_t)rows_.size(); }
  int32_t free_rows() const { return (int32_t)free_.size(); }
  // Returns a free row (empty) or -1 when all are taken. The caller owns the row until release().
  int32_t acquire();
  // Clears the row and makes it free. Freeing the slots it lists is the caller's job (some belong
  // to the radix cache, some to the request).
  void release(int32_t row);
  // The owner of the row reads and writes it; the scheduler keeps it page-aligned by position.
  std::vector<int32_t>& slots(int32_t row) { return rows_[row]; }
  const std::vector<int32_t>& slots(int32_t row) const { return rows_[row]; }
  bool in_use(int32_t row) const { return used_[row] != 0; }

 private:
  std::vector<std::vector<int32_t>> rows_;
  std::vector<uint8_t> used_;
  std::vector<int32_t> free_;
};

}  // namespace sgl::serve
