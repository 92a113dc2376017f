/* Minimal Arm semihosting calls (independent of newlib, usable from fault handlers). */
#ifndef GEN_SEMIHOST_H
#define GEN_SEMIHOST_H

#include <stdint.h>

#define GEN_SYS_WRITE0 0x04u
#define GEN_SYS_EXIT 0x18u
#define GEN_SYS_EXIT_EXTENDED 0x20u
#define GEN_ADP_STOPPED_APPLICATION_EXIT 0x20026u

static inline uint32_t gen_semihost_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static inline void gen_semihost_write0(const char *s)
{
    gen_semihost_call(GEN_SYS_WRITE0, s);
}

static inline void gen_semihost_write_hex(uint32_t v)
{
    char b[11];
    int i;
    b[0] = '0';
    b[1] = 'x';
    for (i = 0; i < 8; i++)
        b[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xFu];
    b[10] = '\0';
    gen_semihost_write0(b);
}

/* SYS_EXIT_EXTENDED carries the status to the host: qemu-system-arm exits with it. */
__attribute__((noreturn)) static inline void gen_semihost_exit(int status)
{
    uint32_t block[2];
    block[0] = GEN_ADP_STOPPED_APPLICATION_EXIT;
    block[1] = (uint32_t)status;
    for (;;)
        gen_semihost_call(GEN_SYS_EXIT_EXTENDED, block);
}

#endif
