/*
 * fuzz - a seeded system-call fuzzer (run by `make test` as run=fuzz).
 *
 *   fuzz [-s seed] [-n calls] [-p procs] [-w worker -f from] [-v] [-x what,...]
 *
 *   -s seed    the seed (default 1: the test cell is reproducible)
 *   -n calls   system calls in all, shared out between the workers (default 10000)
 *   -p procs   worker processes running at once (default 4)
 *   -w W       run only worker W (its calls are the same as in a run with all)
 *   -f FROM    start at call FROM of the worker (a "life" start, see below)
 *   -v         print every call before it is made, and its result
 *   -x LIST    leave out, for chasing one bug past another: nt, tf, ac, df
 *              (that RFLAGS bit), hi (values with high bits over a small int),
 *              sleep (long sleeps), exec (successful execs)
 *
 * Every call is made with the raw `syscall` instruction: the fuzzer loads
 * rax, rdi, rsi, rdx, r10, r8 and r9 itself and may set RFLAGS bits (TF,
 * NT, AC, DF, an IOPL attempt, the status flags) just before it. Call j of
 * worker w is a function of (seed, w, j) alone, so any one call can be
 * regenerated; the kernel's answer depends on the state the earlier calls
 * left, which is why runs are replayed from the start of a life.
 *
 * Lives. A worker is a manager that forks one "life" after another; a life
 * is a child that makes a run of calls. The manager plans each life before it
 * forks it: from call FROM on, the first call that may end a process (exit,
 * kill of itself, a TF-flagged call, a long sleep, a successful exec) is the
 * life's last, and the manager knows which ends it may have: an exit status,
 * a signal, or surviving the call. After the life ends, its wait status must
 * be one of them, else that life FAILS. Every other call must return, and
 * must leave the argument registers, rbx, rbp, r12-r14 and the status flags
 * and DF as they were (docs/abi.md, "Calling convention"); the life checks
 * that itself and ends with a code naming what differed.
 *
 * Signals: sigaction installs only the fuzzer's own actions (default,
 * ignore, or a handler that counts and returns, with assorted flags and
 * masks; never a handler for SIGCHLD, which a fuzzed fork's child sends),
 * or is given a bad pointer; sigreturn, never called from a handler, must
 * end the life with SIGSEGV; sigsuspend waits for its killer like a long
 * sleep; alarm is set past the end of any life, or cleared. A kill of the
 * life itself may now be survived (ignored, blocked or handled).
 *
 * What is kept out, because it would end the test for a reason nobody
 * learns from: poweroff (any call number whose low 32 bits say poweroff);
 * cpufail likewise (it would stop a CPU dead, docs/organisations.md);
 * kill of any process but the life itself, init (EPERM) and pids that
 * cannot exist; setprio likewise; reads from the console (they would wait
 * for input for ever: the life closes fd 0 and skips reads from fds still
 * on the console); exec of any program but ut_args; writes of more than 16
 * bytes to the console; a poll() timeout that the kernel would take is
 * kept under SHORT_SLEEP_MS (-1 would wait for ever on descriptors nobody
 * writes). Pointers that are valid point into a scratch area
 * at the top of the life's heap, or at its text and read-only data (which
 * the kernel must refuse to write); never at the life's own variables.
 * mmap, munmap and mprotect get shaped arguments most of the time: inside
 * a mapping the life makes at its start (OWN_MAP_PAGES, which they may
 * unmap, protect or replace), or flags and lengths that must fail. Random
 * ones are safe too: the kernel keeps mappings in an area of their own
 * and refuses munmap and mprotect outside it (docs/memory.md), so no call
 * can take away the life's code, stack or heap.
 *
 * Output: a line per life ("fuzz: w1 calls 120-187"), so a kernel panic log
 * shows the seed, the worker and the first call of the life that was
 * running; `fuzz -s SEED -w W -f FROM -n COUNT -v` replays that life alone
 * and prints each call. At the end one closing line per worker,
 * "fuzz.wN: P passed, F failed" (a passed check = a life that ended as
 * planned); the exit status is 1 if anything failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/wait.h>
#include "os.h"

#define PAGE 4096ull
#define SCRATCH_SIZE (64 * 1024ull)
#define OWN_MAP_PAGES 16      /* the life's own mapping, for mmap/munmap/mprotect */
#define LIFE_MAX 400          /* calls in a life that meets no ending call */
#define MAX_KIDS 4            /* children of a life alive at once (fork bombs) */
#define SHORT_SLEEP_MS 50     /* longest sleep a life makes and survives */
#define LONG_SLEEP_MS 10000   /* longer sleeps end the life (a child kills it) */
#define KILLER_DELAY_MS 100

/* Exit codes of a life that ends by itself (the manager expects them). */
#define LIFE_SURVIVED 200     /* its last call, one that may end it, did not */
#define LIFE_DONE 201         /* LIFE_MAX calls without an ending call */
#define LIFE_BAD_REGS 210     /* a register changed across a call */
#define LIFE_BAD_FLAGS 211    /* a status flag or DF changed across a call */

/* RFLAGS bits (Intel SDM vol. 1, 3.4.3). */
#define F_CF 0x1ull
#define F_PF 0x4ull
#define F_AF 0x10ull
#define F_ZF 0x40ull
#define F_SF 0x80ull
#define F_TF 0x100ull
#define F_IF 0x200ull
#define F_DF 0x400ull
#define F_OF 0x800ull
#define F_IOPL 0x3000ull
#define F_NT 0x4000ull
#define F_AC 0x40000ull
#define F_KEPT (F_CF | F_PF | F_AF | F_ZF | F_SF | F_DF | F_OF)


/* ---------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------- */
static uint64_t opt_seed = 1;
static uint64_t opt_calls = 10000;
static int opt_procs = 4;
static int opt_worker = -1;
static uint64_t opt_from;
static int opt_verbose;
enum { X_NT = 1, X_TF = 2, X_AC = 4, X_DF = 8, X_HI = 16, X_SLEEP = 32, X_EXEC = 64 };
static unsigned opt_exclude;
static const char *opt_exclude_arg = "";

