/*
 * AHCI: the SATA controller (Serial ATA AHCI 1.3.1). Section numbers below
 * are that specification's; ATA commands are ATA8-ACS.
 *
 * The controller's registers are memory-mapped at BAR5 ("ABAR", 2.1.11):
 * generic host control (3.1), then 0x80 bytes per port from 0x100 (3.3).
 * Each port reads commands from a command list of 32 headers in memory
 * (4.2.2); a header points to a command table holding the command FIS and
 * the PRDT, the scatter list of the data buffer (4.2.3). Software fills a
 * free slot and sets its bit in PxCI; the controller clears the bit when
 * the command is done and raises an interrupt (5.6.2, 5.6.4). Each slot
 * here is one block request (kernel/blk.c), so up to 32 are in flight.
 *
 *   blk_submit -> ahci_start: header + table + FIS, PxCI |= 1 << slot
 *   disk done  -> interrupt (MSI) -> ahci_irq -> slots no longer in PxCI
 *                 are finished -> blk_complete_locked -> waiter woken
 *   PxIS.TFES  -> every command in flight fails with -EIO, port restarted (6.2.2.1)
 */
#include "arch.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pci.h"
#include "kernel/blk.h"
#include "kernel/cpu.h"
#include "kernel/frame.h"
#include "kernel/options.h"
#include "kernel/printk.h"
#include "kernel/time.h"
#include "lib/string.h"
#include "user/include/abi.h"

/* Generic host control (3.1). */
#define HBA_CAP 0x00
#define HBA_GHC 0x04
#define HBA_IS 0x08
#define HBA_PI 0x0C
#define HBA_VS 0x10
#define CAP_NCS(cap) ((((cap) >> 8) & 0x1F) + 1) /* command slots */
#define CAP_SSS (1u << 27)                      /* staggered spin-up */
#define CAP_S64A (1u << 31)
#define GHC_AE (1u << 31)
#define GHC_IE (1u << 1)

/* Port registers (3.3), at 0x100 + 0x80 * port. */
#define PX_CLB 0x00
#define PX_CLBU 0x04
#define PX_FB 0x08
#define PX_FBU 0x0C
#define PX_IS 0x10
#define PX_IE 0x14
#define PX_CMD 0x18
#define PX_TFD 0x20
#define PX_SIG 0x24
#define PX_SSTS 0x28
#define PX_SCTL 0x2C
#define PX_SERR 0x30
#define PX_CI 0x38
#define CMD_ST (1u << 0)
#define CMD_SUD (1u << 1)
#define CMD_POD (1u << 2)
#define CMD_FRE (1u << 4)
#define CMD_FR (1u << 14)
#define CMD_CR (1u << 15)
#define TFD_ERR (1u << 0)
#define TFD_DRQ (1u << 3)
#define TFD_BSY (1u << 7)
#define IS_DHRS (1u << 0)   /* D2H register FIS: a non-queued command ended */
#define IS_ERRORS 0x7D800010u /* TFES, HBFS, HBDS, IFS, INFS, OFS, IPMS, UFS (3.3.5) */
#define IS_TFES (1u << 30)
#define SSTS_DET_PRESENT 3
#define SIG_ATA 0x00000101u  /* a disk; 0xEB140101 is ATAPI (a CD) */

/* ATA commands (ATA8-ACS 7.16, 7.25, 7.63, 7.10). */
#define ATA_IDENTIFY 0xEC
#define ATA_READ_DMA_EXT 0x25
#define ATA_WRITE_DMA_EXT 0x35
#define FIS_H2D 0x27        /* register FIS, host to device (SATA 10.3.4) */

#define PRDT_ENTRIES 24     /* enough for BLK_MAX_SECTORS split at every page */
#define CMD_TABLE_SIZE (0x80 + 16 * PRDT_ENTRIES)

