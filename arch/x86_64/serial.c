/*
 * 16550 UART on COM1, 115200 baud 8N1. Output is polled (it must work in a
 * panic with interrupts off); input arrives by interrupt once the I/O APIC
 * routes IRQ 4 (see ioapic.c), and is read here by the handler.
 */
#include "arch/x86_64/x86.h"
#include "arch/x86_64/serial.h"

#define COM1 0x3F8
#define REG_DATA 0
#define REG_IER 1      /* interrupt enable */
#define REG_FCR 2      /* FIFO control */
#define REG_LCR 3      /* line control */
#define REG_MCR 4      /* modem control */
#define REG_LSR 5      /* line status */
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define LCR_DLAB 0x80

static bool present;
/* Bytes received before the kernel took the port over. */
static char early[16];
static int nearly;

void serial_init(void) {
    while ((inb(COM1 + REG_LSR) & LSR_DATA_READY) && nearly < (int)sizeof early)
        early[nearly++] = (char)inb(COM1 + REG_DATA);
    outb(COM1 + REG_IER, 0x00);
    outb(COM1 + REG_LCR, LCR_DLAB);
    outb(COM1 + REG_DATA, 1);           /* divisor 1: 115200 baud */
    outb(COM1 + REG_IER, 0);
    outb(COM1 + REG_LCR, 0x03);         /* 8 data bits, no parity, 1 stop bit */
    /* FIFOs off: one byte waits in the receive register until it is read,
     * and the sender (QEMU) holds the rest, so input typed or piped before
     * the kernel is ready is not lost. Switching FIFOs on or off empties
     * them, which is why the bytes already there were saved above. */
    outb(COM1 + REG_FCR, 0x00);
    outb(COM1 + REG_MCR, 0x0B);         /* DTR, RTS, OUT2 (OUT2 gates the IRQ line) */
    present = inb(COM1 + REG_LSR) != 0xFF;
}

void serial_enable_rx_interrupt(void) { outb(COM1 + REG_IER, 0x01); }

void arch_console_putc(char c) {
    if (!present)
        return;
    for (int spins = 0; !(inb(COM1 + REG_LSR) & LSR_THR_EMPTY) && spins < 100000; spins++)
        cpu_relax();
    outb(COM1 + REG_DATA, (uint8_t)c);
}

int arch_console_getc(void) {
    if (!present || !(inb(COM1 + REG_LSR) & LSR_DATA_READY))
        return -1;
    return inb(COM1 + REG_DATA);
}

/* ---- receive interrupt (ISA IRQ 4 through the I/O APIC) ---- */
#include "arch/x86_64/idt.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "kernel/console.h"
#include "kernel/cpu.h"

static void drain_receiver(void) {
    for (int i = 0; i < nearly; i++)
        console_input(early[i]);
    nearly = 0;
    console_receive(); /* leaves bytes in the UART while the input buffer is full */
}

static void com1_irq(struct trap_frame *f) {
    (void)f;
    this_cpu()->count.irqs++;
    drain_receiver();
    lapic_eoi();
}

void arch_console_irq_init(void) {
    if (!present)
        return;
    arch_set_irq_handler(VEC_IRQ_BASE + 4, com1_irq);
    if (ioapic_route_isa(4, this_cpu()->arch.apic_id)) {
        serial_enable_rx_interrupt();
        drain_receiver(); /* bytes that arrived before the interrupt was on raise none */
    }
}