/* ---------------------------------------------------------------------
 * Random numbers: call j of worker w has its own generator, seeded from
 * (seed, w, j) by splitmix64 (Steele, Lea, Flood: "Fast splittable
 * pseudorandom number generators", OOPSLA 2014).
 * ------------------------------------------------------------------- */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

struct rng { uint64_t s; };

static uint64_t next64(struct rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return mix64(r->s);
}

static uint64_t below(struct rng *r, uint64_t n) { return n ? next64(r) % n : 0; }
static int chance(struct rng *r, unsigned one_in) { return below(r, one_in) == 0; }

static struct rng rng_for(uint64_t seed, int w, uint64_t j)
{
    struct rng r = { mix64(seed ^ mix64(((uint64_t)w << 40) ^ j ^ 0x5eedull)) };
    return r;
}

/* ---------------------------------------------------------------------
 * One planned call. Arguments are symbolic where the value depends on the
 * life (its pid, where its scratch area is): the life resolves them.
 * ------------------------------------------------------------------- */
enum argkind {
    A_VALUE,      /* the number in v */
    A_SCRATCH,    /* scratch + v (v may reach past the end) */
    A_SCRATCH_FF, /* scratch + v, whose first byte is made 0xff (no program name) */
    A_TEXT,       /* an address in the program's text */
    A_RODATA,     /* an address in its read-only data */
    A_SELF,       /* the life's pid */
    A_SELF_HI,    /* the life's pid with high bits above it: v << 32 | pid */
    A_STR,        /* string number v of the pool below */
    A_ARGV_EXIT,  /* argv {"ut_args", "exit", "<v>"} */
    A_ARGV_BAD,   /* argv whose second element is a kernel address */
    A_ARGV_BIG,   /* argv of 2000 strings (E2BIG) */
    A_ENVP,       /* a small valid environment */
    A_SIGACT,     /* sigaction: the fuzzer's own action number v (safe_actions) */
    A_OWN_MAP,    /* the life's own mapping + v (v may reach past its end) */
};

struct arg { uint8_t kind; uint64_t v; };

struct call {
    uint64_t nr;
    struct arg a[6];
    uint64_t setf, clrf;     /* RFLAGS bits set and cleared just before */
    /* How the call may end the life. */
    int terminal;            /* it may end it: the life's last call */
    uint32_t sig_ok;         /* bit s: killed by signal s is fine */
    int exit_ok;             /* -1 none, 256 any, else the one exit status */
    int exit0_ok;            /* exit status 0 is fine too */
    int may_survive;         /* returning from it is fine */
    int long_sleep;          /* the life starts a killer child first */
};

static const char *const str_pool[] = {
    "ut_args", "motd", "numbers.txt", "hello", "no-such-file", "", "bad-magic.elf",
    "bad-overlap.elf", "bad-huge-segment.elf", "bad-entry.elf", "/no/such/dir/file",
    /* 11, 12: 127 and 128 bytes, the kernel's limit and one past it */
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
};
#define STR_UT_ARGS 0
#define N_STR (sizeof str_pool / sizeof str_pool[0])

/* Values of every interesting shape. */
static uint64_t some_value(struct rng *r, int allow_hi)
{
    for (;;) {
        switch (below(r, 10)) {
        case 0: return 0;
        case 1: return below(r, 20);                       /* small: fds, slots, signals */
        case 2: return below(r, 8192);
        case 3: return 0xffff800000000000ull | (next64(r) & 0x00007fffffffffffull); /* kernel half */
        case 4: return 0xffffffff80000000ull + below(r, 0x2000000);                  /* kernel image */
        case 5: return 0x0000800000000000ull + below(r, 0xffff000000000000ull);      /* non-canonical */
        case 6: return (0x10000000ull + below(r, 0x100000)) * PAGE % 0x00007fffffffffffull; /* unmapped */
        case 7: {
            static const uint64_t huge[] = { ~0ull, ~0ull >> 1, 1ull << 63, 0xfffffffffffff000ull,
                                             0x00007ffffffff000ull, 0x00007fffffffffffull, 0xffffffffull,
                                             0x80000000ull, 0x7fffffffull };
            return huge[below(r, sizeof huge / sizeof huge[0])];
        }
        case 8: return (uint64_t)-(int64_t)(1 + below(r, 4096)); /* negative */
        case 9:
            if (!allow_hi || (opt_exclude & X_HI))
                continue;
            /* high bits over a small int: (int) of it is small */
            return ((1 + below(r, 0xffffffffull)) << 32) | below(r, 20);
        }
    }
}

/* A pointer-ish argument: valid ones into scratch/text/rodata, or a value. */
static struct arg some_pointer(struct rng *r)
{
    struct arg a = { A_VALUE, 0 };
    switch (below(r, 8)) {
    case 0: case 1: case 2:
        a.kind = A_SCRATCH;
        a.v = chance(r, 4) ? SCRATCH_SIZE - below(r, 64) : below(r, SCRATCH_SIZE);
        break;
    case 3: a.kind = A_TEXT; a.v = below(r, 256); break;
    case 4: a.kind = A_RODATA; a.v = below(r, 64); break;
    default: a.v = some_value(r, 1); break;
    }
    return a;
}

static struct arg val(uint64_t v) { struct arg a = { A_VALUE, v }; return a; }

/* A pid for kill/setprio: the life itself, init, or one that cannot exist. */
static struct arg some_pid(struct rng *r, int *self)
{
    *self = 0;
    switch (below(r, 8)) {
    case 0: case 1: *self = 1; { struct arg a = { A_SELF, 0 }; return a; }
    case 2:
        if (opt_exclude & X_HI)
            return val(1);
        *self = 2;
        { struct arg a = { A_SELF_HI, 1 + below(r, 0xffffffffull) }; return a; }
    case 3: return val(1);                                     /* init: EPERM */
    case 4: return val(0x7fffffffull - below(r, 1000));        /* never reached */
    case 5: return val((uint64_t)-(int64_t)(2 + below(r, 100000))); /* not 0 or -1: no groups */
    case 6: return val(0x100000001ull);                        /* (int) of it is init */
    default: return val(1000000 + below(r, 1000000000));
    }
}

