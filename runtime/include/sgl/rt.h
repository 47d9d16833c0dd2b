/* The C ABI between code generated from .sgl programs and the runtime (libsglrt).
 *
 * This header is the only thing generated code calls. Rules (docs/architecture.md):
 *  - extern "C", plain C types: sized integers, double, pointers to opaque handles. No C++ types.
 *  - The runtime context comes first. One sgl_ctx is one program instance (a fiber) with its
 *    stream; a call on the same stream passes the same ctx on.
 *  - Every call that can fail returns an int32_t status: SGL_OK (0) or a negative code. On a
 *    negative status the runtime has already recorded the error (with the sgl_loc it was given);
 *    generated code must return that status from its own function at once, without further calls
 *    into the runtime except sgl_* calls that cannot fail.
 *  - Memory: every string, list, object and env the runtime hands out lives in the instance
 *    tree's arena (a root instance and its fork/spawn children share one) and stays valid until
 *    the root instance finishes. Generated code never frees anything.
 *  - A generated module exports one `const sgl_module sgl_program` describing itself; the
 *    runtime checks its abi_version before calling anything in it.
 *
 * Values travel through generic slots as uint64_t "bits": int -> the int64_t, float -> the
 * double's bit pattern, bool -> 0 or 1, everything else -> the pointer. A type descriptor (a
 * NUL-terminated string, see SGL_TYPE_* below) says how to read the bits where the runtime needs
 * to know (lists, printing, str(), equality, branch and task variables, decoding typed gen).
 */
#ifndef SGL_RT_H
#define SGL_RT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SGL_RT_ABI_VERSION 1

/* Status codes. */
#define SGL_OK 0
#define SGL_ERR_RUNTIME (-1)   /* a runtime error in the program (recorded with its location) */
#define SGL_ERR_ENGINE (-2)    /* the model engine failed (recorded) */
#define SGL_ERR_CANCELLED (-3) /* the instance was cancelled (e.g. a sibling failed, Ctrl-C) */
#define SGL_ERR_ABI (-4)       /* module/runtime ABI mismatch */

/* Type descriptors, one character per type constructor, written prefix-first:
 *   "s" str   "i" int   "f" float   "b" bool   "r" regex   "e" enum value (a str)
 *   "L" + T   list[T]            e.g. "Li" list[int], "LLs" list[list[str]]
 *   "o"       schema value (a JSON object)
 *   "B"       a fork branch      "T" a spawn task
 * Schema values keep their JSON; reading a field converts it with the field's descriptor. */
#define SGL_TYPE_STR "s"
#define SGL_TYPE_INT "i"
#define SGL_TYPE_FLOAT "f"
#define SGL_TYPE_BOOL "b"

/* Opaque handles. */
typedef struct sgl_ctx sgl_ctx;         /* one program instance: fiber + stream */
typedef struct sgl_list sgl_list;       /* list of values of one type */
typedef struct sgl_obj sgl_obj;         /* a schema value (JSON object) */
typedef struct sgl_regex sgl_regex;     /* compiled regex */
typedef struct sgl_branch sgl_branch;   /* one fork branch (its stream, text and variables) */
typedef struct sgl_task sgl_task;       /* a spawned function call */
typedef struct sgl_gen_opts sgl_gen_opts; /* options of one gen, built up then consumed by sgl_gen */
typedef struct sgl_fork sgl_fork;       /* a fork in progress (between begin and join) */

/* Immutable UTF-8 text. The layout is part of the ABI so that generated code can emit constant
 * strings as globals and read lengths without a call. `data` need not be NUL-terminated. */
typedef struct sgl_str {
  const char* data;
  int64_t len;
} sgl_str;

/* A source position, emitted by generated code as a constant global. */
typedef struct sgl_loc {
  const char* file;
  int32_t line;
  int32_t col;
} sgl_loc;

/* ---- module description ------------------------------------------------------------------- */

/* Body functions. `env` is memory the caller got from sgl_alloc and filled with captured values. */
typedef int32_t (*sgl_main_fn)(sgl_ctx* ctx, const uint64_t* args);
typedef int32_t (*sgl_prefix_fn)(sgl_ctx* ctx);
typedef int32_t (*sgl_branch_fn)(sgl_ctx* child, void* env, int64_t index, uint64_t item);
typedef int32_t (*sgl_spawn_fn)(sgl_ctx* child, void* env, uint64_t* result);

