/*
 * The 8042 keyboard controller ("i8042", on PCs the keyboard half of the
 * super I/O chip or the chipset's emulation of it; QEMU's pc and q35 have
 * one). References: IBM PS/2 Hardware Interface Technical Reference,
 * "Keyboard and Auxiliary Device Controller" (ports, status bits, the
 * controller command byte and commands 20h/60h/A7h/ADh/AEh); ACPI 6.x,
 * 5.2.9.3 (the FADT's IAPC_BOOT_ARCH "8042" flag).
 *
 * The controller hands over one byte at a time in its output buffer and
 * raises ISA IRQ 1 for a keyboard byte. With translation on (command byte
 * bit 6) keyboard bytes arrive as scan-code set 1, which lib/kbd.c turns
 * into characters for console_input(), the same path as the serial port's.
 */
#include "arch.h"
#include "arch/x86_64/acpi_boot.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/x86.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/printk.h"
#include "lib/kbd.h"

#define PORT_DATA 0x60   /* read: the output buffer; write: the input buffer (to the keyboard or a command's data) */
#define PORT_STATUS 0x64 /* read */
#define PORT_CMD 0x64    /* write */

#define ST_OUT_FULL 0x01 /* a byte waits in the output buffer */
#define ST_IN_FULL 0x02  /* the controller has not taken the last byte written yet */
#define ST_AUX 0x20      /* the waiting byte is from the auxiliary (mouse) port */

#define CMD_READ_CONFIG 0x20
#define CMD_WRITE_CONFIG 0x60
#define CMD_AUX_DISABLE 0xA7
#define CMD_KBD_DISABLE 0xAD
#define CMD_KBD_ENABLE 0xAE

#define CFG_KBD_IRQ 0x01   /* IRQ 1 on a keyboard byte */
#define CFG_AUX_IRQ 0x02   /* IRQ 12 on a mouse byte */
#define CFG_KBD_CLOCK_OFF 0x10
#define CFG_TRANSLATE 0x40 /* set 2 from the keyboard arrives as set 1 */

#define SPINS 100000       /* polls of the status register before we give up (each an I/O read) */
#define FLUSH_MAX 32       /* bytes thrown away from a full output buffer at start */

static struct kbd decoder; /* touched only by the IRQ 1 handler: one CPU at a time */

static bool wait_status(uint8_t bit, bool set) {
    for (int i = 0; i < SPINS; i++) {
        if (!!(inb(PORT_STATUS) & bit) == set)
            return true;
        cpu_relax();
    }
    return false;
}

static bool command(uint8_t cmd) {
    if (!wait_status(ST_IN_FULL, false))
        return false;
    outb(PORT_CMD, cmd);
    return true;
}

/* Whatever the keyboard or the firmware left in the output buffer. */
static void flush_output(void) {
    for (int i = 0; i < FLUSH_MAX && (inb(PORT_STATUS) & ST_OUT_FULL); i++)
        (void)inb(PORT_DATA);
}

static void keyboard_irq(struct trap_frame *f) {
    (void)f;
    this_cpu()->count.irqs++;
    for (int i = 0; i < FLUSH_MAX; i++) {
        uint8_t st = inb(PORT_STATUS);
        if (!(st & ST_OUT_FULL))
            break;
        uint8_t b = inb(PORT_DATA);
        if (st & ST_AUX)
            continue; /* a mouse byte; the mouse port is off, but the firmware may have left some */
        int c = kbd_feed(&decoder, b);
        if (c != KBD_NONE)
            console_input((char)c);
    }
    lapic_eoi();
}

/* The controller command byte: keyboard interrupt and translation on, the
 * mouse's interrupt off, the keyboard clock running. */
static bool configure(void) {
    if (!command(CMD_KBD_DISABLE) || !command(CMD_AUX_DISABLE))
        return false;
    flush_output();
    if (!command(CMD_READ_CONFIG) || !wait_status(ST_OUT_FULL, true))
        return false;
    uint8_t cfg = inb(PORT_DATA);
    cfg = (uint8_t)((cfg | CFG_KBD_IRQ | CFG_TRANSLATE) & ~(CFG_AUX_IRQ | CFG_KBD_CLOCK_OFF));
    if (!command(CMD_WRITE_CONFIG) || !wait_status(ST_IN_FULL, false))
        return false;
    outb(PORT_DATA, cfg);
    return wait_status(ST_IN_FULL, false);
}

void arch_keyboard_init(void) {
    if (acpi.no_8042) {
        pr_info("i8042: the ACPI FADT says there is no PS/2 controller; no keyboard (serial input only)\n");
        return;
    }
    /* Nothing decodes port 64h on a machine without one: reads float to FFh. */
    if (inb(PORT_STATUS) == 0xFF) {
        pr_info("i8042: no PS/2 controller at port 64h; no keyboard (serial input only)\n");
        return;
    }
    if (!configure()) {
        pr_warn("i8042: the controller does not answer; no keyboard (serial input only)\n");
        return;
    }
    kbd_init(&decoder);
    arch_set_irq_handler(VEC_IRQ_BASE + 1, keyboard_irq);
    if (!ioapic_route_isa(1, this_cpu()->arch.apic_id)) {
        pr_warn("i8042: IRQ 1 cannot be routed; no keyboard\n");
        return;
    }
    flush_output(); /* a byte that arrived before the route raised no interrupt we would see */
    if (!command(CMD_KBD_ENABLE)) {
        pr_warn("i8042: the controller does not answer; no keyboard (serial input only)\n");
        return;
    }
    pr_info("i8042: PS/2 keyboard on IRQ 1 (scan-code set 1 through translation)\n");
}
