/* gen's CenterCropPad kernel (any element size, rank 1 to 6). Written for gen; C99, no allocation, no
 * recursion. */
#ifndef GEN_CROP_PAD_H
#define GEN_CROP_PAD_H

#include <stdint.h>

typedef struct {
    int32_t rank;
    int32_t in_dims[6];
    int32_t out_dims[6];
    int32_t offset[6];      /* y[o] = x[o + offset] where that is inside x, else 0 */
    int32_t elem;           /* bytes per element */
} gen_center_crop_pad_params;

void gen_center_crop_pad(const void *x, void *y, const gen_center_crop_pad_params *p);

#endif
