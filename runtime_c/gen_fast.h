/* gen_fast.h - what gen's layer-specialized kernels (gen_fast_s8.h, gen_fast_f32.h) share (written for gen).
 *
 * The kernels are static inline functions called from one small wrapper per distinct layer shape with
 * the shape as literal arguments: the compiler then folds the loop bounds and unrolls the inner loops.
 */
#ifndef GEN_FAST_H
#define GEN_FAST_H

#if defined(__GNUC__)
#define GEN_FAST_INLINE static inline __attribute__((always_inline))
#else
#define GEN_FAST_INLINE static inline
#endif

/* the per-layer wrappers (gen/ops/fast_s8.py `wrapper`): never inlined into NAME_invoke, so the deepest call
 * chain of one inference is the invoke's small frame plus one layer's, not the frames of every layer the
 * compiler would inline into it (VWW on the Cortex-M55: 1,060 B of stack inlined, under 600 B not). GCC:
 * noipa, so each is compiled as if on its own: GCC 12 -O2 miscompiled a fully connected wrapper cloned for
 * its constant arguments (interprocedural constant propagation, then vectorization; tests/test_unary.py's
 * int8 MLP, tests/test_property_graphs.py's 1-D graphs) */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 8
#define GEN_FAST_LAYER static __attribute__((noipa))
#elif defined(__GNUC__)
#define GEN_FAST_LAYER static __attribute__((noinline))
#else
#define GEN_FAST_LAYER static
#endif

/* unroll the next loop (its trip count is a literal after inlining): no counter, no branch */
#if defined(__clang__)
#define GEN_FAST_UNROLL _Pragma("unroll")
#elif defined(__GNUC__) && __GNUC__ >= 8
#define GEN_FAST_UNROLL _Pragma("GCC unroll 16")
#else
#define GEN_FAST_UNROLL
#endif

#endif /* GEN_FAST_H */