/* An address in or just past the life's own mapping: mostly page-aligned. */
static struct arg own_map_arg(struct rng *r)
{
    struct arg a = { A_OWN_MAP, below(r, OWN_MAP_PAGES + 2) * PAGE };
    if (chance(r, 8))
        a.v += 1 + below(r, PAGE - 1);
    return a;
}

/* A length for the mapping calls: a few pages, sometimes not a multiple
 * of one, sometimes 0 or a random value. */
static struct arg map_len(struct rng *r)
{
    if (chance(r, 8))
        return val(chance(r, 2) ? 0 : some_value(r, 1));
    uint64_t len = (1 + below(r, OWN_MAP_PAGES)) * PAGE;
    return val(chance(r, 4) ? len - below(r, PAGE) : len);
}

static struct arg some_path(struct rng *r)
{
    switch (below(r, 4)) {
    case 0: case 1: { struct arg a = { A_STR, 1 + below(r, N_STR - 1) }; return a; }
    case 2: { struct arg a = { A_SCRATCH_FF, below(r, SCRATCH_SIZE) }; return a; }
    default: return val(some_value(r, 1));
    }
}

/* What a life may install with sigaction: never a handler the kernel
 * would send it into at random (a text address would run the life's own
 * code from the middle). The one handler counts and returns through the
 * library's restorer; the flags and masks vary, some of them invalid. */
static volatile int fuzz_handled;
static void fuzz_handler(int sig) { (void)sig; fuzz_handled++; }
void __sig_restorer(void);
#define N_SAFE_ACTIONS 8
static struct abi_sigaction safe_actions[N_SAFE_ACTIONS];
static void safe_actions_init(void)
{
    static const struct { uint64_t handler; uint64_t mask; int32_t flags; } a[N_SAFE_ACTIONS] = {
        { ABI_SIG_DFL, 0, 0 },
        { ABI_SIG_IGN, 0, 0 },
        { 2, ~0ull, ABI_SA_SIGINFO },                          /* handler, every signal blocked while it runs */
        { 2, 0, ABI_SA_RESTART | ABI_SA_NODEFER },
        { 2, 1ull << ABI_SIGSEGV, ABI_SA_RESETHAND },
        { 2, 0, 0x40 },                                       /* an unknown flag: EINVAL */
        { 2, 0xffffffff00000000ull, ABI_SA_ALL },
        { ABI_SIG_IGN, ~0ull, ABI_SA_ALL },
    };
    for (int i = 0; i < N_SAFE_ACTIONS; i++) {
        safe_actions[i].handler = a[i].handler == 2 ? (uint64_t)fuzz_handler : a[i].handler;
        safe_actions[i].mask = a[i].mask;
        safe_actions[i].flags = a[i].flags;
        safe_actions[i].restorer = (uint64_t)__sig_restorer;
    }
}

