/* Choosing the multiprocessor organisation at boot (model= option). */
#include "kernel/model.h"
#include "kernel/printk.h"
#include "lib/string.h"

const struct model_ops *model = &model_bkl;

static const struct model_ops *const models[] = {&model_bkl, &model_fine};

bool model_select(const char *name) {
    for (size_t i = 0; i < ARRAY_SIZE(models); i++)
        if (strcmp(models[i]->name, name) == 0) {
            model = models[i];
            return true;
        }
    pr_err("model: this kernel has no organisation '%s'; it has:", name);
    for (size_t i = 0; i < ARRAY_SIZE(models); i++)
        printk_raw(" %s", models[i]->name);
    printk_raw("\n");
    return false;
}
