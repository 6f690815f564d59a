#!/usr/bin/env python3
"""tools/benchmodel.py - what throughput should loadgen reach on 1..64 CPUs?

    python3 tools/benchmodel.py --org bkl --user 90000 --kernel 10000 --hz 2e9
                                [--regions 8] [--forward 0] [--handoff 0] [--local 0]
                                [--cpus 1-64] [--dist det|exp] [--csv FILE]

A model of the benchmark, not a measurement. Each of N CPUs runs one loadgen
process that repeats forever: U cycles of user computation, then K cycles of
kernel work on a shared table (the dial f = K/(U+K)). Throughput X is the
number of completed iterations per second for the whole machine.

The model is a closed queueing network: every CPU is one customer. Its user
work (and the kernel entry/exit `local` cycles, which need no lock) is a
delay: all CPUs do it at the same time. The kernel work on the shared table
is a service at a server that only one CPU can use at a time. What the
server is depends on the organisation:

private   Each CPU runs its own copy of the OS with private tables, so nothing
          is shared: N CPUs are N separate machines and X = N*hz/(U+K+local).
          Simulated like the others, with one lock per CPU that no one else
          ever asks for.

leader    CPU 0 is the leader and holds the only copy of the kernel. A
          follower does its user work, then its system call is forwarded to
          the leader (an interprocessor interrupt there and back costs
          `forward` cycles on the leader), and the follower waits until the
          answer comes back: its wait holds the queueing, the K cycles and
          the forward cycles. The leader serves forwarded calls in arrival
          order (FCFS). When no call is waiting the leader runs a loadgen
          process of its own: its user work is preempted whenever a call
          arrives and resumes where it stopped afterwards (preemptive-resume
          priority); its kernel work runs on the leader without forwarding
          and is not preempted. With N = 1 there is no follower and no
          forwarding at all. The texts' claim: with 10% of the time in system
          calls (f = 0.1), about 10 CPUs saturate the leader.

bkl       Any CPU may run the kernel, but only while it holds the big kernel
          lock. A CPU that finds the lock held spins in a FCFS queue and does
          nothing else. When the lock passes from one holder straight to a
          waiting CPU, that hand-off costs `handoff` cycles (the lock's cache
          line moves), added to the new holder's time in the lock.

fine      The kernel is split into `regions` independent critical regions,
          each with its own lock. Each kernel call goes to one region chosen
          uniformly at random; CPUs in different regions do not wait for each
          other. With regions = 1 this is the big kernel lock again.

Besides the simulation (simulate, predict) the module has the classic
formulas for one server and N customers (think time Z, service time D):

    bound(N, Z, D)     = min(N/(Z+D), 1/D)   operational-analysis asymptotes
    knee(Z, D)         = (Z+D)/D             N* where the two asymptotes meet
    mva(N, Z, D)       exact mean value analysis (any service distribution
                       for the delay, exponential FCFS server)
    repairman(N, Z, D) the same network solved in closed form (M/M/1//N)

With deterministic times (dist="det", as loadgen's fixed loops are) the
simulated CPUs fall into step and reach the bound exactly. With exponential
times (dist="exp") they meet at the lock by chance and the simulation
agrees with mva() and repairman(). Real runs lie somewhere in between.
All times inside are in cycles; hz turns iterations per cycle into
iterations per second.
"""

import argparse
import csv
import heapq
import math
import random
import sys
from collections import deque
from dataclasses import dataclass

ORGS = ("private", "leader", "bkl", "fine")

# predict() is simulate() with these settings. Deterministic times because
# loadgen's U and K are fixed loop counts.
PREDICT_ITERATIONS = 20000
PREDICT_SEED = 1
PREDICT_DIST = "det"

# The first part of a run is a warm-up: all CPUs start their user work at
# time 0 together, which is not the steady state we want to measure.
WARMUP_FRACTION = 0.1

# Event kinds, and their order at equal times: a lock release (or the
# leader finishing a call) is handled before an arrival, so that a lock freed
# at time t is free for a CPU that comes at t: a tie is not contention.
EV_RELEASE = "release"              # a CPU leaves its critical region (bkl, fine, private)
EV_LEADER_DONE = "leader-done"      # the leader finished a forwarded call or its own kernel work
EV_ARRIVE = "arrive"                # a CPU finished its user work and wants the kernel
EV_OWN_USER_DONE = "own-user-done"  # the leader's own process finished its user work
ORDER = {EV_RELEASE: 0, EV_LEADER_DONE: 0, EV_ARRIVE: 1, EV_OWN_USER_DONE: 1}


