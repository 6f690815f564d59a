/*
 * Host tests of lib/list.h and the macros in lib/types.h.
 */
#include "tests/host/htest.h"
#include "lib/list.h"

struct item {
    int value;
    struct list_node node;
};

/* Check both directions of the ring and return the forward values. */
static size_t collect(struct list_node *head, int *out, size_t max) {
    size_t n = 0;
    list_for_each(it, head) {
        if (it->next->prev != it || it->prev->next != it)
            return (size_t)-1; /* broken links */
        if (n < max)
            out[n] = list_entry(it, struct item, node)->value;
        n++;
    }
    size_t back = 0;
    for (struct list_node *it = head->prev; it != head; it = it->prev)
        back++;
    return back == n ? n : (size_t)-1;
}

HTEST(empty_list) {
    struct list_node head;
    list_init(&head);
    HT_ASSERT(list_empty(&head));
    HT_ASSERT_EQ(list_length(&head), 0);
    HT_ASSERT(list_pop_front(&head) == NULL);
    HT_ASSERT(list_empty(&head));
    struct list_node st = LIST_HEAD_INIT(st);
    HT_ASSERT(list_empty(&st));
}

HTEST(push_back_and_front_order) {
    struct list_node head;
    list_init(&head);
    struct item a = { 1, { 0, 0 } }, b = { 2, { 0, 0 } }, c = { 3, { 0, 0 } };
    list_push_back(&head, &a.node);
    list_push_back(&head, &b.node);
    list_push_front(&head, &c.node);
    int v[8];
    HT_ASSERT_EQ(collect(&head, v, 8), 3);
    HT_ASSERT_EQ(v[0], 3);
    HT_ASSERT_EQ(v[1], 1);
    HT_ASSERT_EQ(v[2], 2);
    HT_ASSERT(!list_empty(&head));
    HT_ASSERT_EQ(list_length(&head), 3);
}

HTEST(remove_middle_first_last) {
    struct list_node head;
    list_init(&head);
    struct item it[5];
    for (int i = 0; i < 5; i++) {
        it[i].value = i;
        list_push_back(&head, &it[i].node);
    }
    list_remove(&it[2].node);
    list_remove(&it[0].node);
    list_remove(&it[4].node);
    int v[8];
    HT_ASSERT_EQ(collect(&head, v, 8), 2);
    HT_ASSERT_EQ(v[0], 1);
    HT_ASSERT_EQ(v[1], 3);
    /* A removed node is self-linked: empty, and removing again is harmless. */
    HT_ASSERT(it[2].node.next == &it[2].node && it[2].node.prev == &it[2].node);
    HT_ASSERT(list_empty(&it[2].node));
    list_remove(&it[2].node);
    HT_ASSERT_EQ(collect(&head, v, 8), 2);
}

HTEST(pop_front_drains_in_order) {
    struct list_node head;
    list_init(&head);
    struct item it[4];
    for (int i = 0; i < 4; i++) {
        it[i].value = 10 + i;
        list_push_back(&head, &it[i].node);
    }
    for (int i = 0; i < 4; i++) {
        struct list_node *n = list_pop_front(&head);
        HT_ASSERT(n != NULL);
        HT_ASSERT_EQ(list_entry(n, struct item, node)->value, 10 + i);
        HT_ASSERT(list_empty(n)); /* popped nodes are self-linked too */
    }
    HT_ASSERT(list_pop_front(&head) == NULL);
    HT_ASSERT(list_empty(&head));
    HT_ASSERT(head.next == &head && head.prev == &head);
}

HTEST(safe_iteration_removes_while_walking) {
    struct list_node head;
    list_init(&head);
    struct item it[6];
    for (int i = 0; i < 6; i++) {
        it[i].value = i;
        list_push_back(&head, &it[i].node);
    }
    list_for_each_safe(n, &head) {
        if (list_entry(n, struct item, node)->value % 2 == 0)
            list_remove(n);
    }
    int v[8];
    HT_ASSERT_EQ(collect(&head, v, 8), 3);
    HT_ASSERT_EQ(v[0], 1);
    HT_ASSERT_EQ(v[1], 3);
    HT_ASSERT_EQ(v[2], 5);
    list_for_each_safe(n, &head) list_remove(n);
    HT_ASSERT(list_empty(&head));
}

HTEST(move_between_lists_as_a_queue) {
    struct list_node a, b;
    list_init(&a);
    list_init(&b);
    struct item it[3] = { { 7, { 0, 0 } }, { 8, { 0, 0 } }, { 9, { 0, 0 } } };
    for (int i = 0; i < 3; i++)
        list_push_back(&a, &it[i].node);
    struct list_node *n;
    while ((n = list_pop_front(&a)) != NULL)
        list_push_front(&b, n); /* reverses */
    int v[8];
    HT_ASSERT_EQ(collect(&a, v, 8), 0);
    HT_ASSERT_EQ(collect(&b, v, 8), 3);
    HT_ASSERT_EQ(v[0], 9);
    HT_ASSERT_EQ(v[2], 7);
}

HTEST(types_macros) {
    int arr[7];
    HT_ASSERT_EQ(ARRAY_SIZE(arr), 7);
    HT_ASSERT_EQ(ALIGN_UP(0, 8), 0);
    HT_ASSERT_EQ(ALIGN_UP(1, 8), 8);
    HT_ASSERT_EQ(ALIGN_UP(8, 8), 8);
    HT_ASSERT_EQ(ALIGN_UP(4097ull, 4096), 8192);
    HT_ASSERT_EQ(ALIGN_DOWN(4095u, 4096), 0);
    HT_ASSERT_EQ(ALIGN_DOWN(0xffffffffffffffffull, 4096), 0xfffffffffffff000ull);
    HT_ASSERT(ALIGN_UP(0xffffffff00000001ull, 0x1000) == 0xffffffff00001000ull);
    HT_ASSERT(IS_ALIGNED(24u, 8));
    HT_ASSERT(!IS_ALIGNED(20u, 8));
    int calls = 0;
    HT_ASSERT_EQ(MIN(3, 5), 3);
    HT_ASSERT_EQ(MAX(-3, -5), -3);
    HT_ASSERT_EQ(MIN(calls++, 10), 0);
    HT_ASSERT_EQ(calls, 1); /* each argument evaluated once */
    struct item x;
    HT_ASSERT(container_of(&x.node, struct item, node) == &x);
}

int main(void) {
    return htest_main("list");
}
