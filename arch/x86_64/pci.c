/*
 * PCI enumeration. Configuration space is reached through ECAM when the
 * ACPI MCFG table gives one (PCI Express Base Specification 7.2.2; the q35
 * machine has it), else through configuration mechanism #1, the 0xCF8/0xCFC
 * port pair (PCI Local Bus Specification 3.0, 3.2.2.3.2; the pc machine).
 * The bus is walked depth-first from bus 0 through PCI-to-PCI bridges.
 * Decoding lives in lib/pci.c.
 */
#include "arch/x86_64/pci.h"
#include "arch.h"
#include "arch/x86_64/acpi_boot.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/x86.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"

#define CAM1_ADDRESS 0xCF8
#define CAM1_DATA 0xCFC

static struct pci_dev devices[PCI_MAX_DEVICES];
static int ndevices;
static bool use_ecam;
/* Mechanism #1 is an address register and a data register: one user at a time. */
static struct spinlock cam1_lock = SPINLOCK_INIT("pci config", RANK_PCI);

/* The 4 KiB page of one function's extended space, mapped on first use
 * (mapping the whole 256 MiB window would cost 512 KiB of page tables). */
static volatile uint8_t *ecam_page(unsigned bus, unsigned dev, unsigned fn) {
    uint64_t pa = acpi.mcfg_base + pci_ecam_offset(bus, dev, fn, 0);
    uint64_t got;
    unsigned flags;
    if (arch_translate(0, PHYS_MAP_BASE + pa, &got, &flags))
        return PHYS_TO_VIRT(pa);
    return arch_map_mmio(pa, PAGE_SIZE);
}

static uint32_t cfg_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off) {
    if (use_ecam)
        return *(volatile uint32_t *)(ecam_page(bus, dev, fn) + (off & 0xFFC));
    spin_lock(&cam1_lock);
    outl(CAM1_ADDRESS, pci_cam1_address(bus, dev, fn, off));
    uint32_t v = inl(CAM1_DATA);
    spin_unlock(&cam1_lock);
    return v;
}

static void cfg_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v) {
    if (use_ecam) {
        *(volatile uint32_t *)(ecam_page(bus, dev, fn) + (off & 0xFFC)) = v;
        return;
    }
    spin_lock(&cam1_lock);
    outl(CAM1_ADDRESS, pci_cam1_address(bus, dev, fn, off));
    outl(CAM1_DATA, v);
    spin_unlock(&cam1_lock);
}

uint32_t pci_read32(const struct pci_dev *d, unsigned off) { return cfg_read32(d->bus, d->dev, d->fn, off); }
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v) { cfg_write32(d->bus, d->dev, d->fn, off, v); }
uint16_t pci_read16(const struct pci_dev *d, unsigned off) { return (uint16_t)(pci_read32(d, off) >> (8 * (off & 2))); }
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v) {
    uint32_t old = pci_read32(d, off & ~3u);
    unsigned shift = 8 * (off & 2);
    /* The status register beside the command register has write-1-to-clear
     * bits: write zeros there, so a command change clears none of them. */
    if ((off & ~3u) == PCI_COMMAND)
        old &= 0xFFFF;
    pci_write32(d, off & ~3u, (old & ~(0xFFFFu << shift)) | (uint32_t)v << shift);
}

static void read_space(unsigned bus, unsigned dev, unsigned fn, uint8_t *cfg) {
    for (unsigned off = 0; off < PCI_CFG_SIZE; off += 4) {
        uint32_t v = cfg_read32(bus, dev, fn, off);
        cfg[off] = (uint8_t)v, cfg[off + 1] = (uint8_t)(v >> 8);
        cfg[off + 2] = (uint8_t)(v >> 16), cfg[off + 3] = (uint8_t)(v >> 24);
    }
}

/* BAR sizing (3.0, 6.2.5.1): write all ones, read back the mask, restore.
 * Decoding is switched off meanwhile so the device never answers at the
 * all-ones address. */
static void size_bars(struct pci_dev *d) {
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
    uint32_t val[6] = {0}, mask[6] = {0};
    for (int i = 0; i < d->h.nbars; i++) {
        unsigned off = PCI_BAR0 + 4 * (unsigned)i;
        val[i] = pci_read32(d, off);
        pci_write32(d, off, 0xFFFFFFFFu);
        mask[i] = pci_read32(d, off);
        pci_write32(d, off, val[i]);
    }
    pci_write16(d, PCI_COMMAND, cmd);
    for (int i = 0; i < d->h.nbars;) {
        uint32_t hv = i + 1 < d->h.nbars ? val[i + 1] : 0, hm = i + 1 < d->h.nbars ? mask[i + 1] : 0;
        i += pci_decode_bar(val[i], mask[i], hv, hm, &d->bar[i]);
    }
}