static void plan(int w, uint64_t j, struct call *c)
{
    struct rng r = rng_for(opt_seed, w, j);
    memset(c, 0, sizeof *c);
    c->exit_ok = -1;

    /* The call number: mostly real ones, some out of range. */
    for (;;) {
        if (chance(&r, 10)) {
            static const uint64_t bad[] = { SYS_COUNT, SYS_COUNT + 1, 255, 0x7fffffffull,
                                            ~0ull, ~0ull - 1, 1ull << 63, 0xffff800000000000ull };
            c->nr = chance(&r, 3) ? some_value(&r, 1) : bad[below(&r, sizeof bad / sizeof bad[0])];
        } else {
            c->nr = below(&r, SYS_COUNT);
        }
        if ((c->nr & 0xffffffffull) == SYS_poweroff || (c->nr & 0xffffull) == SYS_poweroff)
            continue;
        if (c->nr == SYS_test_rendezvous) /* test only: waits up to 2 s, and does nothing else */
            continue;
        if ((c->nr & 0xffffffffull) == SYS_trace) /* a diagnostic: a dump floods the console */
            continue;
        if ((c->nr & 0xffffffffull) == SYS_cpufail) /* would stop a CPU dead: not the fuzzer's to do */
            continue;
        if ((c->nr == SYS_exit || c->nr == SYS_sigreturn || c->nr == SYS_sigsuspend) && !chance(&r, 6))
            continue; /* these end a life: keep lives long enough to do things */
        break;
    }
    for (int i = 0; i < 6; i++)
        c->a[i] = chance(&r, 2) ? some_pointer(&r) : val(some_value(&r, 1));

    switch (c->nr) {
    case SYS_exit:
        c->a[0] = val(some_value(&r, 1));
        c->terminal = 1;
        c->exit_ok = (int)(c->a[0].v & 0xff);
        /* an int whose register is not its sign extension: truncated or
         * refused with EINVAL, the kernel's choice (docs/abi.md) */
        if (c->a[0].v != (uint64_t)(int64_t)(int32_t)c->a[0].v)
            c->may_survive = 1;
        break;
    case SYS_kill: {
        int self;
        c->a[0] = some_pid(&r, &self);
        c->a[1] = val(chance(&r, 2) ? 1 + below(&r, 31) : some_value(&r, 1));
        int sig = (int)(uint32_t)c->a[1].v;
        /* Signals may be ignored, blocked or handled by now (sigaction,
         * sigprocmask): then the life goes on. */
        if (self == 1 && c->a[1].v >= 1 && c->a[1].v <= 31) {
            c->terminal = 1;
            c->sig_ok |= 1u << c->a[1].v;
            c->may_survive = 1;
        } else if (self && sig >= 1 && sig <= 31) {
            /* truncated to int by the kernel, or refused: either is fine */
            c->terminal = 1;
            c->sig_ok |= 1u << sig;
            c->may_survive = 1;
        }
        break;
    }
    case SYS_kwork:
        /* a valid count holds a kernel lock that long (under bkl: the
         * whole kernel): keep the valid ones short */
        if (c->a[1].kind == A_VALUE && c->a[1].v <= ABI_KWORK_MAX_CYCLES)
            c->a[1].v %= 100000;
        break;
    case SYS_primcost:
        /* the hand-off and IPI timings keep two CPUs busy for a long while
         * on a loaded host: fuzz the cheap one (the pointers stay random) */
        if (c->a[0].kind == A_VALUE && (uint32_t)c->a[0].v >= ABI_PRIM_HANDOFF && (uint32_t)c->a[0].v <= ABI_PRIM_IPI)
            c->a[0].v = ABI_PRIM_LOCK;
        break;
    case SYS_setprio: {
        int self;
        c->a[0] = chance(&r, 4) ? val(0) : some_pid(&r, &self);
        break;
    }
    case SYS_sleep:
        if (chance(&r, 6) && !(opt_exclude & X_SLEEP)) {
            c->a[0] = val(some_value(&r, 1));
            if (c->a[0].v > SHORT_SLEEP_MS && c->a[0].v <= LONG_SLEEP_MS)
                c->a[0].v %= SHORT_SLEEP_MS; /* neither quick nor sure to outlast the killer */
            if (c->a[0].v > LONG_SLEEP_MS) {
                c->terminal = 1;
                c->long_sleep = 1;
                c->sig_ok |= 1u << ABI_SIGKILL;
            }
        } else {
            c->a[0] = val(below(&r, 4));
        }
        break;
    case SYS_execve:
        if (chance(&r, 2) && !(opt_exclude & X_EXEC)) {
            struct arg p = { A_STR, STR_UT_ARGS };
            c->a[0] = p;
            int code = (int)below(&r, 100);
            switch (below(&r, 6)) {
            case 0: case 1: case 2: {
                struct arg a = { A_ARGV_EXIT, (uint64_t)code };
                c->a[1] = a;
                c->terminal = 1;
                c->exit_ok = code;
                c->may_survive = 1; /* ENOMEM when other workers hold the memory */
                break;
            }
            case 3:
                c->a[1] = val(0); /* argv NULL: kernel-defined, ut_args then exits 0 */
                c->terminal = 1;
                c->exit0_ok = 1;
                c->may_survive = 1;
                break;
            case 4: { struct arg a = { A_ARGV_BAD, 0 }; c->a[1] = a; break; }  /* EFAULT */
            default: { struct arg a = { A_ARGV_BIG, 0 }; c->a[1] = a; break; } /* E2BIG */
            }
            int envp = (int)below(&r, 3);
            if (envp == 0) {
                struct arg e = { A_ENVP, 0 };
                c->a[2] = e;
            } else if (envp == 1) {
                c->a[2] = val(0);
            } else {
                /* a bad environment: the exec must fail (or, kernel-defined
                 * for NULL-ish values, succeed as above) */
                c->a[2] = val(some_value(&r, 0));
                if (c->a[2].v != 0 && c->terminal) {
                    c->terminal = 0;
                    c->exit_ok = -1;
                    c->exit0_ok = 0;
                    c->may_survive = 0;
                }
            }
        } else {
            c->a[0] = some_path(&r);
        }
        break;
    case SYS_open:
        c->a[0] = some_path(&r);
        break;
    case SYS_sigaction:
        c->a[0] = val(chance(&r, 2) ? 1 + below(&r, 31) : some_value(&r, 1));
        switch (below(&r, 4)) {
        case 0: c->a[1] = val(0); break; /* only asks */
        case 1: c->a[1] = val(some_value(&r, 1)); break; /* mostly EFAULT */
        default: { struct arg a = { A_SIGACT, below(&r, N_SAFE_ACTIONS) }; c->a[1] = a; break; }
        }
        break;
    case SYS_sigreturn:
        /* No frame the kernel made: refused, and the life ends with SIGSEGV. */
        c->terminal = 1;
        c->sig_ok |= 1u << ABI_SIGSEGV;
        break;
    case SYS_sigsuspend:
        /* With a readable mask it waits for a signal that never comes: the
         * killer ends it. Without, EFAULT. */
        c->terminal = 1;
        c->long_sleep = 1;
        c->sig_ok |= 1u << ABI_SIGKILL;
        c->may_survive = 1;
        break;
    case SYS_alarm: {
        /* An alarm that rang during the life would end it unplanned:
         * none, or one past its end (2^32 ms is 50 days). */
        uint64_t v = some_value(&r, 1);
        c->a[0] = val(v < (1ull << 32) ? 0 : v);
        break;
    }
    case SYS_mmap:
        if (chance(&r, 4))
            break; /* all random */
        {
            static const uint64_t flags[] = {
                ABI_MAP_PRIVATE | ABI_MAP_ANONYMOUS, ABI_MAP_PRIVATE | ABI_MAP_ANONYMOUS,
                ABI_MAP_PRIVATE | ABI_MAP_ANONYMOUS | ABI_MAP_FIXED, ABI_MAP_PRIVATE, /* a file: fd below */
                ABI_MAP_PRIVATE | ABI_MAP_FIXED, ABI_MAP_SHARED | ABI_MAP_ANONYMOUS, /* EINVAL */
                ABI_MAP_ANONYMOUS, ABI_MAP_PRIVATE | ABI_MAP_ANONYMOUS | 0x1000, /* EINVAL */
            };
            c->a[0] = chance(&r, 3) ? val(0) : own_map_arg(&r);
            c->a[1] = map_len(&r);
            c->a[2] = val(chance(&r, 8) ? some_value(&r, 1) : below(&r, 8));
            c->a[3] = val(flags[below(&r, sizeof flags / sizeof flags[0])]);
            c->a[4] = val(chance(&r, 2) ? ~0ull : below(&r, 8));
            c->a[5] = val(chance(&r, 2) ? 0 : below(&r, 4) * PAGE + (chance(&r, 4) ? 1 : 0));
        }
        break;
    case SYS_munmap:
    case SYS_mprotect:
        if (chance(&r, 4))
            break;
        c->a[0] = own_map_arg(&r);
        c->a[1] = map_len(&r);
        c->a[2] = val(chance(&r, 8) ? some_value(&r, 1) : below(&r, 8));
        break;
    case SYS_read:
    case SYS_write:
        /* the kernel's copies into and out of mappings the life changes */
        if (chance(&r, 8))
            c->a[1] = own_map_arg(&r);
        break;
    case SYS_poll:
        /* a valid timeout stays short: -1 or a long one waits for ever on
         * descriptors nobody writes (the console); refused ones stay */
        if (c->a[2].kind == A_VALUE && c->a[2].v == (uint64_t)(int64_t)(int32_t)c->a[2].v)
            c->a[2].v = below(&r, SHORT_SLEEP_MS);
        else if (c->a[2].kind != A_VALUE)
            c->a[2] = val(below(&r, 4));
        break;
    case SYS_access:
        c->a[0] = some_path(&r);
        break;
    default:
        break;
    }

    /* RFLAGS games, on one call in eight. */
    if (chance(&r, 8)) {
        uint64_t f = 0;
        if (chance(&r, 3) && !(opt_exclude & X_NT)) f |= F_NT;
        if (chance(&r, 3) && !(opt_exclude & X_AC)) f |= F_AC;
        if (chance(&r, 3) && !(opt_exclude & X_DF)) f |= F_DF;
        if (chance(&r, 4)) f |= F_IOPL; /* popfq at CPL 3 ignores it */
        if (chance(&r, 2)) f |= F_CF | F_ZF | F_OF;
        if (chance(&r, 10) && !(opt_exclude & X_TF)) f |= F_TF;
        c->setf = f;
        c->clrf = chance(&r, 4) ? F_IF : 0; /* also ignored at CPL 3 */
        if (f & F_TF) {
            /* #DB after the call: the kernel ends the life with SIGSEGV
             * (usertrap.c: "the rest") or SIGTRAP, or clears TF */
            c->terminal = 1;
            c->sig_ok |= (1u << ABI_SIGSEGV) | (1u << ABI_SIGTRAP);
            c->may_survive = 1;
            if (c->nr == SYS_exit)
                c->exit_ok = (int)(c->a[0].v & 0xff);
        }
    }
}