@dataclass
class Params:
    user: float          # U, cycles of user work per iteration
    kernel: float        # K, cycles of kernel work per iteration (inside the critical region)
    hz: float            # cycles per second (the TSC rate)
    regions: int = 1     # fine: independent critical regions K is spread over
    forward: float = 0.0 # leader: extra cycles per forwarded call (IPI there and back), added to the leader's service AND the follower's wait
    handoff: float = 0.0 # bkl/fine: cycles per lock hand-off when the lock was contended (added to the service of the next holder)
    local: float = 0.0   # cycles of kernel entry/exit outside any lock (parallel on every org)


# ------------------------------------------------------------ the formulas


def mva(ncpu, think, service):
    """Exact mean value analysis: ncpu customers, a delay station (mean time
    `think`) and one FCFS queueing station (mean service `service`).

    Adds one customer at a time: a customer arriving at the queue finds, on
    average, the queue length the network had with one customer fewer
    (the arrival theorem). Returns the throughput in customers per unit of
    the inputs' time."""
    if ncpu <= 0:
        return 0.0
    queue = 0.0        # mean number at the server with n-1 customers
    x = 0.0
    for n in range(1, ncpu + 1):
        response = service * (1.0 + queue)   # own service plus those ahead
        x = n / (think + response)            # Little's law on the whole loop
        queue = x * response                  # Little's law on the server
    return x


def repairman(ncpu, think, service):
    """Machine-repairman model M/M/1//N in closed form: ncpu machines each
    working for an exponential time (mean `think`), one repairman with
    exponential repair times (mean `service`).

    The probability that k machines are down is proportional to
    N!/(N-k)! * (service/think)**k; p0 is the share of time with none down,
    i.e. the repairman idle, so X = (1 - p0)/service."""
    if ncpu <= 0:
        return 0.0
    if service <= 0:
        return ncpu / think            # nobody ever waits
    if think <= 0:
        return 1.0 / service           # the server never idles
    # The terms grow like factorials: add them as logarithms so that large
    # N or large service/think cannot overflow a float.
    ratio = math.log(service / think)
    logs = [math.lgamma(ncpu + 1) - math.lgamma(ncpu - k + 1) + k * ratio
            for k in range(ncpu + 1)]
    top = max(logs)
    total = sum(math.exp(v - top) for v in logs)
    p0 = math.exp(logs[0] - top) / total
    return (1.0 - p0) / service


def bound(ncpu, think, service):
    """Asymptotic bounds of operational analysis: no more than ncpu cycles of
    (think + service) at a time, and no more than one service at a time."""
    if service <= 0:
        return ncpu / think
    return min(ncpu / (think + service), 1.0 / service)


def knee(think, service):
    """N*, where the two asymptotes of bound() cross: past it extra CPUs
    only add to the queue at the server."""
    return (think + service) / service


def relative_error(predicted, measured):
    """(predicted - measured)/measured: positive when the model is too
    optimistic, negative when the machine did better than predicted."""
    if measured == 0:
        raise ValueError("relative_error: measured throughput is 0")
    return (predicted - measured) / measured


# ------------------------------------------------------------ the simulation


