/*
 * Startup for the gen QEMU boards (Armv7-M / Armv8-M Mainline / Armv8.1-M):
 * vector table, reset handler (.data copy, .bss zeroing, FPU and MVE enable, stack
 * limit), fault handler that reports over semihosting and exits non-zero.
 * The linker scripts are in boards/platform-qemu/ldscripts/.
 */
#include <stdint.h>

#include "semihost.h"

extern uint32_t __StackTop;
extern uint32_t __StackLimit;
extern uint32_t __data_load__;
extern uint32_t __data_start__;
extern uint32_t __data_end__;
extern uint32_t __bss_start__;
extern uint32_t __bss_end__;

extern int main(void);
extern void __libc_init_array(void);
extern void initialise_monitor_handles(void);

void Reset_Handler(void);
void Default_Handler(void);
void HardFault_Handler(void);
void SysTick_Handler(void);
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void BusFault_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void UsageFault_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void SecureFault_Handler(void) __attribute__((weak, alias("HardFault_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));

#define GEN_NUM_IRQS 32

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t gen_vector_table[16 + GEN_NUM_IRQS] = {
    (vector_t)(uintptr_t)&__StackTop, /* initial MSP */
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    SecureFault_Handler,
    0,
    0,
    0,
    SVC_Handler,
    DebugMon_Handler,
    0,
    PendSV_Handler,
    SysTick_Handler,
    /* external interrupts: none used */
    [16 ... 16 + GEN_NUM_IRQS - 1] = Default_Handler,
};

#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)

/* newlib's __libc_init_array calls these; -nostartfiles drops crti/crtn. */
void _init(void) {}
void _fini(void) {}

__attribute__((noreturn, used)) void Reset_Handler(void)
{
    uint32_t *src, *dst;

    SCB_VTOR = (uint32_t)(uintptr_t)gen_vector_table;

#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
    /* Stack overflow -> UsageFault (STKOF) -> HardFault_Handler, instead of silent
     * corruption. */
    __asm volatile("msr msplim, %0" : : "r"((uint32_t)(uintptr_t)&__StackLimit));
#endif

#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CP10/CP11 full access: enables the FPU and, on Armv8.1-M, the MVE (Helium)
     * extension, which shares the same coprocessor enable. */
    SCB_CPACR |= (0xFu << 20);
    __asm volatile("dsb\n\tisb" ::: "memory");
#endif

    for (src = &__data_load__, dst = &__data_start__; dst < &__data_end__;)
        *dst++ = *src++;
    for (dst = &__bss_start__; dst < &__bss_end__;)
        *dst++ = 0;

    initialise_monitor_handles();
    __libc_init_array();
    gen_semihost_exit(main());
}

void Default_Handler(void)
{
    gen_semihost_write0("gen: FAULT unexpected exception, ICSR=");
    gen_semihost_write_hex(SCB_ICSR);
    gen_semihost_write0("\ngen: RESULT FAIL\n");
    gen_semihost_exit(3);
}

/* Stacked exception frame: r0 r1 r2 r3 r12 lr pc xpsr. */
__attribute__((used)) void gen_hardfault_report(const uint32_t *frame)
{
    gen_semihost_write0("gen: FAULT hardfault pc=");
    gen_semihost_write_hex(frame[6]);
    gen_semihost_write0(" lr=");
    gen_semihost_write_hex(frame[5]);
    gen_semihost_write0(" cfsr=");
    gen_semihost_write_hex(SCB_CFSR);
    gen_semihost_write0(" hfsr=");
    gen_semihost_write_hex(SCB_HFSR);
    gen_semihost_write0(" bfar=");
    gen_semihost_write_hex(SCB_BFAR);
    gen_semihost_write0(" mmfar=");
    gen_semihost_write_hex(SCB_MMFAR);
    gen_semihost_write0("\ngen: RESULT FAIL\n");
    gen_semihost_exit(2);
}

__attribute__((naked)) void HardFault_Handler(void)
{
    /* The stack that holds the frame: MSP or PSP (EXC_RETURN bit 2). On a stack
     * overflow the frame may be unusable, but the report only reads it. */
    __asm volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "b gen_hardfault_report\n\t");
}