/* ---------------------------------------------------------------------
 * Small output helpers that need neither stdio nor the heap (a life may
 * have shrunk its heap away).
 * ------------------------------------------------------------------- */
struct buf { char s[512]; size_t n; };

static void put_s(struct buf *b, const char *s)
{
    while (*s && b->n < sizeof b->s - 1)
        b->s[b->n++] = *s++;
}

static void put_u(struct buf *b, uint64_t v)
{
    char t[24];
    int i = 0;
    do
        t[i++] = (char)('0' + v % 10);
    while ((v /= 10) && i < 23);
    while (i && b->n < sizeof b->s - 1)
        b->s[b->n++] = t[--i];
}

static void put_x(struct buf *b, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    put_s(b, "0x");
    int i = 60;
    while (i > 0 && !((v >> i) & 0xf))
        i -= 4;
    for (; i >= 0 && b->n < sizeof b->s - 1; i -= 4)
        b->s[b->n++] = hex[(v >> i) & 0xf];
}

/* Write to a console opened just for this (the life's fds are fuzzed). */
static void life_say(struct buf *b)
{
    put_s(b, "\n");
    long fd = raw_syscall(SYS_open, (long)"/dev/console", 1, 0, 0, 0);
    if (fd < 0)
        return;
    raw_syscall(SYS_write, fd, (long)b->s, (long)b->n, 0, 0);
    raw_syscall(SYS_close, fd, 0, 0, 0, 0);
}

/* ---------------------------------------------------------------------
 * The system call itself.
 * ------------------------------------------------------------------- */
struct sc_io {
    uint64_t in[7];          /* 0  rax rdi rsi rdx r10 r8 r9 */
    uint64_t setf;           /* 56 */
    uint64_t keepf;          /* 64 AND mask (~clrf) */
    uint64_t out[7];         /* 72 */
    uint64_t flags_out;      /* 128 */
    uint64_t flags_orig;     /* 136 */
    uint64_t saved_pre[5];   /* 144 rbx rbp r12 r13 r14 */
    uint64_t saved_post[5];  /* 184 */
};
static struct sc_io io;

/*
 * Below the red zone (user code may keep data there), save RFLAGS, load
 * the chosen flags and registers, syscall, note RFLAGS, restore it. Only
 * the syscall instruction runs with the chosen flags. r15 points at io.
 */