class Clock:
    """The event queue and the measurement shared by every organisation.

    Events are tuples (time, order, seq, kind, what): heapq keeps the
    earliest on top, order sorts events at the same time (see ORDER), seq
    keeps the rest in the order they were made so that runs are
    reproducible."""

    def __init__(self, iterations, dist, rng, ncpu):
        self.events = []
        self.same_time = 0                      # events in a row at one instant
        self.stuck_limit = 1000 + 100 * ncpu    # far more than CPUs in step can make
        self.seq = 0
        self.now = 0.0
        self.rng = rng
        self.dist = dist
        self.warmup = max(1, int(iterations * WARMUP_FRACTION))
        self.iterations = iterations
        self.done = 0         # all completed iterations
        self.t0 = None        # start of the measured window
        self.counted = 0      # iterations completed inside the window
        self.t_end = 0.0      # time of the last of them

    def at(self, time, kind, what):
        self.seq += 1
        heapq.heappush(self.events, (time, ORDER[kind], self.seq, kind, what))

    def draw(self, mean):
        """One duration with the given mean: fixed or exponential."""
        if mean <= 0:
            return 0.0
        if self.dist == "exp":
            return self.rng.expovariate(1.0 / mean)
        return mean

    def complete(self):
        """One loadgen iteration finished now."""
        self.done += 1
        if self.t0 is None:
            if self.done >= self.warmup:
                self.t0 = self.now
        elif self.now > self.t0:
            # Completions at the very instant t0 belong to the warm-up, so
            # CPUs in step are counted in whole rounds.
            self.counted += 1
            self.t_end = self.now

    def next_event(self):
        """Pop the next event, or None when the run is over. A run ends only
        when time moves past t_end, so that every completion at t_end counts."""
        if not self.events:
            raise RuntimeError("simulation ran out of events")
        if self.counted >= self.iterations and self.events[0][0] > self.t_end:
            return None
        time, _, _, kind, what = heapq.heappop(self.events)
        # Zero-length phases could loop forever without time moving on: stop
        # with an error instead of hanging.
        self.same_time = self.same_time + 1 if time == self.now else 0
        if self.same_time > self.stuck_limit:
            raise RuntimeError("simulation stuck: time does not advance at t=%g" % time)
        self.now = time
        return kind, what

    def throughput(self, hz):
        return self.counted / (self.t_end - self.t0) * hz


def run_locks(org, ncpu, p, clock):
    """private, bkl and fine: every CPU loops user -> lock -> kernel -> unlock.

    They differ only in which lock a call takes: bkl one lock for all,
    fine one of p.regions at random, private a lock of its own per CPU."""
    if org == "bkl":
        nlocks = 1
    elif org == "fine":
        nlocks = p.regions
    else:
        nlocks = ncpu
    holder = [None] * nlocks                      # CPU in the region, or None
    waiting = [deque() for _ in range(nlocks)]    # CPUs spinning, FCFS
    region_of = [0] * ncpu                        # the lock each CPU asked for

    def start_user(cpu):
        # User work and the kernel entry/exit run in parallel everywhere.
        clock.at(clock.now + clock.draw(p.user) + p.local, EV_ARRIVE, cpu)

    def enter(cpu, extra):
        holder[region_of[cpu]] = cpu
        clock.at(clock.now + clock.draw(p.kernel) + extra, EV_RELEASE, cpu)

    for cpu in range(ncpu):
        start_user(cpu)

    while True:
        event = clock.next_event()
        if event is None:
            break
        kind, cpu = event
        if kind == EV_ARRIVE:
            if org == "fine":
                r = clock.rng.randrange(nlocks)
            elif org == "private":
                r = cpu
            else:
                r = 0
            region_of[cpu] = r
            if holder[r] is None:
                enter(cpu, 0.0)
            else:
                waiting[r].append(cpu)            # spin; do nothing else
        else:  # EV_RELEASE
            r = region_of[cpu]
            clock.complete()
            if waiting[r]:
                # The lock goes straight to the next waiter, and its cache
                # line with it: that costs the hand-off.
                enter(waiting[r].popleft(), p.handoff)
            else:
                holder[r] = None
            start_user(cpu)


def run_leader(ncpu, p, clock):
    """leader: CPU 0 does all kernel work; CPUs 1..N-1 forward their calls.

    The leader is always in one of four states: serving a forwarded call,
    running its own process's kernel work, running its own process's user
    work (preemptible), or idle (never, in fact: its own process always has
    something to do)."""
    calls = deque()          # followers waiting for an answer, FCFS
    serving = None           # follower whose call the leader runs, or "own"
    own_left = 0.0           # user work the leader's own process still has to do
    own_started = None       # when that user work last (re)started, None if not running
    own_token = 0            # makes an own-user-done event stale after a preemption

    def start_follower(cpu):
        clock.at(clock.now + clock.draw(p.user) + p.local, EV_ARRIVE, cpu)

    def run_own_user():
        nonlocal own_started, own_token
        own_started = clock.now
        own_token += 1
        clock.at(clock.now + own_left, EV_OWN_USER_DONE, own_token)

    def leader_next():
        """The leader is free: forwarded calls first, then its own process."""
        nonlocal serving
        if calls:
            serving = calls.popleft()
            clock.at(clock.now + clock.draw(p.kernel) + p.forward, EV_LEADER_DONE, None)
        else:
            serving = None
            run_own_user()

    own_left = clock.draw(p.user) + p.local
    run_own_user()
    for cpu in range(1, ncpu):
        start_follower(cpu)

    while True:
        event = clock.next_event()
        if event is None:
            break
        kind, what = event
        if kind == EV_ARRIVE:
            calls.append(what)
            if serving is None and own_started is not None:
                # Preempt the leader's own user work; it resumes later with
                # what it had left.
                own_left -= clock.now - own_started
                own_started = None
                own_token += 1
                leader_next()
        elif kind == EV_OWN_USER_DONE:
            if what != own_token:
                continue                     # preempted meanwhile: stale
            own_started = None
            serving = "own"                  # kernel work: not preempted
            clock.at(clock.now + clock.draw(p.kernel), EV_LEADER_DONE, None)
        else:  # EV_LEADER_DONE
            clock.complete()
            if serving == "own":
                own_left = clock.draw(p.user) + p.local
            else:
                start_follower(serving)
            leader_next()


