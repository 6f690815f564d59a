/* PCI configuration-space decoding; see lib/pci.h. */
#include "lib/pci.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

uint32_t pci_cam1_address(unsigned bus, unsigned dev, unsigned fn, unsigned off) {
    /* bit 31 enable, 23-16 bus, 15-11 device, 10-8 function, 7-2 register */
    return 0x80000000u | (bus & 0xFF) << 16 | (dev & 0x1F) << 11 | (fn & 7) << 8 | (off & 0xFC);
}

uint64_t pci_ecam_offset(unsigned bus, unsigned dev, unsigned fn, unsigned off) {
    /* 4 KiB per function: bus << 20 | device << 15 | function << 12 */
    return (uint64_t)(bus & 0xFF) << 20 | (uint64_t)(dev & 0x1F) << 15 | (uint64_t)(fn & 7) << 12 | (off & 0xFFF);
}

bool pci_parse_header(const uint8_t *cfg, size_t len, struct pci_header *h) {
    if (len < 64 || rd16(cfg + PCI_VENDOR) == PCI_VENDOR_NONE)
        return false;
    h->vendor = rd16(cfg + PCI_VENDOR);
    h->device = rd16(cfg + PCI_DEVICE);
    h->revision = cfg[PCI_CLASS_REV];
    h->prog_if = cfg[PCI_CLASS_REV + 1];
    h->subclass = cfg[PCI_CLASS_REV + 2];
    h->class_code = cfg[PCI_CLASS_REV + 3];
    h->header_type = cfg[PCI_HEADER_TYPE];
    h->int_line = cfg[PCI_INT_LINE];
    h->int_pin = cfg[PCI_INT_PIN];
    bool bridge = (h->header_type & 0x7F) == 1;
    h->secondary_bus = bridge ? cfg[PCI_SECONDARY_BUS] : 0;
    h->nbars = (h->header_type & 0x7F) == 0 ? 6 : bridge ? 2 : 0;
    return true;
}

int pci_decode_bar(uint32_t value, uint32_t mask, uint32_t hi_value, uint32_t hi_mask, struct pci_bar *bar) {
    *bar = (struct pci_bar){PCI_BAR_NONE, false, 0, 0};
    if (value & 1) { /* I/O space: bits 31-2 are the address */
        uint32_t m = mask & ~3u;
        if (!m)
            return 1;
        bar->kind = PCI_BAR_IO;
        bar->base = value & ~3u;
        bar->size = (uint32_t)(~m + 1) & 0xFFFF; /* I/O space is 64 KiB */
        if (!bar->size)
            bar->kind = PCI_BAR_NONE;
        return 1;
    }
    unsigned type = (value >> 1) & 3; /* 0: 32-bit, 2: 64-bit */
    bar->prefetchable = value & 8;
    if (type == 2) {
        uint64_t m = ((uint64_t)hi_mask << 32 | (mask & ~0xFu));
        if (m) {
            bar->kind = PCI_BAR_MEM64;
            bar->base = (uint64_t)hi_value << 32 | (value & ~0xFu);
            bar->size = ~m + 1;
        }
        return 2;
    }
    uint32_t m = mask & ~0xFu;
    if (m && type == 0) {
        bar->kind = PCI_BAR_MEM32;
        bar->base = value & ~0xFu;
        bar->size = (uint32_t)(~m + 1);
    }
    return 1;
}

unsigned pci_find_cap(const uint8_t *cfg, size_t len, uint8_t id) {
    if (len < 64 || !(rd16(cfg + PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    unsigned off = cfg[PCI_CAP_PTR] & 0xFC;
    /* At most 48 capabilities fit above the header: more steps is a loop. */
    for (int steps = 0; off && steps < 48; steps++) {
        if (off < 64 || off + 2 > len)
            return 0;
        if (cfg[off] == id)
            return off;
        off = cfg[off + 1] & 0xFC;
    }
    return 0;
}

const char *pci_class_name(uint8_t cls, uint8_t sub, uint8_t prog_if) {
    /* PCI Code and ID Assignment Specification, chapter 1 (a few entries). */
    switch (cls) {
    case 0x00: return "unclassified device";
    case 0x01:
        switch (sub) {
        case 0x01: return "IDE controller";
        case 0x06: return prog_if == 0x01 ? "SATA controller (AHCI)" : "SATA controller";
        case 0x08: return "NVM controller";
        default: return "storage controller";
        }
    case 0x02: return sub == 0x00 ? "Ethernet controller" : "network controller";
    case 0x03: return sub == 0x00 ? "VGA controller" : "display controller";
    case 0x04: return "multimedia controller";
    case 0x05: return "memory controller";
    case 0x06:
        switch (sub) {
        case 0x00: return "host bridge";
        case 0x01: return "ISA bridge";
        case 0x04: return "PCI-to-PCI bridge";
        default: return "bridge";
        }
    case 0x07: return "communication controller";
    case 0x08: return "system peripheral";
    case 0x0C: return sub == 0x03 ? "USB controller" : sub == 0x05 ? "SMBus controller" : "serial bus controller";
    default: return "other device";
    }
}

uint32_t pci_msi_address(uint32_t apic_id) { return 0xFEE00000u | (apic_id & 0xFF) << 12; }
uint16_t pci_msi_data(uint8_t vector) { return vector; /* fixed, edge: bits 8-15 zero */ }