static void do_syscall(void)
{
    register struct sc_io *p __asm__("r15") = &io;
    __asm__ volatile(
        "lea -128(%%rsp), %%rsp\n\t"
        "movq %%rbx, 144(%%r15)\n\t"
        "movq %%rbp, 152(%%r15)\n\t"
        "movq %%r12, 160(%%r15)\n\t"
        "movq %%r13, 168(%%r15)\n\t"
        "movq %%r14, 176(%%r15)\n\t"
        "pushfq\n\t"
        "popq %%rax\n\t"
        "movq %%rax, 136(%%r15)\n\t"
        "orq 56(%%r15), %%rax\n\t"
        "andq 64(%%r15), %%rax\n\t"
        "pushq %%rax\n\t"
        "movq 8(%%r15), %%rdi\n\t"
        "movq 16(%%r15), %%rsi\n\t"
        "movq 24(%%r15), %%rdx\n\t"
        "movq 32(%%r15), %%r10\n\t"
        "movq 40(%%r15), %%r8\n\t"
        "movq 48(%%r15), %%r9\n\t"
        "movq 0(%%r15), %%rax\n\t"
        "popfq\n\t"
        "syscall\n\t"
        "pushfq\n\t"
        "popq %%rcx\n\t"
        "pushq 136(%%r15)\n\t"
        "popfq\n\t"
        "movq %%rcx, 128(%%r15)\n\t"
        "movq %%rax, 72(%%r15)\n\t"
        "movq %%rdi, 80(%%r15)\n\t"
        "movq %%rsi, 88(%%r15)\n\t"
        "movq %%rdx, 96(%%r15)\n\t"
        "movq %%r10, 104(%%r15)\n\t"
        "movq %%r8, 112(%%r15)\n\t"
        "movq %%r9, 120(%%r15)\n\t"
        "movq %%rbx, 184(%%r15)\n\t"
        "movq %%rbp, 192(%%r15)\n\t"
        "movq %%r12, 200(%%r15)\n\t"
        "movq %%r13, 208(%%r15)\n\t"
        "movq %%r14, 216(%%r15)\n\t"
        "lea 128(%%rsp), %%rsp\n\t"
        :
        : "r"(p)
        : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
}

_Static_assert(__builtin_offsetof(struct sc_io, setf) == 56, "sc_io layout");
_Static_assert(__builtin_offsetof(struct sc_io, out) == 72, "sc_io layout");
_Static_assert(__builtin_offsetof(struct sc_io, flags_out) == 128, "sc_io layout");
_Static_assert(__builtin_offsetof(struct sc_io, saved_pre) == 144, "sc_io layout");
_Static_assert(__builtin_offsetof(struct sc_io, saved_post) == 184, "sc_io layout");

/* ---------------------------------------------------------------------
 * A life
 * ------------------------------------------------------------------- */
static const char rodata_bytes[64] = "read-only data the kernel must not write";
static char *argv_exit[4];
static char exit_code_str[8];
static char *argv_bad[4];
static char *envp_ok[] = { "FUZZ=1", "X=", NULL };
static char *argv_big[2001];
static const char dots[] = "................";

static _Noreturn void life_exit(int code)
{
    for (;;)
        raw_syscall(SYS_exit, code, 0, 0, 0, 0);
}

static const char *const reg_names[] = { "rax", "rdi", "rsi", "rdx", "r10", "r8", "r9" };
static const char *const saved_names[] = { "rbx", "rbp", "r12", "r13", "r14" };

static void life_header(struct buf *b, int w, uint64_t j)
{
    b->n = 0;
    put_s(b, "fuzz: w");
    put_u(b, (uint64_t)w);
    put_s(b, " #");
    put_u(b, j);
    put_s(b, " seed ");
    put_u(b, opt_seed);
    put_s(b, ": ");
}

static _Noreturn void life(int w, uint64_t from, uint64_t last, int ends)
{
    struct buf b;
    safe_actions_init();
    raw_syscall(SYS_close, 0, 0, 0, 0, 0); /* no blocking console reads */
    unsigned cons = (1u << 1) | (1u << 2);  /* fds still on the console */
    int nkids = 0;
    long self = raw_syscall(SYS_getpid, 0, 0, 0, 0, 0);
    long brk = raw_syscall(SYS_sbrk, (long)SCRATCH_SIZE, 0, 0, 0, 0);
    long own_map = raw_syscall6(SYS_mmap, 0, (long)(OWN_MAP_PAGES * PAGE), ABI_PROT_READ | ABI_PROT_WRITE,
                                ABI_MAP_PRIVATE | ABI_MAP_ANONYMOUS, -1, 0);
    if (own_map < 0)
        own_map = 0; /* no memory: the calls meant for it just fail */
    if (brk < 0) {
        life_header(&b, w, from);
        put_s(&b, "FAIL: no scratch memory, sbrk gave ");
        put_x(&b, (uint64_t)brk);
        life_say(&b);
        life_exit(LIFE_BAD_REGS);
    }
    uint8_t *scratch = (uint8_t *)brk;
    /* The heap may shrink under the scratch area (fuzzed sbrk): the life
     * writes there itself only below the break it knows. */
    uint64_t mapped_end = ((uint64_t)brk + SCRATCH_SIZE + PAGE - 1) & ~(PAGE - 1);
    struct rng fill = rng_for(opt_seed ^ 0xf111ull, w, from);
    for (uint64_t i = 0; i < SCRATCH_SIZE; i += 8) {
        uint64_t v = next64(&fill);
        memcpy(scratch + i, &v, 8);
    }
    argv_exit[0] = "ut_args";
    argv_exit[1] = "exit";
    argv_exit[2] = exit_code_str;
    argv_bad[0] = "ut_args";
    argv_bad[1] = (char *)0xffff800000001000ull;
    for (int i = 0; i < 2000; i++)
        argv_big[i] = "a-long-enough-argument-string-to-be-too-big-together";

    for (uint64_t j = from; j <= last; j++) {
        struct call c;
        plan(w, j, &c);
        uint64_t v[6];
        for (int i = 0; i < 6; i++) {
            struct arg a = c.a[i];
            switch (a.kind) {
            case A_SCRATCH: v[i] = (uint64_t)scratch + a.v; break;
            case A_SCRATCH_FF:
                v[i] = (uint64_t)scratch + a.v;
                if (v[i] < mapped_end)
                    scratch[a.v] = 0xff;
                else
                    v[i] = (uint64_t)str_pool[1 + a.v % (N_STR - 1)];
                break;
            case A_TEXT: v[i] = (uint64_t)&life + a.v; break;
            case A_RODATA: v[i] = (uint64_t)rodata_bytes + a.v; break;
            case A_SELF: v[i] = (uint64_t)self; break;
            case A_SELF_HI: v[i] = (a.v << 32) | (uint64_t)self; break;
            case A_STR: v[i] = (uint64_t)str_pool[a.v]; break;
            case A_ARGV_EXIT:
                exit_code_str[0] = (char)('0' + a.v / 10);
                exit_code_str[1] = (char)('0' + a.v % 10);
                exit_code_str[2] = 0;
                v[i] = (uint64_t)argv_exit;
                break;
            case A_ARGV_BAD: v[i] = (uint64_t)argv_bad; break;
            case A_ARGV_BIG: v[i] = (uint64_t)argv_big; break;
            case A_ENVP: v[i] = (uint64_t)envp_ok; break;
            case A_SIGACT:
                /* SIGCHLD comes when a fuzzed fork's child ends: a handler
                 * would end a long sleep early. Only DFL or IGN for it. */
                v[i] = (uint64_t)&safe_actions[(uint32_t)c.a[0].v == ABI_SIGCHLD ? a.v % 2 : a.v];
                break;
            case A_OWN_MAP: v[i] = (uint64_t)own_map + a.v; break;
            default: v[i] = a.v; break;
            }
        }
        /* Neuter what would end the test for nothing (see the top). */
        int skip = 0;
        unsigned fd32 = (unsigned)(uint32_t)v[0];
        int on_console = fd32 < 32 && (cons & (1u << fd32));
        if (c.nr == SYS_read && on_console)
            skip = 1;
        if (c.nr == SYS_write && on_console) {
            if (c.a[1].kind == A_SCRATCH || c.a[1].kind == A_TEXT || c.a[1].kind == A_RODATA ||
                c.a[1].kind == A_OWN_MAP)
                v[1] = (uint64_t)dots;
            if (v[2] > 16)
                v[2] %= 17;
        }
        if (c.nr == SYS_fork && nkids >= MAX_KIDS) {
            int st;
            while (nkids > 0 && raw_syscall(SYS_waitpid, -1, (long)&st, 0, 0, 0) > 0)
                nkids--;
            nkids = 0;
        }
        if (c.long_sleep) {
            /* Without its killer the life would sleep for ever: when the
             * process table is full (many workers), wait for room. */
            long k;
            for (int tries = 0; (k = raw_syscall(SYS_fork, 0, 0, 0, 0, 0)) < 0 && tries < 6000; tries++)
                raw_syscall(SYS_sleep, 10, 0, 0, 0, 0);
            if (k == 0) {
                raw_syscall(SYS_sleep, KILLER_DELAY_MS, 0, 0, 0, 0);
                raw_syscall(SYS_kill, self, ABI_SIGKILL, 0, 0, 0);
                life_exit(0);
            }
            if (k < 0) {
                life_header(&b, w, j);
                put_s(&b, "FAIL: cannot fork the killer of a long sleep: ");
                put_x(&b, (uint64_t)k);
                life_say(&b);
                life_exit(LIFE_BAD_REGS);
            }
        }
        if (opt_verbose) {
            life_header(&b, w, j);
            put_s(&b, skip ? "skip nr " : "nr ");
            put_x(&b, c.nr);
            for (int i = 0; i < 6; i++) {
                put_s(&b, " ");
                put_x(&b, v[i]);
            }
            if (c.setf || c.clrf) {
                put_s(&b, " rflags|");
                put_x(&b, c.setf);
                if (c.clrf) {
                    put_s(&b, " &~");
                    put_x(&b, c.clrf);
                }
            }
            life_say(&b);
        }
        if (skip)
            continue;

        io.in[0] = c.nr;
        for (int i = 0; i < 6; i++)
            io.in[1 + i] = v[i];
        io.setf = c.setf;
        io.keepf = ~c.clrf;
        do_syscall();
        long ret = (long)io.out[0];

        if (c.nr == SYS_fork && ret == 0)
            life_exit(0); /* the child of a fuzzed fork */
        if (opt_verbose) {
            life_header(&b, w, j);
            put_s(&b, "= ");
            put_x(&b, (uint64_t)ret);
            life_say(&b);
        }

        /* Registers and flags must be as they were (docs/abi.md). */
        for (int i = 1; i < 7; i++)
            if (io.out[i] != io.in[i]) {
                life_header(&b, w, j);
                put_s(&b, "FAIL: syscall ");
                put_x(&b, c.nr);
                put_s(&b, " changed ");
                put_s(&b, reg_names[i]);
                put_s(&b, " from ");
                put_x(&b, io.in[i]);
                put_s(&b, " to ");
                put_x(&b, io.out[i]);
                life_say(&b);
                life_exit(LIFE_BAD_REGS);
            }
        for (int i = 0; i < 5; i++)
            if (io.saved_pre[i] != io.saved_post[i]) {
                life_header(&b, w, j);
                put_s(&b, "FAIL: syscall ");
                put_x(&b, c.nr);
                put_s(&b, " changed ");
                put_s(&b, saved_names[i]);
                life_say(&b);
                life_exit(LIFE_BAD_REGS);
            }
        uint64_t want = (io.flags_orig | c.setf) & ~c.clrf;
        if ((want ^ io.flags_out) & F_KEPT) {
            life_header(&b, w, j);
            put_s(&b, "FAIL: syscall ");
            put_x(&b, c.nr);
            put_s(&b, " changed RFLAGS from ");
            put_x(&b, want);
            put_s(&b, " to ");
            put_x(&b, io.flags_out);
            life_say(&b);
            life_exit(LIFE_BAD_FLAGS);
        }

        /* Keep track of what later calls must avoid. */
        if (c.nr == SYS_fork && ret > 0)
            nkids++;
        if (c.nr == SYS_sbrk && ret >= 0)
            mapped_end = ((uint64_t)ret + v[0] + PAGE - 1) & ~(PAGE - 1);
        if (c.nr == SYS_waitpid && ret > 0 && nkids > 0)
            nkids--;
        if ((c.nr == SYS_close && ret == 0 && fd32 < 32) || (c.nr == SYS_open && ret >= 0 && ret < 32))
            cons &= ~(1u << (c.nr == SYS_open ? (unsigned)ret : fd32));
    }
    life_exit(ends ? LIFE_SURVIVED : LIFE_DONE);
}

/* ---------------------------------------------------------------------
 * The manager of one worker
 * ------------------------------------------------------------------- */
static void describe_ends(char *s, size_t n, const struct call *c, int ends)
{
    size_t k = 0;
    s[0] = 0;
    if (!ends) {
        snprintf(s, n, "exit %d (no ending call)", LIFE_DONE);
        return;
    }
    if (c->exit_ok >= 0)
        k += (size_t)snprintf(s + k, n - k, "exit %d, ", c->exit_ok);
    if (c->exit0_ok)
        k += (size_t)snprintf(s + k, n - k, "exit 0, ");
    for (int sig = 1; sig < 32 && k < n; sig++)
        if (c->sig_ok & (1u << sig))
            k += (size_t)snprintf(s + k, n - k, "signal %d, ", sig);
    if (c->may_survive && k < n)
        k += (size_t)snprintf(s + k, n - k, "exit %d (survived), ", LIFE_SURVIVED);
    if (k >= 2 && k < n)
        s[k - 2] = 0;
}

static int outcome_ok(const struct call *c, int ends, int st)
{
    if (WIFEXITED(st)) {
        int code = WEXITSTATUS(st);
        if (!ends)
            return code == LIFE_DONE;
        if (c->exit_ok == code || (c->exit0_ok && code == 0))
            return 1;
        return code == LIFE_SURVIVED && c->may_survive;
    }
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        return ends && sig > 0 && sig < 32 && (c->sig_ok & (1u << sig));
    }
    return 0;
}