struct cmd_header {         /* 4.2.2 */
    uint16_t flags;         /* CFL (FIS dwords) 4:0, A 5, W 6, P 7, R 8, B 9, C 10 */
    uint16_t prdtl;         /* PRDT entries */
    volatile uint32_t prdbc;/* bytes transferred */
    uint32_t ctba, ctbau;   /* command table, 128-byte aligned */
    uint32_t reserved[4];
};

struct prd {                /* 4.2.3.3 */
    uint32_t dba, dbau, reserved;
    uint32_t dbc;           /* byte count - 1 (bit 0 set: even), bit 31 interrupt */
};

struct ahci_port {
    struct blk_dev blk;
    volatile uint8_t *regs;
    struct cmd_header *list;
    uint8_t *tables;        /* slots * CMD_TABLE_SIZE */
    uint64_t list_pa, tables_pa;
    int num;
};

static volatile uint8_t *abar;
static struct ahci_port ports[2];
static int nports;
static int nslots;
static bool using_msi;

static uint32_t hba_read(unsigned off) { return *(volatile uint32_t *)(abar + off); }
static void hba_write(unsigned off, uint32_t v) { *(volatile uint32_t *)(abar + off) = v; }
static uint32_t port_read(struct ahci_port *p, unsigned off) { return *(volatile uint32_t *)(p->regs + off); }
static void port_write(struct ahci_port *p, unsigned off, uint32_t v) { *(volatile uint32_t *)(p->regs + off) = v; }

/* Wait up to ms for (reg & mask) == want. */
static bool port_wait(struct ahci_port *p, unsigned reg, uint32_t mask, uint32_t want, unsigned ms) {
    uint64_t end = uptime_ns() + (uint64_t)ms * 1000000ULL;
    while ((port_read(p, reg) & mask) != want)
        if (uptime_ns() > end)
            return false;
    return true;
}

/* Stop the command engine and FIS receive (10.1.2): clear ST, wait for CR
 * to clear; clear FRE, wait for FR. */
static bool port_stop(struct ahci_port *p) {
    port_write(p, PX_CMD, port_read(p, PX_CMD) & ~CMD_ST);
    if (!port_wait(p, PX_CMD, CMD_CR, 0, 500))
        return false;
    port_write(p, PX_CMD, port_read(p, PX_CMD) & ~CMD_FRE);
    return port_wait(p, PX_CMD, CMD_FR, 0, 500);
}

/* Start it again (10.3.1): FRE, then ST once the device is not busy. */
static bool port_start(struct ahci_port *p) {
    port_write(p, PX_CMD, port_read(p, PX_CMD) | CMD_FRE);
    if (!port_wait(p, PX_TFD, TFD_BSY | TFD_DRQ, 0, 1000))
        return false;
    port_write(p, PX_CMD, port_read(p, PX_CMD) | CMD_ST);
    return true;
}