typedef struct sgl_param {
  const char* name;
  const char* type;          /* "s", "i", "f" or "b": main's parameters are scalars */
  const char* default_text;  /* NULL: required; otherwise the default as --arg would spell it */
} sgl_param;

typedef struct sgl_module {
  int32_t abi_version;       /* SGL_RT_ABI_VERSION the module was compiled against */
  const char* source_file;   /* for messages */
  int32_t num_params;
  const sgl_param* params;   /* main's parameters in order */
  sgl_main_fn main;          /* args[i] holds parameter i's bits (strings as sgl_str*) */
  /* The constant prefix every instance starts with (hoisted by the compiler), or NULL. A --batch
   * run calls it once on a scratch instance and pre-fills the resulting text before the
   * instances start; each instance's main still writes the prefix itself (it is then cached). */
  sgl_prefix_fn prefix;
} sgl_module;

/* Name of the sgl_module global every generated module exports. */
#define SGL_MODULE_SYMBOL "sgl_program"

/* The runtime's ABI version; the loader compares it with sgl_module.abi_version. */
int32_t sgl_rt_abi_version(void);

/* ---- errors and memory -------------------------------------------------------------------- */

/* Records a runtime error "file:line:col: runtime error: message" for this instance and returns
 * SGL_ERR_RUNTIME (generated code returns it). `message` is NUL-terminated. */
int32_t sgl_error(sgl_ctx* ctx, const sgl_loc* loc, const char* message);
/* Arena memory for the instance tree, 16-byte aligned, zeroed. Never fails (aborts on OOM). */
void* sgl_alloc(sgl_ctx* ctx, int64_t bytes);

/* ---- strings ------------------------------------------------------------------------------ */

const sgl_str* sgl_str_new(sgl_ctx* ctx, const char* data, int64_t len); /* copies */
const sgl_str* sgl_str_concat(sgl_ctx* ctx, const sgl_str* a, const sgl_str* b);
/* Concatenates n parts (interpolation, juxtaposed appends folded together). */
const sgl_str* sgl_str_concat_n(sgl_ctx* ctx, const sgl_str* const* parts, int64_t n);
const sgl_str* sgl_str_from_int(sgl_ctx* ctx, int64_t v);
const sgl_str* sgl_str_from_float(sgl_ctx* ctx, double v); /* shortest round-trip form, "2.0" for 2 */
const sgl_str* sgl_str_from_bool(sgl_ctx* ctx, int32_t v);  /* "true" / "false" */
/* str(x) of any value: scalars as text, lists and schema values as JSON. */
const sgl_str* sgl_to_str(sgl_ctx* ctx, const char* type, uint64_t bits);
int32_t sgl_str_eq(const sgl_str* a, const sgl_str* b);   /* 1 if equal */
int32_t sgl_str_cmp(const sgl_str* a, const sgl_str* b);  /* <0, 0, >0 (bytewise) */
/* Equality of any two values of the same type descriptor (lists and objects deeply). */
int32_t sgl_value_eq(const char* type, uint64_t a, uint64_t b);

/* ---- regexes ------------------------------------------------------------------------------ */

/* Compiles (cached by pattern text for the whole process). A pattern that RE2 rejects is a
 * runtime error (only possible for patterns built at run time). */
int32_t sgl_regex_get(sgl_ctx* ctx, const sgl_str* pattern, const sgl_loc* loc, const sgl_regex** out);
int32_t sgl_regex_search(const sgl_regex* re, const sgl_str* s); /* 1 if `s ~ re` (unanchored) */

/* ---- lists -------------------------------------------------------------------------------- */

sgl_list* sgl_list_new(sgl_ctx* ctx, const char* elem_type, int64_t reserve);
void sgl_list_push(sgl_ctx* ctx, sgl_list* list, uint64_t bits);
int64_t sgl_list_len(const sgl_list* list);
/* Index out of range (negative too) is a runtime error at `loc`. */
int32_t sgl_list_get(sgl_ctx* ctx, const sgl_list* list, int64_t index, const sgl_loc* loc, uint64_t* out);
/* A new list: a's items then b's (`a + b`, `xs += ys` builds a new list and rebinds). */
sgl_list* sgl_list_concat(sgl_ctx* ctx, const sgl_list* a, const sgl_list* b);

