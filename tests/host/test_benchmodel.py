#!/usr/bin/env python3
"""Host unit tests for tools/benchmodel.py (the loadgen throughput model).

Run as a program: one "PASS benchmodel.<name>" or "FAIL benchmodel.<name>:
<why>" line per test, then "host benchmodel: N passed, N failed" (the line
tools/testrun.py reads). Exit status 0 only if nothing failed. No test
measures time: every number here comes from the model itself.
"""

import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import benchmodel as bm  # noqa: E402

HZ = 2e9
U, K = 90000.0, 10000.0          # f = 0.1, the texts' example
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Failed(Exception):
    pass


def check(cond, why):
    if not cond:
        raise Failed(why)


def close(a, b, rel):
    return abs(a - b) <= rel * abs(b)


@test
def mva_is_repairman():
    # Exact MVA of one exponential server with a delay station is the same
    # network the machine-repairman formula solves.
    for n in (1, 2, 3, 5, 10, 17, 64):
        for think, service in ((90.0, 10.0), (1.0, 1.0), (5.0, 20.0), (1e6, 3e3)):
            a = bm.mva(n, think, service)
            b = bm.repairman(n, think, service)
            check(close(a, b, 1e-9), "N=%d Z=%g D=%g: mva %.12g repairman %.12g"
                  % (n, think, service, a, b))


@test
def bkl_exp_matches_repairman():
    # With exponential U and K the simulated big kernel lock is an M/M/1//N.
    p = bm.Params(user=U, kernel=K, hz=HZ)
    for n in (1, 2, 4, 8):
        sim = bm.simulate("bkl", n, p, iterations=40000, seed=7, dist="exp")
        ref = bm.repairman(n, U, K) * HZ
        check(close(sim, ref, 0.03), "N=%d: simulated %.1f/s, repairman %.1f/s" % (n, sim, ref))


@test
def bkl_det_reaches_bound():
    # Fixed times: the CPUs fall into step and the bound is reached exactly.
    p = bm.Params(user=U, kernel=K, hz=HZ)
    for n in list(range(1, 17)) + [32, 64]:
        sim = bm.simulate("bkl", n, p)
        ref = min(n / (U + K), 1.0 / K) * HZ
        check(close(sim, ref, 0.01), "N=%d: simulated %.1f/s, closed form %.1f/s" % (n, sim, ref))


@test
def bound_knee_and_saturation():
    p = bm.Params(user=U, kernel=K, hz=HZ)
    check(close(bm.knee(U, K), (U + K) / K, 1e-12), "knee %g, want %g" % (bm.knee(U, K), (U + K) / K))
    check(close(bm.bound(4, U, K), 4 / (U + K), 1e-12), "bound below the knee")
    check(close(bm.bound(40, U, K), 1 / K, 1e-12), "bound above the knee")
    x = {}
    for org in ("bkl", "leader"):
        for n in range(1, 17):
            x[org, n] = bm.simulate(org, n, p)
            b = bm.bound(n, U, K) * HZ
            check(x[org, n] <= b * 1.001, "%s N=%d: %.1f/s above the bound %.1f/s" % (org, n, x[org, n], b))
        # Past N* = 10 the one server (lock or leader) is saturated.
        ratio = x[org, 16] / x[org, 10]
        check(ratio < 1.1, "%s X(16)/X(10) = %.3f, want < 1.1" % (org, ratio))
        check(close(x[org, 16], HZ / K, 0.02), "%s X(16) = %.1f/s, want about 1/K = %.1f/s"
              % (org, x[org, 16], HZ / K))
    fine = bm.Params(user=U, kernel=K, hz=HZ, regions=64)
    ratio = bm.simulate("fine", 16, fine) / bm.simulate("fine", 8, fine)
    check(ratio > 1.6, "fine, 64 regions: X(16)/X(8) = %.3f, want > 1.6" % ratio)
    one = bm.simulate("private", 1, p)
    for n in (2, 7, 16, 64):
        xn = bm.simulate("private", n, p)
        check(close(xn, n * one, 1e-9), "private N=%d: %.3f/s, want %d * %.3f/s" % (n, xn, n, one))


