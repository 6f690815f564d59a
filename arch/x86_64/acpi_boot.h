#ifndef ACPI_BOOT_H
#define ACPI_BOOT_H
#include "lib/acpi.h"
extern struct acpi_info acpi;
extern bool acpi_ok;        /* tables parsed; otherwise one CPU, default routing */
void acpi_init(void);
#endif