/* ---- built-in functions ------------------------------------------------------------------- */

int64_t sgl_str_len(const sgl_str* s); /* in code points */
int32_t sgl_int_from_str(sgl_ctx* ctx, const sgl_str* s, const sgl_loc* loc, int64_t* out);
int32_t sgl_float_from_str(sgl_ctx* ctx, const sgl_str* s, const sgl_loc* loc, double* out);
/* int(x) of a float truncates toward zero; NaN or out of range is a runtime error. */
int32_t sgl_int_from_float(sgl_ctx* ctx, double v, const sgl_loc* loc, int64_t* out);
/* join(items, sep): items of any scalar descriptor (list's own). sep NULL means "". */
const sgl_str* sgl_join(sgl_ctx* ctx, const sgl_list* items, const sgl_str* sep);
/* split(s, sep): an empty sep is a runtime error. */
int32_t sgl_split(sgl_ctx* ctx, const sgl_str* s, const sgl_str* sep, const sgl_loc* loc, sgl_list** out);
const sgl_str* sgl_trim(sgl_ctx* ctx, const sgl_str* s);
int32_t sgl_str_contains(const sgl_str* s, const sgl_str* part);
int32_t sgl_list_contains(const sgl_list* items, uint64_t bits);
sgl_list* sgl_range(sgl_ctx* ctx, int64_t start, int64_t end);
/* print(values...): begin, one call per value, end (writes one line to the program's output). */
void sgl_print_begin(sgl_ctx* ctx);
void sgl_print_value(sgl_ctx* ctx, const char* type, uint64_t bits);
void sgl_print_end(sgl_ctx* ctx);
/* text(): the instance's stream text so far. */
const sgl_str* sgl_text(sgl_ctx* ctx);

/* ---- the stream --------------------------------------------------------------------------- */

#define SGL_ROLE_SYSTEM 0
#define SGL_ROLE_USER 1
#define SGL_ROLE_ASSISTANT 2

/* Appends text to the instance's stream (may suspend nothing; never fails). */
void sgl_append(sgl_ctx* ctx, const sgl_str* s);
/* A chat turn: begin writes the template's header for the role, end its end-of-turn marker. */
void sgl_role_begin(sgl_ctx* ctx, int32_t role);
void sgl_role_end(sgl_ctx* ctx, int32_t role);

/* ---- gen ---------------------------------------------------------------------------------- */

/* Option keys for sgl_gen_set_*. The value kind is fixed per key. */
#define SGL_OPT_MAX_TOKENS 1        /* int */
#define SGL_OPT_MIN_TOKENS 2        /* int */
#define SGL_OPT_STOP 3              /* str: one stop string (call once per string) */
#define SGL_OPT_STOP_TOKEN_ID 4     /* int: one id (call once per id) */
#define SGL_OPT_TEMPERATURE 5       /* float */
#define SGL_OPT_TOP_P 6             /* float */
#define SGL_OPT_TOP_K 7             /* int */
#define SGL_OPT_MIN_P 8             /* float */
#define SGL_OPT_FREQUENCY_PENALTY 9 /* float */
#define SGL_OPT_PRESENCE_PENALTY 10 /* float */
#define SGL_OPT_IGNORE_EOS 11       /* int 0/1 */
#define SGL_OPT_SEED 12             /* int */
#define SGL_OPT_LOGPROBS 13         /* int 0/1 */
#define SGL_OPT_TOP_LOGPROBS 14     /* int */

/* Constraint kinds for sgl_gen_constrain. Typed gen is lowered by the compiler to REGEX or
 * JSON_SCHEMA plus a result type descriptor. */
#define SGL_CONSTRAINT_REGEX 1
#define SGL_CONSTRAINT_JSON_SCHEMA 2

