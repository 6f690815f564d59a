#ifndef AHCI_H
#define AHCI_H
/* Find the SATA controller, set up its disks, register them with the
 * block layer (arch/x86_64/ahci.c). */
void ahci_init(void);
#endif