static void print_dev(const struct pci_dev *d) {
    pr_info("pci: %02x:%02x.%u %04x:%04x %s (class %02x%02x%02x) irq line %u pin %u\n", d->bus, d->dev, d->fn,
            d->h.vendor, d->h.device, pci_class_name(d->h.class_code, d->h.subclass, d->h.prog_if),
            d->h.class_code, d->h.subclass, d->h.prog_if, d->h.int_line, d->h.int_pin);
    static const char *const kinds[] = {"", "io", "mem32", "mem64"};
    for (int i = 0; i < 6; i++)
        if (d->bar[i].kind != PCI_BAR_NONE)
            pr_info("pci:     BAR%d %s %llx size %llx%s\n", i, kinds[d->bar[i].kind],
                    (unsigned long long)d->bar[i].base, (unsigned long long)d->bar[i].size,
                    d->bar[i].prefetchable ? " prefetchable" : "");
}

static void scan_bus(unsigned bus, int depth);

static void scan_function(unsigned bus, unsigned dev, unsigned fn, int depth) {
    static uint8_t cfg[PCI_CFG_SIZE];
    read_space(bus, dev, fn, cfg);
    struct pci_header h;
    if (!pci_parse_header(cfg, sizeof cfg, &h))
        return;
    if (ndevices == PCI_MAX_DEVICES) {
        pr_warn("pci: more than %d functions; %02x:%02x.%u and later ignored\n", PCI_MAX_DEVICES, bus, dev, fn);
        return;
    }
    struct pci_dev *d = &devices[ndevices++];
    *d = (struct pci_dev){.bus = (uint8_t)bus, .dev = (uint8_t)dev, .fn = (uint8_t)fn, .h = h};
    size_bars(d);
    print_dev(d);
    /* A bridge's secondary bus: deeper than 8 bridges or back to a bus
     * already behind us is firmware nonsense, not followed. */
    if ((h.header_type & 0x7F) == 1 && h.secondary_bus > bus && depth < 8)
        scan_bus(h.secondary_bus, depth + 1);
}

static void scan_bus(unsigned bus, int depth) {
    for (unsigned dev = 0; dev < 32; dev++) {
        uint32_t id = cfg_read32(bus, dev, 0, PCI_VENDOR);
        if ((id & 0xFFFF) == PCI_VENDOR_NONE)
            continue;
        bool multi = (cfg_read32(bus, dev, 0, PCI_HEADER_TYPE & ~3u) >> 16) & 0x80;
        for (unsigned fn = 0; fn < (multi ? 8u : 1u); fn++)
            scan_function(bus, dev, fn, depth);
    }
}

void pci_init(void) {
    use_ecam = acpi_ok && acpi.has_mcfg && acpi.mcfg_bus_start == 0;
    if (use_ecam)
        pr_info("pci: ECAM at %llx for buses %u-%u (ACPI MCFG)\n", (unsigned long long)acpi.mcfg_base,
                acpi.mcfg_bus_start, acpi.mcfg_bus_end);
    else
        pr_info("pci: configuration mechanism #1 (ports cf8/cfc)\n");
    scan_bus(0, 0);
    pr_info("pci: %d functions\n", ndevices);
}

struct pci_dev *pci_find_class(uint8_t cls, uint8_t sub, uint8_t prog_if, int index) {
    for (int i = 0; i < ndevices; i++)
        if (devices[i].h.class_code == cls && devices[i].h.subclass == sub && devices[i].h.prog_if == prog_if &&
            index-- == 0)
            return &devices[i];
    return NULL;
}

void pci_enable_mmio_dma(const struct pci_dev *d) {
    pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER);
}

/* MSI capability (3.0, 6.8.1): control at +2 (bit 0 enable, bit 7 64-bit
 * address), address at +4, then data at +8 (32-bit) or +12 (64-bit). */
bool pci_enable_msi(const struct pci_dev *d, uint32_t apic_id, uint8_t vector) {
    uint8_t cfg[PCI_CFG_SIZE];
    read_space(d->bus, d->dev, d->fn, cfg);
    unsigned cap = pci_find_cap(cfg, sizeof cfg, PCI_CAP_MSI);
    if (!cap)
        return false;
    uint16_t ctrl = pci_read16(d, cap + 2);
    bool addr64 = ctrl & (1u << 7);
    pci_write32(d, cap + 4, pci_msi_address(apic_id));
    if (addr64)
        pci_write32(d, cap + 8, 0);
    pci_write16(d, cap + (addr64 ? 12 : 8), pci_msi_data(vector));
    /* one message (multiple-message enable = 0), then enable */
    pci_write16(d, cap + 2, (uint16_t)((ctrl & ~(7u << 4)) | 1u));
    pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_CMD_INTX_DISABLE);
    return true;
}

#include "arch/x86_64/ahci.h"
/* The devices: the bus listing, then the drivers (arch.h). */
void arch_devices_init(void) {
    pci_init();
    ahci_init();
}
