/*
 * Arduino port of the gen firmware (real boards): output on Serial (115200 baud),
 * time base = the DWT cycle counter on Cortex-M3/M4/M7/M33/M55 (STM32, nRF52), the
 * CCOUNT register on ESP32, micros() elsewhere (RP2040's Cortex-M0+ has no DWT);
 * microseconds = cycles / (SystemCoreClock / 1e6).
 *
 * Stack: the GEN_STACK_PAINT_BYTES (default 4096) bytes below the current stack pointer
 * are painted before each inference; if the model needs more, the reported figure is
 * the window (and a warning line says so). Raise it with build_flags when the thread
 * stack is known to be larger (Arduino-mbed: 32 KB main thread; ESP32: 8 KB loop task).
 */
#include <Arduino.h>

#include "../gen_fw_port.h"

#ifndef GEN_STACK_PAINT_BYTES
#define GEN_STACK_PAINT_BYTES 4096u
#endif

#if defined(__arm__) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || \
                         defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__))
#define GEN_HAVE_DWT 1
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)
#endif

#if defined(__arm__)
extern "C" uint32_t SystemCoreClock; /* CMSIS, kept up to date by the framework */
#endif

static uint32_t cpu_hz(void)
{
#if defined(ESP32)
    return (uint32_t)getCpuFrequencyMhz() * 1000000u;
#elif defined(__arm__)
    return SystemCoreClock;
#else
    return (uint32_t)F_CPU;
#endif
}

static uint32_t last_count;
static uint64_t total_count;

static uint32_t raw_count(void)
{
#if defined(GEN_HAVE_DWT)
    return DWT_CYCCNT;
#elif defined(ESP32)
    return ESP.getCycleCount();
#else
    return (uint32_t)micros();
#endif
}

static void timer_init(void)
{
#if defined(GEN_HAVE_DWT)
    DEMCR |= (1u << 24); /* TRCENA */
    DWT_LAR = 0xC5ACCE55u; /* unlock (Cortex-M7); ignored where not implemented */
    DWT_CYCCNT = 0;
    DWT_CTRL |= 1u; /* CYCCNTENA */
#endif
    last_count = raw_count();
    total_count = 0;
}

extern "C" uint64_t gen_port_now(void)
{
    /* 32-bit counter extended to 64 bits; valid while calls are < 2^32 counts apart
     * (~9 s at 480 MHz). */
    uint32_t now = raw_count();
    total_count += (uint32_t)(now - last_count);
    last_count = now;
    return total_count;
}

extern "C" const char *gen_port_unit(void)
{
#if defined(GEN_HAVE_DWT) || defined(ESP32)
    return "cycles";
#else
    return "us";
#endif
}

static void print_kv(const char *key, uint64_t v)
{
    char buf[24];
    int n = 0;
    char out[64];
    do {
        buf[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    size_t k = 0;
    const char *p = "gen: ";
    while (*p)
        out[k++] = *p++;
    while (*key)
        out[k++] = *key++;
    out[k++] = '=';
    while (n)
        out[k++] = buf[--n];
    out[k] = '\0';
    Serial.println(out);
}

extern "C" void gen_port_report_time(uint64_t elapsed)
{
#if defined(GEN_HAVE_DWT) || defined(ESP32)
    uint32_t hz = cpu_hz();
    if (hz)
        print_kv("us", elapsed * 1000000ull / hz);
#else
    (void)elapsed;
#endif
    print_kv("cpu_hz", cpu_hz());
}

extern "C" uintptr_t gen_port_stack_limit(uintptr_t sp)
{
    return sp - (uintptr_t)GEN_STACK_PAINT_BYTES;
}

extern "C" void gen_port_puts(const char *line)
{
    Serial.println(line);
    Serial.flush();
}

extern "C" void gen_port_self_check(void)
{
    print_kv("stack_window", GEN_STACK_PAINT_BYTES);
}

static int status = -1;

void setup()
{
    Serial.begin(115200);
    unsigned long t0 = millis();
    while (!Serial && millis() - t0 < 4000u) {
        /* USB CDC boards: wait (bounded) for the host to open the port */
    }
    delay(200);
    timer_init();
    status = gen_fw_main();
    print_kv("exit", (uint64_t)status);
}

void loop()
{
    delay(1000);
}