/* Fill slot's header and table for an ATA command over buf (len bytes). */
static void build_command(struct ahci_port *p, int slot, uint8_t cmd, uint64_t lba, uint32_t count, void *buf,
                          uint32_t len, bool write) {
    uint8_t *t = p->tables + (size_t)slot * CMD_TABLE_SIZE;
    memset(t, 0, CMD_TABLE_SIZE);
    uint8_t *fis = t; /* command FIS at offset 0 (4.2.3.1) */
    fis[0] = FIS_H2D;
    fis[1] = 0x80; /* C: this is a command */
    fis[2] = cmd;
    fis[4] = (uint8_t)lba, fis[5] = (uint8_t)(lba >> 8), fis[6] = (uint8_t)(lba >> 16);
    fis[7] = 1u << 6; /* device: LBA mode */
    fis[8] = (uint8_t)(lba >> 24), fis[9] = (uint8_t)(lba >> 32), fis[10] = (uint8_t)(lba >> 40);
    fis[12] = (uint8_t)count, fis[13] = (uint8_t)(count >> 8);
    /* The PRDT (4.2.3.3): one entry per page of the buffer, each page
     * translated (a buffer may be on a kernel stack or in the image). */
    struct prd *prdt = (struct prd *)(t + 0x80);
    int n = 0;
    uint64_t va = (uint64_t)buf;
    for (uint32_t left = len; left > 0 && n < PRDT_ENTRIES; n++) {
        uint32_t piece = (uint32_t)MIN((uint64_t)left, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        uint64_t pa;
        unsigned flags;
        if (!arch_translate(0, va, &pa, &flags))
            panic("ahci: buffer %llx is not mapped", (unsigned long long)va);
        prdt[n] = (struct prd){(uint32_t)pa, (uint32_t)(pa >> 32), 0, piece - 1};
        va += piece;
        left -= piece;
    }
    struct cmd_header *h = &p->list[slot];
    h->flags = (uint16_t)(5 | (write ? 1u << 6 : 0)); /* a 5-dword register FIS */
    h->prdtl = (uint16_t)n;
    h->prdbc = 0;
    uint64_t tpa = p->tables_pa + (uint64_t)slot * CMD_TABLE_SIZE;
    h->ctba = (uint32_t)tpa;
    h->ctbau = (uint32_t)(tpa >> 32);
}

static void ahci_start(struct blk_dev *d, struct blk_req *req) {
    struct ahci_port *p = d->priv;
    build_command(p, req->slot, req->write ? ATA_WRITE_DMA_EXT : ATA_READ_DMA_EXT, req->lba, req->count, req->buf,
                  req->count * SECTOR_SIZE, req->write);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the table is in memory before the controller looks */
    port_write(p, PX_CI, 1u << req->slot);
}

/* Error recovery (6.2.2.1): stop the port, clear the errors, start again;
 * every command in flight is lost and fails. Queue lock held. */
static int fail_all_locked(struct ahci_port *p, struct blk_req **done) {
    int n = 0;
    port_stop(p); /* clearing ST clears PxCI too (3.3.14) */
    port_write(p, PX_SERR, 0xFFFFFFFFu);
    port_write(p, PX_IS, 0xFFFFFFFFu);
    if (!port_start(p))
        pr_err("ahci: port %d does not restart after an error\n", p->num);
    /* Only now: completing one starts the next queued request. */
    for (int s = 0; s < nslots; s++) {
        struct blk_req *r = p->blk.inflight[s];
        if (r) {
            done[n++] = r;
            blk_complete_locked(&p->blk, r, -ABI_EIO, false);
        }
    }
    return n;
}

/* Finished commands of one port: those whose slot bit PxCI no longer has. */
static void port_service(struct ahci_port *p, bool from_irq) {
    struct blk_req *done[32 * 2];
    int n = 0;
    spin_lock(&p->blk.lock);
    uint32_t is = port_read(p, PX_IS);
    port_write(p, PX_IS, is); /* write-1-to-clear (3.3.5) */
    if (is & IS_ERRORS) {
        pr_warn("ahci: port %d error: IS %x TFD %x SERR %x\n", p->num, is, port_read(p, PX_TFD),
                port_read(p, PX_SERR));
        n = fail_all_locked(p, done);
    } else {
        uint32_t ci = port_read(p, PX_CI);
        for (int s = 0; s < nslots; s++) {
            struct blk_req *r = p->blk.inflight[s];
            if (r && !(ci & (1u << s))) {
                done[n++] = r;
                blk_complete_locked(&p->blk, r, 0, from_irq);
            }
        }
    }
    spin_unlock(&p->blk.lock);
    blk_wake(done, n);
}

static void ahci_irq(struct trap_frame *f) {
    (void)f;
    this_cpu()->count.irqs++;
    uint32_t is = hba_read(HBA_IS);
    for (int i = 0; i < nports; i++)
        if (is & (1u << ports[i].num))
            port_service(&ports[i], true);
    hba_write(HBA_IS, is); /* after the ports' bits (5.6.2 step 3) */
    lapic_eoi();
}

static void ahci_poll(struct blk_dev *d) { port_service(d->priv, false); }

static void ahci_reset(struct blk_dev *d) {
    struct ahci_port *p = d->priv;
    struct blk_req *done[32];
    spin_lock(&d->lock);
    int n = fail_all_locked(p, done);
    spin_unlock(&d->lock);
    blk_wake(done, n);
}

/* A command with the interrupt off and PxCI polled: IDENTIFY at boot. */
static bool polled_command(struct ahci_port *p, uint8_t cmd, void *buf, uint32_t len) {
    build_command(p, 0, cmd, 0, 0, buf, len, false);
    port_write(p, PX_IS, 0xFFFFFFFFu);
    port_write(p, PX_CI, 1);
    uint64_t end = uptime_ns() + 2000000000ULL;
    while (port_read(p, PX_CI) & 1) {
        if (port_read(p, PX_IS) & IS_TFES || uptime_ns() > end)
            return false;
    }
    return !(port_read(p, PX_TFD) & TFD_ERR);
}

/* The ATA string of IDENTIFY words [from, to): two characters per word,
 * the first in the high byte (ATA8-ACS 3.4.9); trailing blanks dropped. */
static void ata_string(const uint16_t *id, int from, int to, char *out) {
    int n = 0;
    for (int w = from; w < to; w++) {
        out[n++] = (char)(id[w] >> 8);
        out[n++] = (char)id[w];
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static bool port_setup(int num) {
    struct ahci_port *p = &ports[nports];
    *p = (struct ahci_port){.regs = abar + 0x100 + 0x80 * (unsigned)num, .num = num};
    uint32_t ssts = port_read(p, PX_SSTS);
    if ((ssts & 0xF) != SSTS_DET_PRESENT)
        return false;
    if (port_read(p, PX_SIG) != SIG_ATA) {
        pr_info("ahci: port %d: signature %x, not a disk: skipped\n", num, port_read(p, PX_SIG));
        return false;
    }
    if (!port_stop(p)) {
        pr_warn("ahci: port %d does not stop\n", num);
        return false;
    }
    /* Command list (1 KiB, 1 KiB aligned), received FIS (256 B) and the
     * command tables (128 B aligned), in three zeroed pages at least. */
    size_t table_pages = ALIGN_UP((size_t)nslots * CMD_TABLE_SIZE, PAGE_SIZE) / PAGE_SIZE;
    uint64_t pa = frame_alloc_contig(1 + table_pages);
    if (!pa) {
        pr_warn("ahci: no memory for port %d\n", num);
        return false;
    }
    p->list_pa = pa;
    p->list = PHYS_TO_VIRT(pa);
    p->tables_pa = pa + PAGE_SIZE;
    p->tables = PHYS_TO_VIRT(p->tables_pa);
    memset(p->list, 0, PAGE_SIZE * (1 + table_pages));
    uint64_t fis_pa = pa + 0x400;
    port_write(p, PX_CLB, (uint32_t)pa);
    port_write(p, PX_CLBU, (uint32_t)(pa >> 32));
    port_write(p, PX_FB, (uint32_t)fis_pa);
    port_write(p, PX_FBU, (uint32_t)(fis_pa >> 32));
    port_write(p, PX_SERR, 0xFFFFFFFFu);
    port_write(p, PX_IS, 0xFFFFFFFFu);
    if (hba_read(HBA_CAP) & CAP_SSS)
        port_write(p, PX_CMD, port_read(p, PX_CMD) | CMD_SUD | CMD_POD);
    if (!port_start(p)) {
        pr_warn("ahci: port %d: device stays busy\n", num);
        return false;
    }
    static uint16_t id[256];
    if (!polled_command(p, ATA_IDENTIFY, id, sizeof id)) {
        pr_warn("ahci: port %d: IDENTIFY DEVICE failed (TFD %x)\n", num, port_read(p, PX_TFD));
        return false;
    }
    /* Words 100-103: sectors addressable with 48-bit LBA; 60-61 with 28-bit
     * (ATA8-ACS 7.16.7). Word 83 bit 10: 48-bit supported. */
    uint64_t sectors = (id[83] & (1u << 10))
                           ? (uint64_t)id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32 |
                                 (uint64_t)id[103] << 48
                           : (uint64_t)id[60] | (uint64_t)id[61] << 16;
    p->blk.sectors = sectors;
    ata_string(id, 27, 47, p->blk.model);
    p->blk.name = num == 0 ? "sata0" : num == 1 ? "sata1" : num == 2 ? "sata2" : "sata";
    p->blk.slots = nslots;
    p->blk.start = ahci_start;
    p->blk.poll = ahci_poll;
    p->blk.reset = ahci_reset;
    p->blk.priv = p;
    port_write(p, PX_IS, 0xFFFFFFFFu);
    port_write(p, PX_IE, IS_DHRS | IS_ERRORS);
    nports++;
    return true;
}

#include "arch/x86_64/ahci.h"

void ahci_init(void) {
    struct pci_dev *d = pci_find_class(0x01, 0x06, 0x01, 0);
    if (!d) {
        pr_info("ahci: no SATA controller: no disk (the initrd is the file system)\n");
        return;
    }
    if (d->bar[5].kind != PCI_BAR_MEM32 && d->bar[5].kind != PCI_BAR_MEM64) {
        pr_warn("ahci: BAR5 is not a memory BAR\n");
        return;
    }
    pci_enable_mmio_dma(d);
    abar = arch_map_mmio(d->bar[5].base, MAX(d->bar[5].size, (uint64_t)0x1100));
    hba_write(HBA_GHC, hba_read(HBA_GHC) | GHC_AE); /* AHCI mode (3.1.2) */
    uint32_t cap = hba_read(HBA_CAP), pi = hba_read(HBA_PI), vs = hba_read(HBA_VS);
    nslots = (int)CAP_NCS(cap);
    if (nslots > 32)
        nslots = 32;
    pr_info("ahci: version %x.%x, %d command slots, ports %x%s\n", vs >> 16, vs & 0xFFFF, nslots, pi,
            cap & CAP_S64A ? ", 64-bit" : "");
    arch_set_irq_handler(VEC_AHCI, ahci_irq);
    for (int i = 0; i < 32 && nports < (int)ARRAY_SIZE(ports); i++)
        if (pi & (1u << i))
            port_setup(i);
    if (!nports)
        return;
    /* Interrupts: MSI to the boot CPU where the function offers it, else
     * its INTx line through the I/O APIC (PCI interrupts are level
     * triggered); the watchdog's polling is the last resort. The boot CPU
     * on purpose: the completion wakes the sleeping process, which touches
     * a process table, and CPU 0 is the one CPU allowed to under every
     * organisation (leader: the leader; private: the CPU of instance 0,
     * the instance that owns the disk; bkl: any). */
    uint32_t apic = this_cpu()->arch.apic_id;
    if (boot_options.msi && pci_enable_msi(d, apic, VEC_AHCI)) {
        using_msi = true;
        pr_info("ahci: completion by MSI, vector %#x on APIC %u\n", VEC_AHCI, apic);
    } else if (d->h.int_line && d->h.int_line < 0xFF && ioapic_route_gsi(d->h.int_line, VEC_AHCI, true, apic)) {
        pr_info("ahci: completion by INTx: GSI %u, vector %#x\n", d->h.int_line, VEC_AHCI);
    } else {
        pr_warn("ahci: no interrupt: completion by polling every 20 ms\n");
    }
    hba_write(HBA_IS, 0xFFFFFFFFu);
    hba_write(HBA_GHC, hba_read(HBA_GHC) | GHC_IE);
    for (int i = 0; i < nports; i++)
        blk_register(&ports[i].blk);
}
