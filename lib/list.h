/*
 * Intrusive circular doubly-linked list.
 *
 * A list is a head node whose next/prev point at the first/last element; an
 * empty list's head points at itself. Elements embed a struct list_node and
 * are recovered with list_entry(). Because the list is circular there are no
 * NULL checks on insert/remove, and a removed node is left self-linked so a
 * second list_remove() or a list_empty() on it is harmless.
 */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include "lib/types.h"

struct list_node {
    struct list_node *prev, *next;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_node *n) {
    n->prev = n;
    n->next = n;
}

static inline bool list_empty(const struct list_node *head) {
    return head->next == head;
}

/* Link n between the adjacent nodes prev and next. */
static inline void list_insert_between(struct list_node *n,
                                       struct list_node *prev,
                                       struct list_node *next) {
    n->prev = prev;
    n->next = next;
    prev->next = n;
    next->prev = n;
}

static inline void list_push_back(struct list_node *head, struct list_node *n) {
    list_insert_between(n, head->prev, head);
}

static inline void list_push_front(struct list_node *head, struct list_node *n) {
    list_insert_between(n, head, head->next);
}

static inline void list_remove(struct list_node *n) {
    n->prev->next = n->next;
    n->next->prev = n->prev;
    list_init(n);
}

static inline struct list_node *list_pop_front(struct list_node *head) {
    if (list_empty(head))
        return NULL;
    struct list_node *n = head->next;
    list_remove(n);
    return n;
}

static inline size_t list_length(const struct list_node *head) {
    size_t len = 0;
    for (const struct list_node *n = head->next; n != head; n = n->next)
        len++;
    return len;
}

#define list_entry(node, type, member) container_of(node, type, member)

/* Iterate the nodes of head. Do not remove `it` inside the loop body. */
#define list_for_each(it, head)                                              \
    for (struct list_node *it = (head)->next; it != (head); it = it->next)

/* Like list_for_each, but `it` may be removed: the successor is read first. */
#define list_for_each_safe(it, head)                                         \
    for (struct list_node *it = (head)->next, *it##_next_ = it->next;        \
         it != (head); it = it##_next_, it##_next_ = it->next)

#endif
