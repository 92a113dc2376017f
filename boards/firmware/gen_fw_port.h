/* Board port used by gen_fw.c (the model-agnostic test/benchmark firmware).
 * Implemented by qemu/port_qemu.c (MPS2/MPS3 in QEMU) and arduino/port_arduino.cpp. */
#ifndef GEN_FW_PORT_H
#define GEN_FW_PORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Write one line of text (without the trailing newline). */
void gen_port_puts(const char *line);

/* Free-running time base. gen_port_now() returns a monotonic 64-bit count in the
 * port's unit: executed instructions on QEMU (-icount shift=0), CPU cycles on boards
 * with a cycle counter, microseconds otherwise. */
uint64_t gen_port_now(void);
/* "instructions", "cycles" or "us": the name of gen_port_now()'s unit. */
const char *gen_port_unit(void);
/* Optional extra lines after a measurement (e.g. microseconds on real boards). */
void gen_port_report_time(uint64_t elapsed);

/* Lowest address of the stack region that may be painted (the stack grows down). */
uintptr_t gen_port_stack_limit(uintptr_t sp);

/* Print a board-specific self check (QEMU: timer calibration). May do nothing. */
void gen_port_self_check(void);

/* Entry of the common firmware: runs everything and returns the exit status. */
int gen_fw_main(void);

#ifdef __cplusplus
}
#endif

#endif
