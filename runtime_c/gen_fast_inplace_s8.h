/* gen_fast_inplace_s8.h - gen's in-place layout change of int8 data (written for gen).
 *
 * The overlap plan (gen/overlap.py) may put a layout change's output at its input's offset (the model's
 * NCHW input turned channels last in its own bytes): the elements are then moved by following the cycles of
 * the permutation, one bit per element of scratch marking the positions written.
 */
#ifndef GEN_FAST_INPLACE_S8_H
#define GEN_FAST_INPLACE_S8_H

#include "gen_fast_eltwise_s8.h"

/* gen_fast_chlast_s8 (n images of c channels by hw positions; to_last: [n][c][hw] -> [n][hw][c], else back)
 * that also runs with out == in: then each image is permuted in place, `seen` holding (c * hw + 31) / 32
 * words of scratch */
GEN_FAST_INLINE void gen_fast_chlast_inplace_s8(const int8_t *in, int8_t *out, uint32_t *seen, int32_t n, int32_t c,
                                                int32_t hw, int32_t to_last)
{
    const int32_t size = c * hw;
    int32_t b, i;
    if (in != out)
    {
        gen_fast_chlast_s8(in, out, n, c, hw, to_last);
        return;
    }
    for (b = 0; b < n; b++)
    {
        int8_t *x = out + (size_t)b * (size_t)size;
        for (i = 0; i < (size + 31) / 32; i++)
        {
            seen[i] = 0u;
        }
        for (i = 0; i < size; i++)
        {
            int32_t pos = i;
            int8_t v;
            if (seen[i >> 5] & (1u << (i & 31)))
            {
                continue;
            }
            v = x[i];
            do /* the element at pos moves to next, the one there is carried on */
            {
                /* to_last: (k, p) at k * hw + p goes to p * c + k = pos * c mod (size - 1) (the last one stays) */
                int32_t next = pos;
                if (to_last && pos != size - 1)
                {
                    next = pos * c % (size - 1);
                }
                else if (!to_last)
                {
                    next = (pos % c) * hw + pos / c;
                }
                const int8_t t = x[next];
                x[next] = v;
                v = t;
                seen[next >> 5] |= 1u << (next & 31);
                pos = next;
            } while (pos != i);
        }
    }
}

/* The layout change in place by the permutation's cycles, each followed from its leader (computed at
 * generation time: gen/ops/fast_eltwise.py, cycle_leaders): element pos of an image moves to
 * pos * mult mod (size - 1) (mult c: channels first -> last; hw: back), 0 and size - 1 stay. Each element
 * is read before the one it replaces is written, as in gen_fast_chlast_inplace_s8, with no bitmap: no
 * scratch, about 9 instructions an element. Distinct buffers: the plain copy. */
GEN_FAST_INLINE void gen_fast_chlast_cycles_s8(const int8_t *in, int8_t *out, const int32_t *leaders, int32_t n_leaders,
                                               int32_t n, int32_t c, int32_t hw, int32_t to_last)
{
    const uint32_t size = (uint32_t)c * (uint32_t)hw, m = size - 1u, mult = (uint32_t)(to_last ? c : hw);
    int32_t b, l;
    if (in != out)
    {
        gen_fast_chlast_s8(in, out, n, c, hw, to_last);
        return;
    }
    for (b = 0; b < n; b++)
    {
        int8_t *x = out + (size_t)b * (size_t)size;
        for (l = 0; l < n_leaders; l++)
        {
            const uint32_t first = (uint32_t)leaders[l];
            uint32_t pos = first;
            int8_t v = x[pos];
            do
            {
                const uint32_t next = pos * mult % m;
                const int8_t t = x[next];
                x[next] = v;
                v = t;
                pos = next;
            } while (pos != first);
        }
    }
}

#endif /* GEN_FAST_INPLACE_S8_H */
