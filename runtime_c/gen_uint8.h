/* gen's uint8 boundary of uint8-quantized models: a uint8 tensor with zero point z is the int8 tensor
 * (q - 128) with zero point z - 128 and the same scale, and q - 128 is q with its top bit flipped.
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_UINT8_H
#define GEN_UINT8_H

#include <stdint.h>

/* out[i] = in[i] ^ 0x80 for n bytes (uint8 -> int8 or back); out may be in (in place) */
void gen_flip_sign_bit(const void *in, void *out, int32_t n);

#endif
