"""Certificate rendering benchmark: steady ms per certificate against a one-line Amiri floor, in one process.

    .venv/bin/python bench/cert_bench.py [--n 253] [--warmup 5] [--out bench/out/certificates.json]

Both use the renderer's shared FontConfiguration (PERF-BASELINES.md §4: compare with
``minimal-amiri:fc``). After the warm-up, certificates and floor documents alternate in blocks of 10,
so host drift hits both alike; wall-clock medians decide pass/fail, CPU-time medians (steadier on a
loaded host) are printed for information. Goals: certificate ≤ 12× floor (§4 allows 15×), peak RSS after N ≤ 1.1×
peak after 20, PDF ≤ 50 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchlib import RESULTS  # noqa: E402

from lms.certificates import pdf  # noqa: E402

RATIO_GOAL = 12.0
MEMORY_GOAL = 1.1
SIZE_GOAL_KB = 50.0
BLOCK = 10
FLOOR_TEXT = "Attestation de formation · شهادة التكوين"

FIRST = ["Salma", "Youssef", "Khadija", "Mehdi", "Imane", "Omar", "Nawal", "Hamza", "Zineb", "Anas", "Laila"]
LAST = ["El Amrani", "Benjelloun", "Tazi", "El Idrissi", "Alaoui", "Berrada", "Chraibi", "Ouazzani", "Fassi"]
FIRST_AR = ["سلمى", "يوسف", "خديجة", "مهدي", "إيمان", "عمر", "نوال", "حمزة", "زينب", "أنس", "ليلى"]
LAST_AR = ["العمراني", "بنجلون", "التازي", "الإدريسي", "العلوي", "برادة", "الشرايبي", "الوزاني", "الفاسي"]


def vm_hwm_kib() -> int:
    """Peak resident set size of this process so far (VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def context(i: int) -> dict:
    """A different learner (and code) for each render; every 7th has no Arabic name."""
    f, n = i % len(FIRST), (i // len(FIRST)) % len(LAST)
    code = f"{i:04d}K7QF3MZPX2DA"[:16]
    return pdf.sample_context(
        name_latin=f"{FIRST[f]} {LAST[n]}",
        name_arabic="" if i % 7 == 6 else f"{FIRST_AR[f]} {LAST_AR[n]}",
        serial=f"TAD-2025-{i:06d}",
        verification_code=code,
        verify_url=f"https://tadrib.justice.gov.ma/certificates/verify/{code}",
    )


def timed(fn, *args) -> tuple[float, float, bytes]:
    """Wall-clock ms, CPU ms of this process, and the result."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=253, help="certificates (and floor documents) to time")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "certificates.json")
    args = parser.parse_args(argv)
    if args.n < 20:
        parser.error("--n must be at least 20 (memory is compared after 20 and after N)")

    t0 = time.perf_counter()
    import weasyprint  # noqa: F401

    import_ms = (time.perf_counter() - t0) * 1000
    rss_import = vm_hwm_kib()

    first_ms, _, _ = timed(pdf.render_certificate_pdf, context(0))
    for i in range(1, args.warmup):
        pdf.render_certificate_pdf(context(i))
    for _ in range(args.warmup):
        pdf.render_minimal_pdf(FLOOR_TEXT, "Amiri")
    rss_warm = vm_hwm_kib()

    cert_ms: list[float] = []
    floor_ms: list[float] = []
    cert_cpu: list[float] = []
    floor_cpu: list[float] = []
    sizes: list[int] = []
    floor_size = 0
    rss_after_20 = None
    done = 0
    while done < args.n:
        block = min(BLOCK, args.n - done)
        for k in range(block):
            ms, cpu, out = timed(pdf.render_certificate_pdf, context(args.warmup + done + k))
            cert_ms.append(ms)
            cert_cpu.append(cpu)
            sizes.append(len(out))
            if len(cert_ms) == 20:
                rss_after_20 = vm_hwm_kib()
        for _ in range(block):
            ms, cpu, out = timed(pdf.render_minimal_pdf, FLOOR_TEXT, "Amiri")
            floor_ms.append(ms)
            floor_cpu.append(cpu)
            floor_size = len(out)
        done += block
    rss_after_n = vm_hwm_kib()

    cert_med = statistics.median(cert_ms)
    floor_med = statistics.median(floor_ms)
    ratio = cert_med / floor_med
    cpu_ratio = statistics.median(cert_cpu) / statistics.median(floor_cpu)
    mem_ratio = rss_after_n / rss_after_20
    size_kb = max(sizes) / 1024
    q = statistics.quantiles(cert_ms, n=20)
    results = {
        "n": args.n,
        "warmup": args.warmup,
        "weasyprint": weasyprint.__version__,
        "python": platform.python_version(),
        "harfbuzz_subset": _harfbuzz_subset(),
        "import_ms": round(import_ms, 1),
        "first_cert_ms": round(first_ms, 1),
        "cert_ms_median": round(cert_med, 1),
        "cert_ms_p95": round(q[18], 1),
        "cert_ms_min": round(min(cert_ms), 1),
        "floor_ms_median": round(floor_med, 2),
        "ratio": round(ratio, 2),
        "ratio_goal": RATIO_GOAL,
        "ratio_pass": ratio <= RATIO_GOAL,
        "cert_cpu_ms_median": round(statistics.median(cert_cpu), 1),
        "floor_cpu_ms_median": round(statistics.median(floor_cpu), 2),
        "cpu_ratio": round(cpu_ratio, 2),
        "load_average": _loadavg(),
        "first_over_steady": round(first_ms / cert_med, 2),
        "pdf_kb_max": round(size_kb, 1),
        "pdf_kb_median": round(statistics.median(sizes) / 1024, 1),
        "floor_pdf_kb": round(floor_size / 1024, 1),
        "size_pass": size_kb <= SIZE_GOAL_KB,
        "rss_mib_after_import": round(rss_import / 1024, 1),
        "rss_mib_after_warmup": round(rss_warm / 1024, 1),
        "rss_mib_after_20": round(rss_after_20 / 1024, 1),
        "rss_mib_after_n": round(rss_after_n / 1024, 1),
        "memory_ratio": round(mem_ratio, 3),
        "memory_goal": MEMORY_GOAL,
        "memory_pass": mem_ratio <= MEMORY_GOAL,
        "total_s": round(time.perf_counter() - t0, 1),
    }
    rows = [
        ("ms per certificate (median, steady)", f"{cert_med:.1f}", f"p95 {q[18]:.1f}, first {first_ms:.0f}"),
        ("ms floor (one-line Amiri, median)", f"{floor_med:.2f}", ""),
        ("ratio certificate / floor", f"{ratio:.2f}x", f"goal <= {RATIO_GOAL:g}x: {_pf(results['ratio_pass'])}"),
        ("ratio on CPU time (information)", f"{cpu_ratio:.2f}x", f"load average {_loadavg()}"),
        ("PDF size KB (max)", f"{size_kb:.1f}", f"goal <= {SIZE_GOAL_KB:g}: {_pf(results['size_pass'])}"),
        ("peak RSS MiB after 20", f"{rss_after_20 / 1024:.1f}", ""),
        (f"peak RSS MiB after {args.n}", f"{rss_after_n / 1024:.1f}", ""),
        ("memory ratio", f"{mem_ratio:.3f}x", f"goal <= {MEMORY_GOAL:g}x: {_pf(results['memory_pass'])}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"WeasyPrint {weasyprint.__version__}, N={args.n} after {args.warmup} warm-up renders, blocks of {BLOCK}")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0 if results["ratio_pass"] and results["memory_pass"] and results["size_pass"] else 1


def _pf(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _harfbuzz_subset() -> bool:
    try:
        from weasyprint.text.ffi import harfbuzz_subset
    except ImportError:
        return False
    return harfbuzz_subset is not None


if __name__ == "__main__":
    raise SystemExit(main())
