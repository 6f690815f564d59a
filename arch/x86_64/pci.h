/* PCI bus enumeration and configuration access (arch/x86_64/pci.c). */
#ifndef ARCH_PCI_H
#define ARCH_PCI_H

#include "lib/pci.h"

#define PCI_MAX_DEVICES 64

struct pci_dev {
    uint8_t bus, dev, fn;
    struct pci_header h;
    struct pci_bar bar[6];
};

/* Walk every bus reachable from bus 0 and print a listing (lspci-like). */
void pci_init(void);
/* The index-th function with this class/subclass/interface, or NULL. */
struct pci_dev *pci_find_class(uint8_t cls, uint8_t sub, uint8_t prog_if, int index);
uint32_t pci_read32(const struct pci_dev *d, unsigned off);
void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v);
uint16_t pci_read16(const struct pci_dev *d, unsigned off);
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v);
/* Turn on memory decoding and bus mastering (DMA). */
void pci_enable_mmio_dma(const struct pci_dev *d);
/* Point the function's MSI at vector on the CPU with apic_id, enable it and
 * disable INTx; false when it offers no MSI capability. */
bool pci_enable_msi(const struct pci_dev *d, uint32_t apic_id, uint8_t vector);

#endif
