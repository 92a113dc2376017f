/* gen's uint8 <-> int8 conversion (see gen_uint8.h). Written for gen; C99. */
#include "gen_uint8.h"

void gen_flip_sign_bit(const void *in, void *out, int32_t n)
{
    const unsigned char *x = (const unsigned char *)in;
    unsigned char *y = (unsigned char *)out;
    int32_t i;
    for (i = 0; i < n; ++i) {
        y[i] = (unsigned char)(x[i] ^ 0x80u);
    }
}
