/* gen's CenterCropPad kernel (see gen_crop_pad.h). Written for gen; C99. */
#include "gen_crop_pad.h"

#include <string.h>

#include "gen_index.h"

void gen_center_crop_pad(const void *x, void *y, const gen_center_crop_pad_params *p)
{
    int32_t idx[6] = {0, 0, 0, 0, 0, 0};
    int32_t stride[6];
    int32_t d;
    const size_t elem = (size_t)p->elem;
    uint8_t *out = (uint8_t *)y;
    stride[p->rank - 1] = 1;
    for (d = p->rank - 2; d >= 0; d--) {
        stride[d] = stride[d + 1] * p->in_dims[d + 1];
    }
    do {
        size_t src = 0;
        int inside = 1;
        for (d = 0; d < p->rank; d++) {
            const int32_t i = idx[d] + p->offset[d];
            if (i < 0 || i >= p->in_dims[d]) {
                inside = 0;
                break;
            }
            src += (size_t)i * (size_t)stride[d];
        }
        if (inside) {
            memcpy(out, (const uint8_t *)x + src * elem, elem);
        } else {
            memset(out, 0, elem);
        }
        out += elem;
    } while (gen_index_next(idx, p->out_dims, p->rank));
}
