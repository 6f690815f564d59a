/* Host tests of lib/pci.c: made-up configuration headers, good and broken. */
#include "tests/host/htest.h"
#include "lib/pci.h"

static uint8_t cfg[PCI_CFG_SIZE];

static void put16(unsigned off, uint16_t v) { cfg[off] = (uint8_t)v; cfg[off + 1] = (uint8_t)(v >> 8); }

static void ahci_like(void) {
    memset(cfg, 0, sizeof cfg);
    put16(PCI_VENDOR, 0x8086);
    put16(PCI_DEVICE, 0x2922);
    cfg[PCI_CLASS_REV] = 2;
    cfg[PCI_CLASS_REV + 1] = 0x01;
    cfg[PCI_CLASS_REV + 2] = 0x06;
    cfg[PCI_CLASS_REV + 3] = 0x01;
    cfg[PCI_INT_LINE] = 10;
    cfg[PCI_INT_PIN] = 1;
    put16(PCI_STATUS, PCI_STATUS_CAP_LIST);
    cfg[PCI_CAP_PTR] = 0x80;
    cfg[0x80] = 0x12; /* SATA capability, then MSI */
    cfg[0x81] = 0xA8;
    cfg[0xA8] = PCI_CAP_MSI;
    cfg[0xA9] = 0;
}

HTEST(cam1_and_ecam_addresses) {
    HT_ASSERT_EQ(pci_cam1_address(0, 0, 0, 0), 0x80000000u);
    HT_ASSERT_EQ(pci_cam1_address(1, 2, 3, 0x13), 0x80011300u | 0x10);
    HT_ASSERT_EQ(pci_cam1_address(255, 31, 7, 0xFC), 0x80FFFFFCu);
    HT_ASSERT_EQ(pci_ecam_offset(0, 0x1F, 2, 0x24), (0x1Fu << 15) | (2u << 12) | 0x24);
    HT_ASSERT_EQ(pci_ecam_offset(3, 0, 0, 0), 3u << 20);
}

HTEST(header_of_ahci_controller) {
    struct pci_header h;
    ahci_like();
    HT_ASSERT(pci_parse_header(cfg, sizeof cfg, &h));
    HT_ASSERT_EQ(h.vendor, 0x8086);
    HT_ASSERT_EQ(h.device, 0x2922);
    HT_ASSERT_EQ(h.class_code, 1);
    HT_ASSERT_EQ(h.subclass, 6);
    HT_ASSERT_EQ(h.prog_if, 1);
    HT_ASSERT_EQ(h.nbars, 6);
    HT_ASSERT_EQ(h.int_line, 10);
    HT_ASSERT_STREQ(pci_class_name(h.class_code, h.subclass, h.prog_if), "SATA controller (AHCI)");
}

HTEST(absent_function_and_short_space) {
    struct pci_header h;
    memset(cfg, 0xFF, sizeof cfg);
    HT_ASSERT(!pci_parse_header(cfg, sizeof cfg, &h));
    ahci_like();
    HT_ASSERT(!pci_parse_header(cfg, 32, &h));
}

HTEST(bridge_header) {
    struct pci_header h;
    ahci_like();
    cfg[PCI_HEADER_TYPE] = 0x81;
    cfg[PCI_SECONDARY_BUS] = 4;
    HT_ASSERT(pci_parse_header(cfg, sizeof cfg, &h));
    HT_ASSERT_EQ(h.nbars, 2);
    HT_ASSERT_EQ(h.secondary_bus, 4);
}

HTEST(bars) {
    struct pci_bar b;
    HT_ASSERT_EQ(pci_decode_bar(0xFEBF1000u, 0xFFFFF000u, 0, 0, &b), 1);
    HT_ASSERT_EQ(b.kind, PCI_BAR_MEM32);
    HT_ASSERT_EQ(b.base, 0xFEBF1000u);
    HT_ASSERT_EQ(b.size, 0x1000);
    HT_ASSERT_EQ(pci_decode_bar(0xC041u, 0xFFFFFFE1u, 0, 0, &b), 1);
    HT_ASSERT_EQ(b.kind, PCI_BAR_IO);
    HT_ASSERT_EQ(b.base, 0xC040);
    HT_ASSERT_EQ(b.size, 32);
    HT_ASSERT_EQ(pci_decode_bar(0xE000000Cu, 0xFFE0000Cu, 0x1, 0xFFFFFFFFu, &b), 2);
    HT_ASSERT_EQ(b.kind, PCI_BAR_MEM64);
    HT_ASSERT(b.prefetchable);
    HT_ASSERT_EQ(b.base, 0x1E0000000ull);
    HT_ASSERT_EQ(b.size, 0x200000);
    HT_ASSERT_EQ(pci_decode_bar(0, 0, 0, 0, &b), 1);
    HT_ASSERT_EQ(b.kind, PCI_BAR_NONE);
}

HTEST(capabilities_and_broken_lists) {
    ahci_like();
    HT_ASSERT_EQ(pci_find_cap(cfg, sizeof cfg, PCI_CAP_MSI), 0xA8);
    HT_ASSERT_EQ(pci_find_cap(cfg, sizeof cfg, 0x11), 0);
    cfg[0xA9] = 0x80; /* a loop back to the first */
    HT_ASSERT_EQ(pci_find_cap(cfg, sizeof cfg, 0x11), 0);
    cfg[0x81] = 0x20; /* into the header, at a byte that looks like MSI */
    cfg[0x20] = PCI_CAP_MSI;
    HT_ASSERT_EQ(pci_find_cap(cfg, sizeof cfg, PCI_CAP_MSI), 0);
    ahci_like();
    cfg[0x81] = 0xFF & 0xFC; /* past the end: 0xFC + 2 fits, 0xFF is masked */
    cfg[0xFC] = 0x99;
    cfg[0xFD] = 0;
    HT_ASSERT_EQ(pci_find_cap(cfg, sizeof cfg, PCI_CAP_MSI), 0);
    put16(PCI_STATUS, 0); /* no list at all */
    HT_ASSERT_EQ(pci_find_cap(cfg, sizeof cfg, 0x12), 0);
}

HTEST(msi_message) {
    HT_ASSERT_EQ(pci_msi_address(3), 0xFEE03000u);
    HT_ASSERT_EQ(pci_msi_data(0x40), 0x40);
}

int main(void) { return htest_main("pci"); }