/* `name` may be NULL (an unnamed gen). Options not set come from the run's defaults. */
sgl_gen_opts* sgl_gen_opts_new(sgl_ctx* ctx, const char* name);
void sgl_gen_set_int(sgl_gen_opts* o, int32_t key, int64_t v);
void sgl_gen_set_float(sgl_gen_opts* o, int32_t key, double v);
void sgl_gen_set_str(sgl_gen_opts* o, int32_t key, const sgl_str* v);
void sgl_gen_constrain(sgl_gen_opts* o, int32_t kind, const sgl_str* spec);
/* Runs the gen: suspends the instance until the engine has finished it, appends the text to the
 * stream, binds the name (if any) as a stream variable, and writes the result: with
 * result_type "s" (or NULL) the text as a sgl_str*; with another descriptor (typed gen) the text
 * decoded as that type ("i", "f", "b", "e", "o", "L..."). A constrained gen whose text does not
 * match (e.g. max_tokens ran out) or cannot be decoded is a runtime error at `loc`. */
int32_t sgl_gen(sgl_ctx* ctx, sgl_gen_opts* o, const char* result_type, const sgl_loc* loc, uint64_t* out);

/* ---- select ------------------------------------------------------------------------------- */

#define SGL_SELECT_TOKEN_LENGTH_NORMALIZED 0
#define SGL_SELECT_GREEDY 1
#define SGL_SELECT_UNCONDITIONAL 2

/* Scores `choices` (a list of "s" or "e"), appends the winner, binds `name` (may be NULL). An
 * empty list is a runtime error. */
int32_t sgl_select(sgl_ctx* ctx, const char* name, const sgl_list* choices, int32_t method,
                   const sgl_loc* loc, const sgl_str** out);

/* ---- fork / join -------------------------------------------------------------------------- */

/* fork N { body } and fork x in items { body } lower to:
 *   sgl_fork_begin   commits the stream's text to the prefix cache once (a prefill, no token
 *                    generated) and prepares n child streams that share it; n < 1 is an error;
 *   sgl_fork_start   for each i in 0..n-1: starts child i running body(child, env, i, item_i);
 *   sgl_fork_join    suspends until every child has finished and returns the list of branches
 *                    ("LB") in index order. A failed child fails the join with its error.
 * The parent's stream is unchanged by the fork. */
int32_t sgl_fork_begin(sgl_ctx* ctx, int64_t n, const sgl_loc* loc, sgl_fork** out);
void sgl_fork_start(sgl_ctx* ctx, sgl_fork* f, int64_t index, sgl_branch_fn body, void* env, uint64_t item);
int32_t sgl_fork_join(sgl_ctx* ctx, sgl_fork* f, const sgl_loc* loc, sgl_list** out);

/* Branch access: b.name (a variable a gen/select in the body bound), b.text. Reading a variable
 * the branch never bound (its gen did not run) is a runtime error. */
int32_t sgl_branch_var(sgl_ctx* ctx, const sgl_branch* b, const char* name, const char* type,
                       const sgl_loc* loc, uint64_t* out);
const sgl_str* sgl_branch_text(sgl_ctx* ctx, const sgl_branch* b);
/* branches.name: the list of every branch's value of `name` (elem descriptor `type`). */
int32_t sgl_branches_var(sgl_ctx* ctx, const sgl_list* branches, const char* name, const char* type,
                         const sgl_loc* loc, sgl_list** out);

/* ---- spawn -------------------------------------------------------------------------------- */

/* Starts fn on a fresh, empty stream, concurrently; never suspends the caller. */
sgl_task* sgl_spawn(sgl_ctx* ctx, sgl_spawn_fn fn, void* env);
/* t.result / t.text / t.name: each waits for the task to finish; a failed task fails the read
 * with its error. result_type "" for a function without a result is a compile-time error, so the
 * runtime never sees it. */
int32_t sgl_task_result(sgl_ctx* ctx, sgl_task* t, const sgl_loc* loc, uint64_t* out);
int32_t sgl_task_text(sgl_ctx* ctx, sgl_task* t, const sgl_loc* loc, const sgl_str** out);
int32_t sgl_task_var(sgl_ctx* ctx, sgl_task* t, const char* name, const char* type, const sgl_loc* loc,
                     uint64_t* out);

/* ---- schema values ------------------------------------------------------------------------ */

/* obj.field, converted to `type`. An optional field that is absent is a runtime error. */
int32_t sgl_obj_get(sgl_ctx* ctx, const sgl_obj* obj, const char* field, const char* type,
                    const sgl_loc* loc, uint64_t* out);

#ifdef __cplusplus
}
#endif

#endif /* SGL_RT_H */
