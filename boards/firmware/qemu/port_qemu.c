/*
 * QEMU port: printf over semihosting (newlib rdimon), SysTick time base converted to
 * executed instructions, stack limit from the linker script.
 *
 * Under `-icount shift=0` QEMU's virtual clock advances exactly 1 ns per instruction.
 * SysTick (CLKSOURCE = processor clock) counts at F_CPU Hz of that virtual clock
 * (25 MHz on AN386/AN500, 20 MHz on AN505, 32 MHz on AN547), so
 *     instructions = ticks * 1e9 / F_CPU          (resolution: 1e9 / F_CPU instructions)
 * SysTick runs free with the maximum reload (2^24 ticks) and its interrupt counts the
 * wraps, giving a 64-bit tick count. gen_port_self_check() verifies the conversion on a
 * loop of known length.
 */
#include <stdint.h>
#include <stdio.h>

#include "gen_fw_port.h"
#include "semihost.h"

#ifndef F_CPU
#error "F_CPU (SysTick clock of the QEMU machine) must be defined by the board"
#endif

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)
#define SYST_RELOAD 0x00FFFFFFu

extern uint32_t __StackLimit;

static volatile uint32_t systick_wraps;

void SysTick_Handler(void)
{
    systick_wraps++;
}

static void systick_start(void)
{
    SYST_CSR = 0;
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0;
    systick_wraps = 0;
    SYST_CSR = 7u; /* CLKSOURCE = processor clock, TICKINT, ENABLE */
}

static uint64_t systick_ticks(void)
{
    uint32_t wraps, value;
    __asm volatile("cpsid i" ::: "memory");
    wraps = systick_wraps;
    value = SYST_CVR;
    if (SCB_ICSR & ICSR_PENDSTSET) { /* wrapped, interrupt not taken yet */
        value = SYST_CVR;
        wraps++;
    }
    __asm volatile("cpsie i" ::: "memory");
    return (uint64_t)wraps * (SYST_RELOAD + 1u) + (SYST_RELOAD - value);
}

uint64_t gen_port_now(void)
{
    return systick_ticks() * 1000000000ull / (uint64_t)(F_CPU);
}

const char *gen_port_unit(void)
{
    return "instructions";
}

void gen_port_report_time(uint64_t elapsed)
{
    (void)elapsed;
}

uintptr_t gen_port_stack_limit(uintptr_t sp)
{
    (void)sp;
    return (uintptr_t)&__StackLimit;
}

void gen_port_puts(const char *line)
{
    fputs(line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* 2 instructions per iteration (subs + bne) plus a handful around it. */
__attribute__((noinline)) static void known_loop(uint32_t n)
{
    __asm volatile(
        "1:\n\t"
        "subs %0, %0, #1\n\t"
        "bne 1b\n\t"
        : "+r"(n)
        :
        : "cc");
}

void gen_port_self_check(void)
{
    const uint32_t n = 1000000u;
    uint64_t t0 = gen_port_now();
    uint64_t t1;
    known_loop(n);
    t1 = gen_port_now();
    printf("gen: timer_check expected=%lu measured=%lu resolution=%lu\n",
           (unsigned long)(2u * n), (unsigned long)(t1 - t0),
           (unsigned long)(1000000000ull / (uint64_t)(F_CPU)));
    fflush(stdout);
}

int main(void)
{
    systick_start();
    return gen_fw_main();
}
