/*
 * PCI configuration space, decoded (PCI Local Bus Specification 3.0,
 * chapter 6; PCI Express Base Specification, 7.2.2 for ECAM). Pure code:
 * the kernel's arch/x86_64/pci.c reads the registers and hands the bytes
 * here; tests/host/test_pci.c feeds it made-up and broken headers.
 */
#ifndef LIB_PCI_H
#define LIB_PCI_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define PCI_CFG_SIZE 256      /* conventional configuration space */
#define PCI_VENDOR_NONE 0xFFFF /* no function answers here */

/* Header fields (3.0, 6.1, figure 6-1). */
#define PCI_VENDOR 0x00
#define PCI_DEVICE 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CLASS_REV 0x08
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_SECONDARY_BUS 0x19 /* type 1 (bridge) header */
#define PCI_CAP_PTR 0x34
#define PCI_INT_LINE 0x3C
#define PCI_INT_PIN 0x3D

#define PCI_CMD_IO (1u << 0)
#define PCI_CMD_MEMORY (1u << 1)
#define PCI_CMD_BUS_MASTER (1u << 2)
#define PCI_CMD_INTX_DISABLE (1u << 10)
#define PCI_STATUS_CAP_LIST (1u << 4)

#define PCI_CAP_MSI 0x05

/* Configuration mechanism #1 (3.0, 3.2.2.3.2): the dword written to port
 * 0xCF8 to select bus/device/function/register; data at 0xCFC. */
uint32_t pci_cam1_address(unsigned bus, unsigned dev, unsigned fn, unsigned off);
/* Enhanced configuration access (PCIe 7.2.2): offset from the ECAM base. */
uint64_t pci_ecam_offset(unsigned bus, unsigned dev, unsigned fn, unsigned off);

/* One function's header, from the first 64 bytes of its space. */
struct pci_header {
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t header_type;      /* bits 0-6: 0 device, 1 bridge; bit 7 multi-function */
    uint8_t int_line, int_pin;
    uint8_t secondary_bus;    /* bridges only */
    int nbars;                /* 6 for a device, 2 for a bridge */
};
/* Decode cfg[0..len): false when len < 64 or nobody answers (vendor 0xFFFF). */
bool pci_parse_header(const uint8_t *cfg, size_t len, struct pci_header *h);

/* A base address register (3.0, 6.2.5.1), decoded from its value and from
 * what it read back after all ones were written (its size mask). */
enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };
struct pci_bar {
    enum pci_bar_kind kind;
    bool prefetchable;
    uint64_t base, size;
};
/* value/mask of this BAR; hi_value/hi_mask of the next one (used only by a
 * 64-bit BAR, which takes two slots). Returns the slots used (1 or 2). */
int pci_decode_bar(uint32_t value, uint32_t mask, uint32_t hi_value, uint32_t hi_mask, struct pci_bar *bar);

/* Offset of the first capability with this id in the capability list
 * (3.0, 6.7), or 0 when there is none. A list that runs outside the space,
 * points into the header or loops ends the walk: 0. */
unsigned pci_find_cap(const uint8_t *cfg, size_t len, uint8_t id);

/* What the class code means ("SATA controller (AHCI)"), never NULL. */
const char *pci_class_name(uint8_t class_code, uint8_t subclass, uint8_t prog_if);

/* The MSI message (Intel SDM vol. 3A 11.11.1, 11.11.2): fixed delivery,
 * edge, physical destination. */
uint32_t pci_msi_address(uint32_t apic_id);
uint16_t pci_msi_data(uint8_t vector);

#endif
