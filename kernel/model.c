/* Choosing the multiprocessor organisation at boot (model= option). */
#include "kernel/model.h"
#include "user/include/abi.h"
#include "kernel/printk.h"
#include "lib/string.h"

const struct model_ops *model = &model_bkl;

static const struct model_ops *const models[] = {&model_private, &model_leader, &model_bkl, &model_fine};

int model_stat_put(struct abi_model_stat *out, int n, int max, const char *name, int cpu, uint64_t value) {
    if (n >= max)
        return n;
    str_copy(out[n].name, name, sizeof out[n].name);
    out[n].cpu = cpu;
    out[n].value = value;
    return n + 1;
}

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