def simulate(org, ncpu, p, iterations=20000, seed=1, dist="det"):
    """Discrete-event simulation of loadgen on `ncpu` CPUs of organisation
    `org`. Runs a warm-up, then measures `iterations` completed iterations;
    returns iterations per second."""
    if org not in ORGS:
        raise ValueError("unknown organisation %r (one of %s)" % (org, ", ".join(ORGS)))
    if dist not in ("det", "exp"):
        raise ValueError("dist must be 'det' or 'exp'")
    if ncpu < 1 or iterations < 1 or p.regions < 1:
        raise ValueError("ncpu, iterations and regions must be at least 1")
    if p.user + p.kernel + p.local <= 0:
        raise ValueError("an iteration must take some time")
    clock = Clock(iterations, dist, random.Random(seed), ncpu)
    if org == "leader":
        run_leader(ncpu, p, clock)
    else:
        run_locks(org, ncpu, p, clock)
    return clock.throughput(p.hz)


def predict(org, ncpu, p):
    """The model's throughput (iterations/s) for org on ncpu CPUs."""
    return simulate(org, ncpu, p, iterations=PREDICT_ITERATIONS,
                    seed=PREDICT_SEED, dist=PREDICT_DIST)


# ------------------------------------------------------------ calibration

# Keep the dial's split of the cycle when it already predicts x2 this well:
# with fixed times two CPUs on one lock never meet when K < C/2, so x2 alone
# cannot tell such K apart.
CALIBRATE_TOLERANCE = 1e-3
# Bisection stops when K is known to this share of the cycle.
CALIBRATE_RESOLUTION = 1e-4


def calibrate(org, f, x1, x2, hz, regions=1, forward=0.0, handoff=0.0):
    """Fit U and K to measured throughputs x1 (1 CPU) and x2 (2 CPUs).

    On one CPU nothing waits and nothing is forwarded, so one iteration takes
    C = hz/x1 cycles = U + K. The dial f gives the first split K = f*C. If
    that does not predict x2, K is found by bisection on 0..C: more serial
    work means fewer iterations on two CPUs, so a prediction above x2 asks for
    a larger K and one below for a smaller K."""
    cycle = hz / x1

    def params(k):
        return Params(user=cycle - k, kernel=k, hz=hz, regions=regions,
                      forward=forward, handoff=handoff)

    def x_two(k):
        return predict(org, 2, params(k))

    guess = f * cycle
    if abs(relative_error(x_two(guess), x2)) <= CALIBRATE_TOLERANCE:
        return params(guess)
    lo, hi = 0.0, cycle
    if x_two(lo) <= x2:          # even no serial work is too slow: best we can do
        return params(lo)
    if x_two(hi) >= x2:          # even all-serial work is too fast
        return params(hi)
    while hi - lo > CALIBRATE_RESOLUTION * cycle:
        mid = (lo + hi) / 2
        if x_two(mid) > x2:
            lo = mid             # still too fast: more serial work
        else:
            hi = mid
    return params((lo + hi) / 2)


# ------------------------------------------------------------ the table


def org_bound(org, ncpu, p):
    """Upper bound on X (iterations per cycle) for org; None if none applies."""
    think = p.user + p.local
    if org == "private":
        return ncpu / (think + p.kernel)
    if org == "fine":
        # No more than one cycle per CPU at a time, no more than one call
        # per region at a time.
        return min(ncpu / (think + p.kernel), p.regions / p.kernel) if p.kernel > 0 \
            else ncpu / think
    # bkl and leader: every iteration needs at least K of the one server.
    return bound(ncpu, think, p.kernel)