@test
def overheads():
    # Hand-off and forwarding cost only the server's time; `local` only the CPU's.
    h = 3000.0
    p = bm.Params(user=U, kernel=K, hz=HZ, handoff=h)
    x1 = bm.simulate("bkl", 1, p)
    check(close(x1, HZ / (U + K), 1e-9), "bkl N=1 with hand-off: %.1f/s, no lock was contended" % x1)
    x32 = bm.simulate("bkl", 32, p)
    check(close(x32, HZ / (K + h), 0.01), "bkl N=32: %.1f/s, want 1/(K+handoff) = %.1f/s" % (x32, HZ / (K + h)))
    fw = 2000.0
    p = bm.Params(user=U, kernel=K, hz=HZ, forward=fw)
    x32 = bm.simulate("leader", 32, p)
    check(close(x32, HZ / (K + fw), 0.01), "leader N=32: %.1f/s, want 1/(K+forward) = %.1f/s" % (x32, HZ / (K + fw)))
    loc = 5000.0
    p = bm.Params(user=U, kernel=K, hz=HZ, local=loc)
    x8 = bm.simulate("private", 8, p)
    check(close(x8, 8 * HZ / (U + K + loc), 1e-9), "private N=8 with local: %.1f/s" % x8)
    x32 = bm.simulate("bkl", 32, p)
    check(close(x32, HZ / K, 0.01), "bkl N=32 with local: %.1f/s, local must stay outside the lock" % x32)


@test
def leader_alone_is_local():
    # One CPU: the leader has no follower, so nothing is forwarded.
    p = bm.Params(user=U, kernel=K, hz=HZ, forward=20000.0, local=1000.0)
    want = HZ / (U + K + 1000.0)
    for org in ("leader", "private", "bkl"):
        x = bm.simulate(org, 1, p)
        check(close(x, want, 1e-9), "%s N=1: %.3f/s, want %.3f/s" % (org, x, want))


@test
def calibrate_recovers():
    # Synthetic measurements from known Params; the dial f is deliberately
    # wrong so that the bisection has to find K.
    cases = (("bkl", 0.6, 0.3, dict(handoff=500.0)),
             ("fine", 0.8, 0.5, dict(regions=2)),
             ("leader", 0.3, 0.15, dict(forward=2000.0)))
    cycle = 100000.0
    for org, f, dial, extra in cases:
        true = bm.Params(user=cycle * (1 - f), kernel=cycle * f, hz=HZ, **extra)
        x1 = bm.predict(org, 1, true)
        x2 = bm.predict(org, 2, true)
        got = bm.calibrate(org, dial, x1, x2, HZ, **extra)
        check(close(got.user, true.user, 0.05) and close(got.kernel, true.kernel, 0.05),
              "%s f=%.2f dial %.2f: got U=%.0f K=%.0f, want U=%.0f K=%.0f"
              % (org, f, dial, got.user, got.kernel, true.user, true.kernel))
        for field in ("regions", "forward", "handoff"):
            check(getattr(got, field) == getattr(true, field), "%s: %s not passed through" % (org, field))


@test
def relative_error_values():
    check(close(bm.relative_error(110.0, 100.0), 0.1, 1e-12),
          "110 against 100: %r, want +0.1" % bm.relative_error(110.0, 100.0))
    check(close(bm.relative_error(90.0, 100.0), -0.1, 1e-12),
          "90 against 100: %r, want -0.1" % bm.relative_error(90.0, 100.0))
    check(bm.relative_error(5.0, 5.0) == 0.0, "equal values must give 0")
    check(close(bm.relative_error(300.0, 200.0), 0.5, 1e-12), "300 against 200: want +0.5")
    try:
        bm.relative_error(1.0, 0.0)
    except ValueError:
        pass
    else:
        raise Failed("a measured 0 must raise ValueError")


def main():
    passed = failed = 0
    for fn in TESTS:
        name = "benchmodel." + fn.__name__
        try:
            fn()
        except Failed as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
        except Exception as e:  # a crash is a failure too, with where it was
            where = traceback.extract_tb(e.__traceback__)[-1]
            print("FAIL %s: %s: %s (%s:%d)" % (name, type(e).__name__, e,
                                              os.path.basename(where.filename), where.lineno))
            failed += 1
        else:
            print("PASS %s" % name)
            passed += 1
    print("host benchmodel: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