static int spawn_life(int w, uint64_t from, uint64_t last, int ends)
{
    for (int tries = 0; tries < 2000; tries++) {
        fflush(stdout);
        int pid = fork();
        if (pid == 0)
            life(w, from, last, ends);
        if (pid > 0)
            return pid;
        sleep_ms(10); /* process table or memory full: the other lives end soon */
    }
    return -1;
}

static int worker(int w, uint64_t from, uint64_t count)
{
    int passed = 0, failed = 0;
    uint64_t end = from + count;
    uint64_t next = from;
    while (next < end) {
        struct call c;
        uint64_t last = next;
        int ends = 0;
        for (; last < end && last < next + LIFE_MAX; last++) {
            plan(w, last, &c);
            if (c.terminal) {
                ends = 1;
                break;
            }
        }
        if (!ends)
            last--;
        printf("fuzz: w%d calls %llu-%llu\n", w, (unsigned long long)next, (unsigned long long)last);
        int pid = spawn_life(w, next, last, ends);
        int st = 0;
        if (pid < 0) {
            printf("fuzz: w%d FAIL: cannot fork a life\n", w);
            failed++;
            break;
        }
        while (waitpid(pid, &st, 0) != pid)
            ;
        if (outcome_ok(&c, ends, st)) {
            passed++;
        } else {
            char want[160];
            describe_ends(want, sizeof want, &c, ends);
            if (WIFEXITED(st))
                printf("fuzz: w%d FAIL calls %llu-%llu: exit %d", w, (unsigned long long)next,
                       (unsigned long long)last, WEXITSTATUS(st));
            else
                printf("fuzz: w%d FAIL calls %llu-%llu: killed by signal %d", w,
                       (unsigned long long)next, (unsigned long long)last, WTERMSIG(st));
            printf("; expected %s; replay: fuzz -s %llu -w %d -f %llu -n %llu%s%s -v\n", want,
                   (unsigned long long)opt_seed, w, (unsigned long long)next,
                   (unsigned long long)(last - next + 1), opt_exclude ? " -x " : "", opt_exclude_arg);
            failed++;
        }
        next = last + 1;
    }
    printf("fuzz.w%d: %d passed, %d failed\n", w, passed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}

/* ---------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------- */
static int parse_exclude(const char *s)
{
    static const struct { const char *name; unsigned bit; } names[] = {
        { "nt", X_NT }, { "tf", X_TF }, { "ac", X_AC }, { "df", X_DF },
        { "hi", X_HI }, { "sleep", X_SLEEP }, { "exec", X_EXEC },
    };
    while (*s) {
        size_t n = strcspn(s, ",");
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n && strncmp(s, names[i].name, n) == 0)
                break;
        if (i == sizeof names / sizeof names[0])
            return -1;
        opt_exclude |= names[i].bit;
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

static void usage(void)
{
    printf("usage: fuzz [-s seed] [-n calls] [-p procs] [-w worker] [-f from] [-v] "
           "[-x nt,tf,ac,df,hi,sleep,exec]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (strcmp(o, "-v") == 0) {
            opt_verbose = 1;
            continue;
        }
        if (i + 1 >= argc || o[0] != '-' || o[1] == 0 || o[2] != 0)
            usage();
        const char *a = argv[++i];
        char *e;
        unsigned long long n = strtoull(a, &e, 0);
        if (o[1] == 'x') {
            if (parse_exclude(a) < 0)
                usage();
            opt_exclude_arg = a;
            continue;
        }
        if (*e)
            usage();
        switch (o[1]) {
        case 's': opt_seed = n; break;
        case 'n': opt_calls = n; break;
        case 'p': opt_procs = (int)n; break;
        case 'w': opt_worker = (int)n; break;
        case 'f': opt_from = n; break;
        default: usage();
        }
    }
    if (opt_procs < 1 || opt_procs > 32)
        usage();

    printf("fuzz: seed %llu, %llu calls, %d workers%s%s\n", (unsigned long long)opt_seed,
           (unsigned long long)opt_calls, opt_worker >= 0 ? 1 : opt_procs,
           opt_exclude ? ", some classes excluded (-x)" : "", opt_verbose ? ", verbose" : "");
    fflush(stdout);
    if (opt_worker >= 0)
        return worker(opt_worker, opt_from, opt_calls);

    uint64_t per = opt_calls / (uint64_t)opt_procs;
    int pids[32];
    for (int w = 0; w < opt_procs; w++) {
        fflush(stdout);
        pids[w] = fork();
        if (pids[w] == 0)
            exit(worker(w, 0, per));
        if (pids[w] < 0) {
            printf("fuzz.w%d: 0 passed, 1 failed (cannot fork the worker)\n", w);
            fflush(stdout);
        }
    }
    int bad = 0;
    for (int w = 0; w < opt_procs; w++) {
        if (pids[w] < 0) {
            bad = 1;
            continue;
        }
        int st = 0;
        while (waitpid(pids[w], &st, 0) != pids[w])
            ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) {
            /* The worker itself died: it printed no closing line. */
            printf("fuzz.w%d: 0 passed, 1 failed (the worker ended with wait status 0x%x)\n", w, st);
            bad = 1;
        } else if (WEXITSTATUS(st) != 0) {
            bad = 1;
        }
    }
    printf("fuzz: seed %llu done: %s\n", (unsigned long long)opt_seed, bad ? "FAILED" : "all lives ended as planned");
    fflush(stdout);
    return bad;
}