def org_mva(org, ncpu, p):
    """MVA for the organisations with one server; None for the others.

    For leader this treats every CPU, the leader's own process too, as a
    customer of the leader with service K + forward: it ignores that the
    leader's own user work also takes the leader's time."""
    think = p.user + p.local
    if org == "bkl" or (org == "fine" and p.regions == 1):
        return mva(ncpu, think, p.kernel)
    if org == "leader":
        return mva(ncpu, think, p.kernel + p.forward)
    return None


def org_knee(org, p):
    think = p.user + p.local
    if org == "private" or p.kernel <= 0:
        return None
    if org == "fine":
        return p.regions * (think + p.kernel) / p.kernel
    if org == "leader":
        return knee(think, p.kernel + p.forward)
    return knee(think, p.kernel)


def parse_cpus(text):
    """'1-64', '1,2,4,8' or '1-8,16,32' -> sorted list of CPU counts."""
    cpus = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            cpus.update(range(int(a), int(b) + 1))
        elif part:
            cpus.add(int(part))
    if not cpus or min(cpus) < 1:
        raise argparse.ArgumentTypeError("bad CPU list %r" % text)
    return sorted(cpus)


def table(org, p, cpus, iterations, seed, dist):
    """Rows (cpus, simulated X, MVA X or None, bound X or None), in iterations/s."""
    rows = []
    for n in cpus:
        x = simulate(org, n, p, iterations=iterations, seed=seed, dist=dist)
        m = org_mva(org, n, p)
        b = org_bound(org, n, p)
        rows.append((n, x, None if m is None else m * p.hz,
                     None if b is None else b * p.hz))
    return rows


def fmt(v):
    return "-" if v is None else "%.1f" % v


def main(argv=None):
    ap = argparse.ArgumentParser(description="Predict loadgen throughput of the four organisations.")
    ap.add_argument("--org", choices=ORGS, required=True)
    ap.add_argument("--user", type=float, required=True, help="U, user cycles per iteration")
    ap.add_argument("--kernel", type=float, required=True, help="K, kernel cycles per iteration")
    ap.add_argument("--hz", type=float, required=True, help="cycles per second (TSC rate)")
    ap.add_argument("--regions", type=int, default=1, help="fine: critical regions")
    ap.add_argument("--forward", type=float, default=0.0, help="leader: cycles per forwarded call")
    ap.add_argument("--handoff", type=float, default=0.0, help="bkl/fine: cycles per contended hand-off")
    ap.add_argument("--local", type=float, default=0.0, help="kernel entry/exit cycles outside any lock")
    ap.add_argument("--cpus", type=parse_cpus, default=parse_cpus("1-64"), help="e.g. 1-64 or 1,2,4,8")
    ap.add_argument("--dist", choices=("det", "exp"), default="det")
    ap.add_argument("--iterations", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    args = ap.parse_args(argv)

    p = Params(user=args.user, kernel=args.kernel, hz=args.hz, regions=args.regions,
               forward=args.forward, handoff=args.handoff, local=args.local)
    rows = table(args.org, p, args.cpus, args.iterations, args.seed, args.dist)
    n_star = org_knee(args.org, p)

    total = p.user + p.kernel + p.local
    print("org %s  U %g  K %g  f %.3f  hz %g  dist %s" % (
        args.org, p.user, p.kernel, p.kernel / total if total else 0.0, p.hz, args.dist))
    print("knee N* = %s" % ("-" if n_star is None else "%.2f" % n_star))
    print("%5s %14s %14s %14s" % ("cpus", "sim X/s", "MVA X/s", "bound X/s"))
    for n, x, m, b in rows:
        print("%5d %14.1f %14s %14s" % (n, x, fmt(m), fmt(b)))

    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["org", "cpus", "sim", "mva", "bound", "knee"])
            for n, x, m, b in rows:
                w.writerow([args.org, n, "%.3f" % x,
                            "" if m is None else "%.3f" % m,
                            "" if b is None else "%.3f" % b,
                            "" if n_star is None else "%.4f" % n_star])
    return 0


if __name__ == "__main__":
    sys.exit(main())
