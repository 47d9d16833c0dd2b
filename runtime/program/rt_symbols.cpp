// The table of rt.h entry points (see rt_symbols.h); a test checks it against the header.
#include "rt_symbols.h"

#include "sgl/rt.h"

namespace sgl {

std::span<const RtSymbol> rt_symbols() {
  static const RtSymbol table[] = {
      {"sgl_rt_abi_version", reinterpret_cast<void*>(&sgl_rt_abi_version)},
      {"sgl_error", reinterpret_cast<void*>(&sgl_error)},
      {"sgl_alloc", reinterpret_cast<void*>(&sgl_alloc)},
      {"sgl_str_new", reinterpret_cast<void*>(&sgl_str_new)},
      {"sgl_str_concat", reinterpret_cast<void*>(&sgl_str_concat)},
      {"sgl_str_concat_n", reinterpret_cast<void*>(&sgl_str_concat_n)},
      {"sgl_str_from_int", reinterpret_cast<void*>(&sgl_str_from_int)},
      {"sgl_str_from_float", reinterpret_cast<void*>(&sgl_str_from_float)},
      {"sgl_str_from_bool", reinterpret_cast<void*>(&sgl_str_from_bool)},
      {"sgl_to_str", reinterpret_cast<void*>(&sgl_to_str)},
      {"sgl_str_eq", reinterpret_cast<void*>(&sgl_str_eq)},
      {"sgl_str_cmp", reinterpret_cast<void*>(&sgl_str_cmp)},
      {"sgl_value_eq", reinterpret_cast<void*>(&sgl_value_eq)},
      {"sgl_regex_get", reinterpret_cast<void*>(&sgl_regex_get)},
      {"sgl_regex_search", reinterpret_cast<void*>(&sgl_regex_search)},
      {"sgl_list_new", reinterpret_cast<void*>(&sgl_list_new)},
      {"sgl_list_push", reinterpret_cast<void*>(&sgl_list_push)},
      {"sgl_list_len", reinterpret_cast<void*>(&sgl_list_len)},
      {"sgl_list_get", reinterpret_cast<void*>(&sgl_list_get)},
      {"sgl_list_concat", reinterpret_cast<void*>(&sgl_list_concat)},
      {"sgl_str_len", reinterpret_cast<void*>(&sgl_str_len)},
      {"sgl_int_from_str", reinterpret_cast<void*>(&sgl_int_from_str)},
      {"sgl_float_from_str", reinterpret_cast<void*>(&sgl_float_from_str)},
      {"sgl_int_from_float", reinterpret_cast<void*>(&sgl_int_from_float)},
      {"sgl_join", reinterpret_cast<void*>(&sgl_join)},
      {"sgl_split", reinterpret_cast<void*>(&sgl_split)},
      {"sgl_trim", reinterpret_cast<void*>(&sgl_trim)},
      {"sgl_str_contains", reinterpret_cast<void*>(&sgl_str_contains)},
      {"sgl_list_contains", reinterpret_cast<void*>(&sgl_list_contains)},
      {"sgl_range", reinterpret_cast<void*>(&sgl_range)},
      {"sgl_print_begin", reinterpret_cast<void*>(&sgl_print_begin)},
      {"sgl_print_value", reinterpret_cast<void*>(&sgl_print_value)},
      {"sgl_print_end", reinterpret_cast<void*>(&sgl_print_end)},
      {"sgl_text", reinterpret_cast<void*>(&sgl_text)},
      {"sgl_append", reinterpret_cast<void*>(&sgl_append)},
      {"sgl_role_begin", reinterpret_cast<void*>(&sgl_role_begin)},
      {"sgl_role_end", reinterpret_cast<void*>(&sgl_role_end)},
      {"sgl_gen_opts_new", reinterpret_cast<void*>(&sgl_gen_opts_new)},
      {"sgl_gen_set_int", reinterpret_cast<void*>(&sgl_gen_set_int)},
      {"sgl_gen_set_float", reinterpret_cast<void*>(&sgl_gen_set_float)},
      {"sgl_gen_set_str", reinterpret_cast<void*>(&sgl_gen_set_str)},
      {"sgl_gen_constrain", reinterpret_cast<void*>(&sgl_gen_constrain)},
      {"sgl_gen", reinterpret_cast<void*>(&sgl_gen)},
      {"sgl_select", reinterpret_cast<void*>(&sgl_select)},
      {"sgl_fork_begin", reinterpret_cast<void*>(&sgl_fork_begin)},
      {"sgl_fork_start", reinterpret_cast<void*>(&sgl_fork_start)},
      {"sgl_fork_join", reinterpret_cast<void*>(&sgl_fork_join)},
      {"sgl_branch_var", reinterpret_cast<void*>(&sgl_branch_var)},
      {"sgl_branch_text", reinterpret_cast<void*>(&sgl_branch_text)},
      {"sgl_branches_var", reinterpret_cast<void*>(&sgl_branches_var)},
      {"sgl_spawn", reinterpret_cast<void*>(&sgl_spawn)},
      {"sgl_task_result", reinterpret_cast<void*>(&sgl_task_result)},
      {"sgl_task_text", reinterpret_cast<void*>(&sgl_task_text)},
      {"sgl_task_var", reinterpret_cast<void*>(&sgl_task_var)},
      {"sgl_obj_get", reinterpret_cast<void*>(&sgl_obj_get)},
  };
  return table;
}

}  // namespace sgl
